"""Object protocol called from C: attributes, items, slices, comparisons, hashing, string
conversions, type queries, iteration, compile/eval and _HPy_Dump (api.md §7)."""
import collections
import gc
import io
import operator
import re
import sys
import types

import pytest

from support import refcount as support_refcount
from support import python_error

# ---------------------------------------------------------------------------------------------
# One C module holds every entry point of this file. `VA(name)` defines a VARARGS method `name`
# whose body sees `ctx`, `args` and `nargs`; Ellipsis passed from Python stands for HPy_NULL.

PRELUDE = r'''
#include <string.h>

#define VA(name) \
    HPyDef_METH(m_##name, #name, HPyFunc_VARARGS) \
    static HPy name##_body(HPyContext *ctx, _HPy_UNUSED const HPy *args, \
                           _HPy_UNUSED size_t nargs); \
    static HPy m_##name##_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs) \
    { (void)self; return name##_body(ctx, args, nargs); } \
    static HPy name##_body(HPyContext *ctx, _HPy_UNUSED const HPy *args, \
                           _HPy_UNUSED size_t nargs)

/* a str argument as UTF-8 */
HPyAPI_UNUSED const char *S(HPyContext *ctx, HPy h)
{
    return HPyUnicode_AsUTF8AndSize(ctx, h, NULL);
}

HPyAPI_UNUSED HPy_ssize_t I(HPyContext *ctx, HPy h)
{
    return HPyLong_AsSsize_t(ctx, h);
}

/* Ellipsis -> HPy_NULL */
HPyAPI_UNUSED HPy OPT(HPyContext *ctx, HPy h)
{
    return HPy_Is(ctx, h, ctx->h_Ellipsis) ? HPy_NULL : h;
}

/* An int result of a function returning -1 + exception on error. */
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
'''

_MODULES = {}


def build(compile_module, body, **kw):
    """Compile PRELUDE + body once per ABI (cached: every test of the file shares it)."""
    names = re.findall(r'^\s*VA\((\w+)\)', body, re.M)
    source = PRELUDE + body + ''.join('\n@EXPORT(m_%s)' % n for n in names) + '\n@INIT\n'
    key = (compile_module.abi, source)
    if key not in _MODULES:
        _MODULES[key] = compile_module(source, **kw)
    return _MODULES[key]


NULL = ...

