/* Types, instances, fields and globals: HPyType_FromSpec (abi.md §9.7), HPy_New, _HPy_AsStruct_*,
 * the call protocol (§8.4) and the slots the runtime handles itself (§8.3), for the CPython ABI
 * and the universal runtime alike.
 *
 * WHERE THE PER-TYPE DATA LIVES
 *
 * What HPy must remember about a type it created (builtin shape, the type's own traverse and
 * destroy implementations, call-function offset and default, ...) is an HPyTypeInfo owned by
 * HPy, found through a registry keyed by the PyTypeObject*. Nothing goes into the type object:
 * no tp_flags bit, no private field, no entry in the type's dict. (Upstream marked its types with
 * a private tp_flags bit, which CPython 3.13 took for Py_TPFLAGS_INLINE_VALUES.) Types are only
 * read through public fields, so this keeps working whatever CPython does with its own bits.
 *
 * The registry is an open-addressing hash table (Fibonacci hashing, linear probing,
 * backward-shift deletion) from PyTypeObject* to HPyTypeInfo*. A lookup is a multiplication, a
 * probe or two and a compare. The deallocator of an HPy object does one per HPy type in the
 * object's base chain and stops at the first static type (static types are never HPy types), so
 * usually one or two.
 *
 * There is one registry per process, shared by the runtime and every CPython-ABI extension
 * (each of them compiles this file): the first copy that needs it creates it and publishes it as
 * a capsule named HPY_TYPE_REGISTRY in the interpreter's dict (PyInterpreterState_GetDict); the
 * other copies find it there. So an HPy type may inherit from an HPy type of another extension,
 * in any ABI. The capsule gives function pointers (the creating copy does all table work) and
 * relies on the layout of HPyTypeInfo; changing either needs a new HPY_TYPE_REGISTRY name. The
 * registry is never freed: objects may still be deallocated after the interpreter's dict is gone.
 * Every access holds the GIL (no free-threaded build); a copy keeps the registry it found first,
 * so subinterpreters share it too.
 *
 * An entry goes away when its type dies, which a weak reference with a callback reports:
 *  - when the type is deallocated (reference count 0, inside type_dealloc) no instance remains
 *    (each instance holds a reference to its type): the entry is removed and freed at once;
 *  - when the cyclic GC collects the type, the callbacks run before the garbage is cleared, and
 *    instances in the same garbage are deallocated afterwards and still need the entry. It is
 *    kept, marked dead, with a fingerprint of the type (base, sizes, deallocator, vectorcall
 *    offset, name object). A later lookup at that address compares the fingerprint: another type
 *    there means the old one is gone, and the entry is dropped (so is it when a new HPy type is
 *    registered at that address).
 */
#define HPY_COMPAT_NEED_MEMBERDEF
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"
#include "hpy/runtime/ctx_module.h"
#include "hpy/runtime/ctx_type.h"

/* ---- layouts ------------------------------------------------------------------------------ */

/* HPY_MAX_ALIGN, HPY_ALIGN_UP and HPY_OFFSET_<shape> are in hpy/runtime/ctx_funcs.h. */

/* -1 for an invalid shape. */
static Py_ssize_t shape_offset(HPyType_BuiltinShape shape)
{
    switch (shape) {
    case HPyType_BuiltinShape_Legacy: return 0;
    case HPyType_BuiltinShape_Object: return HPY_OFFSET_Object;
    case HPyType_BuiltinShape_Type: return HPY_OFFSET_Type;
    case HPyType_BuiltinShape_Long: return HPY_OFFSET_Long;
    case HPyType_BuiltinShape_Float: return HPY_OFFSET_Float;
    case HPyType_BuiltinShape_Unicode: return HPY_OFFSET_Unicode;
    case HPyType_BuiltinShape_Tuple: return HPY_OFFSET_Tuple;
    case HPyType_BuiltinShape_List: return HPY_OFFSET_List;
    case HPyType_BuiltinShape_Dict: return HPY_OFFSET_Dict;
    }
    return -1;
}

static PyTypeObject *shape_builtin(HPyType_BuiltinShape shape)
{
    switch (shape) {
    case HPyType_BuiltinShape_Object: return &PyBaseObject_Type;
    case HPyType_BuiltinShape_Type: return &PyType_Type;
    case HPyType_BuiltinShape_Long: return &PyLong_Type;
    case HPyType_BuiltinShape_Float: return &PyFloat_Type;
    case HPyType_BuiltinShape_Unicode: return &PyUnicode_Type;
    case HPyType_BuiltinShape_Tuple: return &PyTuple_Type;
    case HPyType_BuiltinShape_List: return &PyList_Type;
    case HPyType_BuiltinShape_Dict: return &PyDict_Type;
    default: return NULL;
    }
}

static const char *shape_name(HPyType_BuiltinShape shape)
{
    switch (shape) {
    case HPyType_BuiltinShape_Legacy: return "HPyType_BuiltinShape_Legacy";
    case HPyType_BuiltinShape_Object: return "HPyType_BuiltinShape_Object";
    case HPyType_BuiltinShape_Type: return "HPyType_BuiltinShape_Type";
    case HPyType_BuiltinShape_Long: return "HPyType_BuiltinShape_Long";
    case HPyType_BuiltinShape_Float: return "HPyType_BuiltinShape_Float";
    case HPyType_BuiltinShape_Unicode: return "HPyType_BuiltinShape_Unicode";
    case HPyType_BuiltinShape_Tuple: return "HPyType_BuiltinShape_Tuple";
    case HPyType_BuiltinShape_List: return "HPyType_BuiltinShape_List";
    case HPyType_BuiltinShape_Dict: return "HPyType_BuiltinShape_Dict";
    }
    return "<unknown shape>";
}

/* ---- the registry ------------------------------------------------------------------------- */

#define HPY_TYPE_REGISTRY "hpy._type_registry_v1"

/* HPyTypeInfo.flags */
#define HPY_TI_AUTO_DEALLOC 1u      /* the type's tp_dealloc is an hpy_auto_dealloc */
#define HPY_TI_HIDDEN_CALL 2u       /* call_offset is the hidden field of HPy_tp_call, at the end */

typedef struct HPyTypeInfo HPyTypeInfo;

/* Shared by every copy of this file (layout fixed by HPY_TYPE_REGISTRY). */
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

/* The table; used only by the copy that created the registry. */
typedef struct {
    PyTypeObject *key;
    HPyTypeInfo *info;
} hpy_table_entry;

static hpy_table_entry *table;
static size_t table_size, table_used;
static int table_shift;

static inline size_t table_index(PyTypeObject *key)
{
    return (size_t)(((uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ULL) >> table_shift);
}

static hpy_table_entry *table_find(PyTypeObject *key)
{
    if (table == NULL)
        return NULL;
    size_t i = table_index(key);
    while (table[i].key != NULL) {
        if (table[i].key == key)
            return &table[i];
        i = (i + 1) & (table_size - 1);
    }
    return NULL;
}

static void table_insert_new(hpy_table_entry *t, size_t size, PyTypeObject *key, HPyTypeInfo *info)
{
    size_t i = table_index(key);
    while (t[i].key != NULL)
        i = (i + 1) & (size - 1);
    t[i].key = key;
    t[i].info = info;
}

static void table_delete(hpy_table_entry *e)
{
    size_t mask = table_size - 1;
    size_t i = (size_t)(e - table), j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (table[j].key == NULL)
            break;
        size_t k = table_index(table[j].key);
        /* an entry may move back to i unless its home slot lies cyclically in (i, j] */
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        table[i] = table[j];
        i = j;
    }
    table[i].key = NULL;
    table[i].info = NULL;
    table_used--;
}

