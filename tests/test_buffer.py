"""HPy_GetBuffer and HPyBuffer_Release, the consumer side of the buffer protocol
(docs/buffers.md): every field and every error as CPython's own PyObject_GetBuffer gives them
(read through ctypes), for builtin exporters and an HPy-defined one, under every request flag;
buffers held between get and release; the exporter's release called once; the HPyBUF_* values;
and the minor version a module using them requires. The debug-mode checks are in
test_buffer_debug.py."""
import array
import binascii
import ctypes
import os
import re

import pytest

import hpy.universal
import support
from support import refcount as support_refcount
from support import DEBUG_ABIS, extension_spec
from type_helpers import raises_exactly, with_types
from hpy.universal import _debug

# CPython's PyBUF_* values (Include/pybuffer.h), which HPyBUF_* equal.
FLAGS = {
    'SIMPLE': 0, 'WRITABLE': 0x1, 'WRITEABLE': 0x1, 'FORMAT': 0x4, 'ND': 0x8, 'STRIDES': 0x18,
    'C_CONTIGUOUS': 0x38, 'F_CONTIGUOUS': 0x58, 'ANY_CONTIGUOUS': 0x98, 'INDIRECT': 0x118,
    'CONTIG': 0x9, 'CONTIG_RO': 0x8, 'STRIDED': 0x19, 'STRIDED_RO': 0x18, 'RECORDS': 0x1d,
    'RECORDS_RO': 0x1c, 'FULL': 0x11d, 'FULL_RO': 0x11c, 'MAX_NDIM': 64,
}

GRID = '''
    #include <string.h>

    /* An exporter: a rows x cols grid of bytes 'a', 'b', ...; shape, strides and format only
       when asked for. It hands out the address of its marker as internal, and counts exports,
       releases, and releases that got that internal and its memory back. */
    typedef struct {
        unsigned char data[64];
        HPy_ssize_t shape[2];
        HPy_ssize_t strides[2];
        int readonly;
        int marker;
        long exports, releases, good_releases;
    } GridObject;
    HPyType_HELPERS(GridObject)

    HPyDef_SLOT(Grid_new, HPy_tp_new)
    static HPy Grid_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        HPy_ssize_t rows, cols;
        int readonly;
        GridObject *g;
        (void)kw;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "nni", &rows, &cols, &readonly))
            return HPy_NULL;
        if (rows < 1 || cols < 1 || rows * cols > 64)
            return HPyErr_SetString(ctx, ctx->h_ValueError, "bad grid size");
        HPy h = HPy_New(ctx, cls, &g);
        if (HPy_IsNull(h))
            return HPy_NULL;
        for (HPy_ssize_t i = 0; i < rows * cols; i++)
            g->data[i] = (unsigned char)('a' + i);
        g->shape[0] = rows;
        g->shape[1] = cols;
        g->strides[0] = cols;
        g->strides[1] = 1;
        g->readonly = readonly;
        return h;
    }

    HPyDef_SLOT(Grid_getbuffer, HPy_bf_getbuffer)
    static int Grid_getbuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view, int flags)
    {
        GridObject *g = GridObject_AsStruct(ctx, self);
        if ((flags & HPyBUF_WRITABLE) && g->readonly) {
            HPyErr_SetString(ctx, ctx->h_BufferError, "Grid is read-only");
            return -1;
        }
        view->buf = g->data;
        view->obj = HPy_Dup(ctx, self);
        view->len = g->shape[0] * g->shape[1];
        view->itemsize = 1;
        view->readonly = g->readonly;
        view->ndim = (flags & HPyBUF_ND) ? 2 : 1;
        view->format = (flags & HPyBUF_FORMAT) ? (char *)"B" : NULL;
        view->shape = (flags & HPyBUF_ND) ? g->shape : NULL;
        view->strides = (flags & HPyBUF_STRIDES) == HPyBUF_STRIDES ? g->strides : NULL;
        view->suboffsets = NULL;
        view->internal = &g->marker;
        g->exports++;
        return 0;
    }

    HPyDef_SLOT(Grid_releasebuffer, HPy_bf_releasebuffer)
    static void Grid_releasebuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view)
    {
        GridObject *g = GridObject_AsStruct(ctx, self);
        g->releases++;
        if (view->internal == &g->marker && view->buf == g->data)
            g->good_releases++;
    }

    HPyDef_METH(Grid_counts, "counts", HPyFunc_NOARGS)
    static HPy Grid_counts_impl(HPyContext *ctx, HPy self)
    {
        GridObject *g = GridObject_AsStruct(ctx, self);
        return HPy_BuildValue(ctx, "lll", g->exports, g->releases, g->good_releases);
    }

    static HPyDef *Grid_defines[] = { &Grid_new, &Grid_getbuffer, &Grid_releasebuffer,
                                      &Grid_counts, NULL };
    static HPyType_Spec Grid_spec = {
        .name = "mytest.Grid", .basicsize = sizeof(GridObject), .defines = Grid_defines,
    };
'''

