/* The type registry: what HPy remembers about each type it created, for the CPython ABI and the
 * universal runtime alike (the other files of the type machinery: ctx_type_internal.h).
 *
 * Contract: hpy__type_info(t) gives the HPyTypeInfo of t if HPyType_FromSpec (of any copy of
 * these files, in any extension) created t and t has not died, else NULL; it never raises and
 * costs a compare when t is the type last asked for. hpy__register_info() makes a new type
 * known. An info stays valid as long as an instance of its type may exist.
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
 * (each of them compiles these files): the first copy that needs it creates it and publishes it
 * as a capsule named HPY_TYPE_REGISTRY in the interpreter's dict (PyInterpreterState_GetDict; on PyPy
 * the sys module's dict, registry_home); the
 * other copies find it there. So an HPy type may inherit from an HPy type of another extension,
 * in any ABI. The capsule gives function pointers (the creating copy does all table work) and
 * relies on the layout of HPyTypeInfo (ctx_type_internal.h); changing either needs a new
 * HPY_TYPE_REGISTRY name. The registry is never freed: objects may still be deallocated after the
 * interpreter's dict is gone.
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
#include "ctx_type_internal.h"

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
    return hpy__type_slot(key, 64 - table_shift);
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

_HPy_HIDDEN HPyTypeRegistry *hpy__type_registry;

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

/* The dict the registry's capsule is published in (borrowed): the interpreter's dict; on PyPy,
 * whose C-API emulation has none and which has a single interpreter, the sys module's. */
static PyObject *registry_home(void)
{
#if defined(PYPY_VERSION)
    PyObject *sys = PyImport_AddModule("sys");     /* borrowed */
    return sys != NULL ? PyModule_GetDict(sys) : NULL;
#else
    return PyInterpreterState_GetDict(PyInterpreterState_Get());
#endif
}

HPyAPI_IMPL HPyTypeRegistry *hpy__find_type_registry(int create)
{
    if (hpy__type_registry != NULL)
        return hpy__type_registry;
    PyObject *d = registry_home();
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
            hpy__type_registry = r;
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
    hpy__type_registry = r;
    return r;
}

_HPy_HIDDEN _HPyTypeKey hpy__last_key;
_HPy_HIDDEN HPyTypeInfo *hpy__last_info;

/* ---- infos made by this copy -------------------------------------------------------------- */

HPyAPI_IMPL void hpy__release_info(HPyTypeInfo *info)
{
    hpy_local_info *li = (hpy_local_info *)info;
    Py_XDECREF(li->weakref);
    PyMem_Free(li->methods);
    PyMem_Free(li->members);
    PyMem_Free(li->getsets);
    PyMem_Free(li->fields);
    PyMem_Free(li->halves);
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
        hpy__type_registry->remove(info);
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

HPyAPI_IMPL int hpy__register_info(hpy_local_info *li)
{
    HPyTypeRegistry *r = hpy__find_type_registry(1);
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
    li->pub.release = hpy__release_info;
    if (r->add(&li->pub) < 0) {
        Py_CLEAR(li->weakref);
        return -1;
    }
    HPyCompat_AssignVersionTag(li->pub.type);     /* for the lookup cache of hpy__type_info() */
    return 0;
}
