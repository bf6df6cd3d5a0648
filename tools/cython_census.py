#!/usr/bin/env python3
"""Census of Cython's own test files compiled by hpy.cython (a figure to report, not a gate).

Every tests/run/*.pyx of the pinned Cython release's sdist (downloaded by pip into
build/cython-sdist/, as the acceptance tests do) is compiled by our generator, built in the
universal ABI, imported, and its tests run as Cython's runtests.py runs them: the doctests of the
module (doctest.DocTestSuite), or the unittest cases of a `test_*` module. Files that Cython's
own test run would not run here are "not applicable", with the reason: a `# mode:` other than
`run`, C++ only (tag `cpp`, `distutils: language = c++`), a missing optional dependency (tags
`numpy`, `pythran`, ...), or a name listed in the sdist's tests/bugs.txt.

Each file runs in a subprocess of its own with a timeout, two at a time, so that a crash or a
hang only marks that file. Outcomes:

    pass          all tests pass (at least one test)
    no-tests      imports, but the module has no test to run
    fail          builds and imports; some tests fail
    refused       our generator reports an unsupported construct (grouped by message)
    cython-error  Cython's front end rejects the file (as our driver runs it)
    generator-bug our generator raised an unexpected Python exception (a bug)
    c-error       the C compiler rejects our output (a bug)
    import-error  the module raises while it is imported
    crash         the subprocess died (signal or abnormal exit)
    timeout       the subprocess did not finish in time

    make cython-census                               # all files, summary + build/cython-census.json
    .venv/bin/python tools/cython_census.py --filter addloop,pass -v
"""
import argparse
import atexit
import collections
import concurrent.futures
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTS = os.path.join(ROOT, 'tests')
WORK_DIR = os.path.join(ROOT, 'build', 'cython-census')
DEFAULT_JSON = os.path.join(ROOT, 'build', 'cython-census.json')
OUTCOMES = ['pass', 'no-tests', 'fail', 'refused', 'cython-error', 'generator-bug', 'c-error',
            'import-error', 'crash', 'timeout']
# tags of Cython's test files that need an optional module: applicable only if it imports
OPTIONAL_MODULE_TAGS = {
    'numpy': 'numpy', 'pythran': 'pythran', 'ipython': 'IPython', 'jedi': None,
    'coverage': 'Cython.Coverage', 'setuptools': 'setuptools.sandbox',
    'test.support': 'test.support', 'asyncio': 'asyncio', 'array': 'array',
    'posix': 'posix', 'pstats': 'pstats',
}
# each child may use this much address space (a runaway test must not take the machine down)
CHILD_MEMORY_LIMIT = 4 << 30


def _timing():
    """bench/_timing.py (its JSON writer is shared with the benchmarks)."""
    bench = os.path.join(ROOT, 'bench')
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import _timing as timing
    return timing


def _support():
    if TESTS not in sys.path:
        sys.path.insert(0, TESTS)
    import cython_support
    return cython_support


# --------------------------------------------------------------------------------------------
# Which files, and which apply
# --------------------------------------------------------------------------------------------

def run_dir():
    """tests/run of the sdist, with tests/testsupport beside it (some files include from it)."""
    cs = _support()
    directory = os.path.dirname(cs.cython_test_file('pass'))
    root = os.path.dirname(os.path.dirname(directory))
    support_dir = os.path.join(root, 'tests', 'testsupport')
    if not os.path.isdir(support_dir):
        archive = os.path.join(cs.SDIST_DIR, 'cython-%s.tar.gz' % cs.CYTHON_VERSION)
        prefix = 'cython-%s/' % cs.CYTHON_VERSION
        with cs._Lock(os.path.join(cs.SDIST_DIR, '.lock')), tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and
                       m.name.startswith(prefix + 'tests/testsupport/')]
            for m in members:
                m.name = m.name[len(prefix):]
                tar.extract(m, root)
    return directory


