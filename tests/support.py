"""Compile C snippets into HPy extensions and load them, in any ABI.

A snippet is C code using the HPy API, plus two markers:
    @EXPORT(sym)    adds the HPyDef `sym` to the module's defines
    @INIT           the module definition and HPy_MODINIT (must come last)
Extra C declarations can precede them freely. Every module gets a unique name.
"""
import gc
import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import hpy.devel
from hpy.devel import abitag

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HPYDEVEL = hpy.devel.HPyDevel()
INCLUDE = str(HPYDEVEL.include_dir)
FORBID = str(HPYDEVEL.get_include_dir_forbid_python_h())
PY_INCLUDE = sysconfig.get_paths()['include']
EXT_SUFFIX = sysconfig.get_config_var('EXT_SUFFIX')

# The ABIs a C-level test runs in. 'universal-dispatch' is the universal binary loaded with a
# context that makes every call take the general trampoline path, the one binaries built by
# other HPy implementations use.
# 'trace' and 'debug' are the universal binary loaded in trace and debug mode, 'hybrid-debug' the
# hybrid binary loaded in debug mode.
ABIS = ['cpython', 'universal', 'hybrid', 'universal-dispatch', 'trace', 'debug', 'hybrid-debug']
BINARY_ABI = {'cpython': 'cpython', 'universal': 'universal', 'hybrid': 'hybrid',
              'universal-dispatch': 'universal', 'trace': 'universal', 'debug': 'universal',
              'hybrid-debug': 'hybrid'}
LOAD_MODE = {'universal': 0, 'hybrid': 0, 'universal-dispatch': 0, 'trace': 2, 'debug': 1,
             'hybrid-debug': 1}
DEBUG_ABIS = ('debug', 'hybrid-debug')
# HPY_TEST_EXCLUDE_ABIS=a,b: leave ABIs out of the parametrization (the interpreter matrix
# uses it for debug mode, see tools/test_matrix.py).
EXCLUDED_ABIS = tuple(a for a in os.environ.get('HPY_TEST_EXCLUDE_ABIS', '').split(',') if a)
ABIS = [a for a in ABIS if a not in EXCLUDED_ABIS]
DIRECT_CALLS = {'universal-dispatch': False}

STRICT = ['-Wall', '-Wextra', '-Werror']
# HPY_TEST_CFLAGS: more compiler flags for every module the tests compile (make test-sanitize
# passes the sanitizer flags). They are part of a binary's cache key.
EXTRA_CFLAGS = tuple(shlex.split(os.environ.get('HPY_TEST_CFLAGS', '')))
# Whether memory freed is soon handed out again, so that a new object may take a dead one's
# address: not under AddressSanitizer (make test-sanitize) nor valgrind (make test-valgrind),
# which keep freed memory aside (both preload their allocator).
MEMORY_REUSED = not any(f.startswith('-fsanitize=') and 'address' in f for f in EXTRA_CFLAGS) \
    and not any(m in os.environ.get('LD_PRELOAD', '') for m in ('libasan', 'vgpreload'))


def static_lib(abi):
    libs = HPYDEVEL.get_static_libs(abi)
    if not libs or len(libs) != 1:
        raise RuntimeError('hpy/devel/lib/%s must hold one static library (run make build): %r'
                           % (abi, libs))
    return libs[0]


def ext_suffix(abi):
    return abitag.get_hpy_ext_suffix(abi)


def expand_template(source, name):
    source = textwrap.dedent(source)
    exports = re.findall(r'^\s*@EXPORT\((\w+)\)\s*$', source, re.M)
    source = re.sub(r'^\s*@EXPORT\(\w+\)\s*$', '', source, flags=re.M)
    defines = ''.join('    &%s,\n' % e for e in exports)
    init = textwrap.dedent('''
        static HPyDef *moduledefs[] = {
        %s    NULL
        };
        static HPyModuleDef moduledef = {
            .doc = "test module %s",
            .size = 0,
            .legacy_methods = NULL,
            .defines = moduledefs,
            .globals = NULL,
        };
        HPy_MODINIT(%s, moduledef)
        ''') % (defines, name, name)
    if '@INIT' in source:
        source = source.replace('@INIT', init)
    return '#include "hpy.h"\n' + source


def module_name_for(source, abi, cplusplus=False, extra_flags=()):
    """A name derived from what is compiled, so that a module's binary is the same in every run."""
    key = repr((textwrap.dedent(source), BINARY_ABI[abi], cplusplus, tuple(extra_flags)))
    return 'm_' + hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]


# HPY_TEST_BINARY_CACHE=<dir>: every binary is compiled once and reused, by the other ABIs that
# load the same binary (universal, debug, trace, universal-dispatch; hybrid, hybrid-debug) and by
# later runs. The key holds the source, the flags, the headers and static libraries compiled in,
# and, for binaries that include Python.h, the interpreter: a stale binary is never found.
# Universal binaries do not depend on the interpreter, so the interpreter matrix builds them once;
# HPY_TEST_BINARY_CACHE_MODE=read (the matrix's other interpreters) fails if one is missing,
# instead of compiling it. Binaries of the other ABIs are always compiled when missing.
BINARY_CACHE = os.environ.get('HPY_TEST_BINARY_CACHE')
BINARY_CACHE_MODE = os.environ.get('HPY_TEST_BINARY_CACHE_MODE', 'write')
_inputs_digest = {}


