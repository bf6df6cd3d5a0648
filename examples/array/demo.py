"""Build examples/array in every ABI and run it (part of `make demo`).

Each ABI is built with the ordinary setuptools integration into its own directory and used in a
fresh interpreter: typed storage, the buffer protocol, and an object array in a reference cycle
that the garbage collector frees (it can, because the array's tp_traverse visits every element
field). Last, the universal binary runs the same script in debug mode under a LeakDetector."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from demo_support import build as build_example, run  # noqa: E402


def build(abi, workdir):
    return build_example(HERE, abi, workdir)


USE = '''
import gc, weakref
import hpyarray
from hpyarray import Array
print('  file              :', hpyarray.__file__.rsplit('/', 1)[-1])
a = Array('float64', range(5))
a[-1] = 0.5
print('  float64           :', list(a), 'sum', a.sum())
with memoryview(a) as mv:
    print('  memoryview        : format %r, shape %r, %r' % (mv.format, mv.shape, mv.tolist()))
print('  int64 sum         :', Array('int64', [2**40, -1, 7]).sum())
o = Array('object', ['spam', 42, None])
print('  object            :', list(o))
print('  object sum        :', Array('object', [1, 2.5, 3]).sum())
try:
    memoryview(o)
except BufferError as e:
    print('  memoryview(object): BufferError:', e)

class Payload:
    pass

import platform
if platform.python_implementation() == 'PyPy':
    # PyPy's C-API emulation never calls tp_traverse: such a cycle stays (docs/pypy.md)
    print('  cycle a[0] = a    : not collected on PyPy (its cpyext does not traverse C objects)')
else:
    p = Payload()
    alive = weakref.ref(p)
    gc.disable()                        # only the explicit collect() below may free the cycle
    cycle = Array('object', [None, p])
    cycle[0] = cycle                    # the array holds itself
    del cycle, p
    print('  cycle a[0] = a    : payload alive before gc.collect():', alive() is not None, end='')
    gc.collect()
    print(', after:', alive() is not None)
    if alive() is not None:
        raise SystemExit('the cycle through the object array was not collected')
'''

DEBUG = '''
from hpy.debug import LeakDetector
with LeakDetector():                    # raises HPyLeakError if the C code leaves a handle open
    exec(USE)
print('  no handle leaked')
'''


def main():
    with tempfile.TemporaryDirectory(prefix='hpy-array-demo-') as workdir:
        for abi in ['cpython', 'universal', 'hybrid']:
            print('== examples/array, %s ABI' % abi)
            src = build(abi, workdir)
            sys.stdout.write(run([sys.executable, '-c', USE], cwd=src))
        print('== examples/array, universal binary in debug mode (HPY=debug)')
        env = dict(os.environ, HPY='debug', HPY_LOG='1')
        code = 'USE = %r\n%s' % (USE, DEBUG)
        sys.stdout.write(run([sys.executable, '-c', code], cwd=os.path.join(workdir, 'universal'),
                             env=env))


if __name__ == '__main__':
    main()