def known_bugs():
    """Names of tests/run files listed in the sdist's tests/bugs.txt (Cython's runtests skips
    them by default). Read from the archive, never copied into the repository."""
    cs = _support()
    archive = os.path.join(cs.SDIST_DIR, 'cython-%s.tar.gz' % cs.CYTHON_VERSION)
    names = set()
    with tarfile.open(archive) as tar:
        try:
            f = tar.extractfile('cython-%s/tests/bugs.txt' % cs.CYTHON_VERSION)
        except KeyError:
            return names
        for line in f.read().decode('utf-8', 'replace').splitlines():
            entry = line.split('#', 1)[0].strip()
            if entry:
                names.add(entry.rsplit('.', 1)[-1])
    return names


def _module_available(name):
    if name is None:
        return False
    import importlib.util
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def not_applicable(path, bugs):
    """None if the file is a run test we can try, else why not."""
    cs = _support()
    name = os.path.splitext(os.path.basename(path))[0]
    info = cs.header(path)
    # like the tags, the mode is a comma-separated list; its first entry counts
    mode = info['mode'].split(',')[0].strip()
    if mode != 'run':
        return "mode '%s' (not a run test)" % mode
    tags = info['tags']
    if 'cpp' in tags:
        return 'needs C++ (tag cpp)'
    language = [v.lower() for v in info['distutils'].get('language', [])]
    if 'c++' in language:
        return 'needs C++ (distutils: language = c++)'
    for tag, module in OPTIONAL_MODULE_TAGS.items():
        if tag in tags and not _module_available(module):
            return 'needs %s (tag %s), not installed' % (module or tag, tag)
    if name in bugs:
        return "listed in Cython's tests/bugs.txt (skipped by its runtests)"
    return None


# --------------------------------------------------------------------------------------------
# One file (in a child process)
# --------------------------------------------------------------------------------------------

_QUOTED = re.compile(r"'[^']*'")
# a parenthesised C type at the end (not the name of a Cython node class)
_TRAILING_TYPE = re.compile(r"\((?![A-Z]\w*Node\)$)(?!only )[^()]*\)$")


def reason_group(detail):
    """The group of an unsupported-construct message: the specifics (quoted names, a C type in
    parentheses) become X ("the C type 'int *' is not supported yet" -> "the C type 'X' is not
    supported yet"). A message that starts with a quoted keyword names its category
    ("'print' statements are not supported yet") and is its own group."""
    if '(only ' in detail or detail.startswith("'"):
        return detail
    return _TRAILING_TYPE.sub('(X)', _QUOTED.sub("'X'", detail))


def reason_specifics(detail):
    """What reason_group replaced by X (the C type, the function, ...), as one string."""
    if '(only ' in detail or detail.startswith("'"):
        return ''
    found = [q.strip("'") for q in _QUOTED.findall(detail)]
    m = _TRAILING_TYPE.search(_QUOTED.sub("'X'", detail))
    if m:
        found.append(m.group(0)[1:-1])
    return ', '.join(found)


def _message(record):
    """The refusal message of a record, without the file:line:col prefix."""
    detail = record.get('detail', '')
    m = re.match(r'[^:]*:\d+:\d+: (.*)$', detail, re.S)
    return m.group(1) if m else record.get('reason', detail)


def _run_tests(module, name):
    """{test id: 'ok' or a short account of the failure}, as Cython's runtests runs the
    module: the unittest cases of a `test_*` module, else its doctests (one test per
    docstring). The module is sys.modules[its name] meanwhile, as after an import."""
    import doctest
    import unittest
    cs = _support()
    saved = sys.modules.get(module.__name__)
    sys.modules[module.__name__] = module
    try:
        if name.startswith('test_'):
            suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        else:
            suite = doctest.DocTestSuite(module)
        outcomes = {}
        for test in cs._flatten(suite):
            result = unittest.TestResult()
            test.run(result)
            problems = result.failures + result.errors
            if problems:
                outcomes[test.id().split('.', 1)[-1]] = _short_failure(problems[0][1])
            elif result.unexpectedSuccesses:
                outcomes[test.id().split('.', 1)[-1]] = 'unexpected success'
            else:
                outcomes[test.id().split('.', 1)[-1]] = 'ok'
        return outcomes
    except ValueError as e:
        # DocTestSuite raises ValueError for a module without docstrings in old Pythons
        if 'has no docstrings' in str(e):
            return {}
        raise
    finally:
        if saved is None:
            sys.modules.pop(module.__name__, None)
        else:
            sys.modules[module.__name__] = saved


