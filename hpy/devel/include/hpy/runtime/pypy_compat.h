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

/* An exception set with a type that is no exception class: CPython's SystemError. */
static inline void _HPyPyPy_Err_SetObject(PyObject *type, PyObject *value)
{
    if (type == NULL || !PyExceptionClass_Check(type)) {
        PyErr_Format(PyExc_SystemError,
                     "_PyErr_SetObject: exception %R is not a BaseException subclass", type);
        return;
    }
    PyErr_SetObject(type, value);
}

/* A slice set to NULL is deleted (cpyext would store NULL). */
static inline int _HPyPyPy_Sequence_SetSlice(PyObject *o, Py_ssize_t i1, Py_ssize_t i2,
                                             PyObject *v)
{
    return v == NULL ? PySequence_DelSlice(o, i1, i2) : PySequence_SetSlice(o, i1, i2, v);
}

#undef PyCapsule_GetPointer
#define PyCapsule_GetPointer _HPyPyPy_Capsule_GetPointer
#undef PyCapsule_GetName
#define PyCapsule_GetName _HPyPyPy_Capsule_GetName
#undef PyCapsule_GetContext
#define PyCapsule_GetContext _HPyPyPy_Capsule_GetContext
#undef PyCapsule_SetPointer
#define PyCapsule_SetPointer _HPyPyPy_Capsule_SetPointer
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
#undef PySequence_SetSlice
#define PySequence_SetSlice _HPyPyPy_Sequence_SetSlice

#endif /* HPY_RUNTIME_PYPY_COMPAT_H */
