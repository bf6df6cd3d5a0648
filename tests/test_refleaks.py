"""The --refleaks option of tests/conftest.py finds a test that leaks and passes one that does
not. It needs a debug build of CPython: the matrix runs it on 3.14d."""
import os
import subprocess
import sys

import pytest

from support import ROOT

LEAKY = '''KEPT = []
TEST_ABIS = ['cpython']

def test_leaks(compile_module):
    KEPT.append(object())          # one reference more on every run

def test_clean(compile_module):
    [object() for _ in range(10)]

def test_grows_once(compile_module):
    if not KEPT or KEPT[-1] != 'cache':
        KEPT.append('cache')       # a cache filled on the first run is not a leak
'''


@pytest.mark.skipif(not hasattr(sys, 'gettotalrefcount'),
                    reason='--refleaks needs a debug build of CPython (run on 3.14d by the matrix)')
def test_refleaks_tells_a_leak_from_a_cache(tmp_path):
    (tmp_path / 'test_leaky.py').write_text(LEAKY)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'tests'))
    res = subprocess.run([sys.executable, '-m', 'pytest', '-p', 'conftest', '--refleaks', '-q',
                          '-p', 'no:cacheprovider', '-p', 'no:xdist', str(tmp_path)],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert 'test_leaky.py::test_leaks' in out and 'reference leak' in out, out
    assert '1 failed, 2 passed' in out, out