CONSUMER = '''
    static HPy ssize_tuple(HPyContext *ctx, const HPy_ssize_t *items, int n)
    {
        if (items == NULL)
            return HPy_Dup(ctx, ctx->h_None);
        HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, n);
        for (int i = 0; i < n; i++) {
            HPy v = HPyLong_FromSsize_t(ctx, items[i]);
            if (HPy_IsNull(v)) {
                HPyTupleBuilder_Cancel(ctx, tb);
                return HPy_NULL;
            }
            HPyTupleBuilder_Set(ctx, tb, i, v);
            HPy_Close(ctx, v);
        }
        return HPyTupleBuilder_Build(ctx, tb);
    }

    /* The bytes of every item in C order, found through shape and strides when both are
       there (the memory is contiguous otherwise). */
    static HPy content(HPyContext *ctx, const HPy_buffer *b)
    {
        if (b->shape == NULL || b->strides == NULL || b->ndim == 0 || b->len == 0)
            return HPyBytes_FromStringAndSize(ctx, (const char *)b->buf, b->len);
        char *out = (char *)malloc((size_t)b->len);
        if (out == NULL)
            return HPyErr_NoMemory(ctx);
        HPy_ssize_t index[HPyBUF_MAX_NDIM] = {0}, n = 0;
        int d;
        do {
            const char *p = (const char *)b->buf;
            for (d = 0; d < b->ndim; d++)
                p += index[d] * b->strides[d];
            memcpy(out + n, p, (size_t)b->itemsize);
            n += b->itemsize;
            for (d = b->ndim - 1; d >= 0 && ++index[d] == b->shape[d]; d--)
                index[d] = 0;
        } while (d >= 0 && n < b->len);
        HPy r = HPyBytes_FromStringAndSize(ctx, out, n);
        free(out);
        return r;
    }

    /* (content, len, itemsize, readonly, ndim, format, shape, strides, has suboffsets,
       obj is `arg`) */
    static HPy describe(HPyContext *ctx, const HPy_buffer *b, HPy arg)
    {
        HPy data = content(ctx, b);
        HPy format = b->format ? HPyUnicode_FromString(ctx, b->format) : HPy_Dup(ctx, ctx->h_None);
        HPy shape = ssize_tuple(ctx, b->shape, b->ndim);
        HPy strides = ssize_tuple(ctx, b->strides, b->ndim);
        HPy r = HPy_NULL;
        if (!HPy_IsNull(data) && !HPy_IsNull(format) && !HPy_IsNull(shape) && !HPy_IsNull(strides))
            r = HPy_BuildValue(ctx, "OnniiOOOii", data, b->len, b->itemsize, b->readonly, b->ndim,
                               format, shape, strides, b->suboffsets != NULL,
                               HPy_Is(ctx, b->obj, arg));
        HPy_Close(ctx, data);
        HPy_Close(ctx, format);
        HPy_Close(ctx, shape);
        HPy_Close(ctx, strides);
        return r;
    }

    /* get(obj, flags): describe(the buffer), released; a failed get keeps its exception, after
       checking that it left obj and internal null and that releasing it does nothing. */
    HPyDef_METH(get, "get", HPyFunc_VARARGS)
    static HPy get_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy obj;
        int flags;
        HPy_buffer b;
        (void)self;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "Oi", &obj, &flags))
            return HPy_NULL;
        memset(&b, 0xA5, sizeof(b));
        if (HPy_GetBuffer(ctx, obj, &b, flags) < 0) {
            if (!HPy_IsNull(b.obj) || b.internal != NULL)
                return HPyErr_SetString(ctx, ctx->h_AssertionError, "failed get left obj set");
            HPyBuffer_Release(ctx, &b);
            return HPy_NULL;
        }
        HPy r = describe(ctx, &b, obj);
        HPyBuffer_Release(ctx, &b);
        if (!HPy_IsNull(b.obj)) {
            HPy_Close(ctx, r);
            return HPyErr_SetString(ctx, ctx->h_AssertionError, "release left obj set");
        }
        return r;
    }

    HPyDef_METH(get_null, "get_null", HPyFunc_NOARGS)
    static HPy get_null_impl(HPyContext *ctx, HPy self)
    {
        HPy_buffer b;
        (void)self;
        if (HPy_GetBuffer(ctx, HPy_NULL, &b, HPyBUF_SIMPLE) == 0) {
            HPyBuffer_Release(ctx, &b);
            return HPyErr_SetString(ctx, ctx->h_AssertionError, "got a buffer of HPy_NULL");
        }
        return HPy_NULL;
    }

    /* set_byte(obj, index, value): write through a writable buffer */
    HPyDef_METH(set_byte, "set_byte", HPyFunc_VARARGS)
    static HPy set_byte_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy obj;
        HPy_ssize_t index;
        int value;
        HPy_buffer b;
        (void)self;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "Oni", &obj, &index, &value))
            return HPy_NULL;
        if (HPy_GetBuffer(ctx, obj, &b, HPyBUF_WRITABLE) < 0)
            return HPy_NULL;
        if (b.readonly || index < 0 || index >= b.len) {
            HPyBuffer_Release(ctx, &b);
            return HPyErr_SetString(ctx, ctx->h_AssertionError, "bad writable buffer");
        }
        ((unsigned char *)b.buf)[index] = (unsigned char)value;
        HPyBuffer_Release(ctx, &b);
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* Buffers held across calls: hold(obj, flags), describe_held(i), release_held() (the
       count released, most recent first). */
    #define MAX_HELD 8
    static HPy_buffer held[MAX_HELD];
    static int n_held;

    HPyDef_METH(hold, "hold", HPyFunc_VARARGS)
    static HPy hold_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy obj;
        int flags;
        (void)self;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "Oi", &obj, &flags))
            return HPy_NULL;
        if (n_held == MAX_HELD)
            return HPyErr_SetString(ctx, ctx->h_ValueError, "too many buffers held");
        if (HPy_GetBuffer(ctx, obj, &held[n_held], flags) < 0)
            return HPy_NULL;
        n_held++;
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(describe_held, "describe_held", HPyFunc_O)
    static HPy describe_held_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        long i = HPyLong_AsLong(ctx, arg);
        if (i < 0 || i >= n_held)
            return HPyErr_SetString(ctx, ctx->h_IndexError, "no such buffer held");
        return describe(ctx, &held[i], held[i].obj);
    }

    HPyDef_METH(release_held, "release_held", HPyFunc_NOARGS)
    static HPy release_held_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        int n = n_held;
        while (n_held > 0)
            HPyBuffer_Release(ctx, &held[--n_held]);
        return HPyLong_FromLong(ctx, n);
    }

    /* release_twice(obj): get a buffer and release it twice */
    HPyDef_METH(release_twice, "release_twice", HPyFunc_O)
    static HPy release_twice_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_buffer b;
        (void)self;
        if (HPy_GetBuffer(ctx, arg, &b, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        HPyBuffer_Release(ctx, &b);
        HPyBuffer_Release(ctx, &b);
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* The HPyBUF_* values, by name; where Python.h is there, each equals its PyBUF_* at
       compile time. */
    #define FLAG(NAME) { #NAME, HPyBUF_##NAME }
    static const struct { const char *name; int value; } flag_table[] = {
        FLAG(SIMPLE), FLAG(WRITABLE), FLAG(WRITEABLE), FLAG(FORMAT), FLAG(ND), FLAG(STRIDES),
        FLAG(C_CONTIGUOUS), FLAG(F_CONTIGUOUS), FLAG(ANY_CONTIGUOUS), FLAG(INDIRECT),
        FLAG(CONTIG), FLAG(CONTIG_RO), FLAG(STRIDED), FLAG(STRIDED_RO), FLAG(RECORDS),
        FLAG(RECORDS_RO), FLAG(FULL), FLAG(FULL_RO), FLAG(MAX_NDIM),
    };
    #if !defined(HPY_ABI_UNIVERSAL)
    #  define SAME(NAME) (HPyBUF_##NAME == PyBUF_##NAME)
    typedef char flags_equal_cpythons[
        (SAME(SIMPLE) && SAME(WRITABLE) && SAME(WRITEABLE) && SAME(FORMAT) && SAME(ND) &&
         SAME(STRIDES) && SAME(C_CONTIGUOUS) && SAME(F_CONTIGUOUS) && SAME(ANY_CONTIGUOUS) &&
         SAME(INDIRECT) && SAME(CONTIG) && SAME(CONTIG_RO) && SAME(STRIDED) &&
         SAME(STRIDED_RO) && SAME(RECORDS) && SAME(RECORDS_RO) && SAME(FULL) &&
         SAME(FULL_RO) && SAME(MAX_NDIM)) ? 1 : -1];
    #endif

    HPyDef_METH(flags, "flags", HPyFunc_NOARGS)
    static HPy flags_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPy d = HPyDict_New(ctx);
        for (size_t i = 0; !HPy_IsNull(d) && i < sizeof(flag_table) / sizeof(flag_table[0]); i++) {
            HPy v = HPyLong_FromLong(ctx, flag_table[i].value);
            if (HPy_IsNull(v) || HPy_SetItem_s(ctx, d, flag_table[i].name, v) < 0) {
                HPy_Close(ctx, d);
                d = HPy_NULL;
            }
            HPy_Close(ctx, v);
        }
        return d;
    }

    @EXPORT(get)
    @EXPORT(get_null)
    @EXPORT(set_byte)
    @EXPORT(hold)
    @EXPORT(describe_held)
    @EXPORT(release_held)
    @EXPORT(release_twice)
    @EXPORT(flags)
    @INIT
'''

