/* What PyPy's C-API emulation (cpyext) does differently from CPython where HPy relies on
 * CPython's behaviour, bridged for the runtime built on PyPy (included by cpy_compat.h there
 * only). Bad input that CPython answers with an exception crashes or aborts cpyext: these
 * wrappers check it first and raise CPython's exception with CPython's message. Each wrapper
 * takes the name of the C-API function it stands for, so the runtime's sources stay as on
 * CPython. */
#ifndef HPY_RUNTIME_PYPY_COMPAT_H
#define HPY_RUNTIME_PYPY_COMPAT_H

#if !defined(PYPY_VERSION)
#  error "hpy/runtime/pypy_compat.h is for PyPy only"
#endif

/* CPython's words for a C-API function given what it cannot take (cpyext: 'Bad internal
 * call!'). */
static inline void _HPyPyPy_BadInternalCall(void)
{
    PyErr_SetString(PyExc_SystemError, "bad argument to internal function");
}
#undef PyErr_BadInternalCall
#define PyErr_BadInternalCall _HPyPyPy_BadInternalCall

/* A capsule function called with something that is not a capsule: CPython's ValueError. */
static inline int _HPyPyPy_NotCapsule(PyObject *o, const char *fn)
{
    if (o != NULL && PyCapsule_CheckExact(o))
        return 0;
    PyErr_Format(PyExc_ValueError, "PyCapsule_%s called with invalid PyCapsule object", fn);
    return 1;
}

static inline void *_HPyPyPy_Capsule_GetPointer(PyObject *o, const char *name)
{
    return _HPyPyPy_NotCapsule(o, "GetPointer") ? NULL : PyCapsule_GetPointer(o, name);
}

static inline const char *_HPyPyPy_Capsule_GetName(PyObject *o)
{
    return _HPyPyPy_NotCapsule(o, "GetName") ? NULL : PyCapsule_GetName(o);
}

static inline void *_HPyPyPy_Capsule_GetContext(PyObject *o)
{
    return _HPyPyPy_NotCapsule(o, "GetContext") ? NULL : PyCapsule_GetContext(o);
}

static inline int _HPyPyPy_Capsule_SetPointer(PyObject *o, void *p)
{
    return _HPyPyPy_NotCapsule(o, "SetPointer") ? -1 : PyCapsule_SetPointer(o, p);
}

static inline int _HPyPyPy_Capsule_SetName(PyObject *o, const char *name)
{
    return _HPyPyPy_NotCapsule(o, "SetName") ? -1 : PyCapsule_SetName(o, name);
}

static inline int _HPyPyPy_Capsule_SetContext(PyObject *o, void *context)
{
    return _HPyPyPy_NotCapsule(o, "SetContext") ? -1 : PyCapsule_SetContext(o, context);
}

static inline int _HPyPyPy_Capsule_SetDestructor(PyObject *o, PyCapsule_Destructor d)
{
    return _HPyPyPy_NotCapsule(o, "SetDestructor") ? -1 : PyCapsule_SetDestructor(o, d);
}

static inline int _HPyPyPy_Capsule_IsValid(PyObject *o, const char *name)
{
    return o != NULL && PyCapsule_CheckExact(o) && PyCapsule_IsValid(o, name);
}

/* An exception set with a type that is no exception class: CPython's SystemError. A NULL value
 * is no value (cpyext aborts when it normalizes one). */
static inline void _HPyPyPy_Err_SetObject(PyObject *type, PyObject *value)
{
    if (type == NULL || !PyExceptionClass_Check(type)) {
        PyErr_Format(PyExc_SystemError,
                     "_PyErr_SetObject: exception %R is not a BaseException subclass", type);
        return;
    }
    if (value == NULL)
        PyErr_SetNone(type);
    else
        PyErr_SetObject(type, value);
}

/* No exception set matches nothing (cpyext would read the missing exception). */
static inline int _HPyPyPy_Err_ExceptionMatches(PyObject *exc)
{
    return PyErr_Occurred() != NULL && PyErr_ExceptionMatches(exc);
}

/* A capsule's pointer may not be set to NULL. */
static inline int _HPyPyPy_Capsule_SetPointerChecked(PyObject *o, void *p)
{
    if (p == NULL) {
        PyErr_SetString(PyExc_ValueError, "PyCapsule_SetPointer called with null pointer");
        return -1;
    }
    return _HPyPyPy_Capsule_SetPointer(o, p);
}

