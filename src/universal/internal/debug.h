/* Debug mode, internal to the runtime (python-contract.md §8, §11).
 *
 * A debug handle is the address of a DebugHandle that owns one universal handle (one reference
 * to the object). DebugHandles are carved from chunks that are never freed (a DebugHandle
 * Python object may point to any of them) and cycle through these states:
 *
 *     FREE (in the pool) --open--> OPEN or ARG --close--> CLOSED (in the closed FIFO)
 *     CLOSED --reused by an open--> OPEN or ARG          CLOSED --evicted by a close--> FREE
 *
 * An ARG handle is an argument handle of a running call: it borrows the caller's reference
 * (closing it releases nothing). Every other handle owns one reference.
 *
 * The closed FIFO remembers the most recently closed handles, so that their misuse is caught.
 * It is bounded by get_closed_handles_queue_max_size() (closed_max) as upstream HPy bounds it:
 * while it holds closed_max handles or more (and at least one), opening a handle reuses its
 * oldest one, and closing a handle appends it and sends the oldest to the pool; otherwise
 * opening takes the most recently freed struct of the pool and closing only appends (with a
 * maximum of 0, closing into an empty FIFO sends the handle straight to the pool). Lowering the
 * maximum therefore trims nothing at once: the FIFO shrinks by one handle per handle opened
 * until it is back within the maximum. The struct that leaves the FIFO keeps its CLOSED state
 * until it is reused, and a ring entry has its low bit set when its handle owns extras to
 * release. There is no list of open handles and no generation per handle: the rare queries scan
 * the chunks, order what they find by creation number, and know the first creation number of
 * every generation.
 * The context constants are IMMORTAL handles outside the chunks. */
#ifndef HPY_UNIVERSAL_INTERNAL_DEBUG_H
#define HPY_UNIVERSAL_INTERNAL_DEBUG_H

#include "internal/runtime.h"

#if defined(__GNUC__)
#  define HPY_DEBUG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define HPY_DEBUG_INLINE static inline __attribute__((always_inline))
#  define HPY_DEBUG_COLD static __attribute__((noinline, cold))
#else
#  define HPY_DEBUG_UNLIKELY(x) (x)
#  define HPY_DEBUG_INLINE static inline
#  define HPY_DEBUG_COLD static
#endif

/* Ordered so that "open" is state <= ARG and "usable" is state < CLOSED. */
#define HPY_DH_OPEN 0
#define HPY_DH_ARG 1
#define HPY_DH_IMMORTAL 2
#define HPY_DH_CLOSED 3
#define HPY_DH_FREE 4

/* What few handles carry: a stack trace, a raw-data copy. */
typedef struct {
    void **frames;                  /* C stack trace at creation, or NULL */
    int nframes;
    char *raw_data;                 /* private copy handed out by AsUTF8AndSize & co., or NULL */
    HPy_ssize_t raw_data_size;      /* its size in bytes, -1 when there is none */
    int raw_data_mapped;            /* in pages of its own (mmap protection) */
    const char *raw_data_origin;    /* the API function that made it */
} DebugHandleExtras;

/* 32 bytes: two handles per cache line. */
typedef struct DebugHandle {
    HPy uh;                         /* the universal handle (a PyObject*) this handle owns */
    uint64_t seq;                   /* creation number */
    uint64_t state;                 /* HPY_DH_* */
    DebugHandleExtras *extras;      /* NULL, or owned while the handle is not FREE; created
                                     * only while it is open, released when the handle leaves
                                     * the closed FIFO (reused or sent to the pool) */
} DebugHandle;

/* The first field of ctx->_private: deliberately not _HPY_RUNTIME_INFO_MAGIC, so that modules
 * loaded with the debug context never call implementations directly. */
#define HPY_DEBUG_STATE_MAGIC 0x4850794442474d31ULL

