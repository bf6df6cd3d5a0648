"""Tests of the argument parsing helpers (all ABIs).

Most tests call one module, PARSER_SRC, whose functions take the format string (and, for the
keyword variants, the keyword list) as their first arguments, so that one build per ABI serves
every format. Its functions are named <parser>_<kind>: the parser is `parse` (HPyArg_Parse),
`kw` (HPyArg_ParseKeywords) or `dict` (HPyArg_ParseKeywordsDict), the kind fixes the C targets
passed after the format (see KINDS); the units of the format must fit them.
"""
import gc

import pytest

from support import refcount, ONLY_REFCOUNTS

# Modules several tests use are built once per ABI and test process.
_SHARED = {}


def shared_module(compile_module, source):
    key = (compile_module.abi, source)
    if key not in _SHARED:
        _SHARED[key] = compile_module(source)
    return _SHARED[key]


# kind: (declarations, targets, result expression). Every target starts at a value no argument
# in the tests converts to, so a result shows which targets the parser wrote.
KINDS = {
    'obj': ('HPy a = HPy_NULL, b = HPy_NULL, c = HPy_NULL;',
            '&a, &b, &c',
            'HPyTuple_Pack(ctx, 3, OR_NONE(a), OR_NONE(b), OR_NONE(c))'),
    'char': ("char v = 'U';", '&v', 'HPyLong_FromLong(ctx, (unsigned char)v)'),
    'short': ('short v = 1234;', '&v', 'HPyLong_FromLong(ctx, v)'),
    'int': ('int v = 123456;', '&v', 'HPyLong_FromLong(ctx, v)'),
    'long': ('long v = 42;', '&v', 'HPyLong_FromLong(ctx, v)'),
    'double': ('double v = 0.25;', '&v', 'HPyFloat_FromDouble(ctx, v)'),
    'str': ('const char *v = "untouched";', '&v', 'HPyUnicode_FromString(ctx, v)'),
    # one target for every unit, in the order of ALL_UNITS
    'all': ('char b = 1, bU = 2; short h = 3; unsigned short hU = 4; int i = 5; '
            'unsigned int iU = 6; long l = 7; unsigned long k = 8; long long lU = 9; '
            'unsigned long long kU = 10; HPy_ssize_t n = 11; float f = 12.5f; double d = 13.5; '
            'HPy o = HPy_NULL; int p = 15; const char *s = "sixteen";',
            '&b, &bU, &h, &hU, &i, &iU, &l, &k, &lU, &kU, &n, &f, &d, &o, &p, &s',
            'HPy_BuildValue(ctx, "(iiiiiIlkLKnddOis)", (int)(unsigned char)b, '
            '(int)(unsigned char)bU, (int)h, (int)hU, i, iU, l, k, lU, kU, n, (double)f, d, '
            'OR_NONE(o), p, s)'),
}
ALL_UNITS = 'bBhHiIlkLKnfdOps'
ALL_KWLIST = tuple('abcdefghijklmnop')
ALL_UNTOUCHED = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5, 13.5, None, 15, 'sixteen')

PARSER_PRELUDE = '''
    #include <string.h>

    #define OR_NONE(h) (HPy_IsNull(h) ? ctx->h_None : (h))
    #define MAX_KW 20

    /* The format (args[0]) as C text; the caller's handle keeps it alive. */
    static const char *format_of(HPyContext *ctx, const HPy *args, size_t nargs, size_t nfixed)
    {
        if (nargs < nfixed) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "called without the fixed arguments");
            return NULL;
        }
        return HPyUnicode_AsUTF8AndSize(ctx, args[0], NULL);
    }

    /* A NULL-terminated keyword list from a tuple of str, or NULL for None. The item handles
       stay open until close_kwlist(): the UTF-8 texts live as long as them. */
    typedef struct {
        HPy items[MAX_KW];
        const char *names[MAX_KW + 1];
        HPy_ssize_t n;
        int is_null;
    } KwList;

    static void close_kwlist(HPyContext *ctx, KwList *kl)
    {
        for (HPy_ssize_t i = 0; i < kl->n; i++)
            HPy_Close(ctx, kl->items[i]);
        kl->n = 0;
    }

    static int open_kwlist(HPyContext *ctx, HPy tuple, KwList *kl)
    {
        HPy_ssize_t n;
        kl->n = 0;
        kl->is_null = HPy_Is(ctx, tuple, ctx->h_None);
        if (kl->is_null)
            return 1;
        n = HPy_Length(ctx, tuple);
        if (n < 0)
            return 0;
        if (n > MAX_KW) {
            HPyErr_SetString(ctx, ctx->h_ValueError, "too many keywords for the test function");
            return 0;
        }
        for (HPy_ssize_t i = 0; i < n; i++) {
            HPy item = HPy_GetItem_i(ctx, tuple, i);
            if (HPy_IsNull(item)) {
                close_kwlist(ctx, kl);
                return 0;
            }
            kl->items[kl->n++] = item;
            kl->names[i] = HPyUnicode_AsUTF8AndSize(ctx, item, NULL);
            if (kl->names[i] == NULL) {
                close_kwlist(ctx, kl);
                return 0;
            }
        }
        kl->names[n] = NULL;
        return 1;
    }

    static const char **kwlist_of(KwList *kl)
    {
        return kl->is_null ? NULL : kl->names;
    }
'''

