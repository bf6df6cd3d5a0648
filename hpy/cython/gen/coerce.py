"""Conversions between C values and objects, with Cython's semantics and error messages."""
from . import ctypes
from .state import Value


def to_object(fn, value, node=None):
    """An owned object from the C value `value`."""
    from Cython.Compiler import PyrexTypes
    t = ctypes.strip_const(value.type)
    code = value.code
    if ctypes.is_bint(t):
        make = 'HPyBool_FromBool(ctx, (%s) != 0)' % code
    elif ctypes.is_int(t) or ctypes.is_enum(t):
        name = ctypes.spell(t)
        if name == 'size_t':
            make = 'HPyLong_FromSize_t(ctx, %s)' % code
        elif name in ('HPy_ssize_t', 'HPy_hash_t'):
            make = 'HPyLong_FromSsize_t(ctx, %s)' % code
        elif ctypes.is_signed(t):
            make = 'HPyLong_FromInt64_t(ctx, (int64_t)(%s))' % code
        else:
            make = 'HPyLong_FromUInt64_t(ctx, (uint64_t)(%s))' % code
    elif ctypes.is_float(t):
        make = 'HPyFloat_FromDouble(ctx, (double)(%s))' % code
    elif ctypes.is_complex(t):
        fn.module.use('FromComplex')
        make = '__hpyx_FromComplex(ctx, %s)' % code
    elif ctypes.is_char_ptr(t):
        make = 'HPyBytes_FromString(ctx, %s)' % code
    else:
        raise fn.unsupported(node, "converting the C type '%s' to a Python object is not "
                                   "supported yet" % value.type)
    result = fn.temp(PyrexTypes.py_object_type)
    fn.line('%s = %s;' % (result, make))
    fn.check_null(result)
    return Value(result, PyrexTypes.py_object_type, owned=True)


def from_object(fn, value, target_type, node=None):
    """The C value of type `target_type` of the object `value` (checked, Cython's errors)."""
    t = ctypes.strip_const(target_type)
    obj = value.code
    if ctypes.is_bint(t):
        base = ctypes.typedef_base(t)
        truth = fn.temp(base)
        fn.line('%s = HPy_IsTrue(ctx, %s);' % (truth, obj))
        fn.check_neg(truth)
        if base is t:
            return Value(truth, target_type, owned=True)
        # a typedef of bint (C99 bool): the int result, checked, then converted
        result = fn.temp(t)
        fn.line('%s = (%s)%s;' % (result, ctypes.spell(t), truth))
        fn.free_temp(truth)
        return Value(result, target_type, owned=True)
    if ctypes.is_int(t):
        name = ctypes.spell(t)
        result = fn.temp(t)
        if name in ('HPy_ssize_t', 'HPy_hash_t'):
            fn.module.use('AsSsize')
            fn.line('%s = __hpyx_AsSsize(ctx, %s);' % (result, obj))
            fn.line('if (%s == -1 && HPyErr_Occurred(ctx)) %s' % (result, fn.error_goto()))
            return Value(result, target_type, owned=True)
        lo, hi = ctypes.int_bounds(t)
        if ctypes.is_signed(t):
            fn.module.use('AsSigned')
            wide = fn.temp(_int64())
            fn.line('if (__hpyx_AsSigned(ctx, %s, %s, %s, "%s", &%s) < 0) %s' % (
                obj, lo, hi, ctypes.message_name(t), wide, fn.error_goto()))
        else:
            fn.module.use('AsUnsigned')
            wide = fn.temp(_uint64())
            fn.line('if (__hpyx_AsUnsigned(ctx, %s, %s, "%s", &%s) < 0) %s' % (
                obj, hi, ctypes.message_name(t), wide, fn.error_goto()))
        fn.line('%s = (%s)%s;' % (result, name, wide))
        fn.free_temp(wide)
        return Value(result, target_type, owned=True)
    if ctypes.is_float(t):
        result = fn.temp(t)
        fn.line('%s = (%s)HPyFloat_AsDouble(ctx, %s);' % (result, ctypes.spell(t), obj))
        fn.line('if (%s == -1 && HPyErr_Occurred(ctx)) %s' % (result, fn.error_goto()))
        return Value(result, target_type, owned=True)
    if ctypes.is_complex(t):
        fn.module.use('AsComplex')
        result = fn.temp(t)
        fn.line('if (__hpyx_AsComplex(ctx, %s, &%s) < 0) %s' % (obj, result, fn.error_goto()))
        return Value(result, target_type, owned=True)
    if ctypes.is_char_ptr(t):
        # the bytes object must outlive the pointer: Cython has the same rule
        result = fn.temp(t)
        fn.line('%s = (%s)HPyBytes_AsString(ctx, %s);' % (result, ctypes.spell(t), obj))
        fn.line('if (%s == NULL) %s' % (result, fn.error_goto()))
        return Value(result, target_type, owned=True)
    raise fn.unsupported(node, "converting a Python object to the C type '%s' is not "
                               "supported yet" % target_type)


def _int64():
    return _Int64Type()


def _uint64():
    return _UInt64Type()


class _Int64Type:
    """A C type the generator uses for itself (wide intermediate results)."""
    is_int = True
    signed = 1
    rank = 4

    def empty_declaration_code(self):
        return 'int64_t'

    def __str__(self):
        return 'int64_t'


class _UInt64Type(_Int64Type):
    signed = 0

    def empty_declaration_code(self):
        return 'uint64_t'

    def __str__(self):
        return 'uint64_t'


def truth(fn, value):
    """A C int expression: the truth of `value` (an object's truth is checked for errors)."""
    from Cython.Compiler import PyrexTypes
    if ctypes.is_object(value.type):
        result = fn.temp(PyrexTypes.c_bint_type)
        fn.line('%s = HPy_IsTrue(ctx, %s);' % (result, value.code))
        fn.check_neg(result)
        return Value(result, PyrexTypes.c_bint_type, owned=True)
    if ctypes.is_complex(value.type):
        return Value('(%s.real != 0 || %s.imag != 0)' % (value.code, value.code),
                     PyrexTypes.c_bint_type)
    return Value('(%s != 0)' % value.code, PyrexTypes.c_bint_type)
