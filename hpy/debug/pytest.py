"""The `hpy_debug` pytest fixture: the test fails if it leaks a debug handle.

Use it with `pytest -p hpy.debug.pytest`, or import `hpy_debug` into a conftest.py.
"""
import pytest

from .leakdetector import LeakDetector

__all__ = ['hpy_debug', 'LeakDetector']


@pytest.fixture
def hpy_debug(request):
    with LeakDetector() as ld:
        yield ld
