import gc
import os
import platform
import sys

import pytest

from support import ABIS, DEBUG_ABIS, EXCLUDED_ABIS, ModuleBuilder

# --refleaks: a test runs once unmeasured, then in measured batches of REFLEAK_BATCH runs; a
# second batch is run only when the first one grew, and the test fails when REFLEAK_RUNS
# consecutive batches grew (most tests stop after 1 + REFLEAK_BATCH runs).
REFLEAK_BATCH = 3
REFLEAK_RUNS = 2


def pytest_addoption(parser):
    parser.addoption('--refleaks', action='store_true',
                     help='run every C-level test several times and fail it if the total '
                          'reference count grows (needs a debug build of CPython)')
    parser.addoption('--refleaks-abis', default=None, metavar='ABI,ABI',
                     help='with --refleaks: repeat only the tests of these ABIs (the others '
                          'run once); default: every ABI')
    parser.addoption('--c-level-only', action='store_true',
                     help='only the tests parametrized by ABI (those that load C modules); '
                          'make test-pypy runs these')


# A test marked runtime_specific(reason) checks something of CPython's own runtime that another
# interpreter does not have (sys.getrefcount, CPython's GC): it runs on CPython only, and on
# another interpreter it is reported as 'marked' with its reason (never as a plain skip).
CPYTHON = platform.python_implementation() == 'CPython'


def pytest_configure(config):
    config.addinivalue_line('markers', 'no_refleak_check: run once under --refleaks; the test '
                            'checks the reference counts it cares about itself')
    config.addinivalue_line('markers', 'runtime_specific(reason): the test checks a detail of '
                            "CPython's runtime; on another interpreter it is not run")
    if config.getoption('--refleaks') and not hasattr(sys, 'gettotalrefcount'):
        raise pytest.UsageError('--refleaks needs a debug build of CPython (sys.gettotalrefcount)')


# tests/known_failures_pypy.txt: tests that fail on PyPy for a reason not fixed yet, each with
# it. On PyPy they run as strict expected failures: counted as 'known' with their reason, and
# one that passes fails the run (take it off the list). Never read on CPython.
KNOWN_FAILURES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   'known_failures_pypy.txt')


def _known_failures():
    known = {}
    if platform.python_implementation() != 'PyPy':
        return known
    with open(KNOWN_FAILURES_FILE) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                test, _, reason = line.partition(' ')
                if not reason.strip():
                    raise pytest.UsageError('%s: %s has no reason' % (KNOWN_FAILURES_FILE, test))
                known[test] = reason.strip()
    return known


def pytest_collection_modifyitems(config, items):
    known = _known_failures()
    for item in items:
        reason = known.get(item.nodeid) or known.get(item.nodeid.split('[')[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason='known failure on PyPy: ' + reason,
                                              strict=True))
            item.user_properties.append(('known_failure', reason))
    for item in items:
        _record_properties(item)
        marker = item.get_closest_marker('runtime_specific')
        if marker is not None:
            if not marker.args or not marker.args[0]:
                raise pytest.UsageError('%s: runtime_specific needs a reason' % item.nodeid)
            if not CPYTHON:
                item.add_marker(pytest.mark.skip(reason='runtime-specific: ' + marker.args[0]))
    if config.getoption('--c-level-only'):
        # a module's own TEST_ABIS may name an ABI HPY_TEST_EXCLUDE_ABIS leaves out: not run
        kept = [i for i in items
                if getattr(getattr(i, 'callspec', None), 'params', {}).get('hpy_abi')
                not in (None,) + EXCLUDED_ABIS]
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def pytest_generate_tests(metafunc):
    if 'hpy_abi' in metafunc.fixturenames:
        abis = getattr(metafunc.module, 'TEST_ABIS', ABIS)
        metafunc.parametrize('hpy_abi', abis)


@pytest.fixture(autouse=True)
def _young_heap():
    """Each test starts with the objects of the earlier ones frozen (gc.freeze), after a
    collection of what the previous test left: a gc.collect() in a test, and the collections of
    --refleaks, then scan only what the test made, instead of the whole heap of a worker that ran
    hundreds of tests (a quarter of a second each, more on a debug build). An object the test
    made is collected as before, also when older objects refer to it or it to them; only cycles
    among objects of earlier tests that die later are never collected, which in a test session
    costs some memory and nothing else. PyPy has no gc.freeze: unchanged there."""
    if hasattr(gc, 'freeze'):
        gc.collect()
        gc.freeze()
    yield


@pytest.fixture
def compile_module(tmp_path, hpy_abi):
    """Build a C snippet (see support.py) as an extension in the test's ABI and import it."""
    return ModuleBuilder(tmp_path, hpy_abi)


def _clear_caches():
    """Caches that grow by themselves while a test runs again (as CPython's -R clears them)."""
    import linecache
    import re
    for module in list(sys.modules.values()):
        registry = getattr(module, '__dict__', {}).get('__warningregistry__')
        if registry:
            registry.clear()
    re.purge()
    linecache.clearcache()
    if hasattr(sys, '_clear_internal_caches'):
        sys._clear_internal_caches()
    gc.collect()


def _refcount_delta(func, kwargs, runs=REFLEAK_BATCH):
    import warnings
    with warnings.catch_warnings():
        # pytest keeps every warning a test emits: a test run again would look like a leak
        warnings.simplefilter('ignore')
        _clear_caches()
        before = sys.gettotalrefcount()
        for _ in range(runs):
            func(**kwargs)
        _clear_caches()
        return sys.gettotalrefcount() - before


