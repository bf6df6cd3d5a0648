/* Debug mode: memory of the debug handles (free list, closed FIFO), their stack traces and
 * raw-data copies, and the reports of invalid handles (python-contract.md §11). */
#include "internal/debug.h"

#include <execinfo.h>

#define HANDLES_PER_CHUNK 256
#define DEFAULT_CLOSED_MAX 1024
#define DEFAULT_PROTECTED_RAW_MAX (10 * 1024 * 1024)

/* Defaults; the open-list sentinel is linked to itself when the context is created. */
hpy_debug_state hpy__debug = {
    .magic = HPY_DEBUG_STATE_MAGIC,
    .closed_max = DEFAULT_CLOSED_MAX,
    .protected_raw_max = DEFAULT_PROTECTED_RAW_MAX,
};

/* The free list is empty: carve a new chunk. Chunks are never freed. */
HPyAPI_IMPL DebugHandle *hpy__debug_refill(void)
{
    DebugHandle *chunk = (DebugHandle *)calloc(HANDLES_PER_CHUNK, sizeof(DebugHandle));
    if (chunk == NULL)
        Py_FatalError("HPy debug mode: no memory left for debug handles");
    for (int i = 0; i < HANDLES_PER_CHUNK - 1; i++)
        chunk[i].next = &chunk[i + 1];
    chunk[HANDLES_PER_CHUNK - 1].next = NULL;
    hpy__debug.free_list = chunk;
    return chunk;
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
    if (n <= 2) {
        free(frames);
        return;
    }
    memmove(frames, frames + 2, sizeof(void *) * (size_t)(n - 2));
    d->frames = frames;
    d->nframes = n - 2;
}

static void poison(char *p, HPy_ssize_t size)
{
    static const unsigned char pattern[4] = {0xBA, 0xD0, 0xDA, 0x7A};
    for (HPy_ssize_t i = 0; i < size; i++)
        p[i] = (char)pattern[i % 4];
}

/* The handle owning a raw-data copy is being closed: the copy is overwritten and kept while the
 * kept copies stay within the budget (reads through a stale pointer then see the pattern),
 * otherwise freed. */
HPyAPI_IMPL void hpy__debug_release_raw_data(DebugHandle *d)
{
    if (hpy__debug.protected_raw_total + d->raw_data_size <= hpy__debug.protected_raw_max) {
        poison(d->raw_data, d->raw_data_size);
        hpy__debug.protected_raw_total += d->raw_data_size;
        return;
    }
    free(d->raw_data);
    d->raw_data = NULL;
    d->raw_data_size = -1;
}

/* The oldest closed handle leaves the FIFO for the free list: from now on its misuse can no
 * longer be detected. */
HPyAPI_IMPL void hpy__debug_evict_closed(void)
{
    DebugHandle *d = hpy__debug.closed_head;
    if (d == NULL)
        return;
    hpy__debug.closed_head = d->next;
    if (hpy__debug.closed_head == NULL)
        hpy__debug.closed_tail = NULL;
    hpy__debug.closed_count--;
    if (d->raw_data != NULL) {
        hpy__debug.protected_raw_total -= d->raw_data_size;
        free(d->raw_data);
        d->raw_data = NULL;
    }
    d->raw_data_size = -1;
    free(d->frames);
    d->frames = NULL;
    d->nframes = 0;
    d->next = hpy__debug.free_list;
    hpy__debug.free_list = d;
}

HPyAPI_IMPL void hpy__debug_trim_closed(void)
{
    while (hpy__debug.closed_count > hpy__debug.closed_max && hpy__debug.closed_head != NULL)
        hpy__debug_evict_closed();
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

HPyAPI_IMPL void hpy__debug_invalid_handle(void)
{
    if (hpy__debug.on_invalid_handle == NULL)
        hpy__debug_fatal("Invalid usage of already closed handle");
    run_callback(hpy__debug.on_invalid_handle,
                 "Error when executing the on_invalid_handle callback");
}

HPyAPI_IMPL void hpy__debug_invalid_builder(void)
{
    if (hpy__debug.on_invalid_builder_handle == NULL)
        hpy__debug_fatal("Invalid usage of already closed builder");
    run_callback(hpy__debug.on_invalid_builder_handle,
                 "Error when executing the on_invalid_builder_handle callback");
}
