/* From HPyModuleDef to a CPython module definition (abi.md §9.6), for both the CPython ABI and
 * the universal runtime. The CPython ABI's PyInit (cpython_init.c) and the runtime's loader
 * (src/universal/hpymodule.c) build on it. */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"
#include "hpy/runtime/ctx_module.h"

#define CREATE_TAIL \
    "This is not allowed because custom HPy_mod_create slot cannot return a builtin module " \
    "object and cannot make any use of any other data defined in the HPyModuleDef. Either do " \
    "not define HPy_mod_create slot and let the runtime create a builtin module object from " \
    "the provided HPyModuleDef, or do not define anything else but the HPy_mod_create slot."

/* Which HPyModuleDef each PyModuleDef of this copy was made from, for
 * HPyType_GetModuleByDef: a few entries per loaded module, searched linearly. */
typedef struct {
    PyModuleDef *def;
    HPyModuleDef *hpydef;
} def_origin;

static def_origin *origins;
static size_t n_origins, cap_origins;

static int remember_origin(PyModuleDef *def, HPyModuleDef *hpydef)
{
    if (n_origins == cap_origins) {
        size_t cap = cap_origins ? cap_origins * 2 : 16;
        def_origin *grown = (def_origin *)PyMem_RawRealloc(origins, cap * sizeof(def_origin));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        origins = grown;
        cap_origins = cap;
    }
    origins[n_origins].def = def;
    origins[n_origins].hpydef = hpydef;
    n_origins++;
    return 0;
}

static void forget_origin(PyModuleDef *def)
{
    for (size_t i = 0; i < n_origins; i++) {
        if (origins[i].def == def) {
            origins[i] = origins[--n_origins];
            return;
        }
    }
}

HPyAPI_IMPL HPyModuleDef *_HPyModule_GetHPyDef(PyObject *module)
{
    PyModuleDef *def = PyModule_GetDef(module);     /* NULL, without an error: none */
    if (def == NULL)
        return NULL;
    for (size_t i = 0; i < n_origins; i++)
        if (origins[i].def == def)
            return origins[i].hpydef;
    return NULL;
}

static int method_flags(HPyFunc_Signature sig)
{
    switch (sig) {
    case HPyFunc_VARARGS: return METH_FASTCALL;
    case HPyFunc_KEYWORDS: return METH_FASTCALL | METH_KEYWORDS;
    case HPyFunc_NOARGS: return METH_NOARGS;
    case HPyFunc_O: return METH_O;
    default: return -1;
    }
}

