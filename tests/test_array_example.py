"""examples/array: a typed array (float64, int64, object) written only against hpy.h.

Compiled from its source like any test module, in every ABI of the suite (debug mode included,
where each test also runs under a LeakDetector), plus a build of the example directory itself
through setup.py in the three binary ABIs."""
import gc
import itertools
import os
import shutil
import struct
import subprocess
import sys
import weakref
from decimal import Decimal

import pytest

from support import BINARY_ABI, CPYTHON, C_CYCLES, ONLY_REFCOUNTS, ROOT, refcount, release_views

EXAMPLE = os.path.join(ROOT, 'examples', 'array')
DTYPES = ['float64', 'int64', 'object']


def read_source():
    with open(os.path.join(EXAMPLE, 'hpyarray.c')) as f:
        return f.read()


# One build per ABI for the whole module: the example keeps no global state.
_built = {}


@pytest.fixture
def mod(compile_module, hpy_abi):
    if hpy_abi not in _built:
        _built[hpy_abi] = compile_module(read_source(), name='hpyarray', template=False)
    return _built[hpy_abi]


def test_module(mod, hpy_abi):
    assert mod.abi() == BINARY_ABI[hpy_abi]
    assert mod.Array.__name__ == 'Array'
    assert mod.Array.__module__ == 'hpyarray'
    assert mod.Array.__doc__.startswith('Array(dtype, init)')


@pytest.mark.parametrize('dtype,zero', [('float64', 0.0), ('int64', 0), ('object', None)])
def test_create_by_length(mod, dtype, zero):
    a = mod.Array(dtype, 4)
    assert len(a) == 4
    assert a.dtype == dtype
    assert list(a) == [zero] * 4
    assert all(type(x) is type(zero) for x in a)
    assert len(mod.Array(dtype, 0)) == 0
    b = mod.Array(init=3, dtype=dtype)
    assert len(b) == 3 and b.dtype == dtype


def test_float64_get_set(mod):
    a = mod.Array('float64', [1, 2.5, -3])
    assert list(a) == [1.0, 2.5, -3.0]
    assert type(a[0]) is float
    a[0] = 10                      # ints convert
    a[-1] = 0.25                   # negative index
    assert a[-1] == 0.25 and a[2] == 0.25
    assert a[-3] == 10.0
    a[1] = Decimal('1.5')          # anything with __float__
    assert list(a) == [10.0, 1.5, 0.25]
    assert a.sum() == 11.75
    assert type(a.sum()) is float
    with pytest.raises(TypeError, match='must be real number, not str'):
        a[0] = 'x'
    with pytest.raises(TypeError):
        a[0] = None
    assert a[0] == 10.0            # unchanged after a failed store


def test_int64_get_set(mod):
    a = mod.Array('int64', range(-2, 3))
    assert list(a) == [-2, -1, 0, 1, 2]
    assert type(a[0]) is int
    a[-5] = 2 ** 63 - 1
    a[4] = -2 ** 63
    assert a[0] == 2 ** 63 - 1 and a[-1] == -2 ** 63
    with pytest.raises(OverflowError):
        a[0] = 2 ** 63
    with pytest.raises(TypeError):
        a[0] = 1.5                 # no silent truncation
    assert a[0] == 2 ** 63 - 1
    b = mod.Array('int64', [5, -7, 100])
    assert b.sum() == 98 and type(b.sum()) is int
    with pytest.raises(OverflowError, match='int64 sum overflows'):
        mod.Array('int64', [2 ** 63 - 1, 1]).sum()
    with pytest.raises(OverflowError, match='int64 sum overflows'):
        mod.Array('int64', [-2 ** 63, -1]).sum()


def test_object_get_set(mod):
    x, y = object(), 'spam'
    a = mod.Array('object', [x, y, 3])
    assert a[0] is x and a[1] is y and a[-1] == 3
    a[-2] = a                      # an array may hold itself
    assert a[1] is a
    a[1] = None
    assert list(a) == [x, None, 3]


