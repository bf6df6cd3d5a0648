"""The figures of hpy.cython: tools/cython_census.py classifies each file by what happened to it
(on files of ours, so that the outcomes are known), and bench/cython_bench.py builds its module
with stock Cython and with hpy.cython and checks that every variant computes the same;
tools/cython_versions.py reads its releases from hpy/cython/version.py and counts outcomes per
ABI (its installs and runs are `make test-cython-versions` itself)."""
import json
import os
import subprocess
import sys
import textwrap

from support import ROOT

CENSUS = os.path.join(ROOT, 'tools', 'cython_census.py')
BENCH = os.path.join(ROOT, 'bench', 'cython_bench.py')
VERSIONS = os.path.join(ROOT, 'tools', 'cython_versions.py')

FILES = {
    'ok': '''
        def twice(int x):
            """
            >>> twice(21)
            42
            """
            return 2 * x
        ''',
    'wrong': '''
        def twice(int x):
            """
            >>> twice(21)
            42
            >>> twice(1)
            3
            """
            return 2 * x
        ''',
    'gen': '''
        def g():
            """
            >>> list(g())
            [1]
            """
            yield 1
        ''',
    'cpp': '''
        # mode: run
        # tag: cpp

        def f():
            return 1
        ''',
    'err': '''
        # mode: error

        def f(:
        ''',
    'crash': '''
        cdef extern from "stdlib.h":
            void abort()

        abort()
        ''',
    'cerr': '''
        cdef extern from "no_such_header_of_hpy_tests.h":
            int no_such_function()

        def f():
            return no_such_function()
        ''',
    'imperr': '''
        raise ValueError("at import")
        ''',
    'syntax': '''
        def f(:
            pass
        ''',
    'macro': '''
        # distutils: define_macros=CENSUS_VALUE=3

        cdef extern from *:
            int CENSUS_VALUE

        def f():
            """
            >>> f()
            3
            """
            return CENSUS_VALUE
        ''',
    'notests': '''
        def f():
            return 1
        ''',
}


def run_census(directory, out, *options):
    cmd = [sys.executable, CENSUS, '--dir', str(directory), '--json', str(out)] + list(options)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    with open(out) as f:
        return res.stdout, json.load(f)


def test_census_outcomes(tmp_path):
    src = tmp_path / 'pyx'
    src.mkdir()
    for name, text in FILES.items():
        (src / (name + '.pyx')).write_text(textwrap.dedent(text).lstrip())
    # a timeout long enough for any build: no file of this set may time out
    stdout, data = run_census(src, tmp_path / 'census.json', '--timeout', '600')
    outcomes = {r['name']: r['outcome'] for r in data['records']}
    assert outcomes == {'ok': 'pass', 'wrong': 'fail', 'gen': 'refused', 'crash': 'crash',
                        'cerr': 'c-error', 'imperr': 'import-error', 'syntax': 'cython-error',
                        'notests': 'no-tests', 'macro': 'pass'}
    assert data['not_applicable'] == {'cpp': 'needs C++ (tag cpp)',
                                      'err': "mode 'error' (not a run test)"}
    records = {r['name']: r for r in data['records']}
    assert records['ok']['tests'] == 1 and records['ok']['failed'] == 0
    assert records['ok']['undefined_py_symbols'] == []
    assert records['wrong']['failed'] == 1
    assert 'Expected: | 3 | Got: | 2' in records['wrong']['failures']['twice']
    assert records['gen']['reason'] == 'generators are not supported yet'
    assert records['gen']['detail'] == 'gen.pyx:6:4: generators are not supported yet'
    assert 'SIGABRT' in records['crash']['detail']
    assert 'no_such_header_of_hpy_tests.h' in records['cerr']['detail']
    assert records['imperr']['detail'] == 'ValueError: at import'
    summary = data['summary']
    assert summary['counts']['pass'] == 2 and summary['counts']['refused'] == 1
    assert summary['not_applicable'] == 2
    assert summary['refusal_reasons'] == [{'reason': 'generators are not supported yet',
                                           'files': 1, 'examples': ['gen'],
                                           'specifics': {}}]
    assert '1  generators are not supported yet' in stdout
    # the summary of the records, printed again without running anything
    res = subprocess.run([sys.executable, CENSUS, '--summary', str(tmp_path / 'census.json')],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert summary_block(res.stdout) == summary_block(stdout)
    assert len(summary_block(stdout)) > 10


def summary_block(text):
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if 'not applicable: ' in line)
    end = next(i for i, line in enumerate(lines) if line.startswith('elapsed:'))
    return lines[start:end]


