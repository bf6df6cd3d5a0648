import gc
import sys

import pytest

from support import ABIS, ModuleBuilder

REFLEAK_WARMUPS = 2
REFLEAK_RUNS = 3


def pytest_addoption(parser):
    parser.addoption('--refleaks', action='store_true',
                     help='run every C-level test several times and fail it if the total '
                          'reference count grows (needs a debug build of CPython)')


def pytest_configure(config):
    if config.getoption('--refleaks') and not hasattr(sys, 'gettotalrefcount'):
        raise pytest.UsageError('--refleaks needs a debug build of CPython (sys.gettotalrefcount)')


def pytest_generate_tests(metafunc):
    if 'hpy_abi' in metafunc.fixturenames:
        abis = getattr(metafunc.module, 'TEST_ABIS', ABIS)
        metafunc.parametrize('hpy_abi', abis)


@pytest.fixture
def compile_module(tmp_path, hpy_abi):
    """Build a C snippet (see support.py) as an extension in the test's ABI and import it."""
    return ModuleBuilder(tmp_path, hpy_abi)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """With --refleaks, a test that builds C modules runs REFLEAK_WARMUPS + REFLEAK_RUNS times
    (reusing its modules); it fails if sys.gettotalrefcount() grew in every measured run, the
    rule of CPython's own -R option."""
    if not pyfuncitem.config.getoption('--refleaks'):
        return None
    if 'compile_module' not in pyfuncitem.fixturenames:
        return None
    func = pyfuncitem.obj
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    deltas = []
    for i in range(REFLEAK_WARMUPS + REFLEAK_RUNS):
        gc.collect()
        before = sys.gettotalrefcount()
        func(**args)
        gc.collect()
        after = sys.gettotalrefcount()
        if i >= REFLEAK_WARMUPS:
            deltas.append(after - before)
    if all(d > 0 for d in deltas):
        pytest.fail('reference leak: total reference count grew by %s in %d consecutive runs'
                    % (deltas, REFLEAK_RUNS), pytrace=False)
    return True