def test_sum(mod):
    assert mod.Array('float64', 0).sum() == 0.0
    assert mod.Array('int64', 0).sum() == 0
    assert mod.Array('object', 0).sum() == 0
    assert mod.Array('float64', [0.5] * 8).sum() == 4.0
    # an object array sums with HPy_Add starting from 0, like sum()
    assert mod.Array('object', [1, 2, 3.5]).sum() == 6.5
    assert mod.Array('object', [Decimal('0.1')] * 3).sum() == Decimal('0.3')
    assert mod.Array('object', [2 ** 100, 1]).sum() == 2 ** 100 + 1

    class Acc:
        def __init__(self, items):
            self.items = items

        def __radd__(self, other):
            return Acc([other] + self.items)

        def __add__(self, other):
            return Acc(self.items + [other])

    s = mod.Array('object', [Acc(['a']), 'b', 'c']).sum()
    assert s.items == [0, 'a', 'b', 'c']
    with pytest.raises(TypeError):
        mod.Array('object', ['a', 'b']).sum()      # 0 + 'a'
    with pytest.raises(TypeError):
        mod.Array('object', 2).sum()                # elements never set are None


@pytest.mark.parametrize('dtype', DTYPES)
def test_index_errors(mod, dtype):
    a = mod.Array(dtype, 3)
    for i in [3, 4, -4, 2 ** 40, -2 ** 40]:
        with pytest.raises(IndexError, match='array index out of range'):
            a[i]
        with pytest.raises(IndexError, match='array assignment index out of range'):
            a[i] = 1
    if CPYTHON:     # the interpreter turns an index too large for C into IndexError (PyPy:
        with pytest.raises(IndexError):     # OverflowError, before the slot is called)
            a[2 ** 100]
    for key in ['0', 1.0, None, slice(0, 1), (0,)]:
        with pytest.raises(TypeError):
            a[key]
        with pytest.raises(TypeError):
            a[key] = 1
    with pytest.raises(TypeError, match='array elements cannot be deleted'):
        del a[0]
    assert len(a) == 3
    with pytest.raises(IndexError):
        mod.Array(dtype, 0)[0]


def test_constructor_errors(mod):
    A = mod.Array
    with pytest.raises(ValueError, match="unknown dtype 'float32'"):
        A('float32', 3)
    with pytest.raises(ValueError, match='array length must be >= 0'):
        A('float64', -1)
    with pytest.raises(TypeError):
        A(b'float64', 3)
    with pytest.raises(TypeError):
        A('float64')
    with pytest.raises(TypeError):
        A('float64', 3, 4)
    with pytest.raises(TypeError, match='not iterable'):
        A('float64', 1.5)
    with pytest.raises(TypeError):
        A('int64', [1, 'x'])
    with pytest.raises(OverflowError):
        A('int64', [2 ** 64])
    with pytest.raises(MemoryError):
        A('float64', sys.maxsize)

    def failing(exc):
        yield 1
        yield 2
        raise exc

    for dtype in DTYPES:
        with pytest.raises(KeyError):
            A(dtype, failing(KeyError('boom')))


def test_from_iterables(mod):
    A = mod.Array
    assert list(A('float64', (x / 2 for x in range(5)))) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert list(A('int64', iter([7, 8]))) == [7, 8]
    assert list(A('object', {'k': 1})) == ['k']
    assert list(A('object', 'ab')) == ['a', 'b']
    assert len(A('object', [])) == 0 and len(A('float64', ())) == 0
    # an element list longer than the growth steps of the collector
    assert list(A('int64', range(1000))) == list(range(1000))
    assert list(A('object', range(1000))) == list(range(1000))


