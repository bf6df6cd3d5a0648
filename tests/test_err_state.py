"""The raised exception as an object (HPyErr_GetRaisedException, HPyErr_SetRaisedException) and
traceback entries of code written in another language (HPyTraceback_Add), in every ABI:
try/finally, `except ... as e` and re-raise written in C, tracebacks that survive the round trip,
entries that traceback.extract_tb and the printed traceback show (docs/exceptions.md)."""
import sys
import textwrap
import traceback

import pytest

from support import DEBUG_ABIS, run_python

ERR_STATE = r'''
    static HPy call0(HPyContext *ctx, HPy callable)
    {
        return HPy_Call(ctx, callable, NULL, 0, HPy_NULL);
    }

    static HPy fail(HPyContext *ctx, const char *message)
    {
        return HPyErr_SetString(ctx, ctx->h_AssertionError, message);
    }

    /* f() must raise: its exception, taken out (the error indicator is then clear). */
    HPyDef_METH(take, "take", HPyFunc_O)
    static HPy take_impl(HPyContext *ctx, HPy self, HPy f)
    {
        (void)self;
        HPy r = call0(ctx, f);
        if (!HPy_IsNull(r)) {
            HPy_Close(ctx, r);
            return fail(ctx, "f() did not raise");
        }
        HPy exc = HPyErr_GetRaisedException(ctx);
        if (HPy_IsNull(exc))
            return fail(ctx, "HPyErr_GetRaisedException gave HPy_NULL with an exception set");
        if (HPyErr_Occurred(ctx)) {
            HPy_Close(ctx, exc);
            return fail(ctx, "the error indicator is still set");
        }
        return exc;
    }

    /* With no exception raised: HPy_NULL, and still no exception. */
    HPyDef_METH(take_none, "take_none", HPyFunc_NOARGS)
    static HPy take_none_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPy exc = HPyErr_GetRaisedException(ctx);
        if (!HPy_IsNull(exc)) {
            HPy_Close(ctx, exc);
            return fail(ctx, "an exception out of nowhere");
        }
        return HPyBool_FromLong(ctx, !HPyErr_Occurred(ctx));
    }

    /* Raise exc over a KeyError raised before: exc replaces it. */
    HPyDef_METH(put, "put", HPyFunc_O)
    static HPy put_impl(HPyContext *ctx, HPy self, HPy exc)
    {
        (void)self;
        HPyErr_SetString(ctx, ctx->h_KeyError, "replaced");
        HPyErr_SetRaisedException(ctx, exc);
        if (!HPyErr_Occurred(ctx))
            return fail(ctx, "nothing raised");
        return HPy_NULL;
    }

    /* HPy_NULL clears the error indicator. */
    HPyDef_METH(put_null, "put_null", HPyFunc_NOARGS)
    static HPy put_null_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPyErr_SetString(ctx, ctx->h_KeyError, "cleared");
        HPyErr_SetRaisedException(ctx, HPy_NULL);
        return HPyBool_FromLong(ctx, !HPyErr_Occurred(ctx));
    }

    /* try:
     *     return f()
     * finally:
     *     cleanup()
     * The cleanup runs with no exception set; if it raises, its exception propagates with the
     * one of f as __context__, as in Python. */
    HPyDef_METH(try_finally, "try_finally", HPyFunc_VARARGS)
    static HPy try_finally_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        HPy result = call0(ctx, args[0]);
        HPy exc = HPy_IsNull(result) ? HPyErr_GetRaisedException(ctx) : HPy_NULL;
        HPy c = call0(ctx, args[1]);
        if (HPy_IsNull(c)) {
            HPy_Close(ctx, result);
            if (!HPy_IsNull(exc)) {
                HPy exc2 = HPyErr_GetRaisedException(ctx);
                if (HPy_SetAttr_s(ctx, exc2, "__context__", exc) < 0)
                    HPyErr_Clear(ctx);
                HPyErr_SetRaisedException(ctx, exc2);
                HPy_Close(ctx, exc2);
                HPy_Close(ctx, exc);
            }
            return HPy_NULL;
        }
        HPy_Close(ctx, c);
        if (!HPy_IsNull(exc)) {
            HPyErr_SetRaisedException(ctx, exc);
            HPy_Close(ctx, exc);
        }
        return result;
    }

    /* try:
     *     return f()
     * except exc_type as e:
     *     return handler(e) */
    HPyDef_METH(except_as, "except_as", HPyFunc_VARARGS)
    static HPy except_as_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        HPy result = call0(ctx, args[0]);
        if (!HPy_IsNull(result) || !HPyErr_ExceptionMatches(ctx, args[1]))
            return result;
        HPy e = HPyErr_GetRaisedException(ctx);
        result = HPy_Call(ctx, args[2], &e, 1, HPy_NULL);
        HPy_Close(ctx, e);
        return result;
    }

    /* try:
     *     return f()
     * except BaseException as e:
     *     observe(e)
     *     raise */
    HPyDef_METH(reraise, "reraise", HPyFunc_VARARGS)
    static HPy reraise_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        HPy result = call0(ctx, args[0]);
        if (!HPy_IsNull(result))
            return result;
        HPy e = HPyErr_GetRaisedException(ctx);
        HPy r = HPy_Call(ctx, args[1], &e, 1, HPy_NULL);
        if (HPy_IsNull(r)) {
            HPy_Close(ctx, e);
            return HPy_NULL;
        }
        HPy_Close(ctx, r);
        HPyErr_SetRaisedException(ctx, e);
        HPy_Close(ctx, e);
        return HPy_NULL;
    }

    /* f(), with the entry (name, file, line) added to the traceback if it raised. */
    HPyDef_METH(call_with_entry, "call_with_entry", HPyFunc_VARARGS)
    static HPy call_with_entry_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        const char *name = HPyUnicode_AsUTF8AndSize(ctx, args[1], NULL);
        const char *file = HPyUnicode_AsUTF8AndSize(ctx, args[2], NULL);
        long line = HPyLong_AsLong(ctx, args[3]);
        if (name == NULL || file == NULL || (line == -1 && HPyErr_Occurred(ctx)))
            return HPy_NULL;
        HPy r = call0(ctx, args[0]);
        if (HPy_IsNull(r))
            HPyTraceback_Add(ctx, name, file, (int)line);
        return r;
    }

    /* What a .pyx compiled to C does: outer() calls inner() on line 3 of demo.pyx, inner()
     * raises on line 7. */
    static HPy inner(HPyContext *ctx)
    {
        HPyErr_SetString(ctx, ctx->h_ValueError, "raised in inner");
        HPyTraceback_Add(ctx, "inner", "demo.pyx", 7);
        return HPy_NULL;
    }

    HPyDef_METH(outer, "outer", HPyFunc_NOARGS)
    static HPy outer_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPy r = inner(ctx);
        if (HPy_IsNull(r))
            HPyTraceback_Add(ctx, "outer", "demo.pyx", 3);
        return r;
    }

    /* With no exception raised, HPyTraceback_Add does nothing. */
    HPyDef_METH(entry_without_exception, "entry_without_exception", HPyFunc_NOARGS)
    static HPy entry_without_exception_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPyTraceback_Add(ctx, "f", "nothing.pyx", 1);
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* A NULL function name (which == 0) or file name (which == 1). */
    HPyDef_METH(entry_with_null, "entry_with_null", HPyFunc_O)
    static HPy entry_with_null_impl(HPyContext *ctx, HPy self, HPy which)
    {
        (void)self;
        long w = HPyLong_AsLong(ctx, which);
        HPyErr_SetString(ctx, ctx->h_ValueError, "original");
        HPyTraceback_Add(ctx, w == 0 ? NULL : "f", w == 1 ? NULL : "x.pyx", 1);
        return HPy_NULL;
    }

    @EXPORT(take)
    @EXPORT(take_none)
    @EXPORT(put)
    @EXPORT(put_null)
    @EXPORT(try_finally)
    @EXPORT(except_as)
    @EXPORT(reraise)
    @EXPORT(call_with_entry)
    @EXPORT(outer)
    @EXPORT(entry_without_exception)
    @EXPORT(entry_with_null)
    @INIT
'''


