from setuptools import setup, Extension

setup(name='geom', version='0.1', hpy_ext_modules=[Extension('geom', sources=['geom.c'])])
