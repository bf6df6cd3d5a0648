"""The C spelling of Cython's types in HPy code, and the facts the generator needs about them."""

# Cython spells some types through CPython's macros; HPy code spells them portably.
_SPELLING = {
    'PY_LONG_LONG': 'long long',
    'unsigned PY_LONG_LONG': 'unsigned long long',
    'Py_ssize_t': 'HPy_ssize_t',
    'Py_hash_t': 'HPy_hash_t',
    'Py_UCS4': 'HPy_UCS4',
}

# Names Cython uses for C types in its messages ("value too large to convert to int").
_MESSAGE_NAME = {
    'PY_LONG_LONG': 'PY_LONG_LONG',
    'unsigned PY_LONG_LONG': 'unsigned PY_LONG_LONG',
}

COMPLEX_TYPEDEF = '__hpyx_complex'


class UnsupportedType(Exception):
    """A Cython type the generator cannot spell in HPy C."""


def is_object(t):
    return bool(getattr(t, 'is_pyobject', False))


def typedef_base(t):
    """The type an (external too) typedef names, through every level of typedef."""
    while getattr(t, 'is_typedef', False):
        t = t.typedef_base_type
    return t


def is_bint(t):
    return type(typedef_base(t)).__name__ == 'CBIntType'


def is_int(t):
    return bool(getattr(t, 'is_int', False)) and not is_bint(t) and not is_enum(t)


def is_enum(t):
    return bool(getattr(t, 'is_enum', False))


def is_float(t):
    return bool(getattr(t, 'is_float', False))


def is_complex(t):
    return bool(getattr(t, 'is_complex', False))


def is_void(t):
    return bool(getattr(t, 'is_void', False))


def is_ptr(t):
    return bool(getattr(t, 'is_ptr', False))


def is_char_ptr(t):
    return is_ptr(t) and strip_const(t.base_type).is_int and \
        strip_const(t.base_type).rank == 0


def strip_const(t):
    while getattr(t, 'is_const', False) or getattr(t, 'is_cv_qualified', False):
        t = t.const_base_type if hasattr(t, 'const_base_type') else t.cv_base_type
    while getattr(t, 'is_typedef', False) and not getattr(t, 'typedef_is_external', False):
        t = t.typedef_base_type
    return t


def numeric_name(t):
    """Cython's declaration of a numeric type ('int', 'PY_LONG_LONG', ...)."""
    return strip_const(t).empty_declaration_code()


def message_name(t):
    name = numeric_name(t)
    return _MESSAGE_NAME.get(name, name)


def spell(t, name=''):
    """C declaration of `name` with type `t` (the bare type when `name` is empty)."""
    sep = ' ' if name else ''
    if is_object(t):
        return 'HPy' + sep + name
    if getattr(t, 'is_const', False) or getattr(t, 'is_cv_qualified', False):
        base = t.const_base_type if hasattr(t, 'const_base_type') else t.cv_base_type
        if is_object(base):
            return spell(base, name)
        return 'const ' + spell(base, name)
    if getattr(t, 'is_typedef', False):
        if getattr(t, 'typedef_is_external', False):
            return t.typedef_cname + sep + name
        return spell(t.typedef_base_type, name)
    if is_bint(t):
        return 'int' + sep + name
    if is_int(t) or is_float(t):
        decl = t.empty_declaration_code()
        return _SPELLING.get(decl, decl) + sep + name
    if is_complex(t):
        return COMPLEX_TYPEDEF + sep + name
    if is_void(t):
        return 'void' + sep + name
    if is_ptr(t) and not getattr(t, 'is_cfunction', False):
        return spell(t.base_type, '*' + name)
    raise UnsupportedType(str(t))


def is_supported(t):
    try:
        spell(t)
    except UnsupportedType:
        return False
    return True


def int_bounds(t):
    """(min, max) C expressions of an integer type."""
    t = strip_const(t)
    name = spell(t)
    limits = {
        'char': ('CHAR_MIN', 'CHAR_MAX'), 'signed char': ('SCHAR_MIN', 'SCHAR_MAX'),
        'unsigned char': ('0', 'UCHAR_MAX'), 'short': ('SHRT_MIN', 'SHRT_MAX'),
        'unsigned short': ('0', 'USHRT_MAX'), 'int': ('INT_MIN', 'INT_MAX'),
        'unsigned int': ('0', 'UINT_MAX'), 'long': ('LONG_MIN', 'LONG_MAX'),
        'unsigned long': ('0', 'ULONG_MAX'), 'long long': ('LLONG_MIN', 'LLONG_MAX'),
        'unsigned long long': ('0', 'ULLONG_MAX'), 'size_t': ('0', 'SIZE_MAX'),
        'HPy_ssize_t': ('HPY_SSIZE_T_MIN', 'HPY_SSIZE_T_MAX'),
        'HPy_hash_t': ('HPY_SSIZE_T_MIN', 'HPY_SSIZE_T_MAX'),
    }
    if name in limits:
        return limits[name]
    # any other integer type (int64_t, time_t, ...): its bounds computed by the C compiler
    if not is_signed(t):
        return ('0', '((%s)-1)' % name)
    hi = '((%s)((((%s)1 << (sizeof(%s) * CHAR_BIT - 2)) - 1) * 2 + 1))' % (name, name, name)
    return ('(-%s - 1)' % hi, hi)


def is_signed(t):
    t = strip_const(t)
    return bool(getattr(t, 'signed', 1))
