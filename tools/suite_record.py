#!/usr/bin/env python3
"""The record of a whole run of the test suite, in build/test-run/, so that the targets run after
`make test` on the same sources (`make api-coverage`, the host leg of `make test-matrix`) use its
results instead of running the suite again.

    python tools/suite_record.py run [pytest options]   (what `make test` calls)
    python tools/suite_record.py files [N]   the N test files that took longest in the record

build/test-run/ holds:
    sources        a digest of the project's files and of the interpreter the run used
    results.json   each test's outcome and ABI (HPY_TEST_RESULTS, tests/conftest.py)
    calls/         the context functions each trace-mode test called (HPY_TEST_CALL_COUNTS)
    status         pytest's exit status, written last: a record without it is not used
and build/test-binaries/, the compiled test modules (HPY_TEST_BINARY_CACHE, tests/support.py),
kept between runs: its keys hold everything a binary is built from, and a run removes the
binaries it did not use.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORD = os.path.join(ROOT, 'build', 'test-run')
BINARIES = os.path.join(ROOT, 'build', 'test-binaries')


def sources_digest(python=None):
    """The project's files (tracked, and untracked unless ignored) and the interpreter; None
    outside a git work tree."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard'], cwd=ROOT,
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    h = hashlib.sha256()
    for rel in sorted(p for p in out.decode().split('\0') if p):
        path = os.path.join(ROOT, rel)
        if not os.path.isfile(path):
            continue  # deleted, not yet staged
        h.update(rel.encode() + b'\0')
        with open(path, 'rb') as f:
            h.update(hashlib.sha256(f.read()).digest())
    exe = python or sys.executable
    ident = subprocess.run([exe, '-c', 'import sys; print(sys.version, sys.prefix)'],
                           capture_output=True, text=True).stdout
    h.update(ident.encode())
    return h.hexdigest()


def current(python):
    """(record folder, pytest's exit status) of a complete run of the whole suite on these
    sources with this interpreter, or None."""
    try:
        with open(os.path.join(RECORD, 'sources')) as f:
            recorded = f.read().strip()
        with open(os.path.join(RECORD, 'status')) as f:
            status = int(f.read())
    except (OSError, ValueError):
        return None
    if recorded != sources_digest(python):
        return None
    return RECORD, status


def run(pytest_args):
    shutil.rmtree(RECORD, ignore_errors=True)
    os.makedirs(os.path.join(RECORD, 'calls'))
    os.makedirs(BINARIES, exist_ok=True)
    digest = sources_digest()
    started = time.time() - 1
    env = dict(os.environ, HPY_TEST_RESULTS=os.path.join(RECORD, 'results.json'),
               HPY_TEST_CALL_COUNTS=os.path.join(RECORD, 'calls'),
               HPY_TEST_BINARY_CACHE=BINARIES, HPY_TEST_BINARY_CACHE_MODE='write')
    rc = subprocess.run([sys.executable, '-m', 'pytest'] + pytest_args, cwd=ROOT,
                        env=env).returncode
    if rc == 0:  # a whole run: the binaries it used are the cache
        for name in os.listdir(BINARIES):
            path = os.path.join(BINARIES, name)
            if os.path.getmtime(path) < started:
                os.remove(path)
    if digest is not None and digest == sources_digest():
        with open(os.path.join(RECORD, 'sources'), 'w') as f:
            f.write(digest + '\n')
        with open(os.path.join(RECORD, 'status'), 'w') as f:
            f.write('%d\n' % rc)
    return rc


def files(limit):
    """Seconds per test file (all ABIs, setup and teardown included) in the last record."""
    import json
    with open(os.path.join(RECORD, 'results.json')) as f:
        records = json.load(f)
    per_file = {}
    for rec in records:
        name = rec['test'].split('::')[0]
        per_file[name] = per_file.get(name, 0.0) + rec.get('seconds', 0.0)
    total = sum(per_file.values())
    print('%8.1f s  all %d test files (summed over workers)' % (total, len(per_file)))
    for name, seconds in sorted(per_file.items(), key=lambda kv: -kv[1])[:limit]:
        print('%8.1f s  %s' % (seconds, name))
    return 0


def main(argv):
    if argv[:1] == ['run']:
        return run(argv[1:])
    if argv[:1] == ['files']:
        return files(int(argv[1]) if len(argv) > 1 else 20)
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
