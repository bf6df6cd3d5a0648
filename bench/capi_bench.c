/* capi_bench: the baseline of the HPy microbenchmarks, written against the raw CPython C API.
 *
 * Every function here has a twin of the same name in hpy_bench.c doing the same work: the same
 * argument checks, the same API calls (or their direct HPy counterparts) and the same reference
 * count traffic. Keep the two files in step; bench/run.py checks that both return equal results. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* call noargs: f() -> None */
static PyObject *noargs(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    Py_RETURN_NONE;
}

/* call one-arg: f(x) -> x */
static PyObject *onearg(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_INCREF(arg);
    return arg;
}

/* call varargs: f(a, b) -> a */
static PyObject *varargs(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "varargs() takes exactly 2 arguments");
        return NULL;
    }
    Py_INCREF(args[0]);
    return args[0];
}

/* call with keywords: f(a, b=x) -> the first keyword value, or a when there is none */
static PyObject *keywords(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
    (void)self;
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "keywords() takes at least 1 positional argument");
        return NULL;
    }
    PyObject *res = kwnames != NULL ? args[nargs] : args[0];
    Py_INCREF(res);
    return res;
}

/* call with tuple: f(callable, tuple) -> callable(*tuple) */
static PyObject *call_tuple(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "call_tuple() takes exactly 2 arguments");
        return NULL;
    }
    return PyObject_Call(args[0], args[1], NULL);
}

/* call with tuple+dict: f(callable, tuple, dict) -> callable(*tuple, **dict) */
static PyObject *call_tuple_dict(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "call_tuple_dict() takes exactly 3 arguments");
        return NULL;
    }
    return PyObject_Call(args[0], args[1], args[2]);
}

/* allocate int: f() -> a new int object (outside the small-int cache) */
static PyObject *alloc_int(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return PyLong_FromLong(123456789L);
}

/* allocate tuple: f(a, b) -> (a, b), with PyTuple_Pack */
static PyObject *alloc_tuple(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "alloc_tuple() takes exactly 2 arguments");
        return NULL;
    }
    return PyTuple_Pack(2, args[0], args[1]);
}

/* allocate tuple (builder): f(a, b) -> (a, b), built item by item */
static PyObject *alloc_tuple_builder(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "alloc_tuple_builder() takes exactly 2 arguments");
        return NULL;
    }
    PyObject *t = PyTuple_New(2);
    if (t == NULL)
        return NULL;
    Py_INCREF(args[0]);
    PyTuple_SET_ITEM(t, 0, args[0]);
    Py_INCREF(args[1]);
    PyTuple_SET_ITEM(t, 1, args[1]);
    return t;
}

/* len: f(x) -> len(x) */
static PyObject *length(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_ssize_t n = PyObject_Length(arg);
    if (n < 0)
        return NULL;
    return PyLong_FromSsize_t(n);
}

/* getitem with a C index: f(seq) -> seq[1] */
static PyObject *getitem_i(PyObject *self, PyObject *arg)
{
    (void)self;
    return PySequence_GetItem(arg, 1);
}

/* getitem with a key object: f(obj, key) -> obj[key] */
static PyObject *getitem(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "getitem() takes exactly 2 arguments");
        return NULL;
    }
    return PyObject_GetItem(args[0], args[1]);
}

/* attribute lookup by C string: f(obj) -> obj.attr */
static PyObject *getattr_s(PyObject *self, PyObject *arg)
{
    (void)self;
    return PyObject_GetAttrString(arg, "attr");
}

/* attribute lookup by (interned) name object: f(obj, name) -> getattr(obj, name) */
static PyObject *getattr_o(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "getattr_o() takes exactly 2 arguments");
        return NULL;
    }
    return PyObject_GetAttr(args[0], args[1]);
}

/* ABI of this module, for the report */
static PyObject *abi(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return PyUnicode_FromString("C API");
}

/* A type: two doubles and an object reference (Point in hpy_bench.c). */
typedef struct {
    PyObject_HEAD
    double x, y;
    PyObject *obj;
} PointObject;

