"""The exception-state members are minor 2 (docs/abi-evolution.md): a universal binary calling
any of them requires 0.2 and a minor-1 runtime refuses it at load time with the documented
message, while modules of minor 0 and 1 still load."""
import ctypes

import pytest

from support import extension_spec

import hpy.universal

TEST_ABIS = ['universal', 'hybrid']

MINOR_0 = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 0); }
    @EXPORT(f)
    @INIT
'''

MINOR_1 = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPyThreadState st = HPy_AttachThread(ctx);
        HPy_DetachThread(ctx, st);
        return HPyLong_FromLong(ctx, 1);
    }
    @EXPORT(f)
    @INIT
'''

# one module per minor-2 member, each calling only that member
USES_MINOR_2 = {
    'HPyErr_GetRaisedException': '''
        HPy exc = HPyErr_GetRaisedException(ctx);
        HPy_Close(ctx, exc);
    ''',
    'HPyErr_SetRaisedException': '''
        HPyErr_SetRaisedException(ctx, HPy_NULL);
    ''',
    'HPyTraceback_Add': '''
        HPyTraceback_Add(ctx, "f", "f.pyx", 1);
    ''',
}

MINOR_2 = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        %s
        return HPyLong_FromLong(ctx, 2);
    }
    @EXPORT(f)
    @INIT
'''


def required_minor(name, path):
    getter = getattr(ctypes.CDLL(path), 'get_required_hpy_minor_version_' + name)
    getter.restype = ctypes.c_uint32
    return getter()


def load(name, path):
    return hpy.universal.load(name, path, extension_spec(name, path))


@pytest.mark.parametrize('member', sorted(USES_MINOR_2))
def test_module_using_a_minor_2_member_requires_0_2(compile_module, member):
    name, path = compile_module.compile(MINOR_2 % USES_MINOR_2[member])
    assert required_minor(name, path) == 2
    assert load(name, path).f() == 2


@pytest.mark.parametrize('member', sorted(USES_MINOR_2))
def test_minor_1_runtime_refuses_it(compile_module, member):
    name0, path0 = compile_module.compile(MINOR_0)
    name1, path1 = compile_module.compile(MINOR_1)
    name2, path2 = compile_module.compile(MINOR_2 % USES_MINOR_2[member])
    assert (required_minor(name0, path0), required_minor(name1, path1)) == (0, 1)
    hpy.universal._set_runtime_minor(1)
    try:
        assert load(name0, path0).f() == 0
        assert load(name1, path1).f() == 1
        with pytest.raises(RuntimeError) as e:
            load(name2, path2)
    finally:
        hpy.universal._set_runtime_minor(None)
    assert str(e.value) == ("HPy extension module '%s' requires unsupported version of the HPy "
                            "runtime. Requested version: 0.2. Current HPy version: 0.1." % name2)


def test_minor_0_runtime_refuses_minor_2(compile_module):
    name0, path0 = compile_module.compile(MINOR_0)
    name2, path2 = compile_module.compile(MINOR_2 % USES_MINOR_2['HPyTraceback_Add'])
    hpy.universal._set_runtime_minor(0)
    try:
        assert load(name0, path0).f() == 0
        with pytest.raises(RuntimeError) as e:
            load(name2, path2)
    finally:
        hpy.universal._set_runtime_minor(None)
    assert str(e.value).endswith('Requested version: 0.2. Current HPy version: 0.0.')
