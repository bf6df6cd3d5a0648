"""Build examples/quickstart in every ABI and run it: `make demo`.

Each ABI is built with the ordinary setuptools integration
(`python setup.py build_ext --hpy-abi=<abi>`) into its own directory, then imported in a fresh
interpreter, exactly as a user would import it. Last, the universal binary is loaded in debug mode
(HPY=debug) and catches the handle that quickstart.leak() deliberately forgets to close."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from demo_support import build as build_example, run  # noqa: E402


def build(abi, workdir):
    return build_example(HERE, abi, workdir)


USE = '''
import quickstart
print('  file          :', quickstart.__file__.rsplit('/', 1)[-1])
print('  say_hello()   :', quickstart.say_hello())
print('  add(40, 2)    :', quickstart.add(40, 2))
print('  abi()         :', quickstart.abi())
print('  context_name():', quickstart.context_name())
'''

DEBUG = '''
from hpy.debug import HPyLeakError, LeakDetector
import quickstart                       # HPY=debug: the universal binary gets the debug context
print('  context_name():', quickstart.context_name())
try:
    with LeakDetector():
        quickstart.leak()
except HPyLeakError as e:
    print('  leak() under a LeakDetector raised HPyLeakError:')
    print('\\n'.join('    ' + line for line in str(e).splitlines()))
else:
    raise SystemExit('the leak was not detected')
'''


def main():
    with tempfile.TemporaryDirectory(prefix='hpy-demo-') as workdir:
        for abi in ['cpython', 'universal', 'hybrid']:
            print('== %s ABI' % abi)
            src = build(abi, workdir)
            sys.stdout.write(run([sys.executable, '-c', USE], cwd=src))
        print()
        print('The universal binary needs nothing from libpython:')
        universal = [f for f in os.listdir(os.path.join(workdir, 'universal'))
                     if f.endswith('.hpy0.so')][0]
        undefined = run(['nm', '-D', '--undefined-only', universal],
                        cwd=os.path.join(workdir, 'universal'))
        py_symbols = [l.split()[-1] for l in undefined.splitlines()
                      if l.split()[-1].startswith(('Py', '_Py'))]
        print('  undefined Py*/_Py* symbols in %s: %d' % (universal, len(py_symbols)))
        if py_symbols:
            raise SystemExit('demo failed: the universal binary references %s' % py_symbols)
        needed = [l for l in run(['readelf', '-d', universal],
                                 cwd=os.path.join(workdir, 'universal')).splitlines()
                  if 'NEEDED' in l]
        print('  shared libraries it needs    :', ', '.join(l.split()[-1] for l in needed) or '-')
        if any('libpython' in l for l in needed):
            raise SystemExit('demo failed: the universal binary links libpython')
        print()
        print('== universal binary in debug mode (HPY=debug)')
        env = dict(os.environ, HPY='debug', HPY_LOG='1')
        sys.stdout.write(run([sys.executable, '-c', DEBUG], cwd=os.path.join(workdir, 'universal'),
                             env=env))


if __name__ == '__main__':
    main()