@pytest.mark.parametrize('dtype,fmt,values', [
    ('float64', 'd', [1.5, -2.0, 1e300, 0.0]),
    ('int64', 'q', [1, -2, 2 ** 63 - 1, -2 ** 63]),
])
def test_memoryview(mod, dtype, fmt, values):
    a = mod.Array(dtype, values)
    release_views()
    assert a.exports == 0
    with memoryview(a) as mv:
        assert mv.format == fmt
        assert mv.itemsize == 8
        assert mv.ndim == 1
        assert mv.shape == (4,)
        assert mv.strides == (8,)
        assert mv.nbytes == 32
        assert not mv.readonly
        assert mv.c_contiguous
        assert mv.obj is a
        assert mv.tolist() == values
        assert a.exports == 1
        mv[1] = values[2]          # the view writes the array's own storage
        assert a[1] == values[2]
        a[0] = values[3]           # and sees what the array writes
        assert mv[0] == values[3]
        with memoryview(a) as mv2:
            assert a.exports == 2
            assert mv2.tolist() == mv.tolist()
    release_views()
    assert a.exports == 0
    expected = [values[3], values[2], values[2], values[3]]
    assert bytes(a) == struct.pack('=4' + fmt, *expected)
    release_views()
    assert a.exports == 0
    assert memoryview(a).cast('B').nbytes == 32
    # the view keeps the array alive
    mv = memoryview(a)
    del a
    gc.collect()
    assert mv.tolist() == expected
    mv.release()
    empty = mod.Array(dtype, 0)
    with memoryview(empty) as mv:
        assert mv.tolist() == [] and mv.shape == (0,) and mv.format == fmt


def test_object_array_has_no_buffer(mod):
    a = mod.Array('object', [1, 2])
    with pytest.raises(BufferError, match='object arrays do not export a buffer'):
        memoryview(a)
    with pytest.raises(BufferError):
        bytes(a)
    release_views()
    assert a.exports == 0


@pytest.mark.runtime_specific(C_CYCLES)
def test_traverse_visits_every_element(mod):
    items = [object() for _ in range(5)]
    a = mod.Array('object', items)
    referents = gc.get_referents(a)
    for x in items:
        assert any(r is x for r in referents)
    assert gc.is_tracked(a)
    a[2] = None
    assert not any(r is items[2] for r in gc.get_referents(a))
    b = mod.Array('float64', 3)
    assert all(not isinstance(r, float) for r in gc.get_referents(b))


class Marker:
    """Something the array holds, whose death a weak reference reports."""


@pytest.mark.runtime_specific(C_CYCLES)
@pytest.mark.parametrize('shape', ['self', 'pair', 'list', 'dict', 'instance'])
def test_cycles_are_collected(mod, shape):
    A = mod.Array
    was_enabled = gc.isenabled()
    gc.disable()                           # nothing but the explicit collect() may free it
    try:
        marker = Marker()
        ref = weakref.ref(marker)
        a = A('object', 3)
        a[1] = marker
        if shape == 'self':
            a[0] = a
        elif shape == 'pair':
            b = A('object', [a])
            a[0] = b
            del b
        elif shape == 'list':
            a[0] = [1, [a]]
        elif shape == 'dict':
            a[2] = {'a': a}
        else:
            holder = Marker()
            holder.array = a
            a[0] = holder
            del holder
        del a, marker
        assert ref() is not None           # only a cycle holds it now
        gc.collect()
        assert ref() is None
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.runtime_specific(C_CYCLES)
def test_finalizer_in_a_cycle_sees_the_elements(mod):
    seen = []

    class WithDel:
        def __del__(self):
            seen.append(list(self.array))

    d = WithDel()
    a = mod.Array('object', [d, 'x', 42])
    d.array = a
    del a, d
    gc.collect()
    assert len(seen) == 1
    assert seen[0][1:] == ['x', 42]


