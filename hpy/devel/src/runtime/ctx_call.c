/* Calls: vectorcall-style (HPy_Call, HPy_CallMethod) and tuple/dict style (HPy_CallTupleDict).
 * A handle is a PyObject*, so an array of handles is passed to CPython as it is. */
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"

HPyAPI_IMPL HPy ctx_CallTupleDict(HPyContext *ctx, HPy callable, HPy args, HPy kw)
{
    (void)ctx;
    PyObject *py_args = _h2py(args), *py_kw = _h2py(kw), *res;
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
        res = PyObject_VectorcallDict(_h2py(callable), NULL, 0, py_kw);
    else
        res = PyObject_Call(_h2py(callable), py_args, py_kw);
    return _py2h(res);
}

HPyAPI_IMPL HPy ctx_Call(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    (void)ctx;
    return _py2h(PyObject_Vectorcall(_h2py(callable), (PyObject *const *)args, nargs,
                                     _h2py(kwnames)));
}

HPyAPI_IMPL HPy ctx_CallMethod(HPyContext *ctx, HPy name, const HPy *args, size_t nargs, HPy kwnames)
{
    (void)ctx;
    return _py2h(PyObject_VectorcallMethod(_h2py(name), (PyObject *const *)args, nargs,
                                           _h2py(kwnames)));
}
