/* Every difference between the supported CPython versions that HPy's C code must bridge,
 * in one place. Included by the CPython-ABI context sources and by the universal runtime. */
#ifndef HPY_RUNTIME_CPY_COMPAT_H
#define HPY_RUNTIME_CPY_COMPAT_H

#if defined(HPY_ABI_UNIVERSAL)
#  error "hpy/runtime/cpy_compat.h needs Python.h"
#endif

#if defined(PYPY_VERSION)
#  include "hpy/runtime/pypy_compat.h"
#endif

/* Take the raised exception out of the thread state, and put it back (3.12 added these). */
#if PY_VERSION_HEX < 0x030C0000
static inline PyObject *HPyCompat_GetRaisedException(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL)
        return NULL;
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL)
        PyException_SetTraceback(value, tb);
    Py_DECREF(type);
    Py_XDECREF(tb);
    return value;
}

static inline void HPyCompat_SetRaisedException(PyObject *exc)
{
    if (exc == NULL) {
        PyErr_Clear();
        return;
    }
    PyObject *type = (PyObject *)Py_TYPE(exc);
    Py_INCREF(type);
    PyErr_Restore(type, exc, PyException_GetTraceback(exc));
}
#else
#  define HPyCompat_GetRaisedException PyErr_GetRaisedException
#  define HPyCompat_SetRaisedException PyErr_SetRaisedException
#endif

/* HPy_HasAttr never fails: an error while looking the attribute up means "no". Since 3.13,
 * PyObject_HasAttr reports such an error to sys.unraisablehook instead of dropping it silently. */
#if PY_VERSION_HEX >= 0x030D0000
static inline int HPyCompat_HasAttr(PyObject *obj, PyObject *name)
{
    int res = PyObject_HasAttrWithError(obj, name);
    if (res < 0) {
        PyErr_Clear();
        return 0;
    }
    return res;
}

static inline int HPyCompat_HasAttrString(PyObject *obj, const char *name)
{
    int res = PyObject_HasAttrStringWithError(obj, name);
    if (res < 0) {
        PyErr_Clear();
        return 0;
    }
    return res;
}
#else
#  define HPyCompat_HasAttr PyObject_HasAttr
#  define HPyCompat_HasAttrString PyObject_HasAttrString
#endif

/* The PyMemberDef struct: in Python.h since 3.12, in structmember.h before (which also defines
 * T_INT, READONLY & co.: only for the sources that ask, not for every CPython-ABI module). */
#if PY_VERSION_HEX < 0x030C0000 && defined(HPY_COMPAT_NEED_MEMBERDEF)
#  include "structmember.h"
#endif

/* Flag of a read-only PyMemberDef (READONLY from structmember.h before 3.12). */
#define HPyCompat_MEMBER_READONLY 1

/* PyType_FromMetaclass (3.12+). Before 3.12, PyType_FromSpec always makes instances of 'type':
 * for another metaclass, the type is made by PyType_FromModuleAndSpec and then moved into an
 * instance of the metaclass allocated with the metaclass's own size (so that a metaclass with a
 * C struct gets its room), which is made ready again. The caller's tp_members array (the value of
 * the Py_tp_members slot, or NULL) must stay valid as long as the type: the moved type uses it
 * directly. */
#if PY_VERSION_HEX >= 0x030C0000
#  define HPyCompat_Type_FromMetaclass PyType_FromMetaclass
#elif defined(PYPY_VERSION)
/* PyPy (cpyext) has neither PyType_FromMetaclass nor a type object that could be moved into an
 * instance of another metaclass: only 'type' is accepted there, with a clear error otherwise. */
static inline PyObject *HPyCompat_Type_FromMetaclass(PyTypeObject *metaclass, PyObject *module,
                                                    PyType_Spec *spec, PyObject *bases)
{
    if (metaclass != NULL && metaclass != &PyType_Type) {
        PyErr_SetString(PyExc_TypeError, "HPy on PyPy: types with a metaclass other than 'type' "
                                         "are not supported");
        return NULL;
    }
    return PyType_FromModuleAndSpec(module, spec, bases);
}
#else
static inline PyTypeObject *_HPyCompat_Winner(PyTypeObject *winner, PyObject *base)
{
    PyTypeObject *t = Py_TYPE(base);
    if (PyType_IsSubtype(winner, t))
        return winner;
    if (PyType_IsSubtype(t, winner))
        return t;
    PyErr_SetString(PyExc_TypeError,
                    "metaclass conflict: the metaclass of a derived class must be a (non-strict) "
                    "subclass of the metaclasses of all its bases");
    return NULL;
}