static int fingerprint_matches(HPyTypeInfo *info, PyTypeObject *t)
{
    return (t->tp_flags & Py_TPFLAGS_HEAPTYPE) && t->tp_base == info->fp_base &&
           t->tp_basicsize == info->fp_basicsize && t->tp_itemsize == info->fp_itemsize &&
           t->tp_dealloc == info->fp_dealloc &&
           t->tp_vectorcall_offset == info->fp_vectorcall_offset &&
           ((PyHeapTypeObject *)t)->ht_name == info->fp_name;
}

static HPyTypeInfo *table_lookup(PyTypeObject *type)
{
    hpy_table_entry *e = table_find(type);
    if (e == NULL)
        return NULL;
    HPyTypeInfo *info = e->info;
    if (info->alive || fingerprint_matches(info, type))
        return info;
    /* another type lives at the address of a dead one */
    table_delete(e);
    info->release(info);
    return NULL;
}

static int table_add(HPyTypeInfo *info)
{
    hpy_table_entry *e = table_find(info->type);
    if (e != NULL) {
        HPyTypeInfo *old = e->info;
        e->info = info;
        if (old != info)
            old->release(old);
        return 0;
    }
    if ((table_used + 1) * 2 > table_size) {
        size_t new_size = table_size ? table_size * 2 : 64;
        int new_shift = 64;
        for (size_t s = new_size; s > 1; s >>= 1)
            new_shift--;
        hpy_table_entry *t = (hpy_table_entry *)PyMem_RawCalloc(new_size, sizeof(*t));
        if (t == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        table_shift = new_shift;
        for (size_t i = 0; i < table_size; i++)
            if (table[i].key != NULL)
                table_insert_new(t, new_size, table[i].key, table[i].info);
        PyMem_RawFree(table);
        table = t;
        table_size = new_size;
    }
    table_insert_new(table, table_size, info->type, info);
    table_used++;
    return 0;
}

static void table_remove(HPyTypeInfo *info)
{
    hpy_table_entry *e = table_find(info->type);
    if (e != NULL && e->info == info)
        table_delete(e);
}

/* This copy's view of the process's registry. */
static HPyTypeRegistry *registry;

static HPyTypeRegistry *create_registry(void)
{
    /* a class made by type() shows CPython's generic subtype slots */
    PyObject *probe = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O){}",
                                            "_hpy_type_registry_probe", &PyBaseObject_Type);
    if (probe == NULL)
        return NULL;
    HPyTypeRegistry *r = (HPyTypeRegistry *)PyMem_RawCalloc(1, sizeof(HPyTypeRegistry));
    if (r == NULL) {
        Py_DECREF(probe);
        PyErr_NoMemory();
        return NULL;
    }
    r->size = sizeof(HPyTypeRegistry);
    r->lookup = table_lookup;
    r->add = table_add;
    r->remove = table_remove;
    r->subtype_dealloc = ((PyTypeObject *)probe)->tp_dealloc;
    r->subtype_traverse = ((PyTypeObject *)probe)->tp_traverse;
    r->subtype_clear = ((PyTypeObject *)probe)->tp_clear;
    Py_DECREF(probe);
    return r;
}

/* The registry, found in the interpreter's dict or (create != 0) made there. NULL when there is
 * none: with an exception only if create != 0. */
static HPyTypeRegistry *find_registry(int create)
{
    if (registry != NULL)
        return registry;
    PyObject *d = PyInterpreterState_GetDict(PyInterpreterState_Get());
    if (d == NULL) {
        if (create)
            PyErr_SetString(PyExc_SystemError, "HPy: the interpreter has no dict for the type "
                                               "registry");
        return NULL;
    }
    PyObject *capsule = PyDict_GetItemString(d, HPY_TYPE_REGISTRY);   /* borrowed */
    if (capsule != NULL) {
        HPyTypeRegistry *r = (HPyTypeRegistry *)PyCapsule_GetPointer(capsule, HPY_TYPE_REGISTRY);
        if (r != NULL && r->size >= sizeof(HPyTypeRegistry)) {
            registry = r;
            return r;
        }
        if (!create) {
            PyErr_Clear();
            return NULL;
        }
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_SystemError, "HPy: incompatible type registry");
        return NULL;
    }
    if (!create)
        return NULL;
    HPyTypeRegistry *r = create_registry();
    if (r == NULL)
        return NULL;
    capsule = PyCapsule_New(r, HPY_TYPE_REGISTRY, NULL);
    if (capsule == NULL || PyDict_SetItemString(d, HPY_TYPE_REGISTRY, capsule) < 0) {
        Py_XDECREF(capsule);
        PyMem_RawFree(r);
        return NULL;
    }
    Py_DECREF(capsule);
    registry = r;
    return r;
}

/* The last type found in the registry. A type is identified by its address and its version tag:
 * CPython never gives a tag twice, and a type without one (0) is not cached, so the pair cannot
 * name a type that died (whose info may be freed) and another type at its address. */
static PyTypeObject *last_type;
static unsigned int last_tag;
static HPyTypeInfo *last_info;

/* The info of a type created by HPyType_FromSpec, or NULL. Never raises. */
static inline HPyTypeInfo *type_info(PyTypeObject *t)
{
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return NULL;
    unsigned int tag = t->tp_version_tag;
    if (t == last_type && tag == last_tag && tag != 0)
        return last_info;
    HPyTypeRegistry *r = registry != NULL ? registry : find_registry(0);
    HPyTypeInfo *info = r != NULL ? r->lookup(t) : NULL;
    if (info != NULL && tag != 0 && info->alive) {
        last_type = t;
        last_tag = tag;
        last_info = info;
    }
    return info;
}

/* The info of the nearest HPy type in t's base chain (t included), or NULL. */
static HPyTypeInfo *nearest_info(PyTypeObject *t)
{
    for (; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *info = type_info(t);
        if (info != NULL)
            return info;
    }
    return NULL;
}

/* ---- infos made by this copy -------------------------------------------------------------- */

/* An OBJECT / OBJECT_EX member, exposed as a get/set descriptor over its HPyField. */
typedef struct {
    Py_ssize_t offset;       /* from the start of the object */
    int type;
    const char *name;
} hpy_field_closure;

typedef struct {
    HPyTypeInfo pub;         /* first */
    PyObject *weakref;       /* to the type, with the callback below; NULL once it fired */
    PyMethodDef *methods;
    PyMemberDef *members;
    PyGetSetDef *getsets;
    hpy_field_closure *fields;
} hpy_local_info;

static void release_info(HPyTypeInfo *info)
{
    hpy_local_info *li = (hpy_local_info *)info;
    Py_XDECREF(li->weakref);
    PyMem_Free(li->methods);
    PyMem_Free(li->members);
    PyMem_Free(li->getsets);
    PyMem_Free(li->fields);
    PyMem_Free(li);
}

/* A weak reference cannot be released inside its own callback: the last one is released when
 * the next type dies. */
static PyObject *last_dead_weakref;

static PyObject *type_died(PyObject *capsule, PyObject *wr)
{
    (void)wr;
    hpy_local_info *li = (hpy_local_info *)PyCapsule_GetPointer(capsule, "hpy.type_info");
    if (li == NULL)
        return NULL;
    PyObject *previous = last_dead_weakref;
    last_dead_weakref = li->weakref;
    li->weakref = NULL;
    HPyTypeInfo *info = &li->pub;
    PyTypeObject *t = info->type;
    if (Py_REFCNT(t) == 0) {
        /* inside type_dealloc: no instance is left */
        registry->remove(info);
        info->release(info);
    }
    else {
        /* collected by the GC: instances in the same garbage may still need the info */
        info->fp_base = t->tp_base;
        info->fp_basicsize = t->tp_basicsize;
        info->fp_itemsize = t->tp_itemsize;
        info->fp_dealloc = t->tp_dealloc;
        info->fp_vectorcall_offset = t->tp_vectorcall_offset;
        info->fp_name = ((PyHeapTypeObject *)t)->ht_name;
        info->alive = 0;
    }
    Py_XDECREF(previous);
    Py_RETURN_NONE;
}