OBJECT_C = r'''
VA(getattr) { return HPy_GetAttr(ctx, args[0], args[1]); }
VA(getattr_s) { return HPy_GetAttr_s(ctx, args[0], S(ctx, args[1])); }
VA(hasattr) { return ret_int(ctx, HPy_HasAttr(ctx, args[0], args[1])); }
VA(hasattr_s) { return ret_int(ctx, HPy_HasAttr_s(ctx, args[0], S(ctx, args[1]))); }
VA(setattr) { return ret_int(ctx, HPy_SetAttr(ctx, args[0], args[1], OPT(ctx, args[2]))); }
VA(setattr_s)
{
    return ret_int(ctx, HPy_SetAttr_s(ctx, args[0], S(ctx, args[1]), OPT(ctx, args[2])));
}
VA(delattr) { return ret_int(ctx, HPy_DelAttr(ctx, args[0], args[1])); }
VA(delattr_s) { return ret_int(ctx, HPy_DelAttr_s(ctx, args[0], S(ctx, args[1]))); }

VA(getitem) { return HPy_GetItem(ctx, args[0], args[1]); }
VA(getitem_i) { return HPy_GetItem_i(ctx, args[0], I(ctx, args[1])); }
VA(getitem_s) { return HPy_GetItem_s(ctx, args[0], S(ctx, args[1])); }
VA(setitem) { return ret_int(ctx, HPy_SetItem(ctx, args[0], args[1], args[2])); }
VA(setitem_i) { return ret_int(ctx, HPy_SetItem_i(ctx, args[0], I(ctx, args[1]), args[2])); }
VA(setitem_s) { return ret_int(ctx, HPy_SetItem_s(ctx, args[0], S(ctx, args[1]), args[2])); }
VA(delitem) { return ret_int(ctx, HPy_DelItem(ctx, args[0], args[1])); }
VA(delitem_i) { return ret_int(ctx, HPy_DelItem_i(ctx, args[0], I(ctx, args[1]))); }
VA(delitem_s) { return ret_int(ctx, HPy_DelItem_s(ctx, args[0], S(ctx, args[1]))); }

VA(getslice) { return HPy_GetSlice(ctx, args[0], I(ctx, args[1]), I(ctx, args[2])); }
VA(setslice)
{
    HPy_ssize_t a = I(ctx, args[1]), b = I(ctx, args[2]);
    return ret_int(ctx, HPy_SetSlice(ctx, args[0], a, b, OPT(ctx, args[3])));
}
VA(delslice)
{
    HPy_ssize_t a = I(ctx, args[1]), b = I(ctx, args[2]);
    return ret_int(ctx, HPy_DelSlice(ctx, args[0], a, b));
}
VA(contains) { return ret_int(ctx, HPy_Contains(ctx, args[0], args[1])); }

VA(richcompare) { return HPy_RichCompare(ctx, args[0], args[1], (int)I(ctx, args[2])); }
VA(richcomparebool)
{
    return ret_int(ctx, HPy_RichCompareBool(ctx, args[0], args[1], (int)I(ctx, args[2])));
}
VA(cmp_ops)
{
    HPy items[6];
    int ops[6] = { HPy_LT, HPy_LE, HPy_EQ, HPy_NE, HPy_GT, HPy_GE };
    for (int i = 0; i < 6; i++)
        items[i] = HPyLong_FromLong(ctx, ops[i]);
    HPy res = HPyTuple_FromArray(ctx, items, 6);
    for (int i = 0; i < 6; i++)
        HPy_Close(ctx, items[i]);
    return res;
}
VA(hash) { return ret_int(ctx, (long long)HPy_Hash(ctx, args[0])); }

VA(repr) { return HPy_Repr(ctx, args[0]); }
VA(str) { return HPy_Str(ctx, args[0]); }
VA(ascii) { return HPy_ASCII(ctx, args[0]); }
VA(bytes) { return HPy_Bytes(ctx, args[0]); }

VA(type) { return HPy_Type(ctx, args[0]); }
VA(typecheck) { return ret_int(ctx, HPy_TypeCheck(ctx, args[0], args[1])); }
VA(is_) { return ret_int(ctx, HPy_Is(ctx, args[0], args[1])); }
VA(length) { return ret_int(ctx, HPy_Length(ctx, args[0])); }
VA(istrue) { return ret_int(ctx, HPy_IsTrue(ctx, args[0])); }
VA(callable_check) { return ret_int(ctx, HPyCallable_Check(ctx, args[0])); }
VA(number_check) { return ret_int(ctx, HPyNumber_Check(ctx, args[0])); }
VA(issubtype) { return ret_int(ctx, HPyType_IsSubtype(ctx, args[0], args[1])); }
VA(type_getname)
{
    const char *name = HPyType_GetName(ctx, args[0]);
    if (name == NULL)
        return HPy_NULL;
    return HPyUnicode_FromString(ctx, name);
}

VA(getiter) { return HPy_GetIter(ctx, args[0]); }
VA(iter_check) { return ret_int(ctx, HPyIter_Check(ctx, args[0])); }
/* the next item, or Ellipsis when exhausted without an exception */
VA(iter_next)
{
    HPy item = HPyIter_Next(ctx, args[0]);
    if (HPy_IsNull(item)) {
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_Ellipsis);
    }
    return item;
}
/* list(obj) written with GetIter/Iter_Next */
VA(drain)
{
    HPy it = HPy_GetIter(ctx, args[0]);
    if (HPy_IsNull(it))
        return HPy_NULL;
    HPy result = HPyList_New(ctx, 0);
    for (;;) {
        HPy item = HPyIter_Next(ctx, it);
        if (HPy_IsNull(item))
            break;
        HPyList_Append(ctx, result, item);
        HPy_Close(ctx, item);
    }
    HPy_Close(ctx, it);
    if (HPyErr_Occurred(ctx)) {
        HPy_Close(ctx, result);
        return HPy_NULL;
    }
    return result;
}

VA(compile) { return HPy_Compile_s(ctx, S(ctx, args[0]), S(ctx, args[1]),
                                   (HPy_SourceKind)I(ctx, args[2])); }
VA(evalcode) { return HPy_EvalCode(ctx, args[0], args[1], args[2]); }
VA(source_kinds)
{
    HPy items[3];
    int kinds[3] = { HPy_SourceKind_Expr, HPy_SourceKind_File, HPy_SourceKind_Single };
    for (int i = 0; i < 3; i++)
        items[i] = HPyLong_FromLong(ctx, kinds[i]);
    HPy res = HPyTuple_FromArray(ctx, items, 3);
    for (int i = 0; i < 3; i++)
        HPy_Close(ctx, items[i]);
    return res;
}
VA(dump)
{
    _HPy_Dump(ctx, args[0]);
    return HPy_Dup(ctx, ctx->h_None);
}
'''


@pytest.fixture
def mod(compile_module):
    return build(compile_module, OBJECT_C)


