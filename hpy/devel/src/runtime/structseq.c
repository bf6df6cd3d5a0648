/* Struct sequences: tuple subclasses whose items are also reachable by field name
 * (api.md 6.4.5).
 *
 * This is the one helper whose contract depends on the ABI:
 *  - CPython ABI: a real CPython struct sequence (PyStructSequence_NewType, every field part of
 *    the sequence), instances made with PyStructSequence_New;
 *  - universal/hybrid: collections.namedtuple(tmpname, fields, rename=True,
 *    defaults=(None,)*n) whose __doc__, n_fields, __name__, __qualname__ and __module__ are then
 *    set from the descriptor; names namedtuple rejects (e.g. the unnamed marker "_") are renamed
 *    by namedtuple to "_<index>". Instances are made by calling the type.
 * desc->name is "module.TypeName" (the module part is optional) and must not be NULL; the
 * field list ends with an entry whose name is NULL (a NULL list means no fields).
 */
#include "hpy.h"

#include <string.h>

const char * const HPyStructSequence_UnnamedField = "_";

static HPy_ssize_t count_fields(const HPyStructSequence_Desc *desc)
{
    HPy_ssize_t n = 0;
    if (desc->fields != NULL)
        while (desc->fields[n].name != NULL)
            n++;
    return n;
}

static HPy missing_name(HPyContext *ctx)
{
    return HPyErr_SetString(ctx, ctx->h_SystemError,
                            "Struct sequence descriptor does not define the name field.");
}

#ifdef HPY_ABI_CPYTHON

HPyAPI_HELPER HPy HPyStructSequence_NewType(HPyContext *ctx, HPyStructSequence_Desc *desc)
{
    PyStructSequence_Desc d;
    PyStructSequence_Field *fields;
    PyTypeObject *type;
    HPy_ssize_t n, i;

    if (desc->name == NULL)
        return missing_name(ctx);
    n = count_fields(desc);
    fields = (PyStructSequence_Field *)malloc((size_t)(n + 1) * sizeof(PyStructSequence_Field));
    if (fields == NULL)
        return HPyErr_NoMemory(ctx);
    for (i = 0; i < n; i++) {
        fields[i].name = desc->fields[i].name;
        fields[i].doc = desc->fields[i].doc;
    }
    fields[n].name = NULL;
    fields[n].doc = NULL;
    d.name = desc->name;
    d.doc = desc->doc;
    d.fields = fields;
    d.n_in_sequence = (int)n;
    /* CPython copies what it keeps from the field array (not the strings themselves). */
    type = PyStructSequence_NewType(&d);
    free(fields);
    return _py2h((PyObject *)type);
}

HPyAPI_HELPER HPy HPyStructSequence_New(HPyContext *ctx, HPy type, HPy_ssize_t nargs, HPy *args)
{
    PyObject *tp = _h2py(type), *n_fields = NULL, *result;
    HPy_ssize_t n, i;
    (void)ctx;

    /* PyStructSequence_New reads these two from the type's own dict. */
    if (PyType_Check(tp) && PyType_IsSubtype((PyTypeObject *)tp, &PyTuple_Type) &&
            ((PyTypeObject *)tp)->tp_dict != NULL &&
            PyDict_GetItemString(((PyTypeObject *)tp)->tp_dict, "n_sequence_fields") != NULL)
        n_fields = PyDict_GetItemString(((PyTypeObject *)tp)->tp_dict, "n_fields");
    if (n_fields == NULL || !PyLong_Check(n_fields)) {
        PyErr_Format(PyExc_TypeError, "type '%s' does not look like a struct sequence type",
                     PyType_Check(tp) ? ((PyTypeObject *)tp)->tp_name : Py_TYPE(tp)->tp_name);
        return HPy_NULL;
    }
    n = PyLong_AsSsize_t(n_fields);
    if (n < 0 && PyErr_Occurred())
        return HPy_NULL;
    if (nargs != n) {
        PyErr_Format(PyExc_TypeError, "expected exactly %zd arguments but got %zd", n, nargs);
        return HPy_NULL;
    }
    result = PyStructSequence_New((PyTypeObject *)tp);
    if (result == NULL)
        return HPy_NULL;
    for (i = 0; i < n; i++) {
        PyObject *item = _h2py(args[i]);
        Py_INCREF(item);
        PyStructSequence_SetItem(result, i, item);     /* steals the new reference */
    }
    return _py2h(result);
}

#else /* universal and hybrid ABIs */

/* Set attribute `name` of `obj` to `value` (owned; closed here). */
static int set_owned_attr(HPyContext *ctx, HPy obj, const char *name, HPy value)
{
    int res;
    if (HPy_IsNull(value))
        return -1;
    res = HPy_SetAttr_s(ctx, obj, name, value);
    HPy_Close(ctx, value);
    return res;
}

