/* Layouts of HPy types, for the CPython ABI and the universal runtime alike: where the module's C
 * struct starts in an instance of each builtin shape, and which bases a spec's shape, struct and
 * items are compatible with.
 *
 * Contract: an instance of an HPy type of shape S starts with the object of S's builtin type
 * (object, type, int, float, str, tuple, list, dict); the module's struct starts at
 * hpy__shape_offset(S), the size of that object rounded up to HPY_MAX_ALIGN (HPY_OFFSET_<S> in
 * hpy/runtime/ctx_funcs.h); a Legacy-shape type's struct is the whole object. An Object-shape type with items has a
 * PyVarObject header (HPY_OFFSET_VarObject), its struct, then its items. A struct may extend the
 * struct of an HPy base of the same shape, and nothing else: the checks below refuse, with a
 * TypeError naming the type and the base, a base whose data would overlap the struct or the items.
 * Built on the registry (ctx_type_registry.c) only. */
#include "ctx_type_internal.h"

HPyAPI_IMPL Py_ssize_t hpy__shape_offset(HPyType_BuiltinShape shape)
{
    switch (shape) {
    case HPyType_BuiltinShape_Legacy: return 0;
    case HPyType_BuiltinShape_Object: return HPY_OFFSET_Object;
    case HPyType_BuiltinShape_Type: return HPY_OFFSET_Type;
    case HPyType_BuiltinShape_Long: return HPY_OFFSET_Long;
    case HPyType_BuiltinShape_Float: return HPY_OFFSET_Float;
    case HPyType_BuiltinShape_Unicode: return HPY_OFFSET_Unicode;
    case HPyType_BuiltinShape_Tuple: return HPY_OFFSET_Tuple;
    case HPyType_BuiltinShape_List: return HPY_OFFSET_List;
    case HPyType_BuiltinShape_Dict: return HPY_OFFSET_Dict;
    }
    return -1;
}

HPyAPI_IMPL PyTypeObject *hpy__shape_builtin(HPyType_BuiltinShape shape)
{
    switch (shape) {
    case HPyType_BuiltinShape_Object: return &PyBaseObject_Type;
    case HPyType_BuiltinShape_Type: return &PyType_Type;
    case HPyType_BuiltinShape_Long: return &PyLong_Type;
    case HPyType_BuiltinShape_Float: return &PyFloat_Type;
    case HPyType_BuiltinShape_Unicode: return &PyUnicode_Type;
    case HPyType_BuiltinShape_Tuple: return &PyTuple_Type;
    case HPyType_BuiltinShape_List: return &PyList_Type;
    case HPyType_BuiltinShape_Dict: return &PyDict_Type;
    default: return NULL;
    }
}

HPyAPI_IMPL const char *hpy__shape_name(HPyType_BuiltinShape shape)
{
    switch (shape) {
    case HPyType_BuiltinShape_Legacy: return "HPyType_BuiltinShape_Legacy";
    case HPyType_BuiltinShape_Object: return "HPyType_BuiltinShape_Object";
    case HPyType_BuiltinShape_Type: return "HPyType_BuiltinShape_Type";
    case HPyType_BuiltinShape_Long: return "HPyType_BuiltinShape_Long";
    case HPyType_BuiltinShape_Float: return "HPyType_BuiltinShape_Float";
    case HPyType_BuiltinShape_Unicode: return "HPyType_BuiltinShape_Unicode";
    case HPyType_BuiltinShape_Tuple: return "HPyType_BuiltinShape_Tuple";
    case HPyType_BuiltinShape_List: return "HPyType_BuiltinShape_List";
    case HPyType_BuiltinShape_Dict: return "HPyType_BuiltinShape_Dict";
    }
    return "<unknown shape>";
}

HPyAPI_IMPL Py_ssize_t hpy__member_size(int type)
{
    switch (type) {
    case HPyMember_SHORT: return sizeof(short);
    case HPyMember_INT: return sizeof(int);
    case HPyMember_LONG: return sizeof(long);
    case HPyMember_FLOAT: return sizeof(float);
    case HPyMember_DOUBLE: return sizeof(double);
    case HPyMember_STRING: return sizeof(char *);
    case HPyMember_OBJECT: return sizeof(HPyField);
    case HPyMember_CHAR: return sizeof(char);
    case HPyMember_BYTE: return sizeof(signed char);
    case HPyMember_UBYTE: return sizeof(unsigned char);
    case HPyMember_USHORT: return sizeof(unsigned short);
    case HPyMember_UINT: return sizeof(unsigned int);
    case HPyMember_ULONG: return sizeof(unsigned long);
    case HPyMember_STRING_INPLACE: return 1;
    case HPyMember_BOOL: return sizeof(char);
    case HPyMember_OBJECT_EX: return sizeof(HPyField);
    case HPyMember_LONGLONG: return sizeof(long long);
    case HPyMember_ULONGLONG: return sizeof(unsigned long long);
    case HPyMember_HPYSSIZET: return sizeof(HPy_ssize_t);
    case HPyMember_NONE: return 0;
    default: return -1;
    }
}

