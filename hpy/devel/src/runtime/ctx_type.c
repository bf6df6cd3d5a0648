/* Types, instances, fields and globals.
 * Object layouts of HPy types (HPyType_FromSpec, HPy_New, _HPy_AsStruct_*) come with the type
 * system; until then those members report SystemError naming themselves. */
#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"
#include "hpy/runtime/ctx_type.h"

#define NOT_YET(api_name) \
    PyErr_SetString(PyExc_SystemError, api_name " is not implemented yet")

HPyAPI_IMPL HPy ctx_Type_FromSpec(HPyContext *ctx, HPyType_Spec *spec, HPyType_SpecParam *params)
{
    (void)ctx; (void)spec; (void)params;
    NOT_YET("HPyType_FromSpec");
    return HPy_NULL;
}

HPyAPI_IMPL HPy ctx_New(HPyContext *ctx, HPy h_type, void **data)
{
    (void)ctx; (void)h_type;
    *data = NULL;
    NOT_YET("_HPy_New");
    return HPy_NULL;
}

#define AS_STRUCT_NOT_YET(SHAPE) \
    HPyAPI_IMPL void *ctx_AsStruct_##SHAPE(HPyContext *ctx, HPy h) \
    { \
        (void)ctx; (void)h; \
        NOT_YET("_HPy_AsStruct_" #SHAPE); \
        return NULL; \
    }

AS_STRUCT_NOT_YET(Object)
AS_STRUCT_NOT_YET(Type)
AS_STRUCT_NOT_YET(Long)
AS_STRUCT_NOT_YET(Float)
AS_STRUCT_NOT_YET(Unicode)
AS_STRUCT_NOT_YET(Tuple)
AS_STRUCT_NOT_YET(List)
AS_STRUCT_NOT_YET(Dict)

HPyAPI_IMPL int ctx_SetCallFunction(HPyContext *ctx, HPy h, HPyCallFunction *func)
{
    (void)ctx; (void)func;
    PyErr_Format(PyExc_TypeError, "type '%.50s does not implement the HPy call protocol",
                 Py_TYPE(_h2py(h))->tp_name);
    return -1;
}

HPyAPI_IMPL HPyType_BuiltinShape ctx_Type_GetBuiltinShape(HPyContext *ctx, HPy h_type)
{
    (void)ctx;
    if (!PyType_Check(_h2py(h_type))) {
        PyErr_SetString(PyExc_TypeError, "arg must be a type");
        return (HPyType_BuiltinShape)-2;
    }
    return HPyType_BuiltinShape_Legacy;
}

HPyAPI_IMPL int call_traverseproc_from_trampoline(HPyFunc_traverseproc tp_traverse, PyObject *self,
                                                  visitproc cpy_visit, void *cpy_arg)
{
    (void)tp_traverse; (void)self; (void)cpy_visit; (void)cpy_arg;
    return 0;
}

HPyAPI_IMPL HPy ctx_Type_GenericNew(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs,
                                    HPy kw)
{
    (void)ctx; (void)args; (void)nargs; (void)kw;
    PyObject *t = _h2py(type);
    if (!PyType_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "HPy_Type_GenericNew arg 1 must be a type");
        return HPy_NULL;
    }
    return _py2h(((PyTypeObject *)t)->tp_alloc((PyTypeObject *)t, 0));
}

/* __name__ of the type as UTF-8, valid as long as the type lives. */
HPyAPI_IMPL const char *ctx_Type_GetName(HPyContext *ctx, HPy type)
{
    (void)ctx;
    PyTypeObject *t = (PyTypeObject *)_h2py(type);
    if (t->tp_flags & Py_TPFLAGS_HEAPTYPE)
        return PyUnicode_AsUTF8(((PyHeapTypeObject *)t)->ht_name);
    const char *dot = strrchr(t->tp_name, '.');
    return dot ? dot + 1 : t->tp_name;
}

/* Store a new reference in the field and release the previous one. */
HPyAPI_IMPL void ctx_Field_Store(HPyContext *ctx, HPy target_object, HPyField *target_field, HPy h)
{
    (void)ctx; (void)target_object;
    PyObject *old = _hf2py(*target_field);
    PyObject *obj = _h2py(h);
    Py_XINCREF(obj);
    target_field->_i = (intptr_t)obj;
    Py_XDECREF(old);
}

HPyAPI_IMPL void ctx_Global_Store(HPyContext *ctx, HPyGlobal *global, HPy h)
{
    (void)ctx;
    PyObject *old = _hg2py(*global);
    PyObject *obj = _h2py(h);
    Py_XINCREF(obj);
    global->_i = (intptr_t)obj;
    Py_XDECREF(old);
}