def refcount_stable(obj, fn, n=50):
    """Call fn n times and check that obj's reference count did not change."""
    gc.collect()
    before = support_refcount(obj)
    for _ in range(n):
        fn()
    gc.collect()
    return support_refcount(obj) == before


class Plain:
    pass


# --- attributes ------------------------------------------------------------------------------

def test_getattr(mod):
    o = Plain()
    o.x = value = object()
    for getattr_ in (mod.getattr, mod.getattr_s):
        assert getattr_(o, 'x') is value
        with pytest.raises(AttributeError) as e:
            getattr_(o, 'nope')
        assert str(e.value) == "'Plain' object has no attribute 'nope'"
    setattr(o, 'café', 7)
    assert mod.getattr(o, 'café') == 7
    assert mod.getattr_s(o, 'café') == 7          # the _s name is UTF-8
    assert mod.getattr_s(42, 'real') == 42
    with pytest.raises(TypeError) as e:
        mod.getattr(o, 42)
    assert str(e.value) == "attribute name must be string, not 'int'"
    assert refcount_stable(value, lambda: mod.getattr(o, 'x'))
    assert refcount_stable(value, lambda: mod.getattr_s(o, 'x'))


def test_getattr_propagates_exceptions_of_properties(mod):
    class P:
        @property
        def bad(self):
            raise KeyError('from property')
    with pytest.raises(KeyError, match='from property'):
        mod.getattr(P(), 'bad')
    with pytest.raises(KeyError, match='from property'):
        mod.getattr_s(P(), 'bad')


def test_hasattr(mod):
    class P:
        x = 1

        @property
        def bad(self):
            raise ValueError('swallowed')
    for hasattr_ in (mod.hasattr, mod.hasattr_s):
        assert hasattr_(P(), 'x') == 1
        assert hasattr_(P(), 'missing') == 0
        # HasAttr never fails: the exception of the property is cleared
        assert hasattr_(P(), 'bad') == 0
    o = Plain()
    setattr(o, 'é', 1)
    assert mod.hasattr_s(o, 'é') == 1


def test_setattr_and_delete_with_null(mod):
    o = Plain()
    value = object()
    base = support_refcount(value)
    assert mod.setattr(o, 'a', value) == 0
    assert o.a is value
    assert mod.setattr_s(o, 'b', value) == 0
    assert o.b is value
    assert mod.setattr_s(o, 'ü', value) == 0
    assert getattr(o, 'ü') is value
    assert support_refcount(value) == base + 3
    # HPy_NULL as value deletes the attribute
    assert mod.setattr(o, 'a', NULL) == 0
    assert not hasattr(o, 'a')
    assert mod.setattr_s(o, 'b', NULL) == 0
    assert not hasattr(o, 'b')
    assert mod.delattr_s(o, 'ü') == 0
    assert support_refcount(value) == base
    with pytest.raises(AttributeError):
        mod.setattr(o, 'a', NULL)
    with pytest.raises(AttributeError):
        mod.setattr_s(o, 'a', NULL)
    with pytest.raises(AttributeError) as e:
        mod.setattr(object(), 'z', 1)
    assert str(e.value) == python_error(setattr, object(), 'z', 1)
    with pytest.raises(AttributeError) as e:
        mod.setattr_s(object(), 'z', 1)
    assert str(e.value) == python_error(setattr, object(), 'z', 1)
    with pytest.raises(TypeError) as e:
        mod.setattr(o, 1, 2)
    assert str(e.value) == "attribute name must be string, not 'int'"


def test_delattr(mod):
    o = Plain()
    o.a = o.b = 1
    assert mod.delattr(o, 'a') == 0
    assert mod.delattr_s(o, 'b') == 0
    assert vars(o) == {}
    for delattr_ in (mod.delattr, mod.delattr_s):
        with pytest.raises(AttributeError):
            delattr_(o, 'a')
    with pytest.raises(AttributeError):
        mod.delattr(object(), '__class__x')
    with pytest.raises(AttributeError) as e:
        mod.delattr_s(1, 'real')   # readonly attribute of int
    assert str(e.value) == "attribute 'real' of 'int' objects is not writable"


# --- items -----------------------------------------------------------------------------------