class _Raises:
    """pytest.raises for --refleaks runs: the same checks, but it keeps no traceback (pytest's
    own ExceptionInfo holds on to a little more on every use, which would read as a leak)."""

    def __init__(self, expected, *args, match=None, **kwargs):
        if args or kwargs:
            raise TypeError('only the context-manager form of pytest.raises is supported')
        self.expected = expected
        self.match_expr = match
        self.value = self.type = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            pytest.fail('DID NOT RAISE %r' % (self.expected,), pytrace=False)
        if not issubclass(exc_type, self.expected):
            return False
        exc.__traceback__ = None
        self.type, self.value = exc_type, exc
        if self.match_expr is not None:
            self.match(self.match_expr)
        return True

    def match(self, regexp):
        import re
        assert re.search(regexp, str(self.value)), (regexp, str(self.value))
        return True


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """With --refleaks, a test that builds C modules runs in batches of REFLEAK_BATCH runs
    (reusing its modules) and fails if every measured batch grew the total reference count by at
    least one reference per run. Measuring itself costs a reference or two whatever the batch
    size, so only growth that scales with the number of runs counts as a leak."""
    if not pyfuncitem.config.getoption('--refleaks'):
        return None
    if 'compile_module' not in pyfuncitem.fixturenames:
        return None
    if pyfuncitem.get_closest_marker('no_refleak_check'):
        return None
    only = pyfuncitem.config.getoption('--refleaks-abis')
    callspec = getattr(pyfuncitem, 'callspec', None)
    abi = callspec.params.get('hpy_abi') if callspec else None
    if only and abi is not None and abi not in only.split(','):
        return None
    func = pyfuncitem.obj
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    deltas = []
    real_raises = pytest.raises
    pytest.raises = _Raises
    try:
        _refcount_delta(func, args, runs=1)      # caches, interned names, first imports
        while len(deltas) < REFLEAK_RUNS:
            deltas.append(_refcount_delta(func, args))
            if deltas[-1] < REFLEAK_BATCH:
                break                                # did not grow: no leak
    finally:
        pytest.raises = real_raises
    if len(deltas) == REFLEAK_RUNS and all(d >= REFLEAK_BATCH for d in deltas):
        pytest.fail('reference leak: total reference count grew by %s in %d consecutive batches '
                    'of %d runs' % (deltas, REFLEAK_RUNS, REFLEAK_BATCH), pytrace=False)
    return True


# Every test in a debug ABI runs under a LeakDetector: a handle its C code opens and does not
# close fails it with HPyLeakError.

@pytest.hookimpl(wrapper=True, specname='pytest_runtest_call')
def pytest_runtest_call_leak_check(item):
    callspec = getattr(item, 'callspec', None)
    if not callspec or callspec.params.get('hpy_abi') not in DEBUG_ABIS:
        return (yield)
    from hpy.debug import LeakDetector
    detector = LeakDetector()
    detector.start()
    result = yield
    detector.stop()
    return result


# HPY_TEST_RESULTS=<file>: write each test's outcome, ABI and time (setup, call and teardown) as JSON
# (tools/suite_record.py, tools/test_matrix.py).

def _record_properties(item):
    """What the results file says of a test besides its outcome (set at collection, so that it
    is there for a test skipped in its setup too)."""
    callspec = getattr(item, 'callspec', None)
    abi = callspec.params.get('hpy_abi') if callspec else None
    item.user_properties.append(('hpy_abi', abi))
    if not CPYTHON and item.get_closest_marker('runtime_specific'):
        item.user_properties.append(('runtime_specific', True))


_results = {}


def pytest_runtest_logreport(report):
    abi = dict(report.user_properties).get('hpy_abi')
    rec = _results.setdefault(report.nodeid, {'test': report.nodeid, 'abi': abi,
                                              'outcome': 'passed', 'seconds': 0.0})
    rec['seconds'] = round(rec['seconds'] + report.duration, 3)
    if abi is not None:
        rec['abi'] = abi
    if report.failed:
        rec['outcome'] = 'failed'
    elif hasattr(report, 'wasxfail') and rec['outcome'] != 'failed':
        rec['outcome'] = 'known'
        rec['reason'] = dict(report.user_properties).get('known_failure', '')
    elif report.skipped and rec['outcome'] != 'failed':
        marked = dict(report.user_properties).get('runtime_specific')
        rec['outcome'] = 'marked' if marked else 'skipped'
        if isinstance(report.longrepr, tuple):
            rec['reason'] = report.longrepr[2]


def pytest_sessionfinish(session):
    import json
    import os
    path = os.environ.get('HPY_TEST_RESULTS')
    if path and not hasattr(session.config, 'workerinput'):
        with open(path, 'w') as f:
            json.dump(sorted(_results.values(), key=lambda r: r['test']), f, indent=0)


# HPY_TEST_CALL_COUNTS=<dir>: for every test run in trace mode, record which context functions it
# called (tools/api_coverage.py reads them).

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    import os
    directory = os.environ.get('HPY_TEST_CALL_COUNTS')
    callspec = getattr(item, 'callspec', None)
    if not directory or not callspec or callspec.params.get('hpy_abi') != 'trace':
        yield
        return
    import hpy.trace
    before = hpy.trace.get_call_counts()
    yield
    after = hpy.trace.get_call_counts()
    called = sorted(name for name in after if after[name] > before[name])
    _called[item.nodeid] = called


_called = {}


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    import json
    import os
    directory = os.environ.get('HPY_TEST_CALL_COUNTS')
    if directory and _called:
        worker = getattr(config, 'workerinput', {}).get('workerid', 'main')
        with open(os.path.join(directory, 'calls-%s-%d.json' % (worker, os.getpid())), 'w') as f:
            json.dump(_called, f)
