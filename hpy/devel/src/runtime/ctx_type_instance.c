/* Instances of HPy types, for the CPython ABI and the universal runtime alike: allocation (HPy_New,
 * HPyType_GenericNew), the C struct (_HPy_AsStruct_*), the slots the runtime installs on HPy
 * types (deallocation, tp_traverse and tp_clear over HPyFields, the call protocol's tp_new, the
 * descriptors of object members) and per-object call functions.
 *
 * Contract: an instance of an HPy type is deallocated by hpy__auto_dealloc when its type or an HPy
 * base declares HPy_tp_traverse or HPy_tp_destroy: the finalizer first (the object may be
 * resurrected), then weak references and a legacy dict, then every HPyField of every HPy type of
 * its base chain is cleared, then each type's HPy_tp_destroy runs (most derived first), then the
 * deallocator of the nearest base that still has work to do. tp_traverse and tp_clear visit the
 * HPyFields of every HPy type of the chain and hand the builtin part of the layout to the base.
 * HPy_tp_traverse and HPy_tp_destroy run in the restricted regime (docs/gc-regime.md).
 * Built on the registry, the layouts and the plans (ctx_type_registry.c, ctx_type_layout.c,
 * ctx_type_plan.c). */
#include "ctx_type_internal.h"

/* Write the default call function of obj's type, if its type uses the call protocol. */
static void set_default_call(PyObject *obj)
{
    hpy_type_plan scratch;
    HPyTypeInfo *info = hpy__plan(Py_TYPE(obj), &scratch)->nearest;
    if (info != NULL && info->call_offset > 0 && info->default_call != NULL)
        *(vectorcallfunc *)((char *)obj + info->call_offset) = info->default_call;
}

static int clear_field(HPyField *f, void *arg)
{
    (void)arg;
    PyObject *obj = _hf2py(*f);
    *f = HPyField_NULL;
    Py_XDECREF(obj);
    return 0;
}

static HPY__NOINLINE int traverse_general(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                          visitproc visit, void *arg);

/* The garbage collector calls this for every tracked instance of an HPy type on every collection:
 * the common case (a cached plan, one HPy struct, no dict slot or builtin part to visit, nothing
 * to record for debug mode) stays small, the rest is traverse_general. */
HPyAPI_IMPL int call_traverseproc_from_trampoline(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                                  visitproc visit, void *arg)
{
    PyTypeObject *tp = Py_TYPE(self);
    hpy_type_plan *p = hpy__plan_cached(tp);
#ifdef HPY_RUNTIME_INTERNAL
    if (hpy__debug_ctx_created)
        p = NULL;
#endif
    if (p == NULL || p->trav_impl != tp_traverse || !p->trav_simple)
        return traverse_general(tp_traverse, self, visit, arg);
    void *data = (char *)self + p->trav_offset;
    /* the visit function may run any code: nothing is read from the plan after it */
    Py_VISIT(tp);
    _HPyVisitState state = { visit, arg };
    return tp_traverse(data, _HPy_VisitField, &state);
}

HPyAPI_IMPL int hpy__traverse_memo(HPyFunc_traverseproc tp_traverse, PyTypeObject *tp,
                                   Py_ssize_t *offset, _HPyTypeKey *key)
{
#ifdef Py_GIL_DISABLED
    (void)tp_traverse; (void)tp; (void)offset; (void)key;
    return 0;
#else
    hpy_type_plan scratch, *p = hpy__plan(tp, &scratch);
    if (p == &scratch)
        return 0;               /* a type without a version tag */
    if (p->trav_impl != tp_traverse)
        hpy__plan_traverse(p, tp_traverse);
    if (!p->trav_simple)
        return 0;
    *offset = p->trav_offset;
    *key = p->key;
    return 1;
#endif
}

HPyAPI_IMPL int _HPy_TraverseSlow(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                  visitproc visit, void *arg, _HPyTraverseCache *cache)
{
    Py_ssize_t offset;
    _HPyTypeKey key;
    if (hpy__traverse_memo(tp_traverse, Py_TYPE(self), &offset, &key)) {
        cache->key = key;
        cache->offset = offset;
    }
    return call_traverseproc_from_trampoline(tp_traverse, self, visit, arg);
}

