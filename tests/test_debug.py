"""Debug mode: the misuses of python-contract.md §11.2, each with the default reaction (the
process aborts: checked in a subprocess) and with report callbacks (in-process), and the Python
API of hpy.debug and hpy.universal._debug (§8-9)."""
import importlib.util
import re
import textwrap
import types

import pytest

import hpy.debug
import hpy.universal
from hpy.debug import HPyDebugError, HPyLeakError, LeakDetector
from hpy.debug.pytest import hpy_debug  # noqa: F401  (the fixture)
from hpy.universal import _debug
from support import DEBUG_ABIS, run_python, refcount, extension_spec

TEST_ABIS = list(DEBUG_ABIS)

# The misuse tests count reports and check reference counts themselves; under --refleaks they
# run once.
pytestmark = pytest.mark.no_refleak_check

MISUSES = '''
    #include <string.h>

    static HPy stored;                     /* an argument kept after its call: a misuse */
    static const char *raw;                /* raw data of an argument kept after its call */
    static HPy_ssize_t raw_size;

    static HPy none(HPyContext *ctx) { return HPy_Dup(ctx, ctx->h_None); }

    HPyDef_METH(use_closed, "use_closed", HPyFunc_O)
    static HPy use_closed_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy h = HPy_Dup(ctx, arg);
        HPy_Close(ctx, h);
        return HPy_Repr(ctx, h);
    }

    HPyDef_METH(double_close, "double_close", HPyFunc_O)
    static HPy double_close_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy h = HPy_Dup(ctx, arg);
        HPy_Close(ctx, h);
        HPy_Close(ctx, h);
        return none(ctx);
    }

    HPyDef_METH(close_arg, "close_arg", HPyFunc_O)
    static HPy close_arg_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy_Close(ctx, arg);
        return none(ctx);
    }

    HPyDef_METH(return_arg, "return_arg", HPyFunc_O)
    static HPy return_arg_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)ctx; (void)self;
        return arg;
    }

    HPyDef_METH(return_self, "return_self", HPyFunc_NOARGS)
    static HPy return_self_impl(HPyContext *ctx, HPy self)
    {
        (void)ctx;
        return self;
    }

    HPyDef_METH(return_constant, "return_constant", HPyFunc_NOARGS)
    static HPy return_constant_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return ctx->h_None;
    }

    HPyDef_METH(store_arg, "store_arg", HPyFunc_O)
    static HPy store_arg_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        stored = arg;
        return none(ctx);
    }

    HPyDef_METH(use_stored, "use_stored", HPyFunc_NOARGS)
    static HPy use_stored_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return HPy_Repr(ctx, stored);
    }

    HPyDef_METH(close_constant, "close_constant", HPyFunc_NOARGS)
    static HPy close_constant_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPy_Close(ctx, ctx->h_True);
        return none(ctx);
    }

    HPyDef_METH(leak, "leak", HPyFunc_O)
    static HPy leak_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy_Dup(ctx, arg);
        return none(ctx);
    }

    /* Build, then Set and Build again: [arg] if the second Build failed with MemoryError. */
    HPyDef_METH(list_builder_misuse, "list_builder_misuse", HPyFunc_O)
    static HPy list_builder_misuse_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPyListBuilder b = HPyListBuilder_New(ctx, 1);
        HPyListBuilder_Set(ctx, b, 0, arg);
        HPy lst = HPyListBuilder_Build(ctx, b);
        HPyListBuilder_Set(ctx, b, 0, ctx->h_None);
        HPy again = HPyListBuilder_Build(ctx, b);
        if (!HPy_IsNull(again) || !HPyErr_ExceptionMatches(ctx, ctx->h_MemoryError)) {
            HPy_Close(ctx, lst);
            HPy_Close(ctx, again);
            return HPyErr_SetString(ctx, ctx->h_AssertionError, "Build of a built builder");
        }
        HPyErr_Clear(ctx);
        return lst;
    }

    /* Cancel, then Set, Cancel and Build: the MemoryError of the last Build. */
    HPyDef_METH(tuple_builder_misuse, "tuple_builder_misuse", HPyFunc_O)
    static HPy tuple_builder_misuse_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 1);
        HPyTupleBuilder_Cancel(ctx, b);
        HPyTupleBuilder_Set(ctx, b, 0, arg);
        HPyTupleBuilder_Cancel(ctx, b);
        return HPyTupleBuilder_Build(ctx, b);
    }

    /* The bytes at the pointers an API returned, read after the handle was closed. */
    HPyDef_METH(utf8_after_close, "utf8_after_close", HPyFunc_O)
    static HPy utf8_after_close_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy h = HPy_Dup(ctx, arg);
        HPy_ssize_t n;
        const char *s = HPyUnicode_AsUTF8AndSize(ctx, h, &n);
        if (s == NULL) {
            HPy_Close(ctx, h);
            return HPy_NULL;
        }
        HPy_Close(ctx, h);
        return HPyBytes_FromStringAndSize(ctx, s, n + 1);
    }

    HPyDef_METH(bytes_after_close, "bytes_after_close", HPyFunc_O)
    static HPy bytes_after_close_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy h1 = HPy_Dup(ctx, arg), h2 = HPy_Dup(ctx, arg);
        HPy_ssize_t n = HPyBytes_Size(ctx, arg);
        const char *s1 = HPyBytes_AsString(ctx, h1);
        const char *s2 = HPyBytes_AS_STRING(ctx, h2);
        HPy_Close(ctx, h1);
        HPy_Close(ctx, h2);
        HPy items[2];
        items[0] = HPyBytes_FromStringAndSize(ctx, s1, n);
        items[1] = HPyBytes_FromStringAndSize(ctx, s2, n);
        HPy result = HPyTuple_FromArray(ctx, items, 2);
        HPy_Close(ctx, items[0]);
        HPy_Close(ctx, items[1]);
        return result;
    }

    HPyDef_METH(type_name_after_close, "type_name_after_close", HPyFunc_O)
    static HPy type_name_after_close_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy t = HPy_Type(ctx, arg);
        const char *name = HPyType_GetName(ctx, t);
        size_t n = strlen(name);
        HPy_Close(ctx, t);
        return HPyBytes_FromStringAndSize(ctx, name, (HPy_ssize_t)n);
    }

    /* Enters the runtime as a trampoline would, with a signature that does not exist. */
    HPyDef_METH(bad_signature, "bad_signature", HPyFunc_NOARGS)
    static HPy bad_signature_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        ctx->ctx_CallRealFunctionFromTrampoline(ctx, (HPyFunc_Signature)12345, NULL, NULL);
        return none(ctx);
    }

    /* Writes into the memory HPyUnicode_AsUTF8AndSize returned (read-only). */
    HPyDef_METH(write_raw, "write_raw", HPyFunc_O)
    static HPy write_raw_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        char *s = (char *)HPyUnicode_AsUTF8AndSize(ctx, arg, NULL);
        if (s == NULL)
            return HPy_NULL;
        s[0] = 'X';
        return none(ctx);
    }

    HPyDef_METH(keep_raw, "keep_raw", HPyFunc_O)
    static HPy keep_raw_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        raw = HPyUnicode_AsUTF8AndSize(ctx, arg, &raw_size);
        if (raw == NULL)
            return HPy_NULL;
        return HPyBytes_FromStringAndSize(ctx, raw, raw_size);
    }

    HPyDef_METH(read_raw, "read_raw", HPyFunc_NOARGS)
    static HPy read_raw_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return HPyBytes_FromStringAndSize(ctx, raw, raw_size);
    }

    HPyDef_METH(type_check, "type_check", HPyFunc_VARARGS)
    static HPy type_check_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        return HPyLong_FromLong(ctx, HPy_TypeCheck(ctx, args[0], args[1]));
    }

    HPyDef_METH(type_name, "type_name", HPyFunc_O)
    static HPy type_name_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        return HPyUnicode_FromString(ctx, HPyType_GetName(ctx, arg));
    }

    HPyDef_METH(is_subtype, "is_subtype", HPyFunc_VARARGS)
    static HPy is_subtype_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        return HPyLong_FromLong(ctx, HPyType_IsSubtype(ctx, args[0], args[1]));
    }

    HPyDef_METH(substring, "substring", HPyFunc_O)
    static HPy substring_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        return HPyUnicode_Substring(ctx, arg, 0, 1);
    }

    /* call(f, x, kwnames): f(x) with the given kwnames (None: HPy_NULL) */
    HPyDef_METH(call, "call", HPyFunc_VARARGS)
    static HPy call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        HPy kwnames = HPy_Is(ctx, args[2], ctx->h_None) ? HPy_NULL : args[2];
        return HPy_Call(ctx, args[0], &args[1], 1, kwnames);
    }

    /* call_method(name, obj, kwnames): obj.name() with the given kwnames (None: HPy_NULL) */
    HPyDef_METH(call_method, "call_method", HPyFunc_VARARGS)
    static HPy call_method_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        HPy kwnames = HPy_Is(ctx, args[2], ctx->h_None) ? HPy_NULL : args[2];
        return HPy_CallMethod(ctx, args[0], &args[1], 1, kwnames);
    }

    HPyDef_METH(as_struct_object, "as_struct_object", HPyFunc_O)
    static HPy as_struct_object_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        return HPyLong_FromLong(ctx, _HPy_AsStruct_Object(ctx, arg) != NULL);
    }

    HPyDef_METH(as_struct_long, "as_struct_long", HPyFunc_O)
    static HPy as_struct_long_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        return HPyLong_FromLong(ctx, _HPy_AsStruct_Long(ctx, arg) != NULL);
    }

    /* sum of the int arguments (every one is an argument handle) */
    HPyDef_METH(sum_args, "sum_args", HPyFunc_VARARGS)
    static HPy sum_args_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self;
        long total = 0;
        for (size_t i = 0; i < nargs; i++)
            total += HPyLong_AsLong(ctx, args[i]);
        return HPyLong_FromLong(ctx, total);
    }

    HPyDef_METH(context_name, "context_name", HPyFunc_NOARGS)
    static HPy context_name_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return HPyUnicode_FromString(ctx, ctx->name);
    }

    /* Handles kept open across calls (not arguments: a legitimate use), to make the closed queue
       grow and shrink by known amounts. open_kept(n) opens n handles, for the ints 0..n-1, after
       its self and argument handles and before its result; close_kept() closes them all, in the
       order they were opened, after its self handle and before its result. */
    #define MAX_KEPT 100000
    static HPy kept[MAX_KEPT];
    static long n_kept;

    HPyDef_METH(open_kept, "open_kept", HPyFunc_O)
    static HPy open_kept_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        long n = HPyLong_AsLong(ctx, arg);
        if (n == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        if (n < 0 || n > MAX_KEPT - n_kept) {
            HPyErr_SetString(ctx, ctx->h_ValueError, "open_kept: bad count");
            return HPy_NULL;
        }
        for (long i = 0; i < n; i++) {
            HPy h = HPyLong_FromLong(ctx, i);
            if (HPy_IsNull(h))
                return HPy_NULL;
            kept[n_kept++] = h;
        }
        return none(ctx);
    }

    HPyDef_METH(close_kept, "close_kept", HPyFunc_NOARGS)
    static HPy close_kept_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        for (long i = 0; i < n_kept; i++)
            HPy_Close(ctx, kept[i]);
        n_kept = 0;
        return none(ctx);
    }

    @EXPORT(use_closed)
    @EXPORT(double_close)
    @EXPORT(close_arg)
    @EXPORT(return_arg)
    @EXPORT(return_self)
    @EXPORT(return_constant)
    @EXPORT(store_arg)
    @EXPORT(use_stored)
    @EXPORT(close_constant)
    @EXPORT(leak)
    @EXPORT(list_builder_misuse)
    @EXPORT(tuple_builder_misuse)
    @EXPORT(utf8_after_close)
    @EXPORT(bytes_after_close)
    @EXPORT(type_name_after_close)
    @EXPORT(write_raw)
    @EXPORT(bad_signature)
    @EXPORT(keep_raw)
    @EXPORT(read_raw)
    @EXPORT(type_check)
    @EXPORT(type_name)
    @EXPORT(is_subtype)
    @EXPORT(substring)
    @EXPORT(call)
    @EXPORT(call_method)
    @EXPORT(as_struct_object)
    @EXPORT(as_struct_long)
    @EXPORT(sum_args)
    @EXPORT(context_name)
    @EXPORT(open_kept)
    @EXPORT(close_kept)
    @INIT
'''