HPyAPI_IMPL PyMethodDef *create_method_defs(HPyDef *hpydefs[], PyMethodDef *legacy_methods)
{
    Py_ssize_t n = 0, i = 0;
    if (hpydefs != NULL)
        for (HPyDef **d = hpydefs; *d != NULL; d++)
            if ((*d)->kind == HPyDef_Kind_Meth)
                n++;
    if (legacy_methods != NULL)
        for (PyMethodDef *m = legacy_methods; m->ml_name != NULL; m++)
            n++;
    PyMethodDef *result = (PyMethodDef *)PyMem_Calloc((size_t)n + 1, sizeof(PyMethodDef));
    if (result == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (hpydefs != NULL) {
        for (HPyDef **d = hpydefs; *d != NULL; d++) {
            if ((*d)->kind != HPyDef_Kind_Meth)
                continue;
            HPyMeth *meth = &(*d)->meth;
            int flags = method_flags(meth->signature);
            if (flags < 0) {
                PyMem_Free(result);
                PyErr_SetString(PyExc_ValueError, "Unsupported HPyMeth signature");
                return NULL;
            }
            if (meth->name == NULL) {
                PyMem_Free(result);
                PyErr_SetString(PyExc_SystemError, "HPyDef of kind Meth has a NULL name");
                return NULL;
            }
            result[i].ml_name = meth->name;
            result[i].ml_meth = (PyCFunction)(void (*)(void))meth->cpy_trampoline;
            result[i].ml_flags = flags;
            result[i].ml_doc = meth->doc;
            i++;
        }
    }
    if (legacy_methods != NULL)
        for (PyMethodDef *m = legacy_methods; m->ml_name != NULL; m++)
            result[i++] = *m;
    return result;
}

HPyAPI_IMPL int _HPyModuleDef_InitPyModuleDef(PyModuleDef *def, HPyModuleDef *hpydef,
                                             _HPyModuleCreate default_create)
{
    int n_create = 0, n_exec = 0, n_other = 0;
    if (hpydef->size < 0) {
        PyErr_SetString(PyExc_SystemError, "HPy does not permit HPyModuleDef.size < 0");
        return -1;
    }
    if (hpydef->size > 0) {
        PyErr_SetString(PyExc_SystemError,
                        "Module state is not supported yet in HPy, set HPyModuleDef.size = 0 "
                        "if module state is not needed");
        return -1;
    }
    if (hpydef->defines != NULL) {
        for (HPyDef **d = hpydef->defines; *d != NULL; d++) {
            switch ((*d)->kind) {
            case HPyDef_Kind_Slot:
                if ((*d)->slot.slot == HPy_mod_create) {
                    if (++n_create > 1) {
                        PyErr_SetString(PyExc_SystemError,
                                        "Multiple definitions of the HPy_mod_create slot in "
                                        "HPyModuleDef.defines.");
                        return -1;
                    }
                }
                else if ((*d)->slot.slot == HPy_mod_exec) {
                    n_exec++;
                }
                else {
                    PyErr_Format(PyExc_SystemError,
                                 "Unsupported slot in HPyModuleDef.defines (value: %d).",
                                 (int)(*d)->slot.slot);
                    return -1;
                }
                break;
            case HPyDef_Kind_Meth:
            case HPyDef_Kind_Member:
            case HPyDef_Kind_GetSet:
                n_other++;
                break;
            default:
                PyErr_Format(PyExc_SystemError, "HPyDef has an unknown kind (value: %d).",
                             (int)(*d)->kind);
                return -1;
            }
        }
    }
    if (n_create) {
        if (n_exec || n_other) {
            PyErr_SetString(PyExc_SystemError,
                            "HPyModuleDef defines a HPy_mod_create slot and some other slots or "
                            "methods. " CREATE_TAIL);
            return -1;
        }
        if (hpydef->legacy_methods != NULL || hpydef->doc != NULL || hpydef->globals != NULL) {
            PyErr_SetString(PyExc_SystemError,
                            "HPyModuleDef defines a HPy_mod_create slot and some of the other "
                            "fields are not set to their default value. " CREATE_TAIL);
            return -1;
        }
    }

    int use_default = default_create != NULL && n_create == 0;
    PyModuleDef_Slot *slots = (PyModuleDef_Slot *)PyMem_Calloc(
        (size_t)(use_default + n_create + n_exec + 1), sizeof(PyModuleDef_Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyMethodDef *methods = create_method_defs(hpydef->defines,
                                              (PyMethodDef *)hpydef->legacy_methods);
    if (methods == NULL) {
        PyMem_Free(slots);
        return -1;
    }
    int i = 0;
    if (use_default) {
        slots[i].slot = Py_mod_create;
        slots[i].value = (void *)default_create;
        i++;
    }
    if (hpydef->defines != NULL) {
        for (HPyDef **d = hpydef->defines; *d != NULL; d++) {
            if ((*d)->kind != HPyDef_Kind_Slot)
                continue;
            slots[i].slot = (*d)->slot.slot == HPy_mod_create ? Py_mod_create : Py_mod_exec;
            slots[i].value = (void *)(*d)->slot.cpy_trampoline;
            i++;
        }
    }
    if (remember_origin(def, hpydef) < 0) {
        PyMem_Free(methods);
        PyMem_Free(slots);
        return -1;
    }
    PyModuleDef_Base base = PyModuleDef_HEAD_INIT;
    def->m_base = base;
    def->m_name = "hpy_module";
    def->m_doc = hpydef->doc;
    def->m_size = 0;
    def->m_methods = methods;
    def->m_slots = slots;
    return 0;
}

HPyAPI_IMPL void _HPyModuleDef_ClearPyModuleDef(PyModuleDef *def)
{
    forget_origin(def);
    PyMem_Free(def->m_methods);
    PyMem_Free(def->m_slots);
    def->m_methods = NULL;
    def->m_slots = NULL;
}

HPyAPI_IMPL PyModuleDef *_HPyModuleDef_CreatePyModuleDef(HPyModuleDef *hpydef)
{
    PyModuleDef *def = (PyModuleDef *)PyMem_Calloc(1, sizeof(PyModuleDef));
    if (def == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (_HPyModuleDef_InitPyModuleDef(def, hpydef, NULL) < 0) {
        PyMem_Free(def);
        return NULL;
    }
    return def;
}

HPyAPI_IMPL PyObject *_HPyModule_CheckCreateSlotResult(PyObject *result)
{
    if (result != NULL && PyModule_Check(result)) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_SystemError,
                        "HPy_mod_create slot returned a builtin module object. This is currently "
                        "not supported.");
        return NULL;
    }
    return result;
}
