"""Calls, imports, numbers and the GIL from C: HPy_Call, HPy_CallMethod, HPy_CallTupleDict,
HPy_CallMethodTupleDict(_s), HPyImport_ImportModule, HPyLong_*, HPyFloat_*, HPyBool_*,
HPy_LeavePythonExecution / HPy_ReenterPythonExecution (api.md §5.4, §6.3, §7)."""
import gc
import math
import os
import re
import struct
import sys
import threading
import time

import pytest

from support import refcount

PRELUDE = r'''
#include <string.h>
#include <stdint.h>
#include <limits.h>
#include <math.h>
#include <time.h>

#define VA(name) \
    HPyDef_METH(m_##name, #name, HPyFunc_VARARGS) \
    static HPy name##_body(HPyContext *ctx, _HPy_UNUSED const HPy *args, \
                           _HPy_UNUSED size_t nargs); \
    static HPy m_##name##_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs) \
    { (void)self; return name##_body(ctx, args, nargs); } \
    static HPy name##_body(HPyContext *ctx, _HPy_UNUSED const HPy *args, \
                           _HPy_UNUSED size_t nargs)

HPyAPI_UNUSED int IS_NULL_MARK(HPyContext *ctx, HPy h)
{
    return HPy_Is(ctx, h, ctx->h_Ellipsis);
}

/* Ellipsis -> HPy_NULL */
HPyAPI_UNUSED HPy OPT(HPyContext *ctx, HPy h)
{
    return IS_NULL_MARK(ctx, h) ? HPy_NULL : h;
}

HPyAPI_UNUSED const char *S(HPyContext *ctx, HPy h)
{
    return IS_NULL_MARK(ctx, h) ? NULL : HPyUnicode_AsUTF8AndSize(ctx, h, NULL);
}

HPyAPI_UNUSED HPy_ssize_t I(HPyContext *ctx, HPy h)
{
    return HPyLong_AsSsize_t(ctx, h);
}

HPyAPI_UNUSED HPy bad_error_result(HPyContext *ctx)
{
    HPyErr_Clear(ctx);
    return HPyErr_SetString(ctx, ctx->h_AssertionError, "exception set but result is not -1");
}

/* closes every handle of items[0..n) and returns a tuple of them */
HPyAPI_UNUSED HPy tuple_steal(HPyContext *ctx, HPy *items, HPy_ssize_t n)
{
    HPy res = HPyTuple_FromArray(ctx, items, n);
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, items[i]);
    return res;
}
'''

_MODULES = {}


def build(compile_module, body, **kw):
    # VA(name) / AS(name, ...) at the start of a line, not inside a macro definition
    names = re.findall(r'^\s*(?:VA|AS)\((\w+)[^\\\n]*$', body, re.M)
    source = PRELUDE + body + ''.join('\n@EXPORT(m_%s)' % n for n in names) + '\n@INIT\n'
    key = (compile_module.abi, source)
    if key not in _MODULES:
        _MODULES[key] = compile_module(source, **kw)
    return _MODULES[key]


NULL = ...


def refcount_stable(obj, fn, n=50):
    gc.collect()
    before = refcount(obj)
    for _ in range(n):
        fn()
    gc.collect()
    return refcount(obj) == before


# --- calls -----------------------------------------------------------------------------------

