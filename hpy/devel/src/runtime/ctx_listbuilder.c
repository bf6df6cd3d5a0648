/* List builders. They never raise: a failed allocation is remembered as a null builder and
 * reported by Build as MemoryError. Set stores a new reference (the handle is not stolen). */
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"

HPyAPI_IMPL HPyListBuilder ctx_ListBuilder_New(HPyContext *ctx, HPy_ssize_t size)
{
    (void)ctx;
    PyObject *lst = PyList_New(size);
    if (lst == NULL)
        PyErr_Clear();
    HPyListBuilder b = { (intptr_t)lst };
    return b;
}

HPyAPI_IMPL void ctx_ListBuilder_Set(HPyContext *ctx, HPyListBuilder builder, HPy_ssize_t index,
                                     HPy h_item)
{
    (void)ctx;
    PyObject *lst = (PyObject *)builder._lst;
    if (lst == NULL)
        return;
    PyObject *item = _h2py(h_item);
    Py_INCREF(item);
    PyObject *old = PyList_GET_ITEM(lst, index);
    PyList_SET_ITEM(lst, index, item);
    Py_XDECREF(old);
}

HPyAPI_IMPL HPy ctx_ListBuilder_Build(HPyContext *ctx, HPyListBuilder builder)
{
    (void)ctx;
    PyObject *lst = (PyObject *)builder._lst;
    if (lst == NULL) {
        PyErr_NoMemory();
        return HPy_NULL;
    }
    return _py2h(lst);
}

HPyAPI_IMPL void ctx_ListBuilder_Cancel(HPyContext *ctx, HPyListBuilder builder)
{
    (void)ctx;
    Py_XDECREF((PyObject *)builder._lst);
}