@pytest.fixture
def mod(compile_module):
    return compile_module(ERR_STATE)


def raiser():
    raise ValueError('boom')


RAISE_LINE = raiser.__code__.co_firstlineno + 1
RAISER = (__file__, RAISE_LINE, 'raiser')


def entries(exc):
    """(file name, line, function name) of each traceback entry, the outermost first."""
    return [(f.filename, f.lineno, f.name) for f in traceback.extract_tb(exc.__traceback__)]


def printed(exc):
    return ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def catch(expected, func, *args):
    """The exception func(*args) raises, which must be an `expected`. (Not pytest.raises: under
    --refleaks it drops the traceback.) Its traceback starts with the entry of this function."""
    try:
        func(*args)
    except expected as e:
        assert entries(e)[0][::2] == (__file__, 'catch')
        return e
    raise AssertionError('%r did not raise' % (func,))


CATCH_LINE = catch.__code__.co_firstlineno + 4
CATCH = (__file__, CATCH_LINE, 'catch')


# ---- HPyErr_GetRaisedException ------------------------------------------------------------------

def test_take_gives_the_exception_with_its_traceback(mod):
    e = mod.take(raiser)
    assert type(e) is ValueError and e.args == ('boom',)
    assert entries(e) == [RAISER]


def test_take_normalizes_an_exception_raised_by_class(mod):
    # raised from C as a class and a message: taken out as an instance
    def f():
        {}['missing']
    e = mod.take(f)
    assert type(e) is KeyError and e.args == ('missing',)
    e = mod.take(int.from_bytes)            # a TypeError raised by C code: no traceback at all
    assert type(e) is TypeError and e.__traceback__ is None


