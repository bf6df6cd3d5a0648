#!/usr/bin/env python3
"""`make test-sanitize`: C-level tests with AddressSanitizer and UndefinedBehaviorSanitizer.

The runtime, the static helper libraries (tools/instrumented_build.py, in build/sanitize/tree)
and every module the tests compile (HPY_TEST_CFLAGS) are built with
-fsanitize=address,undefined; the tests run with the ASan runtime preloaded into CPython (which
is not instrumented itself) and with PYTHONMALLOC=malloc, so that objects are ASan allocations
too. Any sanitizer report ends the process that hit it, so the test fails (a pytest-xdist
worker that dies fails its test). AddressSanitizer writes its reports under build/sanitize/reports/
and the target fails on any of them, also one from a subprocess whose test did not notice; UBSan
(whose runtime is part of libasan here) writes to stderr, which pytest leaves uncaptured at the
file-descriptor level (--capture=sys) so that the report of a process that died is seen.

    python tools/test_sanitize.py [-n WORKERS] [test files...]   (default: every C-level file)

Options (see docs/testing.md):
  detect_leaks=0               CPython frees little at exit: LeakSanitizer reports would all be its
  allocator_may_return_null=1  tests ask malloc for absurd sizes and expect a MemoryError
  -fno-sanitize-recover=all    an UBSan report is fatal like an ASan one
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import time

import instrumented_build

ROOT = instrumented_build.ROOT
BASE = os.path.join(ROOT, 'build', 'sanitize')
SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all',
            '-fno-omit-frame-pointer', '-g']
# The ABIs whose code differs: cpython (the CPython-ABI context), universal (the runtime) and
# debug (the debug context). hybrid, trace and universal-dispatch wrap the same code paths.
EXCLUDE_ABIS = 'hybrid,hybrid-debug,trace,universal-dispatch'
# The C-level test files (those that compile modules with `compile_module`), except those that
# test the build and packaging tooling rather than C code (they build through setuptools, pip or
# Cython, whose compilers do not take HPY_TEST_CFLAGS, or inspect the binaries' symbols).
NOT_C_LEVEL = {
    'test_abi_evolution.py', 'test_array_example.py', 'test_cython_flow.py', 'test_examples.py',
    'test_packaging.py', 'test_pytest_plugin.py', 'test_suite_record.py', 'test_symx.py',
}

# Tests whose subject ASan changes: freed memory stays in its quarantine, so the process's RSS
# grows by design (they run in `make test`).
DESELECT = [
    'test_type_gc.py::test_create_destroy_100k_keeps_rss_stable',
]


def default_test_files():
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'test_*.py'))):
        name = os.path.basename(path)
        with open(path) as f:
            if name not in NOT_C_LEVEL and 'compile_module' in f.read():
                found.append(name)
    return found


def sanitizer_env(reports):
    libasan = subprocess.run(['gcc', '-print-file-name=libasan.so'], capture_output=True,
                             text=True, check=True).stdout.strip()
    if not os.path.isabs(libasan):
        raise SystemExit('gcc has no AddressSanitizer runtime (libasan.so)')
    return {
        'LD_PRELOAD': libasan,
        # handle_segv=0: tests crash subprocesses on purpose and check what CPython's
        # faulthandler says, and the debug mode catches faults on its own protected pages
        'ASAN_OPTIONS': ':'.join(['detect_leaks=0', 'allocator_may_return_null=1',
                                  'handle_segv=0', 'halt_on_error=1',
                                  'log_path=' + os.path.join(reports, 'asan')]),
        'UBSAN_OPTIONS': ':'.join(['print_stacktrace=1', 'halt_on_error=1',
                                   'log_path=' + os.path.join(reports, 'ubsan')]),
        'PYTHONMALLOC': 'malloc',
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-n', default='2', help='pytest-xdist workers')
    parser.add_argument('files', nargs='*', help='test files (default: the chosen subset)')
    args = parser.parse_args()
    started = time.time()
    tree = instrumented_build.build('sanitize', 'gcc', SANITIZE, SANITIZE,
                                    log=os.path.join(BASE, 'build.log'))
    built = time.time()
    reports = os.path.join(BASE, 'reports')
    shutil.rmtree(reports, ignore_errors=True)
    os.makedirs(reports)
    binaries = os.path.join(BASE, 'test-binaries')
    os.makedirs(binaries, exist_ok=True)
    env = dict(os.environ, HPY_TEST_CFLAGS=' '.join(SANITIZE),
               HPY_TEST_EXCLUDE_ABIS=EXCLUDE_ABIS, HPY_TEST_BINARY_CACHE=binaries,
               HPY_TEST_BINARY_CACHE_MODE='write')
    env.update(sanitizer_env(reports))
    files = [os.path.join(ROOT, 'tests', f) for f in (args.files or default_test_files())]
    deselect = []
    for test in DESELECT:
        deselect += ['--deselect', 'tests/' + test]  # node ids are relative to --rootdir
    # run from the tree: the tree's `hpy` comes first on sys.path (in the xdist workers too)
    run_start = time.time() - 1
    rc = subprocess.run([sys.executable, '-m', 'pytest', '-n', args.n, '-q', '--capture=sys', '--rootdir', ROOT,
                         '-p', 'no:cacheprovider'] + deselect + files, cwd=tree,
                        env=env).returncode
    # a report is an ERROR; a warning (an absurd allocation refused) is not
    found = []
    for path in sorted(glob.glob(os.path.join(reports, '*'))):
        with open(path, errors='replace') as f:
            text = f.read()
        if 'ERROR: ' in text:
            found.append(path)
            sys.stderr.write('==== %s\n%s\n' % (os.path.relpath(path, ROOT), text))
    if rc == 0 and not args.files:
        # a whole run: the binaries it did not use are stale
        for name in os.listdir(binaries):
            path = os.path.join(binaries, name)
            if os.path.getmtime(path) < run_start:
                os.remove(path)
    print('test-sanitize: build %.0f s, tests %.0f s; %d sanitizer report(s)'
          % (built - started, time.time() - built, len(found)))
    if found:
        return 1
    return rc


if __name__ == '__main__':
    sys.exit(main())
