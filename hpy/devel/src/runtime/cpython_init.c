/* The CPython ABI's entry point: the extension's one context, filled when PyInit_<name> runs, and
 * the PyInit body HPy_MODINIT expands to. Built for the CPython ABI only (hpy.devel lists it with
 * the context sources of that ABI; the universal runtime has its own loader). It sits above the
 * context functions: it fills the context from the generated API (cpython/autogen_api_impl.h). */
#include "hpy.h"

#if !defined(HPY_ABI_CPYTHON)
#  error "cpython_init.c is for the CPython ABI only"
#endif

HPyContext _hpy_cpython_ctx;

HPyAPI_IMPL PyObject *_HPyModuleDef_AsPyInit(HPyModuleDef *hpydef)
{
    _HPyContext_FillCPython(&_hpy_cpython_ctx);
    PyModuleDef *def = _HPyModuleDef_CreatePyModuleDef(hpydef);
    if (def == NULL)
        return NULL;
    return PyModuleDef_Init(def);
}
