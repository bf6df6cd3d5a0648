"""Expressions: each handler writes the C computing a node and returns its Value."""
import re
from . import coerce, ctypes
from .cwriter import c_string
from .dispatch import EXPRESSIONS, expression, unsupported
from .state import Value


def gen(fn, node):
    """The Value of expression `node` (its code is written to fn)."""
    handler = EXPRESSIONS.get(type(node).__name__)
    if handler is None:
        raise unsupported(node)
    value = handler(fn, node)
    fn.bindings[id(node)] = value
    return value


def gen_object(fn, node):
    value = gen(fn, node)
    if not ctypes.is_object(value.type):
        raise unsupported(node, 'a C value where an object is needed (%s)' % value.type)
    return value


def _py():
    from Cython.Compiler import PyrexTypes
    return PyrexTypes.py_object_type


def _bint():
    from Cython.Compiler import PyrexTypes
    return PyrexTypes.c_bint_type


def _new_object(fn, make, node=None):
    """An owned object temp set to `make` (a C expression giving a new handle or HPy_NULL)."""
    t = fn.temp(_py(), node)
    fn.line('%s = %s;' % (t, make))
    fn.check_null(t)
    return Value(t, _py(), owned=True)


def _c_temp(fn, t, code, node=None):
    name = fn.temp(t, node)
    fn.line('%s = %s;' % (name, code))
    return Value(name, t, owned=True)


# -- constants ---------------------------------------------------------------------------

def _int_literal(value, t):
    text = str(value)
    if ctypes.is_object(t):
        return text
    if not ctypes.is_signed(t):
        text += 'U'
    if not -2**31 <= value < 2**31:
        text += 'LL'
    if value < 0:
        text = '(%s)' % text
    return text


def _int_value(node):
    value = getattr(node, 'constant_result', None)
    if isinstance(value, bool) or not isinstance(value, int):
        text = str(node.value).rstrip('lLuU')
        value = int(text, 0)
    return value


def load_constant(fn, cname):
    return _new_object(fn, 'HPyGlobal_Load(ctx, %s)' % cname)


@expression('IntNode')
def int_node(fn, node):
    name = str(node.value)
    if re.match(r'[A-Za-z_]\w*$', name):
        # a C constant Cython put in an integer literal (PY_SSIZE_T_MAX for an open slice)
        if name not in CAPI_CONSTANTS:
            raise unsupported(node, "the C constant '%s' is not supported yet" % name)
        if ctypes.is_object(node.type):
            return _new_object(fn, 'HPyLong_FromSsize_t(ctx, %s)' % CAPI_CONSTANTS[name], node)
        return Value(CAPI_CONSTANTS[name], node.type)
    value = _int_value(node)
    if ctypes.is_object(node.type):
        if -2**63 <= value < 2**63:
            make = 'HPyLong_FromInt64_t(ctx, %sLL)' % value if value != -2**63 else \
                'HPyLong_FromInt64_t(ctx, INT64_MIN)'
        else:
            fn.module.use('IntFromString')
            make = '__hpyx_IntFromString(ctx, "%d")' % value
        cname = fn.module.constant(('int', value), 'i_%s' % str(value).replace('-', 'neg')[:20],
                                   str(value), make)
        return load_constant(fn, cname)
    return Value(_int_literal(value, node.type), node.type)


@expression('FloatNode')
def float_node(fn, node):
    value = float(node.value)
    text = repr(value)
    if text in ('inf', '-inf', 'nan'):
        text = {'inf': 'HUGE_VAL', '-inf': '(-HUGE_VAL)', 'nan': 'NAN'}[text]
    if ctypes.is_object(node.type):
        cname = fn.module.constant(('float', text), 'f_' + text.replace('.', '_').replace(
            '-', 'neg').replace('+', ''), text, 'HPyFloat_FromDouble(ctx, %s)' % text)
        return load_constant(fn, cname)
    return Value(text, node.type)


@expression('BoolNode')
def bool_node(fn, node):
    if ctypes.is_object(node.type):
        return Value('ctx->h_True' if node.value else 'ctx->h_False', _py())
    return Value('1' if node.value else '0', node.type)


@expression('NoneNode')
def none_node(fn, node):
    return Value('ctx->h_None', _py())


@expression('NullNode')
def null_node(fn, node):
    return Value('NULL', node.type)


@expression('UnicodeNode', 'StringNode', 'IdentifierStringNode')
def str_node(fn, node):
    if not ctypes.is_object(node.type):
        if ctypes.is_char_ptr(node.type):
            return Value(c_string(str(node.value)), node.type)
        raise unsupported(node, 'string literals of C type %s are not supported yet' % node.type)
    return load_constant(fn, fn.module.str_constant(str(node.value)))


