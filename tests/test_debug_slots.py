"""Debug mode and the results of slots (docs/type-slots.md, "Debug mode"): a slot's result must
agree with the error indicator (HPy_NULL or -1 with an exception set, anything else without),
except that HPy_tp_iternext ends an iteration by returning HPy_NULL without an exception; a
disagreement is a SystemError naming the signature and the type. Only debug mode checks this
(CPython's debug builds abort on it), so the module misbehaving on purpose is only loaded there."""
import pytest

from hpy.universal import _debug
from support import DEBUG_ABIS
from type_helpers import with_types

TEST_ABIS = list(DEBUG_ABIS)

SOURCE = with_types('''
    /* Bad(mode): the slot that `mode` names misbehaves, the others work. */
    typedef struct { long mode, i; } BadObject;
    HPyType_HELPERS(BadObject)

    enum { OK, ITER_NULL, ITER_RESULT_WITH_ERROR, NEXT_RESULT_WITH_ERROR, NEXT_VALUE_ERROR,
           NEXT_STOP_ITERATION, NEXT_RETURN_SELF, SET_NULL, SET_RESULT_WITH_ERROR,
           SET_VALUE_ERROR, AWAIT_NULL };

    static long mode_of(HPyContext *ctx, HPy self)
    {
        return BadObject_AsStruct(ctx, self)->mode;
    }

    HPyDef_SLOT(Bad_new, HPy_tp_new)
    static HPy Bad_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        long mode;
        BadObject *b;
        (void)kw;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "l", &mode))
            return HPy_NULL;
        HPy h = HPy_New(ctx, cls, &b);
        if (!HPy_IsNull(h)) {
            b->mode = mode;
            b->i = 0;
        }
        return h;
    }

    HPyDef_SLOT(Bad_iter, HPy_tp_iter)
    static HPy Bad_iter_impl(HPyContext *ctx, HPy self)
    {
        switch (mode_of(ctx, self)) {
        case ITER_NULL:
            return HPy_NULL;
        case ITER_RESULT_WITH_ERROR:
            HPyErr_SetString(ctx, ctx->h_KeyError, "left set");
            return HPy_Dup(ctx, self);
        default:
            return HPy_Dup(ctx, self);
        }
    }

    /* two items, then the end (or the misbehaviour) */
    HPyDef_SLOT(Bad_iternext, HPy_tp_iternext)
    static HPy Bad_iternext_impl(HPyContext *ctx, HPy self)
    {
        BadObject *b = BadObject_AsStruct(ctx, self);
        if (b->i < 2)
            return HPyLong_FromLong(ctx, b->i++);
        switch (b->mode) {
        case NEXT_RESULT_WITH_ERROR:
            HPyErr_SetString(ctx, ctx->h_KeyError, "left set");
            return HPyLong_FromLong(ctx, 99);
        case NEXT_VALUE_ERROR:
            return HPyErr_SetString(ctx, ctx->h_ValueError, "iteration failed");
        case NEXT_STOP_ITERATION:
            HPyErr_SetObject(ctx, ctx->h_StopIteration, ctx->h_None);
            return HPy_NULL;
        case NEXT_RETURN_SELF:
            return self;                  /* not HPy_Dup'ed: an invalid handle */
        default:
            return HPy_NULL;              /* the end: not a misuse */
        }
    }

    HPyDef_SLOT(Bad_setattro, HPy_tp_setattro)
    static int Bad_setattro_impl(HPyContext *ctx, HPy self, HPy name, HPy value)
    {
        (void)name; (void)value;
        switch (mode_of(ctx, self)) {
        case SET_NULL:
            return -1;
        case SET_RESULT_WITH_ERROR:
            HPyErr_SetString(ctx, ctx->h_KeyError, "left set");
            return 0;
        case SET_VALUE_ERROR:
            HPyErr_SetString(ctx, ctx->h_ValueError, "setattr failed");
            return -1;
        default:
            return 0;
        }
    }

    HPyDef_SLOT(Bad_descr_get, HPy_tp_descr_get)
    static HPy Bad_descr_get_impl(HPyContext *ctx, HPy self, HPy obj, HPy type)
    {
        (void)obj; (void)type;
        return HPy_Dup(ctx, self);
    }

    HPyDef_SLOT(Bad_descr_set, HPy_tp_descr_set)
    static int Bad_descr_set_impl(HPyContext *ctx, HPy self, HPy obj, HPy value)
    {
        (void)obj; (void)value;
        switch (mode_of(ctx, self)) {
        case SET_NULL:
            return -1;
        case SET_RESULT_WITH_ERROR:
            HPyErr_SetString(ctx, ctx->h_KeyError, "left set");
            return 0;
        default:
            return 0;
        }
    }

    HPyDef_SLOT(Bad_await, HPy_am_await)
    static HPy Bad_await_impl(HPyContext *ctx, HPy self)
    {
        if (mode_of(ctx, self) == AWAIT_NULL)
            return HPy_NULL;
        return HPy_Dup(ctx, self);
    }

    static HPyDef *Bad_defines[] = { &Bad_new, &Bad_iter, &Bad_iternext, &Bad_setattro,
                                     &Bad_descr_get, &Bad_descr_set, &Bad_await, NULL };
    static HPyType_Spec Bad_spec = {
        .name = "mytest.Bad", .basicsize = sizeof(BadObject), .defines = Bad_defines,
    };
    @INIT
''', ('Bad', 'Bad_spec'))