static PyObject *Point_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    double x, y;
    (void)kw;
    if (!PyArg_ParseTuple(args, "dd", &x, &y))
        return NULL;
    PointObject *p = (PointObject *)type->tp_alloc(type, 0);
    if (p == NULL)
        return NULL;
    p->x = x;
    p->y = y;
    return (PyObject *)p;
}

static int Point_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((PointObject *)self)->obj);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int Point_clear(PyObject *self)
{
    Py_CLEAR(((PointObject *)self)->obj);
    return 0;
}

static void Point_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_CLEAR(((PointObject *)self)->obj);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *Point_norm2(PyObject *self, PyObject *ignored)
{
    PointObject *p = (PointObject *)self;
    (void)ignored;
    return PyFloat_FromDouble(p->x * p->x + p->y * p->y);
}

static Py_ssize_t Point_len(PyObject *self)
{
    (void)self;
    return 2;
}

static PyObject *Point_item(PyObject *self, Py_ssize_t i)
{
    PointObject *p = (PointObject *)self;
    if (i == 0)
        return PyFloat_FromDouble(p->x);
    if (i == 1)
        return PyFloat_FromDouble(p->y);
    PyErr_SetString(PyExc_IndexError, "Point index out of range");
    return NULL;
}

/* store arg, return what was stored before (None at first) */
static PyObject *Point_swap_obj(PyObject *self, PyObject *arg)
{
    PointObject *p = (PointObject *)self;
    PyObject *old = p->obj;
    Py_INCREF(arg);
    p->obj = arg;
    if (old == NULL)
        Py_RETURN_NONE;
    return old;
}

static PyMethodDef Point_methods[] = {
    {"norm2", Point_norm2, METH_NOARGS, NULL},
    {"swap_obj", Point_swap_obj, METH_O, NULL},
    {NULL, NULL, 0, NULL}
};

static PyType_Slot Point_slots[] = {
    {Py_tp_new, (void *)Point_new},
    {Py_tp_traverse, (void *)Point_traverse},
    {Py_tp_clear, (void *)Point_clear},
    {Py_tp_dealloc, (void *)Point_dealloc},
    {Py_tp_methods, Point_methods},
    {Py_sq_length, (void *)Point_len},
    {Py_sq_item, (void *)Point_item},
    {0, NULL}
};

static PyType_Spec Point_spec = {
    "capi_bench.Point", sizeof(PointObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, Point_slots
};

static PyMethodDef methods[] = {
    {"noargs", noargs, METH_NOARGS, NULL},
    {"onearg", onearg, METH_O, NULL},
    {"varargs", (PyCFunction)(void (*)(void))varargs, METH_FASTCALL, NULL},
    {"keywords", (PyCFunction)(void (*)(void))keywords, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"call_tuple", (PyCFunction)(void (*)(void))call_tuple, METH_FASTCALL, NULL},
    {"call_tuple_dict", (PyCFunction)(void (*)(void))call_tuple_dict, METH_FASTCALL, NULL},
    {"alloc_int", alloc_int, METH_NOARGS, NULL},
    {"alloc_tuple", (PyCFunction)(void (*)(void))alloc_tuple, METH_FASTCALL, NULL},
    {"alloc_tuple_builder", (PyCFunction)(void (*)(void))alloc_tuple_builder, METH_FASTCALL,
     NULL},
    {"length", length, METH_O, NULL},
    {"getitem_i", getitem_i, METH_O, NULL},
    {"getitem", (PyCFunction)(void (*)(void))getitem, METH_FASTCALL, NULL},
    {"getattr_s", getattr_s, METH_O, NULL},
    {"getattr_o", (PyCFunction)(void (*)(void))getattr_o, METH_FASTCALL, NULL},
    {"abi", abi, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    "capi_bench",
    "HPy microbenchmarks: the raw C API baseline",
    -1,
    methods,
    NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit_capi_bench(void)
{
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    PyObject *point = PyType_FromSpec(&Point_spec);
    if (point == NULL || PyModule_AddObject(m, "Point", point) < 0) {
        Py_XDECREF(point);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
