#!/usr/bin/env python3
"""The Cython tests (tests/test_cython_*.py) with the newest release of every supported Cython
minor version (MINOR_RELEASES in hpy/cython/version.py).

Each release gets a virtual environment of its own under build/cython-venvs/<version>/ (created
once, reused while its stamp is newer than version.py), with that Cython, pytest, pytest-xdist
and setuptools from PyPI and this project installed editable. The tests then use that release
throughout: its sdist's tests/run files and its stock build as the doctest reference (see
tests/cython_support.py). One summary line per release; the exit status is non-zero when a
release has a failing test or could not be installed.

    make test-cython-versions
    .venv/bin/python tools/cython_versions.py --only 3.2.9 -- -k acceptance
"""
import argparse
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENVS = os.path.join(ROOT, 'build', 'cython-venvs')
VERSION_PY = os.path.join(ROOT, 'hpy', 'cython', 'version.py')
# the variable the tests read to know which Cython release this run is meant to use
ENV_VAR = 'HPY_CYTHON_UNDER_TEST'


def minor_releases():
    """MINOR_RELEASES of version.py, read as text (this script runs with any interpreter)."""
    with open(VERSION_PY) as f:
        m = re.search(r'^MINOR_RELEASES = \(([^)]*)\)', f.read(), re.M)
    if not m:
        sys.exit('hpy/cython/version.py names no MINOR_RELEASES')
    return re.findall(r"'([^']+)'", m.group(1))


def run(cmd, **kw):
    print('+ ' + ' '.join(cmd), flush=True)
    return subprocess.run(cmd, **kw).returncode


def ensure_venv(version, python):
    """The interpreter of the release's environment, installing it if needed; None on failure."""
    venv = os.path.join(VENVS, version)
    py = os.path.join(venv, 'bin', 'python')
    stamp = os.path.join(venv, '.installed')
    sources = [VERSION_PY, os.path.join(ROOT, 'setup.py'), os.path.join(ROOT, 'pyproject.toml')]
    if os.path.exists(stamp) and all(os.path.getmtime(stamp) >= os.path.getmtime(s)
                                     for s in sources):
        return py
    if not os.path.exists(py) and run([python, '-m', 'venv', venv]) != 0:
        return None
    pip = [py, '-m', 'pip', 'install', '-q']
    if run(pip + ['-U', 'pip', 'setuptools', 'wheel', 'pytest', 'pytest-xdist',
                  'cython==%s' % version]) != 0:
        return None
    if run(pip + ['--no-build-isolation', '--config-settings', 'editable_mode=compat', '-e',
                  ROOT]) != 0:
        return None
    with open(stamp, 'w'):
        pass
    return py


def summary_counts(junit_xml):
    """({outcome: count}, {ABI: passed count}) from pytest's JUnit XML report (tests/conftest.py
    records each test's ABI as a property); ({}, {}) if there is no report."""
    try:
        root = ET.parse(junit_xml).getroot()
    except (OSError, ET.ParseError):
        return {}, {}
    counts = {'passed': 0, 'failed': 0, 'error': 0, 'skipped': 0}
    per_abi = {}
    for case in root.iter('testcase'):
        outcome = 'passed'
        for child in case:
            if child.tag in ('failure', 'error', 'skipped'):
                outcome = {'failure': 'failed'}.get(child.tag, child.tag)
        counts[outcome] += 1
        if outcome == 'passed':
            abi = 'no ABI'
            for prop in case.iter('property'):
                if prop.get('name') == 'hpy_abi' and prop.get('value') != 'None':
                    abi = prop.get('value')
            per_abi[abi] = per_abi.get(abi, 0) + 1
    return counts, per_abi


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--only', help='comma-separated releases (default: all of them)')
    parser.add_argument('-n', '--workers', default=os.environ.get('PYTEST_WORKERS', '2'))
    parser.add_argument('pytest_args', nargs='*', help='more pytest arguments (after --)')
    args = parser.parse_args()
    releases = minor_releases()
    if args.only:
        wanted = args.only.split(',')
        unknown = [v for v in wanted if v not in releases]
        if unknown:
            sys.exit('not in MINOR_RELEASES %s: %s' % (', '.join(releases), ', '.join(unknown)))
        releases = [v for v in releases if v in wanted]
    tests = sorted(os.path.join('tests', name) for name in os.listdir(os.path.join(ROOT, 'tests'))
                   if name.startswith('test_cython_') and name.endswith('.py'))
    results = []
    for version in releases:
        py = ensure_venv(version, sys.executable)
        if py is None:
            results.append((version, 'could not install Cython %s' % version, False))
            continue
        env = dict(os.environ, **{ENV_VAR: version})
        report = os.path.join(VENVS, version, 'report.xml')
        if os.path.exists(report):
            os.remove(report)
        cmd = [py, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-n', str(args.workers),
               '--junitxml', report] + tests + args.pytest_args
        rc = run(cmd, cwd=ROOT, env=env)
        counts, per_abi = summary_counts(report)
        text = ', '.join('%d %s' % (n, w) for w, n in counts.items() if n) or 'no test report'
        if per_abi:
            text += ' (passed: %s)' % ', '.join('%s %d' % item for item in sorted(per_abi.items()))
        ok = rc == 0 and counts.get('passed', 0) > 0
        results.append((version, text, ok))
    print()
    print('Cython tests per release (%s):' % ', '.join(tests))
    for version, text, ok in results:
        print('  Cython %-8s %s  %s' % (version, 'ok  ' if ok else 'FAIL', text))
    return 0 if results and all(ok for _, _, ok in results) else 1


if __name__ == '__main__':
    sys.exit(main())