static PyMethodDef type_died_def = {"_hpy_type_died", type_died, METH_O, NULL};

/* Register li for its type (which must be alive). 0, or -1 with an exception. */
static int register_info(hpy_local_info *li)
{
    HPyTypeRegistry *r = find_registry(1);
    if (r == NULL)
        return -1;
    PyObject *capsule = PyCapsule_New(li, "hpy.type_info", NULL);
    if (capsule == NULL)
        return -1;
    PyObject *callback = PyCFunction_New(&type_died_def, capsule);
    Py_DECREF(capsule);
    if (callback == NULL)
        return -1;
    li->weakref = PyWeakref_NewRef((PyObject *)li->pub.type, callback);
    Py_DECREF(callback);
    if (li->weakref == NULL)
        return -1;
    li->pub.alive = 1;
    li->pub.release = release_info;
    if (r->add(&li->pub) < 0) {
        Py_CLEAR(li->weakref);
        return -1;
    }
    HPyCompat_AssignVersionTag(li->pub.type);     /* for the lookup cache of type_info() */
    return 0;
}

/* ---- instances ---------------------------------------------------------------------------- */

static inline void *struct_of(PyObject *self, const HPyTypeInfo *info)
{
    return (char *)self + info->struct_offset;
}

/* Write the default call function of obj's type, if its type uses the call protocol. */
static void set_default_call(PyObject *obj)
{
    HPyTypeInfo *info = nearest_info(Py_TYPE(obj));
    if (info != NULL && info->call_offset > 0 && info->default_call != NULL)
        *(vectorcallfunc *)((char *)obj + info->call_offset) = info->default_call;
}

/* The nearest type, from t up, whose slot must still run after the HPy part of an object was
 * handled: not an HPy type whose slot is the automatic one (or its trampoline), not a class
 * using CPython's generic subtype slot, not a type that merely inherited the slot. */