CALL_C = r'''
/* Fill arr[start..] with the items of the tuple `pos` followed by the values of the dict `kw`;
   *kwnames becomes the tuple of its keys (or HPy_NULL if kw is empty). Returns the number of
   positional entries written (start + len(pos)). */
static HPy_ssize_t fill(HPyContext *ctx, HPy *arr, HPy_ssize_t start, HPy pos, HPy kw,
                        HPy *kwnames, HPy_ssize_t *total)
{
    HPy_ssize_t npos = HPy_Length(ctx, pos), nkw = HPy_Length(ctx, kw);
    for (HPy_ssize_t i = 0; i < npos; i++)
        arr[start + i] = HPy_GetItem_i(ctx, pos, i);
    *kwnames = HPy_NULL;
    if (nkw > 0) {
        HPy keys = HPyDict_Keys(ctx, kw);
        for (HPy_ssize_t j = 0; j < nkw; j++) {
            HPy key = HPy_GetItem_i(ctx, keys, j);
            arr[start + npos + j] = HPy_GetItem(ctx, kw, key);
            HPy_Close(ctx, key);
        }
        *kwnames = HPy_Call(ctx, ctx->h_TupleType, &keys, 1, HPy_NULL);   /* tuple(keys) */
        HPy_Close(ctx, keys);
    }
    *total = start + npos + nkw;
    return start + npos;
}

static void close_all(HPyContext *ctx, HPy *arr, HPy_ssize_t n, HPy kwnames)
{
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, arr[i]);
    HPy_Close(ctx, kwnames);
}

/* (callable, args tuple, kwargs dict) */
VA(call)
{
    HPy arr[32], kwnames;
    HPy_ssize_t total;
    HPy_ssize_t npos = fill(ctx, arr, 0, args[1], args[2], &kwnames, &total);
    HPy res = HPy_Call(ctx, args[0], arr, (size_t)npos, kwnames);
    close_all(ctx, arr, total, kwnames);
    return res;
}
/* (name, receiver, args tuple, kwargs dict) */
VA(callmethod)
{
    HPy arr[32], kwnames;
    HPy_ssize_t total;
    arr[0] = HPy_Dup(ctx, args[1]);
    HPy_ssize_t npos = fill(ctx, arr, 1, args[2], args[3], &kwnames, &total);
    HPy res = HPy_CallMethod(ctx, args[0], arr, (size_t)npos, kwnames);
    close_all(ctx, arr, total, kwnames);
    return res;
}
VA(call_td) { return HPy_CallTupleDict(ctx, args[0], OPT(ctx, args[1]), OPT(ctx, args[2])); }
/* (name str, receiver, args, kw) */
VA(callmethod_td_s)
{
    return HPy_CallMethodTupleDict_s(ctx, S(ctx, args[0]), args[1], OPT(ctx, args[2]),
                                     OPT(ctx, args[3]));
}
VA(callmethod_td)
{
    return HPy_CallMethodTupleDict(ctx, args[0], args[1], OPT(ctx, args[2]), OPT(ctx, args[3]));
}
VA(import_module) { return HPyImport_ImportModule(ctx, S(ctx, args[0])); }
'''


@pytest.fixture
def cmod(compile_module):
    return build(compile_module, CALL_C)


def collect(*args, **kwargs):
    return args, kwargs


def no_args():
    return 'nothing'


class Receiver:
    def m(self, *args, **kwargs):
        return self, args, kwargs

    def ret_none(self):
        return None

    @staticmethod
    def static(x, y=0):
        return ('static', x, y)


def test_call(cmod):
    assert cmod.call(collect, (), {}) == ((), {})
    assert cmod.call(collect, (1, 2), {}) == ((1, 2), {})
    assert cmod.call(collect, (1,), {'x': 2, 'y': 3}) == ((1,), {'x': 2, 'y': 3})
    assert cmod.call(collect, (), {'only': 'kw'}) == ((), {'only': 'kw'})
    assert cmod.call(no_args, (), {}) == 'nothing'
    assert cmod.call(max, (3, 9, 2), {}) == 9
    assert cmod.call(sorted, ([3, 1, 2],), {'reverse': True}) == [3, 2, 1]
    assert cmod.call(int, ('ff',), {'base': 16}) == 255
    assert cmod.call(Receiver().m, ('a',), {'k': 1})[1:] == (('a',), {'k': 1})
    assert cmod.call(dict, (), {'a': 1, 'b': 2}) == {'a': 1, 'b': 2}
    assert cmod.call(lambda *a: len(a), tuple(range(20)), {}) == 20
    with pytest.raises(TypeError) as e:
        cmod.call(5, (), {})
    assert str(e.value) == "'int' object is not callable"
    with pytest.raises(TypeError) as e:
        cmod.call(no_args, (), {'bad': 1})
    assert str(e.value) == "no_args() got an unexpected keyword argument 'bad'"
    with pytest.raises(TypeError) as e:
        cmod.call(no_args, (1,), {})
    assert str(e.value) == 'no_args() takes 0 positional arguments but 1 was given'

    def raising(x):
        raise KeyError(x)
    with pytest.raises(KeyError) as e:
        cmod.call(raising, ('boom',), {})
    assert e.value.args == ('boom',)
    value = object()
    assert refcount_stable(value, lambda: cmod.call(collect, (value,), {'kw': value}))
    assert refcount_stable(value, lambda: cmod.call(id, (value,), {}))


