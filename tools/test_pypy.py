#!/usr/bin/env python3
"""`make test-pypy`: the universal binaries built on the host, run on PyPy with our runtime.

1. The host (CPython of .venv) provides the universal binaries of every C-level test: from the
   record of `make test` when it ran on these sources (tools/suite_record.py), else by running
   the C-level tests of the universal, debug and trace ABIs here with a cache of binaries in
   write mode. examples/quickstart and examples/array are built on the host too, in the
   universal ABI with the ordinary setuptools integration (a .hpy0.so and its stub).
2. In the matrix's Debian sid chroot (tools/test_matrix.py creates it and installs its packages,
   PyPy's among them), the project is copied in, installed editable into a PyPy venv (`pypy3 -m
   venv`), its runtime built for PyPy, and every C-level test runs in the universal, debug and
   trace ABIs against the host's binaries (the cache in read mode: nothing universal is built
   on PyPy). Tests marked runtime_specific (tests/conftest.py) are counted as 'marked'.
3. The examples run on PyPy through their stubs, in each mode (HPY=universal|debug|trace), from a
   second PyPy venv where the project is installed as a user installs it (`pip install`): it
   checks that this `hpy` (a regular package) is the one imported, not the namespace package
   `hpy` of PyPy's standard library.

Needs root (chroot, mounts). Prints a row of counts per ABI, like `make test-matrix`.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import suite_record
import test_matrix
from test_matrix import MatrixError, host_path, run

ROOT = test_matrix.ROOT
INSIDE = '/work/hpy-pypy'             # working area, as seen from inside the chroot
PYPY = 'pypy3'
ABIS = ['universal', 'debug', 'trace']
EXCLUDED_ABIS = 'cpython,hybrid,hybrid-debug,universal-dispatch'
COLUMNS = ABIS + ['other']
EXAMPLES = ['quickstart', 'array']
UNIVERSAL_SUFFIX = test_matrix.UNIVERSAL_SUFFIX
PYDEPS = test_matrix.INSIDE + '/pydeps'     # pytest & co. (tools/test_matrix.py ensure_pydeps)
ENV = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': '/root', 'LANG': 'C.UTF-8',
       'TMPDIR': '/tmp'}
PYTEST_OPTIONS = ['-q', '-n', '2', '-p', 'no:cacheprovider', '--c-level-only', 'tests'] + \
    test_matrix.HOST_ONLY_OPTIONS


def host_binaries(binaries, log):
    """Fill `binaries` with the host's universal test binaries; where they came from."""
    py = os.path.join(ROOT, '.venv', 'bin', 'python')
    if suite_record.current(py) is not None:
        for name in os.listdir(suite_record.BINARIES):
            if name.endswith(UNIVERSAL_SUFFIX):
                shutil.copy2(os.path.join(suite_record.BINARIES, name), binaries)
        return '`make test` on these sources'
    env = dict(os.environ, HPY_TEST_BINARY_CACHE=binaries, HPY_TEST_BINARY_CACHE_MODE='write',
               HPY_TEST_EXCLUDE_ABIS=EXCLUDED_ABIS,
               HPY_TEST_RESULTS=os.path.join(binaries, '..', 'results', 'host.json'))
    if run([py, '-m', 'pytest'] + PYTEST_OPTIONS, log, cwd=ROOT, env=env) != 0:
        raise MatrixError('the C-level tests failed on the host, which builds the binaries '
                          '(see %s)' % log)
    return 'the C-level tests of the universal, debug and trace ABIs run on the host'


def host_examples(dest, log):
    """examples/quickstart and examples/array built on the host in the universal ABI, in dest."""
    py = os.path.join(ROOT, '.venv', 'bin', 'python')
    shutil.rmtree(dest, ignore_errors=True)
    for name in EXAMPLES:
        src = os.path.join(dest, name)
        shutil.copytree(os.path.join(ROOT, 'examples', name), src,
                        ignore=shutil.ignore_patterns('build', '*.so', '__pycache__'))
        if run([py, 'setup.py', '-q', '--hpy-abi=universal', 'build_ext', '--inplace'], log,
               cwd=src) != 0:
            raise MatrixError('building examples/%s on the host failed (see %s)' % (name, log))
        shutil.rmtree(os.path.join(src, 'build'))
    shutil.copy2(os.path.join(ROOT, 'examples', 'demo_support.py'), dest)


# The PyPy venv of the runs (kept): the project installed editable, its runtime built for PyPy.
SETUP = '''set -e
cd {work}/src
if [ ! -x {work}/venv/bin/python ]; then
    rm -rf {work}/venv {work}/.installed
    {pypy} -m venv {work}/venv
    purelib=$({work}/venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    echo {pydeps} > "$purelib/hpy-matrix-deps.pth"
fi
if [ ! -f {work}/.installed ]; then
    {work}/venv/bin/pip install -q --no-index --no-deps --no-build-isolation \\
        --config-settings editable_mode=compat -e .
    touch {work}/.installed
fi
{work}/venv/bin/python setup.py -q build_ext --inplace --force
'''

