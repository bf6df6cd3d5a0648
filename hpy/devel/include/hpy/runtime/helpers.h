/* Convenience helpers built on the public API. */
#ifndef HPY_RUNTIME_HELPERS_H
#define HPY_RUNTIME_HELPERS_H

/* Returns 1 on success, 0 on failure. */
HPyAPI_HELPER int HPyHelpers_AddType(HPyContext *ctx, HPy obj, const char *name,
                                     HPyType_Spec *hpyspec, HPyType_SpecParam *params);

/* Returns 1 on success, 0 on failure; the outputs are written only on success. */
HPyAPI_HELPER int HPyHelpers_PackArgsAndKeywords(HPyContext *ctx, const HPy *args, size_t nargs,
                                                 HPy kwnames, HPy *out_pos_args, HPy *out_kwd);

#endif /* HPY_RUNTIME_HELPERS_H */
