/* Integer conversions whose range check is narrower than the C-API call they use. */
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"

HPyAPI_IMPL int32_t ctx_Long_AsInt32_t(HPyContext *ctx, HPy h)
{
    (void)ctx;
    long v = PyLong_AsLong(_h2py(h));
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < INT32_MIN || v > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C int32_t");
        return -1;
    }
    return (int32_t)v;
}

HPyAPI_IMPL uint32_t ctx_Long_AsUInt32_t(HPyContext *ctx, HPy h)
{
    (void)ctx;
    unsigned long v = PyLong_AsUnsignedLong(_h2py(h));
    if (v == (unsigned long)-1 && PyErr_Occurred())
        return (uint32_t)-1;
    if (v > UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C uint32_t");
        return (uint32_t)-1;
    }
    return (uint32_t)v;
}
