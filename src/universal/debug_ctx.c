/* Debug mode: the debug context. Every function member is a wrapper around the universal
 * context: generated (autogen_debug_ctx.h) for most, written here for the members listed in
 * DEBUG_MANUAL of tools/autogen.py: Dup and Close, builders, trackers, the members taking arrays
 * of handles and the raw-data copies. The trampolines' entry point is the debug dispatcher
 * itself (debug_dispatch.c). */
#include "internal/debug.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <unistd.h>

/* Argument checks of python-contract.md §11.2 (called with unwrapped handles). */
static void hpy__debug_check_type(HPyContext *ctx, HPy uh, const char *message)
{
    (void)ctx;
    if (uh._i == 0 || !PyType_Check(_h2py(uh)))
        hpy__debug_fatal(message);
}

static void hpy__debug_check_unicode(HPyContext *ctx, HPy uh, const char *message)
{
    (void)ctx;
    if (uh._i == 0 || !PyUnicode_Check(_h2py(uh)))
        hpy__debug_fatal(message);
}

static void hpy__debug_check_exception_or_null(HPyContext *ctx, HPy uh, const char *message)
{
    (void)ctx;
    if (uh._i != 0 && !PyExceptionInstance_Check(_h2py(uh)))
        hpy__debug_fatal(message);
}

static const char *shape_name(HPyType_BuiltinShape shape)
{
    switch (shape) {
    case HPyType_BuiltinShape_Legacy: return "HPyType_BuiltinShape_Legacy";
    case HPyType_BuiltinShape_Object: return "HPyType_BuiltinShape_Object";
    case HPyType_BuiltinShape_Type: return "HPyType_BuiltinShape_Type";
    case HPyType_BuiltinShape_Long: return "HPyType_BuiltinShape_Long";
    case HPyType_BuiltinShape_Float: return "HPyType_BuiltinShape_Float";
    case HPyType_BuiltinShape_Unicode: return "HPyType_BuiltinShape_Unicode";
    case HPyType_BuiltinShape_Tuple: return "HPyType_BuiltinShape_Tuple";
    case HPyType_BuiltinShape_List: return "HPyType_BuiltinShape_List";
    case HPyType_BuiltinShape_Dict: return "HPyType_BuiltinShape_Dict";
    }
    return "<unknown shape>";
}

/* What the checks below need to know of a type, kept for the types seen lately (a small table
 * indexed by the type's address: a module usually works with a few types in turn), by the type's
 * key (_HPyTypeKey; a type without a version tag is never kept). */
typedef struct {
    _HPyTypeKey key;
    HPyType_BuiltinShape shape;
    int fields_visible;             /* _HPyType_FieldsVisible() */
} type_facts;

#define SEEN_BITS 4
static type_facts seen[1 << SEEN_BITS];

/* A type missing from the table: its facts, kept unless it has no version tag. */
HPY_DEBUG_COLD const type_facts *facts_miss(PyTypeObject *tp, type_facts *slot)
{
    static type_facts untagged;
    type_facts *f = tp->tp_version_tag != 0 ? slot : &untagged;
    _HPyTypeKey_Set(&f->key, tp);
    f->shape = ctx_Type_GetBuiltinShape(hpy__debug.uctx, _py2h((PyObject *)tp));
    f->fields_visible = _HPyType_FieldsVisible(tp);
    return f;
}

HPY_DEBUG_INLINE const type_facts *facts_of(PyTypeObject *tp)
{
    type_facts *slot = &seen[hpy__type_slot(tp, SEEN_BITS)];
    if (_HPyTypeKey_Is(&slot->key, tp))
        return slot;
    return facts_miss(tp, slot);
}

HPY_DEBUG_COLD void report_shape(HPyType_BuiltinShape expected, HPyType_BuiltinShape actual,
                                 const char *function)
{
    char message[256];
    snprintf(message, sizeof(message), "Invalid usage of %s. Expected shape %s but got %s",
             function, shape_name(expected), shape_name(actual));
    hpy__debug_fatal(message);
}

/* _HPy_AsStruct_<S> needs an object whose type has the builtin shape S. */
HPY_DEBUG_INLINE void hpy__debug_check_shape(HPyContext *ctx, HPy uh,
                                             HPyType_BuiltinShape expected, const char *function)
{
    (void)ctx;
    if (uh._i == 0)
        return;
    HPyType_BuiltinShape actual = facts_of(Py_TYPE(_h2py(uh)))->shape;
    if (HPY_DEBUG_UNLIKELY(actual != expected))
        report_shape(expected, actual, function);
}