def test_take_with_nothing_raised(mod):
    assert mod.take_none() is True


# ---- HPyErr_SetRaisedException ------------------------------------------------------------------

def test_put_raises_the_instance(mod):
    err = ValueError('mine')
    e = catch(ValueError, mod.put, err)
    assert e is err
    assert err.__context__ is None          # it replaced the KeyError: no chaining
    assert entries(e) == [CATCH]


def test_put_keeps_the_traceback_of_the_instance(mod):
    e = mod.take(raiser)
    assert catch(ValueError, mod.put, e) is e
    # the caller's entry on top of the traceback the exception had
    assert entries(e) == [CATCH, RAISER]


def test_put_null_clears(mod):
    assert mod.put_null() is True


@pytest.mark.no_refleak_check
def test_put_refuses_a_non_exception(compile_module, hpy_abi):
    raise_5_message = str(_raised(lambda: exec('raise 5')))
    if hpy_abi in DEBUG_ABIS:
        # debug mode reports the misuse (tests/test_err_state_debug.py has the message)
        name, path = compile_module.compile(ERR_STATE)
        res = run_python(textwrap.dedent('''
            import importlib.util, resource, hpy.universal
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            import importlib.machinery
            _name, _path = %r, %r
            spec = importlib.util.spec_from_file_location(
                _name, _path, loader=importlib.machinery.ExtensionFileLoader(_name, _path))
            mod = hpy.universal.load(%r, %r, spec, mode=hpy.universal.MODE_DEBUG)
            mod.put(5)
        ''') % (name, path, name, path), env={'PYTHONFAULTHANDLER': ''})
        assert res.returncode != 0
        assert ('HPyErr_SetRaisedException arg must be an exception instance or HPy_NULL'
                in res.stderr)
        return
    mod = compile_module(ERR_STATE)
    for obj in (5, 'text', None):
        with pytest.raises(TypeError) as info:
            mod.put(obj)
        assert str(info.value) == raise_5_message == 'exceptions must derive from BaseException'
    with pytest.raises(TypeError) as info:
        mod.put(ValueError)
    assert str(info.value) == ('HPyErr_SetRaisedException needs an exception instance, not the '
                               'class ValueError (HPyErr_SetObject raises a class)')


def _raised(func):
    try:
        func()
    except BaseException as e:
        return e
    raise AssertionError('did not raise')


# ---- the patterns: try/finally, except ... as e, re-raise ---------------------------------------

def disturb():
    """Python code that raises and handles an exception of its own."""
    try:
        {}['x']
    except KeyError:
        pass