typedef struct {
    uint64_t magic;
    HPyContext *uctx;               /* the universal context every member forwards to */
    uint64_t seq;                   /* creation number of the next handle */
    DebugHandle **pool;             /* the free handles: pool[0..pool_len) */
    size_t pool_len;                /* (pool has room for every handle ever carved) */
    /* The closed FIFO: closed_count entries from closed_ring[closed_head], wrapping around at
     * ring_cap (0 or a power of two, grown when an append finds the ring full; it never
     * shrinks). An entry is a DebugHandle* with bit 0 set when the handle owns extras. */
    uintptr_t *closed_ring;
    HPy_ssize_t ring_cap;
    HPy_ssize_t closed_head;
    HPy_ssize_t closed_count;
    HPy_ssize_t closed_max;
    /* max(closed_max, 1): the FIFO is full (opening reuses its oldest handle, closing evicts
     * it) while closed_count >= full_at. */
    HPy_ssize_t full_at;
    int stack_limit;                /* frames to capture at handle creation, 0 = none */
    HPy_ssize_t protected_raw_total;  /* bytes kept (poisoned) by closed handles */
    HPy_ssize_t protected_raw_max;
    PyObject *on_invalid_handle;    /* callable or NULL */
    PyObject *on_invalid_builder_handle;
    DebugHandle **chunks;           /* every chunk of handles ever carved */
    size_t nchunks;
    uint64_t *generation_starts;    /* first creation number of generation 1, 2, ... */
    size_t generation_capacity;     /* entries allocated in generation_starts */
    long generation;
} hpy_debug_state;

#define HPY_DEBUG_HANDLES_PER_CHUNK 256

_HPy_HIDDEN extern hpy_debug_state hpy__debug;

/* Contexts (python-contract.md §11.2, "Wrong context"). The debug context the loader hands a
 * module (hpy__debug_ctx(): what its trampolines pass back and what HPyGetContext returns) is
 * valid on any thread holding the GIL, except in the restricted regime of tp_traverse,
 * tp_destroy and capsule destructors. Each call entering the module gets instead the next of
 * HPY_DEBUG_CALL_CONTEXTS copies, valid on its thread only while that call is the innermost one
 * running there (hpy__thread_call.debug_ctx). */
#define HPY_DEBUG_CALL_CONTEXTS 16

_HPy_HIDDEN extern struct _HPyContext_s hpy__debug_call_ctxs[HPY_DEBUG_CALL_CONTEXTS];
_HPy_HIDDEN extern unsigned int hpy__debug_next_call_ctx;

/* ctx is not the context of the running call: fine for the loader's context outside the
 * restricted regime; otherwise reported (the process ends). */
_HPy_HIDDEN void hpy__debug_check_context(HPyContext *ctx, const char *api);

/* The universal context behind ctx, for the member api called with ctx. */
HPY_DEBUG_INLINE HPyContext *hpy__debug_uctx(HPyContext *ctx, const char *api)
{
    if (HPY_DEBUG_UNLIKELY(ctx != hpy__thread_call.debug_ctx))
        hpy__debug_check_context(ctx, api);
    return hpy__debug.uctx;
}

HPY_DEBUG_INLINE HPyContext *hpy__debug_uctx_any(HPyContext *ctx)
{
    (void)ctx;
    return hpy__debug.uctx;
}

/* A call entering the module: the context to hand it, which is valid until call_leave(saved). */
HPY_DEBUG_INLINE HPyContext *hpy__debug_call_enter(_HPyThreadCall *saved)
{
    *saved = hpy__thread_call;
    HPyContext *c = &hpy__debug_call_ctxs[hpy__debug_next_call_ctx];
    hpy__debug_next_call_ctx = (hpy__debug_next_call_ctx + 1) % HPY_DEBUG_CALL_CONTEXTS;
    hpy__thread_call.debug_ctx = c;
    hpy__thread_call.restricted = NULL;
    return c;
}

HPY_DEBUG_INLINE void hpy__debug_call_leave(const _HPyThreadCall *saved)
{
    hpy__thread_call = *saved;
}

/* The debug context (created on first use; NULL with SystemError on failure) and the
 * hpy.universal._debug module. */
_HPy_HIDDEN HPyContext *hpy__debug_ctx(void);
_HPy_HIDDEN PyObject *hpy__debug_module(void);

