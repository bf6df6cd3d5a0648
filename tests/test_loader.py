"""hpy.universal.load and _load_bootstrap: the loader's checks and exact messages (abi.md §9.3-9.4),
mode selection from HPY (docs/runtime.md, "Loading"), HPY_LOG."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest


import hpy.universal
from hpy.devel import abitag
from support import FREED_AT_ONCE, compile_module as build, extension_spec, run_python

TEST_ABIS = ['universal', 'hybrid']

from hpy.devel.abitag import HPY_ABI_VERSION_MINOR as RUNTIME_MINOR

GOOD = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 7); }
    @EXPORT(f)
    @INIT
'''


def load(name, path, **kw):
    spec = extension_spec(name, path)
    return hpy.universal.load(name, path, spec, **kw)


def manual_module(tmp_path, hpy_abi, body, name='manual'):
    return build('#include "hpy.h"\n' + body, tmp_path, hpy_abi, name=name, template=False)


def test_module_attributes():
    assert hpy.universal.__doc__ == 'HPy universal runtime for CPython'
    assert hpy.universal.MODE_UNIVERSAL == 0
    assert hpy.universal.MODE_DEBUG == 1
    assert hpy.universal.MODE_TRACE == 2
    assert hpy.universal.load.__doc__ == 'Load a .hpy0.so file'
    version, rev = hpy.universal.get_version()
    assert isinstance(version, str) and version
    assert isinstance(rev, str) and rev


def test_load_and_call(tmp_path, hpy_abi):
    name, path = build(GOOD, tmp_path, hpy_abi)
    mod = load(name, path)
    assert mod.f() == 7
    assert mod.__name__ == name


def test_dlopen_failure(tmp_path):
    path = str(tmp_path / 'missing.hpy0.so')
    with pytest.raises(RuntimeError) as e:
        load('missing', path)
    msg = str(e.value)
    assert msg.startswith("Error during loading of the HPy extension module at path '%s'. "
                          "Error message from dlopen/WinAPI: " % path)
    assert 'No such file' in msg


def test_missing_version_symbols(tmp_path, hpy_abi):
    name, path = manual_module(tmp_path, hpy_abi, 'int unrelated_symbol = 1;\n', name='nover')
    with pytest.raises(RuntimeError) as e:
        load(name, path)
    assert str(e.value).startswith(
        "Error during loading of the HPy extension module at path '%s'. Cannot locate the "
        "required minimal HPy versions as symbols 'get_required_hpy_minor_version_nover' and "
        "`get_required_hpy_major_version_nover`. Error message from dlopen/WinAPI: " % path)


VERSIONS = '''
HPy_EXPORTED_FUNC uint32_t get_required_hpy_major_version_%(name)s(void);
HPy_EXPORTED_FUNC uint32_t get_required_hpy_minor_version_%(name)s(void);
uint32_t get_required_hpy_major_version_%(name)s(void) { return %(major)d; }
uint32_t get_required_hpy_minor_version_%(name)s(void) { return %(minor)d; }
'''


@pytest.mark.parametrize('major,minor', [(1, 0), (0, 99), (2, 7)])
def test_unsupported_version(tmp_path, hpy_abi, major, minor):
    name = 'badver'
    name, path = manual_module(tmp_path, hpy_abi, VERSIONS % dict(name=name, major=major,
                                                                    minor=minor), name=name)
    if major != 0:
        # the tag check comes after the version check: keep the file name consistent
        newpath = path.replace('.hpy0', '.hpy%d' % major)
        os.rename(path, newpath)
        path = newpath
    with pytest.raises(RuntimeError) as e:
        load(name, path)
    assert str(e.value) == (
        "HPy extension module 'badver' requires unsupported version of the HPy runtime. "
        "Requested version: %d.%d. Current HPy version: 0.%d." % (major, minor, RUNTIME_MINOR))


def test_filename_tag_mismatch(tmp_path, hpy_abi):
    name, path = build(GOOD, tmp_path, hpy_abi)
    newpath = path.replace('.hpy0', '.hpy1')
    os.rename(path, newpath)
    with pytest.raises(RuntimeError) as e:
        load(name, newpath)
    assert str(e.value) == (
        "HPy extension module '%s' at path '%s': mismatch between the HPy ABI tag encoded in the "
        "filename and the major version requested by the HPy extension itself. Major version tag "
        "parsed from filename: 1. Requested version: 0.0." % (name, newpath))


def test_filename_without_tag(tmp_path, hpy_abi):
    name, path = build(GOOD, tmp_path, hpy_abi)
    newpath = str(tmp_path / (name + '.so'))
    os.rename(path, newpath)
    with pytest.raises(RuntimeError) as e:
        load(name, newpath)
    assert str(e.value) == (
        "HPy extension module '%s' at path '%s': could not find HPy ABI tag encoded in the "
        "filename. The extension claims to be compiled with HPy ABI version: 0.0." % (name, newpath))


@pytest.mark.parametrize('missing', ['HPyInitGlobalContext_noinit', 'HPyInit_noinit'])
def test_missing_init_symbol(tmp_path, hpy_abi, missing):
    body = VERSIONS % dict(name='noinit', major=0, minor=0)
    if missing != 'HPyInitGlobalContext_noinit':
        body += ('HPy_EXPORTED_FUNC void HPyInitGlobalContext_noinit(HPyContext *ctx);\n'
                 'void HPyInitGlobalContext_noinit(HPyContext *ctx) { (void)ctx; }\n')
    name, path = manual_module(tmp_path, hpy_abi, body, name='noinit')
    with pytest.raises(RuntimeError) as e:
        load(name, path)
    assert str(e.value).startswith(
        "Error during loading of the HPy extension module at path '%s' while trying to find "
        "symbol '%s'. Did you usethe HPy_MODINIT macro to register your module? Error message "
        "from dlsym/WinAPI: " % (path, missing))


def test_init_returning_null(tmp_path, hpy_abi):
    body = VERSIONS % dict(name='nullinit', major=0, minor=0) + '''
HPy_EXPORTED_FUNC void HPyInitGlobalContext_nullinit(HPyContext *ctx);
void HPyInitGlobalContext_nullinit(HPyContext *ctx) { (void)ctx; }
HPy_EXPORTED_FUNC HPyModuleDef *HPyInit_nullinit(void);
HPyModuleDef *HPyInit_nullinit(void) { return NULL; }
'''
    name, path = manual_module(tmp_path, hpy_abi, body, name='nullinit')
    with pytest.raises(RuntimeError) as e:
        load(name, path)
    assert str(e.value) == ("Error during loading of the HPy extension module at path '%s'. "
                            "Function 'HPyInit_nullinit' returned NULL." % path)


def test_dotted_and_dashed_names(tmp_path, hpy_abi):
    _, path = build(GOOD, tmp_path, hpy_abi, name='my_mod')
    mod = load('pkg.sub.my-mod', path)
    assert mod.f() == 7


def test_non_ascii_name(tmp_path, hpy_abi):
    _, path = build(GOOD, tmp_path, hpy_abi)
    with pytest.raises(UnicodeEncodeError):
        load('pkg.m\u00e9', path)


def test_mode_argument(tmp_path, hpy_abi):
    name, path = build(GOOD, tmp_path, hpy_abi)
    # any positive mode other than debug/trace selects the universal context
    mod = load(name, path, mode=7)
    assert mod.f() == 7


def _bootstrap_code(name, path, env):
    return '''
import importlib.util, sys, types
import hpy.universal
import importlib.machinery
_name, _path = %r, %r
spec = importlib.util.spec_from_file_location(
    _name, _path, loader=importlib.machinery.ExtensionFileLoader(_name, _path))
loader = types.SimpleNamespace(name=%r)
try:
    mod = hpy.universal._load_bootstrap(%r, 'pkg.' + %r, 'pkg', %r, loader, spec, %r)
except Exception as e:
    print('ERROR', type(e).__name__, e)
else:
    print('OK', mod.__name__, mod.__package__, mod.__file__ == %r, spec.origin == %r,
          mod.__spec__ is spec, mod.__loader__ is loader, mod.f())
''' % (name, path, name, name, name, path, env, path, path)


@pytest.mark.parametrize('env,expected', [
    ({}, 'OK'),
    ({'HPY': 'universal'}, 'OK'),
    ({'HPY': 'other:debug'}, 'OK'),
    ({'HPY': 'univ'}, "ERROR ValueError invalid value of HPY: 'univ' (expected universal, "
                      "debug or trace, or per module: name:mode[,name:mode...], plus at most one "
                      "bare mode for the modules not named)"),
    ({'HPY': 7}, 'ERROR TypeError the value of HPY must be a str, not int'),
])
def test_load_bootstrap(tmp_path, hpy_abi, env, expected):
    name, path = build(GOOD, tmp_path, hpy_abi)
    res = run_python(_bootstrap_code(name, path, env))
    assert res.returncode == 0, res.stderr
    out = res.stdout.strip()
    if expected == 'OK':
        assert out == 'OK pkg.%s pkg True True True True 7' % name
    else:
        assert out == expected


# ---- HPY, through the stub loaders hpy.devel generates ---------------------------------------

# Each module says which context it got.
CTX_NAME = r"""
#include "hpy.h"
HPyDef_METH(ctx_name, "ctx_name", HPyFunc_NOARGS)
static HPy ctx_name_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, ctx->name);
}
static HPyDef *defines[] = { &ctx_name, NULL };
static HPyModuleDef moduledef = { .doc = NULL, .size = 0, .defines = defines };
HPy_MODINIT(%s, moduledef)
"""

SETUP_PY = """
from setuptools import setup, Extension
setup(name='hpy-env-test', version='0.1', packages=['pkg'],
      hpy_ext_modules=[Extension('pkg.good', sources=['good.c']),
                       Extension('pkg.goo', sources=['goo.c'])])
