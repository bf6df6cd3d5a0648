#!/usr/bin/env python3
"""HPy microbenchmarks: the same module written against the raw C API (capi_bench.c) and against
HPy (hpy_bench.c, built once per HPy ABI), all loaded in one process and timed side by side with
the same Python-level loop; each row is timed so in several fresh processes.

    bench/run.py                  # full run (a few minutes)
    bench/run.py --quick          # smoke test for CI (a few seconds, one process)
    bench/run.py --repeat 9 --json out.json

Times are CPU time of the timing thread (--clock), so other processes on a busy machine do not
count. The variants of a row are interleaved in rotating order, --repeat times per process, each
run calibrated to about --target-time seconds; a ratio is the median of the per-repeat ratios
HPy / C API of all processes (--processes, more while a row is noisy), printed with its spread,
and a run says when it is too noisy to use (bench/_timing.py, bench/README.md).
"""
import argparse
import atexit
import contextlib
import fcntl
import glob
import importlib.machinery
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import _timing  # noqa: E402  (bench/_timing.py)
ROOT = os.path.dirname(HERE)
BUILD_DIR = os.path.join(HERE, '_build')
CAPI_NAME = 'capi_bench'
HPY_NAME = 'hpy_bench'
CAPI_SRC = os.path.join(HERE, CAPI_NAME + '.c')
HPY_SRC = os.path.join(HERE, HPY_NAME + '.c')
HPY_ABIS = ('cpython', 'universal', 'hybrid')


class Suite:
    """A pair of modules doing the same job: one against the C API, one against HPy. Every
    column loads one module of each suite: the C-API one in the 'capi' column, the HPy one
    (built for the column's ABI) in the others. A row names its function as 'suite:name', or
    just 'name' in the main suite."""

    def __init__(self, key, capi_name, capi_src, hpy_name, hpy_src):
        self.key = key
        self.capi_name = capi_name
        self.capi_src = capi_src
        self.hpy_name = hpy_name
        self.hpy_src = hpy_src

    def name(self, binary):
        return self.capi_name if binary == 'capi' else self.hpy_name

    def src(self, binary):
        return self.capi_src if binary == 'capi' else self.hpy_src


SUITES = [
    Suite('bench', CAPI_NAME, CAPI_SRC, HPY_NAME, HPY_SRC),
    # examples/array itself against a C-API twin of it (float64 only)
    Suite('array', 'capi_array', os.path.join(HERE, 'capi_array.c'),
          'hpyarray', os.path.join(ROOT, 'examples', 'array', 'hpyarray.c')),
    # the real-style workload: a small symbolic-expression library written both ways
    Suite('symx', 'capi_symx', os.path.join(HERE, 'capi_symx.c'),
          'hpy_symx', os.path.join(HERE, 'hpy_symx.c')),
]
MAIN_SUITE = SUITES[0].key


# --------------------------------------------------------------------------------------------
# Columns: one per way of running the benchmark module. The first one is the baseline; every
# other column is reported as time and ratio to it. Adding a column (a new ABI or load mode) is
# one line here: `binary` names what to build ('capi' or an HPy ABI), `mode` is the mode passed
# to hpy.universal.load for universal/hybrid binaries, `target` the ratio the issue asks for,
# `versus` the column that ratio is to.
# A column that cannot be built or loaded (e.g. debug/trace modes raise SystemError today) is
# printed as "n/a" with the reason in a footnote.
# --------------------------------------------------------------------------------------------

