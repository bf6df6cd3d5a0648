/* Bytes constructors with HPy's argument checks. */
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"

HPyAPI_IMPL HPy ctx_Bytes_FromStringAndSize(HPyContext *ctx, const char *bytes, HPy_ssize_t len)
{
    (void)ctx;
    if (bytes == NULL) {
        PyErr_SetString(PyExc_ValueError, "NULL char * passed to HPyBytes_FromStringAndSize");
        return HPy_NULL;
    }
    return _py2h(PyBytes_FromStringAndSize(bytes, len));
}
