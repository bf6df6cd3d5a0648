/* The defining module of a type (PEP 573), for the CPython ABI and the universal runtime alike.
 *
 * Contract: a type created by HPyType_FromSpec with an HPyType_SpecParam_Module param keeps a
 * reference to that module (CPython's ht_module, which the type's GC traversal visits).
 * HPyType_GetModuleByDef(type, def) walks type's MRO (type first) and returns a new reference to
 * the module of the first class that has one and, when def is not NULL, whose module was made
 * from def (by this copy of ctx_module.c: in the universal runtime, every universal or hybrid
 * module; in the CPython ABI, the extension's own). So a method or slot of a type reaches its
 * module from any instance, of the type itself, of a Python subclass, or of a subtype defined in
 * another module (when it names its own module definition). No such class: TypeError.
 * Built on ctx_module.c (which definition a module was made from). */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"
#include "hpy/runtime/ctx_module.h"

HPyAPI_IMPL HPy ctx_Type_GetModuleByDef(HPyContext *ctx, HPy h_type, HPyModuleDef *def)
{
    (void)ctx;
    const char *api = def != NULL ? "HPyType_GetModuleByDef" : "HPyType_GetModule";
    PyObject *t = _h2py(h_type);
    if (t == NULL || !PyType_Check(t)) {
        PyErr_Format(PyExc_TypeError, "%s: the argument must be a type, not '%.100s'", api,
                     t != NULL ? Py_TYPE(t)->tp_name : "NULL");
        return HPy_NULL;
    }
    PyTypeObject *type = (PyTypeObject *)t;
    PyObject *mro = type->tp_mro;
    Py_ssize_t n = mro != NULL ? PyTuple_GET_SIZE(mro) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTypeObject *c = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (!(c->tp_flags & Py_TPFLAGS_HEAPTYPE))
            continue;
        PyObject *module = ((PyHeapTypeObject *)c)->ht_module;
        if (module == NULL)
            continue;
        if (def == NULL || (PyModule_Check(module) && _HPyModule_GetHPyDef(module) == def)) {
            Py_INCREF(module);
            return _py2h(module);
        }
    }
    if (def == NULL)
        PyErr_Format(PyExc_TypeError,
                     "%s: type '%.100s' has no module: neither it nor a base was created with "
                     "HPyType_SpecParam_Module", api, type->tp_name);
    else
        PyErr_Format(PyExc_TypeError,
                     "%s: neither type '%.100s' nor a base was created with "
                     "HPyType_SpecParam_Module for a module of the given HPyModuleDef", api,
                     type->tp_name);
    return HPy_NULL;
}
