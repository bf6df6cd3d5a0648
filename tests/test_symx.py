"""bench/hpy_symx.c and its C-API twin bench/capi_symx.c: the symbolic-expression library of the
real-style benchmark rows. The HPy source is built in every ABI of the suite; each test checks
what it builds against the same thing built by the C-API twin (compiled once against Python.h),
so that the benchmark compares equal work, and checks the C-API twin's own results too."""
import importlib.util
import math
import os
import subprocess
import sysconfig

import pytest

from support import BINARY_ABI, ROOT, STRICT

BENCH = os.path.join(ROOT, 'bench')

_built = {}


@pytest.fixture
def hpy_mod(compile_module, hpy_abi):
    if hpy_abi not in _built:
        with open(os.path.join(BENCH, 'hpy_symx.c')) as f:
            _built[hpy_abi] = compile_module(f.read(), name='hpy_symx', template=False)
    return _built[hpy_abi]


@pytest.fixture(scope='session')
def capi_mod(tmp_path_factory):
    """The C-API twin, built and imported once per process (it keeps its types in statics)."""
    if 'capi' not in _built:
        out = str(tmp_path_factory.mktemp('capi_symx') /
                  ('capi_symx' + sysconfig.get_config_var('EXT_SUFFIX')))
        cmd = ['gcc', '-std=c99', '-shared', '-fPIC', '-O1', '-g'] + STRICT + [
            '-I' + sysconfig.get_paths()['include'], os.path.join(BENCH, 'capi_symx.c'),
            '-o', out]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        spec = importlib.util.spec_from_file_location('capi_symx', out)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _built['capi'] = module
    return _built['capi']


@pytest.fixture
def both(hpy_mod, capi_mod):
    return [hpy_mod, capi_mod]


def describe(obj):
    """A plain value that says what a symbolic object is (equal for equal objects of the two
    modules)."""
    kind = type(obj).__name__
    if kind == 'Var':
        return ('Var', obj.name)
    if kind == 'Term':
        return ('Term', obj.var.name, obj.coef)
    if kind == 'Expr':
        return ('Expr', [describe(t) for t in obj.terms], obj.constant)
    if kind == 'Constraint':
        return ('Constraint', obj.op, describe(obj.expr))
    return obj


def test_module(hpy_mod, capi_mod, hpy_abi):
    assert hpy_mod.abi() == BINARY_ABI[hpy_abi]
    assert capi_mod.abi() == 'C API'
    for m in (hpy_mod, capi_mod):
        for name in ('Var', 'Term', 'Expr', 'Constraint'):
            assert getattr(m, name).__name__ == name


def test_terms(both):
    for m in both:
        x = m.Var('x')
        assert x.name == 'x'
        assert describe(2.0 * x) == ('Term', 'x', 2.0)
        assert describe(x * 3) == ('Term', 'x', 3.0)
        assert describe(-x) == ('Term', 'x', -1.0)
        assert describe(0.5 * (4 * x)) == ('Term', 'x', 2.0)
        assert describe(-(2 * x)) == ('Term', 'x', -2.0)
        t = 2 * x
        assert t.var is x
        assert type(t) is m.Term


def test_sums_keep_terms_in_order(both):
    results = []
    for m in both:
        x, y, z = m.Var('x'), m.Var('y'), m.Var('z')
        e = 2.0 * x + 3 * y - z + 1.5
        assert type(e) is m.Expr
        assert describe(e) == ('Expr', [('Term', 'x', 2.0), ('Term', 'y', 3.0),
                                        ('Term', 'z', -1.0)], 1.5)
        assert describe(1 + x) == ('Expr', [('Term', 'x', 1.0)], 1.0)
        assert describe(x - 2) == ('Expr', [('Term', 'x', 1.0)], -2.0)
        assert describe(2 - x) == ('Expr', [('Term', 'x', -1.0)], 2.0)
        assert describe(x + x) == ('Expr', [('Term', 'x', 1.0), ('Term', 'x', 1.0)], 0.0)
        assert describe(-(x + 1)) == ('Expr', [('Term', 'x', -1.0)], -1.0)
        assert describe(2 * (x - y)) == ('Expr', [('Term', 'x', 2.0), ('Term', 'y', -2.0)],
                                         0.0)
        assert describe(e - e) == ('Expr', [('Term', 'x', 2.0), ('Term', 'y', 3.0),
                                            ('Term', 'z', -1.0), ('Term', 'x', -2.0),
                                            ('Term', 'y', -3.0), ('Term', 'z', 1.0)], 0.0)
        assert e.terms[0].var is x
        results.append(describe((x + y) * 0.25 - 3 * (z - x + 7)))
    assert results[0] == results[1]


