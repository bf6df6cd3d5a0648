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

/* What a universal binary keeps of the runtime's _HPY_RUNTIME_INLINE_OPS description
 * (hpy/universal/hpyfunc_trampolines.h), filled by HPy_MODINIT when the module receives its
 * context: with a nonzero `mode`, HPy_Dup, HPy_Close, HPy_Is, HPy_Type, HPy_TypeCheck,
 * HPyField_Load/Store, HPyGlobal_Load, HPyFloat_AsDouble of exact floats, HPy_Length and
 * HPy_GetItem_i of exact tuples and lists, and the tuple and list builders' Set and Build do
 * their work without a context call, and _HPy_AsStruct_Object reads no offset
 * (hpy/universal/misc_trampolines.h: the layout of objects is then the one these headers are
 * compiled for); with `call_traverse`, so do tp_traverse trampolines, and with `traverse_fill`
 * they run the implementation themselves for the type they saw last.
 * Unused in the CPython ABI. */
#define _HPY_COUNTS_WORD 1      /* the whole first word counts; no object is immortal (3.11) */
#define _HPY_COUNTS_LOW32 2     /* its low 32 bits count; bit 31 set: immortal (3.12+, 64 bits) */
typedef struct {
    int mode;                   /* 0 (call the context) or _HPY_COUNTS_* */
    HPy_ssize_t tuple_items;    /* where a tuple's items start (3.14 put a hash before them) */
    intptr_t tuple_type;
    intptr_t list_type;
    intptr_t float_type;        /* 0 where a float's value is not where the layout puts it */
    void (*dealloc)(void *obj);
    int (*is_subtype)(void *sub, void *type);
    /* the runtime's _HPY_RUNTIME_DIRECT_TRAVERSE function, or NULL */
    int (*call_traverse)(HPyFunc_traverseproc impl, cpy_PyObject *self, cpy_visitproc visit,
                         void *arg);
    /* with a nonzero mode and _HPY_RUNTIME_TRAVERSE_CACHE, the runtime's traverse_fill (else
     * NULL), where a type's version tag is, and the runtime's word that is 0 while what the
     * trampolines remember holds (_HPyTraverseMemo) */
    int (*traverse_fill)(HPyFunc_traverseproc impl, cpy_PyObject *self, cpy_visitproc visit,
                         void *arg, _HPyTraverseMemo *memo);
    HPy_ssize_t type_tag_offset;
    const int *traverse_memos_off;
} _HPyInlineOps;

#if defined(HPY_EMBEDDED_MODULES)
#  define HPY_MOD_EMBEDDABLE(modname) \
    static HPyContext *_ctx_for_trampolines; \
    static int _hpy_direct_calls; \
    static const int64_t *_hpy_struct_offsets; \
    static int64_t _hpy_offsets[12]; \
    static _HPyInlineOps _hpy_inline_ops;
#  define _HPY_CTX_DEFINITIONS
#  define _HPY_INLINE_OPS_RW _hpy_inline_ops
#else
/* Module code reads _hpy_inline_ops through a const declaration of the symbol (GCC and clang, in
 * C): the compiler then reads a field once per function, not again after every call that might
 * have changed it. Its one writer is HPyInitGlobalContext_<name>, through the writable declaration
 * _HPY_INLINE_OPS_RW: before any code of the binary runs, or when the binary is loaded again
 * (another mode, another interpreter: a function already running may go on with the description
 * it read, the one of the context and handles it holds). Not in C++, where GCC's link-time optimizer
 * reports two declarations of one symbol with different types. */
#  if (defined(__GNUC__) || defined(__clang__)) && !defined(__cplusplus)
#    define _HPY_ASM_NAME_(prefix, name) _HPY_ASM_NAME__(prefix) name
#    define _HPY_ASM_NAME__(prefix) #prefix
/* the name C gives the symbol, so that C++ files of the same binary find it */
#    define _HPY_INLINE_OPS_ASM __asm__(_HPY_ASM_NAME_(__USER_LABEL_PREFIX__, "_hpy_inline_ops"))
#    define _HPY_INLINE_OPS_RW _hpy_inline_ops_rw
#    define _HPY_INLINE_OPS_RW_DEFINITION \
    _HPy_HIDDEN _HPyInlineOps _hpy_inline_ops_rw _HPY_INLINE_OPS_ASM;
#    define _HPY_INLINE_OPS_CONST const
#  else
#    define _HPY_INLINE_OPS_RW _hpy_inline_ops
#    define _HPY_INLINE_OPS_RW_DEFINITION _HPy_HIDDEN _HPyInlineOps _hpy_inline_ops;
#    define _HPY_INLINE_OPS_CONST
#    define _HPY_INLINE_OPS_ASM
#  endif
#  define HPY_MOD_EMBEDDABLE(modname)
#  define _HPY_CTX_DEFINITIONS \
    _HPy_HIDDEN HPyContext *_ctx_for_trampolines; \
    _HPy_HIDDEN int _hpy_direct_calls; \
    _HPy_HIDDEN const int64_t *_hpy_struct_offsets; \
    _HPy_HIDDEN int64_t _hpy_offsets[12]; \
    _HPY_INLINE_OPS_RW_DEFINITION
/* The context every trampoline of this binary passes to the runtime. */
extern _HPy_HIDDEN HPyContext *_ctx_for_trampolines;
/* Whether that context lets trampolines call implementations directly. */
extern _HPy_HIDDEN int _hpy_direct_calls;
/* Where that context says a module's struct starts in an object of each builtin shape, or NULL
 * (_HPy_AsStruct_* then call the context): not NULL, it points to _hpy_offsets, the binary's own
 * copy, so that reading an offset is one load, not two in a row. */
