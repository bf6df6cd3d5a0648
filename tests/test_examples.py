"""The examples, compiled from their sources like any test module (so the interpreter matrix
runs the very same universal binaries on every interpreter)."""
import os

from support import BINARY_ABI, ROOT


def read(*path):
    with open(os.path.join(ROOT, 'examples', *path)) as f:
        return f.read()


def test_quickstart(compile_module, hpy_abi):
    mod = compile_module(read('quickstart', 'quickstart.c'), name='quickstart', template=False)
    assert mod.say_hello() == 'Hello world'
    assert mod.add(40, 2) == 42
    assert mod.add('a', 'b') == 'ab'
    assert mod.abi() == BINARY_ABI[hpy_abi]
    assert mod.__doc__ == 'HPy quickstart example'
    try:
        mod.add(1)
    except TypeError as e:
        assert str(e) == 'add() takes exactly 2 arguments'
    else:
        raise AssertionError('add(1) did not raise')
