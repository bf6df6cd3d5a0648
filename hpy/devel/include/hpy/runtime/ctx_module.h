/* Module creation shared by the CPython ABI and the runtime (src/runtime/ctx_module.c). */
#ifndef HPY_RUNTIME_CTX_MODULE_H
#define HPY_RUNTIME_CTX_MODULE_H

/* A Py_mod_create function. */
typedef PyObject *(*_HPyModuleCreate)(PyObject *spec, PyModuleDef *def);

/* Fill the zeroed *def from an HPyModuleDef, after validating it (abi.md §9.6); its method table
 * and slots are allocated (_HPyModuleDef_ClearPyModuleDef frees them). `default_create` (or
 * NULL) becomes the Py_mod_create slot when the HPyModuleDef has no HPy_mod_create. 0, or -1
 * with an exception. *def must outlive every module object made from it. */
_HPy_HIDDEN int _HPyModuleDef_InitPyModuleDef(PyModuleDef *def, HPyModuleDef *hpydef,
                                              _HPyModuleCreate default_create);

/* Free what _HPyModuleDef_InitPyModuleDef allocated for *def. */
_HPy_HIDDEN void _HPyModuleDef_ClearPyModuleDef(PyModuleDef *def);

/* A new PyModuleDef filled by _HPyModuleDef_InitPyModuleDef without a default create, or NULL
 * with an exception. The CPython ABI makes one per PyInit call and keeps it for the rest of the
 * process. */
_HPy_HIDDEN PyModuleDef *_HPyModuleDef_CreatePyModuleDef(HPyModuleDef *hpydef);

/* The HPyModuleDef the module object `module` was made from by this copy of ctx_module.c
 * (through _HPyModuleDef_InitPyModuleDef), or NULL (another copy's module, a module of another
 * kind). Never raises. */
_HPy_HIDDEN HPyModuleDef *_HPyModule_GetHPyDef(PyObject *module);

/* HPy_mod_create must not return a module object: NULL with SystemError if it does. */
_HPy_HIDDEN PyObject *_HPyModule_CheckCreateSlotResult(PyObject *result);

/* The PyMethodDef array for HPy method defines followed by legacy methods (NULL-terminated);
 * NULL with an exception on error. */
_HPy_HIDDEN PyMethodDef *create_method_defs(HPyDef *hpydefs[], PyMethodDef *legacy_methods);

#endif /* HPY_RUNTIME_CTX_MODULE_H */
