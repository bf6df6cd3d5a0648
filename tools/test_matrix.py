#!/usr/bin/env python3
"""`make test-matrix`: the whole suite on every supported CPython, against the same universal
binaries.

1. On the host (CPython of the project's .venv), the suite runs with a cache of binaries in write
   mode: every universal test module is compiled once, here. When `make test` ran on the same
   sources, its record (tools/suite_record.py) stands for this run: its results are the host's
   row and its universal binaries are the cache.
2. A Debian sid chroot (created once and kept, see CHROOT) provides CPython 3.13, 3.14, 3.15 and
   the 3.14 debug build. For each of them the project is copied into the chroot, only the
   runtime (hpy.universal and the per-ABI helper libraries) is built for that interpreter, and the
   suite runs with the cache in read mode: universal modules are loaded from the host's binaries,
   cpython and hybrid ones are rebuilt, as they must be (once for the two ABIs that load each). On the debug build every C-level test
   also runs under --refleaks.
3. The cached binaries are hashed before and after: the table is printed only if none changed.
4. One wheel of examples/package, built on the host, is installed with pip and tested on the host
   and on every interpreter (tools/matrix_wheel.py); `--wheel-only` runs just this step.

Needs root (chroot, mounts) and the package archives. Anything that stops an interpreter from
running is a failure, said in one line; an interpreter that did not run is never shown as passing.
"""
import argparse
import concurrent.futures
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import matrix_wheel
import suite_record

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROOT = os.environ.get('HPY_MATRIX_CHROOT', '/var/cache/hpy-chroot/sid')
INSIDE = '/work/hpy-matrix'            # working area, as seen from inside the chroot
PACKAGES = ['python3.13-dev', 'python3.13-venv', 'python3.14-dev', 'python3.14-venv',
            'python3.14-dbg', 'python3.15-dev', 'python3.15-venv', 'gcc', 'g++', 'make',
            'binutils', 'ca-certificates', 'git',  # git: tests of tools/suite_record.py
            'pypy3', 'pypy3-dev', 'pypy3-venv']    # make test-pypy (tools/test_pypy.py)
INTERPRETERS = [  # (label, executable inside the chroot, extra pytest options)
    ('3.13', 'python3.13', []),
    ('3.14', 'python3.14', []),
    ('3.15', 'python3.15', []),
    # reference leaks are looked for in the four ABIs whose code paths differ; trace,
    # universal-dispatch and hybrid-debug wrap those paths and run once (CI's time budget)
    ('3.14d', 'python3.14d', ['--refleaks', '--refleaks-abis=cpython,universal,hybrid,debug']),
]
ABI_COLUMNS = ['cpython', 'universal', 'hybrid', 'universal-dispatch', 'trace', 'debug', 'hybrid-debug',
               'other']


def chroot_cmd():
    exe = shutil.which('chroot', path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')
    if exe is None:
        raise MatrixError('the chroot command is missing')
    return exe


class MatrixError(Exception):
    """Something outside the tests stopped the matrix: reported in one line."""


def host_path(inside):
    return os.path.join(CHROOT, inside.lstrip('/'))


def run(cmd, log, **kw):
    with open(log, 'a') as f:
        f.write('$ %s\n' % ' '.join(cmd))
        f.flush()
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, **kw).returncode


# ---------------------------------------------------------------------------------------------
# The chroot