/* A type of the chain of b, from b up: the first one that is an HPy type or a static type. */
static PyTypeObject *layout_root(PyTypeObject *b, HPyTypeInfo **info)
{
    *info = NULL;
    for (; b != NULL; b = b->tp_base) {
        if (!(b->tp_flags & Py_TPFLAGS_HEAPTYPE))
            return b;
        *info = hpy__type_info(b);
        if (*info != NULL)
            return b;
    }
    return NULL;
}

/* See the error messages. */
HPyAPI_IMPL int hpy__check_shape_against_base(const char *name, HPyType_BuiltinShape shape,
                                              int has_struct, PyTypeObject *b)
{
    PyTypeObject *builtin = hpy__shape_builtin(shape);
    if (!PyType_IsSubtype(b, builtin)) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has builtin shape %s, so its bases must be subclasses of '%s', "
                     "but base '%s' is not",
                     name, hpy__shape_name(shape), builtin->tp_name, b->tp_name);
        return -1;
    }
    HPyTypeInfo *info;
    PyTypeObject *root = layout_root(b, &info);
    if (info != NULL && info->shape != shape &&
        (info->shape != HPyType_BuiltinShape_Legacy || has_struct)) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has builtin shape %s, which conflicts with the shape %s of its "
                     "base '%s'",
                     name, hpy__shape_name(shape), hpy__shape_name(info->shape), root->tp_name);
        return -1;
    }
    if (!has_struct)
        return 0;
    /* the struct goes right after the builtin layout: nothing else may be there */
    int same_layout = root != NULL && b->tp_basicsize == root->tp_basicsize &&
                      (info != NULL || (root->tp_basicsize == builtin->tp_basicsize &&
                                        root->tp_itemsize == builtin->tp_itemsize));
    if (!same_layout) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has builtin shape %s, but base '%s' does not have the memory "
                     "layout of '%s': the type's struct would overlap the base's data",
                     name, hpy__shape_name(shape), b->tp_name, builtin->tp_name);
        return -1;
    }
    return 0;
}

/* The items of an Object-shape type against one base (see the error messages): the item count
 * goes right after the object header and the items right after the struct, so neither may fall
 * on data a base has there. */
HPyAPI_IMPL int hpy__check_items_against_base(const char *name, HPyType_Spec *spec,
                                              PyTypeObject *b)
{
    if (b->tp_itemsize == 0) {
        if (spec->itemsize != 0 && b->tp_basicsize > PyBaseObject_Type.tp_basicsize) {
            PyErr_Format(PyExc_TypeError,
                         "type '%s' has .itemsize %d, but its base '%s' has instances of a fixed "
                         "size with data after the object header, where the item count of a "
                         "variable-size object goes",
                         name, spec->itemsize, b->tp_name);
            return -1;
        }
        return 0;
    }
    if (spec->itemsize != 0 && spec->itemsize != b->tp_itemsize) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has .itemsize %d, but the items of its base '%s' have %zd bytes",
                     name, spec->itemsize, b->tp_name, b->tp_itemsize);
        return -1;
    }
    if (spec->basicsize > 0 && HPY_OFFSET_VarObject + spec->basicsize > b->tp_basicsize) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' cannot extend the struct of its base '%s', whose instances vary "
                     "in size: their items follow the base's struct",
                     name, b->tp_name);
        return -1;
    }
    return 0;
}

HPyAPI_IMPL HPyType_BuiltinShape ctx_Type_GetBuiltinShape(HPyContext *ctx, HPy h_type)
{
    (void)ctx;
    PyObject *t = _h2py(h_type);
    if (!PyType_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "arg must be a type");
        return (HPyType_BuiltinShape)-2;
    }
    /* a class deriving from an HPy type has its layout, so its shape */
    HPyTypeInfo *info = hpy__nearest_info((PyTypeObject *)t);
    return info != NULL ? info->shape : HPyType_BuiltinShape_Legacy;
}
