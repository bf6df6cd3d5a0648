"""Our own .pyx tests (tests/cython/): what Cython's acceptance files miss. Results and error
messages are compared with the same file built by stock Cython; in the debug ABIs every test
runs under a LeakDetector (conftest.py), so error paths that forget a handle fail."""
import os
import sys

import pytest

import cython_support as cs
import support

TEST_ABIS = support.ABIS

_modules = {}
_ours = {}


def pyx(name):
    return os.path.join(cs.PYX_DIR, name + '.pyx')


def ours(name, tmp_path, abi):
    """Built once per test session and ABI (the tests only call its functions)."""
    if (name, abi) not in _ours:
        _ours[name, abi] = cs.build_hpy(pyx(name), tmp_path, abi, name)[2]
    return _ours[name, abi]


def reference(name):
    if name not in _modules:
        _modules[name] = cs.build_reference(pyx(name), name)
    return _modules[name]


_PLAIN = (int, float, str, bytes, tuple, bool, type(None))


def outcome(func, *args, **kwargs):
    try:
        r = func(*args, **kwargs)
    except Exception as e:
        return ('raised', type(e).__name__, str(e))
    return ('ok', type(r).__name__, r if isinstance(r, _PLAIN) else None)


def compare(name, tmp_path, abi, calls):
    mine, ref = ours(name, tmp_path, abi), reference(name)
    for fname, args, kwargs in calls:
        got = outcome(getattr(mine, fname), *args, **kwargs)
        expected = outcome(getattr(ref, fname), *args, **kwargs)
        assert got == expected, (fname, args, kwargs)


def test_add(tmp_path, hpy_abi):
    mod = ours('add', tmp_path, hpy_abi)
    assert mod.add(2, 3) == 5
    assert mod.add(-7, 3) == -4
    assert mod.add.__doc__ == 'add(a, b) -> a + b'
    assert mod.__doc__ == 'The smallest module: an add of two ints (the hpy_basic of ' \
                          "HPy's Cython design)."
    assert mod.add_objects('a', 'b') == 'ab'
    with pytest.raises(TypeError) as info:
        mod.add('x', 1)
    assert str(info.value) == 'an integer is required'


ERROR_CALLS = [
    ('raise_in_loop', ([1, 2, 3], 2), {}),
    ('raise_in_loop', ([1, 2, 3], 7), {}),
    ('raise_in_loop', ([1, 'x'], 7), {}),
    ('raise_in_loop', (5, 7), {}),
    ('fail_in_call', (1, 2), {}),
    ('call_checked', (3,), {}),
    ('call_checked', (-3,), {}),
    ('call_checked', ('x',), {}),
    ('call_obj_fail', (1,), {}),
    ('and_or', (0, 1, 2), {}),
    ('and_or', (1, 0, 'c'), {}),
    ('and_or', (1, 'b', 'c'), {}),
    ('while_loop', (10,), {}),
    ('while_loop', (100,), {}),
    ('compare_chain', (1, 2, 3), {}),
    ('compare_chain', (1, 3, 2), {}),
    ('compare_chain', (3, 1, 2), {}),
    ('compare_chain', (1, 'x', 2), {}),
    ('division', (7, -2), {}),
    ('division', (-7, 2), {}),
    ('division', (1, 0), {}),
    ('cdivision_float', (1.0, 0.0), {}),
    ('cdivision_float', (1.0, 4.0), {}),
    ('overflow_add', (2**31 - 1, 1), {}),
    ('overflow_add', (1, 2), {}),
    ('try_except', ('12',), {}),
    ('try_except', ('x',), {}),
    ('try_except', (None,), {}),
    ('try_except', ([],), {}),
    ('assert_positive', (1,), {}),
    ('assert_positive', (-1,), {}),
    ('unbound', (1,), {}),
    ('unbound', (0,), {}),
    ('index', ([1, 2, 3], 1), {}),
    ('index', ([1, 2, 3], 5), {}),
    ('index', ({'a': 1}, 'b'), {}),
]


def test_error_paths(tmp_path, hpy_abi):
    compare('errors', tmp_path, hpy_abi, ERROR_CALLS)


