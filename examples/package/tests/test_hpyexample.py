"""hpyexample's tests: they run against the installed package, on every interpreter, with the
one universal binary of the wheel; `HPY=debug pytest` runs them in debug mode."""
import os

import pytest

import hpyexample
import hpyexample._native


def test_the_binary_is_universal():
    assert hpyexample._native.__file__.endswith('_native.hpy0.so')
    assert hpyexample.context_name() in ('HPy Universal ABI (CPython backend)',
                                         'HPy Debug Mode ABI', 'HPy Trace Mode ABI')


def test_greet(hpy_debug):
    # hpy_debug (the pytest plugin of hpy): the test fails if it leaves a debug handle open
    assert hpyexample.greet('world') == 'Hello, world!'
    assert hpyexample.greet('world', '?') == 'Hello, world?'
    assert hpyexample.greet(punctuation='.', name='you') == 'Hello, you.'


def test_greet_errors(hpy_debug):
    with pytest.raises(TypeError, match='expects a str name'):
        hpyexample.greet(42)
    with pytest.raises(TypeError):
        hpyexample.greet('a', 'b', 'c')
    with pytest.raises(TypeError):
        hpyexample.greet('a', colour='red')


def test_add(hpy_debug):
    assert hpyexample.add(40, 2) == 42
    assert hpyexample.add([1], [2]) == [1, 2]
    with pytest.raises(TypeError):
        hpyexample.add(1)


def test_debug_mode_is_what_HPY_says():
    debug = os.environ.get('HPY') == 'debug'
    assert (hpyexample.context_name() == 'HPy Debug Mode ABI') == debug
