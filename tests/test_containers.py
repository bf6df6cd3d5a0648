"""Containers and other object kinds from C: tuples, lists, dicts, bytes, str, the list/tuple
builders, HPyTracker, slices, context variables and capsules (api.md §6.2, §6.3, §7, §10)."""
import collections
import contextvars
import gc
import os
import re
import sys

import operator

import pytest

from support import refcount as support_refcount
from support import FREED_AT_ONCE, free_dropped, python_error

PRELUDE = r'''
#include <string.h>
#include <stdint.h>

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

/* a str argument as UTF-8, Ellipsis -> NULL */
HPyAPI_UNUSED const char *S(HPyContext *ctx, HPy h)
{
    return IS_NULL_MARK(ctx, h) ? NULL : HPyUnicode_AsUTF8AndSize(ctx, h, NULL);
}

/* a bytes argument as char *, Ellipsis -> NULL */
HPyAPI_UNUSED const char *B(HPyContext *ctx, HPy h)
{
    return IS_NULL_MARK(ctx, h) ? NULL : HPyBytes_AsString(ctx, h);
}

HPyAPI_UNUSED HPy_ssize_t I(HPyContext *ctx, HPy h)
{
    return HPyLong_AsSsize_t(ctx, h);
}

HPyAPI_UNUSED HPy ret_int(HPyContext *ctx, long long r)
{
    if (HPyErr_Occurred(ctx)) {
        if (r != -1) {
            HPyErr_Clear(ctx);
            return HPyErr_SetString(ctx, ctx->h_AssertionError,
                                    "exception set but result is not -1");
        }
        return HPy_NULL;
    }
    return HPyLong_FromLongLong(ctx, r);
}

/* a tuple of n C integers */
HPyAPI_UNUSED HPy ssize_tuple(HPyContext *ctx, int n, const HPy_ssize_t *values)
{
    HPy items[8];
    for (int i = 0; i < n; i++)
        items[i] = HPyLong_FromSsize_t(ctx, values[i]);
    HPy res = HPyTuple_FromArray(ctx, items, n);
    for (int i = 0; i < n; i++)
        HPy_Close(ctx, items[i]);
    return res;
}
'''

_MODULES = {}


def build(compile_module, body):
    names = re.findall(r'^\s*VA\((\w+)\)', body, re.M)
    source = PRELUDE + body + ''.join('\n@EXPORT(m_%s)' % n for n in names) + '\n@INIT\n'
    key = (compile_module.abi, source)
    if key not in _MODULES:
        _MODULES[key] = compile_module(source)
    return _MODULES[key]


NULL = ...


def refcount_stable(obj, fn, n=50):
    gc.collect()
    before = support_refcount(obj)
    for _ in range(n):
        fn()
    gc.collect()
    return support_refcount(obj) == before


# --- tuples, lists, dicts --------------------------------------------------------------------

SEQ_C = r'''
VA(tuple_check) { return ret_int(ctx, HPyTuple_Check(ctx, args[0])); }
/* HPyTuple_FromArray over the items of a sequence (at most 32) */
VA(tuple_from_array)
{
    HPy items[32];
    HPy_ssize_t n = HPy_Length(ctx, args[0]);
    for (HPy_ssize_t i = 0; i < n; i++)
        items[i] = HPy_GetItem_i(ctx, args[0], i);
    HPy res = HPyTuple_FromArray(ctx, items, n);
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, items[i]);
    return res;
}
VA(tuple_pack0) { return HPyTuple_Pack(ctx, 0); }
VA(tuple_pack1) { return HPyTuple_Pack(ctx, 1, args[0]); }
VA(tuple_pack3) { return HPyTuple_Pack(ctx, 3, args[0], args[1], args[2]); }
VA(tuple_pack20)
{
    HPy a = args[0], b = args[1];
    return HPyTuple_Pack(ctx, 20, a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b);
}

VA(list_check) { return ret_int(ctx, HPyList_Check(ctx, args[0])); }
/* HPyList_New(n): an empty list, or (n > 0) the length of the new list, which is dropped
   (its slots are empty; only a list of length 0 can be handed to Python) */
VA(list_new)
{
    HPy_ssize_t n = I(ctx, args[0]);
    HPy lst = HPyList_New(ctx, n);
    if (HPy_IsNull(lst) || n == 0)
        return lst;
    HPy_ssize_t len = HPy_Length(ctx, lst);
    int is_list = HPyList_Check(ctx, lst);
    HPy_Close(ctx, lst);
    return HPyLong_FromSsize_t(ctx, is_list ? len : -1);
}
VA(list_append) { return ret_int(ctx, HPyList_Append(ctx, args[0], args[1])); }
VA(list_insert) { return ret_int(ctx, HPyList_Insert(ctx, args[0], I(ctx, args[1]), args[2])); }

VA(dict_check) { return ret_int(ctx, HPyDict_Check(ctx, args[0])); }
VA(dict_new) { return HPyDict_New(ctx); }
VA(dict_keys) { return HPyDict_Keys(ctx, args[0]); }
VA(dict_copy) { return HPyDict_Copy(ctx, args[0]); }
'''


@pytest.fixture
def seq(compile_module):
    return build(compile_module, SEQ_C)


class TupleSub(tuple):
    pass


class ListSub(list):
    pass


def test_tuple(seq):
    for obj, expected in [((), 1), ((1,), 1), (TupleSub(), 1), ([], 0), ('ab', 0), (None, 0)]:
        assert seq.tuple_check(obj) == expected, obj
    value = object()
    t = seq.tuple_from_array([1, value, 'x'])
    assert type(t) is tuple and t == (1, value, 'x')
    assert seq.tuple_from_array([]) == ()
    assert seq.tuple_from_array(list(range(32))) == tuple(range(32))
    # FromArray does not steal: the items get new references
    base = support_refcount(value)
    t2 = seq.tuple_from_array([value, value])
    assert support_refcount(value) == base + 2
    del t2
    assert support_refcount(value) == base
    assert refcount_stable(value, lambda: seq.tuple_from_array([value]))

    assert seq.tuple_pack0() == ()
    assert seq.tuple_pack1(value) == (value,)
    assert seq.tuple_pack3(1, 'two', value) == (1, 'two', value)
    assert seq.tuple_pack20('a', 'b') == ('a', 'b') * 10
    assert refcount_stable(value, lambda: seq.tuple_pack3(value, value, value))
    assert refcount_stable(value, lambda: seq.tuple_pack20(value, value))