def test_call_method(cmod):
    assert cmod.callmethod('split', 'a,b,c', (',',), {}) == ['a', 'b', 'c']
    assert cmod.callmethod('split', 'a,b,c', (',',), {'maxsplit': 1}) == ['a', 'b,c']
    assert cmod.callmethod('split', 'a b', (), {}) == ['a', 'b']
    assert cmod.callmethod('upper', 'abc', (), {}) == 'ABC'
    r = Receiver()
    assert cmod.callmethod('m', r, (1, 2), {'k': 'v'}) == (r, (1, 2), {'k': 'v'})
    assert cmod.callmethod('m', r, (), {}) == (r, (), {})
    assert cmod.callmethod('static', r, (7,), {'y': 8}) == ('static', 7, 8)
    lst = [3, 1, 2]
    assert cmod.callmethod('sort', lst, (), {'reverse': True}) is None
    assert lst == [3, 2, 1]
    with pytest.raises(AttributeError) as e:
        cmod.callmethod('nope', 'x', (), {})
    assert str(e.value) == "'str' object has no attribute 'nope'"
    with pytest.raises(TypeError):
        cmod.callmethod('upper', 'abc', (1,), {})
    assert refcount_stable(r, lambda: cmod.callmethod('ret_none', r, (), {}))
    value = object()
    assert refcount_stable(value, lambda: cmod.callmethod('m', r, (value,), {'a': value}))


ARGS_MSG = 'HPy_CallTupleDict requires args to be a tuple or null handle'
KW_MSG = 'HPy_CallTupleDict requires kw to be a dict or null handle'


def test_call_tuple_dict(cmod):
    assert cmod.call_td(collect, (1, 2), {'a': 3}) == ((1, 2), {'a': 3})
    assert cmod.call_td(collect, NULL, NULL) == ((), {})
    assert cmod.call_td(collect, NULL, {'a': 1}) == ((), {'a': 1})
    assert cmod.call_td(collect, (1,), NULL) == ((1,), {})
    assert cmod.call_td(collect, (), {}) == ((), {})
    assert cmod.call_td(no_args, NULL, NULL) == 'nothing'
    assert cmod.call_td(int, ('11',), {'base': 2}) == 3
    assert cmod.call_td(len, ([1, 2, 3],), NULL) == 3
    for bad_args in ([1], None, 'ab', 5):
        with pytest.raises(TypeError) as e:
            cmod.call_td(collect, bad_args, NULL)
        assert str(e.value) == ARGS_MSG
    for bad_kw in ([], None, (('a', 1),)):
        with pytest.raises(TypeError) as e:
            cmod.call_td(collect, (), bad_kw)
        assert str(e.value) == KW_MSG
        with pytest.raises(TypeError) as e:
            cmod.call_td(collect, NULL, bad_kw)
        assert str(e.value) == KW_MSG
    with pytest.raises(TypeError) as e:
        cmod.call_td('not callable', NULL, NULL)
    assert str(e.value) == "'str' object is not callable"
    with pytest.raises(TypeError) as e:
        cmod.call_td(no_args, NULL, {'x': 1})
    assert str(e.value) == "no_args() got an unexpected keyword argument 'x'"
    value = object()
    assert refcount_stable(value, lambda: cmod.call_td(collect, (value,), {'k': value}))


