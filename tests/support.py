"""Compile C snippets into HPy extensions and load them, in any ABI.

A snippet is C code using the HPy API, plus two markers:
    @EXPORT(sym)    adds the HPyDef `sym` to the module's defines
    @INIT           the module definition and HPy_MODINIT (must come last)
Extra C declarations can precede them freely. Every module gets a unique name.
"""
import hashlib
import importlib.machinery
import importlib.util
import itertools
import os
import re
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
ABIS = ['cpython', 'universal', 'hybrid', 'universal-dispatch']
BINARY_ABI = {'cpython': 'cpython', 'universal': 'universal', 'hybrid': 'hybrid',
              'universal-dispatch': 'universal'}
LOAD_MODE = {'universal': 0, 'hybrid': 0, 'universal-dispatch': 0}
DIRECT_CALLS = {'universal-dispatch': False}

STRICT = ['-Wall', '-Wextra', '-Werror']
_counter = itertools.count()


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


def compile_module(source, tmpdir, abi, name=None, cplusplus=False, extra_flags=(),
                   template=True):
    """Build `source` for `abi` in tmpdir; returns (module name, path of the binary)."""
    name = name or 'mod_%d_%d' % (os.getpid(), next(_counter))
    binary_abi = BINARY_ABI[abi]
    text = expand_template(source, name) if template else source
    src = os.path.join(str(tmpdir), name + ('.cpp' if cplusplus else '.c'))
    with open(src, 'w') as f:
        f.write(text)
    out = os.path.join(str(tmpdir), name + ext_suffix(binary_abi))
    cc = ['g++', '-std=c++11'] if cplusplus else ['gcc', '-std=c99']
    flags = ['-shared', '-fPIC', '-O1', '-g'] + STRICT + ['-DHPY']
    if binary_abi == 'universal':
        flags += ['-DHPY_ABI_UNIVERSAL', '-I' + FORBID, '-I' + INCLUDE]
    elif binary_abi == 'hybrid':
        flags += ['-DHPY_ABI_HYBRID', '-I' + INCLUDE, '-I' + PY_INCLUDE]
    else:
        flags += ['-DHPY_ABI_CPYTHON', '-I' + INCLUDE, '-I' + PY_INCLUDE]
    cmd = cc + flags + list(extra_flags) + [src, static_lib(binary_abi), '-o', out]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise CompilationError('%s\n%s%s' % (' '.join(cmd), res.stdout, res.stderr))
    return name, out


class CompilationError(Exception):
    pass


def load_module(name, path, abi):
    spec = importlib.util.spec_from_file_location(name, path)
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

    def compile(self, source, **kw):
        return compile_module(source, self.tmpdir, self.abi, **kw)

    def __call__(self, source, **kw):
        name, path = self.compile(source, **kw)
        return load_module(name, path, self.abi)


def run_python(code, env=None, timeout=120):
    """Run code in a fresh interpreter (for behaviour that ends the process)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env=e, timeout=timeout)
