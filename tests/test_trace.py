"""Trace mode: hpy.trace, call counts, durations and hooks (python-contract.md §10), and the
sampling of durations (docs/runtime.md, Trace mode)."""
import json
import os

import pytest

import hpy.trace
import hpy.universal
from support import ROOT, run_python

TEST_ABIS = ['trace']

SRC = '''
    HPyDef_METH(add, "add", HPyFunc_VARARGS)
    static HPy add_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        HPy r = HPy_Add(ctx, args[0], args[1]);
        HPy d = HPy_Dup(ctx, r);
        HPy_Close(ctx, r);
        return d;
    }
    HPyDef_METH(name, "name", HPyFunc_NOARGS)
    static HPy name_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return HPyUnicode_FromString(ctx, ctx->name);
    }
    /* pattern(obj, n, period): n calls in a row, HPy_Length(obj) on every period-th one and
       HPy_IsTrue(obj) on the others */
    HPyDef_METH(pattern, "pattern", HPyFunc_VARARGS)
    static HPy pattern_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        long n = HPyLong_AsLong(ctx, args[1]);
        long period = HPyLong_AsLong(ctx, args[2]);
        for (long i = 0; i < n; i++) {
            if ((i + 1) % period == 0) {
                if (HPy_Length(ctx, args[0]) < 0)
                    return HPy_NULL;
            }
            else if (HPy_IsTrue(ctx, args[0]) < 0) {
                return HPy_NULL;
            }
        }
        return HPy_Dup(ctx, ctx->h_None);
    }
    @EXPORT(add)
    @EXPORT(name)
    @EXPORT(pattern)
    @INIT
'''

DEFAULT_SAMPLING = 128


@pytest.fixture(autouse=True)
def restore_trace_settings():
    saved = hpy.trace.get_duration_sampling()
    yield
    hpy.trace.set_duration_sampling(saved)
    hpy.trace.set_trace_functions(on_enter=None, on_exit=None)


def function_fields():
    with open(os.path.join(ROOT, 'api', 'ctx.tsv')) as f:
        rows = [l.rstrip('\n').split('\t') for l in f if not l.startswith('#')][1:]
    return [r[3] for r in rows if r[1] == 'function']


def test_module_api():
    assert hpy.universal._trace.__doc__ == 'HPy trace mode'
    assert hpy.trace.get_call_counts is hpy.universal._trace.get_call_counts
    assert hpy.trace.set_duration_sampling is hpy.universal._trace.set_duration_sampling
    assert hpy.trace.get_duration_sampling is hpy.universal._trace.get_duration_sampling
    assert {'set_duration_sampling', 'get_duration_sampling'} <= set(hpy.trace.__all__)
    counts = hpy.trace.get_call_counts()
    assert list(counts) == function_fields()
    assert set(hpy.trace.get_durations()) == set(counts)
    assert hpy.trace.get_frequency() > 0
    with pytest.raises(TypeError, match='Expected a callable object or None'):
        hpy.trace.set_trace_functions(on_enter=42)


def test_counts_durations_and_hooks(compile_module):
    mod = compile_module(SRC)
    assert mod.name() == 'HPy Trace Mode ABI'
    hpy.trace.set_duration_sampling(1)
    before = hpy.trace.get_call_counts()
    durations_before = hpy.trace.get_durations()
    for i in range(10):
        assert mod.add(i, 1) == i + 1
    after = hpy.trace.get_call_counts()
    assert after['ctx_Add'] - before['ctx_Add'] == 10
    assert after['ctx_Dup'] - before['ctx_Dup'] == 10
    assert after['ctx_Close'] - before['ctx_Close'] == 10
    assert after['ctx_FatalError'] == 0
    assert after['ctx_CallRealFunctionFromTrampoline'] == 0
    assert hpy.trace.get_durations()['ctx_Add'] > durations_before['ctx_Add']
    events = []
    hpy.trace.set_trace_functions(on_enter=lambda n: events.append(('enter', n)),
                                  on_exit=lambda n: events.append(('exit', n)))
    try:
        mod.add(1, 2)
        hpy.trace.set_trace_functions(on_exit=None)     # on_enter stays
        mod.add(1, 2)
    finally:
        hpy.trace.set_trace_functions(on_enter=None, on_exit=None)
    assert events[:6] == [('enter', 'ctx_Add'), ('exit', 'ctx_Add'), ('enter', 'ctx_Dup'),
                          ('exit', 'ctx_Dup'), ('enter', 'ctx_Close'), ('exit', 'ctx_Close')]
    assert events[6:] == [('enter', 'ctx_Add'), ('enter', 'ctx_Dup'), ('enter', 'ctx_Close')]
    mod.add(1, 2)
    assert len(events) == 9


