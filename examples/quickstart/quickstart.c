/* The smallest useful HPy extension: one source, built for every ABI. */
#include "hpy.h"

HPyDef_METH(say_hello, "say_hello", HPyFunc_NOARGS, .doc = "Return a greeting")
static HPy say_hello_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, "Hello world");
}

HPyDef_METH(add, "add", HPyFunc_VARARGS, .doc = "Add two objects")
static HPy add_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "add() takes exactly 2 arguments");
    return HPy_Add(ctx, args[0], args[1]);
}

HPyDef_METH(abi, "abi", HPyFunc_NOARGS, .doc = "The ABI this module was compiled for")
static HPy abi_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, HPY_ABI);
}

HPyDef_METH(context_name, "context_name", HPyFunc_NOARGS, .doc = "Name of the running context")
static HPy context_name_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, ctx->name);
}

/* A deliberate mistake, for the debug-mode step of the demo: the handle made by
 * HPyLong_FromLong is never closed. It goes unnoticed in the other modes; loaded in debug mode
 * (HPY=debug) a hpy.debug.LeakDetector reports it. */
HPyDef_METH(leak, "leak", HPyFunc_NOARGS, .doc = "Leak a handle (a deliberate bug)")
static HPy leak_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    HPyLong_FromLong(ctx, 42);              /* the mistake: this new handle is never closed */
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *module_defines[] = {
    &say_hello,
    &add,
    &abi,
    &context_name,
    &leak,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "HPy quickstart example",
    .defines = module_defines,
};

HPy_MODINIT(quickstart, moduledef)
