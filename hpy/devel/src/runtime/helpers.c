/* Convenience helpers built on the public API (api.md 6.4.4). Both return 1 on success and 0
 * with an exception set on failure. */
#include "hpy.h"

/* Create a type from `hpyspec`/`params` and store it as attribute `name` of `obj` (typically a
 * module). The temporary type handle is always closed. */
HPyAPI_HELPER int HPyHelpers_AddType(HPyContext *ctx, HPy obj, const char *name,
                                     HPyType_Spec *hpyspec, HPyType_SpecParam *params)
{
    HPy h_type = HPyType_FromSpec(ctx, hpyspec, params);
    int res;
    if (HPy_IsNull(h_type))
        return 0;
    res = HPy_SetAttr_s(ctx, obj, name, h_type);
    HPy_Close(ctx, h_type);
    return res == 0;
}

/* Convert vectorcall-style arguments (args[0..nargs) positionals, then one value per entry of
 * the `kwnames` tuple) into a tuple and a dict. Either output is HPy_NULL when there is nothing
 * to put in it (nargs == 0, resp. no keywords). The outputs are written only on success. */
HPyAPI_HELPER int HPyHelpers_PackArgsAndKeywords(HPyContext *ctx, const HPy *args, size_t nargs,
                                                 HPy kwnames, HPy *out_pos_args, HPy *out_kwd)
{
    HPy pos = HPy_NULL, kwd = HPy_NULL;
    HPy_ssize_t nkw = 0, i;

    if (out_pos_args == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError, "argument 'out_pos_args' must not be NULL");
        return 0;
    }
    if (out_kwd == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError, "argument 'out_kwd' must not be NULL");
        return 0;
    }
    if (!HPy_IsNull(kwnames)) {
        nkw = HPy_Length(ctx, kwnames);
        if (nkw < 0)
            return 0;
    }
    if (nargs > 0) {
        pos = HPyTuple_FromArray(ctx, args, (HPy_ssize_t)nargs);
        if (HPy_IsNull(pos))
            return 0;
    }
    if (nkw > 0) {
        kwd = HPyDict_New(ctx);
        if (HPy_IsNull(kwd))
            goto fail;
        for (i = 0; i < nkw; i++) {
            HPy key = HPy_GetItem_i(ctx, kwnames, i);
            int res;
            if (HPy_IsNull(key))
                goto fail;
            res = HPy_SetItem(ctx, kwd, key, args[nargs + (size_t)i]);
            HPy_Close(ctx, key);
            if (res < 0)
                goto fail;
        }
    }
    *out_pos_args = pos;
    *out_kwd = kwd;
    return 1;
fail:
    HPy_Close(ctx, pos);
    HPy_Close(ctx, kwd);
    return 0;
}
