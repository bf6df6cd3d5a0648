/* Trace mode: a context that counts and times every call into the universal context, and the
 * hpy.universal._trace module that reports it (python-contract.md §10). Handles are the
 * universal ones, so a module loaded in trace mode also calls its implementations directly.
 *
 * Counts are exact. Durations are exact by default: every call is timed. A user may opt into
 * sampling (set_duration_sampling(n), n > 1): the calls picked by a pseudo-random countdown
 * whose gaps have mean n are timed, and the others cost nothing but a counter and a countdown.
 * Each setting of the sampling starts a period; a function's reported duration is, summed over
 * the periods, the time of its timed calls scaled by its calls / its timed calls (exact when
 * every call was timed; docs/runtime.md). */
#include "internal/runtime.h"

#include <time.h>

/* What the slow path of one call carries from before the call to after it. */
typedef struct {
    int timed;
    uint64_t period;
    uint64_t start;             /* clock reading, ns */
} hpy__trace_probe;

static inline int hpy__trace_tick(int index);
static inline HPyContext *hpy__trace_universal(void);
static HPyContext *hpy__trace_enter(int index, hpy__trace_probe *probe);
static void hpy__trace_exit(int index, hpy__trace_probe *probe);
/* Slow-path wrappers keep the signature of their fast one, so that the fast path reaches them
 * with a plain jump. */
#if defined(__has_attribute) && __has_attribute(noipa)
#  define HPY__TRACE_SLOW __attribute__((cold, noipa))
#else
#  define HPY__TRACE_SLOW __attribute__((cold, noinline))
#endif

#include "autogen_trace_ctx.h"

/* The mean gap between timed calls when nothing else was asked: every call is timed, so that
 * durations are exact unless the user trades exactness for speed (docs/runtime.md). */
#define DEFAULT_SAMPLING 1
/* Gaps are drawn in [1, 2 * sampling - 1], which must fit the 32-bit countdowns. */
#define MAX_SAMPLING (UINT32_C(1) << 31)
#define HPY__TRACE_STR_(x) #x
#define HPY__TRACE_STR(x) HPY__TRACE_STR_(x)

/* ctx->_private of the trace context: the runtime's marker first (handles are object pointers),
 * then the trace state. */
typedef struct {
    _HPyRuntimeInfo info;
    HPyContext *universal;
    /* Calls left until the next one that takes the slow path (the fast path stops at 0). Without
     * hooks that call is timed; with hooks every call takes the slow path (countdown stays 1) and
     * until_timed counts the calls left until the next timed one. Neither is 0 between calls. */
    uint32_t countdown;
    uint32_t until_timed;
    uint32_t sampling;          /* mean gap between timed calls, >= 1 */
    uint64_t rng;               /* xorshift64 state, never 0 */
    uint64_t period;            /* number of the current sampling period */
    uint64_t calls[HPY__TRACE_NFUNCS];
    /* Per function, for the current period: calls before it began, calls chosen for timing
     * (counted on entry), total duration of the timed calls that ended; and the estimated
     * duration of the earlier periods. */
    uint64_t period_start[HPY__TRACE_NFUNCS];
    uint64_t timed_calls[HPY__TRACE_NFUNCS];
    uint64_t timed_ns[HPY__TRACE_NFUNCS];
    uint64_t earlier_ns[HPY__TRACE_NFUNCS];
    PyObject *on_enter;         /* callable or NULL */
    PyObject *on_exit;
    PyObject *clock;            /* callable replacing the monotonic clock (tests), or NULL */
    PyObject *names;            /* tuple of the ctx field names, created on first use */
} trace_state;

