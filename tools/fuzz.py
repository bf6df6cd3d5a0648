#!/usr/bin/env python3
"""`make fuzz`: libFuzzer on HPyArg_Parse, HPyArg_ParseKeywords, HPy_BuildValue and
HPyUnicode_FromFormat (fuzz/hpy_fuzz_module.c), inside CPython with our runtime.

Everything is built with clang, -fsanitize=address,undefined and libFuzzer's coverage
instrumentation: the runtime and the helper libraries (tools/instrumented_build.py, in
build/fuzz/tree), the target module (hybrid ABI, loaded in debug mode) and the driver
(fuzz/driver.c, which embeds libpython). Then:
  1. every input of fuzz/regressions/ (past findings) runs once and must pass;
  2. libFuzzer runs for FUZZ_SECONDS (default 60) from the seed corpus fuzz/corpus/ and the
     corpus it grew before (build/fuzz/corpus/, kept);
  3. a crash is minimized into build/fuzz/crashes/minimized-<name>, to be added to
     fuzz/regressions/ once fixed (with a test of the fix in tests/).
build/fuzz/runs.log keeps one line per run with the number of inputs executed, and the total.

    python tools/fuzz.py [--seconds N] [--no-build] [-- libFuzzer options]
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time

import instrumented_build

ROOT = instrumented_build.ROOT
BASE = os.path.join(ROOT, 'build', 'fuzz')
FUZZ = os.path.join(ROOT, 'fuzz')
SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all',
            '-fno-omit-frame-pointer', '-g']
RUNTIME_FLAGS = SANITIZE + ['-fsanitize=fuzzer-no-link']
DRIVER = os.path.join(BASE, 'hpy_fuzz')


def _module_path():
    # the loader reads the ABI from the file name
    from hpy.devel import abitag
    return os.path.join(BASE, 'hpy_fuzz_module' + abitag.get_hpy_ext_suffix('hybrid'))


MODULE = _module_path()


def ensure_clang():
    """clang and its libFuzzer (Debian's clang and libclang-rt-dev) are installed if missing."""
    def has_fuzzer():
        if shutil.which('clang') is None:
            return False
        lib = subprocess.run(['clang', '--print-file-name=libclang_rt.fuzzer-x86_64.a'],
                             capture_output=True, text=True).stdout.strip()
        if os.path.isabs(lib) and os.path.exists(lib):
            return True
        res = subprocess.run(['clang', '--print-runtime-dir'], capture_output=True, text=True)
        return os.path.exists(os.path.join(res.stdout.strip(), 'libclang_rt.fuzzer-x86_64.a'))
    if has_fuzzer():
        return
    if os.geteuid() != 0:
        raise SystemExit('make fuzz needs clang with libFuzzer: apt-get install clang '
                         'libclang-rt-dev (or libclang-rt-14-dev)')
    print('installing clang and libFuzzer (Debian packages)')
    subprocess.run(['apt-get', 'update', '-q'], check=True)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    version = subprocess.run(['apt-cache', 'depends', 'clang'], capture_output=True,
                             text=True).stdout
    m = re.search(r'clang-(\d+)', version)
    rt = 'libclang-rt-%s-dev' % m.group(1) if m else 'libclang-rt-dev'
    subprocess.run(['apt-get', 'install', '-y', '-q', 'clang', rt], check=True, env=env)
    if not has_fuzzer():
        raise SystemExit('clang has no libFuzzer after installing %s' % rt)


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.stderr.write(' '.join(cmd) + '\n' + res.stdout + res.stderr)
        raise SystemExit('build step failed')


def build():
    ensure_clang()
    os.makedirs(BASE, exist_ok=True)
    tree = instrumented_build.build('fuzz', 'clang', RUNTIME_FLAGS, SANITIZE,
                                    log=os.path.join(BASE, 'build.log'))
    include = os.path.join(tree, 'hpy', 'devel', 'include')
    py_include = sysconfig.get_paths()['include']
    lib = glob.glob(os.path.join(tree, 'hpy', 'devel', 'lib', 'hybrid', '*.a'))
    run(['clang', '-shared', '-fPIC', '-O1', '-Wall', '-Wextra', '-Werror'] + RUNTIME_FLAGS +
        ['-DHPY', '-DHPY_ABI_HYBRID', '-I' + include, '-I' + py_include,
         os.path.join(FUZZ, 'hpy_fuzz_module.c')] + lib + ['-o', MODULE])
    libdir = sysconfig.get_config_var('LIBDIR')
    ldlib = sysconfig.get_config_var('LDLIBRARY') or ''
    if not ldlib.endswith('.so'):
        raise SystemExit('the fuzz driver embeds a shared libpython; this interpreter has %r'
                         % ldlib)
    pylib = ldlib[len('lib'):-len('.so')]
    run(['clang', '-O1', '-Wall', '-Wextra', '-Werror'] + SANITIZE + ['-fsanitize=fuzzer',
         '-I' + py_include, os.path.join(FUZZ, 'driver.c'), '-L' + libdir, '-l' + pylib,
         '-Wl,-rpath,' + libdir, '-o', DRIVER])
    return tree


def fuzz_env(tree):
    env = dict(os.environ, HPY_FUZZ_PATH=tree + ':' + FUZZ, HPY_FUZZ_MODULE=MODULE,
               PYTHONMALLOC='malloc',
               # CPython frees little at exit. A format may ask for much memory (a width of
               # 2**31): allocations past 64 MiB fail (MemoryError, the NULL paths get fuzzed)
               # instead of taking seconds and gigabytes each
               ASAN_OPTIONS='detect_leaks=0:allocator_may_return_null=1:'
                            'max_allocation_size_mb=64',
               UBSAN_OPTIONS='print_stacktrace=1')
    env['PYTHONPATH'] = tree + ':' + FUZZ
    env.pop('LD_PRELOAD', None)
    return env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--seconds', type=int,
                        default=int(os.environ.get('FUZZ_SECONDS', '60')))
    parser.add_argument('--no-build', action='store_true')
    parser.add_argument('libfuzzer', nargs='*', help='more libFuzzer options')
    args = parser.parse_args()
    started = time.time()
    if args.no_build:
        tree = os.path.join(BASE, 'tree')
    else:
        tree = build()
    env = fuzz_env(tree)
    built = time.time()

    regressions = sorted(p for p in glob.glob(os.path.join(FUZZ, 'regressions', '*'))
                         if os.path.basename(p) != 'README')
    if regressions:
        res = subprocess.run([DRIVER] + regressions, env=env, capture_output=True, text=True)
        if res.returncode != 0:
            sys.stderr.write(res.stderr[-20000:])
            raise SystemExit('a past finding of fuzz/regressions/ fails again')
        print('fuzz: %d regression input(s) pass' % len(regressions))

    corpus = os.path.join(BASE, 'corpus')
    crashes = os.path.join(BASE, 'crashes')
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    before = set(os.listdir(crashes))
    cmd = [DRIVER, corpus, os.path.join(FUZZ, 'corpus'), '-max_total_time=%d' % args.seconds,
           '-max_len=600', '-timeout=20', '-rss_limit_mb=4096', '-print_final_stats=1',
           '-artifact_prefix=' + crashes + '/'] + args.libfuzzer
    log = os.path.join(BASE, 'last-run.log')
    with open(log, 'w') as f:
        rc = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    with open(log, errors='replace') as f:
        text = f.read()
    m = re.search(r'stat::number_of_executed_units:\s*(\d+)', text)
    runs = int(m.group(1)) if m else 0
    total = runs
    runs_log = os.path.join(BASE, 'runs.log')
    if os.path.exists(runs_log):
        with open(runs_log) as f:
            total += sum(int(line.split()[1]) for line in f if line.startswith('runs '))
    with open(runs_log, 'a') as f:
        f.write('runs %d seconds %d rc %d %s\n' % (runs, args.seconds, rc,
                                                  time.strftime('%Y-%m-%d %H:%M:%S')))
    new = sorted(set(os.listdir(crashes)) - before)
    print('fuzz: build %.0f s, %d inputs in %d s (%d in all runs so far), corpus %d files'
          % (built - started, runs, args.seconds, total, len(os.listdir(corpus))))
    if rc != 0 or new:
        sys.stderr.write(text[-20000:])
        for name in new:
            if name.startswith('minimized-'):
                continue
            path = os.path.join(crashes, name)
            small = os.path.join(crashes, 'minimized-' + name)
            subprocess.run([DRIVER, '-minimize_crash=1', '-runs=20000',
                            '-exact_artifact_path=' + small, path], env=env,
                           capture_output=True)
            print('fuzz: finding %s, minimized into %s' % (path, small))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
