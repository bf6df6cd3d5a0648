"""Debug mode and the exception state (docs/exceptions.md): a non-exception given to
HPyErr_SetRaisedException is reported, a closed handle is a use of a closed handle, and the
exception HPyErr_GetRaisedException hands out is a handle to close like any other."""
import textwrap

import pytest

from hpy.debug import HPyLeakError, LeakDetector
from hpy.universal import _debug
from support import DEBUG_ABIS, run_python

TEST_ABIS = list(DEBUG_ABIS)

# These tests count reports and leaks themselves; under --refleaks they run once.
pytestmark = pytest.mark.no_refleak_check

MISUSES = r'''
    HPyDef_METH(put, "put", HPyFunc_O)
    static HPy put_impl(HPyContext *ctx, HPy self, HPy exc)
    {
        (void)self;
        HPyErr_SetRaisedException(ctx, exc);
        return HPy_NULL;
    }

    /* The exception is put back through a handle closed before. */
    HPyDef_METH(put_closed, "put_closed", HPyFunc_O)
    static HPy put_closed_impl(HPyContext *ctx, HPy self, HPy exc)
    {
        (void)self;
        HPy h = HPy_Dup(ctx, exc);
        HPy_Close(ctx, h);
        HPyErr_SetRaisedException(ctx, h);
        return HPy_NULL;
    }

    /* The exception f() raised is taken out and never closed. */
    HPyDef_METH(take_and_leak, "take_and_leak", HPyFunc_O)
    static HPy take_and_leak_impl(HPyContext *ctx, HPy self, HPy f)
    {
        (void)self;
        HPy r = HPy_Call(ctx, f, NULL, 0, HPy_NULL);
        if (!HPy_IsNull(r))
            return r;
        HPy exc = HPyErr_GetRaisedException(ctx);
        (void)exc;
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* The same, closed. */
    HPyDef_METH(take_and_close, "take_and_close", HPyFunc_O)
    static HPy take_and_close_impl(HPyContext *ctx, HPy self, HPy f)
    {
        (void)self;
        HPy r = HPy_Call(ctx, f, NULL, 0, HPy_NULL);
        if (!HPy_IsNull(r))
            return r;
        HPy_Close(ctx, HPyErr_GetRaisedException(ctx));
        return HPy_Dup(ctx, ctx->h_None);
    }
    @EXPORT(put)
    @EXPORT(put_closed)
    @EXPORT(take_and_leak)
    @EXPORT(take_and_close)
    @INIT
'''


@pytest.fixture
def mod(compile_module):
    return compile_module(MISUSES)


def run_in_debug_mode(compile_module, code):
    name, path = compile_module.compile(MISUSES)
    prog = textwrap.dedent('''
        import importlib.util, resource
        import hpy.universal
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core file
        import importlib.machinery
        _name, _path = %r, %r
        spec = importlib.util.spec_from_file_location(
            _name, _path, loader=importlib.machinery.ExtensionFileLoader(_name, _path))
        mod = hpy.universal.load(%r, %r, spec, mode=hpy.universal.MODE_DEBUG)
        print('loaded', flush=True)
    ''') % (name, path, name, path)
    return run_python(prog + code + '\nprint("survived", flush=True)\n',
                      env={'PYTHONFAULTHANDLER': ''})


@pytest.mark.parametrize('obj', ['5', '"text"', 'None', 'ValueError'])
def test_non_exception_is_fatal(compile_module, obj):
    res = run_in_debug_mode(compile_module, 'mod.put(%s)' % obj)
    assert res.stdout == 'loaded\n', res.stderr
    assert res.returncode != 0
    assert 'Fatal Python error' in res.stderr
    assert 'HPyErr_SetRaisedException arg must be an exception instance or HPy_NULL' in res.stderr


def test_exceptions_and_null_are_accepted(compile_module):
    res = run_in_debug_mode(compile_module, textwrap.dedent('''
        err = KeyError('k')
        try:
            mod.put(err)
        except KeyError as e:
            assert e is err
        assert mod.take_and_close(lambda: 1 / 0) is None
    '''))
    assert res.returncode == 0, res.stderr
    assert res.stdout == 'loaded\nsurvived\n'


def test_closed_handle_is_reported(mod):
    reports = []
    _debug.set_on_invalid_handle(lambda: reports.append(1))
    try:
        err = ValueError('still alive: the caller holds it')
        with pytest.raises(ValueError) as info:
            mod.put_closed(err)
    finally:
        _debug.set_on_invalid_handle(None)
    assert reports == [1]
    assert info.value is err                # the operation goes on after the report


def test_exception_taken_out_and_not_closed_is_a_leak(mod):
    err = ValueError('leaked')

    def f():
        raise err
    with pytest.raises(HPyLeakError) as info:
        with LeakDetector():
            mod.take_and_leak(f)
    leaks = info.value.leaks
    assert [h.obj for h in leaks] == [err]
    for h in leaks:
        h._force_close()
    with LeakDetector():
        assert mod.take_and_close(f) is None