(OK, ITER_NULL, ITER_RESULT_WITH_ERROR, NEXT_RESULT_WITH_ERROR, NEXT_VALUE_ERROR,
 NEXT_STOP_ITERATION, NEXT_RETURN_SELF, SET_NULL, SET_RESULT_WITH_ERROR, SET_VALUE_ERROR,
 AWAIT_NULL) = range(11)


def failed_without(sig):
    return ("HPy debug mode: a function of signature HPyFunc_%s called on a 'mytest.Bad' object "
            "failed without setting an exception" % sig)


def result_with(sig):
    return ("HPy debug mode: a function of signature HPyFunc_%s called on a 'mytest.Bad' object "
            "returned a result with an exception set" % sig)


def test_end_of_iteration_and_errors_are_told_apart(compile_module):
    mod = compile_module(SOURCE)
    assert list(mod.Bad(OK)) == [0, 1]           # HPy_NULL without an exception: the end
    assert list(mod.Bad(NEXT_STOP_ITERATION)) == [0, 1]
    it = mod.Bad(NEXT_STOP_ITERATION)
    assert (next(it), next(it)) == (0, 1)
    with pytest.raises(StopIteration):
        next(it)
    it = mod.Bad(OK)
    assert (next(it), next(it), next(it, 'end')) == (0, 1, 'end')
    with pytest.raises(ValueError, match='iteration failed'):
        list(mod.Bad(NEXT_VALUE_ERROR))          # propagates as it is


def test_iter_failing_without_an_exception(compile_module):
    mod = compile_module(SOURCE)
    with pytest.raises(SystemError) as e:
        iter(mod.Bad(ITER_NULL))
    assert str(e.value) == failed_without('GETITERFUNC') and e.value.__cause__ is None
    with pytest.raises(SystemError) as e:
        for _ in mod.Bad(ITER_NULL):
            pass
    assert str(e.value) == failed_without('GETITERFUNC')


def test_results_with_an_exception_set(compile_module):
    mod = compile_module(SOURCE)
    with pytest.raises(SystemError) as e:
        iter(mod.Bad(ITER_RESULT_WITH_ERROR))
    assert str(e.value) == result_with('GETITERFUNC')
    assert isinstance(e.value.__cause__, KeyError) and e.value.__cause__.args == ('left set',)
    seen = []
    with pytest.raises(SystemError) as e:
        for x in mod.Bad(NEXT_RESULT_WITH_ERROR):
            seen.append(x)
    assert seen == [0, 1]
    assert str(e.value) == result_with('ITERNEXTFUNC')
    assert isinstance(e.value.__cause__, KeyError)


