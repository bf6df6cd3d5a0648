/* hpy_bench: the HPy side of the microbenchmarks. One source, built for every HPy ABI
 * (CPython ABI: hpy_bench.<EXT_SUFFIX>; universal: hpy_bench.hpy0.so; hybrid: hpy_bench.hpy0-*.so).
 *
 * Every function here has a twin of the same name in capi_bench.c doing the same work: the same
 * argument checks, the direct HPy counterpart of each C-API call, the same reference count
 * traffic (an HPy_Dup where the C API does Py_INCREF on a borrowed argument). */
#include "hpy.h"

/* call noargs: f() -> None */
HPyDef_METH(noargs, "noargs", HPyFunc_NOARGS, .doc = "f() -> None")
static HPy noargs_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPy_Dup(ctx, ctx->h_None);
}

/* call one-arg: f(x) -> x */
HPyDef_METH(onearg, "onearg", HPyFunc_O, .doc = "f(x) -> x")
static HPy onearg_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPy_Dup(ctx, arg);
}

/* call varargs: f(a, b) -> a */
HPyDef_METH(varargs, "varargs", HPyFunc_VARARGS, .doc = "f(a, b) -> a")
static HPy varargs_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "varargs() takes exactly 2 arguments");
    return HPy_Dup(ctx, args[0]);
}

/* call with keywords: f(a, b=x) -> the first keyword value, or a when there is none */
HPyDef_METH(keywords, "keywords", HPyFunc_KEYWORDS, .doc = "f(a, b=x) -> x")
static HPy keywords_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    (void)self;
    if (nargs < 1)
        return HPyErr_SetString(ctx, ctx->h_TypeError,
                                "keywords() takes at least 1 positional argument");
    return HPy_Dup(ctx, !HPy_IsNull(kwnames) ? args[nargs] : args[0]);
}

/* call with tuple: f(callable, tuple) -> callable(*tuple) */
HPyDef_METH(call_tuple, "call_tuple", HPyFunc_VARARGS, .doc = "f(c, t) -> c(*t)")
static HPy call_tuple_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "call_tuple() takes exactly 2 arguments");
    return HPy_CallTupleDict(ctx, args[0], args[1], HPy_NULL);
}

/* call with tuple+dict: f(callable, tuple, dict) -> callable(*tuple, **dict) */
HPyDef_METH(call_tuple_dict, "call_tuple_dict", HPyFunc_VARARGS, .doc = "f(c, t, d) -> c(*t, **d)")
static HPy call_tuple_dict_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 3)
        return HPyErr_SetString(ctx, ctx->h_TypeError,
                                "call_tuple_dict() takes exactly 3 arguments");
    return HPy_CallTupleDict(ctx, args[0], args[1], args[2]);
}

/* allocate int: f() -> a new int object (outside the small-int cache) */
HPyDef_METH(alloc_int, "alloc_int", HPyFunc_NOARGS, .doc = "f() -> 123456789")
static HPy alloc_int_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyLong_FromLong(ctx, 123456789L);
}

/* allocate tuple: f(a, b) -> (a, b), with HPyTuple_Pack */
HPyDef_METH(alloc_tuple, "alloc_tuple", HPyFunc_VARARGS, .doc = "f(a, b) -> (a, b)")
static HPy alloc_tuple_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "alloc_tuple() takes exactly 2 arguments");
    return HPyTuple_Pack(ctx, 2, args[0], args[1]);
}

/* allocate tuple (builder): f(a, b) -> (a, b), built item by item */
HPyDef_METH(alloc_tuple_builder, "alloc_tuple_builder", HPyFunc_VARARGS, .doc = "f(a, b) -> (a, b)")
static HPy alloc_tuple_builder_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError,
                                "alloc_tuple_builder() takes exactly 2 arguments");
    HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, 2);
    HPyTupleBuilder_Set(ctx, tb, 0, args[0]);
    HPyTupleBuilder_Set(ctx, tb, 1, args[1]);
    return HPyTupleBuilder_Build(ctx, tb);
}

/* len: f(x) -> len(x) */
HPyDef_METH(length, "length", HPyFunc_O, .doc = "f(x) -> len(x)")
static HPy length_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    HPy_ssize_t n = HPy_Length(ctx, arg);
    if (n < 0)
        return HPy_NULL;
    return HPyLong_FromSsize_t(ctx, n);
}

/* getitem with a C index: f(seq) -> seq[1] */
HPyDef_METH(getitem_i, "getitem_i", HPyFunc_O, .doc = "f(seq) -> seq[1]")
static HPy getitem_i_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPy_GetItem_i(ctx, arg, 1);
}

