from setuptools import setup, Extension

setup(
    name='hpy-array',
    version='0.1',
    hpy_ext_modules=[Extension('hpyarray', sources=['hpyarray.c'])],
)
