/* The hand-written ctx_* functions behind the context members that are not a plain C-API call.
 *
 * One implementation serves two places: the CPython ABI, where they are compiled into the
 * extension and called directly, and the universal runtime, where they fill the context. Both
 * encode a handle as the PyObject* itself, so these functions call CPython directly and never go
 * through a context. The small ones are inline; the others live in src/runtime/ctx_*.c. */
#ifndef HPY_RUNTIME_CTX_FUNCS_H
#define HPY_RUNTIME_CTX_FUNCS_H

#if defined(HPY_ABI_UNIVERSAL)
#  error "hpy/runtime/ctx_funcs.h needs Python.h: it is for the CPython ABI and the runtime only"
#endif

#include <limits.h>
#include "hpy/runtime/cpy_compat.h"

#if !defined(HPY_ABI_CPYTHON) && !defined(HPY_RUNTIME_INTERNAL)
#  error "hpy/runtime/ctx_funcs.h is for the CPython ABI and the runtime only"
#endif

/* The builtins dict, the one PyEval_GetBuiltins() gives code run without custom builtins (a
 * borrowed reference: sys.modules keeps the module, and so its dict, alive). */
HPyAPI_FUNC PyObject *_HPy_BuiltinsDict(void)
{
    PyObject *m = PyImport_ImportModule("builtins");
    if (m == NULL)
        return NULL;
    PyObject *d = PyModule_GetDict(m);
    Py_DECREF(m);
    return d;
}

HPyAPI_FUNC HPy ctx_Dup(HPyContext *ctx, HPy h)
{
    (void)ctx;
    Py_XINCREF(_h2py(h));
    return h;
}

HPyAPI_FUNC void ctx_Close(HPyContext *ctx, HPy h)
{
    (void)ctx;
    Py_XDECREF(_h2py(h));
}

HPyAPI_FUNC int ctx_Is(HPyContext *ctx, HPy obj, HPy other)
{
    (void)ctx;
    return obj._i == other._i;
}

HPyAPI_FUNC int ctx_TypeCheck(HPyContext *ctx, HPy obj, HPy type)
{
    (void)ctx;
    return PyObject_TypeCheck(_h2py(obj), (PyTypeObject *)_h2py(type));
}

HPyAPI_FUNC int ctx_Type_IsSubtype(HPyContext *ctx, HPy sub, HPy type)
{
    (void)ctx;
    return PyType_IsSubtype((PyTypeObject *)_h2py(sub), (PyTypeObject *)_h2py(type));
}

HPyAPI_FUNC int ctx_Err_Occurred(HPyContext *ctx)
{
    (void)ctx;
    return PyErr_Occurred() ? 1 : 0;
}

HPyAPI_FUNC HPy ctx_FromPyObject(HPyContext *ctx, cpy_PyObject *obj)
{
    (void)ctx;
    Py_XINCREF(obj);
    return _py2h(obj);
}

HPyAPI_FUNC cpy_PyObject *ctx_AsPyObject(HPyContext *ctx, HPy h)
{
    (void)ctx;
    PyObject *obj = _h2py(h);
    Py_XINCREF(obj);
    return obj;
}

HPyAPI_FUNC void *ctx_AsStruct_Legacy(HPyContext *ctx, HPy h)
{
    (void)ctx;
    return (void *)_h2py(h);
}

/* Where the module's C struct starts in an object of each builtin shape: after the builtin
 * layout, aligned for any C scalar. */
/* The strictest alignment of a C scalar (alignof(max_align_t), spelled in C99). */
typedef union {
    long long ll;
    long double ld;
    double d;
    void *p;
    void (*f)(void);
} hpy_max_align_union;

typedef struct {
    char c;
    hpy_max_align_union u;
} hpy_max_align_probe;

#define HPY_MAX_ALIGN ((Py_ssize_t)offsetof(hpy_max_align_probe, u))
#define HPY_ALIGN_UP(n) ((((Py_ssize_t)(n)) + HPY_MAX_ALIGN - 1) / HPY_MAX_ALIGN * HPY_MAX_ALIGN)

/* Where the module's struct starts in an object of each builtin shape. For the Object shape
 * it depends on the type: instances of a type whose items follow the struct (tp_itemsize != 0)
 * have a PyVarObject header, whose item count the struct must not overlap. */