def test_list(seq):
    for obj, expected in [([], 1), ([1], 1), (ListSub(), 1), ((), 0), ({}, 0)]:
        assert seq.list_check(obj) == expected, obj
    lst = seq.list_new(0)
    assert lst == [] and type(lst) is list
    assert seq.list_new(0) is not lst
    assert seq.list_new(3) == 3
    value = object()
    with pytest.raises(SystemError) as e:
        seq.list_new(-1)
    assert 'bad argument to internal function' in str(e.value)

    lst = []
    base = support_refcount(value)
    assert seq.list_append(lst, value) == 0
    assert seq.list_append(lst, 2) == 0
    assert lst == [value, 2]
    assert support_refcount(value) == base + 1
    assert seq.list_insert(lst, 0, 'first') == 0
    assert seq.list_insert(lst, -1, 'before last') == 0
    assert seq.list_insert(lst, 100, 'end') == 0
    assert seq.list_insert(lst, -100, 'start') == 0
    assert lst == ['start', 'first', value, 'before last', 2, 'end']
    sub = ListSub()
    assert seq.list_append(sub, 1) == 0
    assert sub == [1]
    for call in (lambda: seq.list_append((), 1), lambda: seq.list_insert((), 0, 1)):
        with pytest.raises(SystemError) as e:
            call()
        assert 'bad argument to internal function' in str(e.value)
    del lst
    assert support_refcount(value) == base


def test_dict(seq):
    for obj, expected in [({}, 1), (collections.OrderedDict(), 1),
                          (collections.defaultdict(int), 1), ([], 0), (None, 0)]:
        assert seq.dict_check(obj) == expected, obj
    d = seq.dict_new()
    assert type(d) is dict and d == {}
    assert seq.dict_new() is not d
    src = {'b': 1, 'a': 2, 3: 'c'}
    keys = seq.dict_keys(src)
    assert type(keys) is list and keys == ['b', 'a', 3]
    assert seq.dict_keys({}) == []
    cp = seq.dict_copy(src)
    assert type(cp) is dict and cp == src and cp is not src
    cp['new'] = 1
    assert 'new' not in src
    assert seq.dict_copy(collections.OrderedDict(x=1)) == {'x': 1}
    for call in (lambda: seq.dict_keys([]), lambda: seq.dict_copy([])):
        with pytest.raises(SystemError) as e:
            call()
        assert 'bad argument to internal function' in str(e.value)
    value = object()
    assert refcount_stable(value, lambda: seq.dict_copy({'k': value}))
    assert refcount_stable(value, lambda: seq.dict_keys({value: 1}))


# --- bytes and str ---------------------------------------------------------------------------

STR_C = r'''
VA(bytes_check) { return ret_int(ctx, HPyBytes_Check(ctx, args[0])); }
VA(bytes_size) { return ret_int(ctx, HPyBytes_Size(ctx, args[0])); }
VA(bytes_get_size) { return ret_int(ctx, HPyBytes_GET_SIZE(ctx, args[0])); }
/* copy of the buffer (with its NUL terminator) read through AsString / AS_STRING */
VA(bytes_asstring)
{
    const char *s = HPyBytes_AsString(ctx, args[0]);
    if (s == NULL)
        return HPy_NULL;
    return HPyBytes_FromStringAndSize(ctx, s, HPyBytes_Size(ctx, args[0]) + 1);
}
VA(bytes_as_string_macro)
{
    const char *s = HPyBytes_AS_STRING(ctx, args[0]);
    return HPyBytes_FromStringAndSize(ctx, s, HPyBytes_GET_SIZE(ctx, args[0]) + 1);
}
VA(bytes_fromstring) { return HPyBytes_FromString(ctx, B(ctx, args[0])); }
VA(bytes_fromstring_literal) { return HPyBytes_FromString(ctx, "lit\xc3\xa9ral"); }
VA(bytes_fromstringandsize)
{
    const char *s = B(ctx, args[0]);
    return HPyBytes_FromStringAndSize(ctx, s, I(ctx, args[1]));
}

VA(unicode_fromstring) { return HPyUnicode_FromString(ctx, B(ctx, args[0])); }
VA(unicode_fromstring_literal) { return HPyUnicode_FromString(ctx, "h\xc3\xa9llo \xe2\x82\xac"); }
VA(unicode_check) { return ret_int(ctx, HPyUnicode_Check(ctx, args[0])); }
VA(as_ascii) { return HPyUnicode_AsASCIIString(ctx, args[0]); }
VA(as_latin1) { return HPyUnicode_AsLatin1String(ctx, args[0]); }
VA(as_utf8_string) { return HPyUnicode_AsUTF8String(ctx, args[0]); }
/* (buffer including the NUL terminator, strlen, size) */
VA(as_utf8_and_size)
{
    HPy_ssize_t size = -42;
    const char *s = HPyUnicode_AsUTF8AndSize(ctx, args[0], &size);
    if (s == NULL)
        return HPy_NULL;
    HPy_ssize_t values[2] = { (HPy_ssize_t)strlen(s), size };
    HPy buf = HPyBytes_FromStringAndSize(ctx, s, size + 1);
    HPy nums = ssize_tuple(ctx, 2, values);
    HPy res = HPyTuple_Pack(ctx, 2, buf, nums);
    HPy_Close(ctx, buf);
    HPy_Close(ctx, nums);
    return res;
}
VA(as_utf8_no_size)
{
    const char *s = HPyUnicode_AsUTF8AndSize(ctx, args[0], NULL);
    if (s == NULL)
        return HPy_NULL;
    return HPyBytes_FromString(ctx, s);
}
VA(from_wide)
{
    static const wchar_t w[] = { L'a', (wchar_t)0xe9, (wchar_t)0x20ac, (wchar_t)0x1F600,
                                 L'z', 0 };
    return HPyUnicode_FromWideChar(ctx, w, I(ctx, args[0]));
}
VA(decode_fs) { return HPyUnicode_DecodeFSDefault(ctx, B(ctx, args[0])); }
VA(decode_fs_size)
{
    return HPyUnicode_DecodeFSDefaultAndSize(ctx, B(ctx, args[0]), I(ctx, args[1]));
}
VA(encode_fs) { return HPyUnicode_EncodeFSDefault(ctx, args[0]); }
VA(read_char)
{
    HPy_ssize_t idx = I(ctx, args[1]);
    HPy_UCS4 c = HPyUnicode_ReadChar(ctx, args[0], idx);
    if (HPyErr_Occurred(ctx)) {
        if (c != (HPy_UCS4)-1) {
            HPyErr_Clear(ctx);
            return HPyErr_SetString(ctx, ctx->h_AssertionError, "ReadChar error result");
        }
        return HPy_NULL;
    }
    return HPyLong_FromUInt32_t(ctx, (uint32_t)c);
}
VA(decode_ascii)
{
    const char *s = HPyBytes_AsString(ctx, args[0]);
    HPy_ssize_t n = HPyBytes_Size(ctx, args[0]);
    return HPyUnicode_DecodeASCII(ctx, s, n, S(ctx, args[1]));
}
VA(decode_latin1)
{
    const char *s = HPyBytes_AsString(ctx, args[0]);
    HPy_ssize_t n = HPyBytes_Size(ctx, args[0]);
    return HPyUnicode_DecodeLatin1(ctx, s, n, S(ctx, args[1]));
}
VA(from_encoded)
{
    return HPyUnicode_FromEncodedObject(ctx, args[0], S(ctx, args[1]), S(ctx, args[2]));
}
VA(substring) { return HPyUnicode_Substring(ctx, args[0], I(ctx, args[1]), I(ctx, args[2])); }
'''


