/* CPython ABI: the context, and the hand-written parts of the API. */
#ifndef HPY_CPYTHON_MISC_H
#define HPY_CPYTHON_MISC_H

/* The one context of a CPython-ABI extension. It is filled when the module is initialised
 * (PyInit_<name>), before any implementation can run. */
extern _HPy_HIDDEN HPyContext _hpy_cpython_ctx;

/* The body of PyInit_<name> (multi-phase initialisation): fills the context, then returns the
 * module definition made from hpydef. Defined, with the context, in src/runtime/cpython_init.c. */
_HPy_HIDDEN PyObject *_HPyModuleDef_AsPyInit(HPyModuleDef *hpydef);

HPyAPI_FUNC HPyContext *_HPyGetContext(void)
{
    return &_hpy_cpython_ctx;
}

/* The context from nowhere (see hpy/hpymodule.h): always available in the CPython ABI. */
HPyAPI_FUNC HPyContext *HPyGetContext(void)
{
    return &_hpy_cpython_ctx;
}

HPyAPI_FUNC PyObject **_HPyTuple_Items(PyObject *tuple)
{
    return ((PyTupleObject *)tuple)->ob_item;
}

HPyAPI_FUNC _HPy_NO_RETURN void HPy_FatalError(HPyContext *ctx, const char *message)
{
    (void)ctx;
    Py_FatalError(message);
}

HPyAPI_FUNC HPy _HPy_New(HPyContext *ctx, HPy h_type, void **data)
{
    return ctx_New(ctx, h_type, data);
}

HPyAPI_FUNC void *HPyCapsule_GetPointer(HPyContext *ctx, HPy capsule, const char *name)
{
    (void)ctx;
    return PyCapsule_GetPointer(_h2py(capsule), name);
}

HPyAPI_FUNC const char *HPyCapsule_GetName(HPyContext *ctx, HPy capsule)
{
    (void)ctx;
    return PyCapsule_GetName(_h2py(capsule));
}

HPyAPI_FUNC void *HPyCapsule_GetContext(HPyContext *ctx, HPy capsule)
{
    (void)ctx;
    return PyCapsule_GetContext(_h2py(capsule));
}

HPyAPI_FUNC int HPyCapsule_SetPointer(HPyContext *ctx, HPy capsule, void *pointer)
{
    (void)ctx;
    return PyCapsule_SetPointer(_h2py(capsule), pointer);
}

HPyAPI_FUNC int HPyCapsule_SetName(HPyContext *ctx, HPy capsule, const char *name)
{
    (void)ctx;
    return PyCapsule_SetName(_h2py(capsule), name);
}

HPyAPI_FUNC int HPyCapsule_SetContext(HPyContext *ctx, HPy capsule, void *context)
{
    (void)ctx;
    return PyCapsule_SetContext(_h2py(capsule), context);
}

HPyAPI_FUNC int HPyCapsule_SetDestructor(HPyContext *ctx, HPy capsule,
                                         HPyCapsule_Destructor *destructor)
{
    return ctx_Capsule_SetDestructor(ctx, capsule, destructor);
}

#endif /* HPY_CPYTHON_MISC_H */