SOURCE = with_types(GRID + CONSUMER, ('Grid', 'Grid_spec'))


@pytest.fixture
def mod(compile_module):
    return compile_module(SOURCE)


# ---- CPython's own answer, through ctypes -------------------------------------------------------

class PyBuffer(ctypes.Structure):
    _fields_ = [('buf', ctypes.c_void_p), ('obj', ctypes.c_void_p), ('len', ctypes.c_ssize_t),
                ('itemsize', ctypes.c_ssize_t), ('readonly', ctypes.c_int),
                ('ndim', ctypes.c_int), ('format', ctypes.c_char_p),
                ('shape', ctypes.POINTER(ctypes.c_ssize_t)),
                ('strides', ctypes.POINTER(ctypes.c_ssize_t)),
                ('suboffsets', ctypes.POINTER(ctypes.c_ssize_t)), ('internal', ctypes.c_void_p)]


def cpython_get(obj, flags):
    """What PyObject_GetBuffer(obj, flags) gives, as the module's get() describes it."""
    # PYFUNCTYPE: called with the GIL held, and a Python exception set by the call is raised
    _get_buffer = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.POINTER(PyBuffer),
                                    ctypes.c_int)(('PyObject_GetBuffer', ctypes.pythonapi))
    _release_buffer = ctypes.PYFUNCTYPE(None, ctypes.POINTER(PyBuffer))(
        ('PyBuffer_Release', ctypes.pythonapi))
    view = PyBuffer()
    _get_buffer(obj, ctypes.byref(view), flags)
    try:
        n = view.ndim
        shape = tuple(view.shape[i] for i in range(n)) if view.shape else None
        strides = tuple(view.strides[i] for i in range(n)) if view.strides else None
        if shape is None or strides is None or n == 0 or view.len == 0:
            data = ctypes.string_at(view.buf, view.len)
        else:
            items = []
            def walk(d, offset):
                if d == n:
                    items.append(ctypes.string_at(view.buf + offset, view.itemsize))
                    return
                for i in range(shape[d]):
                    walk(d + 1, offset + i * strides[d])
            walk(0, 0)
            data = b''.join(items)
        fmt = view.format.decode() if view.format is not None else None
        return (data, view.len, view.itemsize, view.readonly, n, fmt, shape, strides,
                int(bool(view.suboffsets)), int(view.obj == id(obj)))
    finally:
        _release_buffer(ctypes.byref(view))