@pytest.fixture
def strmod(compile_module):
    return build(compile_module, STR_C)


class BytesSub(bytes):
    pass


class StrSub(str):
    pass


def test_bytes_check_and_size(strmod):
    for obj, expected in [(b'', 1), (b'x', 1), (BytesSub(b'y'), 1), (bytearray(), 0),
                          ('x', 0), (memoryview(b''), 0)]:
        assert strmod.bytes_check(obj) == expected, obj
    assert strmod.bytes_size(b'') == 0
    assert strmod.bytes_size(b'abc\x00def') == 7
    assert strmod.bytes_get_size(b'abc\x00def') == 7
    assert strmod.bytes_size(BytesSub(b'12')) == 2
    with pytest.raises(TypeError) as e:
        strmod.bytes_size('str')
    assert str(e.value) == 'expected bytes, str found'
    with pytest.raises(TypeError) as e:
        strmod.bytes_size(bytearray(b'x'))
    assert str(e.value) == 'expected bytes, bytearray found'


def test_bytes_as_string(strmod):
    for b in (b'', b'hello', b'with\x00nul', bytes(range(256))):
        assert strmod.bytes_asstring(b) == b + b'\x00'    # NUL terminated
        assert strmod.bytes_as_string_macro(b) == b + b'\x00'
    with pytest.raises(TypeError) as e:
        strmod.bytes_asstring('str')
    assert str(e.value) == 'expected bytes, str found'


def test_bytes_from_string(strmod):
    assert strmod.bytes_fromstring(b'hello') == b'hello'
    assert strmod.bytes_fromstring(b'stops\x00here') == b'stops'
    assert strmod.bytes_fromstring(b'') == b''
    assert strmod.bytes_fromstring_literal() == 'litéral'.encode()
    assert type(strmod.bytes_fromstring(b'x')) is bytes
    assert strmod.bytes_fromstringandsize(b'hello', 3) == b'hel'
    assert strmod.bytes_fromstringandsize(b'a\x00b', 3) == b'a\x00b'
    assert strmod.bytes_fromstringandsize(b'abc', 0) == b''
    with pytest.raises(ValueError) as e:
        strmod.bytes_fromstringandsize(NULL, 5)
    assert str(e.value) == 'NULL char * passed to HPyBytes_FromStringAndSize'
    with pytest.raises(ValueError) as e:
        strmod.bytes_fromstringandsize(NULL, 0)
    assert str(e.value) == 'NULL char * passed to HPyBytes_FromStringAndSize'
    with pytest.raises(SystemError) as e:
        strmod.bytes_fromstringandsize(b'abc', -1)
    assert str(e.value) == 'Negative size passed to PyBytes_FromStringAndSize'


def test_unicode_from_string_and_check(strmod):
    assert strmod.unicode_fromstring('héllo €😀'.encode()) == 'héllo €😀'
    assert strmod.unicode_fromstring(b'') == ''
    assert strmod.unicode_fromstring_literal() == 'héllo €'
    with pytest.raises(UnicodeDecodeError) as e:
        strmod.unicode_fromstring(b'bad \xff byte')
    assert e.value.encoding == 'utf-8'
    assert e.value.start == 4
    for obj, expected in [('', 1), ('x', 1), (StrSub('s'), 1), (b'x', 0), (None, 0)]:
        assert strmod.unicode_check(obj) == expected, obj


def test_unicode_encoders(strmod):
    assert strmod.as_ascii('abc') == b'abc'
    assert strmod.as_latin1('abcé\xff') == b'abc\xe9\xff'
    assert strmod.as_utf8_string('é€😀') == 'é€😀'.encode()
    for fn in (strmod.as_ascii, strmod.as_latin1, strmod.as_utf8_string):
        assert type(fn('x')) is bytes
    with pytest.raises(UnicodeEncodeError) as e:
        strmod.as_ascii('abé')
    assert str(e.value) == ("'ascii' codec can't encode character '\\xe9' in position 2: "
                            "ordinal not in range(128)")
    with pytest.raises(UnicodeEncodeError) as e:
        strmod.as_latin1('€')
    assert str(e.value) == ("'latin-1' codec can't encode character '\\u20ac' in position 0: "
                            "ordinal not in range(256)")
    with pytest.raises(UnicodeEncodeError) as e:
        strmod.as_utf8_string('a\ud800')
    assert e.value.encoding == 'utf-8'
    for fn in (strmod.as_ascii, strmod.as_latin1, strmod.as_utf8_string):
        with pytest.raises(TypeError) as e:
            fn(b'bytes')
        assert str(e.value) == 'bad argument type for built-in operation'


