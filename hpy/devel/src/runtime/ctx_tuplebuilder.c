/* Tuple builders: the same rules as list builders (ctx_listbuilder.c). */
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"

HPyAPI_IMPL HPyTupleBuilder ctx_TupleBuilder_New(HPyContext *ctx, HPy_ssize_t size)
{
    (void)ctx;
    PyObject *tup = PyTuple_New(size);
    if (tup == NULL)
        PyErr_Clear();
    HPyTupleBuilder b = { (intptr_t)tup };
    return b;
}

HPyAPI_IMPL void ctx_TupleBuilder_Set(HPyContext *ctx, HPyTupleBuilder builder, HPy_ssize_t index,
                                      HPy h_item)
{
    (void)ctx;
    PyObject *tup = (PyObject *)builder._tup;
    if (tup == NULL)
        return;
    PyObject *item = _h2py(h_item);
    Py_INCREF(item);
    PyObject *old = PyTuple_GET_ITEM(tup, index);
    PyTuple_SET_ITEM(tup, index, item);
    Py_XDECREF(old);
}

HPyAPI_IMPL HPy ctx_TupleBuilder_Build(HPyContext *ctx, HPyTupleBuilder builder)
{
    (void)ctx;
    PyObject *tup = (PyObject *)builder._tup;
    if (tup == NULL) {
        PyErr_NoMemory();
        return HPy_NULL;
    }
    return _py2h(tup);
}

HPyAPI_IMPL void ctx_TupleBuilder_Cancel(HPyContext *ctx, HPyTupleBuilder builder)
{
    (void)ctx;
    Py_XDECREF((PyObject *)builder._tup);
}