@expression('BytesNode')
def bytes_node(fn, node):
    data = bytes(node.value)
    if ctypes.is_char_ptr(node.type):
        return Value(c_string(data), node.type)
    if not ctypes.is_object(node.type):
        raise unsupported(node, 'bytes literals of C type %s are not supported yet' % node.type)
    cname = fn.module.constant(('bytes', data), 'y_' + data.decode('latin-1')[:16],
                               repr(data)[:40], 'HPyBytes_FromStringAndSize(ctx, %s, %d)' % (
                                   c_string(data), len(data)))
    return load_constant(fn, cname)


@expression('TypeofNode')
def typeof_node(fn, node):
    literal = getattr(node, 'literal', None)
    if literal is None:
        raise unsupported(node)
    return gen(fn, literal)


@expression('SizeofTypeNode')
def sizeof_type(fn, node):
    try:
        return Value('sizeof(%s)' % ctypes.spell(node.arg_type), node.type)
    except ctypes.UnsupportedType:
        raise unsupported(node, "sizeof() of the C type '%s' is not supported yet"
                          % node.arg_type)


@expression('SizeofVarNode')
def sizeof_var(fn, node):
    t = node.operand.type
    try:
        return Value('sizeof(%s)' % ctypes.spell(t), node.type)
    except ctypes.UnsupportedType:
        raise unsupported(node, "sizeof() of the C type '%s' is not supported yet" % t)


# -- names -------------------------------------------------------------------------------

def is_module_level(entry):
    return bool(getattr(entry, 'is_pyglobal', False)) and \
        getattr(entry.scope, 'is_module_scope', False)


@expression('NameNode')
def name_node(fn, node):
    entry = node.entry
    if entry is None:
        raise unsupported(node, "the name '%s' could not be resolved" % node.name)
    if id(entry) in fn.module.type_vars:
        # the name of a cdef class used as a value: its type object
        info = fn.module.type_vars[id(entry)]
        return _new_object(fn, 'HPyGlobal_Load(ctx, %s)' % info.type_global, node)
    if getattr(entry, 'is_builtin', False) or (
            getattr(entry.scope, 'is_builtin_scope', False) and ctypes.is_object(entry.type)):
        return load_constant(fn, fn.module.builtin(entry.name))
    if is_module_level(entry):
        fn.module.use('GetGlobal')
        name = fn.module.str_constant(entry.name)
        return _new_object(fn, '__hpyx_GetGlobal(ctx, %s)' % name, node)
    if getattr(entry, 'is_cglobal', False) and entry.visibility == 'extern':
        return Value(extern_name(fn, entry, node), entry.type)
    if getattr(entry, 'is_cglobal', False):
        if ctypes.is_object(entry.type):
            cname = fn.module.object_cglobal(entry)
            return _new_object(fn, 'HPyGlobal_Load(ctx, %s)' % cname, node)
        return Value(fn.module.c_global(entry), entry.type)
    if getattr(entry, 'is_cfunction', False) or getattr(entry.type, 'is_cfunction', False):
        raise unsupported(node, "the C function '%s' used as a value is not supported yet"
                          % entry.name)
    if entry.is_variable or getattr(entry, 'is_arg', False):
        if getattr(entry, 'in_closure', False) or getattr(entry, 'from_closure', False):
            raise unsupported(node, 'closures and lambdas are not supported yet')
        var = fn.local(entry)
        if ctypes.is_object(entry.type) and (getattr(node, 'cf_maybe_null', False)
                                             or getattr(node, 'cf_is_null', False)):
            fn.module.use('UnboundLocal')
            fn.line('if (HPy_IsNull(%s)) { __hpyx_UnboundLocal(ctx, %s); %s }' % (
                var, c_string(entry.name), fn.error_goto()))
        return Value(var, entry.type)
    raise unsupported(node, "the name '%s' (%s) is not supported yet" % (
        entry.name, 'C constant' if entry.is_const else 'declaration'))


# C-API constants an HPy module may use: their HPy spelling
CAPI_CONSTANTS = {'PY_SSIZE_T_MAX': 'HPY_SSIZE_T_MAX', 'PY_SSIZE_T_MIN': 'HPY_SSIZE_T_MIN'}


def _in_capi_block(fn, entry):
    pos = getattr(entry, 'pos', None)
    return bool(pos) and any(pos[0] == f and first <= pos[1] <= last
                             for f, first, last in fn.module.capi_blocks)


def extern_name(fn, entry, node):
    """The C name of an external variable or constant; the C API's own are refused (their
    header, Python.h, is never included), except those HPy has under another name."""
    cname = str(entry.cname)
    if cname in CAPI_CONSTANTS:
        return CAPI_CONSTANTS[cname]
    if re.match(r'_?(Py|PY)[A-Z_]|__Pyx', cname) or _in_capi_block(fn, entry):
        raise unsupported(node, "'%s' belongs to the C API (Python.h), which HPy code cannot "
                                "use" % entry.name)
    return cname