static HPY__NOINLINE int traverse_general(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                          visitproc visit, void *arg)
{
    PyTypeObject *tp = Py_TYPE(self);
    hpy_type_plan scratch, *p = hpy__plan(tp, &scratch);
    if (p->trav_impl != tp_traverse)
        hpy__plan_traverse(p, tp_traverse);
    /* the visit function may run any code: nothing is read from the plan after it */
    HPyTypeInfo *info = p->trav_info;
    PyTypeObject *owner = p->trav_owner;
    traverseproc base_traverse = p->trav_base;
    Py_ssize_t dictoffset = p->trav_dict;
    (void)owner;                /* unused where nothing records the restricted regime */
    if (p->trav_visit_type)
        Py_VISIT(tp);
    _HPyVisitState state = { visit, arg };
    int res;
    _HPY_RESTRICTED_BEGIN("tp_traverse", owner, NULL, tp_traverse)
    res = tp_traverse(info != NULL ? hpy__struct_of(self, info) : (void *)self, _HPy_VisitField,
                      &state);
    _HPY_RESTRICTED_END
    if (res != 0)
        return res;
    if (dictoffset > 0)
        Py_VISIT(*(PyObject **)((char *)self + dictoffset));
    return base_traverse != NULL ? base_traverse(self, visit, arg) : 0;
}

HPyAPI_IMPL int _HPyType_FieldsVisible(PyTypeObject *tp)
{
    int result = -1;
    for (PyTypeObject *t = tp; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *info = hpy__type_info(t);
        if (info == NULL)
            continue;
        if (info->traverse != NULL)
            return 1;
        result = 0;
    }
    return result;
}

static void clear_fields_of(PyObject *self, HPyTypeInfo *info)
{
    _HPY_RESTRICTED_BEGIN("tp_traverse", info->type, NULL, info->traverse)
    info->traverse(hpy__struct_of(self, info), clear_field, NULL);
    _HPY_RESTRICTED_END
}

static void run_destroy(PyObject *self, HPyTypeInfo *info)
{
    _HPY_RESTRICTED_BEGIN("tp_destroy", info->type, NULL, info->destroy)
    info->destroy(hpy__struct_of(self, info));
    _HPY_RESTRICTED_END
}

/* The HPy types of a plan's chain (most derived first) into chain; returns how many, or -1 when
 * there are more than HPY_PLAN_CHAIN. */
static int copy_chain(const hpy_type_plan *p, HPyTypeInfo **chain)
{
    int n = p->n_chain;
    for (int k = 0; k < n; k++)
        chain[k] = p->chain[k];
    return n;
}

/* Clear the HPyFields of every HPy type of self's base chain, then run their HPy_tp_destroy
 * (destroy != 0): for chains longer than a plan lists, each type looked up as it comes. */
static void clear_long_chain(PyObject *self, int destroy)
{
    PyTypeObject *t;
    for (t = Py_TYPE(self); t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *i = hpy__type_info(t);
        if (i != NULL && i->traverse != NULL)
            clear_fields_of(self, i);
    }
    if (!destroy)
        return;
    for (t = Py_TYPE(self); t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *i = hpy__type_info(t);
        if (i != NULL && i->destroy != NULL)
            run_destroy(self, i);
    }
}

HPyAPI_IMPL int hpy__auto_clear(PyObject *self)
{
    hpy_type_plan scratch, *p = hpy__plan(Py_TYPE(self), &scratch);
    PyTypeObject *base = p->clear_base;
    HPyTypeInfo *chain[HPY_PLAN_CHAIN];
    int n = copy_chain(p, chain);
    if (n < 0)
        clear_long_chain(self, 0);
    for (int k = 0; k < n; k++)
        if (chain[k]->traverse != NULL)
            clear_fields_of(self, chain[k]);
    Py_ssize_t dictoffset = Py_TYPE(self)->tp_dictoffset;
    if (dictoffset > 0)
        Py_CLEAR(*(PyObject **)((char *)self + dictoffset));
    if (base != NULL && base->tp_clear != NULL)
        return base->tp_clear(self);
    return 0;
}

static HPY__NOINLINE void auto_dealloc_body(PyObject *self);

/* The common case of a plan's dealloc_one. */
static HPY__ALWAYS_INLINE void dealloc_one(PyObject *self, PyTypeObject *tp, HPyTypeInfo *info)
{
    if (info->traverse != NULL)
        clear_fields_of(self, info);
    if (info->destroy != NULL)
        run_destroy(self, info);
    tp->tp_free(self);
    Py_DECREF(tp);
}