INVALID_HANDLE = 'Invalid usage of already closed handle'
INVALID_BUILDER = 'Invalid usage of already closed builder'


def pattern(n):
    return (bytes([0xBA, 0xD0, 0xDA, 0x7A]) * (n // 4 + 1))[:n]


@pytest.fixture
def mod(compile_module):
    return compile_module(MISUSES)


class Reports:
    """Counts the calls of the report callbacks while installed."""

    def __init__(self):
        self.handles = 0
        self.builders = 0

    def on_handle(self):
        self.handles += 1

    def on_builder(self):
        self.builders += 1


@pytest.fixture
def portable_raw_data():
    """Raw-data copies made during the test are overwritten on close instead of unmapped, so the
    test can read them."""
    assert _debug._get_raw_data_protection() == 'mmap'
    _debug._set_raw_data_protection('portable')
    try:
        yield
    finally:
        _debug._set_raw_data_protection('mmap')


@pytest.fixture
def reports():
    r = Reports()
    _debug.set_on_invalid_handle(r.on_handle)
    _debug.set_on_invalid_builder_handle(r.on_builder)
    try:
        yield r
    finally:
        _debug.set_on_invalid_handle(None)
        _debug.set_on_invalid_builder_handle(None)


# ---- the default reaction: a fatal error -------------------------------------------------------

RAW_CLOSED = ('HPy debug mode: the memory returned by %s was accessed after its handle was '
              'closed')

FATAL = [
    ('mod.use_closed("x")', INVALID_HANDLE),
    ('mod.double_close("x")', INVALID_HANDLE),
    ('mod.close_arg("x")', INVALID_HANDLE),
    ('mod.return_arg("x")', INVALID_HANDLE),
    ('mod.return_self()', INVALID_HANDLE),
    ('mod.return_constant()', INVALID_HANDLE),
    ('mod.store_arg("x"); mod.use_stored()', INVALID_HANDLE),
    ('mod.close_constant()', INVALID_HANDLE),
    ('mod.list_builder_misuse("x")', INVALID_BUILDER),
    ('mod.tuple_builder_misuse("x")', INVALID_BUILDER),
    ('mod.utf8_after_close("abc")', RAW_CLOSED % 'HPyUnicode_AsUTF8AndSize'),
    ('mod.bytes_after_close(b"abc")', RAW_CLOSED % 'HPyBytes_AsString'),
    ('mod.type_name_after_close(3)', RAW_CLOSED % 'HPyType_GetName'),
    ('mod.keep_raw("abc"); mod.read_raw()', RAW_CLOSED % 'HPyUnicode_AsUTF8AndSize'),
    ('mod.write_raw("abc")', 'HPy debug mode: the memory returned by HPyUnicode_AsUTF8AndSize '
                             'was written to (it is read-only)'),
    ('mod.bad_signature()', 'Unsupported HPyFunc_Signature in debug_ctx_cpython.c'),
    ('mod.type_check(1, 2)', 'HPy_TypeCheck arg 2 must be a type'),
    ('mod.type_name(1)', 'HPyType_GetName arg must be a type'),
    ('mod.is_subtype(1, int)', 'HPyType_IsSubtype arg 1 must be a type'),
    ('mod.is_subtype(int, 1)', 'HPyType_IsSubtype arg 2 must be a type'),
    ('mod.substring(1)', 'HPyUnicode_Substring arg 1 must be a Unicode object'),
    ('mod.call(print, 1, ["end"])', "HPy_Call arg 'kwnames' must be a tuple object or HPy_NULL"),
    ('mod.call_method("upper", "x", ["end"])',
     "HPy_CallMethod arg 'kwnames' must be a tuple object or HPy_NULL"),
    ('mod.as_struct_object(1)', 'Invalid usage of _HPy_AsStruct_Object. Expected shape '
                                'HPyType_BuiltinShape_Object but got HPyType_BuiltinShape_Legacy'),
    ('mod.as_struct_long("x")', 'Invalid usage of _HPy_AsStruct_Long. Expected shape '
                                'HPyType_BuiltinShape_Long but got HPyType_BuiltinShape_Legacy'),
]


def run_in_debug_mode(compile_module, code):
    """Load the module in debug mode in a fresh interpreter and run `code` there."""
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
    return run_python(prog + code + '\nprint("survived", flush=True)\n',
                      env={'PYTHONFAULTHANDLER': ''})


@pytest.mark.parametrize('code,message', FATAL, ids=[c for c, _ in FATAL])
def test_fatal_by_default(compile_module, code, message):
    res = run_in_debug_mode(compile_module, code)
    assert res.stdout == 'loaded\n', res.stderr
    assert res.returncode != 0
    assert 'Fatal Python error' in res.stderr
    assert message in res.stderr


def test_correct_uses_do_not_abort(compile_module):
    res = run_in_debug_mode(compile_module, textwrap.dedent('''
        assert mod.type_check(True, int) == 1
        assert mod.type_name(int) == 'int'
        assert mod.is_subtype(bool, int) == 1
        assert mod.substring('abc') == 'a'
        assert mod.call(print, 'x', None) is None
        assert mod.call(str, b'x', None) == "b'x'"
        assert mod.call_method('upper', 'x', None) == 'X'
        assert mod.list_builder_misuse is not None
        assert mod.keep_raw('abc') == b'abc'        # read-only copy, read during the call
        assert mod.type_name(int) == 'int'
    '''))
    assert res.returncode == 0, res.stderr
    assert res.stdout == 'loaded\nx\nsurvived\n'


def test_other_faults_reach_the_previous_handler(compile_module):
    # the fault handler of the raw-data protection only takes faults on its own pages
    res = run_in_debug_mode(compile_module, textwrap.dedent('''
        import ctypes, faulthandler
        faulthandler.enable()
        assert mod.keep_raw('abc') == b'abc'        # installs the handler
        ctypes.string_at(0)
    '''))
    assert res.returncode != 0
    assert 'Segmentation fault' in res.stderr, res.stderr
    assert 'HPy debug mode' not in res.stderr


# ---- the report callbacks ----------------------------------------------------------------------

def test_use_of_closed_handle(mod, reports):
    obj = 'a string'
    assert mod.use_closed(obj) == repr(obj)      # the operation goes on
    assert reports.handles == 1


def test_double_close(mod, reports):
    obj = object()
    before = refcount(obj)
    assert mod.double_close(obj) is None
    assert reports.handles == 1
    assert refcount(obj) == before


def test_closing_an_argument(mod, reports):
    obj = object()
    before = refcount(obj)
    assert mod.close_arg(obj) is None
    assert reports.handles == 1
    assert refcount(obj) == before


def test_returning_an_argument_without_dup(mod, reports):
    obj = object()
    before = refcount(obj)
    assert mod.return_arg(obj) is obj
    assert reports.handles == 1
    assert refcount(obj) == before
    assert mod.return_self() is mod
    assert reports.handles == 2


def test_returning_a_constant_without_dup(mod, reports):
    assert mod.return_constant() is None
    assert reports.handles == 1


def test_argument_kept_in_a_global(mod, reports):
    obj = 'kept'
    assert mod.store_arg(obj) is None
    assert reports.handles == 0
    assert mod.use_stored() == repr(obj)
    assert reports.handles == 1


def test_closing_a_constant(mod, reports):
    assert mod.close_constant() is None
    assert reports.handles == 1
    assert mod.close_constant() is None         # constants stay usable
    assert reports.handles == 2


def test_builder_misuse(mod, reports):
    obj = object()
    before = refcount(obj)
    assert mod.list_builder_misuse(obj) == [obj]
    assert (reports.builders, reports.handles) == (2, 0)
    with pytest.raises(MemoryError):
        mod.tuple_builder_misuse(obj)
    assert (reports.builders, reports.handles) == (5, 0)
    assert refcount(obj) == before


def test_callback_raising(mod, capfd):
    def fail():
        raise RuntimeError('from the callback')
    _debug.set_on_invalid_handle(fail)
    _debug.set_on_invalid_builder_handle(fail)
    try:
        assert mod.double_close('x') is None
        assert mod.list_builder_misuse('x') == ['x']
    finally:
        _debug.set_on_invalid_handle(None)
        _debug.set_on_invalid_builder_handle(None)
    err = capfd.readouterr().err
    assert 'Error when executing the on_invalid_handle callback' in err
    assert 'Error when executing the on_invalid_builder_handle callback' in err


def test_callback_keeps_the_pending_exception(compile_module, reports):
    mod = compile_module('''
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            HPy h = HPy_Dup(ctx, arg);
            HPy_Close(ctx, h);
            HPyErr_SetString(ctx, ctx->h_KeyError, "pending");
            HPy_Close(ctx, h);
            return HPy_NULL;
        }
        @EXPORT(f)
        @INIT
    ''')
    _debug.set_on_invalid_handle(lambda: [][1])     # raises IndexError
    with pytest.raises(KeyError, match='pending'):
        mod.f('x')


def test_raw_data_overwritten_after_close(mod, portable_raw_data):
    s = 'hello, debug mode'
    assert mod.utf8_after_close(s) == pattern(len(s) + 1)
    b = b'some bytes'
    assert mod.bytes_after_close(b) == (pattern(len(b)), pattern(len(b)))
    assert mod.type_name_after_close(3) == pattern(len('int'))


def test_raw_data_of_an_argument_after_the_call(mod, portable_raw_data):
    s = 'an argument'
    assert mod.keep_raw(s) == s.encode()
    assert mod.read_raw() == pattern(len(s))


def test_raw_data_sizes(mod, portable_raw_data):
    # closed in this order: the duplicate (with the copy), self, the argument, the result
    gen = _debug.new_generation()
    mod.utf8_after_close('abcd')
    assert [h.raw_data_size for h in _debug.get_closed_handles(gen)] == [5, -1, -1, -1]
    # self, the argument (with the copy), the result
    gen = _debug.new_generation()
    mod.keep_raw('abcd')
    assert [h.raw_data_size for h in _debug.get_closed_handles(gen)] == [-1, 5, -1]
    old = _debug.get_protected_raw_data_max_size()
    _debug.set_protected_raw_data_max_size(0)
    try:
        gen = _debug.new_generation()
        mod.keep_raw('abcd')
        # over the budget: the copy was freed when the argument was closed
        assert [h.raw_data_size for h in _debug.get_closed_handles(gen)] == [-1, -1, -1]
    finally:
        _debug.set_protected_raw_data_max_size(old)


def test_leak_detection(mod):
    obj1, obj2 = 'leaked one', 'leaked two'
    with pytest.raises(HPyLeakError) as e:
        with LeakDetector():
            mod.leak(obj1)
    leaks = e.value.leaks
    assert [h.obj for h in leaks] == [obj1]
    assert str(e.value) == '1 unclosed handle:\n    %r' % (leaks[0],)
    for h in leaks:
        h._force_close()
    with pytest.raises(HPyLeakError) as e:
        with LeakDetector():
            mod.leak(obj1)
            mod.leak(obj2)
    leaks = e.value.leaks
    assert [h.obj for h in leaks] == [obj1, obj2]
    assert str(e.value) == '2 unclosed handles:\n    %r\n    %r' % (leaks[0], leaks[1])
    assert isinstance(e.value, HPyDebugError)
    for h in leaks:
        h._force_close()
        assert h.is_closed


def test_no_leak(mod):
    with LeakDetector() as ld:
        mod.context_name()
        mod.call(str, 1, None)
    assert ld.generation is not None


def test_context_name(mod):
    assert mod.context_name() == 'HPy Debug Mode ABI'


def test_stack_traces(mod):
    hpy.debug.set_handle_stack_trace_limit(16)
    try:
        gen = _debug.new_generation()
        mod.leak('traced')
    finally:
        hpy.debug.disable_handle_stack_traces()
    [h] = _debug.get_open_handles(gen)
    text = repr(h)
    assert text.startswith('<DebugHandle 0x%x for %r>\nAllocation stacktrace:\n' % (h.id, 'traced'))
    assert len(text.splitlines()) > 2
    h._force_close()
    assert repr(h).startswith('<DebugHandle 0x%x CLOSED>\nAllocation stacktrace:\n' % h.id)
    gen = _debug.new_generation()
    mod.leak('untraced')
    [h] = _debug.get_open_handles(gen)
    h._force_close()
    assert 'Allocation stacktrace' not in repr(h)


# ---- the Python API ----------------------------------------------------------------------------

NO_TRACE = ('To get the stack trace of where it was allocated use:\n'
            'hpy.debug.set_handle_stack_trace_limit')


def test_module():
    assert _debug.__doc__ == 'HPy debug mode'
    assert _debug.__name__ == 'hpy.debug._debug'
    assert hpy.universal._debug is _debug
    assert _debug.DebugHandle.__name__ == 'DebugHandle'
    assert hpy.universal.MODE_DEBUG == 1


def test_generations():
    g = _debug.new_generation()
    assert _debug.new_generation() == g + 1
    assert _debug.get_open_handles(g + 1) == []


def test_many_generations_keep_their_starts(mod):
    # generations outlive the growth of the table that records where each one starts
    first = _debug.new_generation()
    objs = ['leak %d' % i for i in range(5)]
    gens = []
    for i in range(3000):
        gen = _debug.new_generation()
        if i % 600 == 0:
            mod.leak(objs[i // 600])
            gens.append(gen)
    assert gen == first + 3000
    for k, g in enumerate(gens):
        handles = _debug.get_open_handles(g)
        assert sorted(h.obj for h in handles if h.obj in objs) == sorted(objs[k:])
    for h in _debug.get_open_handles(first):
        if h.obj in objs:
            h._force_close()


def test_debug_handle_objects(mod):
    obj = 'the object'
    gen = _debug.new_generation()
    mod.leak(obj)
    [h1] = _debug.get_open_handles(gen)
    [h2] = _debug.get_open_handles(gen)
    assert h1 is not h2
    assert h1 == h2 and not (h1 != h2)
    assert h1 != 42 and not (h1 == 42)
    with pytest.raises(TypeError):
        h1 < h2
    assert h1.obj is obj
    assert isinstance(h1.id, int)
    assert not h1.is_closed
    assert h1.raw_data_size == -1
    assert repr(h1) == '<DebugHandle 0x%x for %r>\n%s' % (h1.id, obj, NO_TRACE)
    assert re.match(r'<DebugHandle 0x[0-9a-f]+ for ', repr(h1))
    h1._force_close()
    assert h2.is_closed
    assert repr(h2) == '<DebugHandle 0x%x CLOSED>\n%s' % (h2.id, NO_TRACE)
    assert h2 in _debug.get_closed_handles(gen)
    assert _debug.get_open_handles(gen) == []


def test_closed_handles(mod):
    gen = _debug.new_generation()
    for s in ['aaa', 'bbb', 'ccc']:
        mod.store_arg(s)
    # .obj of a closed handle is only safe while the object lives: here self (the module), the
    # arguments and the results (None) all do
    closed = _debug.get_closed_handles(gen)
    assert [h.obj for h in closed if isinstance(h.obj, str) and len(h.obj) == 3] == \
        ['aaa', 'bbb', 'ccc']
    assert all(h.is_closed for h in closed)
    assert len(_debug.get_closed_handles()) >= len(closed)
    with pytest.raises(TypeError, match='get_closed_handles expects no arguments or exactly '
                                        'one argument'):
        _debug.get_closed_handles(1, 2)


@pytest.fixture
def closed_queue_max_size():
    """The test may change the maximum size of the closed-handles queue: restored afterwards."""
    assert _debug.get_closed_handles_queue_max_size() == 1024
    try:
        yield
    finally:
        _debug.set_closed_handles_queue_max_size(1024)


def settle_closed_queue(mod):
    """Make the closed-handles queue hold exactly its maximum size (none if it is 0): opening
    as many handles as it holds takes them all back but two, then the closes fill it again."""
    mod.open_kept(len(_debug.get_closed_handles()))
    mod.close_kept()


@pytest.mark.runtime_specific("reads the objects of closed handles (small ints and None), which "
                              "stay alive only where the interpreter keeps them so (CPython's "
                              "small-int cache, immortal None); on PyPy they are freed")
def test_closed_handles_queue_max_size(mod, closed_queue_max_size):
    _debug.set_closed_handles_queue_max_size(10**6)        # nothing leaves the queue
    assert _debug.get_closed_handles_queue_max_size() == 10**6
    mod.open_kept(200)
    mod.close_kept()
    closed = _debug.get_closed_handles()
    n = len(closed)
    assert n >= 200 + 2 and all(h.is_closed for h in closed)
    # the kept handles in the order they were closed, then close_kept's self and result
    assert [h.obj for h in closed[-202:-2]] == list(range(200))
    assert [h.obj for h in closed[-2:]] == [mod, None]
    ids = [h.id for h in closed]
    assert len(set(ids)) == n

    # a smaller maximum trims nothing at once
    _debug.set_closed_handles_queue_max_size(3)
    assert _debug.get_closed_handles_queue_max_size() == 3
    assert _debug.get_closed_handles() == closed
    assert [h.id for h in _debug.get_closed_handles()] == ids

    # open_kept(1) opens 4 handles (self, the argument, the kept int, the result), each reusing
    # the oldest closed handle, then closes 3, each evicting the oldest one: the queue shrinks by
    # one per handle opened
    gen = _debug.new_generation()
    mod.open_kept(1)
    after = _debug.get_closed_handles()
    assert len(after) == n - 4
    assert after[:n - 7] == closed[7:]
    assert after[n - 7:] == [closed[0], closed[1], closed[3]]      # the reused self, arg, result
    assert [h.obj for h in after[n - 7:]] == [mod, 1, None]
    [kept] = _debug.get_open_handles(gen)
    assert kept == closed[2] and kept.obj == 0 and not kept.is_closed
    assert all(h.is_closed for h in after)

    # opening more handles than the queue holds takes them back while it holds 3 or more (self
    # and the argument take the 2 oldest); the result comes from elsewhere, while the last 2 are
    # still queued, and the closes of the call push those 2 out
    count = len(after)
    mod.open_kept(count)
    small = _debug.get_closed_handles()
    assert [h.obj for h in small] == [mod, count, None]
    assert small[:2] == after[:2]
    assert small[2] not in after

    # below the maximum, opening takes no closed handle: raising it to 5 keeps the 3, and the 3
    # handles of the next call come from elsewhere; its closes fill the queue to 5, then evict
    _debug.set_closed_handles_queue_max_size(5)
    mod.open_kept(0)
    five = _debug.get_closed_handles()
    assert len(five) == 5
    assert five[:2] == small[1:]
    assert [h.obj for h in five[2:]] == [mod, 0, None]
    assert not set(h.id for h in five[2:]) & set(h.id for h in small)

    # with a maximum of 0, the queue empties as handles are opened and then stays empty
    _debug.set_closed_handles_queue_max_size(0)
    assert _debug.get_closed_handles() == five
    # 3 opens take the 3 oldest, then each of the 3 closes evicts the oldest: the argument and
    # the result of the call are left, in the structs of five[1] and five[2]
    mod.open_kept(0)
    two = _debug.get_closed_handles()
    assert two == five[1:3]
    assert [h.obj for h in two] == [0, None]
    # 2 opens take them back, the third comes from elsewhere; the closes go straight to the pool
    mod.open_kept(0)
    assert _debug.get_closed_handles() == []
    mod.close_kept()
    assert _debug.get_closed_handles() == []
    _debug.set_closed_handles_queue_max_size(1024)
    mod.open_kept(0)
    assert [h.obj for h in _debug.get_closed_handles()] == [mod, 0, None]


def test_many_argument_handles(mod):
    """A call with more arguments than the handles there are (and more than the dispatcher keeps
    on its stack) carves new ones in the middle of opening them."""
    for n in (0, 1, 17, 300, 1000):
        assert mod.sum_args(*range(n)) == sum(range(n))


def test_small_queues_with_extras(mod, portable_raw_data, closed_queue_max_size):
    """Handles with a stack trace and a raw-data copy leave small closed queues (and a queue of
    size 0) without trouble; what is still queued is reported as usual."""
    hpy.debug.set_handle_stack_trace_limit(4)
    try:
        for size in (0, 1, 3):
            _debug.set_closed_handles_queue_max_size(size)
            settle_closed_queue(mod)
            assert len(_debug.get_closed_handles()) == size
            for i in range(20):
                if size > 0:    # with no queue the copy is freed at once: not readable
                    assert mod.utf8_after_close('x' * i) == pattern(i + 1)
                assert mod.keep_raw('y' * i) == b'y' * i
            # every handle these calls opened was closed by them: the queue stays full
            queued = _debug.get_closed_handles()
            assert len(queued) == size
            assert all(h.is_closed and 'Allocation stacktrace:' in repr(h) for h in queued)
    finally:
        hpy.debug.disable_handle_stack_traces()


def test_protected_raw_data_max_size():
    assert _debug.get_protected_raw_data_max_size() == 10 * 1024 * 1024
    _debug.set_protected_raw_data_max_size(100)
    try:
        assert _debug.get_protected_raw_data_max_size() == 100
    finally:
        _debug.set_protected_raw_data_max_size(10 * 1024 * 1024)


def test_callback_setters():
    for setter in (_debug.set_on_invalid_handle, _debug.set_on_invalid_builder_handle):
        with pytest.raises(TypeError, match='Expected a callable object'):
            setter(42)
        assert setter(lambda: None) is None
        assert setter(None) is None


def test_leak_detector_api():
    ld = LeakDetector()
    assert ld.generation is None
    with pytest.raises(ValueError, match='LeakDetector not started yet'):
        ld.stop()
    ld.start()
    assert isinstance(ld.generation, int)
    with pytest.raises(ValueError, match='LeakDetector already started'):
        ld.start()
    ld.stop()
    with LeakDetector() as ld2:
        assert isinstance(ld2, LeakDetector)


def test_leak_error_format():
    assert str(HPyLeakError(['a'])) == "1 unclosed handle:\n    'a'"
    assert str(HPyLeakError(['a', 'b'])) == "2 unclosed handles:\n    'a'\n    'b'"
    assert HPyLeakError([]).leaks == []
    assert issubclass(HPyLeakError, HPyDebugError) and issubclass(HPyDebugError, Exception)
    import hpy.debug.leakdetector as ldmod
    assert ldmod.HPyLeakError is HPyLeakError and ldmod.LeakDetector is LeakDetector
    import hpy.debug.pytest as pymod
    assert pymod.LeakDetector is LeakDetector


def test_hpy_debug_fixture(hpy_debug, mod):  # noqa: F811
    assert isinstance(hpy_debug, LeakDetector)
    assert hpy_debug.generation is not None
    mod.context_name()


def test_stack_trace_functions():
    hpy.debug.set_handle_stack_trace_limit(4)
    hpy.debug.disable_handle_stack_traces()
    _debug.set_handle_stack_trace_limit(None)


# ---- selecting the debug mode ------------------------------------------------------------------

def test_load_selects_debug(compile_module):
    name, path = compile_module.compile(MISUSES)
    spec = extension_spec(name, path)
    m1 = hpy.universal.load(name, path, spec, debug=True)
    assert m1.context_name() == 'HPy Debug Mode ABI'
    # a hybrid binary has one context per copy of its file: the other mode loads another copy
    name, path = compile_module.compile(MISUSES)
    spec = extension_spec(name, path)
    m2 = hpy.universal.load(name, path, spec, debug=True, mode=2)
    assert m2.context_name() == 'HPy Trace Mode ABI'


def test_hpy_env_and_log(compile_module, capsys):
    name, path = compile_module.compile(MISUSES)
    spec = extension_spec(name, path)
    loader = types.SimpleNamespace(name=name)
    m = hpy.universal._load_bootstrap(name, name, '', path, loader, spec,
                                      {'HPY': 'debug', 'HPY_LOG': ''})
    assert m.context_name() == 'HPy Debug Mode ABI'
    out = capsys.readouterr().out
    assert out == "Loading '%s' in HPy universal mode with a debug context\n" % name
    m = hpy.universal._load_bootstrap(name, name, '', path, loader, spec,
                                      {'HPY': '%s:debug' % name})
    assert m.context_name() == 'HPy Debug Mode ABI'