def outcome(func, *args):
    try:
        return func(*args)
    except Exception as e:
        return (type(e), str(e))


def released_memoryview():
    m = memoryview(b'abc')
    m.release()
    return m


def exporters(mod):
    return [
        b'hello', b'', bytearray(b'writable'), memoryview(b'abcdef'),
        memoryview(b'abcdef')[::2], memoryview(bytearray(b'abcdef')).toreadonly(),
        memoryview(bytes(range(12))).cast('B', (3, 4)),
        memoryview(bytes(range(12))).cast('B', (3, 4))[::2],
        memoryview(bytes(range(24))).cast('h', (3, 4)),
        array.array('i', [1, 2, 3]), array.array('d', [1.5, -2.0]), array.array('b'),
        mod.Grid(2, 3, 1), mod.Grid(3, 2, 0), mod.Grid(1, 1, 0),
        1, 'text', None, released_memoryview(),
    ]


# ---- the tests ----------------------------------------------------------------------------------

def test_flag_values(mod):
    assert mod.flags() == FLAGS


@pytest.mark.runtime_specific("compares with CPython's own PyObject_GetBuffer, called through "
                              'ctypes.pythonapi (PyPy has no pythonapi)')
def test_every_field_and_error_as_cpython_gives_them(mod):
    for obj in exporters(mod):
        for name, flags in FLAGS.items():
            if name == 'MAX_NDIM':
                continue
            expected = outcome(cpython_get, obj, flags)
            assert outcome(mod.get, obj, flags) == expected, (obj, name)


