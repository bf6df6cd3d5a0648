#!/usr/bin/env python3
"""`make bench-pypy`: bench/pypy.py on PyPy in the matrix chroot. The universal hpy_bench module
is built on the host (bench/run.py's build), the C-API twin is built for PyPy in the chroot, the
pure-Python twin needs no build; our runtime is built for PyPy in the venv `make test-pypy`
uses (tools/test_pypy.py). Extra arguments go to bench/pypy.py (--repeat, --filter, --json ...).
Needs root. Not part of CI (timings)."""
import os
import shutil
import subprocess
import sys

import test_matrix
import test_pypy
from test_matrix import MatrixError, host_path

ROOT = test_matrix.ROOT
sys.path.insert(0, os.path.join(ROOT, 'bench'))
import run as bench_run  # noqa: E402  (bench/run.py)

SCRIPT = test_pypy.SETUP + '''cd {work}/src
exec {work}/venv/bin/python bench/pypy.py --universal {work}/bench/hpy_bench.hpy0.so {args}
'''


def main(argv):
    if os.geteuid() != 0:
        print('bench-pypy: needs root to enter the chroot at %s' % test_matrix.CHROOT)
        return 1
    log = os.path.join(ROOT, 'build', 'bench-pypy.log')
    os.makedirs(os.path.dirname(log), exist_ok=True)
    open(log, 'w').close()
    work = test_pypy.INSIDE
    try:
        test_matrix.ensure_chroot(log)
        test_matrix.ensure_pydeps(log)
        _, paths = bench_run.build(['universal'], 'auto', False, False)
        dest = host_path(work + '/bench')
        os.makedirs(dest, exist_ok=True)
        shutil.copy2(paths['universal']['bench'], os.path.join(dest, 'hpy_bench.hpy0.so'))
        os.makedirs(host_path(work + '/src'), exist_ok=True)
        test_matrix.sync_sources(host_path(work + '/src'))
        with open(host_path(work + '/run-bench.sh'), 'w') as f:
            f.write(SCRIPT.format(work=work, pypy=test_pypy.PYPY, pydeps=test_pypy.PYDEPS,
                                  args=' '.join("'%s'" % a for a in argv)))
        with test_matrix.Mounts():
            return subprocess.run([test_matrix.chroot_cmd(), test_matrix.CHROOT, '/bin/sh',
                                   work + '/run-bench.sh'], env=test_pypy.ENV).returncode
    except (MatrixError, bench_run.BuildError) as e:
        print('bench-pypy: %s' % e)
        return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