class Column:
    def __init__(self, key, title, binary, mode=None, target=None, versus=None, sampling=None):
        self.key = key
        self.title = title
        self.binary = binary
        self.mode = mode
        # trace mode: hpy.trace.set_duration_sampling(sampling) before each of its timed runs
        # (outside the time), since the sampling is the runtime's, shared by every trace column
        self.sampling = sampling
        self.target = target
        self.versus = versus   # the column this one's ratio is to (None: the first column)
        self.modules = {}      # suite key -> loaded module
        self.paths = {}        # suite key -> the built binary (a private copy is loaded)
        self.error = None

    @property
    def module(self):
        return self.modules.get(MAIN_SUITE)

    @property
    def path(self):
        return self.paths.get(MAIN_SUITE)

    def lookup(self, func):
        """'name' or 'suite:name' is that object of the suite's module, 'suite:' the module."""
        suite, _, name = func.rpartition(':')
        module = self.modules[suite or MAIN_SUITE]
        return getattr(module, name) if name else module


def make_columns():
    # the targets of issue 14: the CPython ABI against its C-API twin, the others against the
    # CPython ABI build of the same source
    return [
        Column('capi', 'C API', 'capi'),
        Column('cpython', 'HPy CPython ABI', 'cpython', target=1.02),
        Column('universal', 'HPy universal', 'universal', mode=0, target=1.05, versus='cpython'),
        Column('hybrid', 'HPy hybrid', 'hybrid', mode=0, versus='cpython'),
        Column('debug', 'HPy debug', 'universal', mode=1, target=2.0, versus='cpython'),
        Column('trace', 'HPy trace', 'universal', mode=2, target=1.5, versus='cpython',
               sampling=1),
        # the same with durations sampled (docs/runtime.md, "Trace mode"): counts stay exact
        Column('trace128', 'HPy trace, 1/128 timed', 'universal', mode=2, target=1.5,
               versus='cpython', sampling=128),
    ]


# --------------------------------------------------------------------------------------------
# Rows: (title, function name in both modules, Python statement timed with `f` bound to it[,
# setup statement[, check]]). The names the statements use come from make_namespace() and the
# setup; check, an expression of `_` (the statement's value), is what the variants must agree on
# when the value itself cannot be compared (the default: the value).
# --------------------------------------------------------------------------------------------

SYMX_SETUP = """\
xs = [f.Var('x%d' % i) for i in range(50)]
triples = [(xs[i % 50], xs[(7 * i + 3) % 50], xs[(13 * i + 5) % 50]) for i in range(1000)]
vals = {x.name: float(i % 7) - 2.5 for i, x in enumerate(xs)}
"""
SYMX_BUILD = '[2.0 * a + 3 * b - c + 1.5 for a, b, c in triples]'
SYMX_EXPRS = """\
exprs = %s
le = [(exprs[i], 4.0) for i in range(0, 1000, 3)]
ge = [(exprs[i], triples[i][0]) for i in range(1, 1000, 3)]
eq = [(exprs[i], exprs[i - 1]) for i in range(2, 1000, 3)]
""" % SYMX_BUILD
SYMX_COMPARE = '[e <= r for e, r in le] + [e >= r for e, r in ge] + [e == r for e, r in eq]'