@pytest.mark.runtime_specific(ONLY_REFCOUNTS)
@pytest.mark.parametrize('how', ['set', 'init'])
def test_refcounts_of_stored_objects(mod, how):
    value, other = object(), object()
    base = refcount(value)
    if how == 'set':
        a = mod.Array('object', 10)
        for i in range(10):
            a[i] = value
    else:
        a = mod.Array('object', [value] * 10)
    assert refcount(value) == base + 10
    for _ in range(100):
        a[3] = value                       # overwriting with the same object
        a[-3]                              # loading
    assert refcount(value) == base + 10
    assert list(a) == [value] * 10
    assert refcount(value) == base + 10
    for i in range(10):
        a[i] = other                       # overwriting releases the old element
    assert refcount(value) == base
    assert refcount(other) == base + 10
    a[0] = value
    del a                                  # the deallocator releases every element
    assert refcount(value) == base
    assert refcount(other) == base
    # failed constructions and sums release what they took
    with pytest.raises(TypeError):
        mod.Array('int64', [value])
    with pytest.raises(TypeError):
        mod.Array('object', [1, value]).sum()
    assert refcount(value) == base
    # a collected cycle releases its elements too
    c = mod.Array('object', [value, None])
    c[1] = c
    del c
    gc.collect()
    assert refcount(value) == base


@pytest.mark.runtime_specific(ONLY_REFCOUNTS)
def test_refcount_of_numbers_sum(mod):
    n = 10 ** 20                           # not a cached small int
    base = refcount(n)
    a = mod.Array('object', [n, n, n])
    assert refcount(n) == base + 3
    for _ in range(10):
        assert a.sum() == 3 * n
    assert refcount(n) == base + 3
    del a
    assert refcount(n) == base


# memory and time grow with the number of runs; checks its own reference counts
@pytest.mark.no_refleak_check
def test_large_arrays(mod):
    n = 10 ** 6
    f = mod.Array('float64', range(n))
    assert len(f) == n
    assert f.sum() == float(n * (n - 1) // 2)
    assert f[-1] == n - 1 and f[n // 2] == n // 2
    with memoryview(f) as mv:
        assert mv.shape == (n,) and mv.nbytes == 8 * n
        assert mv[123456] == 123456.0
    i = mod.Array('int64', n)
    i[-1] = 2 ** 40
    assert i.sum() == 2 ** 40
    assert len(bytes(i)) == 8 * n
    del f, i
    value = object()
    base = refcount(value)
    o = mod.Array('object', itertools.repeat(value, n))
    assert refcount(value) == base + n
    o[0] = o
    gc.collect()                           # traverses a million fields; o is still alive
    assert o[1] is value and o[0] is o
    del o
    gc.collect()
    assert refcount(value) == base
    s = mod.Array('object', range(n))
    assert s.sum() == n * (n - 1) // 2


USE = '''
import gc, sys, weakref
import hpyarray
A = hpyarray.Array
a = A('float64', [1.0, 2.5, 4.0])
a[-1] = 0.5
with memoryview(a) as mv:
    assert mv.format == 'd' and mv.tolist() == [1.0, 2.5, 0.5], mv.tolist()
assert a.sum() == 4.0
assert memoryview(A('int64', [1, 2])).format == 'q'
class M: pass
m = M(); r = weakref.ref(m)
o = A('object', [None, m]); o[0] = o
del o, m
gc.collect()
assert r() is None
print(hpyarray.abi(), hpyarray.__file__.rsplit('/', 1)[-1])
'''


@pytest.mark.parametrize('abi', ['cpython', 'universal', 'hybrid'])
def test_setup_py_build(tmp_path, abi):
    """The example directory as a user builds it: setup.py with hpy_ext_modules."""
    from hpy.devel import abitag
    src = tmp_path / 'array'
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns('build', '*.so', '__pycache__'))

    def run(cmd, env=None):
        res = subprocess.run(cmd, cwd=str(src), capture_output=True, text=True, env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    run([sys.executable, 'setup.py', '-q', '--hpy-abi=' + abi, 'build_ext', '--inplace'])
    filename = 'hpyarray' + abitag.get_hpy_ext_suffix(abi)
    assert (src / filename).exists(), os.listdir(src)
    assert run([sys.executable, '-c', USE]).split() == [abi, filename]
    if abi == 'universal':
        env = dict(os.environ, HPY='debug')
        assert run([sys.executable, '-c', USE], env=env).split() == [abi, filename]
