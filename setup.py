"""Build of the hpy distribution: the hpy.universal runtime (a CPython extension), the
hpy.devel headers and helper sources, and one static helper library per ABI."""
import glob
import os
import platform
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
VERSION = '0.10.0.dev0'
DEVEL = os.path.join('hpy', 'devel')
INCLUDE = os.path.join(DEVEL, 'include')
RUNTIME_SRC = os.path.join(DEVEL, 'src', 'runtime')
HELPER_SOURCES = ['argparse.c', 'buildvalue.c', 'format.c', 'helpers.c', 'structseq.c']
# The context functions (ctx_*.c) serve the runtime and the CPython ABI; the CPython ABI's entry
# point is built for that ABI only.
CPYTHON_ONLY_SOURCES = ['cpython_init.c']
STRICT = ['-Wall', '-Wextra', '-Werror', '-Wno-missing-field-initializers']


def git_revision():
    """The commit being built: from git in a clone, else the one an sdist recorded."""
    try:
        out = subprocess.run(['git', 'rev-parse', '--show-toplevel', '--short', 'HEAD'],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        toplevel, rev = out.stdout.split()
        # an unpacked sdist inside some other repository must not take that one's commit
        if os.path.realpath(toplevel) == os.path.realpath(ROOT):
            return rev
    except (OSError, ValueError, subprocess.CalledProcessError):
        pass
    recorded = {}
    try:
        with open(os.path.join(ROOT, DEVEL, 'version.py')) as f:
            exec(f.read(), recorded)
    except OSError:
        pass
    return recorded.get('__git_revision__', '__UNKNOWN__')


def _load_fileutil():
    # by path: importing the hpy.devel package would need the setuptools integration set up
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        '_hpy_fileutil', os.path.join(ROOT, DEVEL, '_fileutil.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_if_changed(path, text):
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, 'w') as f:
        f.write(text)


def write_version_files():
    rev = git_revision()
    write_if_changed(os.path.join(ROOT, INCLUDE, 'hpy', 'version.h'),
                     '/* Written by setup.py at build time. */\n'
                     '#define HPY_VERSION "%s"\n#define HPY_GIT_REVISION "%s"\n' % (VERSION, rev))
    write_if_changed(os.path.join(ROOT, DEVEL, 'version.py'),
                     '# Written by setup.py at build time.\n'
                     '__version__ = %r\n__git_revision__ = %r\n' % (VERSION, rev))


class build_ext_hpy_runtime(build_ext):
    """Also builds hpy/devel/lib/<abi>/, the helper library precompiled for each ABI."""

    def copy_file(self, infile, outfile, preserve_mode=1, preserve_times=1, link=None,
                  level=1):
        # hpy/universal.*.so may be loaded by a running process: never write over it in place
        return _load_fileutil().copy_file_command(self, infile, outfile, level)

    def run(self):
        write_version_files()
        super().run()
        self.build_static_libs()

    def build_static_libs(self):
        import sysconfig
        py_include = sysconfig.get_paths()['include']
        abis = {
            'universal': (['-DHPY_ABI_UNIVERSAL', '-I' + os.path.join(INCLUDE, 'hpy', 'forbid_python_h')],
                          HELPER_SOURCES, 'hpy-extra-universal'),
            'hybrid': (['-DHPY_ABI_HYBRID', '-I' + py_include], HELPER_SOURCES, 'hpy-extra-hybrid'),
            'cpython': (['-DHPY_ABI_CPYTHON', '-I' + py_include],
                        HELPER_SOURCES + CPYTHON_ONLY_SOURCES +
                        sorted(os.path.basename(p) for p in
                               glob.glob(os.path.join(RUNTIME_SRC, 'ctx_*.c'))),
                        'hpy-ctx-cpython'),
        }
        if platform.python_implementation() == 'PyPy':
            # the CPython ABI is CPython's own layout (an HPy_buffer is a Py_buffer, which
            # PyPy's is not): on PyPy, HPy extensions are universal or hybrid binaries
            del abis['cpython']
        for abi, (flags, sources, libname) in abis.items():
            tmp = os.path.join(self.build_temp, 'hpy-lib-' + abi)
            objects = self.compiler.compile(
                [os.path.join(RUNTIME_SRC, s) for s in sources], output_dir=tmp,
                extra_preargs=['-fPIC', '-O2', '-I' + INCLUDE] + flags + STRICT)
            targets = [os.path.join(ROOT, DEVEL, 'lib', abi)]
            if not self.inplace:
                targets.append(os.path.join(self.build_lib, DEVEL, 'lib', abi))
            for target in targets:
                os.makedirs(target, exist_ok=True)
                # ar adds to an existing archive: start afresh so no object of a removed source
                # stays in it
                path = self.compiler.library_filename(libname, output_dir=target)
                if os.path.exists(path):
                    os.remove(path)
                self.compiler.create_static_lib(objects, libname, output_dir=target)


universal = Extension(
    'hpy.universal',
    sources=sorted(glob.glob(os.path.join('src', 'universal', '*.c'))) +
            sorted(glob.glob(os.path.join(RUNTIME_SRC, 'ctx_*.c'))),
    include_dirs=[INCLUDE, os.path.join('src', 'universal')],
    define_macros=[('HPY_ABI_HYBRID', None), ('HPY_RUNTIME_INTERNAL', None)],
    extra_compile_args=STRICT + ['-std=c11', '-fno-plt', '-fno-semantic-interposition'],
    depends=glob.glob(os.path.join(INCLUDE, '**', '*.h'), recursive=True) +
            glob.glob(os.path.join(RUNTIME_SRC, '*.h')) +
            glob.glob(os.path.join('src', 'universal', '**', '*.h'), recursive=True),
)

setup(
    name='hpy',
    version=VERSION,
    description='HPy: a handle-based C API for Python extensions',
    long_description=open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.8',
    install_requires=['setuptools>=64.0'],
    packages=['hpy', 'hpy.devel', 'hpy.debug', 'hpy.trace', 'hpy.cython', 'hpy.cython.gen'],
    extras_require={'cython': ['cython>=3.1,<3.4']},
    package_data={'hpy.devel': ['include/*.h', 'include/hpy/*.h', 'include/hpy/*/*.h',
                                'src/runtime/*.c', 'src/runtime/*.h', 'lib/*/*.a',
                                'cmake/*.cmake']},
    ext_modules=[universal],
    cmdclass={'build_ext': build_ext_hpy_runtime},
    entry_points={
        'distutils.setup_keywords': ['hpy_ext_modules = hpy.devel:handle_hpy_ext_modules'],
        # [tool.hpy] in a project's pyproject.toml (hpy/devel/pyproject.py)
        'setuptools.finalize_distribution_options': ['hpy = hpy.devel:finalize_hpy_options'],
        # the hpy_debug fixture in every pytest run (the name -p hpy.debug.pytest uses too)
        'pytest11': ['hpy.debug.pytest = hpy.debug.pytest'],
    },
    zip_safe=False,
)