#ifndef Py_GIL_DISABLED
/* Deallocations of this copy's HPy instances nest (releasing a field may deallocate the next
 * object of a chain) up to HPY__DEALLOC_DEPTH levels; an instance reached deeper is put aside
 * (untracked, count 0, as CPython's trashcan does) and deallocated when the outermost level
 * returns, so a chain of any length takes a bounded C stack, with or without the GC. The state is
 * shared by all threads: they run holding the GIL, and a thread that switches in the middle of a
 * deallocation adds its depth to the next one's, which only makes that one put objects aside
 * sooner. Instances of classes whose tp_dealloc is another (a Python subclass: subtype_dealloc
 * with its own trashcan) are never put aside: their deallocation is already under way. */
#define HPY__DEALLOC_DEPTH 16
static int dealloc_depth, draining;
static PyObject **deferred;
static size_t n_deferred, deferred_cap;

/* 1 when self was put aside; 0 when there is no memory for it (it is deallocated now). */
static HPY__NOINLINE int defer_dealloc(PyObject *self)
{
    if (n_deferred == deferred_cap) {
        size_t cap = deferred_cap != 0 ? 2 * deferred_cap : 64;
        PyObject **items = (PyObject **)realloc(deferred, cap * sizeof(PyObject *));
        if (items == NULL)
            return 0;
        deferred = items;
        deferred_cap = cap;
    }
    deferred[n_deferred++] = self;
    return 1;
}

/* Deallocate what was put aside, and what that puts aside in turn. */
static HPY__NOINLINE void drain_deferred(void)
{
    draining = 1;
    while (n_deferred > 0)
        hpy__auto_dealloc(deferred[--n_deferred]);
    draining = 0;
    free(deferred);
    deferred = NULL;
    deferred_cap = 0;
}
#endif

HPyAPI_IMPL void hpy__auto_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (PyType_IS_GC(tp))
        PyObject_GC_UnTrack(self);
#ifdef Py_GIL_DISABLED
    if (PyType_IS_GC(tp)) {
        Py_TRASHCAN_BEGIN(self, hpy__auto_dealloc)
        auto_dealloc_body(self);
        Py_TRASHCAN_END
    }
    else {
        auto_dealloc_body(self);
    }
#else
    if (dealloc_depth >= HPY__DEALLOC_DEPTH && tp->tp_dealloc == hpy__auto_dealloc &&
        defer_dealloc(self))
        return;
    hpy_type_plan *p = hpy__plan_cached(tp);
    HPyTypeInfo *one = p != NULL ? p->dealloc_one : NULL;
    dealloc_depth++;
    if (one != NULL)
        dealloc_one(self, tp, one);
    else
        auto_dealloc_body(self);
    if (--dealloc_depth == 0 && n_deferred > 0 && !draining)
        drain_deferred();
#endif
}

static HPY__NOINLINE void auto_dealloc_body(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    hpy_type_plan scratch, *p = hpy__plan(tp, &scratch);
    /* if not, a class made by type() derives from an HPy type, and subtype_dealloc already ran
     * the finalizer and released its weak references and dict */
    if (p->outermost && tp->tp_finalize != NULL) {
        p = NULL;               /* the code below may run anything */
        /* a finalizer runs on a tracked object (which stays so if it is resurrected) */
        int gc = PyType_IS_GC(tp);
        if (gc)
            PyObject_GC_Track(self);
        if (PyObject_CallFinalizerFromDealloc(self) < 0)
            return;             /* resurrected */
        if (gc)
            PyObject_GC_UnTrack(self);
    }
    /* weak references and a dict slot of a legacy HPy type (subtype_dealloc only handles those
     * a class made by type() added itself) */
    if (tp->tp_weaklistoffset != 0) {
        PyObject_ClearWeakRefs(self);
        p = NULL;
    }
    if (tp->tp_dictoffset > 0) {
        Py_CLEAR(*(PyObject **)((char *)self + tp->tp_dictoffset));
        p = NULL;
    }
    if (p == NULL)
        p = hpy__plan(tp, &scratch);
    PyTypeObject *base = p->dealloc_base;
    HPyTypeInfo *chain[HPY_PLAN_CHAIN];
    int n = copy_chain(p, chain);
    if (n < 0)
        clear_long_chain(self, 1);
    for (int k = 0; k < n; k++)
        if (chain[k]->traverse != NULL)
            clear_fields_of(self, chain[k]);
    for (int k = 0; k < n; k++)
        if (chain[k]->destroy != NULL)
            run_destroy(self, chain[k]);
    if (base == NULL || base == &PyBaseObject_Type) {
        tp->tp_free(self);
        Py_DECREF(tp);
        return;
    }
    /* as subtype_dealloc does: the deallocator of a static type leaves the heap type to us */
    int release_type = !(base->tp_flags & Py_TPFLAGS_HEAPTYPE);
    if (PyType_IS_GC(base))
        PyObject_GC_Track(self);
    base->tp_dealloc(self);
    if (release_type)
        Py_DECREF(tp);
}

