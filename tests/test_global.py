"""HPyGlobal: module-level references registered in HPyModuleDef.globals."""

from support import refcount


def test_store_and_load(compile_module):
    mod = compile_module('#include "hpy.h"\n' + '''
        static HPyGlobal g_value;
        static HPyGlobal g_other;

        HPyDef_METH(store, "store", HPyFunc_O)
        static HPy store_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            HPyGlobal_Store(ctx, &g_value, arg);
            return HPy_Dup(ctx, ctx->h_None);
        }
        HPyDef_METH(load, "load", HPyFunc_NOARGS)
        static HPy load_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPyGlobal_Load(ctx, g_value);
        }
        HPyDef_SLOT(init, HPy_mod_exec)
        static int init_impl(HPyContext *ctx, HPy m)
        {
            (void)m;
            HPy v = HPyUnicode_FromString(ctx, "initial");
            HPyGlobal_Store(ctx, &g_value, v);
            HPyGlobal_Store(ctx, &g_other, ctx->h_None);
            HPy_Close(ctx, v);
            return 0;
        }
        static HPyDef *defs[] = { &store, &load, &init, NULL };
        static HPyGlobal *globals[] = { &g_value, &g_other, NULL };
        static HPyModuleDef moduledef = { .doc = "globals", .defines = defs, .globals = globals };
        HPy_MODINIT(globalsmod, moduledef)
    ''', name='globalsmod', template=False)
    assert mod.load() == 'initial'
    obj = object()
    base = refcount(obj)
    mod.store(obj)
    assert mod.load() is obj
    assert refcount(obj) == base + 1        # the global holds one reference
    for _ in range(20):
        mod.store(obj)
        assert mod.load() is obj
    assert refcount(obj) == base + 1        # storing again releases the previous value
    mod.store(None)
    assert refcount(obj) == base
    mod.store('initial')        # the module object is reused when --refleaks repeats the test
