"""The `hpy_debug` pytest fixture: the test fails if it leaks a debug handle.

A pytest plugin (entry point ``pytest11``, named ``hpy.debug.pytest``) wherever hpy is installed:
any project's tests can ask for `hpy_debug` without ``-p``; ``-p no:hpy.debug.pytest`` turns it
off. Only a test that uses the fixture loads the HPy runtime.
"""
import pytest

__all__ = ['hpy_debug', 'LeakDetector']


def __getattr__(name):
    if name == 'LeakDetector':
        from .leakdetector import LeakDetector
        return LeakDetector
    raise AttributeError('module %r has no attribute %r' % (__name__, name))


@pytest.fixture
def hpy_debug(request):
    from .leakdetector import LeakDetector
    with LeakDetector() as ld:
        yield ld
