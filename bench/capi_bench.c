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
    return PyModule_Create(&moduledef);
}
