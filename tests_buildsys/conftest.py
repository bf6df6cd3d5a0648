"""The slow build tests (`make test-buildsys`): real `pip install .` runs with build isolation,
their build tools and this project's wheel taken from the wheelhouse the Makefile fills
(test_examples.py), and the steps of docs/porting.md built with setuptools (test_porting.py)."""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='session')
def wheelhouse():
    path = os.environ.get('HPY_WHEELHOUSE')
    if not path or not any(f.startswith('hpy-') for f in os.listdir(path)):
        raise pytest.UsageError('HPY_WHEELHOUSE must name a folder holding the build tools and a '
                                'wheel of this project: run these tests with `make test-buildsys`')
    return os.path.abspath(path)


@pytest.fixture(scope='session')
def tools():
    """The bin folder of a venv holding meson, ninja and cmake (from the wheelhouse)."""
    path = os.environ.get('HPY_BUILDSYS_TOOLS')
    if not path or not os.path.exists(os.path.join(path, 'bin', 'cmake')):
        raise pytest.UsageError('HPY_BUILDSYS_TOOLS must name a venv with meson, ninja and '
                                'cmake: run these tests with `make test-buildsys`')
    return os.path.abspath(os.path.join(path, 'bin'))
