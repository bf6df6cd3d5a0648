"""Trace mode: hpy.trace, call counts, durations and hooks (python-contract.md §10), and the
sampling of durations (docs/runtime.md, Trace mode).

Durations are checked with a fake clock (hpy.universal._trace._set_clock) that advances by a
known amount at each reading, so that every expected value is exact; the only test on the real
clock asserts a lower bound that a loaded machine cannot break (a sleep never returns early)."""
import os
import sys
import time

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
    /* call(f, args): f(*args) through HPy_CallTupleDict, the only context call */
    HPyDef_METH(call, "call", HPyFunc_VARARGS)
    static HPy call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        return HPy_CallTupleDict(ctx, args[0], args[1], HPy_NULL);
    }
    /* length(obj): HPy_Length(obj), failing like it */
    HPyDef_METH(length, "length", HPyFunc_O)
    static HPy length_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        HPy_ssize_t n = HPy_Length(ctx, arg);
        if (n < 0)
            return HPy_NULL;
        return HPyLong_FromSsize_t(ctx, n);
    }
    @EXPORT(add)
    @EXPORT(name)
    @EXPORT(pattern)
    @EXPORT(call)
    @EXPORT(length)
    @INIT
'''

DEFAULT_SAMPLING = 1


class FakeClock:
    """A trace clock that advances by `step` ns at each reading; `jump(ns)` advances it without a
    reading. A timed call reads it twice, so with no reading in between it lasts `step`."""

    def __init__(self, step):
        self.now = 0
        self.step = step
        self.reads = 0

    def __call__(self):
        self.now += self.step
        self.reads += 1
        return self.now

    def jump(self, ns):
        self.now += ns


@pytest.fixture(autouse=True)
def restore_trace_settings():
    saved = hpy.trace.get_duration_sampling()
    yield
    hpy.trace.set_duration_sampling(saved)
    hpy.trace.set_trace_functions(on_enter=None, on_exit=None)
    hpy.universal._trace._set_clock(None)


@pytest.fixture
def clock():
    c = FakeClock(1000)
    hpy.universal._trace._set_clock(c)
    return c


def function_fields():
    with open(os.path.join(ROOT, 'api', 'ctx.tsv')) as f:
        rows = [l.rstrip('\n').split('\t') for l in f if not l.startswith('#')][1:]
    return [r[3] for r in rows if r[1] == 'function']


def deltas(before, after):
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


class Window:
    """Counts and durations of what runs inside a `with` block."""

    def __enter__(self):
        self.counts0, self.durations0 = hpy.trace.get_call_counts(), hpy.trace.get_durations()
        return self

    def __exit__(self, *exc):
        self.calls = deltas(self.counts0, hpy.trace.get_call_counts())
        self.durations = deltas(self.durations0, hpy.trace.get_durations())


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
    with pytest.raises(TypeError, match='Expected a callable object or None'):
        hpy.universal._trace._set_clock(42)


def test_counts_durations_and_hooks(compile_module, clock):
    mod = compile_module(SRC)
    assert mod.name() == 'HPy Trace Mode ABI'
    reads = clock.reads
    with Window() as w:
        for i in range(10):
            assert mod.add(i, 1) == i + 1
    assert w.calls == {'ctx_Add': 10, 'ctx_Dup': 10, 'ctx_Close': 10}
    # exact by default: every call timed, each lasting one step of the clock
    assert w.durations == {'ctx_Add': 10 * 1000, 'ctx_Dup': 10 * 1000, 'ctx_Close': 10 * 1000}
    assert clock.reads - reads == 2 * 30
    after = hpy.trace.get_call_counts()
    assert after['ctx_FatalError'] == 0
    assert after['ctx_CallRealFunctionFromTrampoline'] == 0
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


def test_hooks_around_a_failing_call(compile_module):
    # a failing call returns with its exception set: the hooks after it run (they would fail,
    # fatally, with an exception pending) and the exception still reaches the caller
    mod = compile_module(SRC)
    seen = []
    hpy.trace.set_trace_functions(on_enter=lambda n: seen.append(('enter', n)),
                                  on_exit=lambda n: seen.append(('exit', n)))
    with pytest.raises(TypeError, match="object of type 'int' has no len"):
        mod.length(5)
    assert mod.length([1, 2]) == 2
    hpy.trace.set_trace_functions(on_enter=None, on_exit=None)
    assert seen == [('enter', 'ctx_Length'), ('exit', 'ctx_Length'),
                    ('enter', 'ctx_Length'), ('exit', 'ctx_Length'),
                    ('enter', 'ctx_Long_FromSsize_t'), ('exit', 'ctx_Long_FromSsize_t')]


def test_hook_uninstalling_itself(compile_module):
    mod = compile_module(SRC)
    seen = []

    class Once:
        def __call__(self, name):
            seen.append(name)
            hpy.trace.set_trace_functions(on_enter=None)

    hpy.trace.set_trace_functions(on_enter=Once())      # held by the trace state only
    assert mod.add(1, 2) == 3
    assert seen == ['ctx_Add']


@pytest.mark.no_refleak_check   # the work happens in a subprocess
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


@pytest.mark.no_refleak_check   # the work happens in a subprocess
def test_hpy_env_selects_trace(compile_module):
    name, path = compile_module.compile(SRC)
    code = '\n'.join([
        'import importlib.machinery, importlib.util, os, types, hpy.universal',
        'spec = importlib.util.spec_from_file_location(%r, %r, '
        'loader=importlib.machinery.ExtensionFileLoader(%r, %r))' % (name, path, name, path),
        'mod = hpy.universal._load_bootstrap(%r, %r, "", %r, None, spec, os.environ)'
        % (name, name, path),
        'print(mod.name())',
    ])
    res = run_python(code, env={'HPY': 'trace', 'HPY_LOG': '1'})
    assert res.stdout.splitlines() == ["Loading '%s' in HPy universal mode with a trace context"
                                       % name, 'HPy Trace Mode ABI'], res.stderr


# ---- the real clock ------------------------------------------------------------------------

def test_long_call_is_timed_in_default_mode(compile_module):
    # with the real clock and the default setting, one call that lasts 0.3 s adds at least that
    # much to its function (a lower bound only: a loaded machine makes calls longer, never
    # shorter)
    mod = compile_module(SRC)
    assert hpy.trace.get_duration_sampling() == DEFAULT_SAMPLING
    with Window() as w:
        assert mod.call(time.sleep, (0.3,)) is None
    assert w.calls == {'ctx_CallTupleDict': 1}
    assert w.durations['ctx_CallTupleDict'] >= 250 * 10**6


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
    assert 'exact by default' in section
    assert '`get_duration_sampling()` is 1' in section
    assert 'hpy.trace.set_duration_sampling(n)' in section


def run_pattern(mod, n, period):
    """mod.pattern([1, 2, 3], n, period) -> its Window; checks its counts."""
    with Window() as w:
        mod.pattern([1, 2, 3], n, period)
    n_length = n // period
    assert w.calls.get('ctx_Length', 0) == n_length
    assert w.calls.get('ctx_IsTrue', 0) == n - n_length
    return w


def test_exact_mode_times_every_call(compile_module, clock):
    mod = compile_module(SRC)
    for step in (1000, 1, 12345):
        clock.step = step
        for _ in range(5):
            reads = clock.reads
            w = run_pattern(mod, 1, 1)
            # pattern makes 4 calls (2 Long_AsInt64_t, Length, Dup), each timed
            assert sum(w.calls.values()) == 4
            assert clock.reads - reads == 2 * 4
            assert w.durations == {k: c * step for k, c in w.calls.items()}


@pytest.mark.parametrize('sampling', [2, 7, 128, 1000])
def test_sampled_durations_are_scaled_to_all_calls(compile_module, clock, sampling):
    # every call lasts one step: whichever calls the sample picks, time of the timed calls *
    # calls / timed calls is exactly calls * step (scaling by `sampling` instead would not be)
    mod = compile_module(SRC)
    hpy.trace.set_duration_sampling(sampling)
    reads = clock.reads
    w = run_pattern(mod, 50000, 1)
    assert w.durations['ctx_Length'] == 50000 * 1000
    total = sum(w.calls.values())
    timed = (clock.reads - reads) // 2
    assert (clock.reads - reads) % 2 == 0
    # gaps between timed calls are 1 to 2 * sampling - 1 calls
    assert total // (2 * sampling - 1) <= timed < total


def test_sampling_does_not_alias_with_periodic_calls(compile_module, clock):
    # A fixed gap equal to the period (or a multiple of it) would time only one of the two
    # functions of the pattern, and report 0 for the other.
    mod = compile_module(SRC)
    for n, period, sampling in ((64 * 4000, 64, 64), (200000, 2, 2), (128 * 1000, 128, 128)):
        hpy.trace.set_duration_sampling(sampling)
        w = run_pattern(mod, n, period)
        assert w.durations['ctx_Length'] == (n // period) * 1000
        assert w.durations['ctx_IsTrue'] == (n - n // period) * 1000


def test_hooks_time_is_not_counted(compile_module, clock):
    # the hooks move the clock by a lot; the calls still last one step each, sampled or not
    mod = compile_module(SRC)
    seen = []

    def on_enter(name):
        seen.append(name)
        clock.jump(10**9)

    hpy.trace.set_trace_functions(on_enter=on_enter, on_exit=lambda name: clock.jump(10**9))
    for sampling in (1, 64):
        hpy.trace.set_duration_sampling(sampling)
        del seen[:]
        w = run_pattern(mod, 3000, 3)
        assert seen.count('ctx_Length') == 1000 and seen.count('ctx_IsTrue') == 2000
        assert w.durations['ctx_Length'] == 1000 * 1000
        assert w.durations['ctx_IsTrue'] == 2000 * 1000


def test_sampling_with_hooks_installed_and_removed(compile_module, clock):
    # installing and removing hooks while sampling keeps one sample going: with hooks, every
    # call takes the slow path but only the sample is timed; without, the fast path takes over
    mod = compile_module(SRC)
    hpy.trace.set_duration_sampling(128)
    hpy.trace.set_trace_functions(on_enter=lambda name: None, on_exit=lambda name: None)
    reads = clock.reads
    w = run_pattern(mod, 100000, 1)
    assert w.durations['ctx_Length'] == 100000 * 1000
    assert (clock.reads - reads) // 2 < sum(w.calls.values()) // 2
    hpy.trace.set_trace_functions(on_enter=None, on_exit=None)
    w = run_pattern(mod, 100000, 200000)
    assert w.durations['ctx_IsTrue'] == 100000 * 1000


def test_sampling_periods(compile_module, clock):
    # Each set_duration_sampling starts a period: what was reported stays as it was, and the
    # calls from then on are estimated by themselves (mixing them with the earlier ones would
    # not give these exact sums when the calls last differently in each period).
    mod = compile_module(SRC)
    clock.step = 1000      # --refleaks runs the body again with the same clock
    hpy.trace.set_duration_sampling(128)
    start = hpy.trace.get_durations()['ctx_Length']
    run_pattern(mod, 10000, 1)
    d1 = hpy.trace.get_durations()['ctx_Length']
    assert d1 - start == 10000 * 1000
    hpy.trace.set_duration_sampling(1)
    assert hpy.trace.get_durations()['ctx_Length'] == d1
    clock.step = 3000
    run_pattern(mod, 50, 1)
    d2 = hpy.trace.get_durations()['ctx_Length']
    assert d2 - d1 == 50 * 3000
    hpy.trace.set_duration_sampling(5)
    assert hpy.trace.get_durations()['ctx_Length'] == d2
    clock.step = 7
    run_pattern(mod, 1000, 1)
    d3 = hpy.trace.get_durations()['ctx_Length']
    assert d3 - d2 == 1000 * 7
    hpy.trace.set_duration_sampling(128)
    assert hpy.trace.get_durations()['ctx_Length'] == d3


def test_call_spanning_two_periods(compile_module, clock):
    # a call timed in one period and ending in the next adds its own time, unscaled, to the
    # earlier periods; the new period has no call of that function yet
    mod = compile_module(SRC)
    hpy.trace.set_duration_sampling(1)
    with Window() as w:
        mod.call(hpy.trace.set_duration_sampling, (1000,))
    assert hpy.trace.get_duration_sampling() == 1000
    assert w.calls == {'ctx_CallTupleDict': 1}
    assert w.durations == {'ctx_CallTupleDict': 1000}


def test_failing_clock_is_reported(compile_module, clock):
    mod = compile_module(SRC)
    reported = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = lambda u: reported.append((u.exc_type, u.object))
    try:
        def bad_clock():
            raise KeyError('no time')
        bad_clocks = [bad_clock, lambda: -1, lambda: 'x']
        for bad in bad_clocks:
            hpy.universal._trace._set_clock(bad)
            with Window() as w:
                assert mod.length([1, 2]) == 2
            # Length and the conversion of its result, each reading the clock twice
            assert w.calls['ctx_Length'] == 1 and sum(w.calls.values()) == 2
            assert w.durations == {}
    finally:
        sys.unraisablehook = old_hook
    assert [t for t, _ in reported] == [KeyError] * 4 + [OverflowError] * 4 + [TypeError] * 4
    assert [o for _, o in reported] == [c for c in bad_clocks for _ in range(4)]


def test_the_slots_of_minor_2_are_traced(compile_module):
    """What a slot of minor 2 calls goes through the trace context (docs/type-slots.md)."""
    mod = compile_module('''
        /* each slot calls HPy_Dup once (and HPy_Close once when it returns an int) */
        HPyDef_SLOT(T_iter, HPy_tp_iter)
        static HPy T_iter_impl(HPyContext *ctx, HPy self) { return HPy_Dup(ctx, self); }
        HPyDef_SLOT(T_iternext, HPy_tp_iternext)
        static HPy T_iternext_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPy_Dup(ctx, ctx->h_None);
        }
        HPyDef_SLOT(T_getattro, HPy_tp_getattro)
        static HPy T_getattro_impl(HPyContext *ctx, HPy self, HPy name)
        {
            (void)self;
            return HPy_Dup(ctx, name);
        }
        HPyDef_SLOT(T_setattro, HPy_tp_setattro)
        static int T_setattro_impl(HPyContext *ctx, HPy self, HPy name, HPy value)
        {
            (void)self; (void)value;
            HPy_Close(ctx, HPy_Dup(ctx, name));
            return 0;
        }
        HPyDef_SLOT(T_descr_set, HPy_tp_descr_set)
        static int T_descr_set_impl(HPyContext *ctx, HPy self, HPy obj, HPy value)
        {
            (void)obj; (void)value;
            HPy_Close(ctx, HPy_Dup(ctx, self));
            return 0;
        }
        HPyDef_SLOT(T_await, HPy_am_await)
        static HPy T_await_impl(HPyContext *ctx, HPy self) { return HPy_Dup(ctx, self); }
        HPyDef_SLOT(T_aiter, HPy_am_aiter)
        static HPy T_aiter_impl(HPyContext *ctx, HPy self) { return HPy_Dup(ctx, self); }
        HPyDef_SLOT(T_anext, HPy_am_anext)
        static HPy T_anext_impl(HPyContext *ctx, HPy self) { return HPy_Dup(ctx, self); }
        static HPyDef *T_defines[] = { &T_iter, &T_iternext, &T_getattro, &T_setattro,
                                       &T_descr_set, &T_await, &T_aiter, &T_anext, NULL };
        static HPyType_Spec T_spec = { .name = "mytest.T", .defines = T_defines };
        HPyDef_SLOT(add_type, HPy_mod_exec)
        static int add_type_impl(HPyContext *ctx, HPy m)
        {
            return HPyHelpers_AddType(ctx, m, "T", &T_spec, NULL) ? 0 : -1;
        }
        @EXPORT(add_type)
        @INIT
    ''')
    t = mod.T()

    class Owner:
        attr = t
    o = Owner()
    with Window() as w:
        assert iter(t) is t and next(t) is None
        assert t.some_name == 'some_name'
        t.x = 1
        del t.x
        o.attr = 2
        T = type(t)                # (t's own attributes are all computed by tp_getattro)
        assert T.__await__(t) is t and T.__aiter__(t) is t and T.__anext__(t) is t
    assert w.calls == {'ctx_Dup': 9, 'ctx_Close': 3}