#define HPY_OFFSET_Object HPY_ALIGN_UP(sizeof(PyObject))
#define HPY_OFFSET_VarObject HPY_ALIGN_UP(sizeof(PyVarObject))
#define HPY_OFFSET_Type HPY_ALIGN_UP(sizeof(PyHeapTypeObject))
#define HPY_OFFSET_Long HPY_ALIGN_UP(sizeof(PyLongObject))
#define HPY_OFFSET_Float HPY_ALIGN_UP(sizeof(PyFloatObject))
#define HPY_OFFSET_Unicode HPY_ALIGN_UP(sizeof(PyUnicodeObject))
#define HPY_OFFSET_Tuple HPY_ALIGN_UP(sizeof(PyTupleObject))
#define HPY_OFFSET_List HPY_ALIGN_UP(sizeof(PyListObject))
#define HPY_OFFSET_Dict HPY_ALIGN_UP(sizeof(PyDictObject))

#define _HPY_AS_STRUCT(SHAPE) \
    HPyAPI_FUNC void *ctx_AsStruct_##SHAPE(HPyContext *ctx, HPy h) \
    { \
        (void)ctx; \
        return (char *)_h2py(h) + HPY_OFFSET_##SHAPE; \
    }

/* A branch on the item size, not a selection (see _HPy_StructAt in
 * hpy/universal/hpyfunc_trampolines.h). */
HPyAPI_FUNC void *ctx_AsStruct_Object(HPyContext *ctx, HPy h)
{
    (void)ctx;
    PyObject *obj = _h2py(h);
    if (_HPy_UNLIKELY(Py_TYPE(obj)->tp_itemsize != 0))
        return (char *)obj + HPY_OFFSET_VarObject;
    return (char *)obj + HPY_OFFSET_Object;
}

_HPY_AS_STRUCT(Type)
_HPY_AS_STRUCT(Long)
_HPY_AS_STRUCT(Float)
_HPY_AS_STRUCT(Unicode)
_HPY_AS_STRUCT(Tuple)
_HPY_AS_STRUCT(List)
_HPY_AS_STRUCT(Dict)

/* Store a new reference in the field and release the previous one. */
HPyAPI_FUNC void ctx_Field_Store(HPyContext *ctx, HPy target_object, HPyField *target_field, HPy h)
{
    (void)ctx;
    (void)target_object;
    PyObject *old = _hf2py(*target_field);
    PyObject *obj = _h2py(h);
    Py_XINCREF(obj);
    target_field->_i = (intptr_t)obj;
    Py_XDECREF(old);
}

HPyAPI_FUNC HPy ctx_Field_Load(HPyContext *ctx, HPy source_object, HPyField source_field)
{
    (void)ctx;
    (void)source_object;
    PyObject *obj = _hf2py(source_field);
    Py_INCREF(obj);
    return _py2h(obj);
}

HPyAPI_FUNC HPy ctx_Global_Load(HPyContext *ctx, HPyGlobal global)
{
    (void)ctx;
    PyObject *obj = _hg2py(global);
    Py_INCREF(obj);
    return _py2h(obj);
}

/* A thread the interpreter does not know (started by a C library) takes the GIL, and gives it
 * back; the state is PyGILState_Ensure's. */
HPyAPI_FUNC HPyThreadState ctx_AttachThread(HPyContext *ctx)
{
    (void)ctx;
    return _htsconv((intptr_t)PyGILState_Ensure());
}

HPyAPI_FUNC void ctx_DetachThread(HPyContext *ctx, HPyThreadState state)
{
    (void)ctx;
    PyGILState_Release((PyGILState_STATE)state._i);
}

HPyAPI_FUNC HPyThreadState ctx_LeavePythonExecution(HPyContext *ctx)
{
    (void)ctx;
    return _htsconv((intptr_t)PyEval_SaveThread());
}

HPyAPI_FUNC void ctx_ReenterPythonExecution(HPyContext *ctx, HPyThreadState state)
{
    (void)ctx;
    PyEval_RestoreThread((PyThreadState *)state._i);
}

HPyAPI_FUNC int32_t ctx_Long_AsInt32_t(HPyContext *ctx, HPy h)
{
    (void)ctx;
    long v = PyLong_AsLong(_h2py(h));
    if (v == -1 && PyErr_Occurred())
        return -1;
#if LONG_MAX > INT32_MAX
    if (v < INT32_MIN || v > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C int32_t");
        return -1;
    }
#endif
    return (int32_t)v;
}

HPyAPI_FUNC uint32_t ctx_Long_AsUInt32_t(HPyContext *ctx, HPy h)
{
    (void)ctx;
    unsigned long v = PyLong_AsUnsignedLong(_h2py(h));
    if (v == (unsigned long)-1 && PyErr_Occurred())
        return (uint32_t)-1;
#if ULONG_MAX > UINT32_MAX
    if (v > UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C uint32_t");
        return (uint32_t)-1;
    }
#endif
    return (uint32_t)v;
}

