/* Type support shared by the CPython ABI and the runtime (src/runtime/ctx_type_*.c). */
#ifndef HPY_RUNTIME_CTX_TYPE_H
#define HPY_RUNTIME_CTX_TYPE_H

/* The regime of code the garbage collector calls (docs/gc-regime.md). HPy_tp_traverse,
 * HPy_tp_destroy and capsule destructors get no context and must not use the HPy API. The
 * runtime records, per thread, which such function is running: debug mode reports any use of the
 * API meanwhile, naming the function. In the CPython ABI nothing is recorded. */
typedef struct {
    const char *what;               /* "tp_traverse", "tp_destroy", "capsule destructor" */
    PyTypeObject *type;             /* the type whose slot runs, or NULL */
    const char *capsule;            /* the capsule's name (capsule destructors), or NULL */
    HPyCFunction func;              /* the module's implementation */
} _HPyRestricted;

/* A type as the caches of the runtime know it (the lifecycle plans, the last registry lookup,
 * the CPython-ABI traverse caches, debug mode's type facts): its address and its version tag.
 * CPython never gives a tag twice and resets a type's tag to 0 whenever the type or one of its
 * bases changes, so a key whose tag is not 0 names one state of one type, never a type that died
 * and another at its address (which has another tag, or none yet). From CPython 3.12 on each
 * interpreter counts its heap types' tags from the same start, so the key also holds the
 * interpreter. A cache never keeps a key with tag 0 (an empty entry has no type), so a match
 * needs no test of the tag against 0. */
typedef struct {
    PyTypeObject *type;
    unsigned int tag;
#if PY_VERSION_HEX >= 0x030C0000
    PyInterpreterState *interp;
#endif
} _HPyTypeKey;

/* Whether k is tp's key as tp stands now. */
static inline int _HPyTypeKey_Is(const _HPyTypeKey *k, PyTypeObject *tp)
{
    return tp == k->type && tp->tp_version_tag == k->tag
#if PY_VERSION_HEX >= 0x030C0000
        && k->interp == PyInterpreterState_Get()
#endif
        ;
}

/* *k = tp's key as tp stands now (to be kept only if its tag is not 0). */
static inline void _HPyTypeKey_Set(_HPyTypeKey *k, PyTypeObject *tp)
{
    k->type = tp;
    k->tag = tp->tp_version_tag;
#if PY_VERSION_HEX >= 0x030C0000
    k->interp = PyInterpreterState_Get();
#endif
}

/* The slot of a type in a table of 2**bits entries (0 < bits < 64) indexed by address: the
 * address times a 64-bit odd constant, top bits (the low bits of an address are always zero). */
static inline size_t hpy__type_slot(const PyTypeObject *t, int bits)
{
    return (size_t)(((uint64_t)(uintptr_t)t * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
}

#ifdef HPY_RUNTIME_INTERNAL
/* What runs on this thread: the debug context handed to the running call (NULL: none), and the
 * function of the restricted regime running (NULL: none). A call entered from restricted code
 * (a finalizer run by a deallocation, ...) clears both for its duration. */
typedef struct {
    HPyContext *debug_ctx;
    const _HPyRestricted *restricted;
} _HPyThreadCall;

_HPy_HIDDEN extern __thread _HPyThreadCall hpy__thread_call
    __attribute__((tls_model("initial-exec")));

/* Whether the debug context was created: only debug mode reads the record, so until then none
 * is kept (the garbage collector runs the regime's functions often). */
_HPy_HIDDEN extern int hpy__debug_ctx_created;

#  define _HPY_RESTRICTED_BEGIN(WHAT, TYPE, CAPSULE, FUNC)                                     \
    {                                                                                         \
        _HPyRestricted restricted_;                                                           \
        _HPyThreadCall saved_call_ = { NULL, NULL };                                          \
        int record_ = hpy__debug_ctx_created;                                                 \
        if (record_) {                                                                        \
            restricted_.what = (WHAT);                                                        \
            restricted_.type = (TYPE);                                                        \
            restricted_.capsule = (CAPSULE);                                                  \
            restricted_.func = _HPy_FPTR_CAST(HPyCFunction, FUNC);                            \
            saved_call_ = hpy__thread_call;                                                   \
            hpy__thread_call.debug_ctx = NULL;                                                \
            hpy__thread_call.restricted = &restricted_;                                       \
        }
#  define _HPY_RESTRICTED_END                                                                  \
        if (record_)                                                                          \
            hpy__thread_call = saved_call_;                                                   \
    }
#else
#  define _HPY_RESTRICTED_BEGIN(WHAT, TYPE, CAPSULE, FUNC) {
#  define _HPY_RESTRICTED_END }
#endif

/* Run an HPy traverse implementation on behalf of CPython's tp_traverse. */
_HPy_HIDDEN int call_traverseproc_from_trampoline(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                                  visitproc cpy_visit, void *cpy_arg);

/* The visit function an HPy traverse implementation gets: it hands the field's object to
 * CPython's visit function. */
typedef struct {
    visitproc visit;
    void *arg;
} _HPyVisitState;

static inline int _HPy_VisitField(HPyField *f, void *state)
{
    PyObject *obj = _hf2py(*f);
    if (obj == NULL)
        return 0;
    _HPyVisitState *s = (_HPyVisitState *)state;
    return s->visit(obj, s->arg);
}

/* What a tp_traverse trampoline of the CPython ABI remembers of the last type it ran for, when
 * running its implementation on the module's struct (at offset) and visiting the type is all
 * an instance needs (no dict slot, no base traverse); never filled on a free-threaded build. */
typedef struct {
    _HPyTypeKey key;
    Py_ssize_t offset;
} _HPyTraverseCache;

/* The offset cached for tp, or -1. */
static inline Py_ssize_t _HPyTraverseCache_Offset(const _HPyTraverseCache *c, PyTypeObject *tp)
{
    return _HPyTypeKey_Is(&c->key, tp) ? c->offset : -1;
}

/* Whether the trampoline of tp_traverse may remember tp (the CPython ABI's _HPyTraverseCache, the
 * universal _HPyTraverseMemo): then 1, with where the struct is and tp's key. */
_HPy_HIDDEN int hpy__traverse_memo(HPyFunc_traverseproc tp_traverse, PyTypeObject *tp,
                                   Py_ssize_t *offset, _HPyTypeKey *key);

/* call_traverseproc_from_trampoline, filling *cache when the instance's type allows it. */
_HPy_HIDDEN int _HPy_TraverseSlow(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                  visitproc cpy_visit, void *cpy_arg, _HPyTraverseCache *cache);

/* Whether the HPyFields of an instance of tp are visible to the garbage collector: 1 if an HPy
 * type of its base chain declares HPy_tp_traverse, 0 if none does, -1 if no type of the chain is
 * an HPy type. */
_HPy_HIDDEN int _HPyType_FieldsVisible(PyTypeObject *tp);

/* The metaclass named by a HPyType_SpecParam_Metaclass entry of params (borrowed), or NULL. */
_HPy_HIDDEN PyObject *get_metatype(HPyType_SpecParam *params);

/* The module's C struct inside h, for the builtin shape recorded for the object's type. */
_HPy_HIDDEN void *ctx_AsStruct_Slow(HPyContext *ctx, HPy h);

#endif /* HPY_RUNTIME_CTX_TYPE_H */
