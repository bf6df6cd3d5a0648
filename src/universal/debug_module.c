/* hpy.universal._debug (python-contract.md §8): the debug handles seen from Python, the limits
 * of the debug mode and its report callbacks. Every function creates the debug context first. */
#include "internal/debug.h"

#include <execinfo.h>

/* ---- DebugHandle objects: one per query, pointing to the handle's struct ------------------ */

typedef struct {
    PyObject_HEAD
    DebugHandle *handle;
} DebugHandleObject;

static PyTypeObject *debug_handle_type;

static PyObject *new_handle_object(DebugHandle *d)
{
    DebugHandleObject *o = PyObject_New(DebugHandleObject, debug_handle_type);
    if (o != NULL)
        o->handle = d;
    return (PyObject *)o;
}

static DebugHandleExtras *extras_of(DebugHandle *d)
{
    return d->extras;
}

/* The object of a closed handle is only safe to look at while something else keeps it alive:
 * the handle no longer holds a reference. */
static PyObject *dh_get_obj(PyObject *self, void *closure)
{
    (void)closure;
    PyObject *obj = _h2py(((DebugHandleObject *)self)->handle->uh);
    if (obj == NULL)
        Py_RETURN_NONE;
    Py_INCREF(obj);
    return obj;
}

static PyObject *dh_get_id(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromVoidPtr(((DebugHandleObject *)self)->handle);
}

static PyObject *dh_get_is_closed(PyObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((DebugHandleObject *)self)->handle->state >= HPY_DH_CLOSED);
}

static PyObject *dh_get_raw_data_size(PyObject *self, void *closure)
{
    (void)closure;
    DebugHandleExtras *e = extras_of(((DebugHandleObject *)self)->handle);
    return PyLong_FromSsize_t(e != NULL ? e->raw_data_size : -1);
}

static PyObject *dh_force_close(PyObject *self, PyObject *ignored)
{
    (void)ignored;
    hpy__debug_close(_hconv((intptr_t)((DebugHandleObject *)self)->handle));
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *dh_richcompare(PyObject *self, PyObject *other, int op)
{
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(other, debug_handle_type))
        Py_RETURN_NOTIMPLEMENTED;
    int same = ((DebugHandleObject *)self)->handle == ((DebugHandleObject *)other)->handle;
    return PyBool_FromLong(op == Py_EQ ? same : !same);
}

/* Where the handle was created, or how to find out. */
static PyObject *trace_text(DebugHandle *d)
{
    DebugHandleExtras *e = extras_of(d);
    if (e == NULL || e->frames == NULL)
        return PyUnicode_FromString("To get the stack trace of where it was allocated use:\n"
                                    "hpy.debug.set_handle_stack_trace_limit");
    char **symbols = backtrace_symbols(e->frames, e->nframes);
    if (symbols == NULL)
        return PyErr_NoMemory();
    size_t len = strlen("Allocation stacktrace:\n") + 1;
    for (int i = 0; i < e->nframes; i++)
        len += strlen(symbols[i]) + 1;
    char *text = (char *)malloc(len);
    if (text == NULL) {
        free(symbols);
        return PyErr_NoMemory();
    }
    strcpy(text, "Allocation stacktrace:\n");
    for (int i = 0; i < e->nframes; i++) {
        if (i > 0)
            strcat(text, "\n");
        strcat(text, symbols[i]);
    }
    free(symbols);
    PyObject *result = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
    free(text);
    return result;
}

static PyObject *dh_repr(PyObject *self)
{
    DebugHandle *d = ((DebugHandleObject *)self)->handle;
    PyObject *trace = trace_text(d);
    if (trace == NULL)
        return NULL;
    PyObject *result;
    if (d->state >= HPY_DH_CLOSED)
        result = PyUnicode_FromFormat("<DebugHandle %p CLOSED>\n%U", (void *)d, trace);
    else if (hpy__debug_is_buffer_obj(d))
        result = PyUnicode_FromFormat("<DebugHandle %p for %R>\nThe obj of an HPy_buffer that "
                                      "was not released (HPyBuffer_Release)\n%U", (void *)d,
                                      _h2py(d->uh), trace);
    else
        result = PyUnicode_FromFormat("<DebugHandle %p for %R>\n%U", (void *)d, _h2py(d->uh),
                                      trace);
    Py_DECREF(trace);
    return result;
}

