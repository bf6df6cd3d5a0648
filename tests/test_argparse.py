"""Tests of the argument parsing helpers (all ABIs)."""
import pytest

ITEM_CASES = {
    # unit: (C type, converter expression producing an HPy from `a`)
    'b': ('char', 'HPyLong_FromLong(ctx, (unsigned char)a)'),
    'B': ('char', 'HPyLong_FromLong(ctx, (unsigned char)a)'),
    'h': ('short', 'HPyLong_FromLong(ctx, a)'),
    'H': ('unsigned short', 'HPyLong_FromUnsignedLong(ctx, a)'),
    'i': ('int', 'HPyLong_FromLong(ctx, a)'),
    'I': ('unsigned int', 'HPyLong_FromUnsignedLong(ctx, a)'),
    'l': ('long', 'HPyLong_FromLong(ctx, a)'),
    'k': ('unsigned long', 'HPyLong_FromUnsignedLong(ctx, a)'),
    'L': ('long long', 'HPyLong_FromLongLong(ctx, a)'),
    'K': ('unsigned long long', 'HPyLong_FromUnsignedLongLong(ctx, a)'),
    'n': ('HPy_ssize_t', 'HPyLong_FromSsize_t(ctx, a)'),
    'f': ('float', 'HPyFloat_FromDouble(ctx, a)'),
    'd': ('double', 'HPyFloat_FromDouble(ctx, a)'),
    'O': ('HPy', 'HPy_Dup(ctx, a)'),
    'p': ('int', 'HPyLong_FromLong(ctx, a)'),
    's': ('const char *', 'HPyUnicode_FromString(ctx, a)'),
}


@pytest.fixture
def items(compile_module):
    src = ''
    for u, (t, conv) in ITEM_CASES.items():
        name = 'u_' + (u if u.islower() else u.lower() + 'U')
        src += '''
        HPyDef_METH(%(n)s, "%(n)s", HPyFunc_VARARGS)
        static HPy %(n)s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            %(t)s a;
            (void)self;
            if (!HPyArg_Parse(ctx, NULL, args, nargs, "%(u)s", &a))
                return HPy_NULL;
            return %(conv)s;
        }
        @EXPORT(%(n)s)
        ''' % dict(n=name, t=t, u=u, conv=conv)
    return compile_module(src + '@INIT')


def test_b(items):
    f = items.u_b
    assert f(0) == 0 and f(255) == 255
    with pytest.raises(OverflowError, match=r'^function unsigned byte integer is greater than maximum \(argument 1\)$'):
        f(256)
    with pytest.raises(OverflowError, match=r'^function unsigned byte integer is less than minimum \(argument 1\)$'):
        f(-1)
    with pytest.raises(TypeError):
        f('x')


def test_B(items):
    f = items.u_bU
    assert f(255) == 255 and f(256) == 0 and f(-1) == 255


def test_h_H(items):
    assert items.u_h(-2**15) == -2**15 and items.u_h(2**15 - 1) == 2**15 - 1
    with pytest.raises(OverflowError, match=r'^function signed short integer is greater than maximum \(argument 1\)$'):
        items.u_h(2**15)
    with pytest.raises(OverflowError, match=r'^function signed short integer is less than minimum \(argument 1\)$'):
        items.u_h(-2**15 - 1)
    assert items.u_hU(-1) == 2**16 - 1 and items.u_hU(2**16) == 0


def test_i_I(items):
    assert items.u_i(-2**31) == -2**31
    with pytest.raises(OverflowError, match=r'^function signed integer is greater than maximum \(argument 1\)$'):
        items.u_i(2**31)
    with pytest.raises(OverflowError, match=r'^function signed integer is less than minimum \(argument 1\)$'):
        items.u_i(-2**31 - 1)
    assert items.u_iU(-1) == 2**32 - 1 and items.u_iU(2**32 + 5) == 5


def test_l_k_L_K_n(items):
    assert items.u_l(-2**63) == -2**63
    with pytest.raises(OverflowError):
        items.u_l(2**63)
    assert items.u_k(-1) == 2**64 - 1 and items.u_k(2**64 + 3) == 3
    assert items.u_lU(2**63 - 1) == 2**63 - 1
    with pytest.raises(OverflowError):
        items.u_lU(-2**63 - 1)
    assert items.u_kU(-2) == 2**64 - 2
    assert items.u_n(-5) == -5
    with pytest.raises(OverflowError):
        items.u_n(2**63)
    with pytest.raises(TypeError):
        items.u_n(1.5)


