"""cdef classes: C and object fields, public/readonly attributes, arithmetic special methods,
__repr__/__str__, comparisons, methods, inheritance, instantiation from Python and from Cython,
type tests, and a reference cycle the garbage collector frees."""

cdef int live_nodes = 0


cdef class Vec:
    """A 2-d vector."""
    cdef double x, y
    cdef public int hits
    cdef readonly long serial
    cdef public object tag
    cdef readonly object history
    cdef object hidden

    def __init__(self, double x, double y, tag=None):
        self.x = x
        self.y = y
        self.tag = tag
        self.history = [x, y]
        self.serial = 7

    def coords(self):
        self.hits += 1
        return (self.x, self.y)

    cdef double dot(self, Vec other):
        return self.x * other.x + self.y * other.y

    def dot_with(self, Vec other):
        return self.dot(other)

    def __add__(self, other):
        if isinstance(other, Vec):
            return Vec(self.x + (<Vec>other).x, self.y + (<Vec>other).y)
        return NotImplemented

    def __radd__(self, other):
        if other == 0:
            return self
        return NotImplemented

    def __sub__(Vec self, Vec other):
        return Vec(self.x - other.x, self.y - other.y)

    def __mul__(self, k):
        return Vec(self.x * k, self.y * k)

    def __neg__(self):
        return Vec(-self.x, -self.y)

    def __eq__(self, other):
        if not isinstance(other, Vec):
            return NotImplemented
        return self.x == (<Vec>other).x and self.y == (<Vec>other).y

    def __repr__(self):
        return 'Vec(' + repr(self.x) + ', ' + repr(self.y) + ')'

    def __str__(self):
        return '<' + str(self.x) + ', ' + str(self.y) + '>'

    def set_hidden(self, value):
        self.hidden = value

    def get_hidden(self):
        return self.hidden


cdef class Vec3(Vec):
    cdef public double z

    def __init__(self, double x, double y, double z):
        Vec.__init__(self, x, y)
        self.z = z

    def coords3(self):
        return (self.x, self.y, self.z)


cdef class Counter:
    cdef int n

    def __cinit__(self):
        self.n = 100

    def value(self):
        return self.n


cdef class Node:
    cdef public object other
    cdef int ident

    def __init__(self, int ident):
        global live_nodes
        self.ident = ident
        live_nodes += 1

    def __dealloc__(self):
        global live_nodes
        live_nodes -= 1


def make(double x, double y):
    cdef Vec v = Vec(x, y, 'made')
    v.hits = 10
    return v


def read_fields(Vec v):
    return (v.x, v.y, v.hits, v.serial, v.tag, v.history)


def write_fields(Vec v, double x, tag):
    v.x = x
    v.tag = tag
    return v.coords()


def typed_assign(obj):
    cdef Vec v = obj
    return v.x if v is not None else None


def field_of_none():
    cdef Vec v = None
    return v.x


def sum_vectors(list vs):
    cdef Vec acc = Vec(0, 0)
    for v in vs:
        acc = acc + v
    return acc


def inherit(double z):
    cdef Vec3 v = Vec3(1, 2, z)
    v.x = 5
    return (v.coords3(), v.dot_with(v), v.z)


def counter_value():
    return Counter().value()


def make_cycle(int n):
    cdef int i = 0
    while i < n:
        a = Node(2 * i)
        b = Node(2 * i + 1)
        a.other = b
        b.other = a
        i += 1


def live():
    return live_nodes
