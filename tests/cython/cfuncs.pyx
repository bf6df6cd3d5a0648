# C-level constructs: C-typed loop bounds, optional arguments of cdef functions, string
# constants that UTF-8 C strings cannot hold, and the C API's size constants.

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
