/* HPyModuleDef and HPy_MODINIT: how a module presents itself to the loader. */
#ifndef HPY_HPYMODULE_H
#define HPY_HPYMODULE_H

typedef struct {
    const char *doc;
    HPy_ssize_t size;                 /* module state: must be 0 */
    cpy_PyMethodDef *legacy_methods;  /* hybrid and CPython ABI only */
    HPyDef **defines;                 /* NULL-terminated: methods, HPy_mod_create, HPy_mod_exec */
    HPyGlobal **globals;              /* NULL-terminated */
} HPyModuleDef;

#if defined(HPY_EMBEDDED_MODULES)
#  define HPY_MOD_EMBEDDABLE(modname) \
    static HPyContext *_ctx_for_trampolines; \
    static int _hpy_direct_calls;
#  define _HPY_CTX_DEFINITIONS
#else
#  define HPY_MOD_EMBEDDABLE(modname)
#  define _HPY_CTX_DEFINITIONS \
    _HPy_HIDDEN HPyContext *_ctx_for_trampolines; \
    _HPy_HIDDEN int _hpy_direct_calls;
/* The context every trampoline of this binary passes to the runtime. */
extern _HPy_HIDDEN HPyContext *_ctx_for_trampolines;
/* Whether that context lets trampolines call implementations directly. */
extern _HPy_HIDDEN int _hpy_direct_calls;
#endif

#if defined(HPY_ABI_CPYTHON)

#define HPy_MODINIT(EXT_NAME, MOD_DEF) \
    PyMODINIT_FUNC PyInit_##EXT_NAME(void) \
    { \
        return _HPyModuleDef_AsPyInit(&(MOD_DEF)); \
    }

#else

#define HPy_MODINIT(EXT_NAME, MOD_DEF) \
    HPy_EXPORTED_FUNC uint32_t get_required_hpy_major_version_##EXT_NAME(void); \
    HPy_EXPORTED_FUNC uint32_t get_required_hpy_minor_version_##EXT_NAME(void); \
    HPy_EXPORTED_FUNC void HPyInitGlobalContext_##EXT_NAME(HPyContext *ctx); \
    HPy_EXPORTED_FUNC HPyModuleDef *HPyInit_##EXT_NAME(void); \
    uint32_t get_required_hpy_major_version_##EXT_NAME(void) { return HPY_ABI_VERSION; } \
    uint32_t get_required_hpy_minor_version_##EXT_NAME(void) { return HPY_ABI_VERSION_MINOR; } \
    _HPY_CTX_DEFINITIONS \
    void HPyInitGlobalContext_##EXT_NAME(HPyContext *ctx) \
    { \
        _ctx_for_trampolines = ctx; \
        _hpy_direct_calls = _HPy_ContextAllowsDirectCalls(ctx); \
    } \
    HPyModuleDef *HPyInit_##EXT_NAME(void) { return &(MOD_DEF); }

#endif

#endif /* HPY_HPYMODULE_H */