/* Conversions to unsigned C integers take int instances only (no __index__) and raise
 * OverflowError for a negative value, with CPython's message. 0 when v may be converted. */
static inline int _HPyPyPy_CheckUnsigned(PyObject *v, const char *negative)
{
    if (v == NULL) {
        PyErr_BadInternalCall();
        return -1;
    }
    if (!PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "an integer is required");
        return -1;
    }
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (overflow < 0 || (overflow == 0 && x < 0)) {
        PyErr_SetString(PyExc_OverflowError, negative);
        return -1;
    }
    return 0;
}

/* An OverflowError raised by the conversion just made gets CPython's message. */
static inline void _HPyPyPy_OverflowMessage(const char *message)
{
    if (PyErr_Occurred() != NULL && PyErr_ExceptionMatches(PyExc_OverflowError)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_OverflowError, message);
    }
}

static inline unsigned long _HPyPyPy_Long_AsUnsignedLong(PyObject *v)
{
    if (_HPyPyPy_CheckUnsigned(v, "can't convert negative value to unsigned int") < 0)
        return (unsigned long)-1;
    unsigned long r = PyLong_AsUnsignedLong(v);
    if (r == (unsigned long)-1)
        _HPyPyPy_OverflowMessage("Python int too large to convert to C unsigned long");
    return r;
}

static inline unsigned long long _HPyPyPy_Long_AsUnsignedLongLong(PyObject *v)
{
    if (_HPyPyPy_CheckUnsigned(v, "can't convert negative int to unsigned") < 0)
        return (unsigned long long)-1;
    return PyLong_AsUnsignedLongLong(v);
}

static inline size_t _HPyPyPy_Long_AsSize_t(PyObject *v)
{
    if (_HPyPyPy_CheckUnsigned(v, "can't convert negative value to size_t") < 0)
        return (size_t)-1;
    size_t r = PyLong_AsSize_t(v);
    if (r == (size_t)-1)
        _HPyPyPy_OverflowMessage("Python int too large to convert to C size_t");
    return r;
}

static inline Py_ssize_t _HPyPyPy_Long_AsSsize_t(PyObject *v)
{
    Py_ssize_t r = PyLong_AsSsize_t(v);
    if (r == -1)
        _HPyPyPy_OverflowMessage("Python int too large to convert to C ssize_t");
    return r;
}

/* A negative int is a pointer too (its two's complement), as on CPython. */
static inline void *_HPyPyPy_Long_AsVoidPtr(PyObject *v)
{
    if (v != NULL && PyLong_Check(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (x == -1 && PyErr_Occurred())
            return NULL;
        if (overflow == 0 && x < 0)
            return (void *)(intptr_t)x;
    }
    return PyLong_AsVoidPtr(v);
}

/* Only int instances convert to a double (no __float__, no __index__). */
static inline double _HPyPyPy_Long_AsDouble(PyObject *v)
{
    if (v == NULL) {
        PyErr_BadInternalCall();
        return -1.0;
    }
    if (!PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "an integer is required");
        return -1.0;
    }
    return PyLong_AsDouble(v);
}

/* List and dict functions given another type: SystemError, as CPython's internal-call checks. */
static inline PyObject *_HPyPyPy_List_New(Py_ssize_t n)
{
    if (n < 0) {
        PyErr_BadInternalCall();
        return NULL;
    }
    return PyList_New(n);
}

static inline int _HPyPyPy_List_Append(PyObject *list, PyObject *item)
{
    if (list == NULL || item == NULL || !PyList_Check(list)) {
        PyErr_BadInternalCall();
        return -1;
    }
    return PyList_Append(list, item);
}

static inline int _HPyPyPy_List_Insert(PyObject *list, Py_ssize_t i, PyObject *item)
{
    if (list == NULL || item == NULL || !PyList_Check(list)) {
        PyErr_BadInternalCall();
        return -1;
    }
    return PyList_Insert(list, i, item);
}

static inline PyObject *_HPyPyPy_Dict_Keys(PyObject *d)
{
    if (d == NULL || !PyDict_Check(d)) {
        PyErr_BadInternalCall();
        return NULL;
    }
    return PyDict_Keys(d);
}

