/* What the four files of the type machinery share, and nothing else includes. Dependencies run
 * one way:
 *
 *     ctx_type_registry.c   what HPy remembers per type (HPyTypeInfo), found by PyTypeObject*
 *     ctx_type_layout.c     where a type's C struct goes, and which bases allow it
 *     ctx_type_plan.c       what the lifecycle of an instance needs of its type's base chain
 *     ctx_type_instance.c   instances: allocation, deallocation, GC, fields, call protocol
 *     ctx_type_spec.c       HPyType_FromSpec: a spec and its params to a type
 *
 * each using only the ones above it (and ctx_module.c for the method tables). Every copy of
 * these files (the runtime, each CPython-ABI extension) has its own hidden copy of the names
 * below; the registry itself is shared by all copies (ctx_type_registry.c). */
#ifndef HPY_RUNTIME_CTX_TYPE_INTERNAL_H
#define HPY_RUNTIME_CTX_TYPE_INTERNAL_H

#define HPY_COMPAT_NEED_MEMBERDEF      /* PyMemberDef, before 3.12 */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"
#include "hpy/runtime/ctx_type.h"

/* A slow path kept out of line, so that the fast path it leaves needs no stack frame; a step of a
 * fast path kept in line. */
#if defined(__GNUC__) || defined(__clang__)
#  define HPY__NOINLINE __attribute__((noinline))
#  define HPY__ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#  define HPY__NOINLINE __declspec(noinline)
#  define HPY__ALWAYS_INLINE __forceinline
#else
#  define HPY__NOINLINE
#  define HPY__ALWAYS_INLINE inline
#endif

/* ---- the registry (ctx_type_registry.c) ----------------------------------------------------- */

#define HPY_TYPE_REGISTRY "hpy._type_registry_v1"

/* HPyTypeInfo.flags */
#define HPY_TI_AUTO_DEALLOC 1u      /* the type's tp_dealloc is an hpy__auto_dealloc */
#define HPY_TI_HIDDEN_CALL 2u       /* call_offset is the hidden field of HPy_tp_call, at the end */

typedef struct HPyTypeInfo HPyTypeInfo;

/* Shared by every copy of these files (layout fixed by HPY_TYPE_REGISTRY). */
struct HPyTypeInfo {
    PyTypeObject *type;
    int alive;                       /* 0: the type's weak reference fired during a GC pass */
    unsigned int flags;
    HPyType_BuiltinShape shape;
    Py_ssize_t struct_offset;        /* where the module's struct starts in an instance */
    HPyFunc_traverseproc traverse;   /* the type's own HPy_tp_traverse impl, or NULL */
    HPyFunc_destroyfunc destroy;     /* the type's own HPy_tp_destroy impl, or NULL */
    Py_ssize_t call_offset;          /* per-instance call function (own or inherited), or 0 */
    vectorcallfunc default_call;     /* written by HPy_New & co., or NULL */
    newfunc runtime_new;             /* the tp_new installed for the call protocol, or NULL */
    /* fingerprint of a dead type (alive == 0) */
    PyTypeObject *fp_base;
    Py_ssize_t fp_basicsize, fp_itemsize, fp_vectorcall_offset;
    destructor fp_dealloc;
    PyObject *fp_name;
    void (*release)(HPyTypeInfo *info);   /* frees it: provided by the copy that made it */
};

typedef struct {
    size_t size;                                    /* sizeof(HPyTypeRegistry) */
    HPyTypeInfo *(*lookup)(PyTypeObject *type);     /* never sets an exception */
    int (*add)(HPyTypeInfo *info);                  /* -1 with MemoryError */
    void (*remove)(HPyTypeInfo *info);              /* unregister (without releasing) */
    /* what CPython gives classes created by type() (and FromSpec types without a dealloc) */
    destructor subtype_dealloc;
    traverseproc subtype_traverse;
    inquiry subtype_clear;
} HPyTypeRegistry;

/* This copy's view of the process's registry: NULL until found or made. */
_HPy_HIDDEN extern HPyTypeRegistry *hpy__type_registry;

/* The registry, found in the interpreter's dict or (create != 0) made there. NULL when there is
 * none: with an exception only if create != 0. */
_HPy_HIDDEN HPyTypeRegistry *hpy__find_type_registry(int create);

/* The last type found in the registry, by its key (_HPyTypeKey: never one of a type that died,
 * whose info may be freed, and another type at its address). */
_HPy_HIDDEN extern _HPyTypeKey hpy__last_key;
_HPy_HIDDEN extern HPyTypeInfo *hpy__last_info;