def test_getitem(mod):
    value = object()
    d = {'a': value, 1: 'one', -1: 'minus one', 'é': 'e-acute'}
    assert mod.getitem(d, 'a') is value
    assert mod.getitem_s(d, 'a') is value
    assert mod.getitem_s(d, 'é') == 'e-acute'
    # dict has no sequence protocol: the index becomes an int key, without adjustment
    assert mod.getitem_i(d, 1) == 'one'
    assert mod.getitem_i(d, -1) == 'minus one'
    with pytest.raises(KeyError) as e:
        mod.getitem(d, 'b')
    assert e.value.args == ('b',)
    with pytest.raises(KeyError) as e:
        mod.getitem_s(d, 'b')
    assert e.value.args == ('b',)
    with pytest.raises(KeyError) as e:
        mod.getitem_i(d, 2)
    assert e.value.args == (2,)

    lst = [10, value, 30]
    assert mod.getitem(lst, 1) is value
    assert mod.getitem_i(lst, 1) is value
    assert mod.getitem_i(lst, -1) == 30      # sequence protocol: negative index adjusted
    assert mod.getitem_i(lst, -3) == 10
    assert mod.getitem_i('abc', 2) == 'c'
    assert mod.getitem_i((1, 2), -2) == 1
    assert mod.getitem_i(range(10, 20), 3) == 13
    for idx in (3, -4):
        with pytest.raises(IndexError) as e:
            mod.getitem_i(lst, idx)
        assert str(e.value) == 'list index out of range'
    with pytest.raises(TypeError) as e:
        mod.getitem(5, 0)
    assert str(e.value) == "'int' object is not subscriptable"
    with pytest.raises(TypeError) as e:
        mod.getitem_i(5, 0)
    assert str(e.value) == "'int' object is not subscriptable"
    with pytest.raises(TypeError) as e:
        mod.getitem_s(5, 'x')
    assert str(e.value) == "'int' object is not subscriptable"
    with pytest.raises(TypeError) as e:
        mod.getitem_s([1], 'x')
    assert str(e.value) == 'list indices must be integers or slices, not str'

    class Mapping:
        def __getitem__(self, key):
            return ('got', key)
    assert mod.getitem_i(Mapping(), -5) == ('got', -5)

    class Sized(Mapping):
        def __len__(self):
            return 10
    # a class with __len__ and __getitem__ supports the sequence protocol: -1 -> 9
    assert mod.getitem_i(Sized(), -1) == ('got', 9)
    assert mod.getitem(Sized(), -1) == ('got', -1)
    assert mod.getitem_s(Mapping(), 'kü') == ('got', 'kü')
    assert refcount_stable(value, lambda: mod.getitem(d, 'a'))
    assert refcount_stable(value, lambda: mod.getitem_i(lst, 1))
    assert refcount_stable(value, lambda: mod.getitem_s(d, 'a'))


def test_length_and_getitem_i_of_tuples_lists_and_their_subclasses(mod):
    # exact tuples and lists are read directly; subclasses keep their own __len__/__getitem__
    value = object()
    t, lst = (value, 2, 3), [1, value]
    assert mod.length(t) == 3 and mod.length(()) == 0 and mod.length(lst) == 2
    assert mod.getitem_i(t, 0) is value and mod.getitem_i(lst, 1) is value
    assert mod.getitem_i(t, -3) is value and mod.getitem_i(lst, -1) is value
    for obj, idx, msg in ((t, 3, 'tuple'), ((), 0, 'tuple'), (lst, 2, 'list'), (t, -4, 'tuple')):
        with pytest.raises(IndexError) as e:
            mod.getitem_i(obj, idx)
        assert str(e.value) == '%s index out of range' % msg

    class T(tuple):
        def __len__(self):
            return 42

        def __getitem__(self, i):
            return ('T', i)

    class L(list):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return ('L', i)
    assert mod.length(T((1, 2))) == 42 and mod.length(L([1])) == 7
    assert mod.getitem_i(T((1, 2)), 0) == ('T', 0) and mod.getitem_i(L([1]), 0) == ('L', 0)
    assert mod.getitem_i(T((1, 2)), 5) == ('T', 5)
    assert refcount_stable(value, lambda: mod.getitem_i(t, 0))
    assert refcount_stable(value, lambda: mod.getitem_i(lst, 1))


