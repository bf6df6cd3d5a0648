/* Context variables. */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"

/* 0 on success with *result a new handle (HPy_NULL when neither the variable nor any default
 * has a value), -1 with an exception on error. */
HPyAPI_IMPL int32_t ctx_ContextVar_Get(HPyContext *ctx, HPy context_var, HPy default_value,
                                       HPy *result)
{
    (void)ctx;
    PyObject *value = NULL;
    if (PyContextVar_Get(_h2py(context_var), _h2py(default_value), &value) < 0)
        return -1;
    *result = _py2h(value);
    return 0;
}