PARSE_FUNC = '''
    HPyDef_METH(parse_%(kind)s, "parse_%(kind)s", HPyFunc_VARARGS)
    static HPy parse_%(kind)s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        %(decl)s
        HPyTracker ht;
        HPy res;
        const char *fmt = format_of(ctx, args, nargs, 1);
        (void)self;
        if (fmt == NULL)
            return HPy_NULL;
        if (!HPyArg_Parse(ctx, &ht, args + 1, nargs - 1, fmt, %(targets)s))
            return HPy_NULL;
        res = %(result)s;
        HPyTracker_Close(ctx, ht);
        return res;
    }
    @EXPORT(parse_%(kind)s)
'''

# kw_<kind>(fmt, kwlist, *args, **kw)
KW_FUNC = '''
    HPyDef_METH(kw_%(kind)s, "kw_%(kind)s", HPyFunc_KEYWORDS)
    static HPy kw_%(kind)s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                                HPy kwnames)
    {
        %(decl)s
        HPyTracker ht;
        KwList kl;
        HPy res;
        const char *fmt = format_of(ctx, args, nargs, 2);
        (void)self;
        if (fmt == NULL || !open_kwlist(ctx, args[1], &kl))
            return HPy_NULL;
        if (!HPyArg_ParseKeywords(ctx, &ht, args + 2, nargs - 2, kwnames, fmt, kwlist_of(&kl),
                                  %(targets)s)) {
            close_kwlist(ctx, &kl);
            return HPy_NULL;
        }
        res = %(result)s;
        HPyTracker_Close(ctx, ht);
        close_kwlist(ctx, &kl);
        return res;
    }
    @EXPORT(kw_%(kind)s)
'''

# dict_<kind>(fmt, kwlist, *args, **kw): the keywords reach the parser as a dict
DICT_FUNC = '''
    HPyDef_METH(dict_%(kind)s, "dict_%(kind)s", HPyFunc_KEYWORDS)
    static HPy dict_%(kind)s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                                  HPy kwnames)
    {
        %(decl)s
        HPyTracker ht;
        KwList kl;
        HPy tup, kw, res = HPy_NULL;
        const char *fmt = format_of(ctx, args, nargs, 2);
        (void)self;
        if (fmt == NULL || !open_kwlist(ctx, args[1], &kl))
            return HPy_NULL;
        if (!HPyHelpers_PackArgsAndKeywords(ctx, args, nargs, kwnames, &tup, &kw)) {
            close_kwlist(ctx, &kl);
            return HPy_NULL;
        }
        if (HPyArg_ParseKeywordsDict(ctx, &ht, args + 2, (HPy_ssize_t)nargs - 2, kw, fmt,
                                     kwlist_of(&kl), %(targets)s)) {
            res = %(result)s;
            HPyTracker_Close(ctx, ht);
        }
        HPy_Close(ctx, tup);
        HPy_Close(ctx, kw);
        close_kwlist(ctx, &kl);
        return res;
    }
    @EXPORT(dict_%(kind)s)
'''