static inline PyObject *_HPyPyPy_Dict_Copy(PyObject *d)
{
    if (d == NULL || !PyDict_Check(d)) {
        PyErr_BadInternalCall();
        return NULL;
    }
    return PyDict_Copy(d);
}

/* The size and data of a bytes object: TypeError for anything else. */
static inline int _HPyPyPy_NotBytes(PyObject *o)
{
    if (o != NULL && PyBytes_Check(o))
        return 0;
    if (o == NULL)
        PyErr_BadInternalCall();
    else
        PyErr_Format(PyExc_TypeError, "expected bytes, %.200s found", Py_TYPE(o)->tp_name);
    return 1;
}

static inline Py_ssize_t _HPyPyPy_Bytes_Size(PyObject *o)
{
    return _HPyPyPy_NotBytes(o) ? -1 : PyBytes_Size(o);
}

static inline char *_HPyPyPy_Bytes_AsString(PyObject *o)
{
    return _HPyPyPy_NotBytes(o) ? NULL : PyBytes_AsString(o);
}

static inline PyObject *_HPyPyPy_Bytes_FromStringAndSize(const char *s, Py_ssize_t n)
{
    if (n < 0) {
        PyErr_SetString(PyExc_SystemError, "Negative size passed to PyBytes_FromStringAndSize");
        return NULL;
    }
    return PyBytes_FromStringAndSize(s, n);
}

/* A substring: negative bounds are an IndexError; the end is clipped to the length. */
static inline PyObject *_HPyPyPy_Unicode_Substring(PyObject *s, Py_ssize_t start, Py_ssize_t end)
{
    if (start < 0 || end < 0) {
        PyErr_SetString(PyExc_IndexError, "string index out of range");
        return NULL;
    }
    return PyUnicode_Substring(s, start, end);
}

