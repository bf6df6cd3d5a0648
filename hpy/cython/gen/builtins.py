"""Calls of Python builtins that Cython turned into calls of C functions.

Cython replaces e.g. `abs(x)` on a C int with C's abs(), and `len(o)` with a C-API call. The
generator writes the HPy equivalent; a builtin it has no special code for is called as the
Python builtin (looked up once per module), its result converted to the C type Cython chose."""
from . import coerce, ctypes
from .dispatch import unsupported
from .state import Value

_C_ABS = {'abs': 'abs', 'labs': 'labs', '__Pyx_abs_longlong': 'llabs'}
_FLOAT_ABS = {'fabs': 'fabs', 'fabsf': 'fabsf'}
# C-API functions of one or two objects with an HPy function of the same meaning
_OBJECT_FUNCS = {
    '__Pyx_PyNumber_Absolute': ('HPy_Absolute', 1),
    'PyNumber_Absolute': ('HPy_Absolute', 1),
    'PyObject_Repr': ('HPy_Repr', 1),
    'PyObject_Str': ('HPy_Str', 1),
    '__Pyx_PyObject_Str': ('HPy_Str', 1),
    '__Pyx_PyObject_Unicode': ('HPy_Str', 1),
    'PyObject_ASCII': ('HPy_ASCII', 1),
    'PyObject_Type': ('HPy_Type', 1),
    '__Pyx_Type': ('HPy_Type', 1),
    'PyObject_GetIter': ('HPy_GetIter', 1),
    'PyNumber_Index': ('HPy_Index', 1),
    '__Pyx_PyNumber_Index': ('HPy_Index', 1),
    'PyNumber_Long': ('HPy_Long', 1),
    '__Pyx_PyNumber_Long': ('HPy_Long', 1),
    'PyNumber_Float': ('HPy_Float', 1),
    '__Pyx_PyNumber_Float': ('HPy_Float', 1),
    '__Pyx_PyObject_GetAttrStr': ('HPy_GetAttr', 2),
    'PyObject_GetAttr': ('HPy_GetAttr', 2),
    '__Pyx_GetAttr': ('HPy_GetAttr', 2),
    'PyObject_GetItem': ('HPy_GetItem', 2),
    'PyNumber_Divmod': ('HPy_Divmod', 2),
}
_SSIZE_FUNCS = {'PyObject_Length': 'HPy_Length', '__Pyx_PyObject_Length': 'HPy_Length',
                'PyObject_Size': 'HPy_Length', '__Pyx_PyList_GET_SIZE': 'HPy_Length',
                '__Pyx_PyTuple_GET_SIZE': 'HPy_Length', 'PyList_GET_SIZE': 'HPy_Length',
                'PyTuple_GET_SIZE': 'HPy_Length', 'PyUnicode_GET_LENGTH': 'HPy_Length',
                '__Pyx_PyUnicode_GET_LENGTH': 'HPy_Length', 'PyBytes_GET_SIZE': 'HPy_Length',
                '__Pyx_PyBytes_GET_SIZE': 'HPy_Length', 'PyDict_Size': 'HPy_Length',
                'PyObject_Hash': 'HPy_Hash'}


def call_c_builtin(fn, node, ftype):
    """A call of a builtin Cython implements as a C function (entry.is_builtin)."""
    from .exprs import gen, _c_temp
    entry = node.function.entry
    cname = entry.cname
    args = [gen(fn, a) for a in node.args]
    t = node.type
    if cname in _C_ABS or cname in _FLOAT_ABS or cname.startswith('/*abs_') or \
            cname.startswith('__Pyx_c_abs'):
        (a,) = args
        if cname.startswith('/*abs_'):
            return a                     # abs() of an unsigned value is the value
        if cname.startswith('__Pyx_c_abs'):
            result = _c_temp(fn, t, 'hypot(%s.real, %s.imag)' % (a.code, a.code), node)
        elif cname in _FLOAT_ABS:
            result = _c_temp(fn, t, '%s(%s)' % (_FLOAT_ABS[cname], a.code), node)
        else:
            if getattr(node, 'overflowcheck', False) and ctypes.is_signed(t):
                lo = ctypes.int_bounds(a.type)[0]
                fn.module.use('AbsOverflow')
                fn.line('if (%s == %s) { __hpyx_AbsOverflow(ctx); %s }' % (
                    a.code, lo, fn.error_goto()))
            result = _c_temp(fn, t, '%s(%s)' % (_C_ABS[cname], a.code), node)
        fn.release(a)
        return result
    return _call_by_name(fn, node, cname, args)


def capi_call(fn, node, cname):
    """A PythonCapiCallNode: a C-API function Cython chose for a builtin operation."""
    from .exprs import gen
    args = [gen(fn, a) for a in node.args]
    return _call_by_name(fn, node, cname, args)


def _call_by_name(fn, node, cname, args):
    from .exprs import _new_object, _c_temp
    t = node.type
    if cname in _OBJECT_FUNCS and all(ctypes.is_object(a.type) for a in args):
        func, n = _OBJECT_FUNCS[cname]
        if len(args) == n and ctypes.is_object(t):
            result = _new_object(fn, '%s(ctx, %s)' % (func, ', '.join(a.code for a in args)),
                                 node)
            for a in reversed(args):
                fn.release(a)
            return result
    if cname in _SSIZE_FUNCS and len(args) == 1 and ctypes.is_object(args[0].type) and \
            (ctypes.is_int(t)):
        result = _c_temp(fn, t, '%s(ctx, %s)' % (_SSIZE_FUNCS[cname], args[0].code), node)
        fn.line('if (%s == -1 && HPyErr_Occurred(ctx)) %s' % (result.code, fn.error_goto()))
        fn.release(args[0])
        return result
    if cname in ('__Pyx_TypeCheck', '__Pyx_IsSubtype') and len(args) == 2 and \
            all(ctypes.is_object(a.type) for a in args):
        # isinstance() of a cdef class; the type is an object the call does not consume
        func = 'HPy_TypeCheck' if cname == '__Pyx_TypeCheck' else 'HPyType_IsSubtype'
        result = _c_temp(fn, t, '%s(ctx, %s, %s)' % (func, args[0].code, args[1].code), node)
        for a in reversed(args):
            fn.release(a)
        return result
    name = _python_name(node)
    if name is None:
        raise unsupported(node, "the C function '%s' Cython uses here has no HPy equivalent "
                                "yet" % cname)
    # the Python builtin itself, its result converted to the C type Cython expects
    from .exprs import load_constant, call_object
    objects = []
    for a in args:
        if ctypes.is_object(a.type):
            objects.append(a)
        else:
            objects.append(coerce.to_object(fn, a, node))
            fn.release(a)
    func = load_constant(fn, fn.module.builtin(name))
    result = call_object(fn, func, objects, node)
    if ctypes.is_object(t):
        return result
    if ctypes.is_void(t):
        fn.release(result)
        return Value('0', t)
    converted = coerce.from_object(fn, result, t, node)
    fn.release(result)
    return converted


def _python_name(node):
    func = node.function
    entry = getattr(func, 'entry', None)
    name = getattr(entry, 'name', None) or getattr(func, 'name', None)
    if name and getattr(entry, 'is_builtin', True):
        import builtins
        if hasattr(builtins, name):
            return name
    py_name = getattr(node, 'py_name', None)
    if py_name:
        import builtins
        if hasattr(builtins, py_name):
            return py_name
    return None