def test_setitem(mod):
    value = object()
    base = support_refcount(value)
    d = {}
    assert mod.setitem(d, 'a', value) == 0
    assert mod.setitem_s(d, 'é', value) == 0
    assert mod.setitem_i(d, 7, value) == 0
    assert mod.setitem_i(d, -7, 'neg') == 0
    assert d == {'a': value, 'é': value, 7: value, -7: 'neg'}
    assert support_refcount(value) == base + 3
    lst = [0, 1, 2]
    assert mod.setitem(lst, 0, 'x') == 0
    assert mod.setitem_i(lst, 1, 'y') == 0
    assert mod.setitem_i(lst, -1, 'z') == 0
    assert lst == ['x', 'y', 'z']
    with pytest.raises(IndexError) as e:
        mod.setitem_i(lst, 3, 'w')
    assert str(e.value) == 'list assignment index out of range'
    for call in (lambda: mod.setitem((1,), 0, 2), lambda: mod.setitem_i((1,), 0, 2)):
        with pytest.raises(TypeError) as e:
            call()
        assert str(e.value) == "'tuple' object does not support item assignment"
    with pytest.raises(TypeError) as e:
        mod.setitem_s([], 'k', 1)
    assert str(e.value) == 'list indices must be integers or slices, not str'
    with pytest.raises(TypeError) as e:
        mod.setitem({}, [], 1)
    assert str(e.value) == python_error(operator.setitem, {}, [], 1)
    del d
    assert support_refcount(value) == base

    class Recorder:
        def __init__(self):
            self.log = []

        def __len__(self):
            return 10

        def __setitem__(self, key, value):
            self.log.append(('set', key, value))

        def __delitem__(self, key):
            self.log.append(('del', key))
    # SetItem_i / DelItem_i use the mapping protocol: the index is passed unchanged
    r = Recorder()
    assert mod.setitem_i(r, -1, 'v') == 0
    assert mod.delitem_i(r, -2) == 0
    assert mod.setitem_s(r, 'k', 1) == 0
    assert mod.delitem_s(r, 'k') == 0
    assert r.log == [('set', -1, 'v'), ('del', -2), ('set', 'k', 1), ('del', 'k')]


def test_delitem(mod):
    d = {'a': 1, 'é': 2, 3: 3, -3: 4}
    assert mod.delitem(d, 'a') == 0
    assert mod.delitem_s(d, 'é') == 0
    assert mod.delitem_i(d, 3) == 0
    assert mod.delitem_i(d, -3) == 0
    assert d == {}
    with pytest.raises(KeyError) as e:
        mod.delitem(d, 'a')
    assert e.value.args == ('a',)
    with pytest.raises(KeyError) as e:
        mod.delitem_s(d, 'a')
    assert e.value.args == ('a',)
    with pytest.raises(KeyError) as e:
        mod.delitem_i(d, 5)
    assert e.value.args == (5,)
    lst = [0, 1, 2, 3]
    assert mod.delitem(lst, 0) == 0
    assert mod.delitem_i(lst, -1) == 0
    assert lst == [1, 2]
    with pytest.raises(IndexError) as e:
        mod.delitem_i(lst, 5)
    assert str(e.value) == 'list assignment index out of range'
    with pytest.raises(TypeError) as e:
        mod.delitem_i((1,), 0)
    assert str(e.value) == "'tuple' object doesn't support item deletion"
    value = object()
    base = support_refcount(value)
    d = {'k': value}
    mod.delitem_s(d, 'k')
    assert support_refcount(value) == base


# --- slices and containment ------------------------------------------------------------------

def test_slices(mod):
    lst = list(range(10))
    assert mod.getslice(lst, 2, 5) == [2, 3, 4]
    assert mod.getslice(lst, -3, -1) == [7, 8]      # negative indices count from the end
    assert mod.getslice(lst, 8, 100) == [8, 9]
    assert mod.getslice('hello', 1, 3) == 'el'
    assert mod.getslice((1, 2, 3), 0, 0) == ()
    assert mod.setslice(lst, 0, 3, ['a', 'b']) == 0
    assert lst == ['a', 'b', 3, 4, 5, 6, 7, 8, 9]
    assert mod.setslice(lst, 2, 8, NULL) == 0        # HPy_NULL value deletes
    assert lst == ['a', 'b', 9]
    assert mod.delslice(lst, 0, 1) == 0
    assert lst == ['b', 9]
    assert mod.delslice(lst, -1, 10) == 0
    assert lst == ['b']
    ba = bytearray(b'abcdef')
    assert mod.setslice(ba, 1, 3, b'XYZ') == 0
    assert mod.delslice(ba, 0, 1) == 0
    assert ba == bytearray(b'XYZdef')
    with pytest.raises(TypeError) as e:
        mod.getslice(5, 0, 1)
    assert str(e.value) == "'int' object is unsliceable"
    with pytest.raises(TypeError) as e:
        mod.setslice((1, 2), 0, 1, (3,))
    assert str(e.value) == "'tuple' object doesn't support slice assignment"
    with pytest.raises(TypeError) as e:
        mod.delslice((1, 2), 0, 1)
    assert str(e.value) == "'tuple' object doesn't support slice deletion"
    with pytest.raises(TypeError) as e:
        mod.setslice([1], 0, 1, 5)
    assert str(e.value) == python_error(operator.setitem, [1], slice(0, 1), 5)