@expression('AttributeNode')
def attribute_node(fn, node):
    from . import classes
    info, path = classes.field_for(fn.module, node)
    if info is not None and not getattr(node, 'is_py_attr', False):
        return _field_value(fn, node, info, path)
    if getattr(node, 'is_py_attr', False) or (ctypes.is_object(node.obj.type)
                                              and ctypes.is_object(node.type)):
        obj = gen_object(fn, node.obj)
        name = fn.module.str_constant(str(node.attribute))
        namev = load_constant(fn, name)
        result = _new_object(fn, 'HPy_GetAttr(ctx, %s, %s)' % (obj.code, namev.code), node)
        fn.release(namev)
        fn.release(obj)
        return result
    if getattr(node, 'entry', None) is not None and getattr(node.entry, 'is_cglobal', False) \
            and node.entry.visibility == 'extern':
        return Value(extern_name(fn, node.entry, node), node.type)
    raise unsupported(node, "attribute access '.%s' on %s is not supported yet"
                      % (node.attribute, node.obj.type))


def _field_value(fn, node, info, path):
    """A C or object attribute of a cdef class read through its struct."""
    from . import classes
    obj = gen_object(fn, node.obj)
    classes.none_check(fn, obj, str(node.attribute), node.obj)
    ref = classes.struct_ref(fn, info, path, obj.code)
    if ctypes.is_object(node.entry.type):
        result = _new_object(fn, 'HPyField_Load(ctx, %s, %s)' % (obj.code, ref), node)
        result.type = node.type
        fn.release(obj)
        return result
    if not obj.owned:
        return Value(ref, node.type)
    result = _c_temp(fn, node.type, ref, node)
    fn.release(obj)
    return result


@expression('PyTypeTestNode')
def type_test(fn, node):
    """An object assigned to a variable of a cdef class type: checked (None passes)."""
    from .classes import class_of_type
    info = class_of_type(fn.module, node.type)
    if info is None:
        raise unsupported(node, "a type test for '%s' is not supported yet" % node.type)
    value = gen_object(fn, node.arg)
    fn.module.use('TypeTest')
    if getattr(node, 'notnone', False):
        raise unsupported(node, "'not None' type tests are not supported yet")
    fn.line('if (__hpyx_TypeTest(ctx, %s, %s, hpyx_class_types, hpyx_class_names) < 0) %s'
            % (value.code, info.type_global, fn.error_goto()))
    return Value(value.code, node.type, value.owned)


@expression('IndexNode')
def index_node(fn, node):
    if not (ctypes.is_object(node.base.type) and ctypes.is_object(node.index.type)):
        raise unsupported(node, 'indexing C values is not supported yet')
    base = gen_object(fn, node.base)
    index = gen_object(fn, node.index)
    result = _new_object(fn, 'HPy_GetItem(ctx, %s, %s)' % (base.code, index.code), node)
    fn.release(index)
    fn.release(base)
    return result


# -- bookkeeping nodes Cython inserts ----------------------------------------------------

@expression('DefaultLiteralArgNode')
def default_literal(fn, node):
    return gen(fn, node.arg)


@expression('ProxyNode')
def proxy_node(fn, node):
    return gen(fn, node.arg)


@expression('CloneNode')
def clone_node(fn, node):
    bound = fn.bindings.get(id(node.arg))
    if bound is None:
        raise unsupported(node, 'an expression Cython shares between two places '
                                '(CloneNode of %s) is not supported here yet'
                          % type(node.arg).__name__)
    return Value(bound.code, node.type if node.type is not None else bound.type)


@expression('ResultRefNode')
def result_ref(fn, node):
    bound = fn.bindings.get(id(node))
    if bound is None:
        expr = getattr(node, 'expression', None)
        if expr is not None and id(expr) in fn.bindings:
            bound = fn.bindings[id(expr)]
        else:
            raise unsupported(node, 'a temporary result Cython refers to (ResultRefNode) is '
                                    'not supported here yet')
    return Value(bound.code, node.type if node.type is not None else bound.type)


@expression('TempNode')
def temp_node(fn, node):
    bound = fn.bindings.get(id(node))
    if bound is None:
        raise unsupported(node, 'a Cython temporary (TempNode) is not supported here yet')
    return Value(bound.code, node.type)


def bind_temp(fn, ref, expression, node):
    """Evaluates `expression` into a temporary that `ref` (a ResultRefNode) stands for."""
    temp = gen(fn, expression)
    if not temp.owned and ctypes.is_object(temp.type):
        temp = fn.owned_object(temp)
    elif not temp.owned:
        temp = _c_temp(fn, temp.type, temp.code, node)
    fn.bindings[id(ref)] = temp
    return temp


