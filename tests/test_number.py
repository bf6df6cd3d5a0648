"""The number protocol: every HPy_<Op> against the Python operator it stands for."""
import operator

import pytest

BINARY = {
    'Add': operator.add, 'Subtract': operator.sub, 'Multiply': operator.mul,
    'MatrixMultiply': operator.matmul, 'FloorDivide': operator.floordiv,
    'TrueDivide': operator.truediv, 'Remainder': operator.mod, 'Divmod': divmod,
    'Lshift': operator.lshift, 'Rshift': operator.rshift, 'And': operator.and_,
    'Xor': operator.xor, 'Or': operator.or_,
}
INPLACE = {
    'InPlaceAdd': operator.iadd, 'InPlaceSubtract': operator.isub,
    'InPlaceMultiply': operator.imul, 'InPlaceMatrixMultiply': operator.imatmul,
    'InPlaceFloorDivide': operator.ifloordiv, 'InPlaceTrueDivide': operator.itruediv,
    'InPlaceRemainder': operator.imod, 'InPlaceLshift': operator.ilshift,
    'InPlaceRshift': operator.irshift, 'InPlaceAnd': operator.iand,
    'InPlaceXor': operator.ixor, 'InPlaceOr': operator.ior,
}
UNARY = {
    'Negative': operator.neg, 'Positive': operator.pos, 'Absolute': abs,
    'Invert': operator.invert, 'Index': operator.index, 'Long': int, 'Float': float,
}


def number_module(compile_module):
    parts = []
    for name in list(BINARY) + list(INPLACE):
        parts.append('''
            HPyDef_METH(%(n)s, "%(n)s", HPyFunc_VARARGS)
            static HPy %(n)s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
            {
                (void)self; (void)nargs;
                return HPy_%(n)s(ctx, args[0], args[1]);
            }
            @EXPORT(%(n)s)
        ''' % dict(n=name))
    for name in UNARY:
        parts.append('''
            HPyDef_METH(%(n)s, "%(n)s", HPyFunc_O)
            static HPy %(n)s_impl(HPyContext *ctx, HPy self, HPy arg)
            {
                (void)self;
                return HPy_%(n)s(ctx, arg);
            }
            @EXPORT(%(n)s)
        ''' % dict(n=name))
    parts.append('''
        HPyDef_METH(Power, "Power", HPyFunc_VARARGS)
        static HPy Power_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            (void)self; (void)nargs;
            return HPy_Power(ctx, args[0], args[1], args[2]);
        }
        HPyDef_METH(InPlacePower, "InPlacePower", HPyFunc_VARARGS)
        static HPy InPlacePower_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            (void)self; (void)nargs;
            return HPy_InPlacePower(ctx, args[0], args[1], args[2]);
        }
        HPyDef_METH(Number_Check, "Number_Check", HPyFunc_O)
        static HPy Number_Check_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            return HPyLong_FromLong(ctx, HPyNumber_Check(ctx, arg));
        }
        @EXPORT(Power)
        @EXPORT(InPlacePower)
        @EXPORT(Number_Check)
        @INIT
    ''')
    return compile_module('\n'.join(parts))


class Matrix:
    def __init__(self, v):
        self.v = v

    def __matmul__(self, other):
        return ('matmul', self.v, other.v)

    def __imatmul__(self, other):
        return ('imatmul', self.v, other.v)


class Accumulator(list):
    """A mutable object whose in-place operators really act in place."""


def test_number_protocol(compile_module):
    mod = number_module(compile_module)
    for name, op in BINARY.items():
        if name == 'MatrixMultiply':
            assert mod.MatrixMultiply(Matrix(1), Matrix(2)) == ('matmul', 1, 2)
            continue
        for a, b in [(7, 3), (-7, 3), (12, 5)]:
            assert getattr(mod, name)(a, b) == op(a, b), name
    for name, op in INPLACE.items():
        if name == 'InPlaceMatrixMultiply':
            assert mod.InPlaceMatrixMultiply(Matrix(1), Matrix(2)) == ('imatmul', 1, 2)
            continue
        assert getattr(mod, name)(7, 3) == op(7, 3), name
    acc = Accumulator([1])
    assert mod.InPlaceAdd(acc, [2]) is acc and acc == [1, 2]
    for name, op in UNARY.items():
        for a in [5, -5, True]:
            if name == 'Invert' and a is True:
                continue    # ~True is deprecated since 3.12
            assert getattr(mod, name)(a) == op(a), name
    assert mod.Float(3) == 3.0 and type(mod.Float(3)) is float
    assert mod.Long(3.9) == 3
    assert mod.Power(2, 10, None) == 1024
    assert mod.Power(2, 10, 1000) == 24
    assert mod.InPlacePower(3, 3, None) == 27
    assert mod.Number_Check(1.5) == 1
    assert mod.Number_Check('x') == 0


def test_number_errors(compile_module):
    mod = number_module(compile_module)
    with pytest.raises(ZeroDivisionError):
        mod.TrueDivide(1, 0)
    with pytest.raises(TypeError, match='unsupported operand'):
        mod.Add(1, 'a')
    with pytest.raises(TypeError):
        mod.Index(1.5)
    with pytest.raises(ValueError):
        mod.Long('abc')
