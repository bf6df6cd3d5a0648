"""The hpy_debug fixture is a pytest plugin of any environment where hpy is installed: a fresh
project's tests use it with no -p and no conftest.py."""
import os
import subprocess
import sys

import pytest

from hpy.devel import _HPY_UNIVERSAL_MODULE_STUB_TEMPLATE
from support import ROOT

TEST_ABIS = ['universal']

TESTS = '''
from hpy.debug import LeakDetector
import quickstart


def test_fixture_is_a_leak_detector(hpy_debug):
    assert isinstance(hpy_debug, LeakDetector)
    assert quickstart.context_name() == 'HPy Debug Mode ABI'


def test_clean(hpy_debug):
    assert quickstart.add(1, 2) == 3


def test_leaks(hpy_debug):
    quickstart.leak()
'''


def fresh_project(compile_module, tmp_path):
    with open(os.path.join(ROOT, 'examples', 'quickstart', 'quickstart.c')) as f:
        source = f.read()
    _, binary = compile_module.compile(source, name='quickstart', template=False)
    project = tmp_path / 'project'
    project.mkdir()
    with open(binary, 'rb') as f:
        (project / 'quickstart.hpy0.so').write_bytes(f.read())
    (project / 'quickstart.py').write_text(_HPY_UNIVERSAL_MODULE_STUB_TEMPLATE.format(
        ext_file='quickstart.hpy0.so', module_name='quickstart'))
    (project / 'test_it.py').write_text(TESTS)
    return project


def pytest_run(project, *options):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('PYTEST_', 'HPY'))}
    env['HPY'] = 'debug'
    res = subprocess.run([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
                          '-p', 'no:xdist', '-q'] + list(options), cwd=str(project),
                         capture_output=True, text=True, env=env, timeout=300)
    return res.returncode, res.stdout + res.stderr


@pytest.mark.no_refleak_check
def test_hpy_debug_fixture_without_p(compile_module, tmp_path):
    project = fresh_project(compile_module, tmp_path)
    rc, out = pytest_run(project)
    assert rc == 1, out
    assert out.rstrip().splitlines()[-1].startswith('3 passed, 1 error in '), out
    assert 'ERROR at teardown of test_leaks' in out
    assert 'HPyLeakError: 1 unclosed handle:' in out
    assert '<DebugHandle 0x' in out and 'for 42>' in out
    # naming the plugin too is harmless: it is registered under the name -p uses
    rc2, out2 = pytest_run(project, '-p', 'hpy.debug.pytest')
    assert rc2 == 1 and out2.rstrip().splitlines()[-1].startswith('3 passed, 1 error in '), out2


@pytest.mark.no_refleak_check
def test_the_fixture_comes_from_the_plugin(compile_module, tmp_path):
    project = fresh_project(compile_module, tmp_path)
    rc, out = pytest_run(project, '-p', 'no:hpy.debug.pytest', 'test_it.py::test_clean')
    assert rc == 1, out
    assert "fixture 'hpy_debug' not found" in out
