/* capi_array: the C-API twin of examples/array/hpyarray.c for the array rows of the benchmarks,
 * float64 only.
 *
 * It keeps the HPy version's layout (dtype tag, length, itemsize, separately allocated storage)
 * and its code paths for float64: the same constructor forms, the same slots (sq_length,
 * sq_item, sq_ass_item, buffer) and the same checks, each HPy call replaced by the C-API call
 * that does the same job. Any other dtype is refused at construction. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

typedef enum { DTYPE_FLOAT64 = 0 } DType;

typedef struct {
    PyObject_HEAD
    DType dtype;
    Py_ssize_t length;
    Py_ssize_t itemsize;
    Py_ssize_t exports;
    double *data;
} ArrayObject;

static PyObject *array_create(PyTypeObject *type, Py_ssize_t n, double *block)
{
    ArrayObject *a = (ArrayObject *)type->tp_alloc(type, 0);
    if (a == NULL) {
        free(block);
        return NULL;
    }
    a->dtype = DTYPE_FLOAT64;
    a->itemsize = sizeof(double);
    a->data = block ? block : (double *)calloc(n > 0 ? (size_t)n : 1, sizeof(double));
    if (a->data == NULL) {
        Py_DECREF(a);
        return PyErr_NoMemory();
    }
    a->length = n;
    return (PyObject *)a;
}

static PyObject *array_from_iterable(PyTypeObject *type, PyObject *iterable)
{
    double *block = NULL;
    size_t n = 0, cap = 0;
    PyObject *result = NULL;
    PyObject *it = PyObject_GetIter(iterable);
    if (it == NULL)
        return NULL;
    for (;;) {
        PyObject *item = PyIter_Next(it);
        double v;
        if (item == NULL) {
            if (PyErr_Occurred())
                goto done;
            break;
        }
        if (n == cap) {
            size_t newcap = cap ? 2 * cap : 16;
            double *grown = newcap <= (size_t)PY_SSIZE_T_MAX / sizeof(double) ?
                            (double *)realloc(block, newcap * sizeof(double)) : NULL;
            if (grown == NULL) {
                Py_DECREF(item);
                PyErr_NoMemory();
                goto done;
            }
            block = grown;
            cap = newcap;
        }
        v = PyFloat_AsDouble(item);
        Py_DECREF(item);
        if (v == -1.0 && PyErr_Occurred())
            goto done;
        block[n++] = v;
    }
    if (n == 0) {
        free(block);
        block = NULL;
    } else if (n < cap) {
        double *fitted = (double *)realloc(block, n * sizeof(double));
        if (fitted != NULL)
            block = fitted;
    }
    result = array_create(type, (Py_ssize_t)n, block);
    block = NULL;
done:
    free(block);
    Py_DECREF(it);
    return result;
}

static PyObject *Array_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "dtype", "init", NULL };
    const char *dtype_name;
    PyObject *init;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sO:Array", kwlist, &dtype_name, &init))
        return NULL;
    if (strcmp(dtype_name, "float64") != 0)
        return PyErr_Format(PyExc_ValueError, "unknown dtype '%s' (expected 'float64')",
                            dtype_name);
    if (PyLong_Check(init)) {
        Py_ssize_t n = PyLong_AsSsize_t(init);
        if (n == -1 && PyErr_Occurred())
            return NULL;
        if (n < 0) {
            PyErr_SetString(PyExc_ValueError, "array length must be >= 0");
            return NULL;
        }
        if (n > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double))
            return PyErr_NoMemory();
        return array_create(type, n, NULL);
    }
    return array_from_iterable(type, init);
}

static int Array_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static void Array_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    free(((ArrayObject *)self)->data);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static Py_ssize_t Array_len(PyObject *self)
{
    return ((ArrayObject *)self)->length;
}

static PyObject *Array_item(PyObject *self, Py_ssize_t i)
{
    ArrayObject *a = (ArrayObject *)self;
    if (i < 0 || i >= a->length) {
        PyErr_SetString(PyExc_IndexError, "array index out of range");
        return NULL;
    }
    switch (a->dtype) {
    case DTYPE_FLOAT64:
        return PyFloat_FromDouble(a->data[i]);
    }
    PyErr_SetString(PyExc_SystemError, "bad dtype");
    return NULL;
}

static int Array_ass_item(PyObject *self, Py_ssize_t i, PyObject *value)
{
    ArrayObject *a = (ArrayObject *)self;
    double v;
    if (value == NULL) {
        PyErr_SetString(PyExc_TypeError, "array elements cannot be deleted");
        return -1;
    }
    if (i < 0 || i >= a->length) {
        PyErr_SetString(PyExc_IndexError, "array assignment index out of range");
        return -1;
    }
    v = PyFloat_AsDouble(value);
    if (v == -1.0 && PyErr_Occurred())
        return -1;
    a->data[i] = v;
    return 0;
}

static PyObject *Array_sum(PyObject *self, PyObject *ignored)
{
    ArrayObject *a = (ArrayObject *)self;
    Py_ssize_t i;
    (void)ignored;
    switch (a->dtype) {
    case DTYPE_FLOAT64: {
        const double *p = a->data;
        double s = 0.0;
        for (i = 0; i < a->length; i++)
            s += p[i];
        return PyFloat_FromDouble(s);
    }
    }
    PyErr_SetString(PyExc_SystemError, "bad dtype");
    return NULL;
}

static PyObject *Array_dtype(PyObject *self, void *closure)
{
    (void)self;
    (void)closure;
    return PyUnicode_FromString("float64");
}

static PyObject *Array_exports(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(((ArrayObject *)self)->exports);
}

static int Array_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
    ArrayObject *a = (ArrayObject *)self;
    view->buf = a->data;
    Py_INCREF(self);
    view->obj = self;
    view->len = a->length * a->itemsize;
    view->itemsize = a->itemsize;
    view->readonly = 0;
    view->ndim = 1;
    view->format = (flags & PyBUF_FORMAT) ? (char *)"d" : NULL;
    view->shape = (flags & PyBUF_ND) ? &a->length : NULL;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? &a->itemsize : NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    a->exports++;
    return 0;
}

static void Array_releasebuffer(PyObject *self, Py_buffer *view)
{
    (void)view;
    ((ArrayObject *)self)->exports--;
}

static PyMethodDef Array_methods[] = {
    {"sum", Array_sum, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef Array_getset[] = {
    {"dtype", Array_dtype, NULL, NULL, NULL},
    {"exports", Array_exports, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

static PyType_Slot Array_slots[] = {
    {Py_tp_new, (void *)Array_new},
    {Py_tp_traverse, (void *)Array_traverse},
    {Py_tp_dealloc, (void *)Array_dealloc},
    {Py_tp_methods, Array_methods},
    {Py_tp_getset, Array_getset},
    {Py_sq_length, (void *)Array_len},
    {Py_sq_item, (void *)Array_item},
    {Py_sq_ass_item, (void *)Array_ass_item},
    {Py_bf_getbuffer, (void *)Array_getbuffer},
    {Py_bf_releasebuffer, (void *)Array_releasebuffer},
    {0, NULL}
};

static PyType_Spec Array_spec = {
    "capi_array.Array", sizeof(ArrayObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, Array_slots
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    "capi_array",
    "C-API twin of examples/array (float64 only), for the benchmarks",
    -1,
    NULL,
    NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit_capi_array(void)
{
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    PyObject *array = PyType_FromSpec(&Array_spec);
    if (array == NULL || PyModule_AddObject(m, "Array", array) < 0) {
        Py_XDECREF(array);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
