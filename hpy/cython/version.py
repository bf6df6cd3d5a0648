"""Which Cython versions the generator works with.

The range is the set of Cython releases whose syntax tree the generator understands;
TESTED_CYTHON is the release the project's tests install (the Makefile and the test harness read
it from here). MINOR_RELEASES names the newest release of every minor version in the range:
`make test-cython-versions` runs the Cython tests with each of them, so the range claims only
what is tested."""
import re

SUPPORTED_CYTHON = '>=3.1,<3.4'
_LOWEST = (3, 1)
_BEYOND = (3, 4)
TESTED_CYTHON = '3.3.1'
MINOR_RELEASES = ('3.1.8', '3.2.9', '3.3.1')


def _parse(version):
    m = re.match(r'(\d+)\.(\d+)', version)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2))


def check_version(version):
    """None if `version` (a Cython version string) is supported, else the error message."""
    parsed = _parse(version)
    if parsed is None or not (_LOWEST <= parsed < _BEYOND):
        return ('hpy.cython needs Cython %s, but Cython %s is installed '
                '(pip install "cython%s")' % (SUPPORTED_CYTHON, version, SUPPORTED_CYTHON))
    return None


def require_cython():
    """Import Cython and check its version; returns its version string. Raises
    UnsupportedCythonError with an explanation otherwise."""
    from .errors import UnsupportedCythonError
    try:
        import Cython
    except ImportError:
        raise UnsupportedCythonError(
            'hpy.cython needs Cython %s, which is not installed '
            '(pip install "cython%s")' % (SUPPORTED_CYTHON, SUPPORTED_CYTHON)) from None
    version = getattr(Cython, '__version__', '?')
    message = check_version(version)
    if message:
        raise UnsupportedCythonError(message)
    return version
