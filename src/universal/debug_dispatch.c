/* Debug mode: the entry point of every trampoline of a module loaded with the debug context.
 * Each object argument becomes a new debug handle for the duration of the call; afterwards each
 * must still be open (an implementation closing its argument is reported) and is closed, which
 * also catches an argument kept in a global and used by a later call. A returned handle is
 * checked open (returning an argument or a constant without HPy_Dup is reported), becomes the
 * new reference CPython receives and is closed. */
#include "internal/debug.h"

/* A new debug handle for an argument object (NULL: HPy_NULL). It owns a reference, so that an
 * implementation closing it by mistake does not free the caller's object. */
static inline HPy arg_handle(PyObject *obj)
{
    if (obj == NULL)
        return HPy_NULL;
    Py_INCREF(obj);
    return hpy__debug_open(_py2h(obj));
}

static inline void close_arg(HPy h)
{
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return;
    if (HPY_DEBUG_UNLIKELY(d->closed)) {
        hpy__debug_invalid_handle();
        return;
    }
    hpy__debug_close(h);
}

/* The owned result handle as a new reference; the handle is closed. */
static inline PyObject *result_object(HPy h)
{
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return NULL;
    PyObject *obj = _h2py(d->uh);
    if (HPY_DEBUG_UNLIKELY(d->closed || d->immortal)) {
        /* A closed handle (e.g. an argument returned without HPy_Dup) or a constant: report,
         * then hand out a new reference as a correct HPy_Dup would have. */
        hpy__debug_invalid_handle();
        Py_INCREF(obj);
        return obj;
    }
    hpy__debug_mark_closed(d);      /* its reference goes to the caller */
    return obj;
}

#define HPY_TRAMP_ARG(o) arg_handle(o)
#define HPY_TRAMP_CLOSE(h) close_arg(h)
#define HPY_TRAMP_RESULT(h) result_object(h)
#define IMPL(T) _HPy_FPTR_CAST(T, func)

#define SMALL_ARGS 16

typedef struct {
    HPy small[SMALL_ARGS];
    HPy *items;
    HPy_ssize_t n;
} arg_array;

/* Debug handles for objs[0..n). */
static const HPy *open_args(arg_array *a, PyObject *const *objs, HPy_ssize_t n)
{
    a->items = a->small;
    a->n = n;
    if (n > SMALL_ARGS) {
        a->items = (HPy *)PyMem_Malloc(sizeof(HPy) * (size_t)n);
        if (a->items == NULL)
            Py_FatalError("HPy debug mode: no memory for the argument handles of a call");
    }
    for (HPy_ssize_t i = 0; i < n; i++)
        a->items[i] = arg_handle(objs[i]);
    return a->items;
}

static void close_args(arg_array *a)
{
    for (HPy_ssize_t i = 0; i < a->n; i++)
        close_arg(a->items[i]);
    if (a->items != a->small)
        PyMem_Free(a->items);
}

static const HPy *open_tuple_args(arg_array *a, PyObject *tuple)
{
    return open_args(a, ((PyTupleObject *)tuple)->ob_item, PyTuple_GET_SIZE(tuple));
}

HPyAPI_IMPL void hpy__debug_dispatch(HPyContext *ctx, HPyFunc_Signature sig, HPyCFunction func,
                                     void *args)
{
    switch (sig) {
    case HPyFunc_NOARGS: {
        _HPyFunc_args_NOARGS *a = (_HPyFunc_args_NOARGS *)args;
        HPy h_self = arg_handle(a->self);
        HPy r = IMPL(HPyFunc_noargs)(ctx, h_self);
        close_arg(h_self);
        a->result = result_object(r);
        return;
    }
    case HPyFunc_VARARGS: {
        _HPyFunc_args_VARARGS *a = (_HPyFunc_args_VARARGS *)args;
        arg_array av;
        HPy h_self = arg_handle(a->self);
        const HPy *hargs = open_args(&av, a->args, a->nargs);
        HPy r = IMPL(HPyFunc_varargs)(ctx, h_self, hargs, (size_t)a->nargs);
        close_arg(h_self);
        close_args(&av);
        a->result = result_object(r);
        return;
    }
    case HPyFunc_KEYWORDS: {
        _HPyFunc_args_KEYWORDS *a = (_HPyFunc_args_KEYWORDS *)args;
        arg_array av;
        HPy_ssize_t nargs = PyVectorcall_NARGS(a->nargsf);
        HPy_ssize_t nkw = a->kwnames != NULL ? PyTuple_GET_SIZE(a->kwnames) : 0;
        HPy h_self = arg_handle(a->self);
        HPy h_kwnames = arg_handle(a->kwnames);
        const HPy *hargs = open_args(&av, a->args, nargs + nkw);
        HPy r = IMPL(HPyFunc_keywords)(ctx, h_self, hargs, (size_t)nargs, h_kwnames);
        close_arg(h_self);
        close_arg(h_kwnames);
        close_args(&av);
        a->result = result_object(r);
        return;
    }
    case HPyFunc_INITPROC: {
        _HPyFunc_args_INITPROC *a = (_HPyFunc_args_INITPROC *)args;
        arg_array av;
        HPy h_self = arg_handle(a->self);
        HPy h_kw = arg_handle(a->kw);
        const HPy *hargs = open_tuple_args(&av, a->args);
        a->result = IMPL(HPyFunc_initproc)(ctx, h_self, hargs, av.n, h_kw);
        close_arg(h_self);
        close_arg(h_kw);
        close_args(&av);
        return;
    }
    case HPyFunc_NEWFUNC: {
        _HPyFunc_args_NEWFUNC *a = (_HPyFunc_args_NEWFUNC *)args;
        arg_array av;
        HPy h_self = arg_handle(a->self);
        HPy h_kw = arg_handle(a->kw);
        const HPy *hargs = open_tuple_args(&av, a->args);
        HPy r = IMPL(HPyFunc_newfunc)(ctx, h_self, hargs, av.n, h_kw);
        close_arg(h_self);
        close_arg(h_kw);
        close_args(&av);
        a->result = result_object(r);
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
        IMPL(HPyFunc_Capsule_Destructor)(name, PyCapsule_GetPointer(capsule, name),
                                         PyCapsule_GetContext(capsule));
        return;
    }
#include "autogen_dispatch.h"
    default:
        break;
    }
    Py_FatalError("Unsupported HPyFunc_Signature in debug_ctx_cpython.c");
}
