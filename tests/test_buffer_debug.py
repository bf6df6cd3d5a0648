"""Debug mode and buffers (docs/buffers.md): a buffer released twice, a release of something
HPy_GetBuffer did not fill, the obj handle closed by the module or used after the release, a
closed handle passed to HPy_GetBuffer, each reported (to the on_invalid_handle callback, or
fatal by default: checked in a subprocess); a buffer never released is a leak LeakDetector
finds."""
import textwrap

import pytest

from hpy.debug import HPyLeakError, LeakDetector
from hpy.universal import _debug
from support import refcount as support_refcount
from support import DEBUG_ABIS, run_python

TEST_ABIS = list(DEBUG_ABIS)

# The misuse tests count reports and check reference counts themselves; under --refleaks they
# run once.
pytestmark = pytest.mark.no_refleak_check

MISUSES = '''
    #include <string.h>

    static HPy none(HPyContext *ctx) { return HPy_Dup(ctx, ctx->h_None); }

    HPyDef_METH(release_twice, "release_twice", HPyFunc_O)
    static HPy release_twice_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_buffer b;
        (void)self;
        if (HPy_GetBuffer(ctx, arg, &b, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        HPyBuffer_Release(ctx, &b);
        HPyBuffer_Release(ctx, &b);
        return none(ctx);
    }

    HPyDef_METH(release_copy_then_original, "release_copy_then_original", HPyFunc_O)
    static HPy release_copy_then_original_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_buffer b, copy;
        (void)self;
        if (HPy_GetBuffer(ctx, arg, &b, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        copy = b;
        HPyBuffer_Release(ctx, &copy);
        HPyBuffer_Release(ctx, &b);
        return none(ctx);
    }

    /* an HPy_buffer HPy_GetBuffer never saw */
    HPyDef_METH(release_unfilled, "release_unfilled", HPyFunc_NOARGS)
    static HPy release_unfilled_impl(HPyContext *ctx, HPy self)
    {
        static int somewhere;
        HPy_buffer b;
        (void)self;
        memset(&b, 0, sizeof(b));
        b.internal = &somewhere;
        HPyBuffer_Release(ctx, &b);
        return none(ctx);
    }

    HPyDef_METH(close_obj_then_release, "close_obj_then_release", HPyFunc_O)
    static HPy close_obj_then_release_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_buffer b;
        (void)self;
        if (HPy_GetBuffer(ctx, arg, &b, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        HPy_Close(ctx, b.obj);
        HPyBuffer_Release(ctx, &b);
        return none(ctx);
    }

    HPyDef_METH(obj_after_release, "obj_after_release", HPyFunc_O)
    static HPy obj_after_release_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_buffer b;
        (void)self;
        if (HPy_GetBuffer(ctx, arg, &b, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        HPy obj = b.obj;
        HPyBuffer_Release(ctx, &b);
        return HPy_Repr(ctx, obj);
    }

    HPyDef_METH(get_closed, "get_closed", HPyFunc_O)
    static HPy get_closed_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_buffer b;
        (void)self;
        HPy h = HPy_Dup(ctx, arg);
        HPy_Close(ctx, h);
        if (HPy_GetBuffer(ctx, h, &b, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        HPy_ssize_t n = b.len;
        HPyBuffer_Release(ctx, &b);
        return HPyLong_FromSsize_t(ctx, n);
    }

    static HPy_buffer kept;

    HPyDef_METH(keep, "keep", HPyFunc_O)
    static HPy keep_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        if (HPy_GetBuffer(ctx, arg, &kept, HPyBUF_SIMPLE) < 0)
            return HPy_NULL;
        return none(ctx);
    }

    HPyDef_METH(release_kept, "release_kept", HPyFunc_NOARGS)
    static HPy release_kept_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPyBuffer_Release(ctx, &kept);
        return none(ctx);
    }

    @EXPORT(release_twice)
    @EXPORT(release_copy_then_original)
    @EXPORT(release_unfilled)
    @EXPORT(close_obj_then_release)
    @EXPORT(obj_after_release)
    @EXPORT(get_closed)
    @EXPORT(keep)
    @EXPORT(release_kept)
    @INIT
'''

