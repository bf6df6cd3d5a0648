/* The consumer side of the buffer protocol: HPy_GetBuffer and HPyBuffer_Release
 * (docs/buffers.md).
 *
 * Contract, in every ABI: on success buffer->obj is an owned handle to the exporter and the
 * other fields describe the memory as CPython's Py_buffer would; on failure (-1, exception set)
 * buffer->obj and buffer->internal are null. HPyBuffer_Release gives the buffer back to its
 * exporter once and leaves obj and internal null, so releasing a buffer again, or one whose get
 * failed, does nothing. `internal` belongs to the implementation. */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"

static int null_object(void)
{
    PyErr_SetString(PyExc_SystemError, "HPy_GetBuffer: the object is a null handle");
    return -1;
}

#if defined(HPY_ABI_CPYTHON)

/* An HPy_buffer of the CPython ABI is a Py_buffer (a handle is the PyObject* itself): CPython
 * fills and releases it in place, and the exporter's internal stays in it. */
#define SAME_FIELD(f) (offsetof(HPy_buffer, f) == offsetof(Py_buffer, f) && \
                       sizeof(((HPy_buffer *)0)->f) == sizeof(((Py_buffer *)0)->f))
typedef char hpy_buffer_is_a_py_buffer[
    (sizeof(HPy_buffer) == sizeof(Py_buffer) && SAME_FIELD(buf) && SAME_FIELD(obj) &&
     SAME_FIELD(len) && SAME_FIELD(itemsize) && SAME_FIELD(readonly) && SAME_FIELD(ndim) &&
     SAME_FIELD(format) && SAME_FIELD(shape) && SAME_FIELD(strides) &&
     SAME_FIELD(suboffsets) && SAME_FIELD(internal)) ? 1 : -1];

HPyAPI_IMPL int ctx_GetBuffer(HPyContext *ctx, HPy obj, HPy_buffer *buffer, int flags)
{
    (void)ctx;
    int res = HPy_IsNull(obj) ? null_object()
                              : PyObject_GetBuffer(_h2py(obj), (Py_buffer *)(void *)buffer, flags);
    if (res < 0) {
        buffer->obj = HPy_NULL;
        buffer->internal = NULL;
        return -1;
    }
    return 0;
}

HPyAPI_IMPL void ctx_Buffer_Release(HPyContext *ctx, HPy_buffer *buffer)
{
    (void)ctx;
    PyBuffer_Release((Py_buffer *)(void *)buffer);
    buffer->internal = NULL;
}

#else

/* The runtime: CPython's Py_buffer lives on the heap from get to release, pointed to by
 * internal, because exporters may point shape and strides into it (bytes does). obj is the
 * Py_buffer's reference, the one PyBuffer_Release gives back. */
HPyAPI_IMPL int ctx_GetBuffer(HPyContext *ctx, HPy obj, HPy_buffer *buffer, int flags)
{
    (void)ctx;
    buffer->obj = HPy_NULL;
    buffer->internal = NULL;
    if (HPy_IsNull(obj))
        return null_object();
    Py_buffer *view = (Py_buffer *)PyMem_Malloc(sizeof(Py_buffer));
    if (view == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyObject_GetBuffer(_h2py(obj), view, flags) < 0) {
        PyMem_Free(view);
        return -1;
    }
    buffer->buf = view->buf;
    buffer->obj = _py2h(view->obj);
    buffer->len = view->len;
    buffer->itemsize = view->itemsize;
    buffer->readonly = view->readonly;
    buffer->ndim = view->ndim;
    buffer->format = view->format;
    buffer->shape = view->shape;
    buffer->strides = view->strides;
    buffer->suboffsets = view->suboffsets;
    buffer->internal = view;
    return 0;
}

HPyAPI_IMPL void ctx_Buffer_Release(HPyContext *ctx, HPy_buffer *buffer)
{
    (void)ctx;
    Py_buffer *view = (Py_buffer *)buffer->internal;
    buffer->obj = HPy_NULL;
    buffer->internal = NULL;
    if (view == NULL)
        return;
    PyBuffer_Release(view);         /* may run arbitrary code: the HPy_buffer is done with */
    PyMem_Free(view);
}

#endif