SPECIAL_FUNCS = '''
    /* kwnt_obj(fmt, kwlist, *args, **kw) and dictnt_obj(...): no tracker */
    HPyDef_METH(kwnt_obj, "kwnt_obj", HPyFunc_KEYWORDS)
    static HPy kwnt_obj_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                             HPy kwnames)
    {
        HPy a = HPy_NULL, b = HPy_NULL, c = HPy_NULL;
        KwList kl;
        int ok;
        const char *fmt = format_of(ctx, args, nargs, 2);
        (void)self;
        if (fmt == NULL || !open_kwlist(ctx, args[1], &kl))
            return HPy_NULL;
        ok = HPyArg_ParseKeywords(ctx, NULL, args + 2, nargs - 2, kwnames, fmt, kwlist_of(&kl),
                                  &a, &b, &c);
        close_kwlist(ctx, &kl);
        return ok ? HPy_Dup(ctx, ctx->h_None) : HPy_NULL;
    }
    @EXPORT(kwnt_obj)

    HPyDef_METH(dictnt_obj, "dictnt_obj", HPyFunc_KEYWORDS)
    static HPy dictnt_obj_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                               HPy kwnames)
    {
        HPy a = HPy_NULL, b = HPy_NULL, c = HPy_NULL, tup, kw;
        KwList kl;
        int ok;
        const char *fmt = format_of(ctx, args, nargs, 2);
        (void)self;
        if (fmt == NULL || !open_kwlist(ctx, args[1], &kl))
            return HPy_NULL;
        if (!HPyHelpers_PackArgsAndKeywords(ctx, args, nargs, kwnames, &tup, &kw)) {
            close_kwlist(ctx, &kl);
            return HPy_NULL;
        }
        ok = HPyArg_ParseKeywordsDict(ctx, NULL, args + 2, (HPy_ssize_t)nargs - 2, kw, fmt,
                                      kwlist_of(&kl), &a, &b, &c);
        HPy_Close(ctx, tup);
        HPy_Close(ctx, kw);
        close_kwlist(ctx, &kl);
        return ok ? HPy_Dup(ctx, ctx->h_None) : HPy_NULL;
    }
    @EXPORT(dictnt_obj)

    /* kwx_obj(fmt, kwlist, kwnames, *args_then_values): the kwnames object is the caller's;
       when it is a tuple, its last len(kwnames) arguments are the keyword values. */
    HPyDef_METH(kwx_obj, "kwx_obj", HPyFunc_VARARGS)
    static HPy kwx_obj_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy a = HPy_NULL, b = HPy_NULL, c = HPy_NULL, res = HPy_NULL;
        HPyTracker ht;
        KwList kl;
        HPy_ssize_t nvalues = 0;
        const char *fmt = format_of(ctx, args, nargs, 3);
        (void)self;
        if (fmt == NULL)
            return HPy_NULL;
        if (HPyTuple_Check(ctx, args[2]))
            nvalues = HPy_Length(ctx, args[2]);
        if (nvalues < 0 || (size_t)nvalues > nargs - 3) {
            HPyErr_SetString(ctx, ctx->h_ValueError, "kwx_obj: fewer values than keyword names");
            return HPy_NULL;
        }
        if (!open_kwlist(ctx, args[1], &kl))
            return HPy_NULL;
        if (HPyArg_ParseKeywords(ctx, &ht, args + 3, nargs - 3 - (size_t)nvalues, args[2], fmt,
                                 kwlist_of(&kl), &a, &b, &c)) {
            res = HPyTuple_Pack(ctx, 3, OR_NONE(a), OR_NONE(b), OR_NONE(c));
            HPyTracker_Close(ctx, ht);
        }
        close_kwlist(ctx, &kl);
        return res;
    }
    @EXPORT(kwx_obj)

    /* dictx_obj(fmt, kwlist, kw, *args): the caller's kw object (None: HPy_NULL) */
    HPyDef_METH(dictx_obj, "dictx_obj", HPyFunc_VARARGS)
    static HPy dictx_obj_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy a = HPy_NULL, b = HPy_NULL, c = HPy_NULL, res = HPy_NULL;
        HPyTracker ht;
        KwList kl;
        const char *fmt = format_of(ctx, args, nargs, 3);
        (void)self;
        if (fmt == NULL || !open_kwlist(ctx, args[1], &kl))
            return HPy_NULL;
        if (HPyArg_ParseKeywordsDict(ctx, &ht, args + 3, (HPy_ssize_t)nargs - 3,
                                     HPy_Is(ctx, args[2], ctx->h_None) ? HPy_NULL : args[2],
                                     fmt, kwlist_of(&kl), &a, &b, &c)) {
            res = HPyTuple_Pack(ctx, 3, OR_NONE(a), OR_NONE(b), OR_NONE(c));
            HPyTracker_Close(ctx, ht);
        }
        close_kwlist(ctx, &kl);
        return res;
    }
    @EXPORT(dictx_obj)

    /* The runtime's own conversions, called directly */
    HPyDef_METH(as_long, "as_long", HPyFunc_O)
    static HPy as_long_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        long v = HPyLong_AsLong(ctx, arg);
        (void)self;
        if (v == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyLong_FromLong(ctx, v);
    }
    @EXPORT(as_long)

    HPyDef_METH(as_double, "as_double", HPyFunc_O)
    static HPy as_double_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        double v = HPyFloat_AsDouble(ctx, arg);
        (void)self;
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyFloat_FromDouble(ctx, v);
    }
    @EXPORT(as_double)
'''