@expression('EvalWithTempExprNode')
def eval_with_temp(fn, node):
    temp = bind_temp(fn, node.lazy_temp, node.temp_expression, node)
    result = gen(fn, node.subexpression)
    if not result.owned:
        if ctypes.is_object(result.type):
            result = fn.owned_object(result)
        else:
            result = _c_temp(fn, result.type, result.code, node)
    fn.release(temp)
    return result


@expression('CoerceToTempNode')
def coerce_to_temp(fn, node):
    value = gen(fn, node.arg)
    if value.owned:
        return Value(value.code, node.type, owned=True)
    if ctypes.is_object(node.type):
        return fn.owned_object(Value(value.code, node.type))
    return _c_temp(fn, node.type, value.code, node)


@expression('CoerceToPyTypeNode')
def coerce_to_py(fn, node):
    value = gen(fn, node.arg)
    if ctypes.is_object(value.type):
        return value
    result = coerce.to_object(fn, value, node)
    fn.release(value)
    return result


@expression('CoerceFromPyTypeNode')
def coerce_from_py(fn, node):
    value = gen_object(fn, node.arg)
    result = coerce.from_object(fn, value, node.type, node)
    fn.release(value)
    return result


@expression('CoerceToBooleanNode')
def coerce_to_boolean(fn, node):
    value = gen(fn, node.arg)
    result = coerce.truth(fn, value)
    if result.owned:
        fn.release(value)
        return result
    if value.owned:
        # keep the C truth value before the operand's temporary is reused
        kept = _c_temp(fn, _bint(), result.code, node)
        fn.release(value)
        return kept
    return result


@expression('NoneCheckNode')
def none_check(fn, node):
    value = gen(fn, node.arg)
    fn.line('if (HPy_Is(ctx, %s, ctx->h_None)) { HPyErr_SetString(ctx, ctx->h_%s, %s); %s }'
            % (value.code, node.exception_type_cname.replace('PyExc_', ''),
               c_string(node.exception_message % tuple(node.exception_format_args)),
               fn.error_goto()))
    return value


@expression('TypecastNode')
def typecast(fn, node):
    value = gen(fn, node.operand)
    src, dst = value.type, node.type
    if ctypes.is_object(src) and ctypes.is_object(dst):
        return Value(value.code, dst, value.owned)
    if not ctypes.is_object(src) and not ctypes.is_object(dst):
        try:
            spelled = ctypes.spell(dst)
        except ctypes.UnsupportedType:
            raise unsupported(node, "casts to the C type '%s' are not supported yet" % dst)
        return Value('((%s)%s)' % (spelled, value.code), dst, False) if not value.owned else \
            _c_cast_temp(fn, value, dst, spelled, node)
    raise unsupported(node, "casts between objects and C type '%s' are not supported yet"
                      % (dst if ctypes.is_object(src) else src))


def _c_cast_temp(fn, value, dst, spelled, node):
    result = _c_temp(fn, dst, '(%s)%s' % (spelled, value.code), node)
    fn.release(value)
    return result


# -- operators ---------------------------------------------------------------------------

OBJECT_BINOPS = {
    '+': 'HPy_Add', '-': 'HPy_Subtract', '*': 'HPy_Multiply', '@': 'HPy_MatrixMultiply',
    '/': 'HPy_TrueDivide', '//': 'HPy_FloorDivide', '%': 'HPy_Remainder',
    '<<': 'HPy_Lshift', '>>': 'HPy_Rshift', '&': 'HPy_And', '|': 'HPy_Or', '^': 'HPy_Xor',
}
INPLACE_BINOPS = {
    '+': 'HPy_InPlaceAdd', '-': 'HPy_InPlaceSubtract', '*': 'HPy_InPlaceMultiply',
    '@': 'HPy_InPlaceMatrixMultiply', '/': 'HPy_InPlaceTrueDivide',
    '//': 'HPy_InPlaceFloorDivide', '%': 'HPy_InPlaceRemainder', '<<': 'HPy_InPlaceLshift',
    '>>': 'HPy_InPlaceRshift', '&': 'HPy_InPlaceAnd', '|': 'HPy_InPlaceOr',
    '^': 'HPy_InPlaceXor',
}
_OVERFLOW_BUILTINS = {'+': '__builtin_add_overflow', '-': '__builtin_sub_overflow',
                      '*': '__builtin_mul_overflow'}


