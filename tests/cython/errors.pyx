# Error paths: every handle the function holds when the error happens must be closed.
cimport cython

def raise_in_loop(seq, stop):
    total = 0
    for item in seq:
        total = total + item
        if item == stop:
            raise ValueError("stop at %d" % item)
    return total

def bind_missing():
    global missing_name
    missing_name = 0   # declared for Cython, bound only if called

def fail_in_call(a, b):
    x = (a, b, [a, b])
    return len(x) + missing_name

cdef int checked(int x) except -1:
    if x < 0:
        raise ValueError("negative")
    return x * 2

def call_checked(a):
    cdef int y = checked(a)
    return y + 1

cdef object obj_fail(o):
    return o.no_such_attribute

def call_obj_fail(o):
    t = (o, o)
    return obj_fail(t)

def and_or(a, b, c):
    return (a and b) or c

def while_loop(int n):
    cdef int i = 0
    cdef long s = 0
    while i < n:
        s += i
        i += 1
        if s > 1000:
            break
    else:
        s = -s
    return s

def compare_chain(a, b, c):
    return a < b < c

def division(int a, int b):
    return a // b, a % b

def cdivision_float(double a, double b):
    return a / b

@cython.overflowcheck(True)
def overflow_add(int a, int b):
    with_check = a + b
    return with_check

def try_except(x):
    try:
        return int(x)
    except (ValueError, TypeError):
        return -1

def assert_positive(x):
    assert x > 0, "not positive"
    return x

def unbound(flag):
    if flag:
        y = object()
    return y

def index(seq, i):
    return seq[i]