def _short_failure(text):
    """The example and what differed, from a doctest or unittest failure report."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for marker in ('Failed example:', 'Exception raised:'):
        if marker in lines:
            lines = lines[lines.index(marker) + 1:]
            break
    lines = [l for l in lines if not l.startswith(('Traceback', 'File "'))]
    return ' | '.join(lines[:6])[:300]


def census_one(path, workdir):
    """The outcome record of one file (runs in the child process)."""
    cs = _support()
    import support
    from hpy.cython.errors import CythonHPyError, UnsupportedConstruct
    name = os.path.splitext(os.path.basename(path))[0]
    record = {'name': name}
    if 'allow_unknown_names' in cs.header(path)['tags']:
        # the tag lets names unknown at compile time through to run time, as runtests.py does
        from Cython.Compiler import Options
        Options.error_on_unknown_names = False
    t0 = time.process_time()
    try:
        text = cs.hpy_c_text(path, name, cs.TEST_DIRECTIVES, cs.TEST_LANGUAGE_LEVEL)
    except UnsupportedConstruct as e:
        record.update(outcome='refused', reason=reason_group(e.detail), detail=str(e))
        return record
    except CythonHPyError as e:
        record.update(outcome='cython-error', detail=str(e)[-1500:])
        return record
    except Exception as e:
        record.update(outcome='generator-bug', detail='%s: %s' % (type(e).__name__, e),
                      traceback=traceback.format_exc()[-3000:])
        return record
    record['compile_cpu_s'] = round(time.process_time() - t0, 3)
    record['c_lines'] = text.count('\n')
    # the file's `# distutils:` settings, and its folder for the headers it includes
    settings = cs.header(path)['distutils']
    extra = settings.get('extra_compile_args', []) + \
        ['-D' + m for m in settings.get('define_macros', [])] + \
        settings.get('extra_link_args', []) + ['-I' + os.path.dirname(path)]
    try:
        mod_name, binary = support.compile_module(text, workdir, 'universal', name=name,
                                                  template=False, extra_flags=extra)
    except support.CompilationError as e:
        record.update(outcome='c-error', detail=_c_errors(str(e)))
        return record
    record['undefined_py_symbols'] = cs.undefined_python_symbols(binary)
    try:
        module = support.load_module(mod_name, binary, 'universal')
    except BaseException as e:
        record.update(outcome='import-error', detail='%s: %s' % (type(e).__name__, e))
        return record
    try:
        results = _run_tests(module, name)
    except BaseException as e:
        record.update(outcome='fail', detail='running the tests raised %s: %s'
                      % (type(e).__name__, e), tests=0, failed=0)
        return record
    failed = {k: v for k, v in results.items() if v != 'ok'}
    record.update(tests=len(results), failed=len(failed),
                  failures=dict(sorted(failed.items())[:10]))
    if not results:
        record['outcome'] = 'no-tests'
    else:
        record['outcome'] = 'fail' if failed else 'pass'
    return record


def _c_errors(text):
    """The compiler's error lines (the first few), without the command line or folders."""
    lines = [os.path.basename(l.split(':', 1)[0]) + ':' + l.split(':', 1)[1]
             for l in text.splitlines() if ': error:' in l or ': fatal error:' in l]
    return '\n'.join(lines[:5]) or text[-1500:]


def child_main(path, result_file):
    workdir = tempfile.mkdtemp(prefix='w-', dir=os.path.dirname(result_file))
    try:
        os.chdir(workdir)
        record = census_one(path, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    tmp = result_file + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(record, f)
    os.replace(tmp, result_file)
    sys.stdout.flush()
    # a module's objects may crash at interpreter exit; the record is written already
    os._exit(0)


# --------------------------------------------------------------------------------------------
# The census (parent)
# --------------------------------------------------------------------------------------------

def _limit_child():
    os.setsid()
    try:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_LIMIT, CHILD_MEMORY_LIMIT))
    except (ValueError, OSError):
        pass


