#!/usr/bin/env python3
"""One .pyx (bench/cython/cybench.pyx) compiled by stock Cython (C API) and by hpy.cython (HPy,
cpython and universal ABIs), loaded in this one process and timed side by side.

    bench/cython_bench.py                  # full run (~1 min)
    bench/cython_bench.py --quick          # smoke test (a few seconds plus the builds)
    bench/cython_bench.py --repeat 30 --json out.json

Times are CPU time of this thread (--clock), so other processes on the machine do not count,
per call of a function that does a fixed amount of work. The variants of a row are interleaved in
rotating order, `--repeat` times; a ratio is the median of the per-repeat ratios to stock Cython,
printed with its spread (bench/_timing.py, shared with bench/run.py). Building and loading reuse
bench/run.py: one build at a time in a checkout (its lock), private copies of the binaries.
"""
import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYX = os.path.join(HERE, 'cython', 'cybench.pyx')
NAME = 'cybench'


def _load_runner():
    spec = importlib.util.spec_from_file_location('bench_run', os.path.join(HERE, 'run.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()
_timing = runner._timing
BUILD_DIR = os.path.join(runner.BUILD_DIR, 'cython')


def make_columns():
    Column = runner.Column
    return [
        Column('cython', 'stock Cython', 'capi'),
        Column('cpython', 'HPy CPython ABI', 'cpython', target=1.10),
        Column('universal', 'HPy universal', 'universal', mode=0, target=1.20),
    ]


# (title, function of cybench.pyx, statement timed with `f` bound to it)
ROWS = [
    ('numeric loop (C int/double), 10^4', 'numeric', 'f(10000)'),
    ('cdef function calls, 10^4', 'call_cdef', 'f(10000)'),
    ('def function calls by name, 10^3', 'call_def', 'f(1000)'),
    ('def call from Python (2 C ints)', 'add_ints', 'f(1, 2)'),
    ('object arithmetic loop, 10^3', 'object_loop', 'f(1000)'),
    ('cdef class: new objects by __add__, 10^3', 'point_sum', 'f(1000)'),
    ('cdef class: C field reads, 10^4', 'point_fields', 'f(10000)'),
]


# --------------------------------------------------------------------------------------------
# Building: both compilers write C, gcc -O2 builds it (HPy: the flags of bench/run.py's gcc
# builder). A binary is rebuilt when its C text or the HPy static library changed.
# --------------------------------------------------------------------------------------------

def stock_cython_c(path):
    from Cython.Compiler.Main import CompilationOptions, default_options, compile as cy_compile
    options = CompilationOptions(default_options, output_file=path, language_level=3)
    result = cy_compile(PYX, options, full_module_name=NAME)
    if result.num_errors:
        raise runner.BuildError('stock Cython could not compile %s' % PYX)
    with open(path, encoding='utf-8') as f:
        return f.read()


def hpy_cython_c():
    from hpy.cython import compile_pyx
    return compile_pyx(PYX, module_name=NAME)


def _write_if_changed(path, text):
    try:
        with open(path, encoding='utf-8') as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    tmp = path + '.tmp%d' % os.getpid()
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def _compile(cmd, out, deps, force, verbose):
    if not force and os.path.exists(out) and \
            os.path.getmtime(out) >= max(os.path.getmtime(p) for p in deps):
        return
    # a new file renamed over the old one: a running benchmark may have the old one mapped
    tmp = out + '.tmp%d' % os.getpid()
    cmd = cmd + ['-o', tmp]
    if verbose:
        print(' '.join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise runner.BuildError('%s\n%s%s' % (' '.join(cmd), res.stdout, res.stderr))
    os.replace(tmp, out)


def build(binaries, force, verbose):
    """{binary ('capi' or an HPy ABI): path of the built module}."""
    from hpy.devel import HPyDevel
    from hpy.devel.abitag import get_hpy_ext_suffix
    devel = HPyDevel()
    include = str(devel.include_dir)
    forbid = str(devel.get_include_dir_forbid_python_h())
    py_include = sysconfig.get_paths()['include']
    common = ['gcc', '-shared', '-fPIC', '-O2']
    paths = {}
    with runner.build_lock():
        os.makedirs(BUILD_DIR, exist_ok=True)
        if 'capi' in binaries:
            c_file = os.path.join(BUILD_DIR, 'stock', NAME + '.c')
            os.makedirs(os.path.dirname(c_file), exist_ok=True)
            # Cython writes its C file itself; keep the old one (and its mtime) if unchanged
            fresh = c_file + '.new'
            _write_if_changed(c_file, stock_cython_c(fresh))
            os.unlink(fresh)
            out = os.path.join(BUILD_DIR, 'stock', NAME + sysconfig.get_config_var('EXT_SUFFIX'))
            _compile(common + ['-I' + py_include, c_file], out, [c_file], force, verbose)
            paths['capi'] = out
        hpy_abis = [b for b in binaries if b != 'capi']
        if hpy_abis:
            c_file = os.path.join(BUILD_DIR, 'hpy', NAME + '.c')
            os.makedirs(os.path.dirname(c_file), exist_ok=True)
            _write_if_changed(c_file, hpy_cython_c())
        for abi in hpy_abis:
            libs = devel.get_static_libs(abi)
            if not libs or len(libs) != 1:
                raise runner.BuildError('hpy/devel/lib/%s must hold one static library (run '
                                        'make build): %r' % (abi, libs))
            flags = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-DHPY']
            if abi == 'universal':
                flags += ['-DHPY_ABI_UNIVERSAL', '-I' + forbid, '-I' + include]
            elif abi == 'hybrid':
                flags += ['-DHPY_ABI_HYBRID', '-I' + include, '-I' + py_include]
            else:
                flags += ['-DHPY_ABI_CPYTHON', '-I' + include, '-I' + py_include]
            out = os.path.join(BUILD_DIR, 'hpy', abi, NAME + get_hpy_ext_suffix(abi))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            _compile(common + flags + [c_file, libs[0]], out, [c_file, libs[0]], force, verbose)
            paths[abi] = out
    return paths


def load(columns, paths):
    run_dir = runner.make_run_dir()
    for col in columns:
        try:
            col.modules[runner.MAIN_SUITE] = runner.load_column(col, NAME, paths[col.binary],
                                                                run_dir)
            col.paths[runner.MAIN_SUITE] = paths[col.binary]
        except Exception as e:
            col.error = '%s: %s' % (type(e).__name__, e)


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------

def run_row(title, func, stmt, cols, timing):
    """timing: (clock, repeat, max_repeat, target_time, base key, versus)."""
    return runner.run_row(title, func, stmt, cols, {}, timing)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='2 repeats of ~5 ms (smoke test)')
    p.add_argument('--repeat', type=int, default=None, help='timing runs per variant, at '
                   'least (default 15)')
    p.add_argument('--max-repeat', type=int, default=None,
                   help='while a ratio is noisier than +-%.2f, more repeats, up to this many '
                   '(default 60)' % _timing.NOISE_LIMIT)
    p.add_argument('--target-time', type=float, default=None,
                   help='CPU seconds per timing run (default 0.05)')
    p.add_argument('--clock', choices=sorted(_timing.CLOCKS), default=_timing.DEFAULT_CLOCK,
                   help='what a time is: CPU time of this thread (default), of the process, '
                   'or wall time')
    p.add_argument('--filter', default=None, help='only the rows whose title or function '
                   'contains this text')
    p.add_argument('--json', metavar='FILE', help='write the raw numbers to FILE')
    p.add_argument('--rebuild', action='store_true', help='rebuild even if up to date')
    p.add_argument('-v', '--verbose', action='store_true')
    args = p.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 15)
    max_repeat = max(repeat, args.max_repeat or (repeat if args.quick else 60))
    target_time = args.target_time or (0.005 if args.quick else 0.05)
    if repeat < 1 or target_time <= 0:
        p.error('--repeat and --target-time must be positive')
    rows = [r for r in ROWS if not args.filter or args.filter in r[0] or args.filter in r[1]]
    if not rows:
        p.error('no row matches --filter %r' % args.filter)

    t0 = time.perf_counter()
    columns = make_columns()
    paths = build([c.binary for c in columns], args.rebuild, args.verbose)
    load(columns, paths)
    if columns[0].error:
        sys.exit('cannot load the stock Cython module: %s' % columns[0].error)
    active = [c for c in columns if not c.error]
    import Cython
    print('%s compiled by stock Cython %s (C API) and by hpy.cython -- Python %s on %s'
          % (os.path.relpath(PYX, ROOT), Cython.__version__, platform.python_version(),
             platform.machine()))
    print('gcc -O2; %d to %d repeats of ~%g s per variant (clock: %s), interleaved'
          % (repeat, max_repeat, target_time, args.clock))
    print()
    out_rows = []
    for title, func, stmt in rows:
        numbers, times = run_row(title, func, stmt, active, (args.clock, repeat, max_repeat,
                                                            target_time, active[0].key, None))
        out_rows.append({'name': title, 'func': func, 'stmt': stmt, 'numbers': numbers,
                         'results': _timing.ratio_stats(times, active[0].key)})
    noisy = _timing.print_table(columns, out_rows, goal_word='goal')
    elapsed = time.perf_counter() - t0
    print('total time: %.1f s' % elapsed)
    if args.json:
        data = {
            'python': sys.version, 'machine': platform.machine(), 'clock': args.clock,
            'noise_limit': _timing.NOISE_LIMIT, 'noisy_ratios': noisy,
            'cython': Cython.__version__, 'repeat': repeat, 'max_repeat': max_repeat,
            'target_time': target_time,
            'unit': 'CPU seconds per call',
            'columns': [{'key': c.key, 'title': c.title, 'binary': c.binary, 'mode': c.mode,
                         'target': c.target, 'path': paths.get(c.binary),
                         'available': not c.error, 'error': c.error} for c in columns],
            'rows': out_rows, 'elapsed_s': elapsed,
        }
        _timing.write_json(args.json, data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
