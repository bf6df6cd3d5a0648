/* Debug mode, internal to the runtime (python-contract.md §8, §11).
 *
 * A debug handle is the address of a DebugHandle that owns one universal handle (one reference
 * to the object). Open handles sit in a doubly linked list in creation order; a closed handle
 * keeps its struct, flagged closed, in a FIFO of bounded size so that later uses are caught;
 * structs leaving the FIFO go to a free list and are reused, never returned to malloc (a
 * DebugHandle Python object may still point to one). The context constants are immortal debug
 * handles outside both lists. */
#ifndef HPY_UNIVERSAL_INTERNAL_DEBUG_H
#define HPY_UNIVERSAL_INTERNAL_DEBUG_H

#include "internal/runtime.h"

#if defined(__GNUC__)
#  define HPY_DEBUG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define HPY_DEBUG_UNLIKELY(x) (x)
#endif

typedef struct DebugHandle {
    HPy uh;                         /* the universal handle (a PyObject*) this handle owns */
    struct DebugHandle *prev;       /* open list only */
    struct DebugHandle *next;       /* open list, closed FIFO or free list */
    long generation;                /* hpy__debug.generation when the handle was opened */
    unsigned char closed;
    unsigned char immortal;         /* a context constant: never closed */
    int nframes;                    /* C stack trace at creation (frames == NULL: none) */
    void **frames;
    char *raw_data;                 /* private copy handed out by AsUTF8AndSize & co., or NULL */
    HPy_ssize_t raw_data_size;      /* its size in bytes, -1 when there is none */
} DebugHandle;

/* The first field of ctx->_private: deliberately not _HPY_RUNTIME_INFO_MAGIC, so that modules
 * loaded with the debug context never call implementations directly. */
#define HPY_DEBUG_STATE_MAGIC 0x4850794442474d31ULL

typedef struct {
    uint64_t magic;
    HPyContext *uctx;               /* the universal context every member forwards to */
    long generation;
    DebugHandle open;               /* sentinel of the open list (oldest first) */
    DebugHandle *closed_head;       /* closed FIFO: head is the oldest */
    DebugHandle *closed_tail;
    HPy_ssize_t closed_count;
    HPy_ssize_t closed_max;
    DebugHandle *free_list;
    HPy_ssize_t protected_raw_total;  /* bytes kept (poisoned) by closed handles */
    HPy_ssize_t protected_raw_max;
    int stack_limit;                /* frames to capture at handle creation, 0 = none */
    PyObject *on_invalid_handle;    /* callable or NULL */
    PyObject *on_invalid_builder_handle;
} hpy_debug_state;

_HPy_HIDDEN extern hpy_debug_state hpy__debug;

/* The debug context (created on first use; NULL with SystemError on failure) and the
 * hpy.universal._debug module. */
_HPy_HIDDEN HPyContext *hpy__debug_ctx(void);
_HPy_HIDDEN PyObject *hpy__debug_module(void);

/* Reports (python-contract.md §11.1): call the installed callback, or abort. */
_HPy_HIDDEN void hpy__debug_invalid_handle(void);
_HPy_HIDDEN void hpy__debug_invalid_builder(void);
_HPy_HIDDEN _HPy_NO_RETURN void hpy__debug_fatal(const char *message);

/* Slow paths of the inline functions below. */
_HPy_HIDDEN DebugHandle *hpy__debug_refill(void);
_HPy_HIDDEN void hpy__debug_capture_stack(DebugHandle *d);
_HPy_HIDDEN void hpy__debug_release_raw_data(DebugHandle *d);
_HPy_HIDDEN void hpy__debug_evict_closed(void);

/* Apply a lowered closed-queue maximum or raw-data budget now. */
_HPy_HIDDEN void hpy__debug_trim_closed(void);

/* The trampoline entry point of the debug context. */
_HPy_HIDDEN void hpy__debug_dispatch(HPyContext *ctx, HPyFunc_Signature sig, HPyCFunction func,
                                     void *args);

static inline DebugHandle *hpy__debug_handle(HPy h)
{
    return (DebugHandle *)h._i;
}

/* A new open debug handle owning uh (which must not be null). */
static inline HPy hpy__debug_open(HPy uh)
{
    DebugHandle *d = hpy__debug.free_list;
    if (HPY_DEBUG_UNLIKELY(d == NULL))
        d = hpy__debug_refill();
    hpy__debug.free_list = d->next;
    d->uh = uh;
    d->generation = hpy__debug.generation;
    d->closed = 0;
    d->immortal = 0;
    d->nframes = 0;
    d->frames = NULL;
    d->raw_data = NULL;
    d->raw_data_size = -1;
    DebugHandle *last = hpy__debug.open.prev;
    d->prev = last;
    d->next = &hpy__debug.open;
    last->next = d;
    hpy__debug.open.prev = d;
    if (HPY_DEBUG_UNLIKELY(hpy__debug.stack_limit > 0))
        hpy__debug_capture_stack(d);
    return _hconv((intptr_t)d);
}

/* The universal handle a result of the universal context became: null stays null. */
static inline HPy hpy__debug_wrap(HPyContext *ctx, HPy uh)
{
    (void)ctx;
    if (uh._i == 0)
        return HPy_NULL;
    return hpy__debug_open(uh);
}

/* The universal handle behind a debug handle; a closed one is reported (and, if the report
 * returns, still used: the operation goes on as well as it can). */
static inline HPy hpy__debug_unwrap(HPyContext *ctx, HPy h)
{
    (void)ctx;
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return HPy_NULL;
    if (HPY_DEBUG_UNLIKELY(d->closed))
        hpy__debug_invalid_handle();
    return d->uh;
}

/* Move an open handle to the closed FIFO (without releasing its object). */
static inline void hpy__debug_mark_closed(DebugHandle *d)
{
    d->prev->next = d->next;
    d->next->prev = d->prev;
    d->closed = 1;
    d->prev = NULL;
    d->next = NULL;
    if (HPY_DEBUG_UNLIKELY(d->raw_data != NULL))
        hpy__debug_release_raw_data(d);
    if (hpy__debug.closed_tail != NULL)
        hpy__debug.closed_tail->next = d;
    else
        hpy__debug.closed_head = d;
    hpy__debug.closed_tail = d;
    if (++hpy__debug.closed_count > hpy__debug.closed_max)
        hpy__debug_evict_closed();
}

/* HPy_Close: closing a closed handle or a constant is reported. */
static inline void hpy__debug_close(HPy h)
{
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return;
    if (HPY_DEBUG_UNLIKELY(d->closed || d->immortal)) {
        hpy__debug_invalid_handle();
        return;
    }
    PyObject *obj = _h2py(d->uh);
    hpy__debug_mark_closed(d);
    Py_DECREF(obj);       /* last: this may run arbitrary code */
}

#endif /* HPY_UNIVERSAL_INTERNAL_DEBUG_H */