def run_child(path, timeout, results_dir):
    name = os.path.splitext(os.path.basename(path))[0]
    result_file = os.path.join(results_dir, name + '.json')
    cmd = [sys.executable, os.path.abspath(__file__), '--child', path, result_file]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, preexec_fn=_limit_child, cwd=results_dir)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # the child leads a process group of its own: end it and whatever it started
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate()
        return {'name': name, 'outcome': 'timeout', 'detail': 'no result after %g s' % timeout,
                'wall_s': round(time.monotonic() - t0, 1)}
    wall = round(time.monotonic() - t0, 1)
    output = out.decode('utf-8', 'replace')[-2000:]
    if proc.returncode == 0 and os.path.exists(result_file):
        with open(result_file) as f:
            record = json.load(f)
        record['wall_s'] = wall
        return record
    if proc.returncode < 0:
        how = 'killed by signal %s' % signal.Signals(-proc.returncode).name
    else:
        how = 'exit status %d without a result' % proc.returncode
    return {'name': name, 'outcome': 'crash', 'detail': how, 'output': output, 'wall_s': wall}


def summarize(records, not_app, top):
    counts = collections.Counter(r['outcome'] for r in records)
    reasons = collections.defaultdict(list)
    specifics = collections.defaultdict(collections.Counter)
    for r in records:
        if r['outcome'] == 'refused':
            message = _message(r)
            reasons[reason_group(message)].append(r['name'])
            if reason_specifics(message):
                specifics[reason_group(message)][reason_specifics(message)] += 1
    na_reasons = collections.Counter(not_app.values())
    ranked = sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {
        'counts': {k: counts.get(k, 0) for k in OUTCOMES},
        'not_applicable': len(not_app),
        'not_applicable_reasons': dict(na_reasons.most_common()),
        'refusal_reasons': [{'reason': k, 'files': len(v), 'examples': sorted(v)[:8],
                             'specifics': dict(specifics[k].most_common())}
                            for k, v in ranked],
        'top': top,
    }