HPyAPI_FUNC HPy ctx_Bytes_FromStringAndSize(HPyContext *ctx, const char *bytes, HPy_ssize_t len)
{
    (void)ctx;
    if (bytes == NULL) {
        PyErr_SetString(PyExc_ValueError, "NULL char * passed to HPyBytes_FromStringAndSize");
        return HPy_NULL;
    }
    return _py2h(PyBytes_FromStringAndSize(bytes, len));
}

/* An exact float's value is read in place (what PyFloat_AsDouble returns for it; the universal
 * headers' inline path does the same without a call); other objects through PyFloat_AsDouble. */
HPyAPI_FUNC double ctx_Float_AsDouble(HPyContext *ctx, HPy h)
{
    (void)ctx;
    PyObject *o = _h2py(h);
    if (o != NULL && PyFloat_CheckExact(o))
        return PyFloat_AS_DOUBLE(o);
    return PyFloat_AsDouble(o);
}

/* Exact tuples and lists answer directly (the universal headers' inline path does the same
 * without a call); other objects through PyObject_Length. */
HPyAPI_FUNC HPy_ssize_t ctx_Length(HPyContext *ctx, HPy h)
{
    (void)ctx;
    PyObject *o = _h2py(h);
    if (PyTuple_CheckExact(o))
        return PyTuple_GET_SIZE(o);
    if (PyList_CheckExact(o))
        return PyList_GET_SIZE(o);
    return PyObject_Length(o);
}

/* An item of an exact tuple or list in range is read directly; other sequences get their item
 * from sq_item (negative indexes counted from the end); other objects are subscripted with an
 * int key. */
HPyAPI_FUNC HPy ctx_GetItem_i(HPyContext *ctx, HPy obj, HPy_ssize_t idx)
{
    (void)ctx;
    PyObject *o = _h2py(obj);
    PyObject *item = NULL;
    if (PyTuple_CheckExact(o) && (size_t)idx < (size_t)PyTuple_GET_SIZE(o))
        item = PyTuple_GET_ITEM(o, idx);
    else if (PyList_CheckExact(o) && (size_t)idx < (size_t)PyList_GET_SIZE(o))
        item = PyList_GET_ITEM(o, idx);
    if (item != NULL) {
        Py_INCREF(item);
        return _py2h(item);
    }
    PySequenceMethods *sq = Py_TYPE(o)->tp_as_sequence;
    if (sq != NULL && sq->sq_item != NULL) {
        if (idx >= 0)
            return _py2h(sq->sq_item(o, idx));
        return _py2h(PySequence_GetItem(o, idx));
    }
    PyObject *key = PyLong_FromSsize_t(idx);
    if (key == NULL)
        return HPy_NULL;
    PyObject *res = PyObject_GetItem(o, key);
    Py_DECREF(key);
    return _py2h(res);
}

/* The tuple holds new references: the caller's handles stay open and owned by the caller. */
HPyAPI_FUNC HPy ctx_Tuple_FromArray(HPyContext *ctx, const HPy *items, HPy_ssize_t n)
{
    (void)ctx;
    PyObject *tuple = PyTuple_New(n);
    if (tuple == NULL)
        return HPy_NULL;
    for (HPy_ssize_t i = 0; i < n; i++) {
        PyObject *item = _h2py(items[i]);
        Py_INCREF(item);
        PyTuple_SET_ITEM(tuple, i, item);
    }
    return _py2h(tuple);
}

/* Builders never raise: a failed allocation is remembered as a null builder and reported by
 * Build as MemoryError. Set stores a new reference into a slot that has not been set yet. */
HPyAPI_FUNC HPyListBuilder ctx_ListBuilder_New(HPyContext *ctx, HPy_ssize_t size)
{
    (void)ctx;
    PyObject *lst = PyList_New(size);
    if (lst == NULL)
        PyErr_Clear();
    HPyListBuilder b = { (intptr_t)lst };
    return b;
}

HPyAPI_FUNC void ctx_ListBuilder_Set(HPyContext *ctx, HPyListBuilder builder, HPy_ssize_t index,
                                     HPy h_item)
{
    (void)ctx;
    PyObject *lst = (PyObject *)builder._lst;
    if (lst != NULL) {
        PyObject *item = _h2py(h_item);
        Py_INCREF(item);
        PyList_SET_ITEM(lst, index, item);
    }
}

HPyAPI_FUNC HPy ctx_ListBuilder_Build(HPyContext *ctx, HPyListBuilder builder)
{
    (void)ctx;
    PyObject *lst = (PyObject *)builder._lst;
    if (lst == NULL) {
        PyErr_NoMemory();
        return HPy_NULL;
    }
    return _py2h(lst);
}

HPyAPI_FUNC void ctx_ListBuilder_Cancel(HPyContext *ctx, HPyListBuilder builder)
{
    (void)ctx;
    Py_XDECREF((PyObject *)builder._lst);
}