def test_fields(mod):
    B = FLAGS
    assert mod.get(b'hello', B['SIMPLE']) == (b'hello', 5, 1, 1, 1, None, None, None, 0, 1)
    assert mod.get(b'hello', B['STRIDES']) == (b'hello', 5, 1, 1, 1, None, (5,), (1,), 0, 1)
    assert mod.get(bytearray(b'ab'), B['FULL']) == (b'ab', 2, 1, 0, 1, 'B', (2,), (1,), 0, 1)
    a = array.array('i', [1, 2, 3])
    assert mod.get(a, B['FORMAT'] | B['ND']) == (a.tobytes(), 12, 4, 0, 1, 'i', (3,), None, 0, 1)
    m = memoryview(bytes(range(12))).cast('B', (3, 4))
    assert mod.get(m, B['STRIDES']) == (bytes(range(12)), 12, 1, 1, 2, None, (3, 4), (4, 1), 0, 1)
    assert mod.get(m[::2], B['STRIDED_RO']) == (bytes([0, 1, 2, 3, 8, 9, 10, 11]), 8, 1, 1, 2,
                                                None, (2, 4), (8, 1), 0, 1)
    assert mod.get(memoryview(b'abcdef')[::2], B['STRIDES']) == (b'ace', 3, 1, 1, 1, None, (3,),
                                                                 (2,), 0, 1)
    g = mod.Grid(2, 3, 1)
    assert mod.get(g, B['FULL_RO']) == (b'abcdef', 6, 1, 1, 2, 'B', (2, 3), (3, 1), 0, 1)
    assert mod.get(g, B['ND']) == (b'abcdef', 6, 1, 1, 2, None, (2, 3), None, 0, 1)
    assert mod.get(g, B['SIMPLE']) == (b'abcdef', 6, 1, 1, 1, None, None, None, 0, 1)


