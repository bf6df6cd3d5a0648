/* Module creation shared by the CPython ABI and the runtime (src/runtime/ctx_module.c). */
#ifndef HPY_RUNTIME_CTX_MODULE_H
#define HPY_RUNTIME_CTX_MODULE_H

/* Build the PyModuleDef for an HPyModuleDef, after validating it (abi.md §9.6). The result is
 * allocated once and lives for the rest of the process. NULL with an exception on error. */
_HPy_HIDDEN PyModuleDef *_HPyModuleDef_CreatePyModuleDef(HPyModuleDef *hpydef);

/* The body of PyInit_<name> in the CPython ABI (multi-phase initialisation). */
_HPy_HIDDEN PyObject *_HPyModuleDef_AsPyInit(HPyModuleDef *hpydef);

/* HPy_mod_create must not return a module object: NULL with SystemError if it does. */
_HPy_HIDDEN PyObject *_HPyModule_CheckCreateSlotResult(PyObject *result);

/* The PyMethodDef array for HPy method defines followed by legacy methods (NULL-terminated);
 * NULL with an exception on error. */
_HPy_HIDDEN PyMethodDef *create_method_defs(HPyDef *hpydefs[], PyMethodDef *legacy_methods);

#endif /* HPY_RUNTIME_CTX_MODULE_H */