/* Whether t's tp_new is the call protocol's tp_new (of any copy of this file). */
static int is_call_protocol_new(PyTypeObject *t)
{
    if (t->tp_new == hpy__call_protocol_new)
        return 1;
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return 0;
    HPyTypeInfo *info = hpy__type_info(t);
    if (info != NULL)
        return info->runtime_new != NULL && t->tp_new == info->runtime_new;
    return t->tp_base != NULL && t->tp_new == t->tp_base->tp_new && is_call_protocol_new(t->tp_base);
}

HPyAPI_IMPL PyObject *hpy__call_protocol_new(PyTypeObject *subtype, PyObject *args, PyObject *kw)
{
    PyTypeObject *t = subtype;
    while (t != NULL && !is_call_protocol_new(t))
        t = t->tp_base;
    while (t != NULL && is_call_protocol_new(t))
        t = t->tp_base;
    if (t == NULL || t->tp_new == NULL) {
        PyErr_Format(PyExc_TypeError, "cannot create '%.100s' instances", subtype->tp_name);
        return NULL;
    }
    PyObject *obj;
    int excess = PyTuple_GET_SIZE(args) > 0 || (kw != NULL && PyDict_GET_SIZE(kw) > 0);
    if (t->tp_new == PyBaseObject_Type.tp_new && excess) {
        /* object.__new__ takes the arguments only from a type whose tp_new is its own: check
         * them as it would for such a type, and leave them to tp_init */
        if (subtype->tp_init == PyBaseObject_Type.tp_init) {
            PyErr_Format(PyExc_TypeError, "%.200s() takes no arguments", subtype->tp_name);
            return NULL;
        }
        PyObject *empty = PyTuple_New(0);
        if (empty == NULL)
            return NULL;
        obj = t->tp_new(subtype, empty, NULL);
        Py_DECREF(empty);
    }
    else {
        obj = t->tp_new(subtype, args, kw);
    }
    if (obj != NULL)
        set_default_call(obj);
    return obj;
}

HPyAPI_IMPL PyObject *hpy__field_get(PyObject *self, void *closure)
{
    hpy_field_closure *c = (hpy_field_closure *)closure;
    PyObject *value = *(PyObject **)((char *)self + c->offset);
    if (value == NULL) {
        if (c->type == HPyMember_OBJECT_EX) {
            PyErr_Format(PyExc_AttributeError, "'%.50s' object has no attribute '%s'",
                         Py_TYPE(self)->tp_name, c->name);
            return NULL;
        }
        Py_RETURN_NONE;
    }
    Py_INCREF(value);
    return value;
}

HPyAPI_IMPL int hpy__field_set(PyObject *self, PyObject *value, void *closure)
{
    hpy_field_closure *c = (hpy_field_closure *)closure;
    PyObject **slot = (PyObject **)((char *)self + c->offset);
    PyObject *old = *slot;
    if (value == NULL && old == NULL && c->type == HPyMember_OBJECT_EX) {
        PyErr_Format(PyExc_AttributeError, "'%.50s' object has no attribute '%s'",
                     Py_TYPE(self)->tp_name, c->name);
        return -1;
    }
    Py_XINCREF(value);
    *slot = value;
    Py_XDECREF(old);
    return 0;
}