def test_call_method_tuple_dict(cmod):
    for fn, name in ((cmod.callmethod_td_s, 'split'), (cmod.callmethod_td, 'split')):
        assert fn(name, 'a b', NULL, NULL) == ['a', 'b']
        assert fn(name, 'a,b', (',',), NULL) == ['a', 'b']
        assert fn(name, 'a,b,c', (',',), {'maxsplit': 1}) == ['a', 'b,c']
        assert fn(name, 'a,b,c', NULL, {'sep': ',', 'maxsplit': 1}) == ['a', 'b,c']
    r = Receiver()
    assert cmod.callmethod_td_s('m', r, (1,), {'k': 2}) == (r, (1,), {'k': 2})
    assert cmod.callmethod_td('m', r, NULL, NULL) == (r, (), {})
    for fn in (cmod.callmethod_td_s, cmod.callmethod_td):
        with pytest.raises(AttributeError) as e:
            fn('nope', r, NULL, NULL)
        assert str(e.value) == "'Receiver' object has no attribute 'nope'"
        with pytest.raises(TypeError) as e:
            fn('m', r, [1], NULL)
        assert str(e.value) == ARGS_MSG
        with pytest.raises(TypeError) as e:
            fn('m', r, NULL, [])
        assert str(e.value) == KW_MSG
        # the bound method is closed: no reference to the receiver leaks
        assert refcount_stable(r, lambda: fn('ret_none', r, NULL, NULL))
        assert refcount_stable(r, lambda: fn('m', r, (), {}))
    with pytest.raises(TypeError):
        cmod.callmethod_td(42, r, NULL, NULL)      # the name must be a str


def test_import_module(cmod):
    imp = cmod.import_module
    assert imp('math') is math
    assert imp('os.path') is os.path        # the submodule itself
    assert imp('struct') is struct
    with pytest.raises(ModuleNotFoundError) as e:
        imp('no_such_module_xyz')
    assert str(e.value) == "No module named 'no_such_module_xyz'"
    assert e.value.name == 'no_such_module_xyz'
    with pytest.raises(ModuleNotFoundError) as e:
        imp('json.no_such_submodule')
    assert str(e.value) == "No module named 'json.no_such_submodule'"
    with pytest.raises(ModuleNotFoundError) as e:
        imp('math.sqrt')
    assert str(e.value) == "No module named 'math.sqrt'; 'math' is not a package"


# --- integers, floats, bools -----------------------------------------------------------------