extern _HPy_HIDDEN const int64_t *_hpy_struct_offsets;
extern _HPy_HIDDEN int64_t _hpy_offsets[12];
/* Whether (and how) that context lets this binary change reference counts itself. */
extern _HPy_HIDDEN _HPY_INLINE_OPS_CONST _HPyInlineOps _hpy_inline_ops _HPY_INLINE_OPS_ASM;
#endif

/* The ABI minor version a universal binary requires is the newest minor of the context members
 * it calls and of the slots it defines: each such call site or definition leaves its minor in
 * the section hpy_abi_minor, and get_required_hpy_minor_version_<name> returns the largest
 * (docs/abi-evolution.md). Where that section cannot be read back, the binary requires the
 * minor of the headers. */
#if !defined(HPY_ABI_CPYTHON) && defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
extern const uint32_t __start_hpy_abi_minor[] __attribute__((weak, visibility("hidden")));
extern const uint32_t __stop_hpy_abi_minor[] __attribute__((weak, visibility("hidden")));
#  define _HPY_USES_MINOR(N) \
    do { \
        static const uint32_t _hpy_minor __attribute__((used, section("hpy_abi_minor"))) = (N); \
        (void)_hpy_minor; \
    } while (0)
/* The same at file scope, for the definition SYM (HPyDef_SLOT of a slot of minor N). */
#  define _HPY_DEF_USES_MINOR(SYM, N) \
    static const uint32_t SYM##_hpy_minor __attribute__((used, section("hpy_abi_minor"))) = (N);
HPyAPI_FUNC uint32_t _HPy_RequiredMinor(void)
{
    uint32_t minor = 0;
    const uint32_t *p;
    for (p = __start_hpy_abi_minor; p < __stop_hpy_abi_minor; p++)
        if (*p > minor)
            minor = *p;
    return minor;
}
#else
#  define _HPY_USES_MINOR(N) ((void)0)
#  define _HPY_DEF_USES_MINOR(SYM, N)
HPyAPI_FUNC uint32_t _HPy_RequiredMinor(void)
{
    return HPY_ABI_VERSION_MINOR;
}
#endif

/* HPyGetContext(): the context of this binary, for code that has none at hand (a callback from
 * a C library, a thread started outside Python). In the CPython and hybrid ABIs it is always
 * available; a universal module opts in by defining HPY_CONTEXT_FROM_NOWHERE before including
 * hpy.h, which the binary records (the exported symbol HPyContextFromNowhere_<name>) so that the
 * runtime refuses, at load time, a context it cannot keep for the module (docs/context.md). */
#if defined(HPY_ABI_UNIVERSAL) && !defined(HPY_CONTEXT_FROM_NOWHERE)
#  if _HPY_compiler_has_attribute(error)
extern __attribute__((error("HPyGetContext needs HPY_CONTEXT_FROM_NOWHERE in the universal ABI")))
HPyContext *HPyGetContext(void);
#  endif
#  define _HPY_FROM_NOWHERE_MARKER(EXT_NAME)
#elif !defined(HPY_ABI_CPYTHON) && !defined(HPY_EMBEDDED_MODULES)
HPyAPI_FUNC HPyContext *HPyGetContext(void)
{
    return _ctx_for_trampolines;
}
#  ifdef __cplusplus
#    define _HPY_FROM_NOWHERE_MARKER(EXT_NAME) \
    extern "C" HPy_EXPORTED_SYMBOL const int HPyContextFromNowhere_##EXT_NAME = 1;
#  else
#    define _HPY_FROM_NOWHERE_MARKER(EXT_NAME) \
    HPy_EXPORTED_SYMBOL const int HPyContextFromNowhere_##EXT_NAME = 1;
#  endif
#else
#  define _HPY_FROM_NOWHERE_MARKER(EXT_NAME)
#endif

/* A binary compiled with _HPY_IGNORE_INLINE_OPS never reads the fields appended for
 * _HPY_RUNTIME_INLINE_OPS and _HPY_RUNTIME_DIRECT_TRAVERSE: it behaves as binaries built
 * before they existed (tests). */
#if defined(_HPY_IGNORE_INLINE_OPS)
#  define _HPY_READ_INLINE_OPS(ctx) ((void)0)
#else
#  define _HPY_READ_INLINE_OPS(ctx) _HPy_ContextInlineOps((ctx), &_HPY_INLINE_OPS_RW)
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
    uint32_t get_required_hpy_minor_version_##EXT_NAME(void) { return _HPy_RequiredMinor(); } \
    _HPY_FROM_NOWHERE_MARKER(EXT_NAME) \
    _HPY_CTX_DEFINITIONS \
    void HPyInitGlobalContext_##EXT_NAME(HPyContext *ctx) \
    { \
        _ctx_for_trampolines = ctx; \
        _hpy_direct_calls = _HPy_ContextAllowsDirectCalls(ctx); \
        _hpy_struct_offsets = _HPy_ContextCopyStructOffsets(ctx, _hpy_offsets); \
        _HPY_READ_INLINE_OPS(ctx); \
    } \
    HPyModuleDef *HPyInit_##EXT_NAME(void) { return &(MOD_DEF); }

#endif

#endif /* HPY_HPYMODULE_H */
