/* geom, step 1 of docs/porting.md: the module in HPy, the Point type still the C-API code of
 * step 0, kept whole as a legacy type. Needs the hybrid ABI (or cpython): Python.h is there. */
#include "hpy.h"
#include <structmember.h>
#include <math.h>

/* module-level state lives in HPyGlobals: a handle cannot outlive the call that got it */
static HPyGlobal GeometryError;
static HPyGlobal Point_type;
/* what the legacy code of Point keeps using until step 2 (set by geom_exec) */
static PyTypeObject *py_Point_type;

/* ---- the Point type, unchanged from step 0 apart from new_point and the spec ---- */

typedef struct {
    PyObject_HEAD                   /* a legacy type's struct starts as a PyObject */
    double x, y;
} PointObject;
HPyType_LEGACY_HELPERS(PointObject)

static PyObject *new_point(PyTypeObject *type, double x, double y)
{
    PointObject *p = (PointObject *)type->tp_alloc(type, 0);
    if (p == NULL)
        return NULL;
    p->x = x;
    p->y = y;
    return (PyObject *)p;
}

static PyObject *Point_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"x", "y", NULL};
    double x = 0.0, y = 0.0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|dd:Point", kwlist, &x, &y))
        return NULL;
    return new_point(type, x, y);
}

static PyObject *Point_repr(PyObject *self)
{
    PointObject *p = (PointObject *)self;
    char *x = PyOS_double_to_string(p->x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    char *y = PyOS_double_to_string(p->y, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    PyObject *result = NULL;
    if (x != NULL && y != NULL)
        result = PyUnicode_FromFormat("Point(%s, %s)", x, y);
    PyMem_Free(x);
    PyMem_Free(y);
    return result;
}

static PyObject *Point_distance(PyObject *self, PyObject *other)
{
    if (!PyObject_TypeCheck(other, py_Point_type)) {
        PyErr_SetString(PyExc_TypeError, "distance() needs a Point");
        return NULL;
    }
    PointObject *a = (PointObject *)self, *b = (PointObject *)other;
    return PyFloat_FromDouble(hypot(a->x - b->x, a->y - b->y));
}

static PyObject *Point_scaled(PyObject *self, PyObject *arg)
{
    PointObject *p = (PointObject *)self;
    double factor = PyFloat_AsDouble(arg);
    if (factor == -1.0 && PyErr_Occurred())
        return NULL;
    if (factor == 1.0) {
        Py_INCREF(self);
        return self;
    }
    return new_point(Py_TYPE(self), p->x * factor, p->y * factor);
}

static PyMemberDef Point_members[] = {
    {"x", T_DOUBLE, offsetof(PointObject, x), READONLY, "the x coordinate"},
    {"y", T_DOUBLE, offsetof(PointObject, y), READONLY, "the y coordinate"},
    {NULL, 0, 0, 0, NULL}
};

static PyMethodDef Point_methods[] = {
    {"distance", Point_distance, METH_O, "distance(other): the distance to another point"},
    {"scaled", Point_scaled, METH_O, "scaled(factor): this point times factor"},
    {NULL, NULL, 0, NULL}
};

static PyType_Slot Point_slots[] = {
    {Py_tp_new, (void *)Point_new},
    {Py_tp_repr, (void *)Point_repr},
    {Py_tp_members, Point_members},
    {Py_tp_methods, Point_methods},
    {0, NULL}
};

/* the C-API slots ride along as legacy_slots of an HPyType_Spec */
static HPyType_Spec Point_spec = {
    .name = "geom.Point",
    .doc = "Point(x=0.0, y=0.0): an immutable point in the plane",
    .basicsize = sizeof(PointObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = HPyType_BuiltinShape_Legacy,
    .legacy_slots = Point_slots,
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
    result = HPy_New(ctx, type, &data);         /* works for legacy types too */
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
    py_Point_type = (PyTypeObject *)HPy_AsPyObject(ctx, type);    /* a new reference, kept */
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