def test_errors(mod):
    B = FLAGS
    with raises_exactly(TypeError, support.python_error(binascii.hexlify, 1)):
        mod.get(1, B['SIMPLE'])
    with raises_exactly(TypeError, "a bytes-like object is required, not 'str'"):
        mod.get('text', B['SIMPLE'])
    with raises_exactly(BufferError, 'Object is not writable.'):
        mod.get(b'abc', B['WRITABLE'])
    with raises_exactly(BufferError, 'memoryview: underlying buffer is not writable'):
        mod.get(memoryview(bytearray(3)).toreadonly(), B['CONTIG'])
    with raises_exactly(BufferError, 'memoryview: underlying buffer is not C-contiguous'):
        mod.get(memoryview(b'abcdef')[::2], B['ND'])
    with raises_exactly(BufferError, 'Grid is read-only'):
        mod.get(mod.Grid(1, 1, 1), B['WRITABLE'])
    with raises_exactly(ValueError, 'operation forbidden on released memoryview object'):
        mod.get(released_memoryview(), B['SIMPLE'])
    with raises_exactly(SystemError, 'HPy_GetBuffer: the object is a null handle'):
        mod.get_null()


def test_writing_through_a_buffer(mod):
    ba = bytearray(b'abc')
    mod.set_byte(ba, 1, ord('X'))
    assert ba == b'aXc'
    target = bytearray(b'0123456789')
    mod.set_byte(memoryview(target)[2:5], 0, ord('!'))
    assert target == b'01!3456789'
    g = mod.Grid(2, 2, 0)
    mod.set_byte(g, 3, ord('Z'))
    assert mod.get(g, FLAGS['SIMPLE'])[0] == b'abcZ'
    for readonly in (b'abc', memoryview(bytearray(b'abc')).toreadonly(), mod.Grid(1, 2, 1)):
        with pytest.raises(BufferError):
            mod.set_byte(readonly, 0, 0)
    assert g.counts() == (2, 2, 2)


def test_a_held_buffer_stays_valid_until_released(mod):
    ba = bytearray(b'abc')
    mod.hold(ba, FLAGS['SIMPLE'])
    with raises_exactly(BufferError, 'Existing exports of data: object cannot be re-sized'):
        ba.append(100)
    # shape and strides of bytes point into CPython's Py_buffer: it lives as long as the buffer
    mod.hold(b'hello', FLAGS['STRIDES'])
    m = memoryview(bytes(range(6))).cast('B', (2, 3))
    mod.hold(m, FLAGS['FULL_RO'])
    for _ in range(3):
        assert mod.get(b'other', FLAGS['STRIDES'])[6:8] == ((5,), (1,))
    assert mod.describe_held(1) == (b'hello', 5, 1, 1, 1, None, (5,), (1,), 0, 1)
    assert mod.describe_held(2) == (bytes(range(6)), 6, 1, 1, 2, 'B', (2, 3), (3, 1), 0, 1)
    with pytest.raises(BufferError):
        m.release()                              # exported
    assert mod.release_held() == 3
    ba.append(100)
    assert ba == b'abcd'
    m.release()


def refcount(box):
    """The reference count of box[0], measured the same way wherever it is called from (on
    3.14, sys.getrefcount of a local depends on how the compiler loads it at that place)."""
    return support_refcount(box[0])