#define BASE_SLOT_OWNER(NAME, FIELD, IS_HPY, SUBTYPE_FUNC) \
    static PyTypeObject *NAME(PyTypeObject *t) \
    { \
        HPyTypeRegistry *r = registry != NULL ? registry : find_registry(0); \
        for (; t != NULL; t = t->tp_base) { \
            if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) { \
                HPyTypeInfo *info = type_info(t); \
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

typedef struct {
    visitproc visit;
    void *arg;
} hpy_visit_state;

static int visit_field(HPyField *f, void *state)
{
    PyObject *obj = _hf2py(*f);
    if (obj == NULL)
        return 0;
    hpy_visit_state *s = (hpy_visit_state *)state;
    return s->visit(obj, s->arg);
}

static int clear_field(HPyField *f, void *arg)
{
    (void)arg;
    PyObject *obj = _hf2py(*f);
    *f = HPyField_NULL;
    Py_XDECREF(obj);
    return 0;
}

HPyAPI_IMPL int call_traverseproc_from_trampoline(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                                  visitproc visit, void *arg)
{
    PyTypeObject *tp = Py_TYPE(self), *owner = NULL, *t;
    HPyTypeInfo *first = NULL, *info = NULL;
    for (t = tp; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *i = type_info(t);
        if (i == NULL)
            continue;
        if (first == NULL)
            first = i;
        if (i->traverse == tp_traverse) {
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
    /* an instance of a heap type owns a reference to it; type_traverse and heap types' own
     * traverse functions visit it themselves */
    if (base_traverse == NULL ||
        !((base->tp_flags & Py_TPFLAGS_HEAPTYPE) || PyType_IsSubtype(base, &PyType_Type)))
        Py_VISIT(tp);
    hpy_visit_state state = { visit, arg };
    int res;
    _HPY_RESTRICTED_BEGIN("tp_traverse", owner, NULL, tp_traverse)
    res = tp_traverse(info != NULL ? struct_of(self, info) : (void *)self, visit_field, &state);
    _HPY_RESTRICTED_END
    if (res != 0)
        return res;
    /* a dict slot (legacy __dictoffset__ member) that no other traverse function visits */
    if (owner->tp_dictoffset > 0 && (base == NULL || base->tp_dictoffset != owner->tp_dictoffset))
        Py_VISIT(*(PyObject **)((char *)self + owner->tp_dictoffset));
    return base_traverse != NULL ? base_traverse(self, visit, arg) : 0;
}

HPyAPI_IMPL int _HPyType_FieldsVisible(PyTypeObject *tp)
{
    int result = -1;
    for (PyTypeObject *t = tp; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *info = type_info(t);
        if (info == NULL)
            continue;
        if (info->traverse != NULL)
            return 1;
        result = 0;
    }
    return result;
}

/* Clear every HPyField of self through the traverse implementations of its HPy types; returns
 * the highest of those types (NULL if none). */
static PyTypeObject *clear_hpy_fields(PyObject *self)
{
    PyTypeObject *top = NULL;
    for (PyTypeObject *t = Py_TYPE(self); t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE);
         t = t->tp_base) {
        HPyTypeInfo *info = type_info(t);
        if (info != NULL && info->traverse != NULL) {
            _HPY_RESTRICTED_BEGIN("tp_traverse", t, NULL, info->traverse)
            info->traverse(struct_of(self, info), clear_field, NULL);
            _HPY_RESTRICTED_END
            top = t;
        }
    }
    return top;
}

/* tp_clear of types with HPy_tp_traverse. */
static int hpy_auto_clear(PyObject *self)
{
    PyTypeObject *top = clear_hpy_fields(self);
    PyTypeObject *base = top != NULL ? clear_owner(top->tp_base) : NULL;
    Py_ssize_t dictoffset = Py_TYPE(self)->tp_dictoffset;
    if (dictoffset > 0)
        Py_CLEAR(*(PyObject **)((char *)self + dictoffset));
    if (base != NULL && base->tp_clear != NULL)
        return base->tp_clear(self);
    return 0;
}

/* tp_dealloc of types with HPy_tp_traverse or HPy_tp_destroy (or an HPy base with them). */
static void auto_dealloc_body(PyObject *self);

static void hpy_auto_dealloc(PyObject *self)
{
    /* releasing the fields may deallocate long chains of objects: past some depth, CPython's
     * trashcan defers the deallocation (of untracked GC objects only) */
    if (PyType_IS_GC(Py_TYPE(self))) {
        PyObject_GC_UnTrack(self);
        Py_TRASHCAN_BEGIN(self, hpy_auto_dealloc)
        auto_dealloc_body(self);
        Py_TRASHCAN_END
    }
    else {
        auto_dealloc_body(self);
    }
}

static void run_destroy(PyObject *self, HPyTypeInfo *info)
{
    _HPY_RESTRICTED_BEGIN("tp_destroy", info->type, NULL, info->destroy)
    info->destroy(struct_of(self, info));
    _HPY_RESTRICTED_END
}

static void auto_dealloc_body(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self), *t;
    HPyTypeInfo *info = type_info(tp);
    /* if not, a class made by type() derives from an HPy type, and subtype_dealloc already ran
     * the finalizer and released its weak references and dict */
    int outermost = info != NULL && (info->flags & HPY_TI_AUTO_DEALLOC);
    if (outermost && tp->tp_finalize != NULL) {
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
    if (tp->tp_weaklistoffset != 0)
        PyObject_ClearWeakRefs(self);
    if (tp->tp_dictoffset > 0)
        Py_CLEAR(*(PyObject **)((char *)self + tp->tp_dictoffset));
    /* the HPy types of the base chain, each looked up once (most derived first) */
    HPyTypeInfo *chain[8];
    int n = 0, more = 0;
    PyTypeObject *top = NULL;
    for (t = tp; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
        HPyTypeInfo *i = t == tp ? info : type_info(t);
        if (i == NULL)
            continue;
        if (i->flags & HPY_TI_AUTO_DEALLOC)
            top = t;
        if (i->traverse != NULL) {
            _HPY_RESTRICTED_BEGIN("tp_traverse", t, NULL, i->traverse)
            i->traverse(struct_of(self, i), clear_field, NULL);
            _HPY_RESTRICTED_END
        }
        if (n < 8)
            chain[n++] = i;
        else
            more = 1;
    }
    for (int k = 0; k < n; k++) {
        if (chain[k]->destroy != NULL)
            run_destroy(self, chain[k]);
    }
    if (more) {                 /* very deep chains: the rest, looked up again */
        int seen = 0;
        for (t = tp; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
            HPyTypeInfo *i = type_info(t);
            if (i != NULL && seen++ >= 8 && i->destroy != NULL)
                run_destroy(self, i);
        }
    }
    PyTypeObject *base = dealloc_owner(top != NULL ? top->tp_base : tp->tp_base);
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
static PyObject *hpy_call_protocol_new(PyTypeObject *subtype, PyObject *args, PyObject *kw);

static int is_call_protocol_new(PyTypeObject *t)
{
    if (t->tp_new == hpy_call_protocol_new)
        return 1;
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return 0;
    HPyTypeInfo *info = type_info(t);
    if (info != NULL)
        return info->runtime_new != NULL && t->tp_new == info->runtime_new;
    return t->tp_base != NULL && t->tp_new == t->tp_base->tp_new && is_call_protocol_new(t->tp_base);
}

/* tp_new of types using the call protocol without HPy_tp_new: the base's tp_new, then the
 * default call function. */
static PyObject *hpy_call_protocol_new(PyTypeObject *subtype, PyObject *args, PyObject *kw)
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

static PyObject *field_get(PyObject *self, void *closure)
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

static int field_set(PyObject *self, PyObject *value, void *closure)
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

/* ---- HPyType_FromSpec --------------------------------------------------------------------- */

/* The slots HPyType_Spec.defines may hold. */
static int is_type_slot(HPySlot_Slot slot)
{
    if (slot >= HPy_bf_getbuffer && slot <= HPy_sq_repeat)
        return 1;
    switch (slot) {
    case HPy_tp_call:
    case HPy_tp_descr_get:
    case HPy_tp_hash:
    case HPy_tp_init:
    case HPy_tp_new:
    case HPy_tp_repr:
    case HPy_tp_richcompare:
    case HPy_tp_str:
    case HPy_tp_traverse:
    case HPy_nb_matrix_multiply:
    case HPy_nb_inplace_matrix_multiply:
    case HPy_tp_finalize:
    case HPy_tp_destroy:
        return 1;
    default:
        return 0;
    }
}

/* Bytes a member of this type occupies (0: none), -1 for an unknown type. */
static Py_ssize_t member_size(int type)
{
    switch (type) {
    case HPyMember_SHORT: return sizeof(short);
    case HPyMember_INT: return sizeof(int);
    case HPyMember_LONG: return sizeof(long);
    case HPyMember_FLOAT: return sizeof(float);
    case HPyMember_DOUBLE: return sizeof(double);
    case HPyMember_STRING: return sizeof(char *);
    case HPyMember_OBJECT: return sizeof(HPyField);
    case HPyMember_CHAR: return sizeof(char);
    case HPyMember_BYTE: return sizeof(signed char);
    case HPyMember_UBYTE: return sizeof(unsigned char);
    case HPyMember_USHORT: return sizeof(unsigned short);
    case HPyMember_UINT: return sizeof(unsigned int);
    case HPyMember_ULONG: return sizeof(unsigned long);
    case HPyMember_STRING_INPLACE: return 1;
    case HPyMember_BOOL: return sizeof(char);
    case HPyMember_OBJECT_EX: return sizeof(HPyField);
    case HPyMember_LONGLONG: return sizeof(long long);
    case HPyMember_ULONGLONG: return sizeof(unsigned long long);
    case HPyMember_HPYSSIZET: return sizeof(HPy_ssize_t);
    case HPyMember_NONE: return 0;
    default: return -1;
    }
}

static int is_special_member(const char *name)
{
    return strcmp(name, "__vectorcalloffset__") == 0 || strcmp(name, "__weaklistoffset__") == 0 ||
           strcmp(name, "__dictoffset__") == 0;
}

#define MAX_SLOT_ID 100          /* CPython slot ids are below this; others are passed as is */

typedef struct {
    void *by_id[MAX_SLOT_ID];
    PyType_Slot *other;          /* ids >= MAX_SLOT_ID from the legacy slots */
    Py_ssize_t n_other;
} slot_table;

static void slot_set(slot_table *st, int id, void *value)
{
    if (id > 0 && id < MAX_SLOT_ID) {
        st->by_id[id] = value;
    }
    else {
        st->other[st->n_other].slot = id;
        st->other[st->n_other].pfunc = value;
        st->n_other++;
    }
}

/* The type of a base or metaclass param, checked. */
static int check_type_arg(PyObject *obj, const char *what, const char *name)
{
    if (!PyType_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s of '%s' must be a type, not '%.100s'", what, name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

/* A type of the chain of b, from b up: the first one that is an HPy type or a static type. */
static PyTypeObject *layout_root(PyTypeObject *b, HPyTypeInfo **info)
{
    *info = NULL;
    for (; b != NULL; b = b->tp_base) {
        if (!(b->tp_flags & Py_TPFLAGS_HEAPTYPE))
            return b;
        *info = type_info(b);
        if (*info != NULL)
            return b;
    }
    return NULL;
}

/* The builtin shape against one base (see the error messages). */
static int check_shape_against_base(const char *name, HPyType_BuiltinShape shape, int has_struct,
                                    PyTypeObject *b)
{
    PyTypeObject *builtin = shape_builtin(shape);
    if (!PyType_IsSubtype(b, builtin)) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has builtin shape %s, so its bases must be subclasses of '%s', "
                     "but base '%s' is not",
                     name, shape_name(shape), builtin->tp_name, b->tp_name);
        return -1;
    }
    HPyTypeInfo *info;
    PyTypeObject *root = layout_root(b, &info);
    if (info != NULL && info->shape != shape &&
        (info->shape != HPyType_BuiltinShape_Legacy || has_struct)) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has builtin shape %s, which conflicts with the shape %s of its "
                     "base '%s'",
                     name, shape_name(shape), shape_name(info->shape), root->tp_name);
        return -1;
    }
    if (!has_struct)
        return 0;
    /* the struct goes right after the builtin layout: nothing else may be there */
    int same_layout = root != NULL && b->tp_basicsize == root->tp_basicsize &&
                      (info != NULL || (root->tp_basicsize == builtin->tp_basicsize &&
                                        root->tp_itemsize == builtin->tp_itemsize));
    if (!same_layout) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has builtin shape %s, but base '%s' does not have the memory "
                     "layout of '%s': the type's struct would overlap the base's data",
                     name, shape_name(shape), b->tp_name, builtin->tp_name);
        return -1;
    }
    return 0;
}

/* The items of an Object-shape type against one base (see the error messages): the item count
 * goes right after the object header and the items right after the struct, so neither may fall
 * on data a base has there. */