INVALID_HANDLE = 'Invalid usage of already closed handle'
RELEASED_ALREADY = 'HPyBuffer_Release: the buffer was released already'
NOT_FILLED = ('HPyBuffer_Release: the buffer was not filled by HPy_GetBuffer, or a copy of it '
              'was released already')


@pytest.fixture
def mod(compile_module):
    return compile_module(MISUSES)


@pytest.fixture
def reports():
    """The number of reports made while the test runs (one-element list)."""
    count = [0]

    def report():
        count[0] += 1
    _debug.set_on_invalid_handle(report)
    try:
        yield count
    finally:
        _debug.set_on_invalid_handle(None)


def refcount(box):
    """The reference count of box[0], measured the same way wherever it is called from (on
    3.14, sys.getrefcount of a local depends on how the compiler loads it at that place)."""
    return support_refcount(box[0])


def exported(obj):
    """Whether a bytearray has a buffer exported (it cannot be resized then)."""
    try:
        obj.append(0)
    except BufferError:
        return True
    obj.pop()
    return False


def test_double_release(mod, reports):
    box = [bytearray(b'abc')]
    before = refcount(box)
    assert mod.release_twice(box[0]) is None
    assert reports == [1]
    assert refcount(box) == before and not exported(box[0])


def test_releasing_a_copy_then_the_original(mod, reports):
    box = [bytearray(b'abc')]
    before = refcount(box)
    assert mod.release_copy_then_original(box[0]) is None
    assert reports == [1]
    assert refcount(box) == before and not exported(box[0])


def test_releasing_an_unfilled_buffer(mod, reports):
    assert mod.release_unfilled() is None
    assert reports == [1]


def test_closing_obj_instead_of_releasing(mod, reports):
    box = [bytearray(b'abc')]
    before = refcount(box)
    assert mod.close_obj_then_release(box[0]) is None
    assert reports == [1]                       # the release closes obj a second time
    assert refcount(box) == before and not exported(box[0])


def test_obj_used_after_the_release(mod, reports):
    obj = bytearray(b'abc')
    assert mod.obj_after_release(obj) == repr(obj)      # the operation goes on
    assert reports == [1]


def test_get_with_a_closed_handle(mod, reports):
    obj = b'four'
    assert mod.get_closed(obj) == 4
    assert reports == [1]


def test_a_buffer_never_released_is_a_leak(mod):
    obj = bytearray(b'held')
    with pytest.raises(HPyLeakError) as e:
        with LeakDetector():
            mod.keep(obj)
    [h] = e.value.leaks
    assert h.obj is obj and not h.is_closed
    assert repr(h).startswith('<DebugHandle 0x%x for %r>\nThe obj of an HPy_buffer that was not '
                              'released (HPyBuffer_Release)\n' % (h.id, obj))
    assert exported(obj)
    with LeakDetector():
        mod.release_kept()
    assert h.is_closed and not exported(obj)
    assert repr(h).startswith('<DebugHandle 0x%x CLOSED>\n' % h.id)


FATAL = [
    ('mod.release_twice(b"x")', RELEASED_ALREADY),
    ('mod.release_copy_then_original(b"x")', NOT_FILLED),
    ('mod.release_unfilled()', NOT_FILLED),
    ('mod.close_obj_then_release(b"x")', INVALID_HANDLE),
    ('mod.obj_after_release(b"x")', INVALID_HANDLE),
    ('mod.get_closed(b"x")', INVALID_HANDLE),
]


@pytest.mark.parametrize('code,message', FATAL, ids=[c for c, _ in FATAL])
def test_fatal_by_default(compile_module, code, message):
    name, path = compile_module.compile(MISUSES)
    prog = textwrap.dedent('''
        import importlib.util, resource
        import hpy.universal
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core file
        import importlib.machinery
        _name, _path = %r, %r
        spec = importlib.util.spec_from_file_location(
            _name, _path, loader=importlib.machinery.ExtensionFileLoader(_name, _path))
        mod = hpy.universal.load(%r, %r, spec, mode=hpy.universal.MODE_DEBUG)
        print('loaded', flush=True)
    ''') % (name, path, name, path)
    res = run_python(prog + code + '\nprint("survived", flush=True)\n',
                     env={'PYTHONFAULTHANDLER': ''})
    assert res.stdout == 'loaded\n', res.stderr
    assert res.returncode != 0
    assert 'Fatal Python error' in res.stderr
    assert message in res.stderr
