/* The native part of hpyexample: a keyword function, an exception, a counter kept in a
 * module global. Built once in the universal ABI, the same binary runs on every CPython. */
#include "hpy.h"

HPyDef_METH(greet, "greet", HPyFunc_KEYWORDS,
            .doc = "greet(name, punctuation='!'): 'Hello, <name><punctuation>'")
static HPy greet_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    static const char *kwlist[] = { "name", "punctuation", NULL };
    HPy name, punctuation = HPy_NULL;
    HPyTracker ht;
    (void)self;
    if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "O|O:greet", kwlist,
                              &name, &punctuation))
        return HPy_NULL;
    if (!HPyUnicode_Check(ctx, name)) {
        HPyTracker_Close(ctx, ht);
        return HPyErr_SetString(ctx, ctx->h_TypeError, "greet() expects a str name");
    }
    HPy result = HPyUnicode_FromFormat(ctx, "Hello, %U%s", name,
                                       HPy_IsNull(punctuation) ? "!" : "");
    if (!HPy_IsNull(result) && !HPy_IsNull(punctuation)) {
        HPy joined = HPy_Add(ctx, result, punctuation);
        HPy_Close(ctx, result);
        result = joined;
    }
    HPyTracker_Close(ctx, ht);
    return result;
}

HPyDef_METH(add, "add", HPyFunc_VARARGS, .doc = "add(a, b): a + b")
static HPy add_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy a, b;
    (void)self;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:add", &a, &b))
        return HPy_NULL;
    return HPy_Add(ctx, a, b);
}

HPyDef_METH(context_name, "context_name", HPyFunc_NOARGS,
            .doc = "The context running this module (universal, debug or trace)")
static HPy context_name_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, ctx->name);
}

static HPyDef *module_defines[] = { &greet, &add, &context_name, NULL };

static HPyModuleDef moduledef = {
    .doc = "hpyexample's native functions",
    .defines = module_defines,
};

HPy_MODINIT(_native, moduledef)