def test_contains(mod):
    assert mod.contains([1, 2, 3], 2) == 1
    assert mod.contains([1, 2, 3], 4) == 0
    assert mod.contains({'a': 1}, 'a') == 1
    assert mod.contains('hello', 'ell') == 1
    assert mod.contains(iter([1, 2]), 2) == 1

    class Weird:
        def __contains__(self, item):
            raise RuntimeError('contains failed')
    with pytest.raises(RuntimeError, match='contains failed'):
        mod.contains(Weird(), 1)
    with pytest.raises(TypeError) as e:
        mod.contains(5, 1)
    assert str(e.value) == python_error(operator.contains, 5, 1)


# --- comparisons and hashing -----------------------------------------------------------------

OPS = [operator.lt, operator.le, operator.eq, operator.ne, operator.gt, operator.ge]


def test_richcompare_all_ops(mod):
    assert mod.cmp_ops() == (0, 1, 2, 3, 4, 5)
    pairs = [(1, 2), (2, 2), (3, 2), ('a', 'b'), (2.5, 2), ((1, 2), (1, 3)), (None, None)]
    for a, b in pairs:
        for op_id, op in enumerate(OPS):
            if a is None and op_id not in (2, 3):
                continue
            assert mod.richcompare(a, b, op_id) is op(a, b), (a, b, op)
            assert mod.richcomparebool(a, b, op_id) == int(op(a, b)), (a, b, op)


def test_richcompare_non_bool_results_and_errors(mod):
    class R:
        def __lt__(self, other):
            return 'yes'

        def __eq__(self, other):
            return ''

        def __gt__(self, other):
            raise ValueError('gt failed')
        __hash__ = None
    r = R()
    assert mod.richcompare(r, 1, 0) == 'yes'
    assert mod.richcomparebool(r, 1, 0) == 1
    assert mod.richcompare(r, 1, 2) == ''
    assert mod.richcomparebool(r, 1, 2) == 0
    # RichCompareBool: identity implies equality for EQ/NE
    assert mod.richcomparebool(r, r, 2) == 1
    assert mod.richcomparebool(r, r, 3) == 0
    nan = float('nan')
    assert mod.richcompare(nan, nan, 2) is False
    assert mod.richcomparebool(nan, nan, 2) == 1
    with pytest.raises(ValueError, match='gt failed'):
        mod.richcompare(r, 1, 4)
    with pytest.raises(ValueError, match='gt failed'):
        mod.richcomparebool(r, 1, 4)
    with pytest.raises(TypeError) as e:
        mod.richcompare(1, 'a', 0)
    assert str(e.value) == "'<' not supported between instances of 'int' and 'str'"
    with pytest.raises(TypeError) as e:
        mod.richcomparebool(1, 'a', 5)
    assert str(e.value) == "'>=' not supported between instances of 'int' and 'str'"


def test_hash(mod):
    for obj in ('abc', 42, -1, 2**100, (1, 'x'), 1.5, None, frozenset({1})):
        assert mod.hash(obj) == hash(obj)
    assert mod.hash(-1) == -2

    class H:
        def __hash__(self):
            return 12345
    assert mod.hash(H()) == 12345

    class MinusOne:
        def __hash__(self):
            return -1
    assert mod.hash(MinusOne()) == -2 == hash(MinusOne())
    with pytest.raises(TypeError) as e:
        mod.hash([])
    assert str(e.value) == python_error(hash, [])


# --- string conversions ----------------------------------------------------------------------

def test_repr_str_ascii(mod):
    assert mod.repr('é') == "'é'"
    assert mod.str('é') == 'é'
    assert mod.ascii('é') == "'\\xe9'"
    assert mod.repr(42) == '42'
    assert mod.str(42) == '42'
    assert mod.ascii([1, 'ü']) == "[1, '\\xfc']"
    assert mod.repr(b'x') == "b'x'"
    assert mod.str(b'x') == "b'x'"
    s = 'some string'
    assert mod.str(s) is s

    class C:
        def __repr__(self):
            return 'C-repr-€'

        def __str__(self):
            return 'C-str'
    assert mod.repr(C()) == 'C-repr-€'
    assert mod.str(C()) == 'C-str'
    assert mod.ascii(C()) == 'C-repr-\\u20ac'

    class Bad:
        def __repr__(self):
            raise ValueError('repr failed')

        def __str__(self):
            return 42
    with pytest.raises(ValueError, match='repr failed'):
        mod.repr(Bad())
    with pytest.raises(ValueError, match='repr failed'):
        mod.ascii(Bad())
    with pytest.raises(TypeError) as e:
        mod.str(Bad())
    assert str(e.value) == python_error(str, Bad())


