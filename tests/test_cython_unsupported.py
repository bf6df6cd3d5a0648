"""A construct hpy.cython does not support is a compile-time error naming the .pyx file, line,
column and the construct: never a C compiler error, a traceback or a fall back to the C API."""
import pytest

from hpy.cython import CythonHPyError, compile_pyx
from hpy.cython.gen import dispatch

CASES = [
    # (category, source, line, column, message)
    ('generator', 'def f():\n    x = 1\n    yield x\n', 3, 4,
     'generators are not supported yet'),
    ('generator expression', 'def f(x):\n    return sum(i for i in x)\n', 2, 15,
     'generators are not supported yet'),
    ('lambda', 'def f():\n    return lambda: 1\n', 2, 11,
     'closures and lambdas are not supported yet'),
    ('closure', 'def f(a):\n    def g():\n        return a\n    return g\n', 2, 4,
     'closures and lambdas are not supported yet'),
    ('async', 'async def f():\n    pass\n', 1, 6, 'async functions are not supported yet'),
    ('try/finally', 'def f():\n    try:\n        pass\n    finally:\n        pass\n', 2, 4,
     'try/finally is not supported yet'),
    ('except as', 'def f():\n    try:\n        pass\n    except ValueError as e:\n'
     '        pass\n', 4, 4, "'except ... as name' is not supported yet"),
    ('with', 'def f(m):\n    with m:\n        pass\n', 2, 9,
     "'with' statements are not supported yet"),
    ('class', 'x = 1\nclass A:\n    pass\n', 2, 0,
     'Python classes (class statements) are not supported yet'),
    ('property', 'cdef class A:\n    property x:\n        def __get__(self):\n'
     '            return 1\n', 2, 4, 'properties of cdef classes are not supported yet'),
    ('decorated property', 'cdef class A:\n    @property\n    def x(self):\n'
     '        return 1\n', 2, 4, 'properties of cdef classes are not supported yet'),
    ('__dealloc__ with objects', 'cdef class A:\n    cdef object o\n'
     '    def __dealloc__(self):\n        print(self.o)\n', 3, 4,
     '__dealloc__ that uses Python objects is not supported yet (tp_destroy runs without a '
     'context: only C fields and C variables)'),
    ('buffer special method', 'cdef class A:\n    def __getbuffer__(self, Py_buffer *b, '
     'int flags):\n        pass\n', 2, 4,
     "the special method '__getbuffer__' of cdef classes is not supported yet"),
    ('unsupported special method', 'cdef class A:\n    def __getitem__(self, i):\n'
     '        return i\n', 2, 4,
     "the special method '__getitem__' of cdef classes is not supported yet"),
    ('pickling', '# cython: auto_pickle=True\ncdef class A:\n    cdef int x\n', 2, 0,
     'pickling of cdef classes is not supported yet'),
    ('class attribute', 'cdef class A:\n    x = 1\n', 2, 4,
     'class attributes of cdef classes are not supported yet'),
    ('__cinit__ with arguments', 'cdef class A:\n    def __cinit__(self, x):\n'
     '        pass\n', 2, 4, '__cinit__ with arguments is not supported yet'),
    ('cdef method override', 'cdef class A:\n    cdef int f(self):\n        return 1\n'
     'cdef class B(A):\n    cdef int f(self):\n        return 2\n', 5, 4,
     "cdef methods overriding a base class's cdef method are not supported yet"),
    ('from import', 'from os import path\n', 1, 0, "'from ... import' is not supported yet"),
    ('dotted import', 'import os.path\n', 1, 7,
     "this form of import is not supported yet (only 'import name')"),
    ('comprehension', 'def f(x):\n    return [i for i in x]\n', 2, 11,
     'comprehensions are not supported yet'),
    ('star args', 'def f(*args):\n    pass\n', 1, 0,
     'functions with *args or **kwargs are not supported yet'),
    ('f-string', "def f(x):\n    return f'{x}'\n", 2, 13, 'f-strings are not supported yet'),
    ('del', 'def f(x):\n    del x\n', 2, 4, "'del' statements are not supported yet"),
    ('C API name', 'cdef extern from "Python.h":\n    int Py_IsInitialized()\n'
     'def f():\n    return Py_IsInitialized()\n', 4, 27,
     "'Py_IsInitialized' belongs to the C API (Python.h), which HPy code cannot use"),
    ('C API verbatim block', 'cdef extern from "Python.h":\n    """\n'
     '    #define my_size(o) Py_SIZE(o)\n    """\n    Py_ssize_t my_size(object)\n'
     'def f(x):\n    return my_size(x)\n', 7, 18,
     "'my_size' belongs to the C API (Python.h), which HPy code cannot use"),
    ('complex C function', 'cdef extern from "<complex.h>":\n    double creal(double complex)\n'
     'def f(double complex z):\n    return creal(z)\n', 4, 16,
     "C functions taking or returning complex numbers ('creal') are not supported yet"),
    ('non-literal cdef default', 'K = 3\ncdef int g(int a, int b=K * 2):\n    return a + b\n',
     2, 26, 'default values of cdef function arguments must be literals for now'),
    ('any other node', 'def f(x):\n    return x[1:2]\n', 2, 12,
     'slice index expression (SliceIndexNode) is not supported yet'),
]


@pytest.mark.parametrize('category,source,line,col,message', CASES,
                         ids=[c[0] for c in CASES])
def test_unsupported(tmp_path, category, source, line, col, message):
    pyx = tmp_path / 'fast.pyx'
    pyx.write_text(source)
    out = tmp_path / 'fast.c'
    with pytest.raises(CythonHPyError) as info:
        compile_pyx(str(pyx), output=str(out))
    assert str(info.value) == 'fast.pyx:%d:%d: %s' % (line, col, message)
    assert not out.exists()


def test_cython_errors_are_reported(tmp_path):
    pyx = tmp_path / 'bad.pyx'
    pyx.write_text('def f(:\n    pass\n')
    with pytest.raises(CythonHPyError) as info:
        compile_pyx(str(pyx))
    assert "bad.pyx:1:6: Expected ')', found ':'" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CythonHPyError, match='no such file'):
        compile_pyx(str(tmp_path / 'nothere.pyx'))


@pytest.mark.parametrize('class_name,expected', [
    ('ForInStatNode', 'for-in statement'),
    ('SliceIndexNode', 'slice index expression'),
    ('PyClassDefNode', 'Python class definition'),
    ('BackquoteNode', 'backquote expression'),
])
def test_readable_construct_names(class_name, expected):
    assert dispatch.readable(class_name) == expected


def test_category_messages_say_not_supported_yet():
    messages = [m for _, m in dispatch.CATEGORIES]
    assert all(m.endswith('not supported yet') for m in messages)
