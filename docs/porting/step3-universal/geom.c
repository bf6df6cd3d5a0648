/* geom, step 3 of docs/porting.md: no C API left. The same source builds in every ABI: cpython
 * (as fast as step 0), universal (one binary for every interpreter), hybrid. */
#include "hpy.h"
#include <math.h>

static HPyGlobal GeometryError;
static HPyGlobal Point_type;

/* ---- the Point type, in HPy ---- */

typedef struct {
    double x, y;                    /* no PyObject_HEAD: HPy owns the object header */
} PointObject;
HPyType_HELPERS(PointObject)

static HPy new_point(HPyContext *ctx, HPy type, double x, double y)
{
    PointObject *p;
    HPy h = HPy_New(ctx, type, &p);
    if (HPy_IsNull(h))
        return HPy_NULL;
    p->x = x;
    p->y = y;
    return h;
}

HPyDef_SLOT(Point_new, HPy_tp_new)
static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    static const char *kwlist[] = {"x", "y", NULL};
    double x = 0.0, y = 0.0;
    if (!HPyArg_ParseKeywordsDict(ctx, NULL, args, nargs, kw, "|dd:Point", kwlist, &x, &y))
        return HPy_NULL;
    return new_point(ctx, cls, x, y);
}

HPyDef_SLOT(Point_repr, HPy_tp_repr)
static HPy Point_repr_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    /* PyOS_double_to_string has no HPy twin: the repr of a float object is the same text */
    HPy x = HPyFloat_FromDouble(ctx, p->x);
    HPy y = HPyFloat_FromDouble(ctx, p->y);
    HPy result = HPy_NULL;
    if (!HPy_IsNull(x) && !HPy_IsNull(y))
        result = HPyUnicode_FromFormat(ctx, "Point(%R, %R)", x, y);
    HPy_Close(ctx, x);
    HPy_Close(ctx, y);
    return result;
}

HPyDef_METH(Point_distance, "distance", HPyFunc_O,
            .doc = "distance(other): the distance to another point")
static HPy Point_distance_impl(HPyContext *ctx, HPy self, HPy other)
{
    HPy type = HPyGlobal_Load(ctx, Point_type);
    int ok = HPy_TypeCheck(ctx, other, type);
    HPy_Close(ctx, type);
    if (!ok)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "distance() needs a Point");
    PointObject *a = PointObject_AsStruct(ctx, self), *b = PointObject_AsStruct(ctx, other);
    return HPyFloat_FromDouble(ctx, hypot(a->x - b->x, a->y - b->y));
}

HPyDef_METH(Point_scaled, "scaled", HPyFunc_O,
            .doc = "scaled(factor): this point times factor")
static HPy Point_scaled_impl(HPyContext *ctx, HPy self, HPy arg)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    double factor = HPyFloat_AsDouble(ctx, arg);
    if (factor == -1.0 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    if (factor == 1.0)
        return HPy_Dup(ctx, self);  /* Py_INCREF(self); return self; */
    HPy type = HPy_Type(ctx, self);
    HPy result = new_point(ctx, type, p->x * factor, p->y * factor);
    HPy_Close(ctx, type);
    return result;
}

HPyDef_MEMBER(Point_x, "x", HPyMember_DOUBLE, offsetof(PointObject, x), .readonly = 1,
              .doc = "the x coordinate")
HPyDef_MEMBER(Point_y, "y", HPyMember_DOUBLE, offsetof(PointObject, y), .readonly = 1,
              .doc = "the y coordinate")

static HPyDef *Point_defines[] = {
    &Point_new, &Point_repr, &Point_distance, &Point_scaled, &Point_x, &Point_y, NULL
};