def _parser_source():
    src = PARSER_PRELUDE
    for kind, (decl, targets, result) in KINDS.items():
        for template in (PARSE_FUNC, KW_FUNC, DICT_FUNC):
            src += template % dict(kind=kind, decl=decl, targets=targets, result=result)
    return src + SPECIAL_FUNCS + '@INIT\n'


PARSER_SRC = _parser_source()


@pytest.fixture
def pm(compile_module):
    return shared_module(compile_module, PARSER_SRC)


def call(pm, parser, kind, fmt, kwlist=None, args=(), kw=None):
    """Parse `args` and `kw` with `fmt` through one parser; returns the targets' values.
    parser 'kwx': kw is the kwnames object itself, or a list of (name, value) pairs whose names
    make the kwnames tuple. parser 'dictx': kw is the kw object itself."""
    if parser == 'parse':
        assert not kw
        return getattr(pm, 'parse_' + kind)(fmt, *args)
    if parser == 'kwx':
        if isinstance(kw, list):
            return pm.kwx_obj(fmt, kwlist, tuple(n for n, _ in kw), *args, *(v for _, v in kw))
        return pm.kwx_obj(fmt, kwlist, kw, *args)
    if parser == 'dictx':
        return pm.dictx_obj(fmt, kwlist, kw, *args)
    return getattr(pm, '%s_%s' % (parser, kind))(fmt, kwlist, *args, **(kw or {}))


PARSERS = ('parse', 'kw', 'dict')
KW_PARSERS = ('kw', 'dict')

