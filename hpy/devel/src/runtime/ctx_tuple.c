/* Tuples from arrays of handles. */
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"

/* The tuple holds new references: the caller's handles stay open and owned by the caller. */
HPyAPI_IMPL HPy ctx_Tuple_FromArray(HPyContext *ctx, const HPy items[], HPy_ssize_t n)
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