/* HPy_New of anything but the plan's common case. */
static HPY__NOINLINE HPy new_general(PyObject *t, void **data)
{
    if (t == NULL || !PyType_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "HPy_New arg 1 must be a type");
        *data = NULL;
        return HPy_NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)t;
    hpy_type_plan scratch, *p = hpy__plan(tp, &scratch);
    HPyTypeInfo *info = p->nearest;
    PyTypeObject *builtin = p->builtin;
    PyObject *obj;
    /* PyType_GenericAlloc hands out zeroed memory and tracks GC objects itself */
    int generic = 0;
    if (builtin != NULL) {
        /* a valid empty int, float, str, tuple, list or dict (zeroed memory is not one) */
        PyObject *empty = PyTuple_New(0);
        obj = empty != NULL ? builtin->tp_new(tp, empty, NULL) : NULL;
        Py_XDECREF(empty);
    }
    else {
        generic = tp->tp_alloc == PyType_GenericAlloc;
        obj = tp->tp_alloc(tp, 0);
    }
    if (obj == NULL) {
        *data = NULL;
        return HPy_NULL;
    }
    Py_ssize_t offset = info != NULL ? info->struct_offset : 0;
    /* the module's struct (for legacy types: everything after the object header) is zeroed */
    Py_ssize_t start = offset > 0 ? offset : (Py_ssize_t)sizeof(PyObject);
    if (!generic && tp->tp_basicsize > start)
        memset((char *)obj + start, 0, (size_t)(tp->tp_basicsize - start));
    if (info != NULL && info->call_offset > 0 && info->default_call != NULL)
        *(vectorcallfunc *)((char *)obj + info->call_offset) = info->default_call;
    if (!generic && PyType_IS_GC(tp) && !PyObject_GC_IsTracked(obj))
        PyObject_GC_Track(obj);
    *data = (char *)obj + offset;
    return _py2h(obj);
}

HPyAPI_IMPL HPy ctx_New(HPyContext *ctx, HPy h_type, void **data)
{
    (void)ctx;
    PyObject *t = _h2py(h_type);
    if (t != NULL && PyType_Check(t)) {
        PyTypeObject *tp = (PyTypeObject *)t;
        hpy_type_plan *p = hpy__plan_cached(tp);
        if (p != NULL && p->builtin == NULL && tp->tp_alloc == PyType_GenericAlloc) {
            /* the allocation may run the garbage collector: nothing is read from the plan after */
            Py_ssize_t offset = p->new_offset, call_offset = p->new_call_offset;
            vectorcallfunc call = p->new_call;
            PyObject *obj = PyType_GenericAlloc(tp, 0);
            if (obj == NULL) {
                *data = NULL;
                return HPy_NULL;
            }
            if (call != NULL)
                *(vectorcallfunc *)((char *)obj + call_offset) = call;
            *data = (char *)obj + offset;
            return _py2h(obj);
        }
    }
    return new_general(t, data);
}

/* ctx_AsStruct_<shape> are inline in hpy/runtime/ctx_funcs.h. */

HPyAPI_IMPL void *ctx_AsStruct_Slow(HPyContext *ctx, HPy h)
{
    (void)ctx;
    PyObject *obj = _h2py(h);
    hpy_type_plan scratch;
    HPyTypeInfo *info = hpy__plan(Py_TYPE(obj), &scratch)->nearest;
    return info != NULL ? hpy__struct_of(obj, info) : (void *)obj;
}

HPyAPI_IMPL int ctx_SetCallFunction(HPyContext *ctx, HPy h, HPyCallFunction *func)
{
    (void)ctx;
    PyObject *obj = _h2py(h);
    hpy_type_plan scratch;
    HPyTypeInfo *info = hpy__plan(Py_TYPE(obj), &scratch)->nearest;
    if (info == NULL || info->call_offset <= 0) {
        PyErr_Format(PyExc_TypeError, "type '%.50s does not implement the HPy call protocol",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    *(vectorcallfunc *)((char *)obj + info->call_offset) =
        _HPy_FPTR_CAST(vectorcallfunc, func->cpy_trampoline);
    return 0;
}

HPyAPI_IMPL HPy ctx_Type_GenericNew(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs,
                                    HPy kw)
{
    (void)ctx; (void)args; (void)nargs; (void)kw;
    PyObject *t = _h2py(type);
    if (t == NULL || !PyType_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "HPy_Type_GenericNew arg 1 must be a type");
        return HPy_NULL;
    }
    PyObject *obj = ((PyTypeObject *)t)->tp_alloc((PyTypeObject *)t, 0);
    if (obj != NULL)
        set_default_call(obj);
    return _py2h(obj);
}
