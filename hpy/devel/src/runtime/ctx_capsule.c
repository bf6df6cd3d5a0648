/* Capsules. A destructor is an HPyCapsule_Destructor whose CPython trampoline becomes the
 * capsule's destructor; the trampoline brings the runtime back to the HPy implementation. */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"

static int check_destructor(HPyCapsule_Destructor *d)
{
    if (d != NULL && (d->cpy_trampoline == NULL || d->impl == NULL)) {
        PyErr_SetString(PyExc_ValueError, "Invalid HPyCapsule destructor");
        return -1;
    }
    return 0;
}

HPyAPI_IMPL HPy ctx_Capsule_New(HPyContext *ctx, void *pointer, const char *utf8_name,
                                HPyCapsule_Destructor *destructor)
{
    (void)ctx;
    if (check_destructor(destructor) < 0)
        return HPy_NULL;
    PyCapsule_Destructor d = destructor ? (PyCapsule_Destructor)destructor->cpy_trampoline : NULL;
    return _py2h(PyCapsule_New(pointer, utf8_name, d));
}

HPyAPI_IMPL int ctx_Capsule_SetDestructor(HPyContext *ctx, HPy capsule,
                                          HPyCapsule_Destructor *destructor)
{
    (void)ctx;
    if (check_destructor(destructor) < 0)
        return -1;
    PyCapsule_Destructor d = destructor ? (PyCapsule_Destructor)destructor->cpy_trampoline : NULL;
    return PyCapsule_SetDestructor(_h2py(capsule), d);
}

#if !defined(HPY_ABI_CPYTHON)
/* The key-based accessors exist in the universal context only; the CPython ABI calls the
 * C API directly from its convenience wrappers. */
HPyAPI_IMPL void *ctx_Capsule_Get(HPyContext *ctx, HPy capsule, _HPyCapsule_key key,
                                  const char *utf8_name)
{
    (void)ctx;
    PyObject *c = _h2py(capsule);
    switch (key) {
    case HPyCapsule_key_Pointer:
        return PyCapsule_GetPointer(c, utf8_name);
    case HPyCapsule_key_Name:
        return (void *)PyCapsule_GetName(c);
    case HPyCapsule_key_Context:
        return PyCapsule_GetContext(c);
    case HPyCapsule_key_Destructor:
        PyErr_SetString(PyExc_ValueError, "Invalid operation: get HPyCapsule_key_Destructor");
        return NULL;
    }
    PyErr_SetString(PyExc_SystemError, "invalid HPyCapsule key");
    return NULL;
}

HPyAPI_IMPL int ctx_Capsule_Set(HPyContext *ctx, HPy capsule, _HPyCapsule_key key, void *value)
{
    PyObject *c = _h2py(capsule);
    switch (key) {
    case HPyCapsule_key_Pointer:
        return PyCapsule_SetPointer(c, value);
    case HPyCapsule_key_Name:
        return PyCapsule_SetName(c, (const char *)value);
    case HPyCapsule_key_Context:
        return PyCapsule_SetContext(c, value);
    case HPyCapsule_key_Destructor:
        return ctx_Capsule_SetDestructor(ctx, capsule, (HPyCapsule_Destructor *)value);
    }
    PyErr_SetString(PyExc_SystemError, "invalid HPyCapsule key");
    return -1;
}
#endif
