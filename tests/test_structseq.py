"""Tests of struct sequences and the misc helpers (all ABIs)."""
import pytest

STRUCTSEQ = '''
    static HPyStructSequence_Field fields[] = {
        { "field0", "doc0" },
        { "field1", NULL },
        { NULL, NULL },          /* becomes the unnamed field at init */
        { NULL, NULL },
    };
    static HPyStructSequence_Field no_fields[] = { { NULL, NULL } };
    static HPyStructSequence_Desc with_desc = { "mytest.pkg.WithFields", "some doc", fields };
    static HPyStructSequence_Desc no_desc = { "NoFields", NULL, no_fields };
    static HPyStructSequence_Desc bad_desc = { NULL, NULL, no_fields };

    HPyDef_METH(newtype, "newtype", HPyFunc_O)
    static HPy newtype_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        fields[2].name = HPyStructSequence_UnnamedField;
        switch (HPyLong_AsLong(ctx, arg)) {
        case 0: return HPyStructSequence_NewType(ctx, &with_desc);
        case 1: return HPyStructSequence_NewType(ctx, &no_desc);
        default: return HPyStructSequence_NewType(ctx, &bad_desc);
        }
    }

    HPyDef_METH(new, "new", HPyFunc_VARARGS)
    static HPy new_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self;
        return HPyStructSequence_New(ctx, args[0], (HPy_ssize_t)nargs - 1, (HPy *)args + 1);
    }

    HPyDef_METH(unnamed, "unnamed", HPyFunc_NOARGS)
    static HPy unnamed_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return HPyUnicode_FromString(ctx, HPyStructSequence_UnnamedField);
    }
    @EXPORT(newtype)
    @EXPORT(new)
    @EXPORT(unnamed)
    @INIT
'''


def test_structseq(compile_module, hpy_abi):
    mod = compile_module(STRUCTSEQ)
    assert mod.unnamed() == '_'
    W = mod.newtype(0)
    N = mod.newtype(1)
    assert issubclass(W, tuple) and issubclass(N, tuple)
    assert W.__name__ == 'WithFields'
    assert W.__module__ == 'mytest.pkg'
    assert W.__doc__ == 'some doc'
    assert W.n_fields == 3 and N.n_fields == 0
    assert N.__name__ == 'NoFields' and N.__doc__ is None
    if hpy_abi != 'cpython':
        assert W.__qualname__ == 'WithFields'
    s = mod.new(W, 1, 2, 3)
    assert s == (1, 2, 3) and type(s) is W
    assert s.field0 == 1 and s.field1 == 2 and s[2] == 3
    assert 'field0=1' in repr(s)
    assert mod.new(N) == ()
    with pytest.raises(SystemError) as e:
        mod.newtype(2)
    assert str(e.value) == 'Struct sequence descriptor does not define the name field.'
    with pytest.raises(TypeError) as e:
        mod.new(str, 1)
    if hpy_abi == 'cpython':
        assert str(e.value) == "type 'str' does not look like a struct sequence type"
    else:
        assert str(e.value) == "object '<class 'str'>' does not look like a struct sequence type "
    with pytest.raises(TypeError):
        mod.new(type('Dummy', (), dict(n_fields=3)), 1, 2, 3)
    if hpy_abi == 'cpython':
        with pytest.raises(TypeError) as e:
            mod.new(W, 1, 2)
        assert str(e.value) == 'expected exactly 3 arguments but got 2'
    else:
        assert mod.new(W, 1, 2) == (1, 2, None)
    with pytest.raises(TypeError):
        mod.new(W, 1, 2, 3, 4)


def test_pack_args(compile_module):
    mod = compile_module('''
        HPyDef_METH(pack, "pack", HPyFunc_KEYWORDS)
        static HPy pack_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
        {
            HPy pos = HPy_FromVoidP((void *)1), kw = HPy_FromVoidP((void *)1), res;
            (void)self;
            if (!HPyHelpers_PackArgsAndKeywords(ctx, args, nargs, kwnames, &pos, &kw))
                return HPy_NULL;
            res = HPyTuple_Pack(ctx, 2, HPy_IsNull(pos) ? ctx->h_None : pos,
                                HPy_IsNull(kw) ? ctx->h_None : kw);
            HPy_Close(ctx, pos);
            HPy_Close(ctx, kw);
            return res;
        }
        HPyDef_METH(nulls, "nulls", HPyFunc_O)
        static HPy nulls_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy out = HPy_NULL;
            (void)self;
            if (HPyLong_AsLong(ctx, arg))
                HPyHelpers_PackArgsAndKeywords(ctx, &arg, 1, HPy_NULL, NULL, &out);
            else
                HPyHelpers_PackArgsAndKeywords(ctx, &arg, 1, HPy_NULL, &out, NULL);
            return HPy_NULL;
        }
        @EXPORT(pack)
        @EXPORT(nulls)
        @INIT
    ''')
    assert mod.pack() == (None, None)
    assert mod.pack(1, 2) == ((1, 2), None)
    assert mod.pack(1, a=2, b=3) == ((1,), {'a': 2, 'b': 3})
    assert mod.pack(a=2) == (None, {'a': 2})
    with pytest.raises(SystemError) as e:
        mod.nulls(1)
    assert str(e.value) == "argument 'out_pos_args' must not be NULL"
    with pytest.raises(SystemError) as e:
        mod.nulls(0)
    assert str(e.value) == "argument 'out_kwd' must not be NULL"
