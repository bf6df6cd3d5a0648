"""docs/porting.md: each step's source built with the guide's command and checked with the guide's
test file (docs/porting/test_geom.py), normally and under HPY=debug; the mistakes the guide shows
caught as it says (the leak by LeakDetector, the missing HPy_Dup by an abort in debug mode, the
last C-API call by the universal build)."""
import os
import shutil
import subprocess
import sys

import pytest

from support import ROOT

PORTING = os.path.join(ROOT, 'docs', 'porting')


def step(tmp_path, name, edit=None):
    """A copy of docs/porting/<name> (and the test file beside it); edit = (old, new) changes
    the source the way the guide's mistakes do."""
    shutil.copy(os.path.join(PORTING, 'test_geom.py'), tmp_path)
    dest = tmp_path / name
    shutil.copytree(os.path.join(PORTING, name), dest,
                    ignore=shutil.ignore_patterns('build', '*.so', 'geom.py', '__pycache__'))
    if edit is not None:
        source = (dest / 'geom.c').read_text()
        assert source.count(edit[0]) == 1, edit[0]
        (dest / 'geom.c').write_text(source.replace(*edit))
    return dest


def run(cmd, cwd, env=None):
    e = dict(os.environ)
    e.pop('HPY', None)
    e.update(env or {})
    return subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, env=e)


def build(src, abi):
    """The guide's command: python setup.py [--hpy-abi=<abi>] build_ext --inplace."""
    cmd = [sys.executable, 'setup.py', '-q'] + (['--hpy-abi=' + abi] if abi else []) + \
        ['build_ext', '--inplace']
    res = run(cmd, src)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def pytest_geom(src, **env):
    return run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                os.path.join('..', 'test_geom.py')], src, env)


def assert_passes(res):
    assert res.returncode == 0 and '5 passed' in res.stdout, res.stdout + res.stderr


@pytest.mark.parametrize('name,abi', [
    ('step0-capi', None),
    ('step1-hybrid', 'hybrid'),
    ('step2-types', 'hybrid'),
    ('step3-universal', 'universal'),
    ('step3-universal', 'cpython'),
])
def test_step(tmp_path, name, abi):
    src = step(tmp_path, name)
    build(src, abi)
    suffix = {None: '.cpython-', 'cpython': '.cpython-', 'hybrid': '.hpy0-',
              'universal': '.hpy0.so'}[abi]
    assert [f for f in os.listdir(src) if f.startswith('geom' + suffix)]
    assert_passes(pytest_geom(src))
    if abi in ('hybrid', 'universal'):
        assert_passes(pytest_geom(src, HPY='debug'))
        res = run([sys.executable, '-c', 'import geom'], src, {'HPY': 'debug', 'HPY_LOG': '1'})
        assert res.stdout == "Loading 'geom' in HPy universal mode with a debug context\n"


def test_step1_forgotten_close(tmp_path):
    """The guide's first mistake: the loop of centroid() forgets HPy_Close(item). Only debug mode
    notices; each test that calls centroid() then fails with the handles left open."""
    src = step(tmp_path, 'step1-hybrid', ('        sw += w;\n        HPy_Close(ctx, item);\n',
                                           '        sw += w;\n'))
    build(src, 'hybrid')
    assert_passes(pytest_geom(src))
    res = pytest_geom(src, HPY='debug')
    assert res.returncode == 1
    assert 'hpy.debug.leakdetector.HPyLeakError: 3 unclosed handles:' in res.stdout
    assert '<DebugHandle 0x' in res.stdout and 'for Point(1.0, 1.0)>' in res.stdout
    assert '5 passed, 2 errors' in res.stdout


USE_SCALED = 'import geom\np = geom.Point(3, 4)\nq = p.scaled(1)\nprint("unreachable")\n'


def test_step2_missing_dup(tmp_path):
    """The guide's second mistake: scaled() returns self without HPy_Dup (the C API's
    Py_INCREF(self) dropped). Debug mode stops at the return."""
    src = step(tmp_path, 'step2-types', ('        return HPy_Dup(ctx, self);', '        return self;'))
    build(src, 'hybrid')
    res = run([sys.executable, '-c', USE_SCALED], src, {'HPY': 'debug'})
    assert res.returncode != 0 and 'unreachable' not in res.stdout
    assert 'Fatal Python error: ' in res.stderr
    assert 'Invalid usage of already closed handle' in res.stderr
    assert 'File "<string>", line 3 in <module>' in res.stderr


def test_step2_is_not_universal_yet(tmp_path):
    """PyOS_double_to_string is C API: the universal ABI has no Python.h to declare it."""
    src = step(tmp_path, 'step2-types')
    res = run([sys.executable, 'setup.py', '-q', '--hpy-abi=universal', 'build_ext', '--inplace'],
              src)
    assert res.returncode != 0
    # the compiler's words differ (gcc: implicit declaration, clang: undeclared function)
    assert 'PyOS_double_to_string' in res.stderr and 'Py_DTSF_ADD_DOT_0' in res.stderr
