"""The benchmark module (capi_bench.c, hpy_bench.c) written in pure Python: the baseline of
`make bench-pypy` (bench/pypy.py), where PyPy's JIT compiles it. Function for function the same
results as the C modules; bench/run.py's check_results compares them before timing."""


def noargs():
    return None


def onearg(x):
    return x


def varargs(*args):
    if len(args) != 2:
        raise TypeError('varargs() takes exactly 2 arguments')
    return args[0]


def keywords(*args, **kwargs):
    if len(args) < 1:
        raise TypeError('keywords() takes at least 1 positional argument')
    return next(iter(kwargs.values())) if kwargs else args[0]


def call_tuple(f, t):
    return f(*t)


def call_tuple_dict(f, t, d):
    return f(*t, **d)


def alloc_int():
    return 123456789


def alloc_tuple(a, b):
    return (a, b)


def alloc_tuple_builder(a, b):
    return (a, b)


def length(x):
    return len(x)


def getitem_i(seq):
    return seq[1]


def getitem(obj, key):
    return obj[key]


def getattr_s(obj):
    return obj.attr


def getattr_o(obj, name):
    return getattr(obj, name)


def abi():
    return 'pure Python'


class Point:
    """Two floats and an object reference, with a length of 2 and items x, y."""
    __slots__ = ('x', 'y', 'obj')

    def __init__(self, x, y):
        self.x = float(x)
        self.y = float(y)
        self.obj = None

    def norm2(self):
        return self.x * self.x + self.y * self.y

    def __len__(self):
        return 2

    def __getitem__(self, i):
        if i == 0:
            return self.x
        if i == 1:
            return self.y
        raise IndexError('Point index out of range')

    def swap_obj(self, arg):
        old = self.obj
        self.obj = arg
        return old
