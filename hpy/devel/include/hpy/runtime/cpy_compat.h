/* Every difference between the supported CPython versions that HPy's C code must bridge,
 * in one place. Included by the CPython-ABI context sources and by the universal runtime. */
#ifndef HPY_RUNTIME_CPY_COMPAT_H
#define HPY_RUNTIME_CPY_COMPAT_H

#if defined(HPY_ABI_UNIVERSAL)
#  error "hpy/runtime/cpy_compat.h needs Python.h"
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

#endif /* HPY_RUNTIME_CPY_COMPAT_H */