static int check_items_against_base(const char *name, HPyType_Spec *spec, PyTypeObject *b)
{
    if (b->tp_itemsize == 0) {
        if (spec->itemsize != 0 && b->tp_basicsize > PyBaseObject_Type.tp_basicsize) {
            PyErr_Format(PyExc_TypeError,
                         "type '%s' has .itemsize %d, but its base '%s' has instances of a fixed "
                         "size with data after the object header, where the item count of a "
                         "variable-size object goes",
                         name, spec->itemsize, b->tp_name);
            return -1;
        }
        return 0;
    }
    if (spec->itemsize != 0 && spec->itemsize != b->tp_itemsize) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has .itemsize %d, but the items of its base '%s' have %zd bytes",
                     name, spec->itemsize, b->tp_name, b->tp_itemsize);
        return -1;
    }
    if (spec->basicsize > 0 && HPY_OFFSET_VarObject + spec->basicsize > b->tp_basicsize) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' cannot extend the struct of its base '%s', whose instances vary "
                     "in size: their items follow the base's struct",
                     name, b->tp_name);
        return -1;
    }
    return 0;
}

HPyAPI_IMPL PyObject *get_metatype(HPyType_SpecParam *params)
{
    PyObject *res = NULL;
    if (params != NULL)
        for (HPyType_SpecParam *p = params; p->kind != 0; p++)
            if (p->kind == HPyType_SpecParam_Metaclass)
                res = _h2py(p->object);
    return res;
}