def test_bytes(mod):
    b = b'already bytes'
    assert mod.bytes(b) is b
    assert mod.bytes(bytearray(b'ab')) == b'ab'
    assert type(mod.bytes(bytearray(b'ab'))) is bytes
    assert mod.bytes([1, 2, 255]) == b'\x01\x02\xff'
    assert mod.bytes(memoryview(b'xyz')) == b'xyz'

    class B:
        def __bytes__(self):
            return b'from dunder'
    assert mod.bytes(B()) == b'from dunder'
    with pytest.raises(TypeError) as e:
        mod.bytes('text')
    assert str(e.value) == "cannot convert 'str' object to bytes"
    with pytest.raises(TypeError) as e:
        mod.bytes(3.5)
    assert str(e.value) == "cannot convert 'float' object to bytes"


# --- types -----------------------------------------------------------------------------------

class Meta(type):
    def __instancecheck__(cls, inst):
        return True

    def __subclasscheck__(cls, sub):
        return True


class Liar(metaclass=Meta):
    pass


def test_type_typecheck_is(mod):
    assert mod.type(5) is int
    assert mod.type(Plain()) is Plain
    assert mod.type(int) is type
    assert mod.type(Liar) is Meta
    assert refcount_stable(Plain, lambda: mod.type(Plain()))
    assert mod.typecheck(True, int) == 1
    assert mod.typecheck(True, bool) == 1
    assert mod.typecheck(1, bool) == 0
    assert mod.typecheck(1, str) == 0
    assert mod.typecheck(Plain(), object) == 1
    assert mod.typecheck(collections.OrderedDict(), dict) == 1
    # no __instancecheck__: only the real type hierarchy counts
    assert isinstance(5, Liar)
    assert mod.typecheck(5, Liar) == 0
    assert mod.typecheck(Liar(), Liar) == 1
    a = object()
    assert mod.is_(a, a) == 1
    assert mod.is_(a, object()) == 0
    assert mod.is_(None, None) == 1
    assert mod.is_([], []) == 0


def test_issubtype(mod):
    assert mod.issubtype(bool, int) == 1
    assert mod.issubtype(int, bool) == 0
    assert mod.issubtype(int, int) == 1
    assert mod.issubtype(Plain, object) == 1
    assert mod.issubtype(KeyError, LookupError) == 1
    assert mod.issubtype(KeyError, ValueError) == 0
    # no __subclasscheck__
    assert issubclass(int, Liar)
    assert mod.issubtype(int, Liar) == 0
    assert mod.issubtype(Liar, Liar) == 1


def test_type_getname(mod):
    assert mod.type_getname(int) == 'int'
    assert mod.type_getname(type) == 'type'
    # static types: the part of tp_name after the last dot
    assert collections.OrderedDict.__module__ == 'collections'
    assert mod.type_getname(collections.OrderedDict) == 'OrderedDict'
    assert mod.type_getname(types.SimpleNamespace) == 'SimpleNamespace'
    assert mod.type_getname(io.BytesIO) == 'BytesIO'
    assert mod.type_getname(type(sys.flags)) == type(sys.flags).__name__   # 'flags' on CPython
    # heap types: __name__ (ht_name), dots included, renames visible
    assert mod.type_getname(Plain) == 'Plain'

    class Outer:
        class Inner:
            pass
    assert mod.type_getname(Outer.Inner) == 'Inner'
    dotted = type('a.b.Dotted', (), {})
    assert mod.type_getname(dotted) == 'a.b.Dotted'

    class Renamed:
        pass
    Renamed.__name__ = 'NewNäme'
    assert mod.type_getname(Renamed) == 'NewNäme'


def test_length_istrue_checks(mod):
    assert mod.length([1, 2, 3]) == 3
    assert mod.length({}) == 0
    assert mod.length('héllo') == 5
    assert mod.length(range(7)) == 7
    with pytest.raises(TypeError) as e:
        mod.length(5)
    assert str(e.value) == "object of type 'int' has no len()"

    class L:
        def __len__(self):
            return -1
    with pytest.raises(ValueError) as e:
        mod.length(L())
    assert str(e.value) == '__len__() should return >= 0'

    for obj, expected in [(0, 0), (1, 1), ([], 0), ([0], 1), ('', 0), (None, 0), (0.0, 0),
                          (Plain(), 1)]:
        assert mod.istrue(obj) == expected, obj

    class BadBool:
        def __bool__(self):
            return 1

    class RaisingBool:
        def __bool__(self):
            raise ZeroDivisionError('no truth')
    with pytest.raises(TypeError) as e:
        mod.istrue(BadBool())
    assert str(e.value) == python_error(bool, BadBool())
    with pytest.raises(ZeroDivisionError, match='no truth'):
        mod.istrue(RaisingBool())

    for obj, expected in [(len, 1), (int, 1), (lambda: 0, 1), (Plain().__init__, 1),
                          (5, 0), ('x', 0), (Plain(), 0)]:
        assert mod.callable_check(obj) == expected, obj

    class Idx:
        def __index__(self):
            return 1
    for obj, expected in [(5, 1), (1.5, 1), (True, 1), (1j, 1), (Idx(), 1), ('1', 0),
                          ([], 0), (None, 0)]:
        assert mod.number_check(obj) == expected, obj