static struct _HPyContext_s trace_ctx;
static trace_state state = {
    .info = { _HPY_RUNTIME_INFO_MAGIC, _HPY_RUNTIME_OBJECT_HANDLES },
    .countdown = 1,
    .until_timed = 1,
    .sampling = DEFAULT_SAMPLING,
    .rng = UINT64_C(0x9e3779b97f4a7c15),
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

/* ---- the calls ------------------------------------------------------------------------ */

static inline int hpy__trace_tick(int index)
{
    state.calls[index]++;
    return __builtin_expect(--state.countdown == 0, 0);
}

static inline HPyContext *hpy__trace_universal(void)
{
    return state.universal;
}

/* The number of calls up to and including the next timed one: uniform in [1, 2 * sampling - 1]
 * (mean `sampling`), so that no periodic pattern of calls can line up with the timed ones. */
static uint32_t draw_gap(void)
{
    if (state.sampling == 1)
        return 1;
    uint64_t x = state.rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state.rng = x;
    uint64_t span = 2 * (uint64_t)state.sampling - 1;
    return 1 + (uint32_t)(((x >> 32) * span) >> 32);
}

static int hooks_installed(void)
{
    return state.on_enter != NULL || state.on_exit != NULL;
}

/* The clock installed by _set_clock: its reading in ns. A failure (an exception, a result that
 * is not an int from 0 to 2**64 - 1) is reported as unraisable and reads 0. The exception of the
 * traced call, if any, survives it. */
static uint64_t injected_clock(void)
{
    PyObject *exc = HPyCompat_GetRaisedException();
    PyObject *clock = Py_NewRef(state.clock);       /* it may replace itself */
    PyObject *res = PyObject_CallNoArgs(clock);
    uint64_t ns = res != NULL ? PyLong_AsUnsignedLongLong(res) : 0;
    if (PyErr_Occurred()) {
        PyErr_WriteUnraisable(clock);
        ns = 0;
    }
    Py_XDECREF(res);
    Py_DECREF(clock);
    HPyCompat_SetRaisedException(exc);
    return ns;
}

/* The clock's reading in ns. */
static uint64_t now(const char *where)
{
    if (state.clock != NULL)
        return injected_clock();
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC_RAW, &t) != 0) {
        printf("Could not get monotonic clock in %s\n", where);
        fflush(stdout);
        Py_FatalError("could not get monotonic clock123");
    }
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* A hook failing is fatal (python-contract.md §10). It runs with no exception set; the exception
 * of the traced call, if any, is set again afterwards. */
static void call_hook(PyObject *hook, int index, const char *error)
{
    PyObject *exc = HPyCompat_GetRaisedException();
    Py_INCREF(hook);                /* it may uninstall itself */
    PyObject *res = PyObject_CallOneArg(hook, PyTuple_GET_ITEM(state.names, index));
    Py_DECREF(hook);
    if (res == NULL)
        Py_FatalError(error);
    Py_DECREF(res);
    HPyCompat_SetRaisedException(exc);
}

/* The slow path before a call (already counted): picks the next slow call before anything can
 * re-enter the context, then on_enter, then the clock when the call is timed. */
static HPyContext *hpy__trace_enter(int index, hpy__trace_probe *probe)
{
    if (hooks_installed()) {
        state.countdown = 1;
        probe->timed = --state.until_timed == 0;
        if (probe->timed)
            state.until_timed = draw_gap();
    } else {
        state.countdown = draw_gap();
        probe->timed = 1;
    }
    if (probe->timed) {
        state.timed_calls[index]++;
        probe->period = state.period;
    }
    if (state.on_enter != NULL)
        call_hook(state.on_enter, index, "error when executing on-enter trace function");
    if (probe->timed)
        probe->start = now(hpy__ctx_function_names[index]);
    return state.universal;
}

static void hpy__trace_exit(int index, hpy__trace_probe *probe)
{
    if (probe->timed) {
        uint64_t end = now(hpy__ctx_function_names[index]);
        uint64_t ns = end >= probe->start ? end - probe->start : 0;
        /* a call that began in an earlier period adds its own time, unscaled, to the past */
        if (probe->period == state.period)
            state.timed_ns[index] += ns;
        else
            state.earlier_ns[index] += ns;
    }
    if (state.on_exit != NULL)
        call_hook(state.on_exit, index, "error when executing on-exit trace function");
}

/* ---- hpy.universal._trace ------------------------------------------------------------- */

/* The estimated duration of function i in the current period, in ns: exact when every call
 * was timed, 0 while none was. */
static uint64_t period_ns(int i)
{
    uint64_t timed = state.timed_calls[i], calls = state.calls[i] - state.period_start[i];
    if (timed == 0)
        return 0;
    if (timed >= calls)
        return state.timed_ns[i];
    return (uint64_t)((double)state.timed_ns[i] * ((double)calls / (double)timed) + 0.5);
}