def test_f_d(items):
    assert items.u_f(0.5) == 0.5 and items.u_d(-2) == -2.0
    with pytest.raises(TypeError):
        items.u_f('x')
    with pytest.raises(TypeError):
        items.u_d('x')


def test_O_p(items):
    o = object()
    assert items.u_oU(o) is o
    assert items.u_p([]) == 0 and items.u_p([0]) == 1 and items.u_p(-3) == 1

    class Bad:
        def __bool__(self):
            raise ZeroDivisionError
    with pytest.raises(ZeroDivisionError):
        items.u_p(Bad())


def test_s(items):
    assert items.u_s('hellò') == 'hellò'
    with pytest.raises(TypeError, match=r'^function a str is required \(argument 1\)$'):
        items.u_s(b'x')
    with pytest.raises(ValueError, match=r'^function embedded null character \(argument 1\)$'):
        items.u_s('a\0b')
    with pytest.raises(SystemError, match=r'^function unicode conversion error \(argument 1\)$'):
        items.u_s('\udc80')


PARSE_SRC = '''
    HPyDef_METH(f, "f", HPyFunc_VARARGS)
    static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy a, b = HPy_NULL;
        HPyTracker ht;
        HPy res;
        (void)self;
        if (!HPyArg_Parse(ctx, &ht, args, nargs, "%s", &a, &b))
            return HPy_NULL;
        if (HPy_IsNull(b))
            res = HPyLong_FromLong(ctx, -1);
        else
            res = HPy_Add(ctx, a, b);
        HPyTracker_Close(ctx, ht);
        return res;
    }
    @EXPORT(f)
    @INIT
'''


@pytest.mark.parametrize('fmt, args, exc, msg', [
    ('ZZ:two_add', ('a',), SystemError, 'two_add() unknown arg format code'),
    ('OO:two_add', (), TypeError, 'two_add() required positional argument missing (argument 1)'),
    ('OO:two_add', (1, 2, 3), TypeError, 'two_add() mismatched args (too many arguments for fmt)'),
    ('O$O:two_add', (1, 2), SystemError, 'two_add() unknown arg format code'),
    ('OO', (1,), TypeError, 'function required positional argument missing (argument 2)'),
    ('OO;my message', (1,), TypeError, 'my message'),
    ('OO;msg:with colon', (1,), TypeError, 'msg:with colon'),
    ('OO:name;semi', (1,), TypeError, 'name;semi() required positional argument missing (argument 2)'),
    ('O|O:' + 'x' * 300, (1, 2, 3), TypeError,
     'x' * 200 + '() mismatched args (too many arguments for fmt)'),
])
def test_parse_errors(compile_module, fmt, args, exc, msg):
    mod = compile_module(PARSE_SRC % fmt)
    with pytest.raises(exc) as e:
        mod.f(*args)
    assert str(e.value) == msg


def test_parse_optional(compile_module):
    mod = compile_module(PARSE_SRC % 'O|O')
    assert mod.f(1) == -1
    assert mod.f(1, 2) == 3
    with pytest.raises(TypeError):
        mod.f()


KW_SRC = '''
    HPyDef_METH(f, "f", HPyFunc_KEYWORDS)
    static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
    {
        HPy a = HPy_NULL, b = HPy_NULL, res;
        HPyTracker ht;
        static const char *kwlist[] = { %s, NULL };
        (void)self;
        if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "%s", kwlist, &a, &b))
            return HPy_NULL;
        res = HPyTuple_Pack(ctx, 2, HPy_IsNull(a) ? ctx->h_None : a, HPy_IsNull(b) ? ctx->h_None : b);
        HPyTracker_Close(ctx, ht);
        return res;
    }
    HPyDef_METH(g, "g", HPyFunc_KEYWORDS)
    static HPy g_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
    {
        HPy a = HPy_NULL, b = HPy_NULL, res, tup, kw;
        HPyTracker ht;
        static const char *kwlist[] = { %s, NULL };
        (void)self;
        if (!HPyHelpers_PackArgsAndKeywords(ctx, args, nargs, kwnames, &tup, &kw))
            return HPy_NULL;
        if (!HPyArg_ParseKeywordsDict(ctx, &ht, args, (HPy_ssize_t)nargs, kw, "%s", kwlist, &a, &b)) {
            HPy_Close(ctx, tup);
            HPy_Close(ctx, kw);
            return HPy_NULL;
        }
        HPy_Close(ctx, tup);
        HPy_Close(ctx, kw);
        res = HPyTuple_Pack(ctx, 2, HPy_IsNull(a) ? ctx->h_None : a, HPy_IsNull(b) ? ctx->h_None : b);
        HPyTracker_Close(ctx, ht);
        return res;
    }
    @EXPORT(f)
    @EXPORT(g)
    @INIT
'''


