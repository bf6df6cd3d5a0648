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

#if !defined(HPY_ABI_CPYTHON) && !defined(HPY_RUNTIME_INTERNAL)
#  error "hpy/runtime/ctx_funcs.h is for the CPython ABI and the runtime only"
#endif

/* The builtins module (a borrowed reference: sys.modules keeps it alive). */
HPyAPI_FUNC PyObject *_HPy_BuiltinsModule(void)
{
    PyObject *m = PyImport_ImportModule("builtins");
    Py_XDECREF(m);
    return m;
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