/* The info of a type created by HPyType_FromSpec, or NULL. Never raises. */
static inline HPyTypeInfo *hpy__type_info(PyTypeObject *t)
{
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return NULL;
    if (_HPyTypeKey_Is(&hpy__last_key, t))
        return hpy__last_info;
    HPyTypeRegistry *r = hpy__type_registry != NULL ? hpy__type_registry
                                                    : hpy__find_type_registry(0);
    HPyTypeInfo *info = r != NULL ? r->lookup(t) : NULL;
    if (info != NULL && t->tp_version_tag != 0 && info->alive) {
        _HPyTypeKey_Set(&hpy__last_key, t);
        hpy__last_info = info;
    }
    return info;
}

/* The info of the nearest HPy type in t's base chain (t included), or NULL. */
static inline HPyTypeInfo *hpy__nearest_info(PyTypeObject *t)
{
    for (; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *info = hpy__type_info(t);
        if (info != NULL)
            return info;
    }
    return NULL;
}

/* An OBJECT / OBJECT_EX member, exposed as a get/set descriptor over its HPyField. */
typedef struct {
    Py_ssize_t offset;       /* from the start of the object */
    int type;
    const char *name;
} hpy_field_closure;

/* The info this copy makes for a type it creates, with the arrays the type refers to (kept as
 * long as the type lives). */
typedef struct {
    HPyTypeInfo pub;         /* first */
    PyObject *weakref;       /* to the type, with a callback that reports its death */
    PyMethodDef *methods;
    PyMemberDef *members;
    PyGetSetDef *getsets;
    hpy_field_closure *fields;
    struct hpy_getset_halves *halves;   /* PyPy only (ctx_type_pypy.c), else NULL */
} hpy_local_info;

/* On PyPy: a getset whose getter or setter is NULL (cpyext would call it) gets a stand-in that
 * raises AttributeError as CPython does; its closure becomes *halves, which keeps the real
 * ones. */
typedef struct hpy_getset_halves {
    const char *name;
    getter get;
    setter set;
    void *closure;
} hpy_getset_halves;
_HPy_HIDDEN void hpy__pypy_complete_getset(PyGetSetDef *def, hpy_getset_halves *halves);

/* On PyPy, whose member descriptors refuse T_NONE, an HPyMember_NONE member is a getset that
 * behaves as CPython's T_NONE member: it reads None, and a write fails as CPython's does. */
#if defined(PYPY_VERSION)
#  define HPY_NONE_AS_GETSET 1
_HPy_HIDDEN void hpy__pypy_none_member(PyGetSetDef *def, const char *name, const char *doc,
                                       int readonly);
#else
#  define HPY_NONE_AS_GETSET 0
#endif

/* Free an info made by this copy, with its arrays. */
_HPy_HIDDEN void hpy__release_info(HPyTypeInfo *info);

/* Register li for its type (which must be alive). 0, or -1 with an exception. */
_HPy_HIDDEN int hpy__register_info(hpy_local_info *li);

/* ---- layouts (ctx_type_layout.c) ------------------------------------------------------------ */

/* Where the module's struct starts in an instance of the shape; -1 for an invalid shape. */
_HPy_HIDDEN Py_ssize_t hpy__shape_offset(HPyType_BuiltinShape shape);

/* The builtin type of the shape (NULL for Legacy and invalid shapes). */
_HPy_HIDDEN PyTypeObject *hpy__shape_builtin(HPyType_BuiltinShape shape);

/* "HPyType_BuiltinShape_<name>", for messages. */
_HPy_HIDDEN const char *hpy__shape_name(HPyType_BuiltinShape shape);

/* Bytes a member of this HPyMember type occupies (0: none), -1 for an unknown type. */
_HPy_HIDDEN Py_ssize_t hpy__member_size(int type);

/* The builtin shape of type `name` against one base b: 0, or -1 with TypeError. */
_HPy_HIDDEN int hpy__check_shape_against_base(const char *name, HPyType_BuiltinShape shape,
                                              int has_struct, PyTypeObject *b);

/* The items of an Object-shape type against one base b: 0, or -1 with TypeError. */
_HPy_HIDDEN int hpy__check_items_against_base(const char *name, HPyType_Spec *spec,
                                              PyTypeObject *b);

/* ---- plans (ctx_type_plan.c) ---------------------------------------------------------------- */

#define HPY_PLAN_CHAIN 4            /* HPy types of a base chain a plan lists */
#define HPY_PLAN_CACHE_BITS 6       /* a copy caches 2**HPY_PLAN_CACHE_BITS plans */