def kwmod(compile_module, kwlist, fmt):
    return compile_module(KW_SRC % (kwlist, fmt, kwlist, fmt))


def both(mod, *args, **kw):
    r1 = r2 = e1 = e2 = None
    try:
        r1 = mod.f(*args, **kw)
    except Exception as e:
        e1 = e
    try:
        r2 = mod.g(*args, **kw)
    except Exception as e:
        e2 = e
    assert r1 == r2
    assert type(e1) is type(e2) and str(e1) == str(e2)
    if e1 is not None:
        raise e1
    return r1


def test_kw_basic(compile_module):
    mod = kwmod(compile_module, '"a", "b"', 'O|O')
    assert both(mod, 1) == (1, None)
    assert both(mod, 1, 2) == (1, 2)
    assert both(mod, 1, b=2) == (1, 2)
    assert both(mod, b=2, a=1) == (1, 2)
    assert both(mod, a=1) == (1, None)
    with pytest.raises(TypeError, match=r"^function no value for required argument \(argument 'a'\)$"):
        both(mod, b=1)
    with pytest.raises(TypeError, match=r'^function mismatched args \(too many arguments for fmt\)$'):
        both(mod, 1, 2, 3)


def test_kw_positional_only(compile_module):
    mod = kwmod(compile_module, '"", "b"', 'O|O')
    assert both(mod, 1, b=2) == (1, 2)
    assert both(mod, 1, 2) == (1, 2)
    with pytest.raises(TypeError, match=r'^function no value for required argument \(argument 1\)$'):
        both(mod, a=1, b=2)


def test_kw_keyword_only(compile_module):
    mod = kwmod(compile_module, '"a", "b"', 'O$O')
    assert both(mod, 1, b=2) == (1, 2)
    assert both(mod, 1) == (1, None)
    with pytest.raises(TypeError, match=r"^function keyword only argument passed as positional argument \(argument 'b'\)$"):
        both(mod, 1, 2)


@pytest.mark.parametrize('kwlist, fmt, args, kw, exc, msg', [
    ('"a", "b"', 'OO:add_two', (1,), {}, TypeError, 'add_two() no value for required argument (argument \'b\')'),
    ('"a", "b"', 'OOO:add_two', (1, 2), {}, TypeError, 'add_two() mismatched args (too few keywords for fmt)'),
    ('"a", "b"', 'O:add_two', (1, 2), {}, TypeError, 'add_two() mismatched args (too many keywords for fmt)'),
    ('"", "b", ""', 'OO', (), {}, SystemError, 'function empty keyword parameter name'),
    ('"a", "b"', 'OZ', (1, 2), {}, SystemError, 'function unknown arg format code'),
    ('"a", "b"', 'OO;custom', (1,), {}, TypeError, 'custom'),
    ('"a", "b"', 'O|O:add_two', (1,), {'c': 3}, TypeError,
     "add_two() got an unexpected keyword argument 'c'"),
    ('"a", "b"', 'O|O:add_two', (), {'a': 1, 'b': 2, 'zz': 3}, TypeError,
     "add_two() got an unexpected keyword argument 'zz'"),
    ('"", "b"', 'O|O', (1,), {'a': 2}, TypeError, "function got an unexpected keyword argument 'a'"),
    ('"a", "b"', 'O|O;custom', (1,), {'c': 3}, TypeError, 'custom'),
])
def test_kw_errors(compile_module, kwlist, fmt, args, kw, exc, msg):
    mod = kwmod(compile_module, kwlist, fmt)
    with pytest.raises(exc) as e:
        both(mod, *args, **kw)
    assert str(e.value) == msg


