"""Cython's own tests (tests/run/*.pyx of the pinned release's sdist) compiled by hpy.cython:
their doctests give the same results as with stock Cython (all pass), in the cpython ABI, the
universal ABI (a binary without libpython symbols, C without Python.h) and in debug mode under a
LeakDetector (the conftest runs every debug-ABI test under one: zero leaked handles)."""
import pytest

import cython_support as cs

ACCEPTANCE = ['pass', 'return', 'if', 'and', 'bint', 'addloop', 'simpcall', 'builtin_abs',
              'extclasspass', 'extinstantiate', 'cdef_class_field', 'exarkun']
TEST_ABIS = ['cpython', 'universal', 'hybrid', 'debug']

_reference = {}


def reference_results(name):
    if name not in _reference:
        path = cs.cython_test_file(name)
        module = cs.build_reference(path, name, cs.TEST_DIRECTIVES, cs.TEST_LANGUAGE_LEVEL)
        _reference[name] = cs.doctest_results(module)
    return _reference[name]


@pytest.mark.parametrize('name', ACCEPTANCE)
def test_cython_run_file(name, hpy_abi, tmp_path):
    path = cs.cython_test_file(name)
    info = cs.header(path)
    assert info['mode'] == 'run', info
    assert 'cpp' not in info['tags'], info
    text, binary, module = cs.build_hpy(path, tmp_path, hpy_abi, name, cs.TEST_DIRECTIVES,
                                        cs.TEST_LANGUAGE_LEVEL)
    assert 'Python.h' not in text
    if cs.support.BINARY_ABI[hpy_abi] == 'universal':
        assert cs.undefined_python_symbols(binary) == []
    ours = cs.doctest_results(module)
    expected = reference_results(name)
    assert ours, 'no doctests found in %s' % name
    assert sorted(ours) == sorted(expected)
    failing = {k: v for k, v in ours.items() if v != 'ok'}
    assert failing == {}
    assert all(v == 'ok' for v in expected.values()), expected