def ensure_chroot(log):
    if os.geteuid() != 0:
        raise MatrixError('needs root to create and enter the chroot at %s' % CHROOT)
    if not os.path.exists(os.path.join(CHROOT, 'etc', 'debian_version')):
        if shutil.which('debootstrap') is None:
            if run(['apt-get', 'install', '-y', '-q', 'debootstrap'], log) != 0:
                run(['apt-get', 'update', '-q'], log)
                if run(['apt-get', 'install', '-y', '-q', 'debootstrap'], log) != 0:
                    raise MatrixError('cannot install debootstrap (see %s)' % log)
        tmp = CHROOT + '.partial'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(CHROOT), exist_ok=True)
        if run(['debootstrap', '--variant=minbase', 'sid', tmp], log) != 0:
            raise MatrixError('cannot create the Debian sid chroot with debootstrap (no network '
                              'or no archive?) (see %s)' % log)
        os.rename(tmp, CHROOT)
    stamp = os.path.join(CHROOT, '.hpy-packages')
    wanted = ' '.join(PACKAGES)
    if not os.path.exists(stamp) or open(stamp).read() != wanted:
        shutil.copyfile('/etc/resolv.conf', os.path.join(CHROOT, 'etc', 'resolv.conf'))
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        if run([chroot_cmd(), CHROOT, 'apt-get', '-o', 'Acquire::Check-Valid-Until=false',
                'update', '-q'], log, env=env) != 0:
            raise MatrixError('apt-get update failed inside the chroot (see %s)' % log)
        if run([chroot_cmd(), CHROOT, 'apt-get', 'install', '-y', '-q', '--no-install-recommends']
               + PACKAGES, log, env=env) != 0:
            raise MatrixError('cannot install %s inside the chroot (see %s)' % (wanted, log))
        with open(stamp, 'w') as f:
            f.write(wanted)
    shutil.copyfile('/etc/resolv.conf', os.path.join(CHROOT, 'etc', 'resolv.conf'))


class Mounts:
    """/proc and /dev inside the chroot for the duration of the runs."""

    def __enter__(self):
        self.done = []
        for src, dest, args in [('proc', 'proc', ['-t', 'proc']), ('/dev', 'dev', ['--bind'])]:
            target = os.path.join(CHROOT, dest)
            if not os.path.ismount(target):
                subprocess.run(['mount'] + args + [src, target], check=True)
                self.done.append(target)
        return self

    def __exit__(self, *exc):
        for target in reversed(self.done):
            subprocess.run(['umount', '-l', target])


# ---------------------------------------------------------------------------------------------
# Sources, binaries, results

def tracked_files():
    out = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split('\0') if p]


SOURCE_SUFFIXES = ('.c', '.h', '.py', '.tsv', '.toml', '.cfg', '.md')
BUILD_WRITTEN = {os.path.join('hpy', 'devel', 'version.py'),
                 os.path.join('hpy', 'devel', 'include', 'hpy', 'version.h')}


def sync_sources(dest):
    """Make dest's sources those tracked by the project, leaving build outputs there alone."""
    files = tracked_files()
    tracked = set(files)
    for root, dirs, names in os.walk(dest):
        dirs[:] = [d for d in dirs if d not in ('build', '__pycache__', '.git')
                   and not d.endswith('.egg-info')]
        for name in names:
            rel = os.path.relpath(os.path.join(root, name), dest)
            if (name.endswith(SOURCE_SUFFIXES) and rel not in tracked
                    and rel not in BUILD_WRITTEN):
                os.remove(os.path.join(root, name))
    for rel in files:
        src = os.path.join(ROOT, rel)
        dst = os.path.join(dest, rel)
        if not os.path.isfile(src):
            continue
        if os.path.exists(dst) and filecmp(src, dst):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def filecmp(a, b):
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        return fa.read() == fb.read()


def hash_binaries(directory):
    """The universal binaries (the other interpreters add their own cpython and hybrid ones)."""
    result = {}
    for name in sorted(n for n in os.listdir(directory) if n.endswith(UNIVERSAL_SUFFIX)):
        with open(os.path.join(directory, name), 'rb') as f:
            result[name] = hashlib.sha256(f.read()).hexdigest()
    return result


def summarize(results_file):
    """{column: [passed, failed, skipped]} from the suite's per-test results."""
    with open(results_file) as f:
        records = json.load(f)
    table = {c: [0, 0, 0] for c in ABI_COLUMNS}
    for rec in records:
        col = rec['abi'] if rec['abi'] in table else 'other'
        idx = {'passed': 0, 'failed': 1, 'skipped': 2}[rec['outcome']]
        table[col][idx] += 1
    return table


