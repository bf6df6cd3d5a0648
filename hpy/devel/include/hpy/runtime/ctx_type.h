/* Type support shared by the CPython ABI and the runtime (src/runtime/ctx_type.c). */
#ifndef HPY_RUNTIME_CTX_TYPE_H
#define HPY_RUNTIME_CTX_TYPE_H

/* Run an HPy traverse implementation on behalf of CPython's tp_traverse. */
_HPy_HIDDEN int call_traverseproc_from_trampoline(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                                  visitproc cpy_visit, void *cpy_arg);

#endif /* HPY_RUNTIME_CTX_TYPE_H */