def test_values(both):
    for m in both:
        x, y = m.Var('x'), m.Var('y')
        e = 2.0 * x + 3 * y - 1
        assert e.value({'x': 1.5, 'y': -2}) == 2.0 * 1.5 + 3 * -2 - 1
        assert type(e.value({'x': 1, 'y': 2})) is float
        assert (x + 0).value({'x': 7}) == 7.0
        assert (x - x + 2.5).value({'x': 4}) == 2.5
        with pytest.raises(KeyError):
            e.value({'x': 1.0})
        with pytest.raises(TypeError):
            e.value({'x': 1.0, 'y': 'two'})
        with pytest.raises(TypeError):
            e.value(None)


def test_constraints(both):
    for m in both:
        x, y = m.Var('x'), m.Var('y')
        c = 2 * x + y <= 4
        assert type(c) is m.Constraint
        assert describe(c) == ('Constraint', '<=', ('Expr', [('Term', 'x', 2.0),
                                                             ('Term', 'y', 1.0)], -4.0))
        assert c.violation({'x': 1, 'y': 1}) == 0.0
        assert c.violation({'x': 2, 'y': 1}) == 1.0
        ge = x >= y
        assert describe(ge) == ('Constraint', '>=', ('Expr', [('Term', 'x', 1.0),
                                                             ('Term', 'y', -1.0)], 0.0))
        assert ge.violation({'x': 0, 'y': 2.5}) == 2.5
        assert ge.violation({'x': 3, 'y': 2.5}) == 0.0
        eq = x + 1 == 2 * y
        assert eq.op == '=='
        assert eq.violation({'x': 1, 'y': 3}) == 4.0
        assert eq.violation({'x': 5, 'y': 3}) == 0.0
        assert eq.violation({'x': 7, 'y': 3}) == 2.0
        # a number on the left: Python asks the reflected comparison of the symbolic side
        assert describe(1 <= x) == ('Constraint', '>=', ('Expr', [('Term', 'x', 1.0)], -1.0))
        assert describe(3 == x) == ('Constraint', '==', ('Expr', [('Term', 'x', 1.0)], -3.0))
        with pytest.raises(KeyError):
            c.violation({})


def test_what_is_refused(both):
    for m in both:
        x, y = m.Var('x'), m.Var('y')
        with pytest.raises(TypeError):
            x * y                       # not linear
        with pytest.raises(TypeError):
            (x + 1) * (y + 1)
        with pytest.raises(TypeError):
            x + 'a'
        with pytest.raises(TypeError):
            'a' - x
        with pytest.raises(TypeError):
            x * None
        with pytest.raises(TypeError):
            x < y                       # only <=, >= and ==
        with pytest.raises(TypeError):
            x > 1
        assert (x != y) is True         # falls back to identity
        assert (x != x) is False
        with pytest.raises(TypeError):
            (x <= 1) + 1                # a constraint is no expression
        with pytest.raises(TypeError, match='str'):
            m.Var(1)
        with pytest.raises(TypeError):
            m.Var()
        with pytest.raises(TypeError):
            m.Var('x', name='y')
        for t in (m.Term, m.Expr, m.Constraint):
            with pytest.raises(TypeError, match='made by arithmetic'):
                t()
        with pytest.raises(OverflowError):
            x * 10 ** 400


def test_bench_rows_agree(hpy_mod, capi_mod):
    """The benchmark's own statements (bench/run.py): the same objects and values from both."""
    if 'runner' not in _built:
        spec = importlib.util.spec_from_file_location('bench_run', os.path.join(BENCH, 'run.py'))
        _built['runner'] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_built['runner'])
    runner = _built['runner']
    rows = [r for r in runner.ROWS if r[1] == 'symx:']
    assert len(rows) == 3
    got = []
    for m in (hpy_mod, capi_mod):
        ns = {'f': m}
        exec(runner.SYMX_SETUP + runner.SYMX_EXPRS, ns)
        exprs = eval(runner.SYMX_BUILD, ns)
        cons = eval(runner.SYMX_COMPARE, ns)
        assert len(exprs) == len(cons) == 1000
        assert [c.op for c in cons] == ['<='] * 334 + ['>='] * 333 + ['=='] * 333
        values = [c.violation(ns['vals']) for c in cons]
        assert all(v >= 0.0 and math.isfinite(v) for v in values)
        assert any(v > 0.0 for v in values) and any(v == 0.0 for v in values)
        got.append(([describe(e) for e in exprs], [describe(c) for c in cons], values,
                    [e.value(ns['vals']) for e in exprs]))
    assert got[0] == got[1]