NUM_C = r'''
VA(long_from_extremes)
{
    HPy items[12] = {
        HPyLong_FromInt32_t(ctx, INT32_MIN), HPyLong_FromInt32_t(ctx, INT32_MAX),
        HPyLong_FromUInt32_t(ctx, UINT32_MAX), HPyLong_FromInt64_t(ctx, INT64_MIN),
        HPyLong_FromInt64_t(ctx, INT64_MAX), HPyLong_FromUInt64_t(ctx, UINT64_MAX),
        HPyLong_FromSize_t(ctx, SIZE_MAX), HPyLong_FromSsize_t(ctx, HPY_SSIZE_T_MIN),
        HPyLong_FromLong(ctx, LONG_MIN), HPyLong_FromUnsignedLong(ctx, ULONG_MAX),
        HPyLong_FromLongLong(ctx, LLONG_MIN), HPyLong_FromUnsignedLongLong(ctx, ULLONG_MAX),
    };
    return tuple_steal(ctx, items, 12);
}
VA(long_from_small)
{
    HPy items[12] = {
        HPyLong_FromInt32_t(ctx, -5), HPyLong_FromUInt32_t(ctx, 5),
        HPyLong_FromInt64_t(ctx, -6), HPyLong_FromUInt64_t(ctx, 6),
        HPyLong_FromSize_t(ctx, 0), HPyLong_FromSsize_t(ctx, -1),
        HPyLong_FromLong(ctx, -7), HPyLong_FromUnsignedLong(ctx, 7),
        HPyLong_FromLongLong(ctx, -8), HPyLong_FromUnsignedLongLong(ctx, 8),
        HPyLong_FromSsize_t(ctx, HPY_SSIZE_T_MAX), HPyLong_FromInt32_t(ctx, 0),
    };
    return tuple_steal(ctx, items, 12);
}
VA(c_sizes)
{
    HPy items[3] = { HPyLong_FromSize_t(ctx, sizeof(long)),
                     HPyLong_FromSize_t(ctx, sizeof(long long)),
                     HPyLong_FromSize_t(ctx, sizeof(void *)) };
    return tuple_steal(ctx, items, 3);
}

/* HPyLong_As<X>(arg): the value, or the exception, after checking the error result */
#define AS(name, T, fn, back) \
    VA(name) \
    { \
        T r = fn(ctx, args[0]); \
        if (HPyErr_Occurred(ctx)) \
            return r == (T)-1 ? HPy_NULL : bad_error_result(ctx); \
        return back(ctx, r); \
    }

AS(as_int32, int32_t, HPyLong_AsInt32_t, HPyLong_FromInt32_t)
AS(as_uint32, uint32_t, HPyLong_AsUInt32_t, HPyLong_FromUInt32_t)
AS(as_uint32_mask, uint32_t, HPyLong_AsUInt32_tMask, HPyLong_FromUInt32_t)
AS(as_int64, int64_t, HPyLong_AsInt64_t, HPyLong_FromInt64_t)
AS(as_uint64, uint64_t, HPyLong_AsUInt64_t, HPyLong_FromUInt64_t)
AS(as_uint64_mask, uint64_t, HPyLong_AsUInt64_tMask, HPyLong_FromUInt64_t)
AS(as_size_t, size_t, HPyLong_AsSize_t, HPyLong_FromSize_t)
AS(as_ssize_t, HPy_ssize_t, HPyLong_AsSsize_t, HPyLong_FromSsize_t)
AS(as_long, long, HPyLong_AsLong, HPyLong_FromLong)
AS(as_ulong, unsigned long, HPyLong_AsUnsignedLong, HPyLong_FromUnsignedLong)
AS(as_ulong_mask, unsigned long, HPyLong_AsUnsignedLongMask, HPyLong_FromUnsignedLong)
AS(as_longlong, long long, HPyLong_AsLongLong, HPyLong_FromLongLong)
AS(as_ulonglong, unsigned long long, HPyLong_AsUnsignedLongLong,
   HPyLong_FromUnsignedLongLong)
AS(as_ulonglong_mask, unsigned long long, HPyLong_AsUnsignedLongLongMask,
   HPyLong_FromUnsignedLongLong)
AS(long_as_double, double, HPyLong_AsDouble, HPyFloat_FromDouble)
AS(float_as_double, double, HPyFloat_AsDouble, HPyFloat_FromDouble)

VA(as_voidptr)
{
    void *p = HPyLong_AsVoidPtr(ctx, args[0]);
    if (HPyErr_Occurred(ctx))
        return p == NULL ? HPy_NULL : bad_error_result(ctx);
    return HPyLong_FromSize_t(ctx, (size_t)p);
}

/* HPyFloat_FromDouble of special values: 1.5, inf, -inf, nan, -0.0, DBL_MIN-ish */
VA(float_specials)
{
    HPy items[6] = {
        HPyFloat_FromDouble(ctx, 1.5), HPyFloat_FromDouble(ctx, HUGE_VAL),
        HPyFloat_FromDouble(ctx, -HUGE_VAL), HPyFloat_FromDouble(ctx, NAN),
        HPyFloat_FromDouble(ctx, -0.0), HPyFloat_FromDouble(ctx, 1e-310),
    };
    return tuple_steal(ctx, items, 6);
}

VA(bool_from_bool) { return HPyBool_FromBool(ctx, I(ctx, args[0]) != 0); }
VA(bool_from_bool_raw)
{
    /* C99 bool: any non-zero value converts to true */
    bool b = (bool)2;
    return HPyBool_FromBool(ctx, b);
}
VA(bool_from_long) { return HPyBool_FromLong(ctx, (long)HPyLong_AsLongLong(ctx, args[0])); }
'''


@pytest.fixture
def nmod(compile_module):
    return build(compile_module, NUM_C)


class Idx:
    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class Flt:
    def __float__(self):
        return 2.25


def check_ok(fn, value, expected=None):
    assert fn(value) == (value if expected is None else expected), (fn, value)


def check_raises(fn, value, exc, message=None):
    with pytest.raises(exc) as e:
        fn(value)
    if message is not None:
        assert str(e.value) == message, (fn, value)


