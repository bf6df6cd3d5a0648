/* Debug mode: memory of the debug handles (pool, closed FIFO), their stack traces and
 * raw-data copies, and the reports of invalid handles (python-contract.md §11). */
#include "internal/debug.h"

#include <execinfo.h>

#define DEFAULT_CLOSED_MAX 1024
#define DEFAULT_PROTECTED_RAW_MAX (10 * 1024 * 1024)
#define MIN_RING 64                     /* the ring's first capacity: a power of two */

/* Defaults; the rest starts empty. */
hpy_debug_state hpy__debug = {
    .magic = HPY_DEBUG_STATE_MAGIC,
    .closed_max = DEFAULT_CLOSED_MAX,
    .full_at = DEFAULT_CLOSED_MAX,
    .protected_raw_max = DEFAULT_PROTECTED_RAW_MAX,
};

/* The pool is empty: carve a new chunk (remembered for the scans of get_open_handles), making
 * room in the pool for every handle there is (the FIFO may send them all back). */
HPyAPI_IMPL void hpy__debug_refill(void)
{
    size_t total = (hpy__debug.nchunks + 1) * HPY_DEBUG_HANDLES_PER_CHUNK;
    DebugHandle **chunks = (DebugHandle **)realloc(hpy__debug.chunks,
                                                   sizeof(DebugHandle *) * (hpy__debug.nchunks + 1));
    if (chunks != NULL)
        hpy__debug.chunks = chunks;
    DebugHandle **pool = (DebugHandle **)realloc(hpy__debug.pool, sizeof(DebugHandle *) * total);
    if (pool != NULL)
        hpy__debug.pool = pool;
    DebugHandle *chunk = (DebugHandle *)calloc(HPY_DEBUG_HANDLES_PER_CHUNK, sizeof(DebugHandle));
    if (chunks == NULL || pool == NULL || chunk == NULL)
        Py_FatalError("HPy debug mode: no memory left for debug handles");
    chunks[hpy__debug.nchunks++] = chunk;
    for (int i = HPY_DEBUG_HANDLES_PER_CHUNK - 1; i >= 0; i--) {
        chunk[i].state = HPY_DH_FREE;
        pool[hpy__debug.pool_len++] = &chunk[i];
    }
}

/* The FIFO is not full but its ring is (or the maximum is 0: the handle goes to the pool). */
HPyAPI_IMPL void hpy__debug_push_closed(uintptr_t entry)
{
    if (hpy__debug.closed_max == 0) {
        hpy__debug_free_entry(entry);
        return;
    }
    if (hpy__debug.closed_count == hpy__debug.ring_cap) {
        HPy_ssize_t cap = hpy__debug.ring_cap < MIN_RING ? MIN_RING : hpy__debug.ring_cap * 2;
        uintptr_t *ring = (uintptr_t *)malloc(sizeof(uintptr_t) * (size_t)cap);
        if (ring == NULL)
            Py_FatalError("HPy debug mode: no memory left for the closed handles");
        for (HPy_ssize_t i = 0; i < hpy__debug.closed_count; i++)
            ring[i] = hpy__debug.closed_ring[(hpy__debug.closed_head + i) &
                                             (hpy__debug.ring_cap - 1)];
        free(hpy__debug.closed_ring);
        hpy__debug.closed_ring = ring;
        hpy__debug.ring_cap = cap;
        hpy__debug.closed_head = 0;
    }
    hpy__debug.closed_ring[(hpy__debug.closed_head + hpy__debug.closed_count) &
                           (hpy__debug.ring_cap - 1)] = entry;
    hpy__debug.closed_count++;
}

/* Closing a handle that is not OPEN. */
HPyAPI_IMPL void hpy__debug_close_other(DebugHandle *d)
{
    if (d->state == HPY_DH_ARG)
        hpy__debug_mark_closed(d);
    else
        hpy__debug_invalid_handle();
}

/* Nothing leaves the FIFO now: a FIFO beyond the new maximum gives one handle back per handle
 * opened (python-contract.md §8). */
HPyAPI_IMPL void hpy__debug_set_closed_max(HPy_ssize_t max)
{
    hpy__debug.closed_max = max;
    hpy__debug.full_at = max > 0 ? max : 1;
}

HPyAPI_IMPL DebugHandle *hpy__debug_closed_at(HPy_ssize_t i)
{
    uintptr_t entry = hpy__debug.closed_ring[(hpy__debug.closed_head + i) &
                                             (hpy__debug.ring_cap - 1)];
    return (DebugHandle *)(entry & ~(uintptr_t)1);
}