# --- iteration -------------------------------------------------------------------------------

def test_iteration(mod):
    assert mod.drain([1, 2, 3]) == [1, 2, 3]
    assert mod.drain('ab') == ['a', 'b']
    assert mod.drain(x * x for x in range(4)) == [0, 1, 4, 9]
    assert mod.drain({}) == []

    def failing():
        yield 1
        raise KeyError('mid-iteration')
    with pytest.raises(KeyError, match='mid-iteration'):
        mod.drain(failing())
    with pytest.raises(TypeError) as e:
        mod.getiter(5)
    assert str(e.value) == "'int' object is not iterable"

    it = mod.getiter([10, 20])
    assert type(it).__name__ == 'list_iterator'
    assert mod.iter_check(it) == 1
    assert mod.iter_check([]) == 0
    assert mod.iter_check(5) == 0
    assert mod.iter_next(it) == 10
    assert mod.iter_next(it) == 20
    assert mod.iter_next(it) is ...       # exhausted: HPy_NULL without an exception
    assert mod.iter_next(it) is ...

    class NextOnly:
        def __next__(self):
            raise StopIteration
    assert mod.iter_check(NextOnly()) == 1
    it2 = iter([])
    assert mod.getiter(it2) is it2        # an iterator is its own iterator

    class StopsWithError:
        def __iter__(self):
            return self

        def __next__(self):
            raise StopIteration('done')  # StopIteration is swallowed by Iter_Next
    assert mod.iter_next(StopsWithError()) is ...
    assert mod.drain(StopsWithError()) == []

    value = object()
    lst = [value] * 3
    assert refcount_stable(value, lambda: mod.drain(lst))


# --- compile and eval ------------------------------------------------------------------------

def test_compile_and_eval(mod, capsys):
    EXPR, FILE, SINGLE = mod.source_kinds()
    assert (EXPR, FILE, SINGLE) == (0, 1, 2)
    code = mod.compile('1 + 2', '<my-expr>', EXPR)
    assert isinstance(code, types.CodeType)
    assert code.co_filename == '<my-expr>'
    assert mod.evalcode(code, {}, {}) == 3

    code = mod.compile('a * b', 'f.py', EXPR)
    assert mod.evalcode(code, {'a': 6}, {'b': 7}) == 42   # locals shadow globals
    assert mod.evalcode(code, {'a': 2, 'b': 5}, {}) == 10

    g = {}
    code = mod.compile('x = 5\ny = x * 2\ndef f():\n    return y\n', 'mod.py', FILE)
    assert mod.evalcode(code, g, g) is None
    assert g['y'] == 10
    assert g['f']() == 10

    code = mod.compile('6 * 7', '<single>', SINGLE)
    capsys.readouterr()
    assert mod.evalcode(code, {}, {}) is None
    assert capsys.readouterr().out == '42\n'    # the interactive mode prints the value

    with pytest.raises(SyntaxError) as e:
        mod.compile('1 +', 'broken.py', EXPR)
    assert e.value.filename == 'broken.py'
    with pytest.raises(SyntaxError):
        mod.compile('x = 1', '<expr>', EXPR)      # a statement is not an expression
    with pytest.raises(SystemError) as e:
        mod.compile('1', '<kind>', 3)
    assert str(e.value) == 'invalid source kind'

    code = mod.compile('undefined_name_xyz', '<n>', EXPR)
    with pytest.raises(NameError) as e:
        mod.evalcode(code, {}, {})
    assert str(e.value) == "name 'undefined_name_xyz' is not defined"
    code = mod.compile('1 / 0', '<z>', EXPR)
    with pytest.raises(ZeroDivisionError):
        mod.evalcode(code, {}, {})


# --- _HPy_Dump -------------------------------------------------------------------------------

def test_dump(mod, capfd):
    capfd.readouterr()
    assert mod.dump(1234567) is None
    err = capfd.readouterr().err
    assert '1234567' in err
    assert 'int' in err

    class Dumped:
        def __repr__(self):
            return '<a Dumped instance>'
    mod.dump(Dumped())
    err = capfd.readouterr().err
    assert '<a Dumped instance>' in err
