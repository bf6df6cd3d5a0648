/* Debug mode: the entry point of every trampoline of a module loaded with the debug context.
 * Each object argument becomes a new debug handle for the duration of the call (borrowing the
 * caller's reference); afterwards each must still be open (an implementation closing its
 * argument is reported) and is closed, which also catches an argument kept in a global and used
 * by a later call. A returned handle is
 * checked open (returning an argument or a constant without HPy_Dup is reported), becomes the
 * new reference CPython receives and is closed. */
#include "internal/debug.h"

/* A new debug handle for an argument object (NULL: HPy_NULL), borrowing the caller's reference
 * for the duration of the call. */
HPY_DEBUG_INLINE HPy arg_handle(PyObject *obj)
{
    if (obj == NULL)
        return HPy_NULL;
    return hpy__debug_open_as(_py2h(obj), HPY_DH_ARG);
}

/* After the call: an argument handle the implementation closed is reported. */
HPY_DEBUG_INLINE void close_arg(HPy h)
{
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return;
    if (HPY_DEBUG_UNLIKELY(d->state != HPY_DH_ARG)) {
        hpy__debug_invalid_handle();
        return;
    }
    hpy__debug_mark_closed(d);
}

/* The owned result handle as a new reference; the handle is closed. */
HPY_DEBUG_INLINE PyObject *result_object(HPy h)
{
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return NULL;
    PyObject *obj = _h2py(d->uh);
    if (HPY_DEBUG_UNLIKELY(d->state != HPY_DH_OPEN)) {
        /* An argument of a call still running elsewhere: returned as if duplicated (that call
         * reports it closed when it returns). A closed handle (e.g. an argument returned without
         * HPy_Dup) or a constant: reported, then handed out as if duplicated. */
        Py_INCREF(obj);
        if (d->state == HPY_DH_ARG)
            hpy__debug_mark_closed(d);
        else
            hpy__debug_invalid_handle();
        return obj;
    }
    hpy__debug_mark_closed(d);      /* its reference goes to the caller */
    return obj;
}

/* The result of a slot (but the buffer slots), getter or setter must agree with the error
 * indicator, as CPython requires of slots (its debug builds abort otherwise): HPy_NULL (or -1)
 * with an exception set, anything else without. Debug mode turns a disagreement into a
 * SystemError (the result, if any, is dropped; an exception left set becomes its cause), naming
 * the signature and the type of the object the function was called on. The one exception is
 * HPyFunc_ITERNEXTFUNC (HPy_tp_iternext), which ends an iteration by returning HPy_NULL without
 * an exception. Methods (HPyFunc_O here) are left to CPython, which checks the results of
 * calls itself. */
static void report_disagreement(const char *sig_name, PyObject *obj, int has_result)
{
    PyObject *pending = HPyCompat_GetRaisedException();     /* NULL when has_result is 0 */
    /* tp_new is called on its type; everything else on an instance */
    int on_type = strcmp(sig_name, "HPyFunc_NEWFUNC") == 0 && obj != NULL && PyType_Check(obj);
    const char *tp_name = obj == NULL ? "NULL" :
                          on_type ? ((PyTypeObject *)obj)->tp_name : Py_TYPE(obj)->tp_name;
    PyErr_Format(PyExc_SystemError, "HPy debug mode: a function of signature %s called on %s "
                 "'%.200s'%s %s", sig_name, on_type ? "type" : "a", tp_name,
                 on_type ? "" : " object",
                 has_result ? "returned a result with an exception set"
                            : "failed without setting an exception");
    if (pending != NULL) {
        PyObject *error = HPyCompat_GetRaisedException();
        Py_INCREF(pending);
        PyException_SetContext(error, pending);
        PyException_SetCause(error, pending);
        HPyCompat_SetRaisedException(error);
    }
}

HPY_DEBUG_INLINE PyObject *checked_result(HPy h, HPyFunc_Signature sig, const char *sig_name,
                                          PyObject *obj)
{
    PyObject *result = result_object(h);
    if (sig == HPyFunc_O)
        return result;
    if (result == NULL) {
        if (HPY_DEBUG_UNLIKELY(!PyErr_Occurred()) && sig != HPyFunc_ITERNEXTFUNC)
            report_disagreement(sig_name, obj, 0);
        return NULL;
    }
    if (HPY_DEBUG_UNLIKELY(PyErr_Occurred() != NULL)) {
        Py_DECREF(result);
        report_disagreement(sig_name, obj, 1);
        return NULL;
    }
    return result;
}