def test_census_timeout(tmp_path):
    """A file that never finishes importing is reported as a timeout (its process group is
    ended), and the census still writes its records."""
    src = tmp_path / 'pyx'
    src.mkdir()
    (src / 'hang.pyx').write_text('cdef int n = 0\nwhile True:\n    n += 1\n')
    stdout, data = run_census(src, tmp_path / 'census.json', '--timeout', '5')
    assert [(r['name'], r['outcome']) for r in data['records']] == [('hang', 'timeout')]
    assert data['summary']['counts']['timeout'] == 1
    assert 'hang' in stdout and 'no result after 5 s' in stdout


def test_census_reason_groups():
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    try:
        import cython_census as census
    finally:
        sys.path.pop(0)
    assert census.reason_group("the C type 'int *' is not supported yet") == \
        "the C type 'X' is not supported yet"
    assert census.reason_group('a C value where an object is needed (double)') == \
        'a C value where an object is needed (X)'
    assert census.reason_group('let expression (LetNode) is not supported yet') == \
        'let expression (LetNode) is not supported yet'
    assert census.reason_group("'print' statements are not supported yet") == \
        "'print' statements are not supported yet"
    assert census.reason_specifics("the C function 'PyUnicode_Check' Cython uses here has no "
                                   "HPy equivalent yet") == 'PyUnicode_Check'
    assert census.reason_specifics('a C value where an object is needed (double)') == 'double'
    assert census.reason_specifics("'with' statements are not supported yet") == ''
    assert census.reason_group("this form of import is not supported yet (only 'import "
                               "name')") == \
        "this form of import is not supported yet (only 'import name')"


def _versions_tool():
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    try:
        import cython_versions
    finally:
        sys.path.pop(0)
    return cython_versions


def test_versions_tool_reads_the_releases():
    from hpy.cython import version
    assert tuple(_versions_tool().minor_releases()) == version.MINOR_RELEASES


def test_versions_tool_refuses_unknown_releases(tmp_path):
    res = subprocess.run([sys.executable, VERSIONS, '--only', '3.0.12,3.3.1'], cwd=str(tmp_path),
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert res.stderr.strip().endswith(': 3.0.12')
    assert 'not in MINOR_RELEASES' in res.stderr
    assert not os.path.exists(os.path.join(ROOT, 'build', 'cython-venvs', '3.0.12'))


def test_versions_tool_counts_outcomes_per_abi(tmp_path):
    report = tmp_path / 'report.xml'
    report.write_text(textwrap.dedent('''\
        <?xml version="1.0" encoding="utf-8"?>
        <testsuites><testsuite name="pytest" tests="5" failures="1" errors="0" skipped="1">
        <testcase name="test_a[cpython]"><properties>
          <property name="hpy_abi" value="cpython"/></properties></testcase>
        <testcase name="test_a[debug]"><properties>
          <property name="hpy_abi" value="debug"/></properties></testcase>
        <testcase name="test_a[universal]"><properties>
          <property name="hpy_abi" value="universal"/></properties>
          <failure message="boom">boom</failure></testcase>
        <testcase name="test_b"><properties>
          <property name="hpy_abi" value="None"/></properties></testcase>
        <testcase name="test_c"><skipped message="no"/></testcase>
        </testsuite></testsuites>
        '''))
    counts, per_abi = _versions_tool().summary_counts(str(report))
    assert counts == {'passed': 3, 'failed': 1, 'error': 0, 'skipped': 1}
    assert per_abi == {'cpython': 1, 'debug': 1, 'no ABI': 1}
    assert _versions_tool().summary_counts(str(tmp_path / 'missing.xml')) == ({}, {})


def test_bench_runs_and_variants_agree():
    """Every variant's result is checked against stock Cython's before timing."""
    res = subprocess.run([sys.executable, BENCH, '--quick', '--repeat', '1', '--target-time',
                          '0.001'], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    for title in ('numeric loop', 'cdef function calls', 'def function calls by name',
                  'def call from Python', 'object arithmetic loop'):
        assert title in res.stdout
    assert 'n/a' not in res.stdout, res.stdout