def test_unicode_as_utf8_and_size(strmod):
    for s in ('', 'abc', 'é€😀', 'nul\x00inside'):
        encoded = s.encode()
        buf, (length, size) = strmod.as_utf8_and_size(s)
        assert buf == encoded + b'\x00'
        assert size == len(encoded)
        assert length == len(encoded.split(b'\x00')[0])
    assert strmod.as_utf8_no_size('héllo') == 'héllo'.encode()
    assert strmod.as_utf8_no_size('a\x00b') == b'a'
    with pytest.raises(UnicodeEncodeError):
        strmod.as_utf8_and_size('lone \udc80 surrogate')
    with pytest.raises(UnicodeEncodeError):
        strmod.as_utf8_no_size('\ud800')
    with pytest.raises(TypeError) as e:
        strmod.as_utf8_and_size(b'bytes')
    assert str(e.value) == 'bad argument type for built-in operation'


def test_unicode_from_wide_char(strmod):
    assert strmod.from_wide(-1) == 'a\xe9\u20ac\U0001F600z'
    assert strmod.from_wide(5) == 'a\xe9\u20ac\U0001F600z'
    assert strmod.from_wide(2) == 'a\xe9'
    assert strmod.from_wide(0) == ''


def test_unicode_fs_default(strmod):
    for raw in (b'plain.txt', 'dïr/fïle'.encode(), b'bad-\xff-byte'):
        assert strmod.decode_fs(raw) == os.fsdecode(raw)
        assert strmod.decode_fs_size(raw, len(raw)) == os.fsdecode(raw)
    assert strmod.decode_fs_size(b'abcdef', 3) == 'abc'
    assert strmod.decode_fs_size(b'a\x00b', 3) == 'a\x00b'
    assert strmod.decode_fs(b'a\x00b') == 'a'
    for s in ('plain.txt', 'dïr/fïle', 'bad-\udcff-byte'):
        res = strmod.encode_fs(s)
        assert type(res) is bytes and res == os.fsencode(s)
    with pytest.raises(TypeError):
        strmod.encode_fs(b'bytes')


def test_unicode_read_char(strmod):
    s = 'aé€😀'
    for i, ch in enumerate(s):
        assert strmod.read_char(s, i) == ord(ch)
    for idx in (4, -1, 100):
        with pytest.raises(IndexError) as e:
            strmod.read_char(s, idx)
        assert str(e.value) == 'string index out of range'
    with pytest.raises(TypeError) as e:
        strmod.read_char(b'abc', 0)
    assert str(e.value) == 'bad argument type for built-in operation'


def test_unicode_decode_ascii_latin1(strmod):
    assert strmod.decode_ascii(b'abc', NULL) == 'abc'
    assert strmod.decode_ascii(b'a\x00b', NULL) == 'a\x00b'
    with pytest.raises(UnicodeDecodeError) as e:
        strmod.decode_ascii(b'a\xffb', NULL)
    assert str(e.value) == ("'ascii' codec can't decode byte 0xff in position 1: "
                            "ordinal not in range(128)")
    with pytest.raises(UnicodeDecodeError):
        strmod.decode_ascii(b'a\xffb', 'strict')
    assert strmod.decode_ascii(b'a\xffb', 'replace') == 'a\ufffdb'
    assert strmod.decode_ascii(b'a\xffb', 'ignore') == 'ab'
    assert strmod.decode_ascii(b'a\xffb', 'surrogateescape') == 'a\udcffb'
    with pytest.raises(LookupError) as e:
        strmod.decode_ascii(b'a\xffb', 'no-such-handler')
    assert str(e.value) == 'unknown error handler name \'no-such-handler\''
    assert strmod.decode_latin1(b'caf\xe9', NULL) == 'café'
    assert strmod.decode_latin1(bytes(range(256)), 'strict') == bytes(range(256)).decode('latin-1')
    assert strmod.decode_latin1(b'', NULL) == ''


def test_unicode_from_encoded_object(strmod):
    assert strmod.from_encoded('hé'.encode(), NULL, NULL) == 'hé'     # UTF-8 by default
    assert strmod.from_encoded(b'\xe9', 'latin-1', NULL) == 'é'
    assert strmod.from_encoded(bytearray(b'abc'), 'ascii', 'strict') == 'abc'
    assert strmod.from_encoded(memoryview(b'mv'), NULL, NULL) == 'mv'
    with pytest.raises(UnicodeDecodeError) as e:
        strmod.from_encoded(b'\xff', NULL, NULL)                       # strict by default
    assert e.value.encoding == 'utf-8'
    assert strmod.from_encoded(b'a\xff', 'utf-8', 'replace') == 'a\ufffd'
    assert strmod.from_encoded(b'a\xff', NULL, 'ignore') == 'a'
    with pytest.raises(LookupError) as e:
        strmod.from_encoded(b'x', 'no-such-codec', NULL)
    assert str(e.value) == 'unknown encoding: no-such-codec'
    with pytest.raises(TypeError) as e:
        strmod.from_encoded('already str', NULL, NULL)
    assert str(e.value) == 'decoding str is not supported'
    with pytest.raises(TypeError) as e:
        strmod.from_encoded(42, NULL, NULL)
    assert str(e.value) == 'decoding to str: need a bytes-like object, int found'


