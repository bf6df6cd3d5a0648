"""hpy.universal.load and _load_bootstrap: the loader's checks and exact messages (abi.md §9.3-9.4),
mode selection from HPY, HPY_LOG."""
import importlib.util
import os
import shutil

import pytest

import hpy.universal
from support import compile_module as build, run_python

TEST_ABIS = ['universal', 'hybrid']

from hpy.devel.abitag import HPY_ABI_VERSION_MINOR as RUNTIME_MINOR

GOOD = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 7); }
    @EXPORT(f)
    @INIT
'''


def load(name, path, **kw):
    spec = importlib.util.spec_from_file_location(name, path)
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
spec = importlib.util.spec_from_file_location(%r, %r)
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
    ({'HPY': 'univ'}, 'OK'),
    ({'HPY': 'debugx'}, 'ERROR ValueError invalid HPy mode: debugx'),
    ({'HPY': 'other:universal'}, 'ERROR ValueError invalid HPy mode: other:universal'),
])
def test_load_bootstrap(tmp_path, hpy_abi, env, expected):
    name, path = build(GOOD, tmp_path, hpy_abi)
    res = run_python(_bootstrap_code(name, path, env))
    assert res.returncode == 0, res.stderr
    out = res.stdout.strip()
    assert out.startswith(expected), out
    if expected == 'OK':
        assert out == 'OK pkg.%s pkg True True True True 7' % name


def test_per_module_mode_entry_matches_by_prefix(tmp_path, hpy_abi):
    name, path = build(GOOD, tmp_path, hpy_abi)
    env = {'HPY': 'zzz:debug,%s:universal' % name[:4]}
    res = run_python(_bootstrap_code(name, path, env))
    assert res.stdout.strip().startswith('OK'), res.stdout + res.stderr


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
