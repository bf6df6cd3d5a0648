/* The exception being raised as an object, and traceback entries for code written in another
 * language (ABI minor 2, docs/exceptions.md).
 *
 * CPython 3.12 keeps the raised exception as one object whose __traceback__ is the traceback;
 * 3.11 keeps a (type, value, traceback) triple that may not be normalized yet. The members follow
 * 3.12's semantics on every version: on 3.11 the triple is normalized when it is taken out and
 * the traceback travels in the exception's __traceback__. Public C API only (the traceback
 * entry is built from a code object, a frame and PyTraceBack_Here, as CPython's private
 * _PyTraceback_Add does), so the same source serves 3.11 to 3.15. */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"
#include <frameobject.h>

/* Take the raised exception out (a new reference, or NULL when none is raised); the error
 * indicator is cleared. */
static PyObject *take_raised(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL)
        return NULL;
    PyErr_NormalizeException(&type, &value, &tb);
    Py_DECREF(type);
    if (value == NULL || !PyExceptionInstance_Check(value)) {
        /* only C code calling PyErr_Restore with a non-exception type gets here */
        Py_XDECREF(value);
        Py_XDECREF(tb);
        PyErr_SetString(PyExc_SystemError, "the error indicator held no exception instance");
        return take_raised();
    }
    if (tb != NULL)
        (void)PyException_SetTraceback(value, tb);     /* cannot fail with a traceback */
    Py_XDECREF(tb);
    return value;
#endif
}

/* Raise exc, an exception instance, with exc.__traceback__ as its traceback (steals exc). */
static void restore_raised(PyObject *exc)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyObject *type = (PyObject *)Py_TYPE(exc);
    Py_INCREF(type);
    PyErr_Restore(type, exc, PyException_GetTraceback(exc));
#endif
}

/* The raised exception leaves the error indicator: HPy_NULL (and no error) when none is set. */
HPyAPI_IMPL HPy ctx_Err_GetRaisedException(HPyContext *ctx)
{
    (void)ctx;
    return _py2h(take_raised());
}

/* Raise an exception instance, replacing the exception raised before (if any); HPy_NULL clears
 * the error indicator. The handle stays the caller's (HPy functions never steal). Anything else
 * than an exception instance raises TypeError instead, with the message of CPython's `raise`
 * for an object that is no exception. */
HPyAPI_IMPL void ctx_Err_SetRaisedException(HPyContext *ctx, HPy exc)
{
    (void)ctx;
    PyObject *obj = _h2py(exc);
    if (obj == NULL) {
        PyErr_Clear();
        return;
    }
    if (!PyExceptionInstance_Check(obj)) {
        if (PyExceptionClass_Check(obj))
            PyErr_Format(PyExc_TypeError,
                         "HPyErr_SetRaisedException needs an exception instance, not the class "
                         "%.200s (HPyErr_SetObject raises a class)",
                         ((PyTypeObject *)obj)->tp_name);
        else
            PyErr_SetString(PyExc_TypeError, "exceptions must derive from BaseException");
        return;
    }
    Py_INCREF(obj);
    restore_raised(obj);
}

/* The exception raised while adding an entry becomes the one raised, with the original as its
 * __context__ (as CPython does when its own traceback machinery fails). */
static void chain_raised(PyObject *original)
{
    PyObject *failure = take_raised();
    if (failure == NULL) {
        restore_raised(original);
        return;
    }
    PyException_SetContext(failure, original);      /* steals original */
    restore_raised(failure);
}

/* Add the entry (funcname, filename, lineno) to the traceback of the raised exception: the
 * innermost entry so far, as a frame of Python code adds one when an exception leaves it. A
 * no-op when no exception is raised. */
HPyAPI_IMPL void ctx_Traceback_Add(HPyContext *ctx, const char *utf8_funcname,
                                   const char *utf8_filename, int lineno)
{
    (void)ctx;
    PyObject *exc = take_raised();
    if (exc == NULL)
        return;
    if (utf8_funcname == NULL || utf8_filename == NULL) {
        PyErr_SetString(PyExc_SystemError,
                        "HPyTraceback_Add: the function name and the file name must not be NULL");
        chain_raised(exc);
        return;
    }
    PyObject *globals = PyDict_New();
    if (globals == NULL) {
        chain_raised(exc);
        return;
    }
    PyCodeObject *code = PyCode_NewEmpty(utf8_filename, utf8_funcname, lineno);
    if (code == NULL) {
        Py_DECREF(globals);
        chain_raised(exc);
        return;
    }
    PyFrameObject *frame = PyFrame_New(PyThreadState_Get(), code, globals, NULL);
    Py_DECREF(code);
    Py_DECREF(globals);
    if (frame == NULL) {
        chain_raised(exc);
        return;
    }
    restore_raised(exc);
    (void)PyTraceBack_Here(frame);      /* on failure the exception stays, the failure chained */
    Py_DECREF(frame);
}