static uint64_t estimated_ns(int i)
{
    return state.earlier_ns[i] + period_ns(i);
}

static PyObject *names_dict(uint64_t (*value)(int))
{
    if (hpy__trace_ctx() == NULL)
        return NULL;
    PyObject *d = PyDict_New();
    for (int i = 0; d != NULL && i < HPY__TRACE_NFUNCS; i++) {
        PyObject *v = PyLong_FromUnsignedLongLong(value(i));
        if (v == NULL || PyDict_SetItem(d, PyTuple_GET_ITEM(state.names, i), v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

static uint64_t call_count(int i)
{
    return state.calls[i];
}

static PyObject *get_call_counts(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return names_dict(call_count);
}

static PyObject *get_durations(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return names_dict(estimated_ns);
}

static void set_hook(PyObject **slot, PyObject *value)
{
    if (value != NULL)                  /* omitted: unchanged */
        Py_XSETREF(*slot, value == Py_None ? NULL : Py_NewRef(value));
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
    int had_hooks = hooks_installed();
    set_hook(&state.on_enter, on_enter);
    set_hook(&state.on_exit, on_exit);
    if (!had_hooks && hooks_installed()) {
        state.until_timed = state.countdown;
        state.countdown = 1;
    }
    else if (had_hooks && !hooks_installed()) {
        state.countdown = state.until_timed;
    }
    Py_RETURN_NONE;
}

static PyObject *set_duration_sampling(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_ssize_t n = PyNumber_AsSsize_t(arg, NULL);       /* out of range: clamped */
    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (n < 1 || (uint64_t)n > MAX_SAMPLING) {
        PyErr_Format(PyExc_ValueError,
                     "duration sampling must be from 1 (time every call) to %llu, got %R",
                     (unsigned long long)MAX_SAMPLING, arg);
        return NULL;
    }
    for (int i = 0; i < HPY__TRACE_NFUNCS; i++) {
        state.earlier_ns[i] += period_ns(i);
        state.period_start[i] = state.calls[i];
        state.timed_calls[i] = 0;
        state.timed_ns[i] = 0;
    }
    state.period++;
    state.sampling = (uint32_t)n;
    if (hooks_installed())
        state.until_timed = draw_gap();
    else
        state.countdown = draw_gap();
    Py_RETURN_NONE;
}

static PyObject *get_duration_sampling(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return PyLong_FromUnsignedLong(state.sampling);
}

/* Tests only: None restores the monotonic clock; a callable returning nanoseconds replaces it,
 * so that durations can be checked exactly. */
static PyObject *set_clock(PyObject *self, PyObject *clock)
{
    (void)self;
    if (clock != Py_None && !PyCallable_Check(clock)) {
        PyErr_SetString(PyExc_TypeError, "Expected a callable object or None");
        return NULL;
    }
    Py_XSETREF(state.clock, clock == Py_None ? NULL : Py_NewRef(clock));
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
     "Time spent in each context function in trace mode, in nanoseconds (exact while the "
     "duration sampling is 1, the default; estimated from the timed calls otherwise)"},
    {"set_trace_functions", (PyCFunction)(void (*)(void))set_trace_functions,
     METH_VARARGS | METH_KEYWORDS,
     "Install (callable), remove (None) or keep (omitted) the on_enter and on_exit hooks"},
    {"set_duration_sampling", set_duration_sampling, METH_O,
     "set_duration_sampling(n): from now on, time one call in n on average, at pseudo-random "
     "gaps, and scale the measured durations up to all calls; 1 times every call exactly"},
    {"get_duration_sampling", get_duration_sampling, METH_NOARGS,
     "The mean gap between timed calls (1: every call is timed; default "
     HPY__TRACE_STR(DEFAULT_SAMPLING) ")"},
    {"get_frequency", get_frequency, METH_NOARGS, "Resolution of the trace clock, in Hz"},
    {"_set_clock", set_clock, METH_O,
     "_set_clock(clock): for tests, time calls with clock() (an int in ns) instead of the "
     "monotonic clock; None restores it"},
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