#define CHECKED_STATUS(TYPE) \
    HPY_DEBUG_INLINE TYPE checked_status_##TYPE(TYPE r, const char *sig_name, PyObject *obj) \
    { \
        if (HPY_DEBUG_UNLIKELY((r == -1) != (PyErr_Occurred() != NULL))) { \
            report_disagreement(sig_name, obj, r != -1); \
            return -1; \
        } \
        return r; \
    }
CHECKED_STATUS(int)
CHECKED_STATUS(HPy_ssize_t)

#define HPY_TRAMP_ARG(o) arg_handle(o)
#define HPY_TRAMP_CLOSE(h) close_arg(h)
#define HPY_TRAMP_RESULT(h, SIG, obj) checked_result(h, SIG, #SIG, obj)
#define HPY_TRAMP_STATUS(r, SIG, obj) \
    _Generic((r), int: checked_status_int, default: checked_status_HPy_ssize_t)(r, #SIG, obj)
#define IMPL(T) _HPy_FPTR_CAST(T, func)

#define SMALL_ARGS 16

/* The argument handles of a call: self, the n arguments, then one more (kwnames or kw; HPy_NULL
 * when absent), opened and closed together. */
typedef struct {
    HPy small[SMALL_ARGS + 2];
    HPy *items;
    HPy_ssize_t count;
} arg_array;

#define SELF(a) ((a)->items[0])
#define ARGS(a) ((const HPy *)(a)->items + 1)
#define LAST(a) ((a)->items[(a)->count - 1])

/* Where the handles of a call come from and go to, kept in locals (registers) while they are
 * opened or closed together, then written back to hpy__debug. */
typedef struct {
    HPy_ssize_t count;              /* hpy__debug.closed_count */
    HPy_ssize_t head;               /* hpy__debug.closed_head */
    size_t pool_len;                /* hpy__debug.pool_len */
} fifo_view;

HPY_DEBUG_INLINE void view_load(fifo_view *v)
{
    v->count = hpy__debug.closed_count;
    v->head = hpy__debug.closed_head;
    v->pool_len = hpy__debug.pool_len;
}

HPY_DEBUG_INLINE void view_store(const fifo_view *v)
{
    hpy__debug.closed_count = v->count;
    hpy__debug.closed_head = v->head;
    hpy__debug.pool_len = v->pool_len;
}

/* arg_handle() on a non-NULL object, through the view: the oldest closed handle while the FIFO
 * is full, else one from the pool (a refill goes through hpy__debug, which the view is written
 * back to around it). */
HPY_DEBUG_INLINE HPy open_arg_local(PyObject *obj, fifo_view *v, uint64_t seq)
{
    DebugHandle *d;
    if (v->count >= hpy__debug.full_at) {
        uintptr_t oldest = hpy__debug.closed_ring[v->head];
        v->head = (v->head + 1) & (hpy__debug.ring_cap - 1);
        v->count--;
        d = hpy__debug_entry_handle(oldest);
    }
    else {
        if (HPY_DEBUG_UNLIKELY(v->pool_len == 0)) {
            view_store(v);
            hpy__debug_refill();
            view_load(v);
        }
        d = hpy__debug.pool[--v->pool_len];
    }
    d->uh = _py2h(obj);
    d->seq = seq;
    d->state = HPY_DH_ARG;
    return _hconv((intptr_t)d);
}

/* Open the handles of self, objs[0..n) (none NULL) and last (may be NULL). The same work as
 * arg_handle() on each, through a view of the FIFO and the pool; the handles of one call share
 * a creation number. */
HPY_DEBUG_INLINE void open_args(arg_array *a, PyObject *self, PyObject *const *objs, HPy_ssize_t n,
                      PyObject *last)
{
    HPy *items = a->small;
    a->count = n + 2;
    if (n > SMALL_ARGS) {
        items = (HPy *)PyMem_Malloc(sizeof(HPy) * (size_t)(n + 2));
        if (items == NULL)
            Py_FatalError("HPy debug mode: no memory for the argument handles of a call");
    }
    a->items = items;
    if (HPY_DEBUG_UNLIKELY(hpy__debug.stack_limit > 0)) {
        items[0] = arg_handle(self);
        for (HPy_ssize_t i = 0; i < n; i++)
            items[i + 1] = arg_handle(objs[i]);
        items[n + 1] = arg_handle(last);
        return;
    }
    fifo_view v;
    view_load(&v);
    uint64_t seq = hpy__debug.seq++;       /* one creation number for the call's handles */
    items[0] = open_arg_local(self, &v, seq);
    for (HPy_ssize_t i = 0; i < n; i++)
        items[i + 1] = open_arg_local(objs[i], &v, seq);
    items[n + 1] = last != NULL ? open_arg_local(last, &v, seq) : HPy_NULL;
    view_store(&v);
}

static void open_tuple_args(arg_array *a, PyObject *self, PyObject *tuple, PyObject *last)
{
    open_args(a, self, ((PyTupleObject *)tuple)->ob_item, PyTuple_GET_SIZE(tuple), last);
}

/* close_arg() on each handle. Plain handles are appended through a view of the FIFO and the
 * pool (evicting the oldest closed handle while the FIFO is full); the first that needs more (a
 * misuse, extras, a ring to grow, a maximum of 0) and the ones after it go through close_arg(). */
HPY_DEBUG_INLINE void close_args(arg_array *a)
{
    HPy_ssize_t i = 0, n = a->count;
    uintptr_t *ring = hpy__debug.closed_ring;
    DebugHandle **pool = hpy__debug.pool;
    HPy_ssize_t cap = hpy__debug.ring_cap, mask = cap - 1, full_at = hpy__debug.full_at;
    int no_fifo = hpy__debug.closed_max == 0;
    fifo_view v;
    view_load(&v);
    for (; i < n; i++) {
        DebugHandle *d = hpy__debug_handle(a->items[i]);
        if (d == NULL)
            continue;
        if (HPY_DEBUG_UNLIKELY(d->state != HPY_DH_ARG || d->extras != NULL))
            break;
        if (v.count >= full_at) {
            uintptr_t oldest = ring[v.head];
            v.head = (v.head + 1) & mask;
            ring[(v.head + v.count - 1) & mask] = (uintptr_t)d;
            pool[v.pool_len++] = hpy__debug_entry_handle(oldest);
        }
        else if (HPY_DEBUG_UNLIKELY(v.count == cap || no_fifo)) {
            break;
        }
        else {
            ring[(v.head + v.count) & mask] = (uintptr_t)d;
            v.count++;
        }
        d->state = HPY_DH_CLOSED;
    }
    view_store(&v);
    for (; i < n; i++)
        close_arg(a->items[i]);
    if (a->items != a->small)
        PyMem_Free(a->items);
}

/* The most frequent signatures: the two smallest inline, the others in functions of their own
 * (one large function would make every call pay for the registers and stack of the largest
 * case). ctx: the context handed to the implementation. */
#define HPY_DEBUG_NOINLINE static __attribute__((noinline))

HPY_DEBUG_INLINE void call_noargs(HPyContext *ctx, HPyCFunction func, void *args)
{
    _HPyFunc_args_NOARGS *a = (_HPyFunc_args_NOARGS *)args;
    HPy h_self = arg_handle(a->self);
    HPy r = IMPL(HPyFunc_noargs)(ctx, h_self);
    close_arg(h_self);
    a->result = result_object(r);
}

HPY_DEBUG_INLINE void call_o(HPyContext *ctx, HPyCFunction func, void *args)
{
    _HPyFunc_args_O *a = (_HPyFunc_args_O *)args;
    arg_array av;
    open_args(&av, a->self, &a->arg, 1, NULL);
    HPy r = IMPL(HPyFunc_o)(ctx, SELF(&av), ARGS(&av)[0]);
    close_args(&av);
    a->result = result_object(r);
}

HPY_DEBUG_NOINLINE void call_varargs(HPyContext *ctx, HPyCFunction func, void *args)
{
    _HPyFunc_args_VARARGS *a = (_HPyFunc_args_VARARGS *)args;
    arg_array av;
    open_args(&av, a->self, a->args, a->nargs, NULL);
    HPy r = IMPL(HPyFunc_varargs)(ctx, SELF(&av), ARGS(&av), (size_t)a->nargs);
    close_args(&av);
    a->result = result_object(r);
}

HPY_DEBUG_NOINLINE void call_keywords(HPyContext *ctx, HPyCFunction func, void *args)
{
    _HPyFunc_args_KEYWORDS *a = (_HPyFunc_args_KEYWORDS *)args;
    arg_array av;
    HPy_ssize_t nargs = PyVectorcall_NARGS(a->nargsf);
    HPy_ssize_t nkw = a->kwnames != NULL ? PyTuple_GET_SIZE(a->kwnames) : 0;
    open_args(&av, a->self, a->args, nargs + nkw, a->kwnames);
    HPy r = IMPL(HPyFunc_keywords)(ctx, SELF(&av), ARGS(&av), (size_t)nargs, LAST(&av));
    close_args(&av);
    a->result = result_object(r);
}

/* Every other signature. */
HPY_DEBUG_NOINLINE void dispatch(HPyContext *ctx, HPyFunc_Signature sig, HPyCFunction func,
                                 void *args)
{
    switch (sig) {
    case HPyFunc_INITPROC: {
        _HPyFunc_args_INITPROC *a = (_HPyFunc_args_INITPROC *)args;
        arg_array av;
        open_tuple_args(&av, a->self, a->args, a->kw);
        int r = IMPL(HPyFunc_initproc)(ctx, SELF(&av), ARGS(&av), av.count - 2, LAST(&av));
        close_args(&av);
        a->result = HPY_TRAMP_STATUS(r, HPyFunc_INITPROC, a->self);
        return;
    }
    case HPyFunc_NEWFUNC: {
        _HPyFunc_args_NEWFUNC *a = (_HPyFunc_args_NEWFUNC *)args;
        arg_array av;
        open_tuple_args(&av, a->self, a->args, a->kw);
        HPy r = IMPL(HPyFunc_newfunc)(ctx, SELF(&av), ARGS(&av), av.count - 2, LAST(&av));
        close_args(&av);
        a->result = HPY_TRAMP_RESULT(r, HPyFunc_NEWFUNC, a->self);
        return;
    }
    case HPyFunc_GETBUFFERPROC: {
        /* The implementation puts an owned handle in buffer.obj: it becomes view->obj. */
        _HPyFunc_args_GETBUFFERPROC *a = (_HPyFunc_args_GETBUFFERPROC *)args;
        HPy_buffer hbuf;
        HPy h_self = arg_handle(a->self);
        int res = IMPL(HPyFunc_getbufferproc)(ctx, h_self, &hbuf, a->flags);
        close_arg(h_self);
        if (res >= 0)
            hbuf.obj = _py2h(result_object(hbuf.obj));
        a->result = _HPyBuffer_ToPy(res, &hbuf, a->view);
        return;
    }
    case HPyFunc_RELEASEBUFFERPROC: {
        _HPyFunc_args_RELEASEBUFFERPROC *a = (_HPyFunc_args_RELEASEBUFFERPROC *)args;
        HPy_buffer hbuf;
        _HPyBuffer_FromPy(a->view, &hbuf);
        HPy h_obj = arg_handle(_h2py(hbuf.obj));
        hbuf.obj = h_obj;
        HPy h_self = arg_handle(a->self);
        IMPL(HPyFunc_releasebufferproc)(ctx, h_self, &hbuf);
        close_arg(h_self);
        close_arg(h_obj);
        return;
    }
    case HPyFunc_TRAVERSEPROC: {
        _HPyFunc_args_TRAVERSEPROC *a = (_HPyFunc_args_TRAVERSEPROC *)args;
        a->result = call_traverseproc_from_trampoline(IMPL(HPyFunc_traverseproc), a->self,
                                                      a->visit, a->arg);
        return;
    }
    case HPyFunc_MOD_CREATE: {
        _HPyFunc_args_MOD_CREATE *a = (_HPyFunc_args_MOD_CREATE *)args;
        HPy h_spec = arg_handle(a->spec);
        HPy r = IMPL(HPyFunc_mod_create)(ctx, h_spec);
        close_arg(h_spec);
        a->result = _HPyModule_CheckCreateSlotResult(result_object(r));
        return;
    }
    case HPyFunc_CAPSULE_DESTRUCTOR: {
        PyObject *capsule = (PyObject *)args;
        const char *name = PyCapsule_GetName(capsule);
        _HPY_RESTRICTED_BEGIN("capsule destructor", NULL, name, func)
        IMPL(HPyFunc_Capsule_Destructor)(name, PyCapsule_GetPointer(capsule, name),
                                         PyCapsule_GetContext(capsule));
        _HPY_RESTRICTED_END
        return;
    }
#include "autogen_dispatch.h"
    default:
        break;
    }
    Py_FatalError("Unsupported HPyFunc_Signature in debug_ctx_cpython.c");
}

/* Every call gets the next context of the ring, valid on this thread until it returns. */
HPyAPI_IMPL void hpy__debug_dispatch(HPyContext *ctx, HPyFunc_Signature sig, HPyCFunction func,
                                     void *args)
{
    (void)ctx;
    _HPyThreadCall saved;
    HPyContext *call_ctx = hpy__debug_call_enter(&saved);
    switch (sig) {
    case HPyFunc_O: call_o(call_ctx, func, args); break;
    case HPyFunc_NOARGS: call_noargs(call_ctx, func, args); break;
    case HPyFunc_VARARGS: call_varargs(call_ctx, func, args); break;
    case HPyFunc_KEYWORDS: call_keywords(call_ctx, func, args); break;
    default: dispatch(call_ctx, sig, func, args); break;
    }
    hpy__debug_call_leave(&saved);
}