HPY_DEBUG_COLD void report_fields_hidden(PyTypeObject *tp, const char *function)
{
    char message[512];
    snprintf(message, sizeof(message),
             "Invalid usage of %s: instances of type '%.200s' hold objects in HPyFields, but "
             "the type declares no HPy_tp_traverse, so the garbage collector cannot see them",
             function, tp->tp_name);
    hpy__debug_fatal(message);
}

/* The type of the object a field is stored into must let the garbage collector see its fields
 * (python-contract.md §11.2 goes no further; docs/gc-regime.md). */
HPY_DEBUG_INLINE void hpy__debug_check_holds_objects(HPyContext *ctx, HPy uh,
                                                     const char *function)
{
    (void)ctx;
    if (uh._i == 0)
        return;
    PyTypeObject *tp = Py_TYPE(_h2py(uh));
    if (HPY_DEBUG_UNLIKELY(facts_of(tp)->fields_visible == 0))
        report_fields_hidden(tp, function);
}

static void hpy__debug_check_kwnames(HPy ukwnames, const char *message)
{
    if (ukwnames._i != 0 && !PyTuple_Check(_h2py(ukwnames)))
        hpy__debug_fatal(message);
}

static HPy hpy__debug_constant(HPyContext *ctx, HPy uh);

#include "autogen_debug_ctx.h"

/* ---- context ---------------------------------------------------------------------------- */

#define HPY__DEBUG_MAX_CONSTANTS 128
static DebugHandle constants[HPY__DEBUG_MAX_CONSTANTS];
static int nconstants;
static struct _HPyContext_s debug_ctx;
HPyAPI_IMPL struct _HPyContext_s hpy__debug_call_ctxs[HPY_DEBUG_CALL_CONTEXTS];
HPyAPI_IMPL unsigned int hpy__debug_next_call_ctx;

/* The context constants: immortal handles, outside the chunks, never closed. */
static HPy hpy__debug_constant(HPyContext *ctx, HPy uh)
{
    (void)ctx;
    if (nconstants == HPY__DEBUG_MAX_CONSTANTS)
        Py_FatalError("HPy debug mode: too many context constants");
    DebugHandle *d = &constants[nconstants++];
    d->uh = uh;
    d->state = HPY_DH_IMMORTAL;
    return _hconv((intptr_t)d);
}

HPyAPI_IMPL HPyContext *hpy__debug_ctx(void)
{
    if (debug_ctx.name == NULL) {
        HPyContext *u = hpy__universal_ctx();
        if (u == NULL) {
            PyErr_SetString(PyExc_SystemError, "Could not create debug context");
            return NULL;
        }
        hpy__debug.uctx = u;
        hpy__fill_debug_ctx(&debug_ctx, u);
        debug_ctx._private = &hpy__debug;
        debug_ctx.abi_version = HPY_ABI_VERSION;
        debug_ctx.name = "HPy Debug Mode ABI";
        for (int i = 0; i < HPY_DEBUG_CALL_CONTEXTS; i++)
            hpy__debug_call_ctxs[i] = debug_ctx;
        hpy__debug_ctx_created = 1;
    }
    return &debug_ctx;
}

/* ---- contexts used where they are not valid ----------------------------------------------- */

/* "file" or "file: symbol" for the code at address f (the symbol only when exported). */
static void describe_function(HPyCFunction f, char *out, size_t size)
{
    Dl_info info;
    void *addr = NULL;
    memcpy(&addr, &f, sizeof(addr) < sizeof(f) ? sizeof(addr) : sizeof(f));
    if (addr == NULL || dladdr(addr, &info) == 0 || info.dli_fname == NULL) {
        snprintf(out, size, "at %p", addr);
        return;
    }
    if (info.dli_sname != NULL && info.dli_saddr == addr)
        snprintf(out, size, "%s in %s", info.dli_sname, info.dli_fname);
    else
        snprintf(out, size, "at %p in %s", addr, info.dli_fname);
}