def test_int_results(compile_module):
    mod = compile_module(SOURCE)
    mod.Bad(OK).x = 1
    with pytest.raises(ValueError, match='setattr failed'):
        mod.Bad(SET_VALUE_ERROR).x = 1
    with pytest.raises(SystemError) as e:
        mod.Bad(SET_NULL).x = 1
    assert str(e.value) == failed_without('SETATTROFUNC')
    with pytest.raises(SystemError) as e:
        del mod.Bad(SET_RESULT_WITH_ERROR).x
    assert str(e.value) == result_with('SETATTROFUNC')
    assert isinstance(e.value.__cause__, KeyError)

    class Owner:
        pass
    Owner.ok = mod.Bad(OK)
    Owner.null = mod.Bad(SET_NULL)
    Owner.left = mod.Bad(SET_RESULT_WITH_ERROR)
    o = Owner()
    o.ok = 1
    with pytest.raises(SystemError) as e:
        o.null = 1
    assert str(e.value) == failed_without('DESCRSETFUNC')
    with pytest.raises(SystemError) as e:
        del o.left
    assert str(e.value) == result_with('DESCRSETFUNC')


def test_await_failing_without_an_exception(compile_module):
    mod = compile_module(SOURCE)

    async def wait(x):
        return await x
    with pytest.raises(SystemError) as e:
        wait(mod.Bad(AWAIT_NULL)).send(None)
    assert str(e.value) == failed_without('UNARYFUNC')


@pytest.mark.no_refleak_check           # counts reports
def test_iternext_returning_an_invalid_handle(compile_module):
    mod = compile_module(SOURCE)
    count = []
    _debug.set_on_invalid_handle(lambda: count.append(1))
    try:
        it = mod.Bad(NEXT_RETURN_SELF)
        assert (next(it), next(it)) == (0, 1)
        assert next(it) is it                    # reported, then handed out as if duplicated
    finally:
        _debug.set_on_invalid_handle(None)
    assert count == [1]


NEW_INIT_SOURCE = with_types('''
    /* NewInit(mode): mode 1: tp_new fails without an exception; mode 2: tp_init succeeds with
     * an exception set */
    HPyDef_SLOT(NI_new, HPy_tp_new)
    static HPy NI_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        (void)kw;
        if (nargs == 1 && HPyLong_AsLong(ctx, args[0]) == 1)
            return HPy_NULL;
        return HPyType_GenericNew(ctx, cls, args, nargs, kw);
    }
    HPyDef_SLOT(NI_init, HPy_tp_init)
    static int NI_init_impl(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        (void)self; (void)kw;
        if (nargs == 1 && HPyLong_AsLong(ctx, args[0]) == 2)
            HPyErr_SetString(ctx, ctx->h_KeyError, "left set");
        return 0;
    }
    static HPyDef *NI_defines[] = { &NI_new, &NI_init, NULL };
    static HPyType_Spec NI_spec = { .name = "mytest.NewInit", .defines = NI_defines };
    @INIT
''', ('NewInit', 'NI_spec'))


def test_new_and_init_results(compile_module):
    mod = compile_module(NEW_INIT_SOURCE)
    assert type(mod.NewInit(0)) is mod.NewInit
    with pytest.raises(SystemError) as e:
        mod.NewInit(1)
    assert str(e.value) == ("HPy debug mode: a function of signature HPyFunc_NEWFUNC called on "
                            "type 'mytest.NewInit' failed without setting an exception")
    with pytest.raises(SystemError) as e:
        mod.NewInit(2)
    assert str(e.value) == ("HPy debug mode: a function of signature HPyFunc_INITPROC called on "
                            "a 'mytest.NewInit' object returned a result with an exception set")
    assert isinstance(e.value.__cause__, KeyError)