HPyAPI_IMPL HPy ctx_Type_FromSpec(HPyContext *ctx, HPyType_Spec *spec, HPyType_SpecParam *params)
{
    (void)ctx;
    if (spec == NULL) {
        PyErr_SetString(PyExc_SystemError, "HPyType_FromSpec: the spec is NULL");
        return HPy_NULL;
    }
    const char *name = spec->name;
    if (name == NULL) {
        PyErr_SetString(PyExc_SystemError, "HPyType_Spec.name must not be NULL");
        return HPy_NULL;
    }

    /* 1. params */
    Py_ssize_t n_base = 0, n_bases_tuple = 0, n_meta = 0;
    PyObject *bases_tuple = NULL, *meta = NULL;
    if (params != NULL) {
        for (HPyType_SpecParam *p = params; p->kind != 0; p++) {
            switch (p->kind) {
            case HPyType_SpecParam_Base:
                n_base++;
                break;
            case HPyType_SpecParam_BasesTuple:
                n_bases_tuple++;
                bases_tuple = _h2py(p->object);
                break;
            case HPyType_SpecParam_Metaclass:
                n_meta++;
                meta = _h2py(p->object);
                break;
            default:
                PyErr_Format(PyExc_TypeError,
                             "unknown HPyType_SpecParam specification for '%s'", name);
                return HPy_NULL;
            }
            if (HPy_IsNull(p->object)) {
                PyErr_Format(PyExc_SystemError,
                             "HPyType_SpecParam of kind %d for '%s' has a null object",
                             (int)p->kind, name);
                return HPy_NULL;
            }
        }
    }
    if (n_bases_tuple > 1) {
        PyErr_SetString(PyExc_TypeError,
                        "multiple specifications of HPyType_SpecParam_BasesTuple");
        return HPy_NULL;
    }
    if (n_base > 0 && n_bases_tuple > 0) {
        PyErr_SetString(PyExc_TypeError,
                        "cannot specify both HPyType_SpecParam_Base and "
                        "HPytype_SpecParam_BasesTuple");
        return HPy_NULL;
    }

    /* the defines */
    Py_ssize_t n_members = 0, n_fields = 0, n_getsets = 0;
    int has_new = 0, has_vcoff_member = 0;
    HPyDef *call_def = NULL;
    HPyFunc_traverseproc traverse = NULL;
    HPyFunc_destroyfunc destroy = NULL;
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyDef *d = *dp;
            switch (d->kind) {
            case HPyDef_Kind_Slot:
                if (!is_type_slot(d->slot.slot)) {
                    PyErr_Format(PyExc_SystemError,
                                 "Unsupported slot in HPyType_Spec.defines of '%s' (value: %d).",
                                 name, (int)d->slot.slot);
                    return HPy_NULL;
                }
                if (d->slot.slot == HPy_tp_destroy || d->slot.slot == HPy_tp_traverse
                        ? d->slot.impl == NULL : d->slot.cpy_trampoline == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of slot %d in HPyType_Spec.defines of '%s' has no "
                                 "implementation", (int)d->slot.slot, name);
                    return HPy_NULL;
                }
                if (d->slot.slot == HPy_tp_traverse)
                    traverse = _HPy_FPTR_CAST(HPyFunc_traverseproc, d->slot.impl);
                else if (d->slot.slot == HPy_tp_destroy)
                    destroy = _HPy_FPTR_CAST(HPyFunc_destroyfunc, d->slot.impl);
                else if (d->slot.slot == HPy_tp_call)
                    call_def = d;
                else if (d->slot.slot == HPy_tp_new)
                    has_new = 1;
                break;
            case HPyDef_Kind_Meth:
                if (d->meth.name == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of kind Meth in HPyType_Spec.defines of '%s' has a NULL "
                                 "name", name);
                    return HPy_NULL;
                }
                break;
            case HPyDef_Kind_Member:
                if (d->member.name == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of kind Member in HPyType_Spec.defines of '%s' has a "
                                 "NULL name", name);
                    return HPy_NULL;
                }
                if (member_size(d->member.type) < 0) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyMember '%s' in HPyType_Spec.defines of '%s' has an unknown "
                                 "type (value: %d).", d->member.name, name, (int)d->member.type);
                    return HPy_NULL;
                }
                if (is_special_member(d->member.name) &&
                    (d->member.type != HPyMember_HPYSSIZET || !d->member.readonly)) {
                    PyErr_Format(PyExc_TypeError,
                                 "member '%s' of '%s' must be a read-only HPyMember_HPYSSIZET",
                                 d->member.name, name);
                    return HPy_NULL;
                }
                if (strcmp(d->member.name, "__vectorcalloffset__") == 0)
                    has_vcoff_member = 1;
                n_members++;
                if (d->member.type == HPyMember_OBJECT || d->member.type == HPyMember_OBJECT_EX)
                    n_fields++;
                break;
            case HPyDef_Kind_GetSet:
                if (d->getset.name == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of kind GetSet in HPyType_Spec.defines of '%s' has a "
                                 "NULL name", name);
                    return HPy_NULL;
                }
                n_getsets++;
                break;
            default:
                PyErr_Format(PyExc_SystemError,
                             "HPyDef in HPyType_Spec.defines of '%s' has an unknown kind "
                             "(value: %d).", name, (int)d->kind);
                return HPy_NULL;
            }
        }
    }

    /* 2. legacy slots */
    PyType_Slot *legacy = (PyType_Slot *)spec->legacy_slots;
    Py_ssize_t n_legacy = 0;
    PyMethodDef *legacy_methods = NULL;
    PyMemberDef *legacy_members = NULL;
    PyGetSetDef *legacy_getsets = NULL;
    int legacy_new = 0, legacy_dealloc = 0;
    if (legacy != NULL) {
        if (spec->builtin_shape != HPyType_BuiltinShape_Legacy) {
            PyErr_SetString(PyExc_TypeError,
                            "cannot specify .legacy_slots without setting "
                            ".builtin_shape=HPyType_BuiltinShape_Legacy");
            return HPy_NULL;
        }
        for (PyType_Slot *s = legacy; s->slot != 0; s++) {
            n_legacy++;
            if (s->slot == Py_tp_methods)
                legacy_methods = (PyMethodDef *)s->pfunc;
            else if (s->slot == Py_tp_members)
                legacy_members = (PyMemberDef *)s->pfunc;
            else if (s->slot == Py_tp_getset)
                legacy_getsets = (PyGetSetDef *)s->pfunc;
            else if (s->slot == Py_tp_new)
                legacy_new = 1;
            else if (s->slot == Py_tp_dealloc)
                legacy_dealloc = 1;
        }
        if (legacy_dealloc && (traverse != NULL || destroy != NULL)) {
            PyErr_SetString(PyExc_TypeError,
                            "legacy tp_dealloc is incompatible with HPy_tp_traverse or "
                            "HPy_tp_destroy.");
            return HPy_NULL;
        }
    }

    /* 3. GC */
    unsigned long flags = spec->flags;
    if ((flags & Py_TPFLAGS_HAVE_GC) && traverse == NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "You must provide an HPy_tp_traverse slot if you specify "
                        "HPy_TPFLAGS_HAVE_GC");
        return HPy_NULL;
    }

    /* 4. shape and sizes */
    HPyType_BuiltinShape shape = spec->builtin_shape;
    Py_ssize_t header = shape_offset(shape);
    if (header < 0) {
        PyErr_Format(PyExc_ValueError, "invalid shape: %d", (int)shape);
        return HPy_NULL;
    }
    if (spec->basicsize < 0 || spec->itemsize < 0) {
        PyErr_Format(PyExc_SystemError, "HPyType_Spec of '%s' has a negative %s (%d)", name,
                     spec->basicsize < 0 ? ".basicsize" : ".itemsize",
                     spec->basicsize < 0 ? spec->basicsize : spec->itemsize);
        return HPy_NULL;
    }
    /* the items of another builtin shape would overlap the builtin object's own data */
    if (spec->itemsize != 0 && shape != HPyType_BuiltinShape_Legacy &&
        shape != HPyType_BuiltinShape_Object) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has .itemsize %d, but only types of builtin shape "
                     "HPyType_BuiltinShape_Object or HPyType_BuiltinShape_Legacy can vary in "
                     "size, not %s",
                     name, spec->itemsize, shape_name(shape));
        return HPy_NULL;
    }

    /* 7. members */
    if (n_members > 0 && spec->basicsize == 0) {
        PyErr_SetString(PyExc_TypeError, "Type claims to have basicsize==0 but defines members");
        return HPy_NULL;
    }
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyMember *m = &(*dp)->member;
            if ((*dp)->kind != HPyDef_Kind_Member || m->type == HPyMember_NONE)
                continue;
            Py_ssize_t size = member_size(m->type);
            if (m->offset < 0 || m->offset + size > spec->basicsize) {
                PyErr_Format(PyExc_TypeError,
                             "member '%s' of '%s' (offset %zd, %zd bytes) does not fit in "
                             ".basicsize %d",
                             m->name, name, m->offset, size, spec->basicsize);
                return HPy_NULL;
            }
        }
    }

    /* 8. call protocol */
    if (call_def != NULL) {
        if (spec->itemsize != 0) {
            PyErr_SetString(PyExc_TypeError, "Cannot use HPy call protocol with var objects");
            return HPy_NULL;
        }
        if (shape == HPyType_BuiltinShape_Legacy && spec->basicsize == 0) {
            PyErr_SetString(PyExc_TypeError,
                            "Cannot use HPy call protocol with legacy types that inherit the "
                            "struct. Either set the basicsize to anon-zero value or use legacy "
                            "slot 'Py_tp_call'.");
            return HPy_NULL;
        }
        if (has_vcoff_member) {
            PyErr_SetString(PyExc_TypeError,
                            "Cannot have HPy_tp_call and explicit member'__vectorcalloffset__'. "
                            "Specify just one of them.");
            return HPy_NULL;
        }
    }

    /* 9. bases and metaclass */
    PyObject *bases = NULL;           /* new reference, or NULL: object */
    if (n_base > 0) {
        bases = PyTuple_New(n_base);
        if (bases == NULL)
            return HPy_NULL;
        Py_ssize_t i = 0;
        for (HPyType_SpecParam *p = params; p->kind != 0; p++) {
            if (p->kind == HPyType_SpecParam_Base) {
                PyObject *b = _h2py(p->object);
                Py_INCREF(b);
                PyTuple_SET_ITEM(bases, i++, b);
            }
        }
    }
    else if (bases_tuple != NULL) {
        if (!PyTuple_Check(bases_tuple)) {
            PyErr_Format(PyExc_TypeError,
                         "HPyType_SpecParam_BasesTuple of '%s' must be a tuple, not '%.100s'",
                         name, Py_TYPE(bases_tuple)->tp_name);
            return HPy_NULL;
        }
        Py_INCREF(bases_tuple);
        bases = bases_tuple;
    }
    PyObject *result = NULL;
    hpy_local_info *li = NULL;
    PyType_Slot *slots = NULL;
    PyMemberDef *members = NULL;
    PyGetSetDef *getsets = NULL;
    hpy_field_closure *fields = NULL;
    PyMethodDef *methods = NULL;

    if (n_meta > 1) {
        PyErr_SetString(PyExc_ValueError, "metaclass was specified multiple times");
        goto fail;
    }
    if (meta != NULL) {
        if (!PyType_Check(meta) || !PyType_IsSubtype((PyTypeObject *)meta, &PyType_Type)) {
            PyErr_Format(PyExc_TypeError, "Metaclass '%R' is not a subclass of 'type'.", meta);
            goto fail;
        }
        if (((PyTypeObject *)meta)->tp_new != PyType_Type.tp_new) {
            PyErr_SetString(PyExc_TypeError, "Metaclasses with custom tp_new are not supported.");
            goto fail;
        }
    }
    Py_ssize_t n_bases = bases != NULL ? PyTuple_GET_SIZE(bases) : 0;
    Py_ssize_t base_size = PyBaseObject_Type.tp_basicsize;     /* the largest of the bases */
    Py_ssize_t base_struct_end = base_size;     /* the same without a hidden call field */
    HPyTypeInfo *inherited = NULL;      /* of the nearest HPy type among the bases' chains */
    int base_gc = 0, var_base = 0;
    for (Py_ssize_t i = 0; i < n_bases; i++) {
        PyObject *b = PyTuple_GET_ITEM(bases, i);
        if (check_type_arg(b, "the bases", name) < 0)
            goto fail;
        PyTypeObject *bt = (PyTypeObject *)b;
        if (bt->tp_itemsize != 0)
            var_base = 1;
        if (bt->tp_basicsize > base_size)
            base_size = bt->tp_basicsize;
        Py_ssize_t end = bt->tp_basicsize;
        HPyTypeInfo *bi = nearest_info(bt);
        if (bi != NULL && (bi->flags & HPY_TI_HIDDEN_CALL) &&
            bi->call_offset + (Py_ssize_t)sizeof(vectorcallfunc) == end)
            end = bi->call_offset;
        if (end > base_struct_end)
            base_struct_end = end;
        if (PyType_IS_GC(bt))
            base_gc = 1;
        if (shape != HPyType_BuiltinShape_Legacy &&
            check_shape_against_base(name, shape, spec->basicsize > 0, bt) < 0)
            goto fail;
        if (shape == HPyType_BuiltinShape_Object && check_items_against_base(name, spec, bt) < 0)
            goto fail;
        if (inherited == NULL)
            inherited = nearest_info(bt);
    }
    if (n_bases == 0 && shape != HPyType_BuiltinShape_Legacy && shape != HPyType_BuiltinShape_Object &&
        check_shape_against_base(name, shape, spec->basicsize > 0, &PyBaseObject_Type) < 0)
        goto fail;
    /* Instances of an Object-shape type with items (its own or inherited) have a PyVarObject
     * header: the struct starts after it, the items after the struct (docs/runtime.md). */
    int has_items = spec->itemsize != 0 || var_base;
    if (shape == HPyType_BuiltinShape_Object && has_items)
        header = HPY_OFFSET_VarObject;
    if (call_def != NULL && has_items) {
        PyErr_SetString(PyExc_TypeError, "Cannot use HPy call protocol with var objects");
        goto fail;
    }

    /* 5. the instance size */
    Py_ssize_t basicsize = 0;
    if (spec->basicsize > 0)
        basicsize = header + spec->basicsize;
    if (basicsize > 0 && basicsize < base_struct_end) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' would have instances of %zd bytes, smaller than those of its "
                     "bases (%zd bytes): its struct must contain the struct of its base",
                     name, basicsize, base_struct_end);
        goto fail;
    }
    /* A subclass that adds a struct to a type using HPy_tp_call would have the inherited hidden
     * call-function field inside its struct: it gets its own, after the struct. */
    int inherit_call = call_def == NULL && !has_vcoff_member && spec->basicsize > 0 &&
                       inherited != NULL && inherited->call_offset > 0 &&
                       inherited->default_call != NULL;
    Py_ssize_t call_offset = 0;
    if (call_def != NULL || inherit_call) {
        Py_ssize_t size = basicsize > 0 ? basicsize : (header > base_size ? header : base_size);
        call_offset = HPY_ALIGN_UP(size);
        basicsize = call_offset + (Py_ssize_t)sizeof(vectorcallfunc);
    }
    if (basicsize > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "type '%s' is too large", name);
        goto fail;
    }

    /* flags */
    int call_protocol = call_def != NULL || has_vcoff_member || inherit_call;
    if (call_protocol) {
        flags |= Py_TPFLAGS_HAVE_VECTORCALL;
    }
    else if (flags & Py_TPFLAGS_HAVE_VECTORCALL) {
        int inherits = 0;
        for (Py_ssize_t i = 0; i < n_bases; i++)
            if (((PyTypeObject *)PyTuple_GET_ITEM(bases, i))->tp_vectorcall_offset > 0)
                inherits = 1;
        if (!inherits) {
            PyErr_Format(PyExc_TypeError,
                         "type '%s' sets HPy_TPFLAGS_HAVE_VECTORCALL but does not use the HPy "
                         "call protocol (HPy_tp_call or a '__vectorcalloffset__' member)", name);
            goto fail;
        }
    }
    if (traverse != NULL && base_gc)
        flags |= Py_TPFLAGS_HAVE_GC;
    int auto_dealloc = !legacy_dealloc &&
                       (traverse != NULL || destroy != NULL ||
                        (inherited != NULL && (inherited->flags & HPY_TI_AUTO_DEALLOC)));

    /* the type's private data and arrays (kept as long as the type lives) */
    li = (hpy_local_info *)PyMem_Calloc(1, sizeof(hpy_local_info));
    if (li == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t n_legacy_members = 0, n_legacy_getsets = 0;
    if (legacy_members != NULL)
        while (legacy_members[n_legacy_members].name != NULL)
            n_legacy_members++;
    if (legacy_getsets != NULL)
        while (legacy_getsets[n_legacy_getsets].name != NULL)
            n_legacy_getsets++;
    Py_ssize_t n_cpy_members = (call_def != NULL || inherit_call) + (n_members - n_fields) +
                               n_legacy_members;
    Py_ssize_t n_cpy_getsets = n_getsets + n_legacy_getsets + n_fields;
    if (n_cpy_members > 0) {
        members = (PyMemberDef *)PyMem_Calloc((size_t)n_cpy_members + 1, sizeof(PyMemberDef));
        if (members == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    if (n_cpy_getsets > 0) {
        getsets = (PyGetSetDef *)PyMem_Calloc((size_t)n_cpy_getsets + 1, sizeof(PyGetSetDef));
        if (getsets == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    if (n_fields > 0) {
        fields = (hpy_field_closure *)PyMem_Calloc((size_t)n_fields, sizeof(hpy_field_closure));
        if (fields == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    li->members = members;
    li->getsets = getsets;
    li->fields = fields;

    /* members: the implicit __vectorcalloffset__, the HPy ones, the legacy ones */
    Py_ssize_t im = 0, ig = 0, ifield = 0;
    if (call_def != NULL || inherit_call) {
        members[im].name = "__vectorcalloffset__";
        members[im].type = HPyMember_HPYSSIZET;
        members[im].offset = call_offset;
        members[im].flags = HPyCompat_MEMBER_READONLY;
        im++;
    }
    Py_ssize_t vcoff_member_offset = 0;
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyMember *m = &(*dp)->member;
            if ((*dp)->kind != HPyDef_Kind_Member ||
                m->type == HPyMember_OBJECT || m->type == HPyMember_OBJECT_EX)
                continue;
            members[im].name = m->name;
            members[im].type = (int)m->type;
            members[im].offset = header + m->offset;    /* computed per type: the def is left alone */
            /* a write to a writable NONE member fails as CPython's own T_NONE members do */
            members[im].flags = m->readonly ? HPyCompat_MEMBER_READONLY : 0;
            members[im].doc = m->doc;
            if (strcmp(m->name, "__vectorcalloffset__") == 0)
                vcoff_member_offset = members[im].offset;
            im++;
        }
    }
    for (Py_ssize_t i = 0; i < n_legacy_members; i++)
        members[im++] = legacy_members[i];
    /* getsets: the HPy ones, the legacy ones, the HPyField-backed members */
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            if ((*dp)->kind != HPyDef_Kind_GetSet)
                continue;
            HPyGetSet *g = &(*dp)->getset;
            getsets[ig].name = g->name;
            getsets[ig].get = (getter)g->getter_cpy_trampoline;
            getsets[ig].set = (setter)g->setter_cpy_trampoline;
            getsets[ig].doc = g->doc;
            getsets[ig].closure = g->closure;
            ig++;
        }
    }
    for (Py_ssize_t i = 0; i < n_legacy_getsets; i++)
        getsets[ig++] = legacy_getsets[i];
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyMember *m = &(*dp)->member;
            if ((*dp)->kind != HPyDef_Kind_Member ||
                (m->type != HPyMember_OBJECT && m->type != HPyMember_OBJECT_EX))
                continue;
            fields[ifield].offset = header + m->offset;
            fields[ifield].type = (int)m->type;
            fields[ifield].name = m->name;
            getsets[ig].name = m->name;
            getsets[ig].get = field_get;
            getsets[ig].set = m->readonly ? NULL : field_set;
            getsets[ig].doc = m->doc;
            getsets[ig].closure = &fields[ifield];
            ifield++;
            ig++;
        }
    }

    /* methods */
    Py_ssize_t n_meths = 0;
    if (spec->defines != NULL)
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++)
            if ((*dp)->kind == HPyDef_Kind_Meth)
                n_meths++;
    if (n_meths > 0 || legacy_methods != NULL) {
        methods = create_method_defs(spec->defines, legacy_methods);
        if (methods == NULL)
            goto fail;
    }
    li->methods = methods;

    /* 6. the slots, in order: later ones win */
    slot_table *st = (slot_table *)PyMem_Calloc(1, sizeof(slot_table));
    if (st == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    st->other = (PyType_Slot *)PyMem_Calloc((size_t)n_legacy + 1, sizeof(PyType_Slot));
    if (st->other == NULL) {
        PyMem_Free(st);
        PyErr_NoMemory();
        goto fail;
    }
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyDef *d = *dp;
            if (d->kind != HPyDef_Kind_Slot || d->slot.slot == HPy_tp_destroy ||
                d->slot.slot == HPy_tp_call)
                continue;
            slot_set(st, (int)d->slot.slot, (void *)d->slot.cpy_trampoline);
        }
    }
    if (spec->doc != NULL)
        slot_set(st, Py_tp_doc, (void *)spec->doc);
    if (legacy != NULL) {
        for (PyType_Slot *s = legacy; s->slot != 0; s++) {
            if (s->slot == Py_tp_methods || s->slot == Py_tp_members || s->slot == Py_tp_getset)
                continue;
            slot_set(st, s->slot, s->pfunc);
        }
    }
    if (methods != NULL)
        slot_set(st, Py_tp_methods, methods);
    if (call_protocol) {
        slot_set(st, Py_tp_call, (void *)PyVectorcall_Call);
        if (!has_new && !legacy_new && !inherit_call)
            slot_set(st, Py_tp_new, (void *)hpy_call_protocol_new);
    }
    if (members != NULL)
        slot_set(st, Py_tp_members, members);
    if (getsets != NULL)
        slot_set(st, Py_tp_getset, getsets);
    if (auto_dealloc)
        slot_set(st, Py_tp_dealloc, (void *)hpy_auto_dealloc);
    if (traverse != NULL)
        slot_set(st, Py_tp_clear, (void *)hpy_auto_clear);
    Py_ssize_t n_slots = st->n_other;
    for (int id = 1; id < MAX_SLOT_ID; id++)
        if (st->by_id[id] != NULL)
            n_slots++;
    slots = (PyType_Slot *)PyMem_Calloc((size_t)n_slots + 1, sizeof(PyType_Slot));
    if (slots == NULL) {
        PyMem_Free(st->other);
        PyMem_Free(st);
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t is = 0;
    for (int id = 1; id < MAX_SLOT_ID; id++) {
        if (st->by_id[id] != NULL) {
            slots[is].slot = id;
            slots[is].pfunc = st->by_id[id];
            is++;
        }
    }
    for (Py_ssize_t i = 0; i < st->n_other; i++)
        slots[is++] = st->other[i];
    PyMem_Free(st->other);
    PyMem_Free(st);

    /* create it */
    PyType_Spec cpy_spec = { name, (int)basicsize, spec->itemsize, (unsigned int)flags, slots };
    result = HPyCompat_Type_FromMetaclass((PyTypeObject *)meta, NULL, &cpy_spec, bases);
    PyMem_Free(slots);
    slots = NULL;
    if (result == NULL)
        goto fail;
    PyTypeObject *tp = (PyTypeObject *)result;

    /* 10. a legacy type may not take the memory layout of a pure one */
    if (shape == HPyType_BuiltinShape_Legacy) {
        HPyTypeInfo *base_info = nearest_info(tp->tp_base);
        if (base_info != NULL && base_info->shape != HPyType_BuiltinShape_Legacy) {
            PyErr_SetString(PyExc_TypeError,
                            "A legacy type should not inherit its memory layout from a pure type");
            goto fail;
        }
    }

    /* 11. remember it */
    li->pub.type = tp;
    li->pub.shape = shape;
    li->pub.struct_offset = header;
    li->pub.traverse = traverse;
    li->pub.destroy = destroy;
    li->pub.flags = auto_dealloc ? HPY_TI_AUTO_DEALLOC : 0;
    if (call_def != NULL || inherit_call)
        li->pub.flags |= HPY_TI_HIDDEN_CALL;
    if (call_def != NULL) {
        li->pub.call_offset = call_offset;
        li->pub.default_call = _HPy_FPTR_CAST(vectorcallfunc, call_def->slot.cpy_trampoline);
    }
    else if (has_vcoff_member) {
        li->pub.call_offset = vcoff_member_offset;
    }
    else if (inherit_call) {
        li->pub.call_offset = call_offset;
        li->pub.default_call = inherited->default_call;
    }
    else if (inherited != NULL) {
        li->pub.call_offset = inherited->call_offset;
        li->pub.default_call = inherited->default_call;
    }
    if (call_protocol && tp->tp_new == hpy_call_protocol_new)
        li->pub.runtime_new = hpy_call_protocol_new;
    if (register_info(li) < 0)
        goto fail;
    Py_XDECREF(bases);
    return _py2h(result);

fail:
    PyMem_Free(slots);
    if (li != NULL && li->pub.release == NULL) {
        /* not registered: the arrays go with it (a type that was created still refers to them,
         * so it must not survive: keep them if it does) */
        if (result != NULL && Py_REFCNT(result) > 1) {
            li->methods = NULL;
            li->members = NULL;
            li->getsets = NULL;
            li->fields = NULL;
        }
        release_info(&li->pub);
    }
    else if (li == NULL) {
        PyMem_Free(members);
        PyMem_Free(getsets);
        PyMem_Free(fields);
        PyMem_Free(methods);
    }
    Py_XDECREF(result);
    Py_XDECREF(bases);
    return HPy_NULL;
}