static PyGetSetDef dh_getset[] = {
    {"obj", dh_get_obj, NULL,
     "The object the handle points to (for a closed handle: only while it is alive)", NULL},
    {"id", dh_get_id, NULL, "The address of the debug handle", NULL},
    {"is_closed", dh_get_is_closed, NULL, "Whether the handle was closed", NULL},
    {"raw_data_size", dh_get_raw_data_size, NULL,
     "Size of the raw memory attached to the handle, -1 if none", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef dh_methods[] = {
    {"_force_close", dh_force_close, METH_NOARGS, "Close the handle (for tests)"},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot dh_slots[] = {
    {Py_tp_doc, (void *)"A debug handle of the HPy debug mode"},
    {Py_tp_getset, dh_getset},
    {Py_tp_methods, dh_methods},
    {Py_tp_richcompare, (void *)dh_richcompare},
    {Py_tp_repr, (void *)dh_repr},
    {0, NULL},
};

static PyType_Spec dh_spec = {
    .name = "hpy.debug._debug.DebugHandle",
    .basicsize = sizeof(DebugHandleObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = dh_slots,
};

/* ---- module functions --------------------------------------------------------------------- */

#define NEED_CTX() \
    do { if (hpy__debug_ctx() == NULL) return NULL; } while (0)

static PyObject *new_generation(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    NEED_CTX();
    long gen = hpy__debug_new_generation();
    return gen < 0 ? NULL : PyLong_FromLong(gen);
}

static int append_handle(PyObject *list, DebugHandle *d)
{
    PyObject *o = new_handle_object(d);
    if (o == NULL)
        return -1;
    int res = PyList_Append(list, o);
    Py_DECREF(o);
    return res;
}

/* Creation order; the argument handles of one call share a number: then by address. */
static int by_seq(const void *a, const void *b)
{
    const DebugHandle *x = *(DebugHandle *const *)a, *y = *(DebugHandle *const *)b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Open handles of generation >= gen, oldest first: found by a scan of every chunk. */
static PyObject *get_open_handles(PyObject *self, PyObject *arg)
{
    (void)self;
    NEED_CTX();
    long gen = PyLong_AsLong(arg);
    if (gen == -1 && PyErr_Occurred())
        return NULL;
    uint64_t start = hpy__debug_generation_start(gen);
    size_t n = 0, cap = 16;
    DebugHandle **found = (DebugHandle **)PyMem_Malloc(sizeof(DebugHandle *) * cap);
    if (found == NULL)
        return PyErr_NoMemory();
    for (size_t c = 0; c < hpy__debug.nchunks; c++) {
        DebugHandle *chunk = hpy__debug.chunks[c];
        for (int i = 0; i < HPY_DEBUG_HANDLES_PER_CHUNK; i++) {
            DebugHandle *d = &chunk[i];
            if (d->state > HPY_DH_ARG || d->seq < start)
                continue;
            if (n == cap) {
                DebugHandle **grown = (DebugHandle **)PyMem_Realloc(
                    found, sizeof(DebugHandle *) * cap * 2);
                if (grown == NULL) {
                    PyMem_Free(found);
                    return PyErr_NoMemory();
                }
                found = grown;
                cap *= 2;
            }
            found[n++] = d;
        }
    }
    qsort(found, n, sizeof(DebugHandle *), by_seq);
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (append_handle(list, found[i]) < 0)
            Py_CLEAR(list);
    }
    PyMem_Free(found);
    return list;
}

/* Closed handles still in the FIFO with generation >= gen, in the order they were closed. */
static PyObject *get_closed_handles(PyObject *self, PyObject *args)
{
    (void)self;
    long gen = 0;
    if (PyTuple_GET_SIZE(args) > 1) {
        PyErr_SetString(PyExc_TypeError,
                        "get_closed_handles expects no arguments or exactly one argument");
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) == 1) {
        gen = PyLong_AsLong(PyTuple_GET_ITEM(args, 0));
        if (gen == -1 && PyErr_Occurred())
            return NULL;
    }
    NEED_CTX();
    uint64_t start = hpy__debug_generation_start(gen);
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    for (HPy_ssize_t i = 0; i < hpy__debug.closed_count; i++) {
        DebugHandle *d = hpy__debug_closed_at(i);
        if (d->seq >= start && append_handle(list, d) < 0) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

static int size_arg(PyObject *arg, HPy_ssize_t *out)
{
    HPy_ssize_t size = PyLong_AsSsize_t(arg);
    if (size == -1 && PyErr_Occurred())
        return -1;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "the size must be >= 0");
        return -1;
    }
    *out = size;
    return 0;
}

static PyObject *get_closed_handles_queue_max_size(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    NEED_CTX();
    return PyLong_FromSsize_t(hpy__debug.closed_max);
}

static PyObject *set_closed_handles_queue_max_size(PyObject *self, PyObject *arg)
{
    (void)self;
    NEED_CTX();
    HPy_ssize_t size;
    if (size_arg(arg, &size) < 0)
        return NULL;
    hpy__debug_set_closed_max(size);
    Py_RETURN_NONE;
}

static PyObject *get_protected_raw_data_max_size(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    NEED_CTX();
    return PyLong_FromSsize_t(hpy__debug.protected_raw_max);
}

static PyObject *set_protected_raw_data_max_size(PyObject *self, PyObject *arg)
{
    (void)self;
    NEED_CTX();
    if (size_arg(arg, &hpy__debug.protected_raw_max) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *set_callback(PyObject **slot, PyObject *callback)
{
    NEED_CTX();
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "Expected a callable object");
        return NULL;
    }
    Py_XSETREF(*slot, callback == Py_None ? NULL : Py_NewRef(callback));
    Py_RETURN_NONE;
}

static PyObject *set_on_invalid_handle(PyObject *self, PyObject *callback)
{
    (void)self;
    return set_callback(&hpy__debug.on_invalid_handle, callback);
}

static PyObject *set_on_invalid_builder_handle(PyObject *self, PyObject *callback)
{
    (void)self;
    return set_callback(&hpy__debug.on_invalid_builder_handle, callback);
}

static PyObject *set_handle_stack_trace_limit(PyObject *self, PyObject *arg)
{
    (void)self;
    NEED_CTX();
    if (arg == Py_None) {
        hpy__debug.stack_limit = 0;
        Py_RETURN_NONE;
    }
    long limit = PyLong_AsLong(arg);
    if (limit == -1 && PyErr_Occurred())
        return NULL;
    hpy__debug.stack_limit = limit < 0 ? 0 : (limit > 1024 ? 1024 : (int)limit);
    Py_RETURN_NONE;
}

/* 'mmap' (the default) or 'portable' (the copies' bytes can be read after the close). */
static PyObject *set_raw_data_protection(PyObject *self, PyObject *arg)
{
    (void)self;
    NEED_CTX();
    const char *mode = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
    if (mode != NULL && strcmp(mode, "mmap") == 0)
        hpy__debug_set_raw_data_mmap(1);
    else if (mode != NULL && strcmp(mode, "portable") == 0)
        hpy__debug_set_raw_data_mmap(0);
    else {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "raw data protection must be 'mmap' or 'portable', not %R",
                     arg);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *get_raw_data_protection(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    NEED_CTX();
    return PyUnicode_FromString(hpy__debug_raw_data_mmap() ? "mmap" : "portable");
}

static PyMethodDef debug_methods[] = {
    {"new_generation", new_generation, METH_NOARGS,
     "Start a new generation of handles and return its number"},
    {"get_open_handles", get_open_handles, METH_O,
     "The open debug handles of the given generation or later, oldest first"},
    {"get_closed_handles", get_closed_handles, METH_VARARGS,
     "The closed debug handles still remembered (of the given generation or later)"},
    {"get_closed_handles_queue_max_size", get_closed_handles_queue_max_size, METH_NOARGS,
     "How many closed handles are remembered"},
    {"set_closed_handles_queue_max_size", set_closed_handles_queue_max_size, METH_O,
     "Set how many closed handles are remembered"},
    {"get_protected_raw_data_max_size", get_protected_raw_data_max_size, METH_NOARGS,
     "Bytes of raw data of closed handles kept protected"},
    {"set_protected_raw_data_max_size", set_protected_raw_data_max_size, METH_O,
     "Set the bytes of raw data of closed handles kept protected"},
    {"_set_raw_data_protection", set_raw_data_protection, METH_O,
     "How raw-data copies made from now on are protected: 'mmap' (default) or 'portable'"},
    {"_get_raw_data_protection", get_raw_data_protection, METH_NOARGS,
     "How raw-data copies made from now on are protected: 'mmap' or 'portable'"},
    {"set_on_invalid_handle", set_on_invalid_handle, METH_O,
     "Call this instead of aborting when a closed handle is used (None: abort)"},
    {"set_on_invalid_builder_handle", set_on_invalid_builder_handle, METH_O,
     "Call this instead of aborting when a closed builder is used (None: abort)"},
    {"set_handle_stack_trace_limit", set_handle_stack_trace_limit, METH_O,
     "Capture up to this many C frames where each handle is created (None: stop)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef debug_moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hpy.debug._debug",
    .m_doc = "HPy debug mode",
    .m_size = -1,
    .m_methods = debug_methods,
};

HPyAPI_IMPL PyObject *hpy__debug_module(void)
{
    if (debug_handle_type == NULL) {
        debug_handle_type = (PyTypeObject *)PyType_FromSpec(&dh_spec);
        if (debug_handle_type == NULL)
            return NULL;
    }
    PyObject *m = PyModule_Create(&debug_moduledef);
    if (m == NULL)
        return NULL;
    Py_INCREF(debug_handle_type);
    if (PyModule_AddObject(m, "DebugHandle", (PyObject *)debug_handle_type) < 0) {
        Py_DECREF(debug_handle_type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