# Every message of the parsers, and where it can occur: (parsers, kind, units, keyword list,
# positional arguments, keyword arguments, exception, message). The message is decorated as
# the format says: "function MSG", "NAME() MSG" after ':NAME', TEXT alone after ';TEXT'.
# "missing terminating null character" is left out: HPyUnicode_AsUTF8AndSize always ends its
# text with a NUL, so no argument reaches that check.
MESSAGES = [
    (PARSERS, 'char', 'b', ('a',), (-1,), {},
     OverflowError, 'unsigned byte integer is less than minimum'),
    (KW_PARSERS, 'char', 'b', ('a',), (), {'a': -1},
     OverflowError, 'unsigned byte integer is less than minimum'),
    (PARSERS, 'char', 'b', ('a',), (256,), {},
     OverflowError, 'unsigned byte integer is greater than maximum'),
    (PARSERS, 'short', 'h', ('a',), (-2**15 - 1,), {},
     OverflowError, 'signed short integer is less than minimum'),
    (PARSERS, 'short', 'h', ('a',), (2**15,), {},
     OverflowError, 'signed short integer is greater than maximum'),
    (KW_PARSERS, 'short', '|h', ('a',), (), {'a': 2**15},
     OverflowError, 'signed short integer is greater than maximum'),
    (PARSERS, 'int', 'i', ('a',), (2**31,), {},
     OverflowError, 'signed integer is greater than maximum'),
    (PARSERS, 'int', 'i', ('a',), (-2**31 - 1,), {},
     OverflowError, 'signed integer is less than minimum'),
    (KW_PARSERS, 'int', '$i', ('a',), (), {'a': -2**31 - 1},
     OverflowError, 'signed integer is less than minimum'),
    (PARSERS, 'str', 's', ('a',), (b'x',), {}, TypeError, 'a str is required'),
    (KW_PARSERS, 'str', 's', ('a',), (), {'a': 5}, TypeError, 'a str is required'),
    (PARSERS, 'str', 's', ('a',), ('\udc80',), {}, SystemError, 'unicode conversion error'),
    (PARSERS, 'str', 's', ('a',), ('a\0b',), {}, ValueError, 'embedded null character'),
    (KW_PARSERS, 'str', 's', ('a',), (), {'a': '\0'}, ValueError, 'embedded null character'),
    (PARSERS, 'obj', 'OZ', ('a', 'b'), (1, 2), {}, SystemError, 'unknown arg format code'),
    (PARSERS, 'obj', 'O|?', ('a', 'b'), (1,), {}, SystemError, 'unknown arg format code'),
    (('parse',), 'obj', 'O$O', (), (1, 2), {}, SystemError, 'unknown arg format code'),
    (('parse',), 'obj', 'OO', (), (1,), {}, TypeError, 'required positional argument missing'),
    (('parse',), 'obj', 'O', (), (), {}, TypeError, 'required positional argument missing'),
    (('parse',), 'obj', 'O|O', (), (1, 2, 3), {},
     TypeError, 'mismatched args (too many arguments for fmt)'),
    (('parse',), 'obj', '', (), (1,), {},
     TypeError, 'mismatched args (too many arguments for fmt)'),
    # beyond upstream: the keyword variants reject extra positional arguments too
    (KW_PARSERS, 'obj', 'O|O', ('a', 'b'), (1, 2, 3), {},
     TypeError, 'mismatched args (too many arguments for fmt)'),
    (KW_PARSERS, 'obj', 'OOO', ('', 'b', ''), (1, 2, 3), {},
     SystemError, 'empty keyword parameter name'),
    (KW_PARSERS, 'obj', 'OO', ('a', ''), (1, 2), {}, SystemError, 'empty keyword parameter name'),
    (('kwx',), 'obj', 'O', ('a',), (1,), 5,
     SystemError, 'could not retrieve length of keyword names tuple'),
    (('kwnt', 'dictnt'), 'obj', 'O', ('a',), (1,), {},
     SystemError, "HPyArg_ParseKeywords cannot use the format character 'O' unless an "
                  "HPyTracker is provided. Please supply an HPyTracker."),
    (('kwnt', 'dictnt'), 'obj', '|O', ('a',), (), {},
     SystemError, "HPyArg_ParseKeywords cannot use the format character 'O' unless an "
                  "HPyTracker is provided. Please supply an HPyTracker."),
    (KW_PARSERS, 'obj', 'OOO', ('a', 'b'), (1, 2), {},
     TypeError, 'mismatched args (too few keywords for fmt)'),
    (KW_PARSERS, 'obj', 'O', None, (), {}, TypeError, 'mismatched args (too few keywords for fmt)'),
    (KW_PARSERS, 'obj', 'O', ('a', 'b'), (1,), {},
     TypeError, 'mismatched args (too many keywords for fmt)'),
    (KW_PARSERS, 'obj', '', ('a',), (), {},
     TypeError, 'mismatched args (too many keywords for fmt)'),
    (KW_PARSERS, 'obj', 'O$O', ('a', 'b'), (1, 2), {},
     TypeError, 'keyword only argument passed as positional argument'),
    (KW_PARSERS, 'obj', 'OO', ('a', 'b'), (1,), {}, TypeError, 'no value for required argument'),
    (KW_PARSERS, 'obj', 'OO', ('a', 'b'), (), {'b': 1},
     TypeError, 'no value for required argument'),
    (KW_PARSERS, 'obj', 'O|O', ('', 'b'), (), {'b': 1},
     TypeError, 'no value for required argument'),
    # beyond upstream: keywords that no parameter accepts, an argument given twice
    (KW_PARSERS, 'obj', 'O|O', ('a', 'b'), (1,), {'c': 3},
     TypeError, "got an unexpected keyword argument 'c'"),
    (KW_PARSERS, 'obj', 'O|O', ('a', 'b'), (), {'a': 1, 'b': 2, 'zz': 3},
     TypeError, "got an unexpected keyword argument 'zz'"),
    (KW_PARSERS, 'obj', 'O|O', ('', 'b'), (1,), {'a': 2},
     TypeError, "got an unexpected keyword argument 'a'"),
    (KW_PARSERS, 'obj', '|OO', ('', 'b'), (1, 2), {'': 3},
     TypeError, "got an unexpected keyword argument ''"),
    (KW_PARSERS, 'obj', 'O', ('a',), (1,), {'\udc80': 2},
     TypeError, r"got an unexpected keyword argument '\udc80'"),
    (KW_PARSERS, 'obj', 'O', ('a',), (1,), {'a\0b': 2},
     TypeError, r"got an unexpected keyword argument 'a\x00b'"),
    (('kwx',), 'obj', 'O|O', ('a', 'b'), (1,), [(7, 2)], TypeError, 'keywords must be strings'),
    (('dictx',), 'obj', 'O|O', ('a', 'b'), (1,), {7: 2}, TypeError, 'keywords must be strings'),
    (KW_PARSERS, 'obj', 'O|O', ('a', 'b'), (1,), {'a': 2},
     TypeError, "got multiple values for argument 'a'"),
]