PYTEST_OPTIONS = ['-q', '-n', '2', '-p', 'no:cacheprovider', 'tests']
# tests that need the host's environment: run by `make test` on the host, not by the matrix
# (the packaging tests run setup.py and pip against the host's setuptools and packaging; on the
# other interpreters the wheel leg installs and tests a universal wheel instead), and the test of
# the bench runner's concurrent runs (a tool's behaviour, three minutes of builds)
HOST_ONLY = ['tests/test_cython_*.py', 'tests/test_packaging.py', 'tests/test_pytest_plugin.py',
             'tests/test_bench_runner.py']
HOST_ONLY_OPTIONS = ['--ignore-glob=' + g for g in HOST_ONLY]


UNIVERSAL_SUFFIX = '.hpy0.so'


def host_only(nodeid):
    return any(fnmatch.fnmatch(nodeid.split('::')[0], g) for g in HOST_ONLY)


def run_host(binaries, results_dir, log):
    """The host interpreter (3.11) provides every universal test binary: from the record of
    `make test` when it ran on these sources (tools/suite_record.py), else from a run here.
    (version, exit status, results file, where they came from)"""
    results = os.path.join(results_dir, 'host.json')
    py = os.path.join(ROOT, '.venv', 'bin', 'python')
    version = subprocess.run([py, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                             capture_output=True, text=True).stdout.strip()
    record = suite_record.current(py)
    if record is not None:
        directory, status = record
        for name in os.listdir(suite_record.BINARIES):
            if name.endswith(UNIVERSAL_SUFFIX):
                shutil.copy2(os.path.join(suite_record.BINARIES, name), binaries)
        with open(os.path.join(directory, 'results.json')) as f:
            records = [r for r in json.load(f) if not host_only(r['test'])]
        with open(results, 'w') as f:
            json.dump(records, f)
        return version, status, results, '`make test` on these sources'
    if run(['make', '-C', ROOT, 'build'], log) != 0:
        raise MatrixError('make build failed on the host (see %s)' % log)
    env = dict(os.environ, HPY_TEST_BINARY_CACHE=binaries, HPY_TEST_BINARY_CACHE_MODE='write',
               HPY_TEST_RESULTS=results)
    rc = run([py, '-m', 'pytest'] + PYTEST_OPTIONS + HOST_ONLY_OPTIONS, log,
             cwd=ROOT, env=env)
    return version, rc, results, 'run here'


# Python packages the suite needs (pure Python), installed once from the host, which has the
# package index configured; the chroot itself never needs the network for them.
PYDEPS = ['pytest', 'pytest-xdist', 'setuptools', 'wheel']

# The Cython route (tests/test_cython_*.py) is tested by `make test` on the host only for now:
# stock Cython's C (the reference the tests compare with) raises other overflow texts on 3.13+,
# and the census tool builds against the host's environment. Printed with the table.


def ensure_pydeps(log):
    target = host_path(INSIDE + '/pydeps')
    stamp = target + '.stamp'
    if os.path.exists(stamp) and open(stamp).read() == ' '.join(PYDEPS):
        return
    shutil.rmtree(target, ignore_errors=True)
    pip = os.path.join(ROOT, '.venv', 'bin', 'pip')
    if run([pip, 'install', '-q', '--target', target] + PYDEPS, log) != 0:
        raise MatrixError('cannot download %s from the package index (see %s)'
                          % (', '.join(PYDEPS), log))
    with open(stamp, 'w') as f:
        f.write(' '.join(PYDEPS))


SCRIPT = '''set -e
cd {work}/src
if [ ! -x {work}/venv/bin/python ]; then
    rm -rf {work}/venv {work}/.installed
    {python} -m venv {work}/venv
    purelib=$({work}/venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    echo {inside}/pydeps > "$purelib/hpy-matrix-deps.pth"
fi
if [ ! -f {work}/.installed ]; then
    {work}/venv/bin/pip install -q --no-index --no-deps --no-build-isolation \\
        --config-settings editable_mode=compat -e .
    touch {work}/.installed
fi
# --force: sync_sources keeps the host's modification times, so a file changed on the host
# between a sync and the build may look older than the runtime built from its previous content.
{work}/venv/bin/python setup.py -q build_ext --inplace --force
export HPY_TEST_BINARY_CACHE={inside}/binaries HPY_TEST_BINARY_CACHE_MODE=read
export HPY_TEST_RESULTS={inside}/results/{label}.json
exec {work}/venv/bin/python -m pytest {options}
'''


def run_interpreter(label, python, extra, log):
    work = '%s/%s' % (INSIDE, label)
    os.makedirs(host_path(work + '/src'), exist_ok=True)
    sync_sources(host_path(work + '/src'))
    script = host_path('%s/run-%s.sh' % (INSIDE, label))
    with open(script, 'w') as f:
        f.write(SCRIPT.format(work=work, python=python, inside=INSIDE, label=label,
                              options=' '.join(PYTEST_OPTIONS + extra +
                                               HOST_ONLY_OPTIONS)))
    results = host_path('%s/results/%s.json' % (INSIDE, label))
    if os.path.exists(results):
        os.remove(results)
    env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': '/root', 'LANG': 'C.UTF-8',
           'TMPDIR': '/tmp'}
    rc = run([chroot_cmd(), CHROOT, '/bin/sh', '%s/run-%s.sh' % (INSIDE, label)], log, env=env)
    return rc, results