static _HPy_NO_RETURN void report_restricted(const _HPyRestricted *r, const char *api)
{
    char where[1024], function[600];
    describe_function(r->func, function, sizeof(function));
    if (r->type != NULL)
        snprintf(where, sizeof(where), "%s of type '%.200s' (%.500s)", r->what, r->type->tp_name,
                 function);
    else
        snprintf(where, sizeof(where), "%s of capsule '%.200s' (%.500s)", r->what,
                 r->capsule != NULL ? r->capsule : "<unnamed>", function);
    char message[1600];
    snprintf(message, sizeof(message),
             "%s called from %s: tp_traverse, tp_destroy and capsule destructors get no HPy "
             "context and must not use the HPy API (the garbage collector may run them where no "
             "context is valid)", api, where);
    hpy__debug_fatal(message);
}

static _HPy_NO_RETURN void report_wrong_context(const char *api)
{
    static const char head[] = "Error: Wrong HPy Context!\n";
    char line[300];
    int n = snprintf(line, sizeof(line),
                     "%s was called with a debug context that is not the one of the call running "
                     "on this thread (one kept from an earlier call, the caller's context during "
                     "an inner call, or another thread's)\n", api);
    ssize_t ignored = write(2, head, sizeof(head) - 1);
    ignored = write(2, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    void *frames[16];
    int nframes = backtrace(frames, 16);
    backtrace_symbols_fd(frames, nframes, 2);
    (void)ignored;
    abort();
}

HPyAPI_IMPL void hpy__debug_check_context(HPyContext *ctx, const char *api)
{
    const _HPyRestricted *r = hpy__thread_call.restricted;
    if (r != NULL)
        report_restricted(r, api);
    if (ctx == &debug_ctx)
        return;
    report_wrong_context(api);
}

/* ---- handles ------------------------------------------------------------------------------ */

static HPy hpy__debug_Dup(HPyContext *ctx, HPy h)
{
    (void)hpy__debug_uctx(ctx, "HPy_Dup");
    HPy uh = hpy__debug_unwrap(ctx, h);
    if (uh._i == 0)
        return HPy_NULL;
    Py_INCREF(_h2py(uh));
    return hpy__debug_open(uh);
}

static void hpy__debug_Close(HPyContext *ctx, HPy h)
{
    (void)hpy__debug_uctx(ctx, "HPy_Close");
    hpy__debug_close(h);
}

/* ---- raw data: a private copy owned by the handle (released when it is closed) ------------- */

static const char *raw_copy(HPy h, const char *data, HPy_ssize_t size, const char *origin)
{
    DebugHandle *d = hpy__debug_handle(h);
    if (d->state >= HPY_DH_CLOSED)
        return data;                /* reported already; nothing to attach the copy to */
    DebugHandleExtras *e = hpy__debug_extras(d);
    if (e == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (e->raw_data != NULL)
        return e->raw_data;         /* str and bytes are immutable: the same content */
    return hpy__debug_raw_copy(e, data, size, origin);
}

static const char *hpy__debug_Unicode_AsUTF8AndSize(HPyContext *ctx, HPy h, HPy_ssize_t *size)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyUnicode_AsUTF8AndSize");
    HPy_ssize_t n = 0;
    const char *s = ctx_Unicode_AsUTF8AndSize(u, hpy__debug_unwrap(ctx, h), &n);
    if (s == NULL)
        return NULL;
    if (size != NULL)
        *size = n;
    return raw_copy(h, s, n + 1, "HPyUnicode_AsUTF8AndSize");
}

static const char *bytes_copy(HPy h, const char *s, const char *origin)
{
    if (s == NULL)
        return NULL;
    return raw_copy(h, s, PyBytes_GET_SIZE(_h2py(hpy__debug_handle(h)->uh)) + 1, origin);
}

static const char *hpy__debug_Bytes_AsString(HPyContext *ctx, HPy h)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyBytes_AsString");
    return bytes_copy(h, ctx_Bytes_AsString(u, hpy__debug_unwrap(ctx, h)),
                      "HPyBytes_AsString");
}

static const char *hpy__debug_Bytes_AS_STRING(HPyContext *ctx, HPy h)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyBytes_AS_STRING");
    return bytes_copy(h, ctx_Bytes_AS_STRING(u, hpy__debug_unwrap(ctx, h)),
                      "HPyBytes_AS_STRING");
}

static const char *hpy__debug_Type_GetName(HPyContext *ctx, HPy type)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyType_GetName");
    HPy utype = hpy__debug_unwrap(ctx, type);
    hpy__debug_check_type(ctx, utype, "HPyType_GetName arg must be a type");
    const char *name = ctx_Type_GetName(u, utype);
    if (name == NULL)
        return NULL;
    return raw_copy(type, name, (HPy_ssize_t)strlen(name) + 1, "HPyType_GetName");
}

