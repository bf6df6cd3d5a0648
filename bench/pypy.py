#!/usr/bin/env python3
"""The benchmark module on PyPy (`make bench-pypy`, run inside the matrix chroot by
tools/bench_pypy.py): the same rows as bench/run.py's main suite, timed side by side in one PyPy
process for three variants of the module:

    pure Python     bench/pure_bench.py, compiled by PyPy's JIT (the baseline)
    C API (cpyext)  capi_bench.c built for PyPy and run through its C-API emulation
    HPy universal   hpy_bench.hpy0.so built on the host (CPython), loaded by our runtime

Ratios are printed to pure Python, then HPy universal to the C API; CPU time, interleaved
repeats and spreads as in bench/run.py (bench/_timing.py), except that each variant is warmed up
first and keeps its timer (its compiled loop) across the repeats.

    bench/pypy.py --universal PATH/hpy_bench.hpy0.so [--repeat N] [--target-time S] [--json F]
"""
import argparse
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _timing  # noqa: E402
import pure_bench  # noqa: E402
import run  # noqa: E402  (bench/run.py: rows, namespace, loading, timing of a row)


def make_columns():
    return [
        run.Column('python', 'pure Python', 'python'),
        run.Column('capi', 'C API (cpyext)', 'capi'),
        run.Column('universal', 'HPy universal', 'universal', mode=0),
    ]


def time_row(title, func, stmt, columns, ns, args, setup, check):
    """bench/run.py's run_row, for a JIT: the same timers in every repeat (fresh code objects
    would be traced and compiled again in each), each warmed up first."""
    run.check_results(title, func, stmt, columns, ns, setup, check)
    namespaces = [run.column_namespace(ns, col, func, setup) for col in columns]
    timers = [_timing.make_timer(stmt, g, 'thread') for g in namespaces]
    for timer in timers:
        timer.timeit(_timing.calibrate(timer, args.warmup))
    _, times = _timing.time_interleaved(lambda: timers, [c.key for c in columns], args.repeat,
                                        args.target_time, args.max_repeat,
                                        _timing.precise_enough('python'))
    return times


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--universal', required=True, help='hpy_bench.hpy0.so built on the host')
    p.add_argument('--repeat', type=int, default=20)
    p.add_argument('--max-repeat', type=int, default=60)
    p.add_argument('--target-time', type=float, default=0.02)
    p.add_argument('--warmup', type=float, default=0.2,
                   help='CPU seconds each variant of a row runs before it is timed (the JIT)')
    p.add_argument('--filter', default=None)
    p.add_argument('--json', metavar='FILE')
    args = p.parse_args(argv)
    if platform.python_implementation() != 'PyPy':
        p.error('runs on PyPy (make bench-pypy)')

    main_suite = run.SUITES[0]
    run.SUITES[:] = [main_suite]          # the array and symx suites have no pure-Python twin
    paths = run.build_with_gcc(['capi'], False, False)
    columns = make_columns()
    run_dir = run.make_run_dir()
    columns[0].modules[main_suite.key] = pure_bench
    columns[1].modules[main_suite.key] = run.load_column(
        columns[1], main_suite.capi_name, paths['capi'][main_suite.key], run_dir)
    columns[2].modules[main_suite.key] = run.load_column(
        columns[2], main_suite.hpy_name, args.universal, run_dir)
    ns = run.make_namespace()
    rows = [r for r in run.ROWS if ':' not in r[1]
            and (not args.filter or args.filter in r[0])]
    print('%s, %s; the universal binary: %s (built on the host)'
          % (sys.version.split('\n')[0], platform.python_implementation(),
             os.path.basename(args.universal)))
    keys = [c.key for c in columns]
    by_python, by_capi = [], []
    for row in rows:
        title, func, stmt = row[:3]
        setup = row[3] if len(row) > 3 else None
        check = row[4] if len(row) > 4 else None
        times = time_row(title, func, stmt, columns, ns, args, setup, check)
        by_python.append({'name': title, 'results': _timing.ratio_stats(times, 'python')})
        stats = _timing.ratio_stats({k: times[k] for k in ('capi', 'universal')}, 'capi')
        by_capi.append({'name': title, 'results': stats})
        sys.stdout.write('.')
        sys.stdout.flush()
    print()
    print('== ratios to pure Python (PyPy JIT)')
    _timing.print_table(columns, by_python)
    print()
    print('== HPy universal to the C API, both through PyPy\'s cpyext')
    _timing.print_table(columns[1:], by_capi)
    if args.json:
        _timing.write_json(args.json, {'columns': keys, 'by_python': by_python,
                                       'by_capi': by_capi})
    return 0


if __name__ == '__main__':
    sys.exit(main())