def object_binop(fn, op, left, right, node, inplace=False):
    if op == '**':
        func = 'HPy_InPlacePower' if inplace else 'HPy_Power'
        make = '%s(ctx, %s, %s, ctx->h_None)' % (func, left.code, right.code)
    else:
        table = INPLACE_BINOPS if inplace else OBJECT_BINOPS
        if op not in table:
            raise unsupported(node, "the operator '%s' on objects is not supported yet" % op)
        make = '%s(ctx, %s, %s)' % (table[op], left.code, right.code)
    result = _new_object(fn, make, node)
    fn.release(right)
    fn.release(left)
    return result


@expression('AddNode', 'SubNode', 'MulNode', 'MatMultNode', 'DivNode', 'ModNode', 'PowNode',
            'IntBinopNode', 'NumBinopNode')
def binop(fn, node):
    op = node.operator
    left = gen(fn, node.operand1)
    right = gen(fn, node.operand2)
    if ctypes.is_object(node.type):
        if not (ctypes.is_object(left.type) and ctypes.is_object(right.type)):
            raise unsupported(node, 'mixed C/object operands are not supported yet')
        return object_binop(fn, op, left, right, node,
                            inplace=getattr(node, 'inplace', False))
    return c_binop(fn, node, op, left, right)


def c_binop(fn, node, op, left, right):
    t = node.type
    if ctypes.is_complex(t):
        raise unsupported(node, 'arithmetic on C complex numbers is not supported yet')
    try:
        spelled = ctypes.spell(t)
    except ctypes.UnsupportedType:
        raise unsupported(node, "arithmetic on the C type '%s' is not supported yet" % t)
    a = '((%s)%s)' % (spelled, left.code) if left.type != t else left.code
    b = '((%s)%s)' % (spelled, right.code) if right.type != t else right.code
    if op in ('/', '//', '%'):
        result = _c_division(fn, node, op, a, b, t, spelled)
    elif op == '**':
        result = _c_power(fn, node, a, b, t)
    elif getattr(node, 'overflow_check', False) and op in _OVERFLOW_BUILTINS and \
            ctypes.is_int(t):
        fn.module.use('ArithOverflow')
        name = fn.temp(t, node)
        fn.line('if (%s(%s, %s, &%s)) { __hpyx_ArithOverflow(ctx); %s }' % (
            _OVERFLOW_BUILTINS[op], a, b, name, fn.error_goto()))
        result = Value(name, t, owned=True)
    elif op in ('+', '-', '*', '&', '|', '^', '<<', '>>'):
        code = '(%s %s %s)' % (a, op, b)
        if left.owned or right.owned:
            result = _c_temp(fn, t, code, node)
        else:
            result = Value(code, t)
    else:
        raise unsupported(node, "the C operator '%s' is not supported yet" % op)
    fn.release(right)
    fn.release(left)
    return result


def _c_division(fn, node, op, a, b, t, spelled):
    name = fn.temp(t, node)
    if getattr(node, 'zerodivision_check', False) or (
            getattr(node, 'zerodivision_check', None) is None and not getattr(node, 'cdivision', 0)):
        if ctypes.is_int(t) or ctypes.is_bint(t):
            message = 'integer division or modulo by zero'
        elif op == '%':
            message = 'float divmod()'
        else:
            message = 'float division'
        fn.module.use('ZeroDivision')
        fn.line('if (%s == 0) { __hpyx_ZeroDivision(ctx, "%s"); %s }' % (b, message,
                                                                         fn.error_goto()))
    cdivision = getattr(node, 'cdivision', None)
    if cdivision is None:
        cdivision = bool(node_directive(node, 'cdivision')) or ctypes.is_float(t) or \
            not ctypes.is_signed(t)
    if ctypes.is_float(t):
        if op == '//':
            fn.line('%s = floor(%s / %s);' % (name, a, b))
        elif op == '%':
            fn.line('%s = fmod(%s, %s);' % (name, a, b))
            if not cdivision:
                fn.line('if (%s != 0 && ((%s < 0) != (%s < 0))) %s += %s;' % (
                    name, name, b, name, b))
        else:
            fn.line('%s = %s / %s;' % (name, a, b))
    elif op == '%':
        fn.line('%s = %s %% %s;' % (name, a, b))
        if not cdivision:
            fn.line('if (%s != 0 && ((%s ^ %s) < 0)) %s += %s;' % (name, name, b, name, b))
    else:
        if getattr(node, 'truedivision', False):
            raise unsupported(node, 'true division of C integers is not supported yet')
        fn.line('%s = %s / %s;' % (name, a, b))
        if not cdivision:
            fn.line('if (%s %% %s != 0 && ((%s ^ %s) < 0)) %s -= 1;' % (a, b, a, b, name))
    return Value(name, t, owned=True)


def node_directive(node, name):
    return (getattr(node, 'directives', None) or {}).get(name)