def test_try_finally_returns(mod):
    log = []
    assert mod.try_finally(lambda: log.append('f') or 42, lambda: log.append('cleanup')) == 42
    assert log == ['f', 'cleanup']


def test_try_finally_propagates_with_the_traceback(mod):
    log = []

    def cleanup():
        log.append(sys.exc_info()[0])
        disturb()
    e = catch(ValueError, mod.try_finally, raiser, cleanup)
    assert log == [None]                   # the cleanup ran with no exception set
    assert e.args == ('boom',) and e.__context__ is None
    assert entries(e) == [CATCH, RAISER]


def test_try_finally_cleanup_raising(mod):
    def cleanup():
        raise KeyError('cleanup')
    e = catch(KeyError, mod.try_finally, raiser, cleanup)
    assert type(e.__context__) is ValueError
    assert entries(e.__context__) == [RAISER]


def test_except_as_handles(mod):
    seen = []

    def handler(e):
        seen.append(e)
        return 'handled'
    assert mod.except_as(raiser, ValueError, handler) == 'handled'
    e, = seen
    assert type(e) is ValueError and e.args == ('boom',)
    assert entries(e) == [RAISER]
    assert mod.except_as(lambda: 'fine', ValueError, handler) == 'fine'
    assert len(seen) == 1


def test_except_as_lets_other_exceptions_through(mod):
    e = catch(ValueError, mod.except_as, raiser, KeyError, lambda e: 'never')
    assert entries(e) == [CATCH, RAISER]


def test_reraise(mod):
    seen = []

    def observe(e):
        seen.append((e, entries(e)))
        disturb()
    e = catch(ValueError, mod.reraise, raiser, observe)
    (observed, inside), = seen
    assert observed is e
    assert inside == [RAISER]              # __traceback__ is set while the exception is out
    assert entries(e) == [CATCH, RAISER]


def test_reraise_observer_raising(mod):
    def observe(e):
        raise KeyError('observer')
    with pytest.raises(KeyError):
        mod.reraise(raiser, observe)


# ---- HPyTraceback_Add ---------------------------------------------------------------------------

def test_entry_is_added_to_the_traceback(mod):
    e = catch(ValueError, mod.call_with_entry, raiser, 'compiled_function', 'source.pyx', 1234)
    assert entries(e) == [CATCH, ('source.pyx', 1234, 'compiled_function'), RAISER]


def test_entries_of_nested_calls(mod):
    e = catch(ValueError, mod.outer)
    assert e.args == ('raised in inner',)
    assert entries(e) == [CATCH, ('demo.pyx', 3, 'outer'), ('demo.pyx', 7, 'inner')]
    assert '  File "demo.pyx", line 3, in outer\n  File "demo.pyx", line 7, in inner\n' in printed(e)


def test_entries_survive_the_round_trip(mod):
    e = catch(ValueError, mod.reraise, mod.outer, lambda e: disturb())
    assert entries(e) == [CATCH, ('demo.pyx', 3, 'outer'), ('demo.pyx', 7, 'inner')]


def test_printed_traceback_shows_the_source_line(mod, tmp_path):
    source = tmp_path / 'module.pyx'
    source.write_text('def f():\n    raise ValueError("from the pyx line")\n')
    e = catch(ValueError, mod.call_with_entry, raiser, 'f', str(source), 2)
    assert ('  File "%s", line 2, in f\n    raise ValueError("from the pyx line")\n' % source
            in printed(e))


def test_non_ascii_names(mod):
    e = catch(ValueError, mod.call_with_entry, raiser, 'größe', 'Modül.pyx', 5)
    assert entries(e) == [CATCH, ('Modül.pyx', 5, 'größe'), RAISER]


def test_entry_without_exception_is_a_no_op(mod):
    assert mod.entry_without_exception() is None


@pytest.mark.parametrize('which', [0, 1])
def test_entry_with_null_name(mod, which):
    e = catch(SystemError, mod.entry_with_null, which)
    assert str(e) == 'HPyTraceback_Add: the function name and the file name must not be NULL'
    assert type(e.__context__) is ValueError
    assert e.__context__.args == ('original',)