def test_failing_hook_is_fatal(compile_module, tmp_path):
    name, path = compile_module.compile(SRC)
    code = '\n'.join([
        'import sys; sys.path.insert(0, %r)' % os.path.join(ROOT, 'tests'),
        'from support import load_module',
        'import hpy.trace',
        'mod = load_module(%r, %r, "trace")' % (name, path),
        'def boom(name): raise ValueError(name)',
        'hpy.trace.set_trace_functions(on_enter=boom)',
        'mod.add(1, 2)',
    ])
    res = run_python(code)
    assert res.returncode != 0
    assert 'error when executing on-enter trace function' in res.stderr


def test_hpy_env_selects_trace(compile_module):
    name, path = compile_module.compile(SRC)
    code = '\n'.join([
        'import importlib.util, os, types, hpy.universal',
        'spec = importlib.util.spec_from_file_location(%r, %r)' % (name, path),
        'mod = hpy.universal._load_bootstrap(%r, %r, "", %r, None, spec, os.environ)'
        % (name, name, path),
        'print(mod.name())',
    ])
    res = run_python(code, env={'HPY': 'trace', 'HPY_LOG': '1'})
    assert res.stdout.splitlines() == ["Loading '%s' in HPy universal mode with a trace context"
                                       % name, 'HPy Trace Mode ABI'], res.stderr


# ---- sampling of durations ----------------------------------------------------------------

def test_duration_sampling_setting():
    for n in (1, 2, 1000, 2**31):
        hpy.trace.set_duration_sampling(n)
        assert hpy.trace.get_duration_sampling() == n
    for bad in (0, -1, 2**31 + 1, 2**100):
        with pytest.raises(ValueError, match=r'^duration sampling must be from 1 \(time every '
                                             r'call\) to 2147483648, got %d$' % bad):
            hpy.trace.set_duration_sampling(bad)
    assert hpy.trace.get_duration_sampling() == 2**31      # unchanged by the errors
    for bad in ('8', 1.5, None):
        with pytest.raises(TypeError):
            hpy.trace.set_duration_sampling(bad)
    assert hpy.trace.get_duration_sampling() == 2**31


def test_default_sampling_reported_and_documented():
    res = run_python('import hpy.trace; print(hpy.trace.get_duration_sampling())')
    assert res.stdout.strip() == str(DEFAULT_SAMPLING), res.stderr
    assert 'default %d' % DEFAULT_SAMPLING in hpy.trace.get_duration_sampling.__doc__
    with open(os.path.join(ROOT, 'docs', 'runtime.md')) as f:
        text = f.read()
    section = text[text.index('## Trace mode'):]
    assert 'set_duration_sampling(1)' in section
    assert 'one call in %d' % DEFAULT_SAMPLING in section


# Durations are estimated from the calls timed so far over the whole process, so the tests that
# judge how calls are picked measure in a fresh process, where the functions have no history.
CHILD = """
import json, sys
sys.path.insert(0, %(tests)r)
from support import load_module
import hpy.trace
mod = load_module(%(name)r, %(path)r, 'trace')

def run_pattern(n, period, sampling=None):
    if sampling is not None:
        hpy.trace.set_duration_sampling(sampling)
    counts0, durations0 = hpy.trace.get_call_counts(), hpy.trace.get_durations()
    mod.pattern([1, 2, 3], n, period)
    counts1, durations1 = hpy.trace.get_call_counts(), hpy.trace.get_durations()
    n_length = n // period
    per_call = {}
    for name, calls in (('ctx_Length', n_length), ('ctx_IsTrue', n - n_length)):
        assert counts1[name] - counts0[name] == calls, (name, counts0[name], counts1[name])
        if calls:
            per_call[name] = (durations1[name] - durations0[name]) / calls
    return per_call

results = []
%(body)s
print(json.dumps(results))
"""


def in_fresh_process(compile_module, body):
    """Run `body` (Python statements that append to `results`, with run_pattern(n, period,
    sampling=unchanged) -> {function: estimated ns per call}) in a new interpreter; returns
    results."""
    name, path = compile_module.compile(SRC)
    code = CHILD % {'tests': os.path.join(ROOT, 'tests'), 'name': name, 'path': path,
                    'body': body}
    res = run_python(code)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1])