def test_long_from(nmod):
    sizeof_long, sizeof_longlong, sizeof_ptr = nmod.c_sizes()
    lmin = -2**(8 * sizeof_long - 1)
    assert nmod.long_from_extremes() == (
        -2**31, 2**31 - 1, 2**32 - 1, -2**63, 2**63 - 1, 2**64 - 1,
        2**(8 * sizeof_ptr) - 1, -2**(8 * sizeof_ptr - 1),
        lmin, 2**(8 * sizeof_long) - 1, -2**(8 * sizeof_longlong - 1),
        2**(8 * sizeof_longlong) - 1)
    small = nmod.long_from_small()
    assert small == (-5, 5, -6, 6, 0, -1, -7, 7, -8, 8, sys.maxsize, 0)
    assert all(type(x) is int for x in small)


def test_long_as_int32_uint32(nmod):
    for v in (0, 1, -1, 2**31 - 1, -2**31, True):
        check_ok(nmod.as_int32, v)
    check_ok(nmod.as_int32, Idx(-42), -42)            # signed variants accept __index__
    check_raises(nmod.as_int32, 2**31, OverflowError,
                 'Python int too large to convert to C int32_t')
    check_raises(nmod.as_int32, -2**31 - 1, OverflowError,
                 'Python int too large to convert to C int32_t')
    check_raises(nmod.as_int32, 2**40, OverflowError,
                 'Python int too large to convert to C int32_t')
    check_raises(nmod.as_int32, 2**200, OverflowError)
    check_raises(nmod.as_int32, Idx(2**31), OverflowError,
                 'Python int too large to convert to C int32_t')
    check_raises(nmod.as_int32, 1.5, TypeError,
                 "'float' object cannot be interpreted as an integer")
    check_raises(nmod.as_int32, 'x', TypeError)

    for v in (0, 1, 2**31, 2**32 - 1):
        check_ok(nmod.as_uint32, v)
    check_raises(nmod.as_uint32, 2**32, OverflowError,
                 'Python int too large to convert to C uint32_t')
    check_raises(nmod.as_uint32, 2**40, OverflowError,
                 'Python int too large to convert to C uint32_t')
    check_raises(nmod.as_uint32, 2**200, OverflowError)
    check_raises(nmod.as_uint32, -1, OverflowError)
    check_raises(nmod.as_uint32, Idx(5), TypeError)    # only int instances
    check_raises(nmod.as_uint32, 1.5, TypeError)

    for v, expected in [(0, 0), (5, 5), (2**32 - 1, 2**32 - 1), (2**32 + 5, 5), (-1, 2**32 - 1),
                        (-2**32, 0), (2**100 + 7, 7), (Idx(2**33 + 3), 3)]:
        check_ok(nmod.as_uint32_mask, v, expected)
    check_raises(nmod.as_uint32_mask, 1.5, TypeError)


def test_long_as_64bit(nmod):
    for v in (0, -1, 2**63 - 1, -2**63):
        check_ok(nmod.as_int64, v)
        check_ok(nmod.as_longlong, v)
    check_ok(nmod.as_int64, Idx(-2**40), -2**40)
    check_ok(nmod.as_longlong, Idx(2**40), 2**40)
    for fn in (nmod.as_int64, nmod.as_longlong):
        check_raises(fn, 2**63, OverflowError)
        check_raises(fn, -2**63 - 1, OverflowError)
        check_raises(fn, 1.5, TypeError, "'float' object cannot be interpreted as an integer")
    for v in (0, 2**63, 2**64 - 1):
        check_ok(nmod.as_uint64, v)
        check_ok(nmod.as_ulonglong, v)
    for fn in (nmod.as_uint64, nmod.as_ulonglong):
        check_raises(fn, 2**64, OverflowError)
        check_raises(fn, -1, OverflowError)
        check_raises(fn, Idx(1), TypeError)
    for fn in (nmod.as_uint64_mask, nmod.as_ulonglong_mask):
        for v, expected in [(0, 0), (2**64 - 1, 2**64 - 1), (2**64 + 7, 7), (-1, 2**64 - 1),
                            (-2**64, 0), (Idx(2**65 + 2), 2)]:
            check_ok(fn, v, expected)
        check_raises(fn, 1.5, TypeError)