ROWS = [
    ('call noargs', 'noargs', 'f()'),
    ('call one-arg (METH_O)', 'onearg', 'f(x)'),
    ('call varargs (FASTCALL)', 'varargs', 'f(a, b)'),
    ('call with keywords', 'keywords', 'f(a, b=b)'),
    ('call with tuple', 'call_tuple', 'f(target, t)'),
    ('call with tuple+dict', 'call_tuple_dict', 'f(target, t, d)'),
    ('allocate int', 'alloc_int', 'f()'),
    ('allocate tuple (Pack)', 'alloc_tuple', 'f(a, b)'),
    ('allocate tuple (builder)', 'alloc_tuple_builder', 'f(a, b)'),
    ('len', 'length', 'f(lst)'),
    ('getitem (C index)', 'getitem_i', 'f(lst)'),
    ('getitem (key object)', 'getitem', 'f(lst, i)'),
    ('getattr (C string)', 'getattr_s', 'f(o)'),
    ('getattr (interned name)', 'getattr_o', 'f(o, name)'),
    # A type with a C struct (two doubles and an object reference), see Point in both sources.
    ('type: allocate, let die', 'Point', 'f(1.0, 2.0) is None'),
    ('type: allocate, keep 100', 'Point', 'len([f(1.0, 2.0) for _ in r100])'),
    ('type: method call', 'Point', 'p.norm2()', 'p = f(3.0, 4.0)'),
    ('type: len (slot)', 'Point', 'len(p)', 'p = f(3.0, 4.0)'),
    ('type: getitem (slot)', 'Point', 'p[1]', 'p = f(3.0, 4.0)'),
    ('type: field store+load', 'Point', 'p.swap_obj(x)', 'p = f(3.0, 4.0)'),
    # examples/array (suite 'array'): float64 storage in C, summed by a C loop; element access
    # through the sequence slots
    ('array: sum of 1e6 float64', 'array:Array', 'a.sum()', "a = f('float64', range(10**6))"),
    ('array: element access (getitem)', 'array:Array', 'a[1]', "a = f('float64', range(10))"),
    ('array: element store (setitem)', 'array:Array', 'a[1] = y', "a = f('float64', range(10))"),
    # the real-style workload (suite 'symx', the module itself as `f`): 1,000 expressions of three
    # variables out of 50 built through the number slots, compared into constraints (a third
    # each of <= number, >= Var, == Expr), and evaluated against a dict of values. The last
    # element of a row is what the variants must agree on (`_` is the statement's value).
    ('symx: build 1,000 expressions', 'symx:', SYMX_BUILD, SYMX_SETUP,
     '[e.value(vals) for e in _]'),
    ('symx: compare (1,000 constraints)', 'symx:', SYMX_COMPARE, SYMX_SETUP + SYMX_EXPRS,
     '[(c.op, c.violation(vals)) for c in _]'),
    ('symx: evaluate 1,000 constraints', 'symx:', '[c.violation(vals) for c in cons]',
     SYMX_SETUP + SYMX_EXPRS + '\ncons = ' + SYMX_COMPARE, None),
]


def make_namespace():
    class Obj:
        pass

    o = Obj()
    o.attr = 42

    def target(a, b, c=None):
        return a

    return {
        'x': object(),
        'a': 'spam',
        'b': 'eggs',
        'target': target,
        't': (1, 2),
        'd': {'c': 3},
        'lst': [10, 20, 30],
        'i': 1,
        'o': o,
        'name': sys.intern('attr'),
        'r100': range(100),
        'y': 2.5,
    }


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------

SETUP_SCRIPT = '''\
# Written by bench/run.py: builds the benchmark modules through hpy.devel's setuptools
# integration (the HPy ABI comes from the --hpy-abi= global option).
import glob, os
from setuptools import setup, Extension

root = {root!r}
headers = sorted(glob.glob(os.path.join(root, 'hpy', 'devel', 'include', '**', '*.h'),
                           recursive=True))
with_capi = os.environ.get('HPY_BENCH_WITH_CAPI') == '1'
suites = {suites!r}   # (C-API name, its source, HPy name, its source)
setup(
    name='hpy-bench',
    ext_modules=[Extension(c, [cs]) for c, cs, h, hs in suites] if with_capi else [],
    hpy_ext_modules=[Extension(h, [hs], depends=headers) for c, cs, h, hs in suites],
)
'''


class BuildError(Exception):
    pass


def _find_one(pattern):
    found = sorted(glob.glob(pattern))
    if len(found) != 1:
        raise BuildError('expected exactly one file matching %s, found %r' % (pattern, found))
    return found[0]