def _decorated(units, exc, msg):
    """(format, exception, expected message) for each way of decorating the messages."""
    return [(units, exc, 'function ' + msg),
            (units + ':add_two', exc, 'add_two() ' + msg),
            (units + ';my own message', exc, 'my own message')]


def _message_params():
    params = []
    for parsers, kind, units, kwlist, args, kw, exc, msg in MESSAGES:
        for parser in parsers:
            case_id = '%s-%s-%s' % (parser, units or 'empty', msg[:40])
            params.append(pytest.param(parser, kind, units, kwlist, args, kw, exc, msg,
                                       id=case_id))
    return params


def raises_exactly(exc, func, *args, **kw):
    with pytest.raises(exc) as e:
        func(*args, **kw)
    assert e.type is exc
    return str(e.value)


@pytest.mark.parametrize('parser, kind, units, kwlist, args, kw, exc, msg', _message_params())
def test_message(pm, parser, kind, units, kwlist, args, kw, exc, msg):
    for fmt, exc, expected in _decorated(units, exc, msg):
        assert raises_exactly(exc, call, pm, parser, kind, fmt, kwlist, args, kw) == expected


# Errors of the runtime's own conversions pass through undecorated: (kind, unit, value,
# exception, the module's function doing the same conversion directly).
PROPAGATED = [
    ('long', 'l', 2**70, OverflowError, 'as_long'),
    ('int', 'i', 'x', TypeError, 'as_long'),
    ('double', 'd', 'x', TypeError, 'as_double'),
]


@pytest.mark.parametrize('parser', PARSERS)
@pytest.mark.parametrize('kind, units, value, exc, direct', PROPAGATED)
def test_conversion_errors_propagate(pm, parser, kind, units, value, exc, direct):
    msg = raises_exactly(exc, getattr(pm, direct), value)
    assert 'function' not in msg and 'add_two' not in msg
    for fmt, _, _ in _decorated(units, exc, msg):
        assert raises_exactly(exc, call, pm, parser, kind, fmt, ('a',), (value,)) == msg
        if parser != 'parse':
            assert raises_exactly(exc, call, pm, parser, kind, fmt, ('a',), (), {'a': value}) == msg


def test_p_propagates(pm):
    class Bad:
        def __bool__(self):
            raise ZeroDivisionError('no truth')
    args = (0,) * 14 + (Bad(), 's')
    for parser in PARSERS:
        with pytest.raises(ZeroDivisionError, match='^no truth$'):
            call(pm, parser, 'all', ALL_UNITS + ':f', ALL_KWLIST, args)


@pytest.mark.parametrize('fmt, args, msg', [
    ('OO;msg:with colon', (1,), 'msg:with colon'),
    ('OO:name;semi', (1,), 'name;semi() required positional argument missing'),
    ('O|O:' + 'x' * 300, (1, 2, 3), 'x' * 200 + '() mismatched args (too many arguments for fmt)'),
    ('OO:', (1,), '() required positional argument missing'),
    ('OO;', (1,), ''),
])
def test_decorations(pm, fmt, args, msg):
    """The first of ':' and ';' wins, the function name is cut at 200 characters."""
    assert raises_exactly(TypeError, call, pm, 'parse', 'obj', fmt, None, args) == msg


def test_custom_message_is_kept_whole(pm):
    text = 'y' * 1000
    assert raises_exactly(TypeError, call, pm, 'kw', 'obj', 'O;' + text, ('a',), (), {}) == text


def test_parse_optional(pm):
    assert call(pm, 'parse', 'obj', 'O|O', args=(1,)) == (1, None, None)
    assert call(pm, 'parse', 'obj', 'O|OO', args=(1, 2, 3)) == (1, 2, 3)
    assert call(pm, 'parse', 'obj', '|OO', args=()) == (None, None, None)


@pytest.mark.parametrize('parser', PARSERS)
def test_all_units(pm, parser):
    values = (255, 256 + 7, -2**15, -1, -2**31, 2**32 + 5, -2**63, -1, 2**63 - 1, -2, -5, 0.5,
              -2.0, 'obj', [], 'hellò')
    expected = (255, 7, -2**15, 2**16 - 1, -2**31, 5, -2**63, 2**64 - 1, 2**63 - 1, 2**64 - 2,
                -5, 0.5, -2.0, 'obj', 0, 'hellò')
    assert call(pm, parser, 'all', ALL_UNITS, ALL_KWLIST, values) == expected
    if parser != 'parse':
        by_name = dict(zip(ALL_KWLIST, values))
        assert call(pm, parser, 'all', ALL_UNITS, ALL_KWLIST, (), by_name) == expected
        assert call(pm, parser, 'all', ALL_UNITS, ALL_KWLIST, values[:8],
                    dict(zip(ALL_KWLIST[8:], values[8:]))) == expected


