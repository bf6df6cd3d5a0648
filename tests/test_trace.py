"""Trace mode: hpy.trace, call counts, durations and hooks (python-contract.md §10)."""
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
    @EXPORT(add)
    @EXPORT(name)
    @INIT
'''


def function_fields():
    with open(os.path.join(ROOT, 'api', 'ctx.tsv')) as f:
        rows = [l.rstrip('\n').split('\t') for l in f if not l.startswith('#')][1:]
    return [r[3] for r in rows if r[1] == 'function']


def test_module_api():
    assert hpy.universal._trace.__doc__ == 'HPy trace mode'
    assert hpy.trace.get_call_counts is hpy.universal._trace.get_call_counts
    counts = hpy.trace.get_call_counts()
    assert list(counts) == function_fields()
    assert set(hpy.trace.get_durations()) == set(counts)
    assert hpy.trace.get_frequency() > 0
    with pytest.raises(TypeError, match='Expected a callable object or None'):
        hpy.trace.set_trace_functions(on_enter=42)


def test_counts_durations_and_hooks(compile_module):
    mod = compile_module(SRC)
    assert mod.name() == 'HPy Trace Mode ABI'
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