/* ---- arrays of handles -------------------------------------------------------------------- */

#define SMALL_ARRAY 16

typedef struct {
    HPy small[SMALL_ARRAY];
    HPy *items;
} handle_array;

/* The universal handles of items[0..n) (NULL with MemoryError if they do not fit). */
static HPy *unwrap_array(HPyContext *ctx, handle_array *a, const HPy *items, HPy_ssize_t n)
{
    a->items = a->small;
    if (n > SMALL_ARRAY) {
        a->items = (HPy *)PyMem_Malloc(sizeof(HPy) * (size_t)n);
        if (a->items == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
    }
    for (HPy_ssize_t i = 0; i < n; i++)
        a->items[i] = hpy__debug_unwrap(ctx, items[i]);
    return a->items;
}

static void free_array(handle_array *a)
{
    if (a->items != a->small)
        PyMem_Free(a->items);
}

static HPy hpy__debug_Tuple_FromArray(HPyContext *ctx, const HPy *items, HPy_ssize_t n)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyTuple_FromArray");
    handle_array a;
    HPy *uitems = unwrap_array(ctx, &a, items, n);
    if (uitems == NULL)
        return HPy_NULL;
    HPy r = ctx_Tuple_FromArray(u, uitems, n);
    free_array(&a);
    return hpy__debug_wrap(ctx, r);
}

static HPy_ssize_t kwnames_count(HPy ukwnames)
{
    return ukwnames._i == 0 ? 0 : PyTuple_GET_SIZE(_h2py(ukwnames));
}

static HPy hpy__debug_Call(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs,
                           HPy kwnames)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPy_Call");
    HPy ucallable = hpy__debug_unwrap(ctx, callable);
    HPy ukwnames = hpy__debug_unwrap(ctx, kwnames);
    hpy__debug_check_kwnames(ukwnames, "HPy_Call arg 'kwnames' must be a tuple object or HPy_NULL");
    handle_array a;
    HPy *uargs = unwrap_array(ctx, &a, args, (HPy_ssize_t)nargs + kwnames_count(ukwnames));
    if (uargs == NULL)
        return HPy_NULL;
    HPy r = ctx_Call(u, ucallable, uargs, nargs, ukwnames);
    free_array(&a);
    return hpy__debug_wrap(ctx, r);
}

static HPy hpy__debug_CallMethod(HPyContext *ctx, HPy name, const HPy *args, size_t nargs,
                                 HPy kwnames)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPy_CallMethod");
    HPy uname = hpy__debug_unwrap(ctx, name);
    HPy ukwnames = hpy__debug_unwrap(ctx, kwnames);
    hpy__debug_check_kwnames(ukwnames,
                             "HPy_CallMethod arg 'kwnames' must be a tuple object or HPy_NULL");
    handle_array a;
    HPy *uargs = unwrap_array(ctx, &a, args, (HPy_ssize_t)nargs + kwnames_count(ukwnames));
    if (uargs == NULL)
        return HPy_NULL;
    HPy r = ctx_CallMethod(u, uname, uargs, nargs, ukwnames);
    free_array(&a);
    return hpy__debug_wrap(ctx, r);
}

static HPy hpy__debug_Type_GenericNew(HPyContext *ctx, HPy type, const HPy *args,
                                      HPy_ssize_t nargs, HPy kw)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyType_GenericNew");
    HPy utype = hpy__debug_unwrap(ctx, type);
    HPy ukw = hpy__debug_unwrap(ctx, kw);
    handle_array a;
    HPy *uargs = unwrap_array(ctx, &a, args, args != NULL ? nargs : 0);
    if (uargs == NULL)
        return HPy_NULL;
    HPy r = ctx_Type_GenericNew(u, utype, args != NULL ? uargs : NULL, nargs, ukw);
    free_array(&a);
    return hpy__debug_wrap(ctx, r);
}

/* The parameters name objects by handle: give the universal context a copy with its own. */
static HPy hpy__debug_Type_FromSpec(HPyContext *ctx, HPyType_Spec *spec,
                                    HPyType_SpecParam *params)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyType_FromSpec");
    if (params == NULL)
        return hpy__debug_wrap(ctx, ctx_Type_FromSpec(u, spec, NULL));
    size_t n = 0;
    while (params[n].kind != 0)
        n++;
    HPyType_SpecParam *uparams = (HPyType_SpecParam *)PyMem_Malloc(sizeof(*uparams) * (n + 1));
    if (uparams == NULL) {
        PyErr_NoMemory();
        return HPy_NULL;
    }
    for (size_t i = 0; i <= n; i++) {
        uparams[i].kind = params[i].kind;
        uparams[i].object = i < n ? hpy__debug_unwrap(ctx, params[i].object) : HPy_NULL;
    }
    HPy r = ctx_Type_FromSpec(u, spec, uparams);
    PyMem_Free(uparams);
    return hpy__debug_wrap(ctx, r);
}