def test_release_calls_the_exporter_once(mod, hpy_abi):
    box = [mod.Grid(2, 2, 0)]
    before = refcount(box)
    mod.hold(box[0], FLAGS['FULL'])
    assert box[0].counts() == (1, 0, 0)
    assert refcount(box) > before                # the buffer's obj
    assert mod.release_held() == 1
    assert box[0].counts() == (1, 1, 1)
    assert refcount(box) == before
    # a second release does nothing, as with CPython's PyBuffer_Release; debug mode reports it
    reports = []
    if hpy_abi in DEBUG_ABIS:
        _debug.set_on_invalid_handle(lambda: reports.append(1))
    try:
        mod.release_twice(box[0])
    finally:
        if hpy_abi in DEBUG_ABIS:
            _debug.set_on_invalid_handle(None)
    assert reports == ([1] if hpy_abi in DEBUG_ABIS else [])
    assert box[0].counts() == (2, 2, 2)
    assert refcount(box) == before


def test_references_are_given_back(mod):
    objs = [b'some bytes', bytearray(b'ba'), memoryview(b'mv'), array.array('i', [7]),
            mod.Grid(1, 2, 0)]
    before = [refcount(objs[i:i + 1]) for i in range(len(objs))]
    for i in range(len(objs)):
        for flags in FLAGS.values():
            outcome(mod.get, objs[i], flags)
    assert [refcount(objs[i:i + 1]) for i in range(len(objs))] == before


def documented_example():
    with open(os.path.join(support.ROOT, 'docs', 'buffers.md')) as f:
        section = f.read().split('## Example', 1)[1]
    return re.search(r'```c\n(.*?)```', section, re.S).group(1)


def test_the_documented_example(compile_module):
    mod = compile_module(documented_example() + '\n@EXPORT(byte_sum)\n@INIT\n',
                         extra_flags=['-Wno-unused-parameter'])
    assert mod.byte_sum(b'\x01\x02\xff') == 258
    assert mod.byte_sum(array.array('h', [1, 2])) == 3
    with raises_exactly(TypeError, "a bytes-like object is required, not 'int'"):
        mod.byte_sum(1)


# ---- the minor version a module using buffers requires -----------------------------------------

USES_BUFFERS = '''
    HPyDef_METH(f, "f", HPyFunc_O)
    static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_buffer b;
        (void)self;
        if (HPy_GetBuffer(ctx, arg, &b, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        HPy_ssize_t n = b.len;
        HPyBuffer_Release(ctx, &b);
        return HPyLong_FromSsize_t(ctx, n);
    }
    @EXPORT(f)
    @INIT
'''

UPSTREAM_ONLY = '''
    HPyDef_METH(f, "f", HPyFunc_O)
    static HPy f_impl(HPyContext *ctx, HPy self, HPy arg) { (void)self; return HPy_Dup(ctx, arg); }
    @EXPORT(f)
    @INIT
'''


def required_minor(name, path):
    getter = getattr(ctypes.CDLL(path), 'get_required_hpy_minor_version_' + name)
    getter.restype = ctypes.c_uint32
    return getter()


def load(name, path):
    return hpy.universal.load(name, path, extension_spec(name, path))


@pytest.mark.parametrize('abi', ['universal', 'hybrid'])
def test_a_minor_1_runtime_refuses_a_module_using_buffers(tmp_path, abi):
    name, path = support.compile_module(USES_BUFFERS, tmp_path, abi)
    name0, path0 = support.compile_module(UPSTREAM_ONLY, tmp_path, abi)
    assert (required_minor(name, path), required_minor(name0, path0)) == (2, 0)
    hpy.universal._set_runtime_minor(1)
    try:
        assert load(name0, path0).f(5) == 5
        with pytest.raises(RuntimeError) as e:
            load(name, path)
    finally:
        hpy.universal._set_runtime_minor(None)
    assert str(e.value) == ("HPy extension module '%s' requires unsupported version of the HPy "
                            "runtime. Requested version: 0.2. Current HPy version: 0.1." % name)
    assert load(name, path).f(b'abcd') == 4
