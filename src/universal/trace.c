/* Trace mode: a context that counts and times every call into the universal context, and the
 * hpy.universal._trace module that reports it (python-contract.md §10). Handles are the
 * universal ones, so a module loaded in trace mode also calls its implementations directly. */
#include "internal/runtime.h"

#include <time.h>

typedef struct timespec hpy__trace_clock;

static HPyContext *hpy__trace_enter(HPyContext *ctx, int index, hpy__trace_clock *start);
static void hpy__trace_exit(HPyContext *ctx, int index, hpy__trace_clock *start);

#include "autogen_trace_ctx.h"

/* ctx->_private of the trace context: the runtime's marker first (handles are object pointers),
 * then the trace state. */
typedef struct {
    _HPyRuntimeInfo info;
    HPyContext *universal;
    uint64_t calls[HPY__TRACE_NFUNCS];
    uint64_t durations_ns[HPY__TRACE_NFUNCS];
    PyObject *on_enter;      /* callable or NULL */
    PyObject *on_exit;
    PyObject *names;         /* tuple of the ctx field names, created on first use */
} trace_state;

static struct _HPyContext_s trace_ctx;
static trace_state state = {
    { _HPY_RUNTIME_INFO_MAGIC, _HPY_RUNTIME_OBJECT_HANDLES },
    NULL, {0}, {0}, NULL, NULL, NULL,
};

static int ensure_names(void)
{
    if (state.names != NULL)
        return 0;
    PyObject *names = PyTuple_New(HPY__TRACE_NFUNCS);
    if (names == NULL)
        return -1;
    for (int i = 0; i < HPY__TRACE_NFUNCS; i++) {
        PyObject *s = PyUnicode_InternFromString(hpy__ctx_function_names[i]);
        if (s == NULL) {
            Py_DECREF(names);
            return -1;
        }
        PyTuple_SET_ITEM(names, i, s);
    }
    state.names = names;
    return 0;
}

HPyAPI_IMPL HPyContext *hpy__trace_ctx(void)
{
    if (trace_ctx.name == NULL) {
        HPyContext *u = hpy__universal_ctx();
        if (ensure_names() < 0)
            return NULL;
        hpy__fill_trace_ctx(&trace_ctx, u);
        state.universal = u;
        trace_ctx._private = &state;
        trace_ctx.abi_version = HPY_ABI_VERSION;
        trace_ctx.name = "HPy Trace Mode ABI";
    }
    return &trace_ctx;
}

static void now(hpy__trace_clock *t, const char *where)
{
    if (clock_gettime(CLOCK_MONOTONIC_RAW, t) != 0) {
        printf("Could not get monotonic clock in %s\n", where);
        fflush(stdout);
        Py_FatalError("could not get monotonic clock123");
    }
}

static void call_hook(PyObject *hook, int index, const char *error)
{
    PyObject *res = PyObject_CallOneArg(hook, PyTuple_GET_ITEM(state.names, index));
    if (res == NULL)
        Py_FatalError(error);
    Py_DECREF(res);
}

static HPyContext *hpy__trace_enter(HPyContext *ctx, int index, hpy__trace_clock *start)
{
    (void)ctx;
    state.calls[index]++;
    if (state.on_enter != NULL)
        call_hook(state.on_enter, index, "error when executing on-enter trace function");
    now(start, hpy__ctx_function_names[index]);
    return state.universal;
}

static void hpy__trace_exit(HPyContext *ctx, int index, hpy__trace_clock *start)
{
    (void)ctx;
    hpy__trace_clock end;
    now(&end, hpy__ctx_function_names[index]);
    state.durations_ns[index] += (uint64_t)(end.tv_sec - start->tv_sec) * 1000000000u +
                                 (uint64_t)(end.tv_nsec - start->tv_nsec);
    if (state.on_exit != NULL)
        call_hook(state.on_exit, index, "error when executing on-exit trace function");
}

/* ---- hpy.universal._trace ------------------------------------------------------------- */

static PyObject *counters_dict(const uint64_t *values)
{
    if (hpy__trace_ctx() == NULL)
        return NULL;
    PyObject *d = PyDict_New();
    for (int i = 0; d != NULL && i < HPY__TRACE_NFUNCS; i++) {
        PyObject *v = PyLong_FromUnsignedLongLong(values[i]);
        if (v == NULL || PyDict_SetItem(d, PyTuple_GET_ITEM(state.names, i), v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *get_call_counts(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return counters_dict(state.calls);
}

static PyObject *get_durations(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return counters_dict(state.durations_ns);
}

static int set_hook(PyObject **slot, PyObject *value)
{
    if (value == NULL)
        return 0;                       /* omitted: unchanged */
    if (value != Py_None && !PyCallable_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "Expected a callable object or None");
        return -1;
    }
    Py_XSETREF(*slot, value == Py_None ? NULL : Py_NewRef(value));
    return 0;
}

static PyObject *set_trace_functions(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *kwlist[] = {"on_enter", "on_exit", NULL};
    PyObject *on_enter = NULL, *on_exit = NULL;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO:set_trace_functions", (char **)kwlist,
                                     &on_enter, &on_exit))
        return NULL;
    if (hpy__trace_ctx() == NULL)
        return NULL;
    if ((on_enter != NULL && on_enter != Py_None && !PyCallable_Check(on_enter)) ||
        (on_exit != NULL && on_exit != Py_None && !PyCallable_Check(on_exit))) {
        PyErr_SetString(PyExc_TypeError, "Expected a callable object or None");
        return NULL;
    }
    if (set_hook(&state.on_enter, on_enter) < 0 || set_hook(&state.on_exit, on_exit) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *get_frequency(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    struct timespec res;
    if (clock_getres(CLOCK_MONOTONIC_RAW, &res) != 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    /* resolution as a frequency: 1 / (tv_sec + tv_nsec * 1e-9) seconds */
    uint64_t ns = (uint64_t)res.tv_sec * 1000000000u + (uint64_t)res.tv_nsec;
    return PyLong_FromUnsignedLongLong(ns ? 1000000000u / ns : 0);
}

static PyMethodDef trace_methods[] = {
    {"get_call_counts", get_call_counts, METH_NOARGS,
     "Number of calls of each context function in trace mode"},
    {"get_durations", get_durations, METH_NOARGS,
     "Time spent in each context function in trace mode, in nanoseconds"},
    {"set_trace_functions", (PyCFunction)(void (*)(void))set_trace_functions,
     METH_VARARGS | METH_KEYWORDS,
     "Install (callable), remove (None) or keep (omitted) the on_enter and on_exit hooks"},
    {"get_frequency", get_frequency, METH_NOARGS, "Resolution of the trace clock, in Hz"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef trace_moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hpy.trace._trace",
    .m_doc = "HPy trace mode",
    .m_size = -1,
    .m_methods = trace_methods,
};

HPyAPI_IMPL PyObject *hpy__trace_module(void)
{
    return PyModule_Create(&trace_moduledef);
}
