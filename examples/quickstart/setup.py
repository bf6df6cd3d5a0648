from setuptools import setup, Extension

setup(
    name='hpy-quickstart',
    version='0.1',
    hpy_ext_modules=[Extension('quickstart', sources=['quickstart.c'])],
)
