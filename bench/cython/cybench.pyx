# cython: language_level=3
"""The benchmark module of bench/cython_bench.py: one source, compiled by stock Cython (C API)
and by hpy.cython (cpython and universal ABIs). Each function does a fixed amount of work per
call, so a timing measures the generated C, not the call from Python."""


def numeric(int n):
    """Sum over i < n of a polynomial in C doubles, with C int arithmetic in the loop."""
    cdef int i
    cdef long acc = 0
    cdef double x, total = 0.0
    for i from 0 <= i < n:
        acc += (i * 7) % 13
        x = i * 0.5
        total += x * x - 3.0 * x + acc
    return total


cdef int c_step(int a, int b):
    return a * 3 + b


def call_cdef(int n):
    """n calls of a small cdef function."""
    cdef int i
    cdef int acc = 0
    for i from 0 <= i < n:
        acc = c_step(acc, i) % 1000003
    return acc


def py_step(a, b):
    return a + b


def call_def(int n):
    """n calls of a small def function of this module, by name, with object arguments."""
    cdef int i
    total = 0
    for i from 0 <= i < n:
        total = py_step(total, i)
    return total


def add_ints(int a, int b):
    """A small def with C int arguments: the cost of one call from Python."""
    return a + b


def object_loop(n):
    """Object arithmetic: the loop variable and the total are Python ints."""
    total = 0
    for i in range(n):
        total = total + i * 2
    return total


cdef class Point:
    """A small object with C fields, as real code keeps them."""
    cdef public double x, y

    def __init__(self, double x, double y):
        self.x = x
        self.y = y

    def __add__(self, other):
        if isinstance(other, Point):
            return Point(self.x + (<Point>other).x, self.y + (<Point>other).y)
        return NotImplemented


def point_sum(int n):
    """n additions of cdef class instances: a new object each time, through the number slot."""
    cdef int i
    cdef Point p = Point(0.0, 0.0)
    cdef Point step = Point(1.0, 0.5)
    for i from 0 <= i < n:
        p = p + step
    return p.x + p.y


def point_fields(int n):
    """n reads of C fields through a typed variable."""
    cdef int i
    cdef Point p = Point(1.5, 2.0)
    cdef double acc = 0.0
    for i from 0 <= i < n:
        acc += p.x * p.y + i
    return acc