def assert_close_to_exact(compile_module, body, sampling, factor=2.0, attempts=5):
    """The last durations per call that `body` reports with SAMPLING = `sampling` agree with
    those it reports with SAMPLING = 1 (exact timing) within `factor`. A timed call that the OS
    interrupts weighs `sampling` times more in the estimate than in exact timing, so one attempt
    of several must agree."""
    for _ in range(attempts):
        exact = in_fresh_process(compile_module, body.replace('SAMPLING', '1'))[-1]
        sampled = in_fresh_process(compile_module, body.replace('SAMPLING', str(sampling)))[-1]
        assert set(exact) == set(sampled) and all(v > 0 for v in exact.values()), exact
        if all(exact[k] / factor < sampled[k] < exact[k] * factor for k in exact):
            return
    pytest.fail('durations per call with sampling %d: %r, exact: %r' % (sampling, sampled, exact))


def pattern_body(n, period):
    return 'results.append(run_pattern(%d, %d, SAMPLING))' % (n, period)


def test_exact_mode_times_every_call(compile_module):
    mod = compile_module(SRC)
    hpy.trace.set_duration_sampling(1)
    previous = hpy.trace.get_durations()['ctx_Length']
    for _ in range(20):
        mod.pattern([1], 1, 1)
        d = hpy.trace.get_durations()['ctx_Length']
        assert d > previous
        previous = d


def test_sampled_durations_are_scaled_to_all_calls(compile_module):
    assert_close_to_exact(compile_module, pattern_body(100000, 1), DEFAULT_SAMPLING)
    assert_close_to_exact(compile_module, pattern_body(100000, 1), 1000)


def test_sampling_does_not_alias_with_periodic_calls(compile_module):
    # A fixed gap equal to the period (or a multiple of it) would time only one of the two
    # functions of the pattern, and report 0 for the other.
    assert_close_to_exact(compile_module, pattern_body(64 * 4000, 64), 64)
    assert_close_to_exact(compile_module, pattern_body(200000, 2), 2)


def test_hooks_with_sampling(compile_module):
    mod = compile_module(SRC)
    seen = []
    hpy.trace.set_trace_functions(
        on_enter=lambda n: seen.append(n) if n == 'ctx_Length' else None,
        on_exit=lambda n: seen.append(n) if n == 'ctx_IsTrue' else None)
    counts0 = hpy.trace.get_call_counts()
    mod.pattern([1, 2], 3000, 3)
    counts1 = hpy.trace.get_call_counts()
    assert counts1['ctx_Length'] - counts0['ctx_Length'] == 1000
    assert counts1['ctx_IsTrue'] - counts0['ctx_IsTrue'] == 2000
    assert seen.count('ctx_Length') == 1000
    assert seen.count('ctx_IsTrue') == 2000
    # hooks installed and sampling 1: every call is timed
    hpy.trace.set_duration_sampling(1)
    previous = hpy.trace.get_durations()['ctx_Length']
    for _ in range(5):
        mod.pattern([1], 1, 1)
        d = hpy.trace.get_durations()['ctx_Length']
        assert d > previous
        previous = d
    hpy.trace.set_trace_functions(on_enter=None, on_exit=None)
    mod.pattern([1], 1000, 1)
    assert len(seen) == 3005


def test_sampling_with_hooks_installed_and_removed(compile_module):
    # With hooks, ctx_Length calls are timed on the sample (the hooks' time left out); once the
    # hooks are removed, ctx_IsTrue (not called before) is timed on the sample of the fast path.
    body = '\n'.join([
        'hpy.trace.set_duration_sampling(SAMPLING)',
        'hpy.trace.set_trace_functions(on_enter=lambda name: None, on_exit=lambda name: None)',
        'with_hooks = run_pattern(100000, 1)',
        'hpy.trace.set_trace_functions(on_enter=None, on_exit=None)',
        'without = run_pattern(100000, 200000)',
        'results.append(dict(ctx_Length=with_hooks["ctx_Length"], '
        'ctx_IsTrue=without["ctx_IsTrue"]))',
    ])
    assert_close_to_exact(compile_module, body, DEFAULT_SAMPLING)


def test_sampling_periods(compile_module):
    # Each set_duration_sampling starts a period: durations of the earlier periods stay as they
    # were estimated, and the calls of an exact period add their measured time exactly.
    mod = compile_module(SRC)
    hpy.trace.set_duration_sampling(DEFAULT_SAMPLING)
    mod.pattern([1], 10000, 1)
    hpy.trace.set_duration_sampling(1)
    previous = hpy.trace.get_durations()['ctx_Length']
    assert previous > 0
    for _ in range(20):
        mod.pattern([1], 1, 1)
        d = hpy.trace.get_durations()['ctx_Length']
        assert d > previous
        previous = d
    hpy.trace.set_duration_sampling(DEFAULT_SAMPLING)
    assert hpy.trace.get_durations()['ctx_Length'] == previous
