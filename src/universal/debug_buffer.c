/* Debug mode: buffers of other objects (HPy_GetBuffer, HPyBuffer_Release; docs/buffers.md).
 *
 * The HPy_buffer a module gets has as obj a debug handle owning a reference of its own, and as
 * internal the record of the buffer: what the universal context filled, kept on the list of
 * live buffers until the release. Hence:
 *   - a buffer never released leaves its obj handle open, so LeakDetector reports it (and the
 *     handle's repr says it is the obj of a buffer);
 *   - a release finds its record on the list before touching it: a buffer released already
 *     (internal is then the address of `released`) or never filled by HPy_GetBuffer is reported,
 *     never followed;
 *   - obj is closed by the release, so using it afterwards is using a closed handle, and a module
 *     that closed it itself is reported at the release as a double close.
 * Reports go through the on_invalid_handle callback when one is installed (the release is then
 * skipped), otherwise they are fatal. */
#include "internal/debug.h"

typedef struct DebugBuffer {
    struct DebugBuffer *prev, *next;
    HPy_buffer ubuf;            /* as the universal context filled it */
    DebugHandle *handle;        /* the obj handed to the module (NULL if the exporter gave none) */
    uint64_t seq;               /* its creation number: the struct may serve another handle once
                                 * the module closed it */
} DebugBuffer;

static DebugBuffer *live;       /* most recent first */
static char released;           /* what internal points to once a buffer is released */

static void link_record(DebugBuffer *b)
{
    b->prev = NULL;
    b->next = live;
    if (live != NULL)
        live->prev = b;
    live = b;
}

static void unlink_record(DebugBuffer *b)
{
    if (b->prev != NULL)
        b->prev->next = b->next;
    else
        live = b->next;
    if (b->next != NULL)
        b->next->prev = b->prev;
}

/* The live record at this address, or NULL: found without reading through the pointer. */
static DebugBuffer *find_record(const void *internal)
{
    for (DebugBuffer *b = live; b != NULL; b = b->next)
        if ((const void *)b == internal)
            return b;
    return NULL;
}

static int handle_is_open(const DebugBuffer *b)
{
    return b->handle->seq == b->seq && b->handle->state == HPY_DH_OPEN;
}

HPyAPI_IMPL int hpy__debug_GetBuffer(HPyContext *ctx, HPy obj, HPy_buffer *buffer, int flags)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPy_GetBuffer");
    HPy uobj = hpy__debug_unwrap(ctx, obj);
    if (buffer == NULL)
        hpy__debug_fatal("HPy_GetBuffer: the HPy_buffer to fill is NULL");
    buffer->obj = HPy_NULL;
    buffer->internal = NULL;
    DebugBuffer *b = (DebugBuffer *)PyMem_Malloc(sizeof(DebugBuffer));
    if (b == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (ctx_GetBuffer(u, uobj, &b->ubuf, flags) < 0) {
        PyMem_Free(b);
        return -1;
    }
    *buffer = b->ubuf;
    b->handle = NULL;
    b->seq = 0;
    if (!HPy_IsNull(b->ubuf.obj)) {
        Py_INCREF(_h2py(b->ubuf.obj));
        buffer->obj = hpy__debug_open(b->ubuf.obj);
        b->handle = hpy__debug_handle(buffer->obj);
        b->seq = b->handle->seq;
    }
    buffer->internal = b;
    link_record(b);
    return 0;
}

HPyAPI_IMPL void hpy__debug_Buffer_Release(HPyContext *ctx, HPy_buffer *buffer)
{
    HPyContext *u = hpy__debug_uctx(ctx, "HPyBuffer_Release");
    if (buffer == NULL)
        hpy__debug_fatal("HPyBuffer_Release: the HPy_buffer is NULL");
    if (buffer->internal == NULL && HPy_IsNull(buffer->obj))
        return;                     /* its get failed: nothing to give back */
    if (buffer->internal == &released) {
        hpy__debug_invalid_handle_report("HPyBuffer_Release: the buffer was released already");
        return;
    }
    DebugBuffer *b = find_record(buffer->internal);
    if (b == NULL) {
        hpy__debug_invalid_handle_report("HPyBuffer_Release: the buffer was not filled by "
                                         "HPy_GetBuffer, or a copy of it was released already");
        return;
    }
    unlink_record(b);
    buffer->obj = HPy_NULL;
    buffer->internal = &released;
    if (b->handle != NULL) {
        if (handle_is_open(b))
            hpy__debug_close(_hconv((intptr_t)b->handle));
        else
            hpy__debug_invalid_handle();    /* the module closed obj: the release closes it */
    }
    ctx_Buffer_Release(u, &b->ubuf);
    PyMem_Free(b);
}

HPyAPI_IMPL int hpy__debug_is_buffer_obj(const DebugHandle *d)
{
    for (DebugBuffer *b = live; b != NULL; b = b->next)
        if (b->handle == d && handle_is_open(b))
            return 1;
    return 0;
}