def _compiled_in(binary_abi):
    """A digest of what a binary of this ABI is built from besides its source: the headers and
    the sources of the static library (not the library itself, whose bytes depend on the
    compiler: a universal binary built on the host must be found by every interpreter)."""
    if binary_abi not in _inputs_digest:
        h = hashlib.sha256()
        devel = os.path.dirname(INCLUDE)
        for top in (INCLUDE, os.path.join(devel, "src")):
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames.sort()
                for name in sorted(filenames):
                    # version.h holds the commit, which says nothing of the binary's content
                    if not name.endswith(('.h', '.c')) or name == 'version.h':
                        continue
                    path = os.path.join(dirpath, name)
                    h.update(os.path.relpath(path, devel).encode() + b'\0')
                    with open(path, 'rb') as f:
                        h.update(f.read())
        if binary_abi != 'universal':
            h.update(repr((EXT_SUFFIX, sys.version, sys.abiflags)).encode())
        _inputs_digest[binary_abi] = h.hexdigest()
    return _inputs_digest[binary_abi]


def _cache_path(source_key, binary_abi, extra_flags):
    if not BINARY_CACHE:
        return None
    key = (repr((source_key, binary_abi, tuple(extra_flags), EXTRA_CFLAGS)) +
           _compiled_in(binary_abi))
    digest = hashlib.sha256(key.encode('utf-8')).hexdigest()
    return os.path.join(BINARY_CACHE, digest + ext_suffix(binary_abi))


def _fresh_path(directory, filename):
    """A path for a new binary: never a file that may be loaded already (rewriting a mapped
    library in place crashes the process that loaded it)."""
    path = os.path.join(directory, filename)
    n = 0
    while os.path.exists(path):
        n += 1
        path = os.path.join(directory, 'copy%d' % n, filename)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def compile_module(source, tmpdir, abi, name=None, cplusplus=False, extra_flags=(),
                   template=True, cache=True):
    """Build `source` for `abi` in tmpdir; returns (module name, path of the binary).
    cache=False always compiles (for sources that must fail to build: no binary is ever
    cached for them, on any interpreter)."""
    name = name or module_name_for(source, abi, cplusplus, extra_flags)
    text = expand_template(source, name) if template else source
    suffix = '.cpp' if cplusplus else '.c'
    return name, _build(name, [(name + suffix, text)], tmpdir, abi, extra_flags, cache)


def compile_files(files, tmpdir, abi, name, extra_flags=()):
    """Build one module from several files for `abi`; returns the path of the binary. files:
    (filename, text) pairs, a '.cpp' file compiled as C++11, each with extra_flags, which the
    link also gets (so -flto works)."""
    return _build(name, files, tmpdir, abi, extra_flags, True)


def _compiler(filename):
    return ['g++', '-std=c++11'] if filename.endswith('.cpp') else ['gcc', '-std=c99']


def _build(name, files, tmpdir, abi, extra_flags, cache):
    """The path of the binary built from files ((filename, text) pairs) in tmpdir."""
    binary_abi = BINARY_ABI[abi]
    out = _fresh_path(str(tmpdir), name + ext_suffix(binary_abi))
    cached = _cache_path(tuple(files), binary_abi, extra_flags) if cache else None
    if cached and os.path.exists(cached):
        shutil.copyfile(cached, out)
        if BINARY_CACHE_MODE == 'write':
            os.utime(cached)  # used by this run (tools/suite_record.py keeps what was used)
        return out
    if cached and BINARY_CACHE_MODE == 'read' and binary_abi == 'universal':
        raise CompilationError('universal binary of module %s was not built beforehand '
                               '(HPY_TEST_BINARY_CACHE_MODE=read): %s' % (name, cached))
    flags = ['-fPIC', '-O1', '-g'] + STRICT + ['-DHPY']
    if binary_abi == 'universal':
        flags += ['-DHPY_ABI_UNIVERSAL', '-I' + FORBID, '-I' + INCLUDE]
    elif binary_abi == 'hybrid':
        flags += ['-DHPY_ABI_HYBRID', '-I' + INCLUDE, '-I' + PY_INCLUDE]
    else:
        flags += ['-DHPY_ABI_CPYTHON', '-I' + INCLUDE, '-I' + PY_INCLUDE]
    flags += list(EXTRA_CFLAGS) + list(extra_flags)
    # a sanitizer runtime preloaded into the tests (make test-sanitize) is not for the compiler
    env = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD'}
    sources = []
    for filename, text in files:
        sources.append(os.path.join(os.path.dirname(out), filename))
        with open(sources[-1], 'w') as f:
            f.write(text)
    inputs = sources            # one file: compiled and linked in one step
    if len(sources) > 1:
        inputs = [src + '.o' for src in sources]
        for src, obj in zip(sources, inputs):
            _run(_compiler(src) + flags + ['-c', src, '-o', obj], env)
    linker = _compiler('.cpp' if any(src.endswith('.cpp') for src in sources) else '.c')
    _run(linker + ['-shared'] + flags + inputs + [static_lib(binary_abi), '-o', out], env)
    if cached:
        tmp = cached + '.%d.tmp' % os.getpid()
        shutil.copyfile(out, tmp)
        os.replace(tmp, cached)
    return out