def build_with_setuptools(binaries, force, verbose):
    """Build through `setup(ext_modules=..., hpy_ext_modules=...)`, one build dir per ABI."""
    import hpy.devel  # noqa: F401  (fails early if the build integration is unusable)
    from hpy.devel.abitag import get_hpy_ext_suffix

    base = os.path.join(BUILD_DIR, 'setuptools')
    os.makedirs(base, exist_ok=True)
    script = os.path.join(base, 'setup_bench.py')
    with open(script, 'w') as f:
        f.write(SETUP_SCRIPT.format(root=ROOT, suites=[
            (s.capi_name, s.capi_src, s.hpy_name, s.hpy_src) for s in SUITES]))
    abis = [abi for abi in HPY_ABIS if abi in binaries]
    if 'capi' in binaries and 'cpython' not in abis:
        abis.insert(0, 'cpython')
    paths = {}
    env = dict(os.environ)
    env.pop('SETUPTOOLS_USE_DISTUTILS', None)
    for abi in abis:
        out = os.path.join(base, abi)
        with_capi = abi == 'cpython' and 'capi' in binaries
        env['HPY_BENCH_WITH_CAPI'] = '1' if with_capi else '0'
        cmd = [sys.executable, script, '--hpy-abi=' + abi]
        if not verbose:
            cmd.append('-q')
        cmd += ['build_ext', '--build-lib', os.path.join(out, 'lib'),
                '--build-temp', os.path.join(out, 'tmp')]
        if force:
            cmd.append('--force')
        res = subprocess.run(cmd, cwd=base, env=env, capture_output=not verbose, text=True)
        if res.returncode != 0:
            raise BuildError('%s\n%s%s' % (' '.join(cmd), res.stdout or '', res.stderr or ''))
        lib = os.path.join(out, 'lib')
        if abi in binaries:
            paths[abi] = {s.key: os.path.join(lib, s.hpy_name + get_hpy_ext_suffix(abi))
                          for s in SUITES}
        if with_capi:
            paths['capi'] = {s.key: os.path.join(lib, s.capi_name
                                                 + sysconfig.get_config_var('EXT_SUFFIX'))
                             for s in SUITES}
    for by_suite in paths.values():
        for path in by_suite.values():
            if not os.path.exists(path):
                raise BuildError('setuptools did not produce %s' % path)
    return paths


def build_with_gcc(binaries, force, verbose):
    """Direct gcc calls mirroring tests/support.py compile_module (-O2, no -g)."""
    sys.path.insert(0, ROOT)
    from hpy.devel import HPyDevel
    from hpy.devel.abitag import get_hpy_ext_suffix

    devel = HPyDevel()
    include = str(devel.include_dir)
    forbid = str(devel.get_include_dir_forbid_python_h())
    py_include = sysconfig.get_paths()['include']
    base = os.path.join(BUILD_DIR, 'gcc')
    os.makedirs(base, exist_ok=True)
    common = ['gcc', '-std=c99', '-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror']
    paths = {}
    for binary, suite in [(b, s) for b in binaries for s in SUITES]:
        src = suite.src(binary)
        if binary == 'capi':
            out = os.path.join(base, suite.capi_name + sysconfig.get_config_var('EXT_SUFFIX'))
            cmd = common + ['-I' + py_include, src, '-o', out]
            deps = [src]
        else:
            libs = devel.get_static_libs(binary)
            if not libs or len(libs) != 1:
                raise BuildError('hpy/devel/lib/%s must hold one static library (run make '
                                 'build): %r' % (binary, libs))
            flags = ['-DHPY']
            if binary == 'universal':
                flags += ['-DHPY_ABI_UNIVERSAL', '-I' + forbid, '-I' + include]
            elif binary == 'hybrid':
                flags += ['-DHPY_ABI_HYBRID', '-I' + include, '-I' + py_include]
            else:
                flags += ['-DHPY_ABI_CPYTHON', '-I' + include, '-I' + py_include]
            out = os.path.join(base, binary, suite.hpy_name + get_hpy_ext_suffix(binary))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            cmd = common + flags + [src, libs[0], '-o', out]
            deps = [src, libs[0]] + glob.glob(os.path.join(include, '**', '*.h'),
                                              recursive=True)
        if force or not os.path.exists(out) or \
                os.path.getmtime(out) < max(os.path.getmtime(p) for p in deps):
            if verbose:
                print(' '.join(cmd))
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise BuildError('%s\n%s%s' % (' '.join(cmd), res.stdout, res.stderr))
        paths.setdefault(binary, {})[suite.key] = out
    return paths