def test_unicode_substring(strmod):
    s = 'héllo wörld'
    assert strmod.substring(s, 1, 4) == 'éll'
    assert strmod.substring(s, 0, len(s)) == s
    assert strmod.substring(s, 6, 1000) == 'wörld'        # end is clipped
    assert strmod.substring(s, 5, 2) == ''
    assert strmod.substring(s, 100, 200) == ''
    assert strmod.substring('😀ab', 1, 2) == 'a'
    with pytest.raises(IndexError) as e:
        strmod.substring(s, -1, 3)
    assert str(e.value) == 'string index out of range'
    with pytest.raises(IndexError):
        strmod.substring(s, 0, -1)


# --- builders and trackers -------------------------------------------------------------------

BUILD_C = r'''
/* (kind, sequence, cancel): kind 0 = tuple, 1 = list; the items are set in reverse order */
VA(build)
{
    int is_list = (int)I(ctx, args[0]), cancel = (int)I(ctx, args[2]);
    HPy_ssize_t n = HPy_Length(ctx, args[1]);
    HPyTupleBuilder tb = { 0 };
    HPyListBuilder lb = { 0 };
    if (is_list)
        lb = HPyListBuilder_New(ctx, n);
    else
        tb = HPyTupleBuilder_New(ctx, n);
    for (HPy_ssize_t i = n - 1; i >= 0; i--) {
        HPy item = HPy_GetItem_i(ctx, args[1], i);
        if (is_list)
            HPyListBuilder_Set(ctx, lb, i, item);
        else
            HPyTupleBuilder_Set(ctx, tb, i, item);
        HPy_Close(ctx, item);     /* Set does not steal */
    }
    if (cancel) {
        if (is_list)
            HPyListBuilder_Cancel(ctx, lb);
        else
            HPyTupleBuilder_Cancel(ctx, tb);
        return HPy_Dup(ctx, ctx->h_None);
    }
    return is_list ? HPyListBuilder_Build(ctx, lb) : HPyTupleBuilder_Build(ctx, tb);
}

/* (obj, n, size): track n new handles to obj in a tracker of the given size, close it */
VA(tracker_close)
{
    HPy_ssize_t n = I(ctx, args[1]);
    HPyTracker ht = HPyTracker_New(ctx, I(ctx, args[2]));
    if (ht._i == 0)
        return HPyErr_Occurred(ctx) ? HPy_NULL :
            HPyErr_SetString(ctx, ctx->h_AssertionError, "null tracker without exception");
    for (HPy_ssize_t i = 0; i < n; i++) {
        if (HPyTracker_Add(ctx, ht, HPy_Dup(ctx, args[0])) != 0) {
            HPyTracker_Close(ctx, ht);
            return HPy_NULL;
        }
    }
    HPyTracker_Close(ctx, ht);
    return HPy_Dup(ctx, ctx->h_None);
}

/* (obj, n): track n handles, ForgetAll, close them by hand; one more tracked handle is
   closed by HPyTracker_Close. Returns a list holding the forgotten handles' objects, built
   before they are closed. */
VA(tracker_forget)
{
    HPy handles[64];
    HPy_ssize_t n = I(ctx, args[1]);
    HPyTracker ht = HPyTracker_New(ctx, 0);
    if (ht._i == 0)
        return HPy_NULL;
    for (HPy_ssize_t i = 0; i < n; i++) {
        handles[i] = HPy_Dup(ctx, args[0]);
        if (HPyTracker_Add(ctx, ht, handles[i]) != 0) {
            HPyTracker_Close(ctx, ht);
            return HPy_NULL;
        }
    }
    HPyTracker_ForgetAll(ctx, ht);
    HPyTracker_Add(ctx, ht, HPy_Dup(ctx, args[0]));
    HPyTracker_Close(ctx, ht);
    HPy res = HPyList_New(ctx, 0);
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPyList_Append(ctx, res, handles[i]);   /* still valid: forgotten, not closed */
        HPy_Close(ctx, handles[i]);
    }
    return res;
}
'''


@pytest.fixture
def bmod(compile_module):
    return build(compile_module, BUILD_C)


def test_tuple_and_list_builders(bmod):
    value = object()
    for kind, typ in ((0, tuple), (1, list)):
        assert bmod.build(kind, [], 0) == typ()
        res = bmod.build(kind, [1, 'two', value], 0)
        assert type(res) is typ and res == typ([1, 'two', value])
        del res
        big = list(range(1000))
        assert bmod.build(kind, big, 0) == typ(big)
        base = support_refcount(value)
        res = bmod.build(kind, [value] * 5, 0)
        assert support_refcount(value) == base + 5
        del res
        assert support_refcount(value) == base
        # Cancel releases the items
        assert bmod.build(kind, [value] * 5, 1) is None
        assert support_refcount(value) == base
        assert bmod.build(kind, [], 1) is None
        assert refcount_stable(value, lambda: bmod.build(kind, [value, value], 0))
        assert refcount_stable(value, lambda: bmod.build(kind, [value, value], 1))


def test_tracker(bmod):
    value = object()
    cushion = [value] * 20   # noqa: F841  (keeps value alive if a tracker over-closes)
    base = support_refcount(value)
    for n, size in [(0, 0), (1, 0), (5, 0), (6, 0), (100, 0), (3, 10), (50, 1)]:
        assert bmod.tracker_close(value, n, size) is None
        assert support_refcount(value) == base, (n, size)


def test_tracker_forget_all(bmod):
    value = object()
    cushion = [value] * 100  # noqa: F841
    base = support_refcount(value)
    for n in (0, 1, 4, 40):
        res = bmod.tracker_forget(value, n)
        assert res == [value] * n
        del res
        assert support_refcount(value) == base, n


# --- slices ----------------------------------------------------------------------------------

