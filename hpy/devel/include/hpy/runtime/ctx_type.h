/* Type support shared by the CPython ABI and the runtime (src/runtime/ctx_type.c). */
#ifndef HPY_RUNTIME_CTX_TYPE_H
#define HPY_RUNTIME_CTX_TYPE_H

/* Run an HPy traverse implementation on behalf of CPython's tp_traverse. */
_HPy_HIDDEN int call_traverseproc_from_trampoline(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                                  visitproc cpy_visit, void *cpy_arg);

/* The metaclass named by a HPyType_SpecParam_Metaclass entry of params (borrowed), or NULL. */
_HPy_HIDDEN PyObject *get_metatype(HPyType_SpecParam *params);

/* The module's C struct inside h, for the builtin shape recorded for the object's type. */
_HPy_HIDDEN void *ctx_AsStruct_Slow(HPyContext *ctx, HPy h);

#endif /* HPY_RUNTIME_CTX_TYPE_H */