def test_long_as_long_and_unsigned_long(nmod):
    sizeof_long = nmod.c_sizes()[0]
    bits = 8 * sizeof_long
    for v in (0, -1, 2**(bits - 1) - 1, -2**(bits - 1)):
        check_ok(nmod.as_long, v)
    check_ok(nmod.as_long, Idx(12), 12)
    check_raises(nmod.as_long, 2**(bits - 1), OverflowError)
    check_raises(nmod.as_long, -2**(bits - 1) - 1, OverflowError)
    check_raises(nmod.as_long, 'x', TypeError)
    for v in (0, 2**bits - 1):
        check_ok(nmod.as_ulong, v)
    check_raises(nmod.as_ulong, 2**bits, OverflowError)
    check_raises(nmod.as_ulong, -1, OverflowError)
    for v, expected in [(2**bits + 3, 3), (-1, 2**bits - 1), (Idx(-2), 2**bits - 2)]:
        check_ok(nmod.as_ulong_mask, v, expected)


def test_long_as_size_t_ssize_t(nmod):
    for v in (0, 1, sys.maxsize, 2 * sys.maxsize + 1):
        check_ok(nmod.as_size_t, v)
    check_raises(nmod.as_size_t, -1, OverflowError, "can't convert negative value to size_t")
    check_raises(nmod.as_size_t, 2 * sys.maxsize + 2, OverflowError,
                 'Python int too large to convert to C size_t')
    check_raises(nmod.as_size_t, 1.0, TypeError)
    for v in (0, -1, sys.maxsize, -sys.maxsize - 1):
        check_ok(nmod.as_ssize_t, v)
    check_raises(nmod.as_ssize_t, sys.maxsize + 1, OverflowError,
                 'Python int too large to convert to C ssize_t')
    check_raises(nmod.as_ssize_t, -sys.maxsize - 2, OverflowError,
                 'Python int too large to convert to C ssize_t')
    check_raises(nmod.as_ssize_t, 1.0, TypeError)


def test_long_as_void_ptr_and_double(nmod):
    for v in (0, 1, 0xdeadbeef, 2**63, 2**64 - 1):
        check_ok(nmod.as_voidptr, v)
    check_ok(nmod.as_voidptr, -1, 2**64 - 1)
    check_raises(nmod.as_voidptr, 2**64, OverflowError)

    for v in (0, 1, -1, 2**53, -2**60, 10**300):
        res = nmod.long_as_double(v)
        assert type(res) is float and res == float(v)
    check_raises(nmod.long_as_double, 10**400, OverflowError,
                 'int too large to convert to float')
    check_raises(nmod.long_as_double, 1.5, TypeError)


def test_float(nmod):
    one_half, inf, minf, nan, mzero, tiny = nmod.float_specials()
    assert (one_half, inf, minf, tiny) == (1.5, math.inf, -math.inf, 1e-310)
    assert math.isnan(nan)
    assert mzero == 0.0 and math.copysign(1.0, mzero) == -1.0
    for v in (2.5, -0.0, 1e300, math.inf):
        check_ok(nmod.float_as_double, v)
    assert math.isnan(nmod.float_as_double(math.nan))
    check_ok(nmod.float_as_double, 3, 3.0)
    check_ok(nmod.float_as_double, Flt(), 2.25)
    check_ok(nmod.float_as_double, Idx(7), 7.0)
    check_ok(nmod.float_as_double, True, 1.0)
    check_raises(nmod.float_as_double, 'x', TypeError, 'must be real number, not str')
    check_raises(nmod.float_as_double, 10**400, OverflowError,
                 'int too large to convert to float')


def test_bool(nmod):
    assert nmod.bool_from_bool(0) is False
    assert nmod.bool_from_bool(1) is True
    assert nmod.bool_from_bool_raw() is True
    for v, expected in [(0, False), (1, True), (-1, True), (42, True), (2**40, True)]:
        assert nmod.bool_from_long(v) is expected
    assert refcount_stable(True, lambda: nmod.bool_from_bool(1))
    assert refcount_stable(False, lambda: nmod.bool_from_long(0))