SLICE_C = r'''
VA(slice_new) { return HPySlice_New(ctx, OPT(ctx, args[0]), OPT(ctx, args[1]), OPT(ctx, args[2])); }
VA(slice_unpack)
{
    HPy_ssize_t v[3] = { -7, -7, -7 };
    if (HPySlice_Unpack(ctx, args[0], &v[0], &v[1], &v[2]) < 0)
        return HPy_NULL;
    return ssize_tuple(ctx, 3, v);
}
/* Unpack + AdjustIndices: (start, stop, step, slicelength) */
VA(slice_indices)
{
    HPy_ssize_t start, stop, step;
    if (HPySlice_Unpack(ctx, args[0], &start, &stop, &step) < 0)
        return HPy_NULL;
    HPy_ssize_t n = HPySlice_AdjustIndices(ctx, I(ctx, args[1]), &start, &stop, step);
    HPy_ssize_t v[4] = { start, stop, step, n };
    return ssize_tuple(ctx, 4, v);
}
/* (length, start, stop, step) -> (start, stop, slicelength) */
VA(adjust)
{
    HPy_ssize_t length = I(ctx, args[0]), start = I(ctx, args[1]), stop = I(ctx, args[2]);
    HPy_ssize_t step = I(ctx, args[3]);
    HPy_ssize_t n = HPySlice_AdjustIndices(NULL, length, &start, &stop, step);  /* ctx unused */
    HPy_ssize_t v[3] = { start, stop, n };
    return ssize_tuple(ctx, 3, v);
}
VA(ssize_limits)
{
    HPy_ssize_t v[2] = { HPY_SSIZE_T_MIN, HPY_SSIZE_T_MAX };
    return ssize_tuple(ctx, 2, v);
}

/* (name, default or Ellipsis) */
VA(cv_new) { return HPyContextVar_New(ctx, S(ctx, args[0]), OPT(ctx, args[1])); }
/* (var, default or Ellipsis) -> (0,) when there is no value, else (0, value) */
VA(cv_get)
{
    HPy result = HPy_NULL;
    int32_t r = HPyContextVar_Get(ctx, args[0], OPT(ctx, args[1]), &result);
    if (r < 0)
        return HPyErr_Occurred(ctx) ? HPy_NULL :
            HPyErr_SetString(ctx, ctx->h_AssertionError, "-1 without exception");
    if (r != 0)
        return HPyErr_SetString(ctx, ctx->h_AssertionError, "result is neither 0 nor -1");
    HPy zero = HPyLong_FromLong(ctx, 0);
    HPy res = HPy_IsNull(result) ? HPyTuple_Pack(ctx, 1, zero)
                                 : HPyTuple_Pack(ctx, 2, zero, result);
    HPy_Close(ctx, zero);
    HPy_Close(ctx, result);
    return res;
}
VA(cv_set) { return HPyContextVar_Set(ctx, args[0], args[1]); }
'''


@pytest.fixture
def smod(compile_module):
    return build(compile_module, SLICE_C)


def test_slice_new_and_unpack(smod):
    s = smod.slice_new(1, 10, 2)
    assert type(s) is slice and (s.start, s.stop, s.step) == (1, 10, 2)
    assert smod.slice_new(NULL, NULL, NULL) == slice(None, None, None)
    assert smod.slice_new('a', NULL, []) == slice('a', None, [])
    MIN, MAX = smod.ssize_limits()
    assert (MIN, MAX) == (-sys.maxsize - 1, sys.maxsize)
    assert smod.slice_unpack(slice(1, 10, 2)) == (1, 10, 2)
    assert smod.slice_unpack(slice(None)) == (0, MAX, 1)
    assert smod.slice_unpack(slice(None, None, -1)) == (MAX, MIN, -1)
    assert smod.slice_unpack(slice(-5, -1)) == (-5, -1, 1)
    assert smod.slice_unpack(slice(2**100, -2**100, 2**100)) == (MAX, MIN, MAX)
    assert smod.slice_unpack(slice(0, 1, -2**100)) == (0, 1, -MAX)

    class Idx:
        def __index__(self):
            return 4
    assert smod.slice_unpack(slice(Idx(), Idx(), Idx())) == (4, 4, 4)
    with pytest.raises(ValueError) as e:
        smod.slice_unpack(slice(1, 2, 0))
    assert str(e.value) == 'slice step cannot be zero'
    with pytest.raises(TypeError) as e:
        smod.slice_unpack(slice(1.5, 2))
    assert str(e.value) == python_error(operator.getitem, [], slice(1.5, 2))


def test_slice_adjust_indices_matches_slice_indices(smod):
    bounds = [None, -2**70, -12, -5, -1, 0, 1, 3, 7, 12, 2**70]
    steps = [None, 1, 2, 3, 10, -1, -2, -3, -10, 2**70, -2**70]
    count = 0
    for length in (0, 1, 5, 10):
        for start in bounds:
            for stop in bounds:
                for step in steps:
                    s = slice(start, stop, step)
                    expected = s.indices(length)
                    r_start, r_stop, r_step, n = smod.slice_indices(s, length)
                    assert n == len(range(*expected)), (s, length)
                    if abs(expected[2]) < 2**62:
                        assert (r_start, r_stop, r_step) == expected, (s, length)
                    else:
                        assert n in (0, 1)
                        if n == 1:
                            assert r_start == expected[0], (s, length)
                    count += 1
    assert count == 4 * 11 * 11 * 11


def test_slice_adjust_indices_direct(smod):
    assert smod.adjust(10, 0, 10, 1) == (0, 10, 10)
    assert smod.adjust(10, -3, 100, 1) == (7, 10, 3)
    assert smod.adjust(10, -100, 100, 1) == (0, 10, 10)
    assert smod.adjust(10, 100, 200, 1) == (10, 10, 0)
    assert smod.adjust(10, 9, -100, -1) == (9, -1, 10)
    assert smod.adjust(10, 100, -100, -3) == (9, -1, 4)
    assert smod.adjust(10, 2, 8, 3) == (2, 8, 2)
    assert smod.adjust(0, 0, 5, 1) == (0, 0, 0)
    assert smod.adjust(0, -1, -1, -1) == (-1, -1, 0)
    MIN, MAX = smod.ssize_limits()
    assert smod.adjust(5, MAX, MIN, -1) == (4, -1, 5)
    assert smod.adjust(5, 0, MAX, 1) == (0, 5, 5)


# --- context variables -----------------------------------------------------------------------