/* Reports (python-contract.md §11.1): call the installed callback, or abort. */
_HPy_HIDDEN void hpy__debug_invalid_handle(void);
_HPy_HIDDEN void hpy__debug_invalid_builder(void);
/* Another misuse reported as an invalid handle: the callback, or fatal with this message. */
_HPy_HIDDEN void hpy__debug_invalid_handle_report(const char *fatal_message);
_HPy_HIDDEN _HPy_NO_RETURN void hpy__debug_fatal(const char *message);

/* Slow paths of the inline functions below. */
_HPy_HIDDEN void hpy__debug_refill(void);
_HPy_HIDDEN void hpy__debug_capture_stack(DebugHandle *d);
_HPy_HIDDEN void hpy__debug_release_raw_data(DebugHandle *d);
_HPy_HIDDEN void hpy__debug_forget_extras(DebugHandle *d);

/* Raw data (debug_raw_data.c): a protected copy of data[0..size) owned by e (NULL with
 * MemoryError), its release when a handle leaves the closed FIFO, and the protection mode. */
_HPy_HIDDEN const char *hpy__debug_raw_copy(DebugHandleExtras *e, const char *data,
                                            HPy_ssize_t size, const char *origin);
_HPy_HIDDEN void hpy__debug_forget_raw_data(DebugHandleExtras *e);
_HPy_HIDDEN void hpy__debug_set_raw_data_mmap(int enabled);
_HPy_HIDDEN int hpy__debug_raw_data_mmap(void);

/* The extras of a handle that is not FREE (created on demand; NULL when out of memory). */
_HPy_HIDDEN DebugHandleExtras *hpy__debug_extras(DebugHandle *d);
/* Append to a FIFO that is not full but whose ring is (or whose maximum is 0). */
_HPy_HIDDEN void hpy__debug_push_closed(uintptr_t entry);
_HPy_HIDDEN void hpy__debug_close_other(DebugHandle *d);

/* Queries and settings for hpy.universal._debug. */
_HPy_HIDDEN long hpy__debug_new_generation(void);       /* -1 with MemoryError */
_HPy_HIDDEN uint64_t hpy__debug_generation_start(long gen);
_HPy_HIDDEN DebugHandle *hpy__debug_closed_at(HPy_ssize_t i);   /* 0: the oldest */
_HPy_HIDDEN void hpy__debug_set_closed_max(HPy_ssize_t max);

/* The trampoline entry point of the debug context. */
_HPy_HIDDEN void hpy__debug_dispatch(HPyContext *ctx, HPyFunc_Signature sig, HPyCFunction func,
                                     void *args);

/* The buffer members (debug_buffer.c), and whether an open handle is the obj of a buffer that
 * was not released yet. */
_HPy_HIDDEN int hpy__debug_GetBuffer(HPyContext *ctx, HPy obj, HPy_buffer *buffer, int flags);
_HPy_HIDDEN void hpy__debug_Buffer_Release(HPyContext *ctx, HPy_buffer *buffer);
_HPy_HIDDEN int hpy__debug_is_buffer_obj(const DebugHandle *d);

HPY_DEBUG_INLINE DebugHandle *hpy__debug_handle(HPy h)
{
    return (DebugHandle *)h._i;
}

/* The handle behind a FIFO entry, its extras (if any) released. */
HPY_DEBUG_INLINE DebugHandle *hpy__debug_entry_handle(uintptr_t entry)
{
    DebugHandle *d = (DebugHandle *)(entry & ~(uintptr_t)1);
    if (HPY_DEBUG_UNLIKELY(entry & 1))
        hpy__debug_forget_extras(d);
    return d;
}

/* The struct for a new handle: the oldest closed one while the FIFO is full (the steady state),
 * else the most recently freed one of the pool. */
HPY_DEBUG_INLINE DebugHandle *hpy__debug_take(void)
{
    HPy_ssize_t count = hpy__debug.closed_count;
    if (count >= hpy__debug.full_at) {
        HPy_ssize_t head = hpy__debug.closed_head;
        uintptr_t oldest = hpy__debug.closed_ring[head];
        hpy__debug.closed_head = (head + 1) & (hpy__debug.ring_cap - 1);
        hpy__debug.closed_count = count - 1;
        return hpy__debug_entry_handle(oldest);
    }
    if (HPY_DEBUG_UNLIKELY(hpy__debug.pool_len == 0))
        hpy__debug_refill();
    return hpy__debug.pool[--hpy__debug.pool_len];
}