_VALUES = ['x', 1.5, -1, 0, 255, 2**31, 2**63, 2**64, -2**63 - 1, None, True, b'ab', 1e300]
_C_FUNCS = ['f_int', 'f_uint', 'f_long', 'f_ulong', 'f_longlong', 'f_ulonglong', 'f_short',
            'f_char', 'f_size_t', 'f_ssize_t', 'f_double', 'f_float', 'f_bint', 'f_bytes']


@pytest.mark.parametrize('func', _C_FUNCS)
def test_c_typed_arguments(tmp_path, hpy_abi, func):
    compare('convert', tmp_path, hpy_abi, [(func, (v,), {}) for v in _VALUES])


ARG_CALLS = [
    ('f_none', (), {}), ('f_none', (1,), {}), ('f_none', (), {'a': 1}),
    ('f_one', (), {}), ('f_one', (1, 2), {}), ('f_one', (), {'a': 3}), ('f_one', (), {'b': 3}),
    ('f_two', (1,), {}), ('f_two', (1, 2, 3), {}), ('f_two', (1,), {'a': 2}),
    ('f_two', (1,), {'b': 2}), ('f_two', (), {'b': 2, 'a': 1}), ('f_two', (1,), {'c': 2}),
    ('f_default', (), {}), ('f_default', (1,), {}), ('f_default', (1, 2, 3, 4), {}),
    ('f_default', (1,), {'c': 'x'}), ('f_default', (), {'b': 1}),
    ('f_kwonly', (1,), {}), ('f_kwonly', (1, 2), {}), ('f_kwonly', (1,), {'k': 5}),
    ('f_kwonly', (1,), {'k': 5, 'm': 6}), ('f_kwonly', (), {'k': 5, 'a': 0}),
]


def test_argument_errors(tmp_path, hpy_abi):
    compare('convert', tmp_path, hpy_abi, ARG_CALLS)


CFUNC_CALLS = [
    ('sum_below', (10,), {}), ('sum_below', (0,), {}), ('sum_below', (-3,), {}),
    ('sum_below', (2**40,), {}), ('sum_below', ('x',), {}),
    ('sum_range', (1, 20, 3), {}), ('sum_range', (20, 1, -4), {}), ('sum_range', (1, 5, 0), {}),
    ('sum_object_bound', (100,), {}), ('sum_object_bound', (None,), {}),
    ('call_defaults', (5,), {}), ('call_object_defaults', ('x',), {}),
    ('odd_strings', (), {}), ('ssize_limits', (), {}), ('square', (-9,), {}),
    ('make_hidden', (), {}),
]


def test_c_level_constructs(tmp_path, hpy_abi):
    compare('cfuncs', tmp_path, hpy_abi, CFUNC_CALLS)
    mod = ours('cfuncs', tmp_path, hpy_abi)
    assert mod.odd_strings()[:2] == ('nul\0inside', 'lone \ud800 surrogate')
    assert mod.ssize_limits() == (sys.maxsize, -sys.maxsize - 1)
    assert mod.call_object_defaults(0) == ((0, None, 'z'), (0, 1, 'z'), (0, 1, 2))
    r = mod.Reserved()
    assert (r.default, r.register) == (7, 'r')
    r.register = 5
    assert r.register == 5
    assert r.flag is True and r.switch is False
    assert not hasattr(mod, 'Hidden') and mod.make_hidden() == (True, 3)
    r.switch = []
    assert r.switch is False
    r.switch = 'x'
    assert r.switch is True


@pytest.mark.parametrize('func', ['f_int8', 'f_uint8', 'f_int64', 'f_uint32', 'f_cbool'])
def test_typedef_arguments(tmp_path, hpy_abi, func):
    compare('cfuncs', tmp_path, hpy_abi, [(func, (v,), {}) for v in _VALUES + [127, 128, -129]])


def test_weak_references(tmp_path, hpy_abi):
    import gc
    import weakref
    mod = ours('cfuncs', tmp_path, hpy_abi)
    for cls in (mod.Weak, mod.WeakChild):
        obj = cls()
        obj.payload = [1, 2]
        ref = weakref.ref(obj)
        assert ref() is obj and ref().payload == [1, 2]
        del obj
        gc.collect()
        assert ref() is None
    with pytest.raises(TypeError, match='cannot create weak reference'):
        weakref.ref(mod.Reserved())