SCRIPT = SETUP + '''# a test that runs away with memory fails (its worker dies and is replaced) instead
# of taking the machine's memory: 4 GiB of address space per process
ulimit -v 4194304
export HPY_TEST_BINARY_CACHE={work}/binaries HPY_TEST_BINARY_CACHE_MODE=read
export HPY_TEST_EXCLUDE_ABIS={excluded} HPY_TEST_RESULTS={work}/results/pypy.json
exec {work}/venv/bin/python -m pytest {options}
'''

# A user's install: a fresh venv, `pip install` of the project (no index: setuptools comes from
# the venv), then the examples' demo code with each mode.
USER_SCRIPT = '''set -e
rm -rf {work}/user-venv
{pypy} -m venv {work}/user-venv
{work}/user-venv/bin/pip install -q --no-index --no-deps --no-build-isolation {work}/src
rm -rf {work}/src/build
cd {work}/examples
exec {work}/user-venv/bin/python {work}/run_examples.py
'''

# Run by the user venv's PyPy inside the chroot: each example's demo code (examples/*/demo.py) in
# a fresh process per mode, in the directory of the host-built binary and its stub.
RUN_EXAMPLES = '''import os, subprocess, sys
sys.path.insert(0, os.getcwd())
import importlib.util
import hpy
site = os.path.dirname(os.path.dirname(os.path.abspath(hpy.__file__)))
print('hpy imported from %s (a regular package: %s)' % (os.path.dirname(hpy.__file__), hasattr(hpy, '__file__') and hpy.__file__ is not None))
if not site.endswith('site-packages'):
    sys.exit('hpy was not imported from the venv\\'s site-packages')
import hpy.universal
print('hpy.universal:', os.path.basename(hpy.universal.__file__))

def demo(name):
    spec = importlib.util.spec_from_file_location('demo_' + name, os.path.join(name, 'demo.py'))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m

CONTEXT = {{'universal': 'HPy Universal ABI (CPython backend)', 'debug': 'HPy Debug Mode ABI',
           'trace': 'HPy Trace Mode ABI'}}
failed = 0
for name in {examples!r}:
    d = demo(name)
    jobs = [(mode, d.USE) for mode in ('universal', 'debug', 'trace')]
    jobs.append(('debug', d.DEBUG if name == 'quickstart' else 'USE = %r\\n%s' % (d.USE, d.DEBUG)))
    for mode, code in jobs:
        env = dict(os.environ, HPY=mode)
        r = subprocess.run([sys.executable, '-c', code], cwd=name, env=env, capture_output=True,
                           text=True)
        ok = r.returncode == 0
        if ok and name == 'quickstart' and code is d.USE:
            ok = CONTEXT[mode] in r.stdout
        print('%s %s HPY=%s' % ('PASSED' if ok else 'FAILED', name, mode))
        if not ok:
            sys.stdout.write(r.stdout + r.stderr[-4000:])
        failed += not ok
print('EXAMPLES %d %d' % ({n_jobs} - failed, failed))
'''


def summarize(results_file):
    """{column: {outcome: count}} from the suite's per-test results."""
    with open(results_file) as f:
        records = json.load(f)
    table = {c: {} for c in COLUMNS}
    for rec in records:
        col = rec['abi'] if rec['abi'] in table else 'other'
        table[col][rec['outcome']] = table[col].get(rec['outcome'], 0) + 1
    return table, records


def print_table(label, table):
    order = ['passed', 'failed', 'known', 'marked', 'skipped']
    row = [label]
    for c in COLUMNS:
        counts = table[c]
        cell = ', '.join('%d %s' % (counts[o], o.upper() if o == 'failed' else o)
                         for o in order if counts.get(o)) or '-'
        row.append(cell)
    head = ['interpreter'] + COLUMNS
    widths = [max(len(a), len(b)) for a, b in zip(head, row)]
    line = lambda r: '  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    print(line(head))
    print(line(['-' * w for w in widths]))
    print(line(row))


def print_marked(records):
    """Each runtime-specific test and each known failure (all ABIs together) with its reason."""
    for outcome, title in [('marked', 'runtime-specific tests, not run on PyPy (marker '
                                      'runtime_specific, tests/conftest.py)'),
                           ('known', 'known failures on PyPy, run as strict expected failures '
                                     '(tests/known_failures_pypy.txt)')]:
        by_reason = {}
        for rec in records:
            if rec['outcome'] == outcome:
                reason = rec.get('reason', '').split('runtime-specific: ', 1)[-1]
                by_reason.setdefault(reason, set()).add(rec['test'].split('[')[0])
        if by_reason:
            print('%s: %d tests' % (title, sum(len(t) for t in by_reason.values())))
            for reason in sorted(by_reason):
                print('  %s:' % reason)
                for test in sorted(by_reason[reason]):
                    print('    %s' % test)