def test_context_var(smod):
    def body():
        var = smod.cv_new('my_var', NULL)
        assert isinstance(var, contextvars.ContextVar)
        assert var.name == 'my_var'
        with pytest.raises(LookupError):
            var.get()
        assert smod.cv_get(var, NULL) == (0,)             # no value, not an error
        assert smod.cv_get(var, 'call default') == (0, 'call default')

        with_default = smod.cv_new('with_dëfault', 42)
        assert with_default.name == 'with_dëfault'
        assert with_default.get() == 42
        assert smod.cv_get(with_default, NULL) == (0, 42)
        assert smod.cv_get(with_default, 'call') == (0, 'call')   # argument wins

        value = object()
        token = smod.cv_set(var, value)
        assert isinstance(token, contextvars.Token)
        assert token.var is var
        assert token.old_value is contextvars.Token.MISSING
        assert var.get() is value
        res = smod.cv_get(var, 'ignored')
        assert res[1] is value
        token2 = smod.cv_set(var, 'second')
        assert token2.old_value is value
        assert smod.cv_get(var, NULL) == (0, 'second')
        var.reset(token2)
        assert smod.cv_get(var, NULL)[1] is value
        var.reset(token)
        assert smod.cv_get(var, NULL) == (0,)
        assert refcount_stable(value, lambda: smod.cv_get(with_default, value))
        return var

    var = contextvars.copy_context().run(body)
    assert smod.cv_get(var, NULL) == (0,)

    # a value set in one context is invisible in another
    v2 = smod.cv_new('isolated', NULL)
    ctx1 = contextvars.copy_context()
    ctx1.run(smod.cv_set, v2, 'in ctx1')
    assert ctx1.run(smod.cv_get, v2, NULL) == (0, 'in ctx1')
    assert smod.cv_get(v2, NULL) == (0,)

    with pytest.raises(TypeError) as e:
        smod.cv_get('not a var', NULL)
    assert str(e.value) == 'an instance of ContextVar was expected'
    with pytest.raises(TypeError) as e:
        smod.cv_set(5, 1)
    assert str(e.value) == 'an instance of ContextVar was expected'


# --- capsules --------------------------------------------------------------------------------

CAPSULE_C = r'''
static int the_target, other_target, context_target;
static const char *const names[] = { "first.name", "second.name" };
static int destructor_calls;
static char last_name[64];
static void *last_pointer, *last_context;

HPyCapsule_DESTRUCTOR(my_dtor)
static void my_dtor_impl(const char *name, void *pointer, void *context)
{
    destructor_calls++;
    strncpy(last_name, name ? name : "<NULL>", sizeof(last_name) - 1);
    last_pointer = pointer;
    last_context = context;
}
static HPyCapsule_Destructor no_trampoline = { .cpy_trampoline = NULL, .impl = my_dtor_impl };
static HPyCapsule_Destructor no_impl = {
    .cpy_trampoline = _HPy_FPTR_CAST(cpy_PyCapsule_Destructor, my_dtor_trampoline),
    .impl = NULL
};

/* 0: none, 1: valid, 2: NULL trampoline, 3: NULL impl */
static HPyCapsule_Destructor *pick_dtor(HPyContext *ctx, HPy h)
{
    switch (I(ctx, h)) {
    case 1: return &my_dtor;
    case 2: return &no_trampoline;
    case 3: return &no_impl;
    default: return NULL;
    }
}

/* index into names, Ellipsis -> NULL */
static const char *NAME(HPyContext *ctx, HPy h)
{
    return IS_NULL_MARK(ctx, h) ? NULL : names[I(ctx, h)];
}

/* 0: NULL, 1: &the_target, 2: &other_target, 3: &context_target */
static void *pick_ptr(HPyContext *ctx, HPy h)
{
    switch (I(ctx, h)) {
    case 1: return &the_target;
    case 2: return &other_target;
    case 3: return &context_target;
    default: return NULL;
    }
}

static HPy ptr_result(HPyContext *ctx, void *p)
{
    if (p == NULL && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromSize_t(ctx, (size_t)p);
}

/* (pointer choice, name, destructor choice) */
VA(capsule_new)
{
    return HPyCapsule_New(ctx, pick_ptr(ctx, args[0]), NAME(ctx, args[1]), pick_dtor(ctx, args[2]));
}
VA(addresses)
{
    HPy_ssize_t v[3] = { (HPy_ssize_t)&the_target, (HPy_ssize_t)&other_target,
                         (HPy_ssize_t)&context_target };
    return ssize_tuple(ctx, 3, v);
}
VA(dtor_state)
{
    HPy_ssize_t v[3] = { destructor_calls, (HPy_ssize_t)last_pointer,
                         (HPy_ssize_t)last_context };
    HPy nums = ssize_tuple(ctx, 3, v);
    HPy name = HPyUnicode_FromString(ctx, last_name);
    HPy res = HPyTuple_Pack(ctx, 2, nums, name);
    HPy_Close(ctx, nums);
    HPy_Close(ctx, name);
    return res;
}
VA(get_pointer) { return ptr_result(ctx, HPyCapsule_GetPointer(ctx, args[0], NAME(ctx, args[1]))); }
VA(get_name)
{
    const char *name = HPyCapsule_GetName(ctx, args[0]);
    if (name == NULL)
        return HPyErr_Occurred(ctx) ? HPy_NULL : HPy_Dup(ctx, ctx->h_None);
    return HPyUnicode_FromString(ctx, name);
}
VA(get_context) { return ptr_result(ctx, HPyCapsule_GetContext(ctx, args[0])); }
VA(set_pointer) { return ret_int(ctx, HPyCapsule_SetPointer(ctx, args[0], pick_ptr(ctx, args[1]))); }
VA(set_name) { return ret_int(ctx, HPyCapsule_SetName(ctx, args[0], NAME(ctx, args[1]))); }
VA(set_context) { return ret_int(ctx, HPyCapsule_SetContext(ctx, args[0], pick_ptr(ctx, args[1]))); }
VA(set_destructor)
{
    return ret_int(ctx, HPyCapsule_SetDestructor(ctx, args[0], pick_dtor(ctx, args[1])));
}
VA(is_valid) { return ret_int(ctx, HPyCapsule_IsValid(ctx, args[0], NAME(ctx, args[1]))); }
'''