def test_kw_no_tracker(compile_module):
    mod = compile_module('''
        HPyDef_METH(f, "f", HPyFunc_KEYWORDS)
        static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
        {
            HPy a;
            static const char *kwlist[] = { "a", NULL };
            (void)self;
            if (!HPyArg_ParseKeywords(ctx, NULL, args, nargs, kwnames, "O", kwlist, &a))
                return HPy_NULL;
            return HPy_Dup(ctx, a);
        }
        HPyDef_METH(g, "g", HPyFunc_KEYWORDS)
        static HPy g_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
        {
            long a = 0; double b = 0; const char *c = "none"; int d = 7;
            static const char *kwlist[] = { "a", "b", "c", "d", NULL };
            (void)self;
            if (!HPyArg_ParseKeywords(ctx, NULL, args, nargs, kwnames, "l|dsp", kwlist, &a, &b, &c, &d))
                return HPy_NULL;
            return HPy_BuildValue(ctx, "ldsi", a, b, c, d);
        }
        HPyDef_METH(h, "h", HPyFunc_KEYWORDS)
        static HPy h_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
        {
            /* A value looked up in a dict is a new handle: the 's' pointer into it lives as
               long as the tracker keeps that handle (the debug mode checks it). */
            long a = 0; double b = 0; const char *c = "none"; int d = 7;
            static const char *kwlist[] = { "a", "b", "c", "d", NULL };
            HPy tup, kw, res;
            HPyTracker ht;
            (void)self;
            if (!HPyHelpers_PackArgsAndKeywords(ctx, args, nargs, kwnames, &tup, &kw))
                return HPy_NULL;
            if (!HPyArg_ParseKeywordsDict(ctx, &ht, args, (HPy_ssize_t)nargs, kw, "l|dsp", kwlist, &a, &b, &c, &d)) {
                HPy_Close(ctx, tup); HPy_Close(ctx, kw);
                return HPy_NULL;
            }
            res = HPy_BuildValue(ctx, "ldsi", a, b, c, d);
            HPyTracker_Close(ctx, ht);
            HPy_Close(ctx, tup); HPy_Close(ctx, kw);
            return res;
        }
        @EXPORT(f)
        @EXPORT(g)
        @EXPORT(h)
        @INIT
    ''')
    with pytest.raises(SystemError) as e:
        mod.f(1)
    assert str(e.value) == ("function HPyArg_ParseKeywords cannot use the format character 'O' unless "
                            "an HPyTracker is provided. Please supply an HPyTracker.")
    for fn in (mod.g, mod.h):
        assert fn(1) == (1, 0.0, 'none', 7)
        assert fn(1, c='xy', d=[]) == (1, 0.0, 'xy', 0)
        assert fn(d=1, a=5, b=2) == (5, 2.0, 'none', 1)
        with pytest.raises(TypeError):
            fn(1, c=3)
        with pytest.raises(TypeError, match=r"^function no value for required argument \(argument 'a'\)$"):
            fn(b=3)


def test_no_refleaks(compile_module):
    import sys
    mod = kwmod(compile_module, '"a", "b"', 'O|O')
    fmod = compile_module('''
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            return HPyUnicode_FromFormat(ctx, "%S%R%A%U%V", arg, arg, arg, arg, arg, "x");
        }
        HPyDef_METH(e, "e", HPyFunc_O)
        static HPy e_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            return HPyErr_Format(ctx, ctx->h_ValueError, "%S", arg);
        }
        @EXPORT(f)
        @EXPORT(e)
        @INIT
    ''')
    a, b = 'a' * 50, 'b' * 50
    s = 'xyz' * 10
    for _ in range(3):
        both(mod, a, b=b)
        fmod.f(s)
    import gc
    gc.collect()
    ra, rb, rs = sys.getrefcount(a), sys.getrefcount(b), sys.getrefcount(s)
    for _ in range(200):
        assert both(mod, a, b=b) == (a, b)
        assert both(mod, b=b, a=a) == (a, b)
        try:
            both(mod, a, b, 3)
        except TypeError:
            pass
        assert fmod.f(s) == s + repr(s) + repr(s) + s + s
        try:
            fmod.e(s)
        except ValueError:
            pass
    gc.collect()
    assert (sys.getrefcount(a), sys.getrefcount(b), sys.getrefcount(s)) == (ra, rb, rs)


def test_kw_argument_given_twice(compile_module):
    mod = kwmod(compile_module, '"a", "b"', 'O|O:add_two')
    for fn in (mod.f, mod.g):
        with pytest.raises(TypeError) as e:
            fn(1, a=2)
        assert str(e.value) == ("add_two() argument given by position and by keyword "
                                "(argument 'a')")
        assert fn(1, b=2) == (1, 2)