static HPyType_Spec Point_spec = {
    .name = "geom.Point",
    .doc = "Point(x=0.0, y=0.0): an immutable point in the plane",
    .basicsize = sizeof(PointObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = SHAPE(PointObject),
    .defines = Point_defines,
};

/* ---- the module, in HPy ---- */

HPyDef_METH(centroid, "centroid", HPyFunc_KEYWORDS,
            .doc = "centroid(points, *, weights=None): the (weighted) centre of the points")
static HPy centroid_impl(HPyContext *ctx, HPy module, const HPy *args, size_t nargs,
                         HPy kwnames)
{
    static const char *kwlist[] = {"points", "weights", NULL};
    HPy points, weights = HPy_NULL;
    HPyTracker ht;                      /* 'O' with keywords: the tracker owns the handles */
    HPy type = HPy_NULL, result = HPy_NULL;
    (void)module;
    if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "O|$O:centroid", kwlist,
                              &points, &weights))
        return HPy_NULL;
    if (HPy_Is(ctx, weights, ctx->h_None))
        weights = HPy_NULL;
    HPy_ssize_t n = HPy_Length(ctx, points);
    if (n < 0)
        goto done;
    if (n == 0) {
        HPy err = HPyGlobal_Load(ctx, GeometryError);   /* a new handle: close it */
        HPyErr_SetString(ctx, err, "centroid() of no points");
        HPy_Close(ctx, err);
        goto done;
    }
    if (!HPy_IsNull(weights)) {
        HPy_ssize_t nw = HPy_Length(ctx, weights);
        if (nw < 0)
            goto done;
        if (nw != n) {
            HPy err = HPyGlobal_Load(ctx, GeometryError);
            HPyErr_Format(ctx, err, "%zd weights for %zd points", nw, n);
            HPy_Close(ctx, err);
            goto done;
        }
    }
    type = HPyGlobal_Load(ctx, Point_type);
    double sx = 0.0, sy = 0.0, sw = 0.0;
    for (HPy_ssize_t i = 0; i < n; i++) {
        double w = 1.0;
        if (!HPy_IsNull(weights)) {
            HPy item = HPy_GetItem_i(ctx, weights, i);
            if (HPy_IsNull(item))
                goto done;
            w = HPyFloat_AsDouble(ctx, item);
            HPy_Close(ctx, item);
            if (w == -1.0 && HPyErr_Occurred(ctx))
                goto done;
        }
        HPy item = HPy_GetItem_i(ctx, points, i);
        if (HPy_IsNull(item))
            goto done;
        if (!HPy_TypeCheck(ctx, item, type)) {
            HPy item_type = HPy_Type(ctx, item);
            HPyErr_Format(ctx, ctx->h_TypeError, "centroid() needs Points, not '%s'",
                          HPyType_GetName(ctx, item_type));
            HPy_Close(ctx, item_type);
            HPy_Close(ctx, item);
            goto done;
        }
        PointObject *p = PointObject_AsStruct(ctx, item);
        sx += w * p->x;
        sy += w * p->y;
        sw += w;
        HPy_Close(ctx, item);
    }
    if (sw == 0.0) {
        HPy err = HPyGlobal_Load(ctx, GeometryError);
        HPyErr_SetString(ctx, err, "the weights add up to zero");
        HPy_Close(ctx, err);
        goto done;
    }
    PointObject *data;
    result = HPy_New(ctx, type, &data);
    if (!HPy_IsNull(result)) {
        data->x = sx / sw;
        data->y = sy / sw;
    }
done:
    HPy_Close(ctx, type);                       /* closing HPy_NULL does nothing */
    HPyTracker_Close(ctx, ht);
    return result;
}

HPyDef_SLOT(geom_exec, HPy_mod_exec)
static int geom_exec_impl(HPyContext *ctx, HPy m)
{
    if (!HPyHelpers_AddType(ctx, m, "Point", &Point_spec, NULL))
        return -1;
    HPy type = HPy_GetAttr_s(ctx, m, "Point");
    if (HPy_IsNull(type))
        return -1;
    HPyGlobal_Store(ctx, &Point_type, type);
    HPy_Close(ctx, type);
    HPy err = HPyErr_NewException(ctx, "geom.GeometryError", ctx->h_ValueError, HPy_NULL);
    if (HPy_IsNull(err))
        return -1;
    HPyGlobal_Store(ctx, &GeometryError, err);
    int res = HPy_SetAttr_s(ctx, m, "GeometryError", err);
    HPy_Close(ctx, err);
    return res;
}

static HPyDef *geom_defines[] = { &centroid, &geom_exec, NULL };
static HPyGlobal *geom_globals[] = { &GeometryError, &Point_type, NULL };

static HPyModuleDef geom_def = {
    .doc = "Points in the plane",
    .defines = geom_defines,
    .globals = geom_globals,
};

HPy_MODINIT(geom, geom_def)
