/* geom, before porting: an ordinary C-API extension (docs/porting.md, step 0).
 * A Point type with two read-only fields and two methods, a module function taking keywords,
 * and an exception of the module's own. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>

static PyObject *GeometryError;
static PyTypeObject *Point_type;

typedef struct {
    PyObject_HEAD
    double x, y;
} PointObject;

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
    if (!PyObject_TypeCheck(other, Point_type)) {
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
    if (factor == 1.0) {            /* points are immutable: the same point will do */
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
    {Py_tp_doc, (void *)"Point(x=0.0, y=0.0): an immutable point in the plane"},
    {Py_tp_new, (void *)Point_new},
    {Py_tp_repr, (void *)Point_repr},
    {Py_tp_members, Point_members},
    {Py_tp_methods, Point_methods},
    {0, NULL}
};

static PyType_Spec Point_spec = {
    .name = "geom.Point",
    .basicsize = sizeof(PointObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = Point_slots,
};

static PyObject *centroid(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"points", "weights", NULL};
    PyObject *points, *weights = Py_None;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$O:centroid", kwlist, &points, &weights))
        return NULL;
    Py_ssize_t n = PySequence_Size(points);
    if (n < 0)
        return NULL;
    if (n == 0) {
        PyErr_SetString(GeometryError, "centroid() of no points");
        return NULL;
    }
    if (weights != Py_None) {
        Py_ssize_t nw = PySequence_Size(weights);
        if (nw < 0)
            return NULL;
        if (nw != n) {
            PyErr_Format(GeometryError, "%zd weights for %zd points", nw, n);
            return NULL;
        }
    }
    double sx = 0.0, sy = 0.0, sw = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double w = 1.0;
        if (weights != Py_None) {
            PyObject *item = PySequence_GetItem(weights, i);
            if (item == NULL)
                return NULL;
            w = PyFloat_AsDouble(item);
            Py_DECREF(item);
            if (w == -1.0 && PyErr_Occurred())
                return NULL;
        }
        PyObject *item = PySequence_GetItem(points, i);
        if (item == NULL)
            return NULL;
        if (!PyObject_TypeCheck(item, Point_type)) {
            PyErr_Format(PyExc_TypeError, "centroid() needs Points, not '%.200s'",
                         Py_TYPE(item)->tp_name);
            Py_DECREF(item);
            return NULL;
        }
        sx += w * ((PointObject *)item)->x;
        sy += w * ((PointObject *)item)->y;
        sw += w;
        Py_DECREF(item);
    }
    if (sw == 0.0) {
        PyErr_SetString(GeometryError, "the weights add up to zero");
        return NULL;
    }
    return new_point(Point_type, sx / sw, sy / sw);
}

static PyMethodDef geom_methods[] = {
    {"centroid", (PyCFunction)(void (*)(void))centroid, METH_VARARGS | METH_KEYWORDS,
     "centroid(points, *, weights=None): the (weighted) centre of the points"},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef geom_module = {
    PyModuleDef_HEAD_INIT, "geom", "Points in the plane", -1, geom_methods,
    NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit_geom(void)
{
    PyObject *m = PyModule_Create(&geom_module);
    if (m == NULL)
        return NULL;
    Point_type = (PyTypeObject *)PyType_FromSpec(&Point_spec);
    if (Point_type == NULL || PyModule_AddObject(m, "Point", (PyObject *)Point_type) < 0)
        goto error;
    Py_INCREF(Point_type);          /* the module's reference went to the module */
    GeometryError = PyErr_NewException("geom.GeometryError", PyExc_ValueError, NULL);
    if (GeometryError == NULL || PyModule_AddObject(m, "GeometryError", GeometryError) < 0)
        goto error;
    Py_INCREF(GeometryError);
    return m;
error:
    Py_DECREF(m);
    return NULL;
}