"""

@pytest.fixture(scope='module')
def stub_project(tmp_path_factory):
    """Build (once per test module and ABI) with setup.py a package `pkg` holding two modules,
    `good` and `goo` (a prefix of its name): each gets its binary and its generated stub."""
    projects = {}

    def get(abi):
        if abi not in projects:
            src = tmp_path_factory.mktemp('stub_' + abi)
            (src / 'setup.py').write_text(SETUP_PY)
            (src / 'pkg').mkdir()
            (src / 'pkg' / '__init__.py').write_text('')
            for mod in ('good', 'goo'):
                (src / (mod + '.c')).write_text(CTX_NAME % mod)
            res = subprocess.run([sys.executable, 'setup.py', '-q', '--hpy-abi=' + abi,
                                  'build_ext', '--inplace'], cwd=str(src), capture_output=True,
                                 text=True)
            assert res.returncode == 0, res.stdout + res.stderr
            for mod in ('good', 'goo'):
                assert '_load_bootstrap' in (src / 'pkg' / (mod + '.py')).read_text()
            projects[abi] = src
        return projects[abi]
    return get


IMPORT_BOTH = """
import importlib
for name in ('pkg.good', 'pkg.goo'):
    try:
        mod = importlib.import_module(name)
    except Exception as e:
        print('ERROR', name, type(e).__name__, e)
    else:
        print('OK', name, mod.ctx_name(), mod.__file__.endswith(%r))
