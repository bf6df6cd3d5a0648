"""Handles: Dup/Close, and every handle constant of the context."""
import builtins
import datetime
import os

import pytest

from support import ROOT, refcount


def context_handles():
    names = []
    with open(os.path.join(ROOT, 'api', 'ctx.tsv')) as f:
        for line in f:
            cells = line.rstrip('\n').split('\t')
            if len(cells) > 2 and cells[1] == 'handle':
                names.append(cells[2])
    return names


EXPECTED_TYPES = {
    'h_BaseObjectType': object, 'h_TypeType': type, 'h_BoolType': bool, 'h_LongType': int,
    'h_FloatType': float, 'h_UnicodeType': str, 'h_TupleType': tuple, 'h_ListType': list,
    'h_ComplexType': complex, 'h_BytesType': bytes, 'h_MemoryViewType': memoryview,
    'h_SliceType': slice, 'h_DictType': dict,
    'h_Builtins': builtins.__dict__, 'h_None': None, 'h_True': True, 'h_False': False,
    'h_NotImplemented': NotImplemented, 'h_Ellipsis': Ellipsis,
}


# the capsule type, from a capsule the interpreter's datetime module exports (PyPy's does not:
# there, the type the context gives is checked by its name)
if hasattr(datetime, 'datetime_CAPI'):
    EXPECTED_TYPES['h_CapsuleType'] = type(datetime.datetime_CAPI)


def expected_object(name, value=None):
    if name == 'h_CapsuleType' and name not in EXPECTED_TYPES:
        assert isinstance(value, type) and value.__name__ == 'PyCapsule', value
        return value
    if name in EXPECTED_TYPES:
        return EXPECTED_TYPES[name]
    return getattr(builtins, name[2:])


def test_all_84_constants(compile_module):
    names = context_handles()
    assert len(names) == 84
    items = ''.join('    HPyTupleBuilder_Set(ctx, b, %d, ctx->%s);\n' % (i, n)
                    for i, n in enumerate(names))
    mod = compile_module('''
        HPyDef_METH(constants, "constants", HPyFunc_NOARGS)
        static HPy constants_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            HPyTupleBuilder b = HPyTupleBuilder_New(ctx, %d);
        %s
            return HPyTupleBuilder_Build(ctx, b);
        }
        @EXPORT(constants)
        @INIT
    ''' % (len(names), items))
    values = mod.constants()
    for name, value in zip(names, values):
        assert value is expected_object(name, value), name


def test_builtins_is_the_builtins_dict(compile_module):
    # Code written for upstream looks builtins up with the item protocol, not as attributes.
    mod = compile_module('''
        HPyDef_METH(lookup, "lookup", HPyFunc_O)
        static HPy lookup_impl(HPyContext *ctx, HPy self, HPy name)
        {
            (void)self;
            if (!HPyDict_Check(ctx, ctx->h_Builtins))
                return HPyErr_SetString(ctx, ctx->h_AssertionError, "h_Builtins is no dict");
            return HPy_GetItem(ctx, ctx->h_Builtins, name);
        }
        @EXPORT(lookup)
        @INIT
    ''')
    assert mod.lookup('len') is len
    assert mod.lookup('ValueError') is ValueError
    with pytest.raises(KeyError):
        mod.lookup('no_such_builtin')


def test_dup_and_close(compile_module):
    mod = compile_module('''
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            HPy a = HPy_Dup(ctx, arg);
            HPy b = HPy_Dup(ctx, a);
            HPy_Close(ctx, a);
            HPy null_dup = HPy_Dup(ctx, HPy_NULL);
            HPy_Close(ctx, HPy_NULL);
            if (!HPy_IsNull(null_dup))
                return HPyErr_SetString(ctx, ctx->h_AssertionError, "dup of HPy_NULL");
            if (!HPy_Is(ctx, b, arg))
                return HPyErr_SetString(ctx, ctx->h_AssertionError, "dup is another object");
            return b;
        }
        @EXPORT(f)
        @INIT
    ''')
    obj = object()
    before = refcount(obj)
    for _ in range(100):
        assert mod.f(obj) is obj
    assert refcount(obj) == before


def test_void_pointer_roundtrip_and_context_fields(compile_module, hpy_abi):
    mod = compile_module('''
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            void *p = HPy_AsVoidP(self);
            HPy back = HPy_FromVoidP(p);
            if (!HPy_Is(ctx, back, self) || ctx->abi_version != HPY_ABI_VERSION)
                return HPyErr_SetString(ctx, ctx->h_AssertionError, "roundtrip");
            return HPyUnicode_FromString(ctx, ctx->name);
        }
        @EXPORT(f)
        @INIT
    ''')
    name = mod.f()
    if hpy_abi == 'cpython':
        assert name == 'HPy CPython ABI'
    elif hpy_abi == 'trace':
        assert name == 'HPy Trace Mode ABI'
    elif hpy_abi in ('debug', 'hybrid-debug'):
        assert name.startswith('HPy Debug Mode ABI')
    else:
        assert name.startswith('HPy Universal ABI')
