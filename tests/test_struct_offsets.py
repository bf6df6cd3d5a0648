"""_HPy_AsStruct_<shape> without a context call: a universal context that advertises where a
module's struct starts in an object of each builtin shape (hpy/universal/hpyfunc_trampolines.h)
lets the universal wrappers compute the address themselves. They must agree with the context's
own functions, and the debug and trace contexts (which must see every call) do not advertise."""

TEST_ABIS = ['universal', 'hybrid', 'universal-dispatch', 'trace', 'debug', 'hybrid-debug']

SRC = '''
    /* args: one object per shape, in the order Legacy, Object, Type, Long, Float, Unicode,
     * Tuple, List, Dict, then an Object-shape object with items; returns (same addresses as the
     * context's functions, offsets known). With compare false, only the second (the debug
     * context checks shapes on its own path). */
    HPyDef_METH(check, "check", HPyFunc_VARARGS)
    static HPy check_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self;
        int same = 1;
        if (nargs == 11 && HPy_IsTrue(ctx, args[10])) {
    #define CMP(S, i) same &= _HPy_AsStruct_##S(ctx, args[i]) == ctx->ctx_AsStruct_##S(ctx, args[i]);
            CMP(Legacy, 0) CMP(Object, 1) CMP(Type, 2) CMP(Long, 3) CMP(Float, 4)
            CMP(Unicode, 5) CMP(Tuple, 6) CMP(List, 7) CMP(Dict, 8) CMP(Object, 9)
    #undef CMP
        }
        return HPy_BuildValue(ctx, "ii", same, _hpy_struct_offsets != NULL);
    }

    /* a type of the default shape with items */
    static HPyType_Spec Var_spec = { .name = "mytest.Var", .basicsize = 8, .itemsize = 8 };
    HPyDef_METH(var_type, "var_type", HPyFunc_NOARGS)
    static HPy var_type_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return HPyType_FromSpec(ctx, &Var_spec, NULL);
    }
    @EXPORT(check)
    @EXPORT(var_type)
    @INIT
'''


def test_struct_addresses(compile_module, hpy_abi):
    mod = compile_module(SRC)
    objs = (object(), object(), int, 12345678901234567890, 1.5, 'text', (1, 2), [1], {1: 2},
            mod.var_type()())
    compare = hpy_abi in ('universal', 'hybrid', 'universal-dispatch', 'trace')
    same, known = mod.check(*objs, compare)
    assert same == 1
    # only the plain universal context advertises the offsets
    assert known == (1 if hpy_abi in ('universal', 'hybrid') else 0)