@pytest.mark.parametrize('parser', PARSERS)
def test_missing_optionals_untouched(pm, parser):
    """Every unit, 'p' and 's' included, leaves its target alone when its argument is absent."""
    assert call(pm, parser, 'all', '|' + ALL_UNITS, ALL_KWLIST) == ALL_UNTOUCHED
    assert call(pm, parser, 'all', 'b|' + ALL_UNITS[1:], ALL_KWLIST, (200,)) == \
        (200,) + ALL_UNTOUCHED[1:]
    if parser != 'parse':
        assert call(pm, parser, 'all', '$' + ALL_UNITS, ALL_KWLIST) == ALL_UNTOUCHED
        assert call(pm, parser, 'all', '|' + ALL_UNITS, ALL_KWLIST, (), {'o': 1, 'c': 9}) == \
            ALL_UNTOUCHED[:2] + (9,) + ALL_UNTOUCHED[3:14] + (1, 'sixteen')
        positional_only = ('',) * 3 + ALL_KWLIST[3:]
        assert call(pm, parser, 'all', 'bB|' + ALL_UNITS[2:], positional_only, (40, 41)) == \
            (40, 41) + ALL_UNTOUCHED[2:]


@pytest.mark.parametrize('parser', KW_PARSERS)
def test_kw_basic(pm, parser):
    def f(*args, **kw):
        return call(pm, parser, 'obj', 'O|O', ('a', 'b'), args, kw)[:2]
    assert f(1) == (1, None)
    assert f(1, 2) == (1, 2)
    assert f(1, b=2) == (1, 2)
    assert f(b=2, a=1) == (1, 2)
    assert f(a=1) == (1, None)


@pytest.mark.parametrize('parser', KW_PARSERS)
def test_kw_positional_only(pm, parser):
    def f(*args, **kw):
        return call(pm, parser, 'obj', 'O|OO', ('', '', 'c'), args, kw)
    assert f(1) == (1, None, None)
    assert f(1, 2, c=3) == (1, 2, 3)
    assert f(1, 2, 3) == (1, 2, 3)
    assert f(1, c=3) == (1, None, 3)


@pytest.mark.parametrize('parser', KW_PARSERS)
def test_kw_keyword_only(pm, parser):
    def f(*args, **kw):
        return call(pm, parser, 'obj', 'O$OO', ('a', 'b', 'c'), args, kw)
    assert f(1, b=2) == (1, 2, None)
    assert f(1) == (1, None, None)
    assert f(c=3, a=1) == (1, None, 3)


def test_kw_no_keyword_list(pm):
    """A NULL keyword list is a list of no keywords."""
    for parser in KW_PARSERS:
        assert call(pm, parser, 'obj', '', None) == (None, None, None)


def test_kwnames_lookup_failure_is_not_given(pm):
    """A keyword name whose comparison raises counts as not given; its error is dropped."""
    class Name(str):
        def __eq__(self, other):
            raise ZeroDivisionError
        __hash__ = str.__hash__
    assert call(pm, 'kwx', 'obj', 'O|O', ('a', 'b'), (1,), [(Name('b'), 2)]) == (1, None, None)
    assert raises_exactly(TypeError, call, pm, 'kwx', 'obj', 'OO', ('a', 'b'), (1,),
                          [(Name('b'), 2)]) == 'function no value for required argument'
    assert call(pm, 'kwx', 'obj', 'O|O', ('a', 'b'), (1,), [(Name('b'), 2), ('b', 3)]) == \
        (1, 3, None)


def test_dict_lookup_failure_is_not_given(pm):
    class Name(str):
        def __eq__(self, other):
            raise ZeroDivisionError
        __hash__ = str.__hash__
    assert call(pm, 'dictx', 'obj', 'O|O', ('a', 'b'), (1,), {Name('b'): 2}) == (1, None, None)
    assert raises_exactly(TypeError, call, pm, 'dictx', 'obj', 'OO:g', ('a', 'b'), (1,),
                          {Name('b'): 2}) == 'g() no value for required argument'
    assert call(pm, 'dictx', 'obj', 'O|O', ('a', 'b'), (1,), None) == (1, None, None)
    assert call(pm, 'dictx', 'obj', 'O|O', ('a', 'b'), (1,), {'b': 2}) == (1, 2, None)


