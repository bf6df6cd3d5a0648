import pytest

from support import ABIS, ModuleBuilder


def pytest_generate_tests(metafunc):
    if 'hpy_abi' in metafunc.fixturenames:
        abis = getattr(metafunc.module, 'TEST_ABIS', ABIS)
        metafunc.parametrize('hpy_abi', abis)


@pytest.fixture
def compile_module(tmp_path, hpy_abi):
    """Build a C snippet (see support.py) as an extension in the test's ABI and import it."""
    return ModuleBuilder(tmp_path, hpy_abi)
