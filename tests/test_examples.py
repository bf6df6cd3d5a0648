"""The examples, compiled from their sources like any test module (so the interpreter matrix
runs the very same universal binaries on every interpreter)."""
import os

import pytest

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


def test_quickstart_leak(compile_module, hpy_abi):
    """leak() forgets to close a handle: only the debug mode notices."""
    mod = compile_module(read('quickstart', 'quickstart.c'), name='quickstart', template=False)
    if hpy_abi not in ('debug', 'hybrid-debug'):
        assert mod.leak() is None
        return
    from hpy.debug import HPyLeakError, LeakDetector
    with pytest.raises(HPyLeakError) as e:
        with LeakDetector():
            mod.leak()
    [leak] = e.value.leaks
    assert leak.obj == 42
    assert str(e.value).startswith('1 unclosed handle:\n    <DebugHandle 0x%x for 42>\n' % leak.id)
    leak._force_close()


def test_package_example(compile_module, hpy_abi):
    """examples/package's extension (its own tests run on the installed wheel: make test-matrix,
    make test-packaging)."""
    mod = compile_module(read('package', 'src', 'hpyexample', '_native.c'), name='_native',
                         template=False)
    assert mod.greet('world') == 'Hello, world!'
    assert mod.greet(punctuation='?', name='you') == 'Hello, you?'
    assert mod.add(40, 2) == 42
    with pytest.raises(TypeError) as e:
        mod.greet(42)
    assert str(e.value) == 'greet() expects a str name'
    with pytest.raises(TypeError):
        mod.greet('a', colour='red')