/* getitem with a key object: f(obj, key) -> obj[key] */
HPyDef_METH(getitem, "getitem", HPyFunc_VARARGS, .doc = "f(obj, key) -> obj[key]")
static HPy getitem_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "getitem() takes exactly 2 arguments");
    return HPy_GetItem(ctx, args[0], args[1]);
}

/* attribute lookup by C string: f(obj) -> obj.attr */
HPyDef_METH(getattr_s, "getattr_s", HPyFunc_O, .doc = "f(obj) -> obj.attr")
static HPy getattr_s_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPy_GetAttr_s(ctx, arg, "attr");
}

/* attribute lookup by (interned) name object: f(obj, name) -> getattr(obj, name) */
HPyDef_METH(getattr_o, "getattr_o", HPyFunc_VARARGS, .doc = "f(obj, name) -> getattr(obj, name)")
static HPy getattr_o_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "getattr_o() takes exactly 2 arguments");
    return HPy_GetAttr(ctx, args[0], args[1]);
}

/* ABI of this module, for the report */
HPyDef_METH(abi, "abi", HPyFunc_NOARGS, .doc = "the HPy ABI this binary was built for")
static HPy abi_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, HPY_ABI);
}

/* A type: two doubles and an object reference (Point in capi_bench.c). */
typedef struct {
    double x, y;
    HPyField obj;
} PointObject;
HPyType_HELPERS(PointObject)

HPyDef_SLOT(Point_new, HPy_tp_new)
static HPy Point_new_impl(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    double x, y;
    PointObject *p;
    (void)kw;
    if (!HPyArg_Parse(ctx, NULL, args, (size_t)nargs, "dd", &x, &y))
        return HPy_NULL;
    HPy h = HPy_New(ctx, type, &p);
    if (HPy_IsNull(h))
        return HPy_NULL;
    p->x = x;
    p->y = y;
    return h;
}

HPyDef_SLOT(Point_traverse, HPy_tp_traverse)
static int Point_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((PointObject *)self)->obj);
    return 0;
}

HPyDef_METH(Point_norm2, "norm2", HPyFunc_NOARGS)
static HPy Point_norm2_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return HPyFloat_FromDouble(ctx, p->x * p->x + p->y * p->y);
}

HPyDef_SLOT(Point_len, HPy_sq_length)
static HPy_ssize_t Point_len_impl(HPyContext *ctx, HPy self)
{
    (void)ctx;
    (void)self;
    return 2;
}

HPyDef_SLOT(Point_item, HPy_sq_item)
static HPy Point_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    if (i == 0)
        return HPyFloat_FromDouble(ctx, p->x);
    if (i == 1)
        return HPyFloat_FromDouble(ctx, p->y);
    return HPyErr_SetString(ctx, ctx->h_IndexError, "Point index out of range");
}

/* store arg, return what was stored before (None at first) */
HPyDef_METH(Point_swap_obj, "swap_obj", HPyFunc_O)
static HPy Point_swap_obj_impl(HPyContext *ctx, HPy self, HPy arg)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    HPy old = HPyField_IsNull(p->obj) ? HPy_Dup(ctx, ctx->h_None) : HPyField_Load(ctx, self, p->obj);
    HPyField_Store(ctx, self, &p->obj, arg);
    return old;
}

static HPyDef *Point_defines[] = {
    &Point_new, &Point_traverse, &Point_norm2, &Point_len, &Point_item, &Point_swap_obj, NULL
};

static HPyType_Spec Point_spec = {
    .name = "hpy_bench.Point",
    .basicsize = sizeof(PointObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .builtin_shape = SHAPE(PointObject),
    .defines = Point_defines,
};

HPyDef_SLOT(add_types, HPy_mod_exec)
static int add_types_impl(HPyContext *ctx, HPy m)
{
    return HPyHelpers_AddType(ctx, m, "Point", &Point_spec, NULL) ? 0 : -1;
}

static HPyDef *module_defines[] = {
    &add_types,
    &noargs,
    &onearg,
    &varargs,
    &keywords,
    &call_tuple,
    &call_tuple_dict,
    &alloc_int,
    &alloc_tuple,
    &alloc_tuple_builder,
    &length,
    &getitem_i,
    &getitem,
    &getattr_s,
    &getattr_o,
    &abi,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "HPy microbenchmarks: the HPy side",
    .defines = module_defines,
};

HPy_MODINIT(hpy_bench, moduledef)