/* ---- builders ----------------------------------------------------------------------------- */

/* A debug builder wraps the universal one; once built or cancelled it is kept, flagged closed,
 * in its own FIFO (same maximum as the closed handles) so that later uses are caught. A null
 * builder (no memory) ignores Set and fails Build with MemoryError, as a universal one does. */
typedef struct DebugBuilder {
    intptr_t ub;
    int closed;
    struct DebugBuilder *next;
} DebugBuilder;

static DebugBuilder *closed_builders_head, *closed_builders_tail;
static HPy_ssize_t closed_builders_count;
static DebugBuilder *free_builders;     /* structs leaving the FIFO, for reuse */

static DebugBuilder *new_builder(intptr_t ub)
{
    DebugBuilder *b = free_builders;
    if (b != NULL)
        free_builders = b->next;
    else
        b = (DebugBuilder *)malloc(sizeof(DebugBuilder));
    if (b == NULL)
        return NULL;
    b->ub = ub;
    b->closed = 0;
    b->next = NULL;
    return b;
}

static void close_builder(DebugBuilder *b)
{
    b->closed = 1;
    if (closed_builders_tail != NULL)
        closed_builders_tail->next = b;
    else
        closed_builders_head = b;
    closed_builders_tail = b;
    closed_builders_count++;
    while (closed_builders_count > hpy__debug.closed_max && closed_builders_head != NULL) {
        DebugBuilder *old = closed_builders_head;
        closed_builders_head = old->next;
        if (closed_builders_head == NULL)
            closed_builders_tail = NULL;
        closed_builders_count--;
        old->next = free_builders;
        free_builders = old;
    }
}

/* The open builder behind a debug builder, or NULL (null builder, or closed: reported). */
static DebugBuilder *open_builder(intptr_t db)
{
    DebugBuilder *b = (DebugBuilder *)db;
    if (b == NULL)
        return NULL;
    if (b->closed) {
        hpy__debug_invalid_builder();
        return NULL;
    }
    return b;
}

static HPy build_failed(intptr_t db)
{
    if (db == 0 || ((DebugBuilder *)db)->closed)
        PyErr_NoMemory();
    return HPy_NULL;
}

static HPyListBuilder hpy__debug_ListBuilder_New(HPyContext *ctx, HPy_ssize_t size)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyListBuilder_New");
    HPyListBuilder ub = ctx_ListBuilder_New(u, size);
    HPyListBuilder result = { 0 };
    if (ub._lst == 0)
        return result;
    DebugBuilder *b = new_builder(ub._lst);
    if (b == NULL)
        ctx_ListBuilder_Cancel(u, ub);
    result._lst = (intptr_t)b;
    return result;
}

static void hpy__debug_ListBuilder_Set(HPyContext *ctx, HPyListBuilder builder,
                                       HPy_ssize_t index, HPy h_item)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyListBuilder_Set");
    DebugBuilder *b = open_builder(builder._lst);
    if (b == NULL)
        return;
    HPyListBuilder ub = { b->ub };
    ctx_ListBuilder_Set(u, ub, index, hpy__debug_unwrap(ctx, h_item));
}

static HPy hpy__debug_ListBuilder_Build(HPyContext *ctx, HPyListBuilder builder)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyListBuilder_Build");
    DebugBuilder *b = open_builder(builder._lst);
    if (b == NULL)
        return build_failed(builder._lst);
    HPyListBuilder ub = { b->ub };
    close_builder(b);
    return hpy__debug_wrap(ctx, ctx_ListBuilder_Build(u, ub));
}

static void hpy__debug_ListBuilder_Cancel(HPyContext *ctx, HPyListBuilder builder)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyListBuilder_Cancel");
    DebugBuilder *b = open_builder(builder._lst);
    if (b == NULL)
        return;
    HPyListBuilder ub = { b->ub };
    close_builder(b);
    ctx_ListBuilder_Cancel(u, ub);
}