HPyAPI_IMPL long hpy__debug_new_generation(void)
{
    /* the array grows geometrically: a test harness may open millions of generations */
    if ((size_t)hpy__debug.generation >= hpy__debug.generation_capacity) {
        size_t capacity = hpy__debug.generation_capacity ? 2 * hpy__debug.generation_capacity : 64;
        uint64_t *starts = (uint64_t *)realloc(hpy__debug.generation_starts,
                                               sizeof(uint64_t) * capacity);
        if (starts == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        hpy__debug.generation_starts = starts;
        hpy__debug.generation_capacity = capacity;
    }
    /* generation g starts at starts[g-1] */
    hpy__debug.generation_starts[hpy__debug.generation] = hpy__debug.seq;
    return ++hpy__debug.generation;
}

/* The first creation number of generation `gen` (handles of gen or later have seq >= it). */
HPyAPI_IMPL uint64_t hpy__debug_generation_start(long gen)
{
    if (gen <= 0)
        return 0;
    if (gen > hpy__debug.generation)
        return hpy__debug.seq;
    return hpy__debug.generation_starts[gen - 1];
}

HPyAPI_IMPL DebugHandleExtras *hpy__debug_extras(DebugHandle *d)
{
    if (d->extras == NULL) {
        DebugHandleExtras *e = (DebugHandleExtras *)calloc(1, sizeof(DebugHandleExtras));
        if (e == NULL)
            return NULL;
        e->raw_data_size = -1;
        d->extras = e;
    }
    return d->extras;
}

/* Frames of the C stack where the handle is being created, without the two innermost ones
 * (this function and the handle's creation). */
HPyAPI_IMPL void hpy__debug_capture_stack(DebugHandle *d)
{
    int limit = hpy__debug.stack_limit;
    void **frames = (void **)malloc(sizeof(void *) * ((size_t)limit + 2));
    if (frames == NULL)
        return;
    int n = backtrace(frames, limit + 2);
    DebugHandleExtras *e = n > 2 ? hpy__debug_extras(d) : NULL;
    if (e == NULL) {
        free(frames);
        return;
    }
    memmove(frames, frames + 2, sizeof(void *) * (size_t)(n - 2));
    e->frames = frames;
    e->nframes = n - 2;
}

/* A closed handle going back to the pool drops its stack trace and raw-data copy (a copy still
 * there was kept, poisoned, within the budget). */
HPyAPI_IMPL void hpy__debug_forget_extras(DebugHandle *d)
{
    DebugHandleExtras *e = d->extras;
    hpy__debug_forget_raw_data(e);
    free(e->frames);
    free(e);
    d->extras = NULL;
}

HPyAPI_IMPL void hpy__debug_fatal(const char *message)
{
    HPyContext *u = hpy__debug.uctx;
    u->ctx_FatalError(u, message);
    abort();
}

/* Call a report callback with no arguments; the exception being raised (if any) survives it. */
static void run_callback(PyObject *callback, const char *error_message)
{
    PyObject *exc = HPyCompat_GetRaisedException();
    Py_INCREF(callback);            /* it may uninstall itself */
    PyObject *res = PyObject_CallNoArgs(callback);
    Py_DECREF(callback);
    if (res == NULL) {
        fprintf(stderr, "%s\n", error_message);
        fflush(stderr);
        PyErr_Clear();
    }
    Py_XDECREF(res);
    HPyCompat_SetRaisedException(exc);
}

HPyAPI_IMPL void hpy__debug_invalid_handle_report(const char *fatal_message)
{
    if (hpy__debug.on_invalid_handle == NULL)
        hpy__debug_fatal(fatal_message);
    run_callback(hpy__debug.on_invalid_handle,
                 "Error when executing the on_invalid_handle callback");
}

HPyAPI_IMPL void hpy__debug_invalid_handle(void)
{
    hpy__debug_invalid_handle_report("Invalid usage of already closed handle");
}

HPyAPI_IMPL void hpy__debug_invalid_builder(void)
{
    if (hpy__debug.on_invalid_builder_handle == NULL)
        hpy__debug_fatal("Invalid usage of already closed builder");
    run_callback(hpy__debug.on_invalid_builder_handle,
                 "Error when executing the on_invalid_builder_handle callback");
}