static inline PyObject *HPyCompat_Type_FromMetaclass(PyTypeObject *metaclass, PyObject *module,
                                                    PyType_Spec *spec, PyObject *bases)
{
    PyTypeObject *winner = metaclass != NULL ? metaclass : &PyType_Type;
    if (bases == NULL) {
        for (PyType_Slot *s = spec->slots; s->slot; s++)
            if (s->slot == Py_tp_base || s->slot == Py_tp_bases)
                bases = (PyObject *)s->pfunc;
    }
    if (bases != NULL && PyTuple_Check(bases)) {
        for (Py_ssize_t i = 0; winner != NULL && i < PyTuple_GET_SIZE(bases); i++)
            winner = _HPyCompat_Winner(winner, PyTuple_GET_ITEM(bases, i));
    }
    else if (bases != NULL) {
        winner = _HPyCompat_Winner(winner, bases);
    }
    if (winner == NULL)
        return NULL;
    if (winner != &PyType_Type && winner->tp_new != PyType_Type.tp_new) {
        PyErr_SetString(PyExc_TypeError, "Metaclasses with custom tp_new are not supported.");
        return NULL;
    }
    PyObject *tmp = PyType_FromModuleAndSpec(module, spec, bases);
    if (tmp == NULL || winner == &PyType_Type)
        return tmp;

    PyHeapTypeObject *src = (PyHeapTypeObject *)tmp;
    PyHeapTypeObject *dst = (PyHeapTypeObject *)PyType_GenericAlloc(winner, 0);
    char *tpname = (char *)PyMem_Malloc(strlen(src->ht_type.tp_name) + 1);
    char *doc = NULL;
    if (src->ht_type.tp_doc != NULL) {
        doc = (char *)PyObject_Malloc(strlen(src->ht_type.tp_doc) + 1);
        if (doc != NULL)
            strcpy(doc, src->ht_type.tp_doc);
    }
    if (dst == NULL || tpname == NULL || (src->ht_type.tp_doc != NULL && doc == NULL)) {
        Py_XDECREF(dst);
        PyMem_Free(tpname);
        PyObject_Free(doc);
        Py_DECREF(tmp);
        return PyErr_NoMemory();
    }
    strcpy(tpname, src->ht_type.tp_name);
    /* Everything after the object header; then what must not be shared with the temporary. */
    memcpy((char *)dst + sizeof(PyVarObject), (char *)src + sizeof(PyVarObject),
           sizeof(PyHeapTypeObject) - sizeof(PyVarObject));
    PyTypeObject *tp = &dst->ht_type;
    tp->tp_name = dst->_ht_tpname = tpname;
    tp->tp_doc = doc;
    tp->tp_as_async = &dst->as_async;
    tp->tp_as_number = &dst->as_number;
    tp->tp_as_sequence = &dst->as_sequence;
    tp->tp_as_mapping = &dst->as_mapping;
    tp->tp_as_buffer = &dst->as_buffer;
    Py_XINCREF(dst->ht_name);
    Py_XINCREF(dst->ht_qualname);
    Py_XINCREF(dst->ht_slots);
    Py_XINCREF(dst->ht_module);
    Py_XINCREF(tp->tp_base);
    Py_XINCREF(tp->tp_bases);
    tp->tp_dict = tp->tp_mro = tp->tp_cache = tp->tp_subclasses = tp->tp_weaklist = NULL;
    dst->ht_cached_keys = NULL;
    memset(&dst->_spec_cache, 0, sizeof(dst->_spec_cache));
    tp->tp_version_tag = 0;
    tp->tp_flags &= ~(Py_TPFLAGS_READY | Py_TPFLAGS_READYING | Py_TPFLAGS_VALID_VERSION_TAG);
    tp->tp_members = NULL;
    for (PyType_Slot *s = spec->slots; s->slot; s++)
        if (s->slot == Py_tp_members)
            tp->tp_members = (PyMemberDef *)s->pfunc;
    PyObject *modname = PyDict_GetItemString(src->ht_type.tp_dict, "__module__");
    Py_XINCREF(modname);
    /* The temporary type goes away now: its dict holds the only other references to it. */
    PyDict_Clear(src->ht_type.tp_dict);
    Py_DECREF(tmp);
    if (PyType_Ready(tp) < 0 ||
        (modname != NULL && PyDict_SetItemString(tp->tp_dict, "__module__", modname) < 0)) {
        Py_XDECREF(modname);
        Py_DECREF(dst);
        return NULL;
    }
    Py_XDECREF(modname);
    return (PyObject *)dst;
}
#endif

/* Give a type a version tag now (lookups cache per-type data under it), if it can have one. */
static inline void HPyCompat_AssignVersionTag(PyTypeObject *type)
{
#if defined(PYPY_VERSION)
    (void)type;     /* PyPy's types have no version tag */
#elif PY_VERSION_HEX >= 0x030C0000
    (void)PyUnstable_Type_AssignVersionTag(type);
#else
    /* a lookup through the type's method cache assigns the tag */
    static PyObject *name;
    if (name == NULL)
        name = PyUnicode_InternFromString("__init__");
    if (name != NULL)
        (void)_PyType_Lookup(type, name);
    else
        PyErr_Clear();
#endif
}

#endif /* HPY_RUNTIME_CPY_COMPAT_H */