# --- leaving and re-entering Python ----------------------------------------------------------

GIL_C = r'''
/* 0: nobody waits; 1: wait() is waiting for a signal; 2: signal() answered it. */
static int phase;

static void sleep_1ms(void)
{
    struct timespec ts = { 0, 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int wait_for_signal(long max_ms)
{
    for (long i = 0; i < max_ms; i++) {
        if (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) == 2)
            return 1;
        sleep_1ms();
    }
    return __atomic_load_n(&phase, __ATOMIC_SEQ_CST) == 2;
}

/* (max_ms, mode): wait in C until another thread calls signal(), at most max_ms; mode 0 waits
   inside HPy_BEGIN/END_LEAVE_PYTHON, 1 between the two functions, 2 keeps the interpreter (so
   no other thread can run Python code, and so signal(), until it returns). True if signalled. */
VA(wait)
{
    long max_ms = (long)I(ctx, args[0]);
    int mode = (int)I(ctx, args[1]);
    int signalled;
    __atomic_store_n(&phase, 1, __ATOMIC_SEQ_CST);
    if (mode == 0) {
        HPy_BEGIN_LEAVE_PYTHON(ctx)
        signalled = wait_for_signal(max_ms);
        HPy_END_LEAVE_PYTHON(ctx)
    }
    else if (mode == 1) {
        HPyThreadState state = HPy_LeavePythonExecution(ctx);
        signalled = wait_for_signal(max_ms);
        HPy_ReenterPythonExecution(ctx, state);
    }
    else {
        signalled = wait_for_signal(max_ms);
    }
    __atomic_store_n(&phase, 0, __ATOMIC_SEQ_CST);
    return HPyBool_FromLong(ctx, signalled);
}

/* Python code running while wait() waits: answers it (True), else False. */
VA(signal)
{
    (void)args;
    int expected = 1;
    int answered = __atomic_compare_exchange_n(&phase, &expected, 2, 0, __ATOMIC_SEQ_CST,
                                               __ATOMIC_SEQ_CST);
    return HPyBool_FromLong(ctx, answered);
}

/* a UTF-8 buffer obtained before leaving stays valid while outside */
VA(copy_outside)
{
    char buf[256];
    HPy_ssize_t size;
    const char *s = HPyUnicode_AsUTF8AndSize(ctx, args[0], &size);
    if (s == NULL || size >= 256)
        return HPy_NULL;
    HPy_BEGIN_LEAVE_PYTHON(ctx)
    memcpy(buf, s, (size_t)size + 1);
    HPy_END_LEAVE_PYTHON(ctx)
    return HPyUnicode_FromString(ctx, buf);
}
'''


@pytest.fixture
def gmod(compile_module):
    return build(compile_module, GIL_C, extra_flags=['-D_POSIX_C_SOURCE=200809L'])


def wait_while_a_thread_signals(gmod, mode, max_ms):
    """gmod.wait(max_ms, mode) while another thread keeps calling gmod.signal() (Python code);
    returns (what wait returned, whether a signal() call answered it)."""
    answered = []
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            if gmod.signal():
                answered.append(True)
                return
            time.sleep(0.001)
    t = threading.Thread(target=worker)
    t.start()
    try:
        result = gmod.wait(max_ms, mode)
    finally:
        stop.set()
        t.join()
    return result, bool(answered)


def test_leave_python_lets_other_threads_run(gmod):
    # the waits end as soon as the other thread runs: the limit only bounds a broken runtime
    assert wait_while_a_thread_signals(gmod, 0, 60000) == (True, True)
    assert wait_while_a_thread_signals(gmod, 1, 60000) == (True, True)
    # control: without leaving, no other thread can run Python code until wait() returns, so
    # signal() never finds it waiting, however long it waits
    assert wait_while_a_thread_signals(gmod, 2, 200) == (False, False)
    assert gmod.copy_outside('héllo wörld') == 'héllo wörld'