/* Decoding any object with the buffer protocol, as CPython does (cpyext: bytes only). */
static inline PyObject *_HPyPyPy_Unicode_FromEncodedObject(PyObject *o, const char *encoding,
                                                          const char *errors)
{
    if (o != NULL && !PyBytes_Check(o) && !PyUnicode_Check(o) && PyObject_CheckBuffer(o)) {
        Py_buffer view;
        if (PyObject_GetBuffer(o, &view, PyBUF_SIMPLE) < 0)
            return NULL;
        PyObject *res = PyUnicode_Decode((const char *)view.buf, view.len,
                                         encoding != NULL ? encoding : "utf-8", errors);
        PyBuffer_Release(&view);
        return res;
    }
    if (o != NULL && !PyBytes_Check(o) && !PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "decoding to str: need a bytes-like object, %.80s found",
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    return PyUnicode_FromEncodedObject(o, encoding, errors);
}

/* Attribute names must be str: CPython's TypeError and message. */
static inline int _HPyPyPy_NotAttrName(PyObject *name)
{
    if (name != NULL && PyUnicode_Check(name))
        return 0;
    if (name == NULL)
        PyErr_BadInternalCall();
    else
        PyErr_Format(PyExc_TypeError, "attribute name must be string, not '%.200s'",
                     Py_TYPE(name)->tp_name);
    return 1;
}

static inline PyObject *_HPyPyPy_Object_GetAttr(PyObject *o, PyObject *name)
{
    return _HPyPyPy_NotAttrName(name) ? NULL : PyObject_GetAttr(o, name);
}

static inline int _HPyPyPy_Object_SetAttr(PyObject *o, PyObject *name, PyObject *v)
{
    return _HPyPyPy_NotAttrName(name) ? -1 : PyObject_SetAttr(o, name, v);
}

/* Item and slice access on objects that lack the protocol, and list indexes out of range:
 * CPython's TypeError and IndexError messages (cpyext words them its own way). Looked at only
 * once the call failed with a TypeError: the successful calls pay nothing. */
static inline void _HPyPyPy_Reword(PyObject *o, const char *method, const char *what)
{
    if (o == NULL || PyType_Check(o) || !PyErr_ExceptionMatches(PyExc_TypeError))
        return;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (PyObject_HasAttrString((PyObject *)Py_TYPE(o), method)) {
        PyErr_Restore(type, value, tb);
        return;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    PyErr_Format(PyExc_TypeError, what, Py_TYPE(o)->tp_name);
}

static inline PyObject *_HPyPyPy_Object_GetItem(PyObject *o, PyObject *key)
{
    PyObject *res = PyObject_GetItem(o, key);
    if (res == NULL)
        _HPyPyPy_Reword(o, "__getitem__", "'%.200s' object is not subscriptable");
    return res;
}

static inline PyObject *_HPyPyPy_Sequence_GetSlice(PyObject *o, Py_ssize_t i1, Py_ssize_t i2)
{
    PyObject *res = PySequence_GetSlice(o, i1, i2);
    if (res == NULL)
        _HPyPyPy_Reword(o, "__getitem__", "'%.200s' object is unsliceable");
    return res;
}

static inline int _HPyPyPy_Sequence_DelSlice(PyObject *o, Py_ssize_t i1, Py_ssize_t i2)
{
    int res = PySequence_DelSlice(o, i1, i2);
    if (res < 0)
        _HPyPyPy_Reword(o, "__delitem__", "'%.200s' object doesn't support slice deletion");
    return res;
}

/* A slice set to NULL is deleted (cpyext would store NULL). */
static inline int _HPyPyPy_Sequence_SetSliceChecked(PyObject *o, Py_ssize_t i1, Py_ssize_t i2,
                                                    PyObject *v)
{
    if (v == NULL)
        return _HPyPyPy_Sequence_DelSlice(o, i1, i2);
    int res = PySequence_SetSlice(o, i1, i2, v);
    if (res < 0)
        _HPyPyPy_Reword(o, "__setitem__", "'%.200s' object doesn't support slice assignment");
    return res;
}

/* A list item set or deleted at an int index out of range. */
static inline int _HPyPyPy_ListIndexOutOfRange(PyObject *o, PyObject *key)
{
    if (o == NULL || key == NULL || !PyList_Check(o) || !PyLong_Check(key))
        return 0;
    int overflow;
    long long i = PyLong_AsLongLongAndOverflow(key, &overflow);
    if (i == -1 && PyErr_Occurred()) {
        PyErr_Clear();      /* the real call reports it */
        return 0;
    }
    Py_ssize_t n = PyList_GET_SIZE(o);
    if (overflow == 0 && i < 0)
        i += n;
    if (overflow == 0 && i >= 0 && i < n)
        return 0;
    PyErr_SetString(PyExc_IndexError, "list assignment index out of range");
    return 1;
}

static inline int _HPyPyPy_Object_SetItem(PyObject *o, PyObject *key, PyObject *v)
{
    if (_HPyPyPy_ListIndexOutOfRange(o, key))
        return -1;
    int res = PyObject_SetItem(o, key, v);
    if (res < 0)
        _HPyPyPy_Reword(o, "__setitem__", "'%.200s' object does not support item assignment");
    return res;
}

static inline int _HPyPyPy_Object_DelItem(PyObject *o, PyObject *key)
{
    if (_HPyPyPy_ListIndexOutOfRange(o, key))
        return -1;
    int res = PyObject_DelItem(o, key);
    if (res < 0)
        _HPyPyPy_Reword(o, "__delitem__", "'%.200s' object doesn't support item deletion");
    return res;
}

/* A negative index counts from the end only where the object has a length (cpyext asks for
 * it in any case). */
static inline PyObject *_HPyPyPy_Sequence_GetItem(PyObject *o, Py_ssize_t i)
{
    if (i < 0 && o != NULL && !PyObject_HasAttrString((PyObject *)Py_TYPE(o), "__len__")) {
        PyObject *key = PyLong_FromSsize_t(i);
        if (key == NULL)
            return NULL;
        PyObject *res = PyObject_GetItem(o, key);
        Py_DECREF(key);
        return res;
    }
    return PySequence_GetItem(o, i);
}

/* An OSError from errno as CPython makes it: "Error" for errno 0, and no filename arguments
 * where there is no filename (cpyext passes None). */
static inline PyObject *_HPyPyPy_Err_SetFromErrnoWithFilenameObjects(PyObject *type,
                                                                     PyObject *f1, PyObject *f2)
{
    int e = errno;
    const char *message = e != 0 ? strerror(e) : "Error";
    PyObject *args;
    if (f1 != NULL && f1 != Py_None && f2 != NULL && f2 != Py_None)
        args = Py_BuildValue("(isOiO)", e, message, f1, 0, f2);
    else if (f1 != NULL && f1 != Py_None)
        args = Py_BuildValue("(isO)", e, message, f1);
    else
        args = Py_BuildValue("(is)", e, message);
    if (args == NULL)
        return NULL;
    PyObject *exc = PyObject_Call(type, args, NULL);
    Py_DECREF(args);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static inline PyObject *_HPyPyPy_Err_SetFromErrnoWithFilename(PyObject *type,
                                                              const char *filename)
{
    int e = errno;
    PyObject *name = NULL;
    if (filename != NULL) {
        name = PyUnicode_DecodeFSDefault(filename);
        if (name == NULL)
            return NULL;
    }
    errno = e;
    _HPyPyPy_Err_SetFromErrnoWithFilenameObjects(type, name, NULL);
    Py_XDECREF(name);
    return NULL;
}

/* A writable buffer asked of a read-only exporter: CPython's BufferError (cpyext: ValueError). */
static inline int _HPyPyPy_Object_GetBuffer(PyObject *o, Py_buffer *view, int flags)
{
    int res = PyObject_GetBuffer(o, view, flags);
    if (res < 0 && (flags & PyBUF_WRITABLE) == PyBUF_WRITABLE &&
        PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_BufferError, "Object is not writable.");
    }
    return res;
}

/* A warning without a category is a RuntimeWarning (cpyext: UserWarning). */
static inline int _HPyPyPy_Err_WarnEx(PyObject *category, const char *message, Py_ssize_t level)
{
    return PyErr_WarnEx(category != NULL ? category : PyExc_RuntimeWarning, message, level);
}

/* Only str is encoded (cpyext calls the object's encode method). */
static inline PyObject *_HPyPyPy_Unicode_EncodeFSDefault(PyObject *s)
{
    if (s == NULL || !PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "bad argument type for built-in operation");
        return NULL;
    }
    return PyUnicode_EncodeFSDefault(s);
}

/* The raised exception goes to sys.unraisablehook with the object it was raised for, as
 * CPython does (cpyext passes no object): the hook gets an object with the attributes of
 * CPython's UnraisableHookArgs. Falls back to cpyext's function when that cannot be made. */
static inline void _HPyPyPy_Err_WriteUnraisable(PyObject *obj)
{
    PyObject *hook = PySys_GetObject("unraisablehook");     /* borrowed */
    PyObject *types = obj != NULL && hook != NULL && PyErr_Occurred() != NULL
                      ? PyImport_ImportModule("types") : NULL;
    if (types == NULL) {
        PyErr_WriteUnraisable(obj);
        return;
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *args = PyObject_CallMethod(types, "SimpleNamespace", NULL);
    int ok = args != NULL &&
             PyObject_SetAttrString(args, "exc_type", type != NULL ? type : Py_None) == 0 &&
             PyObject_SetAttrString(args, "exc_value", value != NULL ? value : Py_None) == 0 &&
             PyObject_SetAttrString(args, "exc_traceback", tb != NULL ? tb : Py_None) == 0 &&
             PyObject_SetAttrString(args, "err_msg", Py_None) == 0 &&
             PyObject_SetAttrString(args, "object", obj) == 0;
    PyObject *res = ok ? PyObject_CallOneArg(hook, args) : NULL;
    Py_XDECREF(args);
    Py_DECREF(types);
    if (res == NULL) {          /* the hook failed: report that, as CPython does */
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        PyErr_WriteUnraisable(hook);
        return;
    }
    Py_DECREF(res);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

#undef PyCapsule_GetPointer
#define PyCapsule_GetPointer _HPyPyPy_Capsule_GetPointer
#undef PyCapsule_GetName
#define PyCapsule_GetName _HPyPyPy_Capsule_GetName
#undef PyCapsule_GetContext
#define PyCapsule_GetContext _HPyPyPy_Capsule_GetContext
#undef PyCapsule_SetName
#define PyCapsule_SetName _HPyPyPy_Capsule_SetName
#undef PyCapsule_SetContext
#define PyCapsule_SetContext _HPyPyPy_Capsule_SetContext
#undef PyCapsule_SetDestructor
#define PyCapsule_SetDestructor _HPyPyPy_Capsule_SetDestructor
#undef PyCapsule_IsValid
#define PyCapsule_IsValid _HPyPyPy_Capsule_IsValid
#undef PyErr_SetObject
#define PyErr_SetObject _HPyPyPy_Err_SetObject
#undef PyErr_SetFromErrnoWithFilenameObjects
#define PyErr_SetFromErrnoWithFilenameObjects _HPyPyPy_Err_SetFromErrnoWithFilenameObjects
#undef PyErr_SetFromErrnoWithFilename
#define PyErr_SetFromErrnoWithFilename _HPyPyPy_Err_SetFromErrnoWithFilename
#undef PyObject_GetBuffer
#define PyObject_GetBuffer _HPyPyPy_Object_GetBuffer
#undef PyErr_WarnEx
#define PyErr_WarnEx _HPyPyPy_Err_WarnEx
#undef PyUnicode_EncodeFSDefault
#define PyUnicode_EncodeFSDefault _HPyPyPy_Unicode_EncodeFSDefault
#undef PyErr_WriteUnraisable
#define PyErr_WriteUnraisable _HPyPyPy_Err_WriteUnraisable
#undef PyErr_ExceptionMatches
#define PyErr_ExceptionMatches _HPyPyPy_Err_ExceptionMatches
#undef PySequence_SetSlice
#define PySequence_SetSlice _HPyPyPy_Sequence_SetSliceChecked
#undef PySequence_DelSlice
#define PySequence_DelSlice _HPyPyPy_Sequence_DelSlice
#undef PySequence_GetSlice
#define PySequence_GetSlice _HPyPyPy_Sequence_GetSlice
#undef PyObject_GetItem
#define PyObject_GetItem _HPyPyPy_Object_GetItem
#undef PySequence_GetItem
#define PySequence_GetItem _HPyPyPy_Sequence_GetItem
#undef PyObject_SetItem
#define PyObject_SetItem _HPyPyPy_Object_SetItem
#undef PyObject_DelItem
#define PyObject_DelItem _HPyPyPy_Object_DelItem
#undef PyCapsule_SetPointer
#define PyCapsule_SetPointer _HPyPyPy_Capsule_SetPointerChecked
#undef PyLong_AsUnsignedLong
#define PyLong_AsUnsignedLong _HPyPyPy_Long_AsUnsignedLong
#undef PyLong_AsUnsignedLongLong
#define PyLong_AsUnsignedLongLong _HPyPyPy_Long_AsUnsignedLongLong
#undef PyLong_AsSize_t
#define PyLong_AsSize_t _HPyPyPy_Long_AsSize_t
#undef PyLong_AsSsize_t
#define PyLong_AsSsize_t _HPyPyPy_Long_AsSsize_t
#undef PyLong_AsVoidPtr
#define PyLong_AsVoidPtr _HPyPyPy_Long_AsVoidPtr
#undef PyLong_AsDouble
#define PyLong_AsDouble _HPyPyPy_Long_AsDouble
#undef PyList_New
#define PyList_New _HPyPyPy_List_New
#undef PyList_Append
#define PyList_Append _HPyPyPy_List_Append
#undef PyList_Insert
#define PyList_Insert _HPyPyPy_List_Insert
#undef PyDict_Keys
#define PyDict_Keys _HPyPyPy_Dict_Keys
#undef PyDict_Copy
#define PyDict_Copy _HPyPyPy_Dict_Copy
#undef PyBytes_Size
#define PyBytes_Size _HPyPyPy_Bytes_Size
#undef PyBytes_AsString
#define PyBytes_AsString _HPyPyPy_Bytes_AsString
#undef PyBytes_FromStringAndSize
#define PyBytes_FromStringAndSize _HPyPyPy_Bytes_FromStringAndSize
#undef PyUnicode_Substring
#define PyUnicode_Substring _HPyPyPy_Unicode_Substring
#undef PyUnicode_FromEncodedObject
#define PyUnicode_FromEncodedObject _HPyPyPy_Unicode_FromEncodedObject
#undef PyObject_GetAttr
#define PyObject_GetAttr _HPyPyPy_Object_GetAttr
#undef PyObject_SetAttr
#define PyObject_SetAttr _HPyPyPy_Object_SetAttr

#endif /* HPY_RUNTIME_PYPY_COMPAT_H */
