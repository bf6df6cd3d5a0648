#!/usr/bin/env python3
"""`make test-valgrind`: a representative subset of the C-level tests under valgrind memcheck.

The normal build (`make build`) runs under memcheck with PYTHONMALLOC=malloc, so that objects
are malloc blocks memcheck follows, in the cpython, universal and debug ABIs; pytest-xdist workers
are traced, the compilers they start are not. CPython's own noise is suppressed by
tools/valgrind-python.supp. The target fails on
  - any invalid read, write or free, and any overlapping copy, wherever it happens;
  - a definite leak, or a use of an uninitialised value, with an HPy frame in its stack (the
    runtime, a test module, or a function named HPy*/_HPy*/hpy*/ctx_*): CPython leaks at exit
    by design.
Memcheck writes one XML file per process in build/valgrind/; the errors are read from there.

    python tools/test_valgrind.py [-n WORKERS] [test files...]   (default: TEST_FILES)
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = os.path.join(ROOT, 'build', 'valgrind')
SUPP = os.path.join(ROOT, 'tools', 'valgrind-python.supp')
EXCLUDE_ABIS = 'hybrid,hybrid-debug,trace,universal-dispatch'
# Handles, containers and their builders, errors (the runtime's core), the helpers that build
# objects (argument parsing is left to test-sanitize and the fuzzer: 400 tests) and the debug
# context's checks: about 170 tests, within 5 minutes on two busy cores.
TEST_FILES = ['test_handles.py', 'test_containers.py', 'test_err.py', 'test_buildvalue.py',
              'test_format.py', 'test_structseq.py', 'test_debug_context.py']
ANYWHERE = ('InvalidRead', 'InvalidWrite', 'InvalidFree', 'MismatchedFree', 'Overlap',
            'InvalidJump', 'SyscallParam')
WITH_HPY_FRAME = ('Leak_DefinitelyLost', 'UninitCondition', 'UninitValue')
HPY_FUNCTIONS = re.compile(r'^(HPy|_HPy|hpy|ctx_)')


def ensure_valgrind():
    if shutil.which('valgrind'):
        return
    if os.geteuid() != 0:
        raise SystemExit('make test-valgrind needs valgrind: apt-get install valgrind')
    print('installing valgrind (Debian package)')
    subprocess.run(['apt-get', 'update', '-q'], check=True)
    subprocess.run(['apt-get', 'install', '-y', '-q', 'valgrind'], check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'))


def is_hpy_frame(frame):
    fn = frame.findtext('fn') or ''
    obj = frame.findtext('obj') or ''
    name = os.path.basename(obj)
    return (HPY_FUNCTIONS.match(fn) is not None or name.startswith(('universal.', 'm_'))
            or '/hpy/' in obj)


def errors_in(path):
    """The error records of one XML file (a process that exec'd leaves a truncated file: each
    record is read on its own)."""
    with open(path, errors='replace') as f:
        text = f.read()
    for block in re.findall(r'<error>.*?</error>', text, re.S):
        yield ET.fromstring(block)


def describe(err):
    lines = ['%s: %s' % (err.findtext('kind'),
                         err.findtext('what') or err.findtext('xwhat/text') or '')]
    for frame in err.find('stack').findall('frame')[:15]:
        lines.append('    %s %s:%s (%s)' % (frame.findtext('fn') or '?',
                                             frame.findtext('file') or '',
                                             frame.findtext('line') or '',
                                             os.path.basename(frame.findtext('obj') or '')))
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-n', default='2', help='pytest-xdist workers')
    parser.add_argument('files', nargs='*')
    args = parser.parse_args()
    ensure_valgrind()
    started = time.time()
    logs = os.path.join(BASE, 'logs')
    shutil.rmtree(logs, ignore_errors=True)
    os.makedirs(logs)
    binaries = os.path.join(BASE, 'test-binaries')
    os.makedirs(binaries, exist_ok=True)
    env = dict(os.environ, PYTHONMALLOC='malloc', HPY_TEST_EXCLUDE_ABIS=EXCLUDE_ABIS,
               HPY_TEST_BINARY_CACHE=binaries, HPY_TEST_BINARY_CACHE_MODE='write')
    env.pop('HPY_TEST_CFLAGS', None)
    files = [os.path.join(ROOT, 'tests', f) for f in (args.files or TEST_FILES)]
    cmd = ['valgrind', '--tool=memcheck', '--suppressions=' + SUPP, '--num-callers=40',
           '--leak-check=full', '--show-leak-kinds=definite', '--trace-children=yes',
           # the compilers the tests start are not ours to check
           '--trace-children-skip=*gcc*,*g++*,*cc1*,*/as,*/ld,*collect2*,*/cc,*/c++',
           '--xml=yes', '--xml-file=' + os.path.join(logs, 'memcheck.%p.xml'),
           sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider']
    if args.n not in ('0', ''):
        cmd += ['-n', args.n]
    rc = subprocess.run(cmd + files, cwd=ROOT, env=env).returncode
    found = []
    for path in sorted(glob.glob(os.path.join(logs, '*.xml'))):
        for err in errors_in(path):
            kind = err.findtext('kind')
            frames = err.find('stack').findall('frame')
            if kind in ANYWHERE or (kind in WITH_HPY_FRAME and any(map(is_hpy_frame, frames))):
                found.append(describe(err))
    for text in found:
        sys.stderr.write(text + '\n\n')
    print('test-valgrind: %.0f s, %d error(s) in HPy code or invalid accesses'
          % (time.time() - started, len(found)))
    return 1 if found else rc


if __name__ == '__main__':
    sys.exit(main())