def _c_power(fn, node, a, b, t):
    if ctypes.is_float(t):
        return _c_temp(fn, t, 'pow(%s, %s)' % (a, b), node)
    raise unsupported(node, "the '**' operator on C integers is not supported yet")


@expression('UnaryMinusNode', 'UnaryPlusNode', 'TildeNode')
def unary(fn, node):
    operand = gen(fn, node.operand)
    funcs = {'UnaryMinusNode': ('HPy_Negative', '-'), 'UnaryPlusNode': ('HPy_Positive', '+'),
             'TildeNode': ('HPy_Invert', '~')}
    func, op = funcs[type(node).__name__]
    if ctypes.is_object(node.type):
        result = _new_object(fn, '%s(ctx, %s)' % (func, operand.code), node)
        fn.release(operand)
        return result
    if ctypes.is_complex(node.type):
        raise unsupported(node, 'arithmetic on C complex numbers is not supported yet')
    code = '(%s%s)' % (op, operand.code)
    if operand.owned:
        result = _c_temp(fn, node.type, code, node)
        fn.release(operand)
        return result
    return Value(code, node.type)


@expression('NotNode')
def not_node(fn, node):
    operand = gen(fn, node.operand)
    truth = coerce.truth(fn, operand)
    result = _c_temp(fn, _bint(), '!%s' % truth.code, node)
    fn.release(truth)
    fn.release(operand)
    return result


# -- comparisons -------------------------------------------------------------------------

RICH_OPS = {'<': 'HPy_LT', '<=': 'HPy_LE', '==': 'HPy_EQ', '!=': 'HPy_NE', '>': 'HPy_GT',
            '>=': 'HPy_GE'}


def compare(fn, node, op, left, right, want_object):
    """`left op right`: a C int (or an object for a rich comparison used as a value)."""
    if op in ('is', 'is_not'):
        code = '%sHPy_Is(ctx, %s, %s)' % ('!' if op == 'is_not' else '', left.code, right.code)
        return _c_temp(fn, _bint(), code, node)
    if op in ('in', 'not_in'):
        if not ctypes.is_object(right.type):
            raise unsupported(node, "'in' on a C value is not supported yet")
        res = _c_temp(fn, _bint(), 'HPy_Contains(ctx, %s, %s)' % (right.code, left.code), node)
        fn.check_neg(res.code)
        if op == 'not_in':
            fn.line('%s = !%s;' % (res.code, res.code))
        return res
    if ctypes.is_object(left.type) and ctypes.is_object(right.type):
        if want_object:
            return _new_object(fn, 'HPy_RichCompare(ctx, %s, %s, %s)' % (
                left.code, right.code, RICH_OPS[op]), node)
        res = _c_temp(fn, _bint(), 'HPy_RichCompareBool(ctx, %s, %s, %s)' % (
            left.code, right.code, RICH_OPS[op]), node)
        fn.check_neg(res.code)
        return res
    if ctypes.is_object(left.type) or ctypes.is_object(right.type):
        raise unsupported(node, 'comparing a C value with an object is not supported yet')
    if ctypes.is_complex(left.type) or ctypes.is_complex(right.type):
        if op not in ('==', '!='):
            raise unsupported(node, 'ordering C complex numbers is not supported')
        code = '(%s.real == %s.real && %s.imag == %s.imag)' % (left.code, right.code,
                                                              left.code, right.code)
        return _c_temp(fn, _bint(), code if op == '==' else '!' + code, node)
    return _c_temp(fn, _bint(), '(%s %s %s)' % (left.code, op, right.code), node)


def _compare_value(fn, node, op, left, right, want_object):
    result = compare(fn, node, op, left, right, want_object)
    if want_object and not ctypes.is_object(result.type):
        converted = coerce.to_object(fn, result, node)
        fn.release(result)
        return converted
    return result


@expression('PrimaryCmpNode')
def primary_cmp(fn, node):
    want_object = ctypes.is_object(node.type)
    left = gen(fn, node.operand1)
    right = gen(fn, node.operand2)
    result = _compare_value(fn, node, node.operator, left, right, want_object)
    fn.release(left)
    cascade = getattr(node, 'cascade', None)
    if cascade is None:
        fn.release(right)
        return result
    # a < b < c: each further comparison only when the previous one is true; the value is
    # the last comparison made
    end = fn.new_label('cmp_end')
    while cascade is not None:
        # leaving early, the pending operand is closed on that path too
        leave = fn.goto(end)
        if right.owned and ctypes.is_object(right.type):
            leave = 'HPy_Close(ctx, %s); %s = HPy_NULL; %s' % (right.code, right.code, leave)
        if want_object:
            probe = coerce.truth(fn, result)
            fn.line('if (!%s) { %s }' % (probe.code, leave))
            fn.release(probe)
        else:
            fn.line('if (!%s) { %s }' % (result.code, leave))
        nxt = gen(fn, cascade.operand2)
        step = _compare_value(fn, cascade, cascade.operator, right, nxt, want_object)
        if want_object:
            fn.line('HPy_Close(ctx, %s);' % result.code)
            fn.line('%s = %s;' % (result.code, step.code))
            fn.consumed(step)
        else:
            fn.line('%s = %s;' % (result.code, step.code))
            fn.release(step)
        fn.release(right)
        right = nxt
        cascade = cascade.cascade
    fn.release(right)
    fn.place_label(end, outer=False)
    return result