/* A new debug handle (state OPEN: owning uh, or ARG: borrowing it); uh must not be null. */
HPY_DEBUG_INLINE HPy hpy__debug_open_as(HPy uh, uint64_t state)
{
    DebugHandle *d = hpy__debug_take();
    d->uh = uh;
    d->seq = hpy__debug.seq++;
    d->state = state;               /* (a struct that left the FIFO has no extras) */
    if (HPY_DEBUG_UNLIKELY(hpy__debug.stack_limit > 0))
        hpy__debug_capture_stack(d);
    return _hconv((intptr_t)d);
}

/* A new debug handle owning uh. */
HPY_DEBUG_INLINE HPy hpy__debug_open(HPy uh)
{
    return hpy__debug_open_as(uh, HPY_DH_OPEN);
}

/* A FIFO entry leaves: its handle goes to the pool (releasing its extras, if any). */
HPY_DEBUG_INLINE void hpy__debug_free_entry(uintptr_t entry)
{
    hpy__debug.pool[hpy__debug.pool_len++] = hpy__debug_entry_handle(entry);
}

/* The universal handle a result of the universal context became: null stays null. */
HPY_DEBUG_INLINE HPy hpy__debug_wrap(HPyContext *ctx, HPy uh)
{
    (void)ctx;
    if (uh._i == 0)
        return HPy_NULL;
    return hpy__debug_open(uh);
}

/* The universal handle behind a debug handle; a closed one is reported (and, if the report
 * returns, still used: the operation goes on as well as it can). */
HPY_DEBUG_INLINE HPy hpy__debug_unwrap(HPyContext *ctx, HPy h)
{
    (void)ctx;
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return HPy_NULL;
    if (HPY_DEBUG_UNLIKELY(d->state >= HPY_DH_CLOSED))
        hpy__debug_invalid_handle();
    return d->uh;
}

/* Put an OPEN or ARG handle in the closed FIFO (without releasing its object). While the FIFO
 * is full (the steady state) its oldest handle goes to the pool to make room. */
HPY_DEBUG_INLINE void hpy__debug_mark_closed(DebugHandle *d)
{
    d->state = HPY_DH_CLOSED;
    uintptr_t entry = (uintptr_t)d;
    if (HPY_DEBUG_UNLIKELY(d->extras != NULL)) {
        hpy__debug_release_raw_data(d);
        entry |= 1;
    }
    HPy_ssize_t count = hpy__debug.closed_count, mask = hpy__debug.ring_cap - 1;
    HPy_ssize_t head = hpy__debug.closed_head;
    if (count >= hpy__debug.full_at) {
        uintptr_t oldest = hpy__debug.closed_ring[head];
        head = (head + 1) & mask;
        hpy__debug.closed_ring[(head + count - 1) & mask] = entry;
        hpy__debug.closed_head = head;
        hpy__debug_free_entry(oldest);
        return;
    }
    if (HPY_DEBUG_UNLIKELY(count == hpy__debug.ring_cap || hpy__debug.closed_max == 0)) {
        hpy__debug_push_closed(entry);
        return;
    }
    hpy__debug.closed_ring[(head + count) & mask] = entry;
    hpy__debug.closed_count = count + 1;
}

/* HPy_Close: closing a closed handle or a constant is reported; closing an argument handle
 * (reported when its call returns) releases nothing. */
HPY_DEBUG_INLINE void hpy__debug_close(HPy h)
{
    DebugHandle *d = hpy__debug_handle(h);
    if (d == NULL)
        return;
    if (HPY_DEBUG_UNLIKELY(d->state != HPY_DH_OPEN)) {
        hpy__debug_close_other(d);
        return;
    }
    PyObject *obj = _h2py(d->uh);
    hpy__debug_mark_closed(d);
    Py_DECREF(obj);       /* last: this may run arbitrary code */
}

#endif /* HPY_UNIVERSAL_INTERNAL_DEBUG_H */