FIRST, SECOND = 0, 1
NO_DTOR, DTOR, BAD_TRAMPOLINE, BAD_IMPL = 0, 1, 2, 3
P_NULL, P_TARGET, P_OTHER, P_CONTEXT = 0, 1, 2, 3


@pytest.fixture
def cmod(compile_module):
    return build(compile_module, CAPSULE_C)


def test_capsule_basics(cmod):
    target, other, context = cmod.addresses()
    cap = cmod.capsule_new(P_TARGET, FIRST, NO_DTOR)
    assert type(cap).__name__ == 'PyCapsule'
    assert 'capsule object "first.name"' in repr(cap)
    assert cmod.get_pointer(cap, FIRST) == target
    assert cmod.get_name(cap) == 'first.name'
    assert cmod.get_context(cap) == 0
    assert cmod.is_valid(cap, FIRST) == 1
    assert cmod.is_valid(cap, SECOND) == 0
    assert cmod.is_valid(cap, NULL) == 0
    assert cmod.is_valid(42, FIRST) == 0
    with pytest.raises(ValueError) as e:
        cmod.get_pointer(cap, SECOND)
    assert str(e.value) == 'PyCapsule_GetPointer called with incorrect name'
    with pytest.raises(ValueError) as e:
        cmod.get_pointer(cap, NULL)
    assert str(e.value) == 'PyCapsule_GetPointer called with incorrect name'

    anon = cmod.capsule_new(P_TARGET, NULL, NO_DTOR)
    assert cmod.get_name(anon) is None
    assert cmod.get_pointer(anon, NULL) == target
    assert cmod.is_valid(anon, NULL) == 1

    with pytest.raises(ValueError) as e:
        cmod.capsule_new(P_NULL, FIRST, NO_DTOR)
    assert str(e.value) == 'PyCapsule_New called with null pointer'


def test_capsule_setters(cmod):
    target, other, context = cmod.addresses()
    cap = cmod.capsule_new(P_TARGET, FIRST, NO_DTOR)
    assert cmod.set_pointer(cap, P_OTHER) == 0
    assert cmod.get_pointer(cap, FIRST) == other
    with pytest.raises(ValueError) as e:
        cmod.set_pointer(cap, P_NULL)
    assert str(e.value) == 'PyCapsule_SetPointer called with null pointer'
    assert cmod.get_pointer(cap, FIRST) == other
    assert cmod.set_context(cap, P_CONTEXT) == 0
    assert cmod.get_context(cap) == context
    assert cmod.set_context(cap, P_NULL) == 0
    assert cmod.get_context(cap) == 0
    assert cmod.set_name(cap, SECOND) == 0
    assert cmod.get_name(cap) == 'second.name'
    assert cmod.is_valid(cap, SECOND) == 1
    assert cmod.get_pointer(cap, SECOND) == other
    assert cmod.set_name(cap, NULL) == 0
    assert cmod.get_name(cap) is None


def test_capsule_invalid_object(cmod):
    for call, fn in [(lambda: cmod.get_pointer(42, FIRST), 'GetPointer'),
                     (lambda: cmod.get_name('x'), 'GetName'),
                     (lambda: cmod.get_context([]), 'GetContext'),
                     (lambda: cmod.set_pointer(1, P_TARGET), 'SetPointer'),
                     (lambda: cmod.set_name(1, FIRST), 'SetName'),
                     (lambda: cmod.set_context(1, P_CONTEXT), 'SetContext'),
                     (lambda: cmod.set_destructor(1, NO_DTOR), 'SetDestructor')]:
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == 'PyCapsule_%s called with invalid PyCapsule object' % fn


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_capsule_destructor(cmod):
    target, other, context = cmod.addresses()
    calls = cmod.dtor_state()[0][0]
    cap = cmod.capsule_new(P_TARGET, FIRST, DTOR)
    assert cmod.dtor_state()[0][0] == calls
    del cap
    (n, pointer, ctx_ptr), name = cmod.dtor_state()
    assert (n, pointer, ctx_ptr, name) == (calls + 1, target, 0, 'first.name')

    # the destructor sees the current name, pointer and context
    cap = cmod.capsule_new(P_TARGET, FIRST, DTOR)
    cmod.set_pointer(cap, P_OTHER)
    cmod.set_context(cap, P_CONTEXT)
    cmod.set_name(cap, SECOND)
    del cap
    assert cmod.dtor_state() == ((calls + 2, other, context), 'second.name')

    # SetDestructor installs one; NULL removes it
    cap = cmod.capsule_new(P_TARGET, NULL, NO_DTOR)
    assert cmod.set_destructor(cap, DTOR) == 0
    del cap
    assert cmod.dtor_state() == ((calls + 3, target, 0), '<NULL>')
    cap = cmod.capsule_new(P_TARGET, FIRST, DTOR)
    assert cmod.set_destructor(cap, NO_DTOR) == 0
    del cap
    assert cmod.dtor_state()[0][0] == calls + 3

    # a capsule without destructor
    cap = cmod.capsule_new(P_TARGET, FIRST, NO_DTOR)
    del cap
    assert cmod.dtor_state()[0][0] == calls + 3


def test_capsule_invalid_destructor(cmod):
    calls = cmod.dtor_state()[0][0]
    for bad in (BAD_TRAMPOLINE, BAD_IMPL):
        with pytest.raises(ValueError) as e:
            cmod.capsule_new(P_TARGET, FIRST, bad)
        assert str(e.value) == 'Invalid HPyCapsule destructor'
        cap = cmod.capsule_new(P_TARGET, FIRST, DTOR)
        with pytest.raises(ValueError) as e:
            cmod.set_destructor(cap, bad)
        assert str(e.value) == 'Invalid HPyCapsule destructor'
        calls += 1
        del cap     # the valid destructor is still installed
        free_dropped()
        assert cmod.dtor_state()[0][0] == calls
