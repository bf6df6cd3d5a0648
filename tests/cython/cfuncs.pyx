# C-level constructs: C-typed loop bounds, optional arguments of cdef functions, string
# constants that UTF-8 C strings cannot hold, and the C API's size constants.

from libc.stdint cimport int8_t, uint8_t, int64_t, uint32_t
cdef extern from "<stdbool.h>":
    ctypedef bint cbool "bool"

cdef extern from *:
    Py_ssize_t PY_SSIZE_T_MAX
    Py_ssize_t PY_SSIZE_T_MIN


def sum_below(int n):
    cdef int i, s = 0
    for i in range(n):
        s += i
    return s


def sum_range(long start, long stop, long step):
    cdef long i, s = 0
    for i in range(start, stop, step):
        s += i
    return s


def sum_object_bound(n):
    cdef long i, s = 0
    for i in range(n):
        s += i
    return s


cdef int scaled(int a, int b=3, double c=1.5):
    return a * b + <int>c


cdef object packed(x, y=None, z="z"):
    return (x, y, z)


def call_defaults(int a):
    return scaled(a), scaled(a, 2), scaled(a, 2, 4.0)


def call_object_defaults(x):
    return packed(x), packed(x, 1), packed(x, 1, 2)


def odd_strings():
    return "nul\0inside", u"lone \ud800 surrogate", b"bytes\0nul", "\0"


def ssize_limits():
    return PY_SSIZE_T_MAX, PY_SSIZE_T_MIN


def f_int8(int8_t a): return a
def f_uint8(uint8_t a): return a
def f_int64(int64_t a): return a
def f_uint32(uint32_t a): return a
def f_cbool(cbool a): return a


cdef extern from *:
    """
    static long cfuncs_square(long x) { return x * x; }
    """
    long cfuncs_square(long)


def square(long x):
    return cfuncs_square(x)


cdef class Reserved:
    """Fields spelled like C keywords."""
    cdef readonly int default
    cdef public object register
    cdef readonly bint flag
    cdef public bint switch

    def __init__(self):
        self.default = 7
        self.register = 'r'
        self.flag = 5


cimport cython

@cython.internal
cdef class Hidden:
    cdef int n


def make_hidden():
    h = Hidden()
    h.n = 3
    return isinstance(h, Hidden), h.n


cdef class Weak:
    """Instances accept weak references."""
    cdef object __weakref__
    cdef public object payload


cdef class WeakChild(Weak):
    cdef public int extra