def _run(cmd, env):
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise CompilationError('%s\n%s%s' % (' '.join(cmd), res.stdout, res.stderr))


class CompilationError(Exception):
    pass


def extension_spec(name, path):
    """The spec of the extension binary at path. The loader is named: '.hpy0.so' is no extension
    suffix on PyPy (only '.so' is), so spec_from_file_location alone finds none there."""
    return importlib.util.spec_from_file_location(
        name, path, loader=importlib.machinery.ExtensionFileLoader(name, path))


def load_module(name, path, abi):
    spec = extension_spec(name, path)
    if BINARY_ABI[abi] == 'cpython':
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    import hpy.universal
    direct = DIRECT_CALLS.get(abi, True)
    hpy.universal._set_direct_calls(direct)
    try:
        mod = hpy.universal.load(name, path, spec, mode=LOAD_MODE[abi])
    finally:
        hpy.universal._set_direct_calls(True)
    mod.__file__ = path
    return mod


class ModuleBuilder:
    """The `compile_module` fixture: build and import a snippet in the test's ABI."""

    def __init__(self, tmpdir, abi):
        self.tmpdir = tmpdir
        self.abi = abi
        self._loaded = {}

    def compile(self, source, **kw):
        return compile_module(source, self.tmpdir, self.abi, **kw)

    def __call__(self, source, **kw):
        # The same test asking again for the same module gets the same module object (the
        # reference-leak checks run a test several times).
        # A module that failed to load fails again with the same exception, without loading
        # anything new.
        key = (source, repr(sorted(kw.items())))
        if key not in self._loaded:
            try:
                name, path = self.compile(source, **kw)
                self._loaded[key] = load_module(name, path, self.abi)
            except CompilationError:
                raise
            except Exception as e:
                self._loaded[key] = e
        result = self._loaded[key]
        if isinstance(result, Exception):
            raise result.with_traceback(None)
        return result


CPYTHON = platform.python_implementation() == 'CPython'


# Reasons of runtime_specific marks (tests/conftest.py) that many tests share.
ONLY_REFCOUNTS = 'checks reference counts only (sys.getrefcount; PyPy keeps none)'
FREED_AT_ONCE = ("expects objects freed as soon as their last reference goes, or by one "
                 "gc.collect() (CPython's reference counting); PyPy's GC frees cpyext objects "
                 "later, when it decides")
C_CYCLES = ("expects the GC to collect a cycle through C objects' fields or to report them "
            "(tp_traverse); PyPy's cpyext never calls tp_traverse (PyPy issue 3848)")


class _Uncounted:
    """What refcount(), basicsize() and itemsize() give where the interpreter does not show that number
    (PyPy: cpyext counts the references C code holds and frees objects when its GC decides; its
    types have no __basicsize__): equal to, and in any order with, any number, and itself after
    arithmetic, so that such assertions of a test of API behaviour hold there while the rest of
    the test runs. Tests that check nothing but such numbers are marked runtime_specific.""" 

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __add__(self, other):
        return self

    __radd__ = __sub__ = __rsub__ = __mod__ = __add__
    __hash__ = object.__hash__

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __repr__(self):
        return '<reference count not kept by this interpreter>'


UNCOUNTED = _Uncounted()


def refcount(obj):
    """sys.getrefcount(obj) on CPython; UNCOUNTED on an interpreter without it."""
    return sys.getrefcount(obj) if CPYTHON else UNCOUNTED


def basicsize(cls):
    """cls.__basicsize__ where types have one (CPython); UNCOUNTED elsewhere."""
    return getattr(cls, '__basicsize__', UNCOUNTED)


def itemsize(cls):
    """cls.__itemsize__ where types have one (CPython); UNCOUNTED elsewhere."""
    return getattr(cls, '__itemsize__', UNCOUNTED)


def free_dropped():
    """Free the objects whose last reference went: CPython has done it already, PyPy does it
    when its GC runs."""
    if not CPYTHON:
        gc.collect()


def release_views():
    """Give the buffers of released memoryviews back to their exporters: CPython does it when a
    view is released (memoryview.release(), the end of its with block), PyPy only when its GC
    frees the view."""
    if not CPYTHON:
        gc.collect()


def run_python(code, env=None, timeout=120):
    """Run code in a fresh interpreter (for behaviour that ends the process)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env=e, timeout=timeout)


def python_error(func, *args):
    """The message CPython itself gives for an operation (messages change between versions)."""
    try:
        func(*args)
    except Exception as e:
        return str(e)
    raise AssertionError('%r did not raise' % (func,))