@contextlib.contextmanager
def build_lock():
    """Runs of this script may overlap in one checkout: one builds at a time, the others wait
    and then find the modules up to date."""
    os.makedirs(BUILD_DIR, exist_ok=True)
    with open(os.path.join(BUILD_DIR, '.build.lock'), 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build(binaries, builder, force, verbose):
    """Returns (how, {binary: {suite key: path}})."""
    with build_lock():
        if builder in ('auto', 'setuptools'):
            try:
                return 'setuptools (hpy_ext_modules)', build_with_setuptools(binaries, force,
                                                                            verbose)
            except Exception as e:  # any failure of the build integration: fall back to gcc
                if builder == 'setuptools':
                    raise
                print('note: building through hpy.devel failed, falling back to gcc:\n  %s'
                      % str(e).strip().replace('\n', '\n  '), file=sys.stderr)
        return 'gcc -O2 (tests/support.py flags)', build_with_gcc(binaries, force, verbose)


# --------------------------------------------------------------------------------------------
# Loading (all in this process)
# --------------------------------------------------------------------------------------------

RUN_DIR_PREFIX = 'run-'


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_run_dir():
    """A folder of this run's own: every module is loaded from a copy in it, so that a build
    by another run (or `make build`) never writes over a file this process has mapped. Folders
    left by runs that died are removed."""
    os.makedirs(BUILD_DIR, exist_ok=True)
    for entry in os.listdir(BUILD_DIR):
        if entry.startswith(RUN_DIR_PREFIX):
            pid = entry[len(RUN_DIR_PREFIX):].split('-', 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(os.path.join(BUILD_DIR, entry), ignore_errors=True)
    run_dir = tempfile.mkdtemp(prefix='%s%d-' % (RUN_DIR_PREFIX, os.getpid()), dir=BUILD_DIR)
    # unlinking files that are still mapped is safe: the mappings keep the data
    atexit.register(shutil.rmtree, run_dir, True)
    return run_dir


def load_column(col, name, path, run_dir):
    # each column gets its own copy: a universal binary keeps the context it was initialised
    # with in a global, and dlopen returns the same handle for the same file
    copy_dir = os.path.join(run_dir, col.key)
    os.makedirs(copy_dir, exist_ok=True)
    copy = os.path.join(copy_dir, os.path.basename(path))
    shutil.copyfile(path, copy)
    # the loader is named: '.hpy0.so' is no extension suffix on PyPy
    spec = importlib.util.spec_from_file_location(
        name, copy, loader=importlib.machinery.ExtensionFileLoader(name, copy))
    if col.binary in ('capi', 'cpython'):
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    import hpy.universal
    return hpy.universal.load(name, copy, spec, mode=col.mode)


def load_columns(columns, paths):
    run_dir = make_run_dir()
    for col in columns:
        if col.error:
            continue
        try:
            for suite in SUITES:
                path = paths[col.binary][suite.key]
                col.modules[suite.key] = load_column(col, suite.name(col.binary), path,
                                                     run_dir)
                col.paths[suite.key] = path
        except Exception as e:
            col.error = '%s: %s' % (type(e).__name__, e)


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------

def column_namespace(ns, col, func, setup):
    """The statement's globals for one column: `f` is the module's object, then `setup` runs."""
    g = dict(ns, f=col.lookup(func))
    if setup:
        exec(setup, g)
    return g


def check_results(row, func, stmt, cols, ns, setup=None, check=None):
    """Every variant must compute the same thing as the C API (a statement that is not an
    expression, such as an assignment, must at least run); with `check`, the same value of that
    expression of `_`, the statement's value."""
    try:
        code = compile(stmt, '<row>', 'eval')
    except SyntaxError:
        code = compile(stmt, '<row>', 'exec')
    results = {}
    for col in cols:
        ns_col = column_namespace(ns, col, func, setup)
        results[col.key] = eval(code, ns_col)
        if check:
            ns_col['_'] = results[col.key]
            results[col.key] = eval(check, ns_col)
    base = results[cols[0].key]
    for key, value in results.items():
        if value != base:
            raise AssertionError('%s: %s returned %r, %s returned %r'
                                 % (row, cols[0].key, base, key, value))


def sampling_setup(col):
    """What runs before each timed run of the column, outside the time."""
    if col.sampling is None:
        return 'pass'
    return 'import hpy.trace; hpy.trace.set_duration_sampling(%d)' % col.sampling


def run_row(row, func, stmt, cols, ns, timing, setup=None, check=None):
    """timing: (clock, repeat, max_repeat, target_time, base key, versus)."""
    clock, repeat, max_repeat, target_time, base_key, versus = timing
    check_results(row, func, stmt, cols, ns, setup, check)
    # the setup runs once per column; each repeat gets fresh timers on the same namespaces
    namespaces = [column_namespace(ns, col, func, setup) for col in cols]

    def make_timers():
        return [_timing.make_timer(stmt, g, clock, sampling_setup(col))
                for col, g in zip(cols, namespaces)]

    return _timing.time_interleaved(make_timers, [c.key for c in cols], repeat, target_time,
                                    max_repeat, _timing.precise_enough(base_key, versus))


def time_row(i, cols, ns, timing):
    """run_row for ROWS[i]."""
    name, func, stmt, *extra = ROWS[i]
    setup, check = (list(extra) + [None, None])[:2]
    return run_row(name, func, stmt, cols, ns, timing, setup, check)


# --------------------------------------------------------------------------------------------
# Several processes (--processes)
# --------------------------------------------------------------------------------------------

def worker_main(plan_path, out_path):
    """Times the rows a plan names in this fresh process and writes their times: a child of
    run_in_processes, on binaries the parent has built."""
    with open(plan_path) as f:
        plan = json.load(f)
    by_key = {c.key: c for c in make_columns()}
    columns = [by_key[k] for k in plan['columns']]
    load_columns(columns, plan['paths'])
    failed = [c for c in columns if c.error]
    if failed:
        sys.exit('%s: %s' % (failed[0].key, failed[0].error))
    ns = make_namespace()
    timing = (plan['clock'], plan['repeat'], plan['max_repeat'], plan['target_time'],
              plan['base'], plan['versus'])
    out = {}
    for i in plan['rows']:
        numbers, times = time_row(i, columns, ns, timing)
        out[str(i)] = {'numbers': numbers, 'times': times}
    with open(out_path, 'w') as f:
        json.dump(out, f)
    return 0


def run_in_processes(rows, active, paths, timing, processes, max_processes, verbose):
    """Times each row of `rows` (indexes into ROWS) in `processes` fresh processes, then in one
    more at a time while one of its ratios is noisier than the limit, up to max_processes.
    Returns {row index: (numbers of the first process, combine_processes results)}."""
    clock, repeat, max_repeat, target_time, base_key, versus = timing
    runs = {i: [] for i in rows}
    numbers = {}
    done = {}
    work = tempfile.mkdtemp(prefix='processes-', dir=make_run_dir())
    for n in range(max_processes):
        pending = [i for i in rows if i not in done]
        if not pending:
            break
        plan = {'paths': paths, 'columns': [c.key for c in active], 'rows': pending,
                'clock': clock, 'repeat': repeat, 'max_repeat': max_repeat,
                'target_time': target_time, 'base': base_key, 'versus': versus}
        plan_path = os.path.join(work, 'plan-%d.json' % n)
        out_path = os.path.join(work, 'times-%d.json' % n)
        with open(plan_path, 'w') as f:
            json.dump(plan, f)
        res = subprocess.run([sys.executable, os.path.abspath(__file__), '--worker', plan_path,
                              out_path], capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit('a benchmark process failed:\n%s%s' % (res.stdout, res.stderr))
        with open(out_path) as f:
            out = json.load(f)
        last = n + 1 == max_processes      # (max_processes >= processes)
        for i in pending:
            numbers.setdefault(i, out[str(i)]['numbers'])
            runs[i].append(out[str(i)]['times'])
            if len(runs[i]) >= processes:
                results = _timing.combine_processes(runs[i], base_key, versus)
                if last or not any(r['noisy'] for r in results.values()):
                    done[i] = results
        if verbose:
            print('  process %d: %d rows timed, %d settled' % (n + 1, len(pending), len(done)))
    return {i: (numbers[i], done[i]) for i in rows}


def loop_overhead(repeat, target_time, clock):
    timer = _timing.make_timer('pass', {}, clock)
    number = _timing.calibrate(timer, target_time)
    return min(timer.timeit(number) / number for _ in range(repeat))


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def print_table(columns, rows, overhead_s):
    noisy = _timing.print_table(columns, rows)
    print('the Python loop around the call is part of every time (empty loop: %s per iteration)'
          % _timing.fmt_ns(overhead_s))
    return noisy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true',
                   help='very short runs (CI smoke test): 2 repeats of ~5 ms')
    p.add_argument('--repeat', type=int, default=None,
                   help='timing runs per variant, interleaved, at least (default 20)')
    p.add_argument('--max-repeat', type=int, default=None,
                   help='while a ratio is noisier than +-%.2f, more repeats, up to this many '
                   '(default 150)' % _timing.NOISE_LIMIT)
    p.add_argument('--target-time', type=float, default=None,
                   help='CPU seconds per timing run (default 0.01)')
    p.add_argument('--clock', choices=sorted(_timing.CLOCKS), default=_timing.DEFAULT_CLOCK,
                   help='what a time is: CPU time of this thread (default), of the process, '
                   'or wall time')
    p.add_argument('--processes', type=int, default=None,
                   help='fresh processes that time each row, at least (default 3; 1: every row '
                   'in this process)')
    p.add_argument('--max-processes', type=int, default=None,
                   help='while a ratio of a row is noisier than +-%.2f, more processes for it, '
                   'up to this many (default 20)' % _timing.NOISE_LIMIT)
    p.add_argument('--worker', nargs=2, metavar=('PLAN', 'OUT'), help=argparse.SUPPRESS)
    p.add_argument('--json', metavar='FILE', help='write the raw numbers to FILE')
    p.add_argument('--columns', default=None,
                   help='comma-separated column keys (default: all of %s)'
                   % ','.join(c.key for c in make_columns()))
    p.add_argument('--filter', default=None,
                   help='only the rows whose title or function contains this text')
    p.add_argument('--builder', choices=('auto', 'setuptools', 'gcc'), default='auto',
                   help='how to build the modules (default: setuptools, else gcc)')
    p.add_argument('--rebuild', action='store_true', help='rebuild even if up to date')
    p.add_argument('--compare', nargs=2, metavar=('FIRST', 'SECOND'),
                   help='compare the ratios of two runs written by --json, then exit')
    p.add_argument('-v', '--verbose', action='store_true')
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(*args.worker)
    if args.compare:
        runs = []
        for path in args.compare:
            with open(path) as f:
                runs.append(json.load(f))
        _timing.print_comparison(*runs)
        return 0

    processes = args.processes or (1 if args.quick else 3)
    max_processes = max(processes, args.max_processes or (processes if args.quick else 20))
    if processes < 1:
        p.error('--processes must be positive')
    # several processes pool their repeats: each needs fewer
    repeat = args.repeat or (2 if args.quick else 20 if processes == 1 else 10)
    max_repeat = max(repeat, args.max_repeat or (repeat if args.quick else
                                                 150 if processes == 1 else 40))
    target_time = args.target_time or (0.005 if args.quick else 0.01)
    if repeat < 1 or target_time <= 0:
        p.error('--repeat and --target-time must be positive')

    columns = make_columns()
    if args.columns:
        keys = [k.strip() for k in args.columns.split(',') if k.strip()]
        unknown = set(keys) - {c.key for c in columns}
        if unknown:
            p.error('unknown columns: %s' % ', '.join(sorted(unknown)))
        if 'capi' not in keys:
            keys.insert(0, 'capi')
        columns = [c for c in columns if c.key in keys]
    rows = [i for i, r in enumerate(ROWS)
            if not args.filter or args.filter in r[0] or args.filter in r[1]]
    if not rows:
        p.error('no row matches --filter %r' % args.filter)

    t0 = time.perf_counter()
    binaries = []
    for c in columns:
        if c.binary not in binaries:
            binaries.append(c.binary)
    how, paths = build(binaries, args.builder, args.rebuild, args.verbose)
    load_columns(columns, paths)
    base = columns[0]
    if base.error:
        sys.exit('cannot load the C API module: %s' % base.error)
    active = [c for c in columns if not c.error]

    print('HPy microbenchmarks -- Python %s (%s) on %s'
          % (platform.python_version(), platform.python_implementation(), platform.machine()))
    print('build: %s; %d to %d repeats of ~%g s per variant (clock: %s), interleaved, in %s; '
          'modules: %s' % (how, repeat, max_repeat, target_time, args.clock,
             'this process' if max_processes == 1 else '%d to %d processes per row'
             % (processes, max_processes),
             ', '.join('%s=%s' % (c.key, c.module.abi()) for c in active)))
    print()

    keys = {c.key for c in active}
    versus = {c.key: c.versus for c in active if c.versus in keys}
    overhead = loop_overhead(repeat, target_time, args.clock)
    timing = (args.clock, repeat, max_repeat, target_time, base.key, versus)
    if max_processes > 1:
        by_row = run_in_processes(rows, active, paths, timing, processes, max_processes,
                                  args.verbose)
    else:
        ns = make_namespace()
        by_row = {}
        for i in rows:
            numbers, times = time_row(i, active, ns, timing)
            by_row[i] = (numbers, _timing.ratio_stats(times, base.key, versus))
    out_rows = []
    for i in rows:
        name, func, stmt = ROWS[i][:3]
        numbers, results = by_row[i]
        out_rows.append({'name': name, 'func': func, 'stmt': stmt, 'numbers': numbers,
                         'results': results})
        if args.verbose:
            print('  %-28s %s' % (name, '  '.join('%s=%s' % (k, _timing.fmt_ns(v['min']))
                                                   for k, v in results.items())))

    noisy = print_table(columns, out_rows, overhead)
    elapsed = time.perf_counter() - t0
    print('total time: %.1f s' % elapsed)

    if args.json:
        data = {
            'python': sys.version,
            'python_version': platform.python_version(),
            'implementation': platform.python_implementation(),
            'platform': platform.platform(),
            'machine': platform.machine(),
            'build': how,
            'repeat': repeat,
            'max_repeat': max_repeat,
            'target_time': target_time,
            'clock': args.clock,
            'processes': processes,
            'max_processes': max_processes,
            'noise_limit': _timing.NOISE_LIMIT,
            'noisy_ratios': noisy,
            'loop_overhead_s': overhead,
            'unit': 'seconds per call',
            'columns': [{'key': c.key, 'title': c.title, 'binary': c.binary, 'mode': c.mode,
                         'sampling': c.sampling, 'target': c.target, 'versus': c.versus,
                         'path': c.path, 'paths': c.paths, 'available': not c.error,
                         'error': c.error} for c in columns],
            'rows': out_rows,
            'elapsed_s': elapsed,
        }
        _timing.write_json(args.json, data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