/* ---- instances: HPy_New, _HPy_AsStruct_*, ... -------------------------------------------- */

HPyAPI_IMPL HPy ctx_New(HPyContext *ctx, HPy h_type, void **data)
{
    (void)ctx;
    PyObject *t = _h2py(h_type);
    if (t == NULL || !PyType_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "HPy_New arg 1 must be a type");
        *data = NULL;
        return HPy_NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)t;
    HPyTypeInfo *info = nearest_info(tp);
    PyTypeObject *builtin = info != NULL ? shape_builtin(info->shape) : NULL;
    PyObject *obj;
    /* PyType_GenericAlloc hands out zeroed memory and tracks GC objects itself */
    int generic = 0;
    if (builtin != NULL && builtin != &PyBaseObject_Type && builtin != &PyType_Type) {
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

/* ctx_AsStruct_<shape> are inline in hpy/runtime/ctx_funcs.h. */

HPyAPI_IMPL void *ctx_AsStruct_Slow(HPyContext *ctx, HPy h)
{
    (void)ctx;
    PyObject *obj = _h2py(h);
    HPyTypeInfo *info = nearest_info(Py_TYPE(obj));
    return info != NULL ? struct_of(obj, info) : (void *)obj;
}

HPyAPI_IMPL HPyType_BuiltinShape ctx_Type_GetBuiltinShape(HPyContext *ctx, HPy h_type)
{
    (void)ctx;
    PyObject *t = _h2py(h_type);
    if (!PyType_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "arg must be a type");
        return (HPyType_BuiltinShape)-2;
    }
    /* a class deriving from an HPy type has its layout, so its shape */
    HPyTypeInfo *info = nearest_info((PyTypeObject *)t);
    return info != NULL ? info->shape : HPyType_BuiltinShape_Legacy;
}

HPyAPI_IMPL int ctx_SetCallFunction(HPyContext *ctx, HPy h, HPyCallFunction *func)
{
    (void)ctx;
    PyObject *obj = _h2py(h);
    HPyTypeInfo *info = nearest_info(Py_TYPE(obj));
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

/* __name__ of the type as UTF-8, valid as long as the type lives. */
HPyAPI_IMPL const char *ctx_Type_GetName(HPyContext *ctx, HPy type)
{
    (void)ctx;
    PyTypeObject *t = (PyTypeObject *)_h2py(type);
    if (t->tp_flags & Py_TPFLAGS_HEAPTYPE)
        return PyUnicode_AsUTF8(((PyHeapTypeObject *)t)->ht_name);
    const char *dot = strrchr(t->tp_name, '.');
    return dot ? dot + 1 : t->tp_name;
}


HPyAPI_IMPL void ctx_Global_Store(HPyContext *ctx, HPyGlobal *global, HPy h)
{
    (void)ctx;
    PyObject *old = _hg2py(*global);
    PyObject *obj = _h2py(h);
    Py_XINCREF(obj);
    global->_i = (intptr_t)obj;
    Py_XDECREF(old);
}