def print_table(rows):
    cells = []
    for label, table, status in rows:
        row = [label]
        for c in ABI_COLUMNS:
            if table is None:
                row.append('not run')
                continue
            passed, failed, skipped = table[c]
            cell = '%d passed' % passed
            if failed:
                cell += ', %d FAILED' % failed
            if skipped:
                cell += ', %d skipped' % skipped
            row.append(cell)
        row.append(status)
        cells.append(row)
    head = ['interpreter'] + ABI_COLUMNS + ['result']
    widths = [max(len(r[i]) for r in cells + [head]) for i in range(len(head))]
    line = lambda r: '  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    print(line(head))
    print(line(['-' * w for w in widths]))
    for r in cells:
        print(line(r))


def run_suite(interpreters, log):
    """The suite on the host, then on every interpreter against the host's universal binaries:
    (rows, ok, number of binaries)."""
    area = host_path(INSIDE)
    rows = []
    ok = True
    binaries = os.path.join(area, 'binaries')
    results_dir = os.path.join(area, 'results')
    shutil.rmtree(binaries, ignore_errors=True)
    os.makedirs(binaries)
    os.makedirs(results_dir, exist_ok=True)

    version, rc, results, origin = run_host(binaries, results_dir, log)
    print('host results: %s' % origin)
    before = hash_binaries(binaries)
    if not before:
        raise MatrixError('the host run built no universal binary (see %s)' % log)
    rows.append(('%s (host)' % version, summarize(results) if os.path.exists(results)
                 else None, 'ok' if rc == 0 else 'FAILED'))
    ok &= rc == 0

    ensure_pydeps(log)
    with Mounts():
        for label, python, extra in interpreters:
            start = time.monotonic()
            rc, results = run_interpreter(label, python, extra, log)
            took = ' (%.0f s)' % (time.monotonic() - start)
            if not os.path.exists(results):
                rows.append((label, None, 'NOT RUN' + took))
                ok = False
                continue
            rows.append((label, summarize(results), ('ok' if rc == 0 else 'FAILED') + took))
            ok &= rc == 0

    after = hash_binaries(binaries)
    if after != before:
        changed = sorted(set(before.items()) ^ set(after.items()))
        raise MatrixError('universal binaries changed between interpreters: %s'
                          % ', '.join(sorted({c[0] for c in changed})))
    return rows, ok, len(before)


WHEEL_AREA = INSIDE + '/wheel'