def print_summary(summary, records, total, elapsed, source):
    applicable = sum(summary['counts'].values())
    print()
    print('%s through hpy.cython (Cython %s), universal ABI: %d files'
          % (source, _support().CYTHON_VERSION, total))
    print('  not applicable: %d' % summary['not_applicable'])
    for reason, n in summary['not_applicable_reasons'].items():
        print('      %4d  %s' % (n, reason))
    print('  applicable: %d' % applicable)
    for outcome in OUTCOMES:
        n = summary['counts'][outcome]
        share = 100.0 * n / applicable if applicable else 0.0
        print('      %4d  %5.1f%%  %s' % (n, share, outcome))
    print()
    print('top %d refusal reasons (files; the first unsupported construct met in each file):'
          % summary['top'])
    for entry in summary['refusal_reasons'][:summary['top']]:
        print('  %4d  %s' % (entry['files'], entry['reason']))
        if entry.get('specifics'):
            common = list(entry['specifics'].items())
            shown = ', '.join('%s %d' % kv for kv in common[:4])
            print('        X: %s%s' % (shown, ', ...' if len(common) > 4 else ''))
    groups = len(summary['refusal_reasons'])
    if groups > summary['top']:
        rest = sum(e['files'] for e in summary['refusal_reasons'][summary['top']:])
        print('  %4d  (%d other reasons)' % (rest, groups - summary['top']))
    by_name = sorted(records, key=lambda r: r['name'])
    for outcome in ('generator-bug', 'c-error', 'import-error', 'crash', 'timeout', 'fail'):
        listed = [r for r in by_name if r['outcome'] == outcome]
        if not listed:
            continue
        print()
        print('%s (%d):' % (outcome, len(listed)))
        for r in listed:
            detail = r.get('detail', '')
            if outcome == 'fail':
                detail = '%d of %d tests fail' % (r.get('failed', 0), r.get('tests', 0))
                if r.get('failures'):
                    first = sorted(r['failures'].items())[0]
                    detail += '; e.g. %s: %s' % first
            first_line = (detail or '').strip().splitlines()[0] if detail else ''
            print('  %-36s %s' % (r['name'], first_line[:150]))
    print()
    print('elapsed: %.0f s' % elapsed)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--jobs', '-j', type=int, default=2, help='files at a time (default 2)')
    p.add_argument('--timeout', type=float, default=60.0,
                   help='seconds per file, compilation included (default 60)')
    p.add_argument('--filter', default=None,
                   help='comma-separated names (or substrings) of the files to take')
    p.add_argument('--json', default=DEFAULT_JSON, help='where to write the records')
    p.add_argument('--dir', default=None, help="the .pyx files of this folder instead of "
                   "Cython's tests/run (bugs.txt does not apply)")
    p.add_argument('--top', type=int, default=15, help='refusal reasons to print')
    p.add_argument('-v', '--verbose', action='store_true', help='print each file as it ends')
    p.add_argument('--summary', metavar='JSON', help='print the summary of the records an '
                   'earlier run wrote, without running anything')
    p.add_argument('--child', nargs=2, metavar=('PYX', 'RESULT'), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child_main(*args.child)
    if args.summary:
        with open(args.summary) as f:
            data = json.load(f)
        summary = summarize(data['records'], data['not_applicable'], args.top)
        print_summary(summary, data['records'], len(data['records']) + len(
            data['not_applicable']), data['elapsed_s'], data.get('files', 'tests/run/*.pyx'))
        return 0
    if args.jobs < 1 or args.timeout <= 0:
        p.error('--jobs and --timeout must be positive')

    t0 = time.monotonic()
    directory = os.path.abspath(args.dir) if args.dir else run_dir()
    paths = sorted(os.path.join(directory, f) for f in os.listdir(directory)
                   if f.endswith('.pyx'))
    if args.filter:
        wanted = [w.strip() for w in args.filter.split(',') if w.strip()]
        paths = [q for q in paths if any(w in os.path.basename(q)[:-4] for w in wanted)]
        if not paths:
            p.error('no file matches --filter %r' % args.filter)
    bugs = set() if args.dir else known_bugs()
    not_app, todo = {}, []
    for path in paths:
        why = not_applicable(path, bugs)
        if why:
            not_app[os.path.basename(path)[:-4]] = why
        else:
            todo.append(path)
    print('%d files: %d not applicable, %d to run (%d at a time, %g s timeout each)'
          % (len(paths), len(not_app), len(todo), args.jobs, args.timeout), flush=True)

    # results and the children's work folders: this run's own (runs may overlap)
    os.makedirs(WORK_DIR, exist_ok=True)
    results_dir = tempfile.mkdtemp(prefix='run-%d-' % os.getpid(), dir=WORK_DIR)
    atexit.register(shutil.rmtree, results_dir, True)
    records = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_child, path, args.timeout, results_dir): path
                   for path in todo}
        for i, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            r = fut.result()
            records.append(r)
            if args.verbose:
                extra = r.get('reason') or r.get('detail') or ''
                print('[%d/%d] %-36s %-13s %s' % (i, len(todo), r['name'], r['outcome'],
                                                  extra.strip().splitlines()[0][:90]
                                                  if extra.strip() else ''), flush=True)
            elif i % 50 == 0:
                print('  %d/%d done' % (i, len(todo)), flush=True)
    elapsed = time.monotonic() - t0
    summary = summarize(records, not_app, args.top)
    print_summary(summary, records, len(paths), elapsed,
                  directory if args.dir else 'tests/run/*.pyx')
    data = {
        'cython': _support().CYTHON_VERSION,
        'files': directory if args.dir else 'tests/run of the sdist',
        'python': sys.version,
        'abi': 'universal',
        'timeout_s': args.timeout,
        'elapsed_s': round(elapsed, 1),
        'summary': summary,
        'not_applicable': dict(sorted(not_app.items())),
        'records': sorted(records, key=lambda r: r['name']),
    }
    _timing().write_json(args.json, data, indent=1, what='records')
    return 0


if __name__ == '__main__':
    sys.exit(main())