HPyAPI_FUNC HPyTupleBuilder ctx_TupleBuilder_New(HPyContext *ctx, HPy_ssize_t size)
{
    (void)ctx;
    PyObject *tup = PyTuple_New(size);
    if (tup == NULL)
        PyErr_Clear();
    HPyTupleBuilder b = { (intptr_t)tup };
    return b;
}

HPyAPI_FUNC void ctx_TupleBuilder_Set(HPyContext *ctx, HPyTupleBuilder builder, HPy_ssize_t index,
                                      HPy h_item)
{
    (void)ctx;
    PyObject *tup = (PyObject *)builder._tup;
    if (tup != NULL) {
        PyObject *item = _h2py(h_item);
        Py_INCREF(item);
        PyTuple_SET_ITEM(tup, index, item);
    }
}

HPyAPI_FUNC HPy ctx_TupleBuilder_Build(HPyContext *ctx, HPyTupleBuilder builder)
{
    (void)ctx;
    PyObject *tup = (PyObject *)builder._tup;
    if (tup == NULL) {
        PyErr_NoMemory();
        return HPy_NULL;
    }
    return _py2h(tup);
}

HPyAPI_FUNC void ctx_TupleBuilder_Cancel(HPyContext *ctx, HPyTupleBuilder builder)
{
    (void)ctx;
    Py_XDECREF((PyObject *)builder._tup);
}

/* A handle is a PyObject*, so an array of handles is passed to CPython as it is. */
HPyAPI_FUNC HPy ctx_Call(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    (void)ctx;
    return _py2h(PyObject_Vectorcall(_h2py(callable), (PyObject *const *)args, nargs,
                                     _h2py(kwnames)));
}

HPyAPI_FUNC HPy ctx_CallMethod(HPyContext *ctx, HPy name, const HPy *args, size_t nargs, HPy kwnames)
{
    (void)ctx;
    return _py2h(PyObject_VectorcallMethod(_h2py(name), (PyObject *const *)args, nargs,
                                           _h2py(kwnames)));
}

HPyAPI_FUNC HPy ctx_CallTupleDict(HPyContext *ctx, HPy callable, HPy args, HPy kw)
{
    (void)ctx;
    PyObject *py_args = _h2py(args), *py_kw = _h2py(kw);
    if (py_args != NULL && !PyTuple_Check(py_args)) {
        PyErr_SetString(PyExc_TypeError,
                        "HPy_CallTupleDict requires args to be a tuple or null handle");
        return HPy_NULL;
    }
    if (py_kw != NULL && !PyDict_Check(py_kw)) {
        PyErr_SetString(PyExc_TypeError,
                        "HPy_CallTupleDict requires kw to be a dict or null handle");
        return HPy_NULL;
    }
    if (py_args == NULL)
        return _py2h(PyObject_VectorcallDict(_h2py(callable), NULL, 0, py_kw));
    return _py2h(PyObject_Call(_h2py(callable), py_args, py_kw));
}

/* Copy a filled HPy_buffer into CPython's Py_buffer; the owned obj handle becomes view->obj. */
HPyAPI_FUNC int _HPyBuffer_ToPy(int res, HPy_buffer *src, Py_buffer *dest)
{
    if (res < 0) {
        dest->obj = NULL;
        return res;
    }
    dest->buf = src->buf;
    dest->obj = _h2py(src->obj);
    dest->len = src->len;
    dest->itemsize = src->itemsize;
    dest->readonly = src->readonly;
    dest->ndim = src->ndim;
    dest->format = src->format;
    dest->shape = src->shape;
    dest->strides = src->strides;
    dest->suboffsets = src->suboffsets;
    dest->internal = src->internal;
    return res;
}

/* View a Py_buffer as an HPy_buffer; obj is borrowed from the Py_buffer. */
HPyAPI_FUNC void _HPyBuffer_FromPy(Py_buffer *src, HPy_buffer *dest)
{
    dest->buf = src->buf;
    dest->obj = _py2h(src->obj);
    dest->len = src->len;
    dest->itemsize = src->itemsize;
    dest->readonly = src->readonly;
    dest->ndim = src->ndim;
    dest->format = src->format;
    dest->shape = src->shape;
    dest->strides = src->strides;
    dest->suboffsets = src->suboffsets;
    dest->internal = src->internal;
}

/* Not a context member: the CPython ABI's HPyCapsule_SetDestructor. */
HPyAPI_IMPL int ctx_Capsule_SetDestructor(HPyContext *ctx, HPy capsule,
                                          HPyCapsule_Destructor *destructor);

#include "hpy/runtime/autogen_ctx_funcs.h"

#endif /* HPY_RUNTIME_CTX_FUNCS_H */
