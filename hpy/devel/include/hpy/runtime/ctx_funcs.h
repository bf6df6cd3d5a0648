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

#define _h2py(h) ((PyObject *)(h)._i)
#define _py2h(o) _hconv((intptr_t)(o))
#define _hf2py(f) ((PyObject *)(f)._i)
#define _py2hf(o) _hfconv((intptr_t)(o))
#define _hg2py(g) ((PyObject *)(g)._i)
#define _py2hg(o) _hgconv((intptr_t)(o))

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

#include "hpy/runtime/autogen_ctx_funcs.h"

#endif /* HPY_RUNTIME_CTX_FUNCS_H */