/* Call collections.namedtuple("tmpname", [field names], rename=True, defaults=(None,)*n). */
static HPy make_namedtuple(HPyContext *ctx, const HPyStructSequence_Desc *desc, HPy_ssize_t n)
{
    HPy collections, namedtuple = HPy_NULL, names = HPy_NULL, defaults = HPy_NULL;
    HPy tmpname = HPy_NULL, args = HPy_NULL, kw = HPy_NULL, result = HPy_NULL;
    HPyTupleBuilder tb;
    HPy_ssize_t i;

    collections = HPyImport_ImportModule(ctx, "collections");
    if (HPy_IsNull(collections))
        return HPy_NULL;
    namedtuple = HPy_GetAttr_s(ctx, collections, "namedtuple");
    if (HPy_IsNull(namedtuple))
        goto done;
    names = HPyList_New(ctx, 0);
    if (HPy_IsNull(names))
        goto done;
    for (i = 0; i < n; i++) {
        HPy s = HPyUnicode_FromString(ctx, desc->fields[i].name);
        int res;
        if (HPy_IsNull(s))
            goto done;
        res = HPyList_Append(ctx, names, s);
        HPy_Close(ctx, s);
        if (res < 0)
            goto done;
    }
    tb = HPyTupleBuilder_New(ctx, n);
    for (i = 0; i < n; i++)
        HPyTupleBuilder_Set(ctx, tb, i, ctx->h_None);
    defaults = HPyTupleBuilder_Build(ctx, tb);
    if (HPy_IsNull(defaults))
        goto done;
    tmpname = HPyUnicode_FromString(ctx, "tmpname");
    if (HPy_IsNull(tmpname))
        goto done;
    args = HPyTuple_Pack(ctx, 2, tmpname, names);
    kw = HPyDict_New(ctx);
    if (HPy_IsNull(args) || HPy_IsNull(kw) ||
            HPy_SetItem_s(ctx, kw, "rename", ctx->h_True) < 0 ||
            HPy_SetItem_s(ctx, kw, "defaults", defaults) < 0)
        goto done;
    result = HPy_CallTupleDict(ctx, namedtuple, args, kw);
done:
    HPy_Close(ctx, kw);
    HPy_Close(ctx, args);
    HPy_Close(ctx, tmpname);
    HPy_Close(ctx, defaults);
    HPy_Close(ctx, names);
    HPy_Close(ctx, namedtuple);
    HPy_Close(ctx, collections);
    return result;
}

HPyAPI_HELPER HPy HPyStructSequence_NewType(HPyContext *ctx, HPyStructSequence_Desc *desc)
{
    HPy type;
    HPy_ssize_t n;
    const char *dot, *short_name;

    if (desc->name == NULL)
        return missing_name(ctx);
    n = count_fields(desc);
    type = make_namedtuple(ctx, desc, n);
    if (HPy_IsNull(type))
        return HPy_NULL;

    dot = strrchr(desc->name, '.');
    short_name = dot != NULL ? dot + 1 : desc->name;
    if (set_owned_attr(ctx, type, "__doc__", desc->doc != NULL
                           ? HPyUnicode_FromString(ctx, desc->doc)
                           : HPy_Dup(ctx, ctx->h_None)) < 0 ||
            set_owned_attr(ctx, type, "n_fields", HPyLong_FromSsize_t(ctx, n)) < 0 ||
            set_owned_attr(ctx, type, "__name__", HPyUnicode_FromString(ctx, short_name)) < 0 ||
            set_owned_attr(ctx, type, "__qualname__", HPyUnicode_FromString(ctx, short_name)) < 0)
        goto fail;
    if (dot != NULL) {
        /* the module part is the prefix of the UTF-8 name: decode exactly those bytes */
        size_t len = (size_t)(dot - desc->name);
        HPy full = HPyBytes_FromStringAndSize(ctx, desc->name, (HPy_ssize_t)len);
        HPy module = HPy_NULL;
        if (!HPy_IsNull(full)) {
            module = HPyUnicode_FromEncodedObject(ctx, full, "utf-8", "strict");
            HPy_Close(ctx, full);
        }
        if (set_owned_attr(ctx, type, "__module__", module) < 0)
            goto fail;
    }
    return type;
fail:
    HPy_Close(ctx, type);
    return HPy_NULL;
}

HPyAPI_HELPER HPy HPyStructSequence_New(HPyContext *ctx, HPy type, HPy_ssize_t nargs, HPy *args)
{
    int has = HPy_HasAttr_s(ctx, type, "n_fields");
    if (has <= 0) {
        if (has < 0)
            HPyErr_Clear(ctx);
        return HPyErr_Format(ctx, ctx->h_TypeError,
                             "object '%R' does not look like a struct sequence type ", type);
    }
    return HPy_Call(ctx, type, args, (size_t)(nargs < 0 ? 0 : nargs), HPy_NULL);
}

#endif /* HPY_ABI_CPYTHON */