static HPyTupleBuilder hpy__debug_TupleBuilder_New(HPyContext *ctx, HPy_ssize_t size)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyTupleBuilder_New");
    HPyTupleBuilder ub = ctx_TupleBuilder_New(u, size);
    HPyTupleBuilder result = { 0 };
    if (ub._tup == 0)
        return result;
    DebugBuilder *b = new_builder(ub._tup);
    if (b == NULL)
        ctx_TupleBuilder_Cancel(u, ub);
    result._tup = (intptr_t)b;
    return result;
}

static void hpy__debug_TupleBuilder_Set(HPyContext *ctx, HPyTupleBuilder builder,
                                        HPy_ssize_t index, HPy h_item)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyTupleBuilder_Set");
    DebugBuilder *b = open_builder(builder._tup);
    if (b == NULL)
        return;
    HPyTupleBuilder ub = { b->ub };
    ctx_TupleBuilder_Set(u, ub, index, hpy__debug_unwrap(ctx, h_item));
}

static HPy hpy__debug_TupleBuilder_Build(HPyContext *ctx, HPyTupleBuilder builder)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyTupleBuilder_Build");
    DebugBuilder *b = open_builder(builder._tup);
    if (b == NULL)
        return build_failed(builder._tup);
    HPyTupleBuilder ub = { b->ub };
    close_builder(b);
    return hpy__debug_wrap(ctx, ctx_TupleBuilder_Build(u, ub));
}

static void hpy__debug_TupleBuilder_Cancel(HPyContext *ctx, HPyTupleBuilder builder)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyTupleBuilder_Cancel");
    DebugBuilder *b = open_builder(builder._tup);
    if (b == NULL)
        return;
    HPyTupleBuilder ub = { b->ub };
    close_builder(b);
    ctx_TupleBuilder_Cancel(u, ub);
}

/* ---- trackers: they hold debug handles, closed through the debug context ------------------- */

#define TRACKER_DEFAULT_SIZE 5

typedef struct {
    HPy_ssize_t capacity;   /* always one free slot between calls, as the universal tracker */
    HPy_ssize_t length;
    HPy *handles;
} DebugTracker;

static HPyTracker hpy__debug_Tracker_New(HPyContext *ctx, HPy_ssize_t size)
{
    (void)hpy__debug_uctx(ctx, "HPyTracker_New");
    HPyTracker result = { 0 };
    if (size <= 0)
        size = TRACKER_DEFAULT_SIZE;
    DebugTracker *t = (DebugTracker *)PyMem_Malloc(sizeof(DebugTracker));
    if (t == NULL) {
        PyErr_NoMemory();
        return result;
    }
    t->capacity = size + 1;
    t->length = 0;
    t->handles = (HPy *)PyMem_Calloc((size_t)t->capacity, sizeof(HPy));
    if (t->handles == NULL) {
        PyMem_Free(t);
        PyErr_NoMemory();
        return result;
    }
    result._i = (intptr_t)t;
    return result;
}

static int hpy__debug_Tracker_Add(HPyContext *ctx, HPyTracker ht, HPy h)
{
    (void)hpy__debug_uctx(ctx, "HPyTracker_Add");
    DebugTracker *t = (DebugTracker *)ht._i;
    (void)hpy__debug_unwrap(ctx, h);      /* adding a closed handle is a use of it */
    if (t->length >= t->capacity) {
        PyErr_SetString(PyExc_ValueError, "HPyTracker resize would lose handles");
        return -1;
    }
    t->handles[t->length++] = h;
    if (t->length == t->capacity) {
        HPy_ssize_t new_capacity = t->capacity * 2;
        HPy *grown = (HPy *)PyMem_Realloc(t->handles, (size_t)new_capacity * sizeof(HPy));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        t->handles = grown;
        t->capacity = new_capacity;
    }
    return 0;
}

static void hpy__debug_Tracker_ForgetAll(HPyContext *ctx, HPyTracker ht)
{
    (void)hpy__debug_uctx(ctx, "HPyTracker_ForgetAll");
    ((DebugTracker *)ht._i)->length = 0;
}

static void hpy__debug_Tracker_Close(HPyContext *ctx, HPyTracker ht)
{
    (void)hpy__debug_uctx(ctx, "HPyTracker_Close");
    DebugTracker *t = (DebugTracker *)ht._i;
    for (HPy_ssize_t i = 0; i < t->length; i++)
        hpy__debug_close(t->handles[i]);
    PyMem_Free(t->handles);
    PyMem_Free(t);
}