# -- and / or / conditional expressions ----------------------------------------------------

def assign_into(fn, target, t, value):
    """target (a temp of Cython type t) = value, taking a new reference for objects."""
    if ctypes.is_object(t):
        fn.line('%s = %s;' % (target, fn.new_ref(value)))
        fn.consumed(value)
    else:
        fn.line('%s = %s;' % (target, value.code))
        fn.release(value)


def _emit_bool(fn, node, target, t):
    kind = type(node).__name__
    if kind == 'BoolBinopResultNode':
        arg = gen(fn, node.arg)
        fn.bindings[id(node.arg)] = arg
        value = gen(fn, node.value)
        assign_into(fn, target, t, value)
        fn.release(arg)
        return
    if kind == 'BoolBinopNode':
        _emit_bool(fn, node.operand1, target, t)
        probe = coerce.truth(fn, Value(target, t))
        if node.operator == 'and':
            fn.body.open('if (%s)' % probe.code)
        else:
            fn.body.open('if (!%s)' % probe.code)
        fn.release(probe)
        if ctypes.is_object(t):
            fn.line('HPy_Close(ctx, %s);' % target)
            fn.line('%s = HPy_NULL;' % target)
        _emit_bool(fn, node.operand2, target, t)
        fn.body.close()
        return
    assign_into(fn, target, t, gen(fn, node))


@expression('BoolBinopNode', 'BoolBinopResultNode')
def bool_binop(fn, node):
    t = node.type
    target = fn.temp(t, node)
    _emit_bool(fn, node, target, t)
    return Value(target, t, owned=True)


@expression('CondExprNode')
def cond_expr(fn, node):
    t = node.type
    test = gen(fn, node.condition if hasattr(node, 'condition') else node.test)
    truth = coerce.truth(fn, test)
    keep = _c_temp(fn, _bint(), truth.code, node)
    fn.release(truth)
    fn.release(test)
    target = fn.temp(t, node)
    fn.release(keep)      # read by the `if` below before anything can reuse it
    fn.body.open('if (%s)' % keep.code)
    assign_into(fn, target, t, gen(fn, node.true_val))
    fn.body.close('} else {')
    fn.body.level += 1
    assign_into(fn, target, t, gen(fn, node.false_val))
    fn.body.close()
    return Value(target, t, owned=True)


# -- containers --------------------------------------------------------------------------

def _args_array(fn, values):
    """A C array expression of the handles `values` (a compound literal)."""
    if not values:
        return 'NULL'
    return '(HPy[]){%s}' % ', '.join(v.code for v in values)


@expression('TupleNode')
def tuple_node(fn, node):
    if getattr(node, 'mult_factor', None) is not None:
        raise unsupported(node, 'tuple repetition in a display is not supported yet')
    values = [gen_object(fn, a) for a in node.args]
    if not values:
        result = _new_object(fn, 'HPyTuple_FromArray(ctx, NULL, 0)', node)
    else:
        result = _new_object(fn, 'HPyTuple_FromArray(ctx, %s, %d)' % (
            _args_array(fn, values), len(values)), node)
    for v in reversed(values):
        fn.release(v)
    return result


@expression('ListNode')
def list_node(fn, node):
    if getattr(node, 'mult_factor', None) is not None:
        raise unsupported(node, 'list repetition in a display is not supported yet')
    if not ctypes.is_object(node.type):
        raise unsupported(node, 'C arrays from list displays are not supported yet')
    result = _new_object(fn, 'HPyList_New(ctx, 0)', node)
    for a in node.args:
        v = gen_object(fn, a)
        fn.check_neg('HPyList_Append(ctx, %s, %s)' % (result.code, v.code))
        fn.release(v)
    return result


@expression('DictNode')
def dict_node(fn, node):
    result = _new_object(fn, 'HPyDict_New(ctx)', node)
    for item in node.key_value_pairs:
        k = gen_object(fn, item.key)
        v = gen_object(fn, item.value)
        fn.check_neg('HPy_SetItem(ctx, %s, %s, %s)' % (result.code, k.code, v.code))
        fn.release(v)
        fn.release(k)
    return result


# -- calls -------------------------------------------------------------------------------