def run_wheel_leg(interpreters, log):
    """tools/matrix_wheel.py: one wheel of examples/package, built on the host, installed and
    tested on the host and every interpreter. (rows, ok, wheel name, seconds)"""
    start = time.monotonic()
    area = host_path(WHEEL_AREA)
    os.makedirs(os.path.join(area, 'results'), exist_ok=True)
    try:
        example_wheel, binary_sha = matrix_wheel.build_example_wheel(area, run, log)
        sdist_key = matrix_wheel.stage(area)
    except matrix_wheel.WheelLegError as e:
        raise MatrixError(str(e))
    ensure_pydeps(log)
    host_python = getattr(sys, '_base_executable', sys.executable)
    version = '%d.%d' % sys.version_info[:2]
    rows = []
    ok = True
    binary = matrix_wheel.run_host(area, host_python, host_path(INSIDE + '/pydeps'),
                                   example_wheel, log)
    cells, good = matrix_wheel.outcome(area, 'host', binary, binary_sha)
    rows.append(['%s (host)' % version] + cells + ['ok' if good else 'FAILED'])
    ok &= good
    def one(interpreter):
        label, python, _ = interpreter
        return matrix_wheel.run_chroot(chroot_cmd(), CHROOT, WHEEL_AREA, label, python,
                                       example_wheel, sdist_key, log)

    with Mounts():
        # two at a time (the machine has two cores): building our runtime is most of the time
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            binaries = list(pool.map(one, interpreters))
    for (label, _, _), binary in zip(interpreters, binaries):
        cells, good = matrix_wheel.outcome(area, label, binary, binary_sha)
        rows.append([label] + cells + ['ok' if good else 'FAILED'])
        ok &= good
    return rows, ok, os.path.basename(example_wheel), time.monotonic() - start


def print_wheel_table(rows):
    head = ['interpreter', 'tests', 'tests (HPY=debug)', 'installed binary', 'result']
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: '  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    print(line(head))
    print(line(['-' * w for w in widths]))
    for r in rows:
        print(line(r))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', help='comma-separated interpreter labels (e.g. 3.13,3.14d)')
    parser.add_argument('--wheel-only', action='store_true',
                        help='only the universal-wheel leg (tools/matrix_wheel.py)')
    args = parser.parse_args()
    interpreters = INTERPRETERS
    if args.only:
        wanted = args.only.split(',')
        interpreters = [i for i in INTERPRETERS if i[0] in wanted]

    if os.geteuid() != 0:
        print('test-matrix: needs root to create and enter the chroot at %s' % CHROOT)
        return 1
    log = os.path.join(ROOT, 'build', 'test-matrix.log')
    os.makedirs(os.path.dirname(log), exist_ok=True)
    open(log, 'w').close()
    rows = []
    ok = True
    try:
        ensure_chroot(log)
        if not args.wheel_only:
            rows, ok, n_binaries = run_suite(interpreters, log)
        wheel_rows, wheel_ok, wheel_name, seconds = run_wheel_leg(interpreters, log)
        ok &= wheel_ok
    except MatrixError as e:
        print('test-matrix: %s' % e)
        if rows:
            print_table(rows)
        return 1
    except subprocess.CalledProcessError as e:
        print('test-matrix: %s failed (see %s)' % (' '.join(e.cmd), log))
        return 1
    if not args.wheel_only:
        print('universal test binaries: %d, built once on the host, identical (sha256) after '
              'every interpreter' % n_binaries)
        print_table(rows)
        print('%s: not in the matrix; `make test` runs them on the host (see HOST_ONLY in '
              'tools/test_matrix.py)' % ', '.join(HOST_ONLY))
        print('3.14d: --refleaks repeats the tests of the cpython, universal, hybrid and debug '
              'ABIs')
        print()
    print('%s (examples/package), built once on the host, installed with pip on every '
          'interpreter with our runtime (host: dist/\'s wheel; others: built from our sdist), '
          'its tests run as they are and with HPY=debug (%.0f s):' % (wheel_name, seconds))
    print_wheel_table(wheel_rows)
    print('(log: %s)' % log)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