def main():
    start = time.monotonic()
    if os.geteuid() != 0:
        print('test-pypy: needs root to create and enter the chroot at %s' % test_matrix.CHROOT)
        return 1
    log = os.path.join(ROOT, 'build', 'test-pypy.log')
    os.makedirs(os.path.dirname(log), exist_ok=True)
    open(log, 'w').close()
    area = host_path(INSIDE)
    try:
        test_matrix.ensure_chroot(log)
        binaries = os.path.join(area, 'binaries')
        results = os.path.join(area, 'results')
        shutil.rmtree(binaries, ignore_errors=True)
        shutil.rmtree(results, ignore_errors=True)
        os.makedirs(binaries)
        os.makedirs(results)
        # the sources first: the binaries' keys hold the headers the tests see in the chroot
        os.makedirs(host_path(INSIDE + '/src'), exist_ok=True)
        test_matrix.sync_sources(host_path(INSIDE + '/src'))
        origin = host_binaries(binaries, log)
        n_binaries = len([n for n in os.listdir(binaries) if n.endswith(UNIVERSAL_SUFFIX)])
        if not n_binaries:
            raise MatrixError('the host built no universal binary (see %s)' % log)
        before = test_matrix.hash_binaries(binaries)
        host_examples(os.path.join(area, 'examples'), log)
        test_matrix.ensure_pydeps(log)
        with open(os.path.join(area, 'run-tests.sh'), 'w') as f:
            f.write(SCRIPT.format(work=INSIDE, pypy=PYPY, pydeps=PYDEPS, excluded=EXCLUDED_ABIS,
                                  options=' '.join(PYTEST_OPTIONS)))
        with open(os.path.join(area, 'run-user.sh'), 'w') as f:
            f.write(USER_SCRIPT.format(work=INSIDE, pypy=PYPY))
        with open(os.path.join(area, 'run_examples.py'), 'w') as f:
            f.write(RUN_EXAMPLES.format(examples=EXAMPLES, n_jobs=4 * len(EXAMPLES)))
        env = ENV
        chroot = test_matrix.chroot_cmd()
        with test_matrix.Mounts():
            suite_start = time.monotonic()
            rc = run([chroot, test_matrix.CHROOT, '/bin/sh', INSIDE + '/run-tests.sh'], log,
                     env=env)
            suite_seconds = time.monotonic() - suite_start
            examples_out = subprocess.run(
                [chroot, test_matrix.CHROOT, '/bin/sh', INSIDE + '/run-user.sh'],
                env=env, capture_output=True, text=True)
        with open(log, 'a') as f:
            f.write(examples_out.stdout + examples_out.stderr)
        if test_matrix.hash_binaries(binaries) != before:
            raise MatrixError('the universal binaries changed while PyPy ran')
    except MatrixError as e:
        print('test-pypy: %s' % e)
        return 1
    except subprocess.CalledProcessError as e:
        print('test-pypy: %s failed (see %s)' % (' '.join(e.cmd), log))
        return 1
    ok = rc == 0
    results_file = os.path.join(results, 'pypy.json')
    version = subprocess.run([test_matrix.chroot_cmd(), test_matrix.CHROOT, PYPY, '-c',
                              'import sys; print("PyPy %d.%d.%d (Python %d.%d)" % '
                              '(sys.pypy_version_info[:3] + sys.version_info[:2]))'],
                             capture_output=True, text=True).stdout.strip() or PYPY
    print('universal test binaries: %d, built on the host (%s), identical (sha256) after the '
          'run' % (n_binaries, origin))
    if os.path.exists(results_file):
        table, records = summarize(results_file)
        print_table(version, table)
        print_marked(records)
        print('suite on PyPy: %s (%.0f s)' % ('ok' if rc == 0 else 'FAILED', suite_seconds))
    else:
        print('suite on PyPy: NOT RUN (see %s)' % log)
        ok = False
    lines = examples_out.stdout.splitlines()
    summary = [l for l in lines if l.startswith('EXAMPLES ')]
    for l in lines:
        if not l.startswith('EXAMPLES '):
            print('  ' + l)
    if summary and examples_out.returncode == 0:
        passed, failed = map(int, summary[0].split()[1:])
        print('examples on PyPy (host-built universal binaries through their stubs): '
              '%d passed, %d failed' % (passed, failed))
        ok &= failed == 0
    else:
        print('examples on PyPy: NOT RUN (see %s)' % log)
        ok = False
    print('(log: %s; %.0f s in all)' % (log, time.monotonic() - start))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