def call_object(fn, func, args, node):
    result = _new_object(fn, 'HPy_Call(ctx, %s, %s, %d, HPy_NULL)' % (
        func.code, _args_array(fn, args), len(args)), node)
    for v in reversed(args):
        fn.release(v)
    fn.release(func)
    return result


def _tuple_args(fn, node):
    arg_tuple = node.arg_tuple
    if type(arg_tuple).__name__ != 'TupleNode' or getattr(arg_tuple, 'mult_factor', None):
        raise unsupported(node, 'calls with *args are not supported yet')
    return [gen_object(fn, a) for a in arg_tuple.args]


@expression('PyMethodCallNode')
def py_method_call(fn, node):
    function = node.function
    if type(function).__name__ == 'AttributeNode' and getattr(function, 'is_py_attr', True) \
            and ctypes.is_object(function.obj.type):
        obj = gen_object(fn, function.obj)
        name = load_constant(fn, fn.module.str_constant(str(function.attribute)))
        args = _tuple_args(fn, node)
        result = _new_object(fn, 'HPy_CallMethod(ctx, %s, %s, %d, HPy_NULL)' % (
            name.code, _args_array(fn, [obj] + args), len(args) + 1), node)
        for v in reversed(args):
            fn.release(v)
        fn.release(name)
        fn.release(obj)
        return result
    func = gen_object(fn, function)
    return call_object(fn, func, _tuple_args(fn, node), node)


@expression('SimpleCallNode')
def simple_call(fn, node):
    function = node.function
    ftype = function.type
    if getattr(ftype, 'is_ptr', False):
        ftype = ftype.base_type
    if getattr(ftype, 'is_cfunction', False):
        from . import functions
        return functions.call_cfunction(fn, node, ftype)
    func = gen_object(fn, function)
    if getattr(node, 'arg_tuple', None) is not None:
        args = _tuple_args(fn, node)
    else:
        args = [gen_object(fn, a) for a in node.args]
    return call_object(fn, func, args, node)


@expression('GeneralCallNode')
def general_call(fn, node):
    func = gen_object(fn, node.function)
    pos = gen_object(fn, node.positional_args)
    kw = gen_object(fn, node.keyword_args) if node.keyword_args is not None else None
    result = _new_object(fn, 'HPy_CallTupleDict(ctx, %s, %s, %s)' % (
        func.code, pos.code, kw.code if kw else 'HPy_NULL'), node)
    if kw:
        fn.release(kw)
    fn.release(pos)
    fn.release(func)
    return result


# Cython's helpers for an operation with one C-constant operand, by name part.
_OBJC_OPS = {'Add': '+', 'Subtract': '-', 'Multiply': '*', 'TrueDivide': '/',
             'FloorDivide': '//', 'Remainder': '%', 'Lshift': '<<', 'Rshift': '>>',
             'And': '&', 'Or': '|', 'Xor': '^'}


@expression('PythonCapiCallNode')
def capi_call(fn, node):
    cname = node.function.name if hasattr(node.function, 'name') else ''
    cname = getattr(node.function, 'cname', None) or cname
    m = re.match(r'__Pyx_Py(?:Long|Float|Int)_(Bool)?(\w+?)(ObjC|CObj)$', cname or '')
    if m and m.group(2) in _OBJC_OPS and not m.group(1):
        left = gen_object(fn, node.args[0])
        right = gen_object(fn, node.args[1])
        inplace = node.args[3] if len(node.args) > 3 else None
        is_inplace = bool(getattr(inplace, 'value', False))
        for extra in node.args[2:]:
            gen(fn, extra)
        return object_binop(fn, _OBJC_OPS[m.group(2)], left, right, node, inplace=is_inplace)
    if m and m.group(2) in ('Eq', 'Ne'):
        left = gen_object(fn, node.args[0])
        right = gen_object(fn, node.args[1])
        op = '==' if m.group(2) == 'Eq' else '!='
        result = compare(fn, node, op, left, right, ctypes.is_object(node.type))
        fn.release(right)
        fn.release(left)
        return result
    from . import builtins
    return builtins.capi_call(fn, node, cname)


# -- imports -----------------------------------------------------------------------------

@expression('ImportNode')
def import_node(fn, node):
    name = str(node.module_name.value)
    level = getattr(node, 'level', 0) or 0
    if level > 0 or getattr(node, 'name_list', None) is not None or '.' in name:
        raise unsupported(node, "this form of import is not supported yet (only 'import name')")
    return _new_object(fn, 'HPyImport_ImportModule(ctx, %s)' % c_string(name), node)


@expression('PyCFunctionNode')
def pycfunction_node(fn, node):
    raise unsupported(node, 'functions defined inside other code (nested def) are not '
                            'supported yet')