@pytest.mark.parametrize('parser', KW_PARSERS)
def test_failure_closes_tracker(pm, parser):
    """After a failure the parser has closed the tracker and the handles 'O' stored in it."""
    obj = object()
    args = (0,) * 13 + (obj, 1, b'not a str')
    before = refcount(obj)
    for _ in range(10):
        assert raises_exactly(TypeError, call, pm, parser, 'all', ALL_UNITS, ALL_KWLIST,
                              args) == 'function a str is required'
        assert raises_exactly(TypeError, call, pm, parser, 'all', ALL_UNITS, ALL_KWLIST,
                              args[:15] + ('str',), {'zz': 1}) == \
            "function got an unexpected keyword argument 'zz'"
    gc.collect()    # the exception info kept in a reference cycle by raises_exactly
    assert refcount(obj) == before


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


def _items_source():
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
    return src + '@INIT'


ITEMS_SRC = _items_source()


@pytest.fixture
def items(compile_module):
    """One function per unit, each parsing a single argument with HPyArg_Parse and no tracker."""
    return shared_module(compile_module, ITEMS_SRC)


def test_b(items):
    f = items.u_b
    assert f(0) == 0 and f(255) == 255
    assert raises_exactly(OverflowError, f, 256) == \
        'function unsigned byte integer is greater than maximum'
    assert raises_exactly(OverflowError, f, -1) == \
        'function unsigned byte integer is less than minimum'
    with pytest.raises(TypeError):
        f('x')


def test_B(items):
    f = items.u_bU
    assert f(255) == 255 and f(256) == 0 and f(-1) == 255


def test_h_H(items):
    assert items.u_h(-2**15) == -2**15 and items.u_h(2**15 - 1) == 2**15 - 1
    assert raises_exactly(OverflowError, items.u_h, 2**15) == \
        'function signed short integer is greater than maximum'
    assert raises_exactly(OverflowError, items.u_h, -2**15 - 1) == \
        'function signed short integer is less than minimum'
    assert items.u_hU(-1) == 2**16 - 1 and items.u_hU(2**16) == 0


def test_i_I(items):
    assert items.u_i(-2**31) == -2**31
    assert raises_exactly(OverflowError, items.u_i, 2**31) == \
        'function signed integer is greater than maximum'
    assert raises_exactly(OverflowError, items.u_i, -2**31 - 1) == \
        'function signed integer is less than minimum'
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
    assert raises_exactly(TypeError, items.u_s, b'x') == 'function a str is required'
    assert raises_exactly(ValueError, items.u_s, 'a\0b') == 'function embedded null character'
    assert raises_exactly(SystemError, items.u_s, '\udc80') == 'function unicode conversion error'


def test_kw_no_tracker(compile_module):
    mod = compile_module('''
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
        @EXPORT(g)
        @EXPORT(h)
        @INIT
    ''')
    for fn in (mod.g, mod.h):
        assert fn(1) == (1, 0.0, 'none', 7)
        assert fn(1, c='xy', d=[]) == (1, 0.0, 'xy', 0)
        assert fn(d=1, a=5, b=2) == (5, 2.0, 'none', 1)
        assert raises_exactly(TypeError, fn, 1, c=3) == 'function a str is required'
        assert raises_exactly(TypeError, fn, b=3) == 'function no value for required argument'


@pytest.mark.runtime_specific(ONLY_REFCOUNTS)
@pytest.mark.no_refleak_check   # checks its own reference counts
def test_no_refleaks(pm, compile_module):
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
    kwl = ('a', 'b')

    def both(*args, **kw):
        r = call(pm, 'kw', 'obj', 'O|O', kwl, args, kw)
        assert call(pm, 'dict', 'obj', 'O|O', kwl, args, kw) == r
        return r[:2]
    a, b = 'a' * 50, 'b' * 50
    s = 'xyz' * 10
    for _ in range(3):
        both(a, b=b)
        fmod.f(s)
    gc.collect()
    ra, rb, rs = refcount(a), refcount(b), refcount(s)
    for _ in range(200):
        assert both(a, b=b) == (a, b)
        assert both(b=b, a=a) == (a, b)
        try:
            both(a, b, 3)
        except TypeError:
            pass
        try:
            both(a, a=b)
        except TypeError:
            pass
        assert fmod.f(s) == s + repr(s) + repr(s) + s + s
        try:
            fmod.e(s)
        except ValueError:
            pass
    gc.collect()
    assert (refcount(a), refcount(b), refcount(s)) == (ra, rb, rs)