"""

CONTEXT = {'universal': 'HPy Universal ABI (CPython backend)', 'debug': 'HPy Debug Mode ABI',
           'trace': 'HPy Trace Mode ABI'}
LOG_SUFFIX = {'universal': '', 'debug': ' with a debug context', 'trace': ' with a trace context'}


def import_with_hpy_env(project, abi, value):
    """Import pkg.good and pkg.goo through their stubs in a new interpreter with HPY=value
    (None: HPY unset) and HPY_LOG set; the lines it printed."""
    env = {k: v for k, v in os.environ.items() if k != 'HPY'}
    if value is not None:
        env['HPY'] = value
    env['HPY_LOG'] = '1'
    env['PYTHONPATH'] = str(project)
    code = IMPORT_BOTH % abitag.get_hpy_ext_suffix(abi)
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.splitlines()


@pytest.mark.parametrize('value,good,goo', [
    (None, 'universal', 'universal'),
    ('', 'universal', 'universal'),                     # empty: the default
    (' ', 'universal', 'universal'),
    ('debug', 'debug', 'debug'),
    ('TRACE', 'trace', 'trace'),                        # mode names ignore case
    ('Universal', 'universal', 'universal'),
    (' debug ', 'debug', 'debug'),
    ('goo:debug', 'universal', 'debug'),                # a whole name, never a prefix
    ('good:trace', 'trace', 'universal'),               # the others keep the default
    ('nothere:debug', 'universal', 'universal'),
    ('pkg.good:debug', 'debug', 'universal'),           # the full dotted name
    ('pkg.goo:Debug,good:trace', 'trace', 'debug'),
    ('other.good:debug', 'universal', 'universal'),     # the full name or the last component
    ('pkg:debug', 'universal', 'universal'),            # a package names no module in it
    ('debug,goo:trace', 'debug', 'trace'),              # a bare mode: the default of the others
    ('goo:trace,debug', 'debug', 'trace'),
    ('trace,goo:universal', 'trace', 'universal'),
    ('good:trace,pkg.good:debug', 'debug', 'universal'),    # the full name wins, in any order
    ('pkg.good:debug,good:trace', 'debug', 'universal'),
    (' good : debug ,\tgoo:trace ', 'debug', 'trace'),  # whitespace around items
])
def test_hpy_env_through_stub(stub_project, hpy_abi, value, good, goo):
    lines = import_with_hpy_env(stub_project(hpy_abi), hpy_abi, value)
    assert lines == [
        "Loading 'good' in HPy universal mode%s" % LOG_SUFFIX[good],
        'OK pkg.good %s True' % CONTEXT[good],
        "Loading 'goo' in HPy universal mode%s" % LOG_SUFFIX[goo],
        'OK pkg.goo %s True' % CONTEXT[goo],
    ]


@pytest.mark.parametrize('value', [
    'foo:bar',              # an unknown mode, for another module: refused all the same
    'good:bar',
    'debugx',
    'univ',                 # no abbreviations
    'd',
    ':debug',               # an empty name
    'good:',                # an empty mode
    'good: ',
    'good:debug,',          # an empty item
    ',debug',
    'good:debug,,goo:trace',
    'debug,trace',          # two defaults
    'debug,debug',
    'good:debug,good:trace',    # a name twice
    'goo:debug,goo:debug',
    'good:debug:trace',
    'go od:debug',
    'pkg..good:debug',
    '1good:debug',
    'good=debug',
    'd\u00e9bug',
])
def test_hpy_env_malformed(stub_project, hpy_abi, value):
    lines = import_with_hpy_env(stub_project(hpy_abi), hpy_abi, value)
    msg = ('ValueError invalid value of HPY: %r (expected universal, debug or trace, or per '
           'module: name:mode[,name:mode...], plus at most one bare mode for the modules not '
           'named)' % value)
    assert lines == ['ERROR pkg.good ' + msg, 'ERROR pkg.goo ' + msg]


@pytest.mark.parametrize('env,suffix', [
    ({'HPY_LOG': ''}, ''),
    ({'HPY_LOG': '1', 'HPY': 'universal'}, ''),
])
def test_hpy_log(tmp_path, hpy_abi, env, suffix):
    name, path = build(GOOD, tmp_path, hpy_abi)
    res = run_python(_bootstrap_code(name, path, env))
    lines = res.stdout.splitlines()
    assert lines[0] == "Loading '%s' in HPy universal mode%s" % (name, suffix)
    assert lines[1].startswith('OK')


# ---- every load's module definition goes with its module ---------------------------------------

MANY_METHODS = ''.join('''
    HPyDef_METH(f%d, "f%d", HPyFunc_NOARGS)
    static HPy f%d_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, %d); }
    @EXPORT(f%d)
''' % ((i,) * 5) for i in range(8)) + '@INIT\n'

EXEC_FAILS = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 7); }
    HPyDef_SLOT(ex, HPy_mod_exec)
    static int ex_impl(HPyContext *ctx, HPy m)
    {
        (void)m;
        HPyErr_SetString(ctx, ctx->h_ValueError, "exec failed");
        return -1;
    }
    @EXPORT(f)
    @EXPORT(ex)
    @INIT
'''

CREATES_A_LIST = '''
    HPyDef_SLOT(create, HPy_mod_create)
    static HPy create_impl(HPyContext *ctx, HPy spec) { (void)spec; return HPyList_New(ctx, 0); }
    @EXPORT(create)
'''
CREATES_A_LIST_INIT = '''
    static HPyDef *defines[] = { &create, NULL };
    static HPyModuleDef moduledef = { .doc = NULL, .size = 0, .defines = defines };
    HPy_MODINIT(%s, moduledef)
'''

# In a new interpreter whose allocations all go to malloc (PYTHONMALLOC=malloc), load the same
# binary 10 000 times, dropping each result, and report the growth of the bytes malloc has in use
# (glibc's mallinfo2) after each block of 2000 loads following the first.
LOAD_AND_DROP = r'''
import ctypes, gc, importlib.machinery, importlib.util, json, sys
import hpy.universal

class MallInfo2(ctypes.Structure):
    _fields_ = [(f, ctypes.c_size_t) for f in ('arena', 'ordblks', 'smblks', 'hblks', 'hblkhd',
                                                'usmblks', 'fsmblks', 'uordblks', 'fordblks',
                                                'keepcost')]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = MallInfo2

def in_use():
    info = mallinfo2()
    return info.uordblks + info.hblkhd

name, path, mode, spec_kind = %r, %r, %r, %r
spec = (importlib.util.spec_from_file_location(
    name, path, loader=importlib.machinery.ExtensionFileLoader(name, path))
    if spec_kind == 'file' else object())

def block(n):
    outcome = set()
    for _ in range(n):
        try:
            m = hpy.universal.load(name, path, spec, mode=mode)
        except Exception as e:
            outcome.add(type(e).__name__)
        else:
            outcome.add(type(m).__name__)
            del m
    gc.collect()
    return outcome

outcomes = block(2000)
base = in_use()
growth = []
for _ in range(4):
    outcomes |= block(2000)
    growth.append(in_use() - base)
print(json.dumps([sorted(outcomes), growth]))
'''

# Loading keeps nothing per load: what a leak of a module definition per load would add (a
# hundred bytes and more) over 8000 loads is far above this; the interpreter's own caches stay
# within a few KiB.
MEASURED_LOADS = 8000
MAX_GROWTH = MEASURED_LOADS * 16


def load_and_drop(name, path, mode=0, spec_kind='file'):
    res = run_python(LOAD_AND_DROP % (name, path, mode, spec_kind), env={'PYTHONMALLOC': 'malloc'})
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize('case,mode,outcome', [
    ('module', 0, 'module'),
    ('module', 1, 'module'),            # debug and trace modes
    ('module', 2, 'module'),
    ('exec_fails', 0, 'ValueError'),    # the module is made, exec fails, the module is dropped
    ('create', 0, 'list'),              # HPy_mod_create: no module object holds the definition
    ('no_spec_name', 0, 'AttributeError'),  # refused before any module exists
])
@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_load_and_drop_keeps_memory_flat(tmp_path, hpy_abi, case, mode, outcome):
    if case == 'exec_fails':
        name, path = build(EXEC_FAILS, tmp_path, hpy_abi)
    elif case == 'create':
        name, path = build(CREATES_A_LIST + CREATES_A_LIST_INIT % 'creates', tmp_path, hpy_abi,
                           name='creates')
    else:
        name, path = build(MANY_METHODS, tmp_path, hpy_abi)
    outcomes, growth = load_and_drop(name, path, mode,
                                     'none' if case == 'no_spec_name' else 'file')
    assert outcomes == [outcome]
    assert growth[-1] < MAX_GROWTH, 'malloc in use grew by %r bytes after each 2000 loads' % growth


LEGACY_BAD_FLAGS = '''#include "hpy.h"
static PyObject *legacy(PyObject *self, PyObject *arg) { (void)self; (void)arg; return NULL; }
static PyMethodDef legacy_methods[] = {
    {"legacy", legacy, METH_O | METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};
HPyDef_METH(f, "f", HPyFunc_NOARGS)
static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 7); }
static HPyDef *defines[] = { &f, NULL };
static HPyModuleDef moduledef = { .doc = NULL, .size = 0, .legacy_methods = legacy_methods,
                                  .defines = defines };
HPy_MODINIT(badflags, moduledef)
'''


def test_module_dropped_while_being_made(tmp_path):
    # CPython makes the module, then fails on the bad flags of a legacy method and drops it
    # before returning: the definition is freed exactly once.
    name, path = build(LEGACY_BAD_FLAGS, tmp_path, 'hybrid', name='badflags', template=False)
    with pytest.raises(SystemError):
        load(name, path)
    outcomes, growth = load_and_drop(name, path)
    assert outcomes == ['SystemError']
    assert growth[-1] < MAX_GROWTH, 'malloc in use grew by %r bytes after each 2000 loads' % growth