/* What the lifecycle of an instance of `type` needs of its base chain. */
typedef struct {
    _HPyTypeKey key;                 /* of `type`; an entry of the cache: tag not 0 */
    int outermost;                   /* type is an HPy type with hpy__auto_dealloc */
    HPyTypeInfo *nearest;            /* of the nearest HPy type of the chain (type included) */
    PyTypeObject *builtin;           /* the builtin whose tp_new makes an instance, or NULL */
    int n_chain;                     /* entries of chain; -1: more than HPY_PLAN_CHAIN */
    HPyTypeInfo *chain[HPY_PLAN_CHAIN];   /* the HPy types of the chain, most derived first */
    PyTypeObject *dealloc_base;      /* whose tp_dealloc runs after the HPy part, or NULL */
    PyTypeObject *clear_base;        /* whose tp_clear runs after the HPy part, or NULL */
    /* the common cases, decided once: an instance is deallocated by clearing the fields of
     * dealloc_one and running its destroy, then tp_free (no finalizer, weak references, dict,
     * other HPy type or base deallocator to run); HPy_New of a type without builtin only calls
     * PyType_GenericAlloc and writes new_call at new_call_offset (when not NULL). */
    HPyTypeInfo *dealloc_one;        /* NULL: the general path */
    Py_ssize_t new_offset;           /* where the module's struct starts */
    Py_ssize_t new_call_offset;
    vectorcallfunc new_call;
    /* tp_traverse through the trampoline of trav_impl (NULL: not worked out yet) */
    HPyFunc_traverseproc trav_impl;
    HPyTypeInfo *trav_info;          /* the HPy type whose implementation it is */
    PyTypeObject *trav_owner;
    traverseproc trav_base;          /* the base's traverse of the builtin part, or NULL */
    Py_ssize_t trav_dict;            /* a dict slot to visit, or 0 */
    int trav_visit_type;             /* visit the instance's type */
    /* the common case, decided with the above: visit the type, then run trav_impl on the struct
     * at trav_offset (no dict slot, no base traverse) */
    int trav_simple;
    Py_ssize_t trav_offset;
} hpy_type_plan;

static inline size_t hpy__plan_index(PyTypeObject *t)
{
    return hpy__type_slot(t, HPY_PLAN_CACHE_BITS);
}

/* The plan of t worked out now: into the cache (t has a version tag) or into scratch. */
_HPy_HIDDEN hpy_type_plan *hpy__plan_slow(PyTypeObject *t, hpy_type_plan *scratch);

/* This copy's cache of plans (ctx_type_plan.c). */
_HPy_HIDDEN extern hpy_type_plan hpy__plan_cache[1 << HPY_PLAN_CACHE_BITS];

/* The cached plan of t, or NULL (see ctx_type_plan.c for how long it stays valid). */
static inline hpy_type_plan *hpy__plan_cached(PyTypeObject *t)
{
    hpy_type_plan *p = &hpy__plan_cache[hpy__plan_index(t)];
    return _HPyTypeKey_Is(&p->key, t) ? p : NULL;
}

/* The plan of t (see ctx_type_plan.c for how long it stays valid). Never raises. */
static inline hpy_type_plan *hpy__plan(PyTypeObject *t, hpy_type_plan *scratch)
{
    hpy_type_plan *p = hpy__plan_cached(t);
    return p != NULL ? p : hpy__plan_slow(t, scratch);
}

/* Work out p's traversal through the trampoline of impl. */
_HPy_HIDDEN void hpy__plan_traverse(hpy_type_plan *p, HPyFunc_traverseproc impl);

/* ---- instances (ctx_type_instance.c) -------------------------------------------------------- */

static inline void *hpy__struct_of(PyObject *self, const HPyTypeInfo *info)
{
    return (char *)self + info->struct_offset;
}

/* tp_dealloc of types with HPy_tp_traverse or HPy_tp_destroy (or an HPy base with them). */
_HPy_HIDDEN void hpy__auto_dealloc(PyObject *self);

/* tp_clear of types with HPy_tp_traverse. */
_HPy_HIDDEN int hpy__auto_clear(PyObject *self);

/* tp_new of types using the call protocol without HPy_tp_new: the base's tp_new, then the
 * default call function. */
_HPy_HIDDEN PyObject *hpy__call_protocol_new(PyTypeObject *subtype, PyObject *args, PyObject *kw);

/* The getter and setter of the descriptor of an OBJECT / OBJECT_EX member (closure: its
 * hpy_field_closure). */
_HPy_HIDDEN PyObject *hpy__field_get(PyObject *self, void *closure);
_HPy_HIDDEN int hpy__field_set(PyObject *self, PyObject *value, void *closure);

#endif /* HPY_RUNTIME_CTX_TYPE_INTERNAL_H */
