/* Plans: what the lifecycle of an instance of a type needs to know about the type's base chain
 * (which HPy types it holds, whose deallocator, tp_traverse and tp_clear handle the builtin part
 * of the layout, ...), worked out once per type instead of at every allocation, deallocation and
 * traversal (the other files of the type machinery: ctx_type_internal.h).
 *
 * Contract: hpy__plan(t, scratch) gives the plan of t as the registry and t's base chain stand
 * now. The plan is valid until the caller runs code that may deallocate objects or run Python
 * code (the cache entry it points to may then be reused): callers copy what they need first.
 *
 * A plan is cached in a small direct-mapped table of this copy of these files, by the type's key
 * (_HPyTypeKey, hpy/runtime/ctx_type.h): a cached plan is never used for a type that died (whose
 * infos may be freed) and another type at its address, nor after a change to the type or to one
 * of its bases (the tags of a type's bases are valid whenever its own is). A type without a tag
 * (0) is not cached: its plan is worked out into the caller's scratch at each call. */
#include "ctx_type_internal.h"

_HPy_HIDDEN hpy_type_plan hpy__plan_cache[1 << HPY_PLAN_CACHE_BITS];

/* The nearest type, from t up, whose slot must still run after the HPy part of an object was
 * handled: not an HPy type whose slot is the automatic one (or its trampoline), not a class
 * using CPython's generic subtype slot, not a type that merely inherited the slot. */
#define BASE_SLOT_OWNER(NAME, FIELD, IS_HPY, SUBTYPE_FUNC) \
    static PyTypeObject *NAME(PyTypeObject *t) \
    { \
        HPyTypeRegistry *r = hpy__type_registry != NULL ? hpy__type_registry \
                                                        : hpy__find_type_registry(0); \
        for (; t != NULL; t = t->tp_base) { \
            if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) { \
                HPyTypeInfo *info = hpy__type_info(t); \
                if (info != NULL && (IS_HPY)) \
                    continue; \
                if (r != NULL && t->FIELD == r->SUBTYPE_FUNC) \
                    continue; \
            } \
            if (t->tp_base != NULL && t->FIELD == t->tp_base->FIELD) \
                continue; \
            return t; \
        } \
        return NULL; \
    }

BASE_SLOT_OWNER(dealloc_owner, tp_dealloc, info->flags & HPY_TI_AUTO_DEALLOC, subtype_dealloc)
BASE_SLOT_OWNER(traverse_owner, tp_traverse, info->traverse != NULL, subtype_traverse)
BASE_SLOT_OWNER(clear_owner, tp_clear, info->traverse != NULL, subtype_clear)

static void compute_plan(PyTypeObject *tp, hpy_type_plan *p)
{
    memset(p, 0, sizeof(*p));
    _HPyTypeKey_Set(&p->key, tp);
    HPyTypeInfo *own = hpy__type_info(tp);
    p->outermost = own != NULL && (own->flags & HPY_TI_AUTO_DEALLOC);
    PyTypeObject *top_dealloc = NULL, *top_traverse = NULL;
    for (PyTypeObject *t = tp; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *i = t == tp ? own : hpy__type_info(t);
        if (i == NULL)
            continue;
        if (p->nearest == NULL)
            p->nearest = i;
        if (i->flags & HPY_TI_AUTO_DEALLOC)
            top_dealloc = t;
        if (i->traverse != NULL)
            top_traverse = t;
        if (p->n_chain >= 0 && p->n_chain < HPY_PLAN_CHAIN)
            p->chain[p->n_chain++] = i;
        else
            p->n_chain = -1;
    }
    if (p->nearest != NULL) {
        PyTypeObject *b = hpy__shape_builtin(p->nearest->shape);
        if (b != NULL && b != &PyBaseObject_Type && b != &PyType_Type)
            p->builtin = b;
    }
    p->dealloc_base = dealloc_owner(top_dealloc != NULL ? top_dealloc->tp_base : tp->tp_base);
    p->clear_base = top_traverse != NULL ? clear_owner(top_traverse->tp_base) : NULL;
    if (p->outermost && p->n_chain == 1 && tp->tp_finalize == NULL &&
        tp->tp_weaklistoffset == 0 && tp->tp_dictoffset <= 0 &&
        (p->dealloc_base == NULL || p->dealloc_base == &PyBaseObject_Type))
        p->dealloc_one = own;
    if (p->builtin == NULL) {
        p->new_offset = p->nearest != NULL ? p->nearest->struct_offset : 0;
        if (p->nearest != NULL && p->nearest->call_offset > 0) {
            p->new_call_offset = p->nearest->call_offset;
            p->new_call = p->nearest->default_call;
        }
    }
}

HPyAPI_IMPL hpy_type_plan *hpy__plan_slow(PyTypeObject *tp, hpy_type_plan *scratch)
{
    /* a type without a tag is never cached (hpy__plan_cached relies on it) */
    unsigned int tag = tp->tp_version_tag;
    hpy_type_plan *p = tag != 0 ? &hpy__plan_cache[hpy__plan_index(tp)] : scratch;
    compute_plan(tp, p);
    return p;
}

HPyAPI_IMPL void hpy__plan_traverse(hpy_type_plan *p, HPyFunc_traverseproc impl)
{
    PyTypeObject *tp = p->key.type, *owner = NULL, *t;
    HPyTypeInfo *first = NULL, *info = NULL;
    for (t = tp; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *i = hpy__type_info(t);
        if (i == NULL)
            continue;
        if (first == NULL)
            first = i;
        if (i->traverse == impl) {
            info = i;
            owner = t;
            break;
        }
    }
    if (info == NULL) {         /* not found (cannot happen): do what can be done */
        info = first;
        owner = tp;
    }
    /* the builtin part of the layout (a list's items, a type's dict, ...) */
    PyTypeObject *base = traverse_owner(owner->tp_base);
    traverseproc base_traverse = base != NULL ? base->tp_traverse : NULL;
    p->trav_impl = impl;
    p->trav_info = info;
    p->trav_owner = owner;
    p->trav_base = base_traverse;
    /* an instance of a heap type owns a reference to it; type_traverse and heap types' own
     * traverse functions visit it themselves */
    p->trav_visit_type = base_traverse == NULL ||
        !((base->tp_flags & Py_TPFLAGS_HEAPTYPE) || PyType_IsSubtype(base, &PyType_Type));
    /* a dict slot (legacy __dictoffset__ member) that no other traverse function visits */
    p->trav_dict = owner->tp_dictoffset > 0 &&
                   (base == NULL || base->tp_dictoffset != owner->tp_dictoffset)
                   ? owner->tp_dictoffset : 0;
    p->trav_simple = info != NULL && base_traverse == NULL && p->trav_dict == 0;
    p->trav_offset = info != NULL ? info->struct_offset : 0;
}
