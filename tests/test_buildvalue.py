"""Tests of HPy_BuildValue (all ABIs)."""
import pytest

from support import refcount, ONLY_REFCOUNTS


def cases_module(compile_module, cases):
    body = '\n'.join('case %d: %s; break;' % (i, c) for i, c in enumerate(cases))
    return compile_module('''
        #include <limits.h>
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy o = HPyLong_FromLong(ctx, 42);
            HPy r = HPy_NULL;
            (void)self;
            switch (HPyLong_AsLong(ctx, arg)) {
            %s
            default: HPyErr_SetString(ctx, ctx->h_ValueError, "bad case");
            }
            HPy_Close(ctx, o);
            return r;
        }
        @EXPORT(f)
        @INIT
    ''' % body)


GOOD = [
    ('r = HPy_BuildValue(ctx, "")', None),
    ('r = HPy_BuildValue(ctx, "i", 42)', 42),
    ('r = HPy_BuildValue(ctx, "I", UINT_MAX)', 2**32 - 1),
    ('r = HPy_BuildValue(ctx, "k", ULONG_MAX)', 2**64 - 1),
    ('r = HPy_BuildValue(ctx, "l", LONG_MIN)', -2**63),
    ('r = HPy_BuildValue(ctx, "L", LLONG_MIN)', -2**63),
    ('r = HPy_BuildValue(ctx, "K", ULLONG_MAX)', 2**64 - 1),
    ('r = HPy_BuildValue(ctx, "n", HPY_SSIZE_T_MIN)', -2**63),
    ('r = HPy_BuildValue(ctx, "f", 0.25f)', 0.25),
    ('r = HPy_BuildValue(ctx, "d", -0.5)', -0.5),
    ('r = HPy_BuildValue(ctx, "s", "hellò")', 'hellò'),
    ('r = HPy_BuildValue(ctx, "O", o)', 42),
    ('r = HPy_BuildValue(ctx, "S", o)', 42),
    ('r = HPy_BuildValue(ctx, "ii", -1, 1)', (-1, 1)),
    ('r = HPy_BuildValue(ctx, "i,i", -1, 1)', (-1, 1)),
    ('r = HPy_BuildValue(ctx, "()")', ()),
    ('r = HPy_BuildValue(ctx, "[]")', []),
    ('r = HPy_BuildValue(ctx, "{}")', {}),
    ('r = HPy_BuildValue(ctx, "(i)", 1)', (1,)),
    ('r = HPy_BuildValue(ctx, "(i,i)", 1, 2)', (1, 2)),
    ('r = HPy_BuildValue(ctx, "[i,i]", 1, 2)', [1, 2]),
    ('r = HPy_BuildValue(ctx, "[(is)((f)[kk])i]", 4, "str", 0.25, 4UL, 2UL, 14267)',
     [(4, 'str'), ((0.25,), [4, 2]), 14267]),
    ('r = HPy_BuildValue(ctx, "{s:i, s:f}", "A", 4, "B", 0.25)', {'A': 4, 'B': 0.25}),
    ('r = HPy_BuildValue(ctx, "{ s:(i,i) , s:f }", "A", 4, 4, "B", 0.25)', {'A': (4, 4), 'B': 0.25}),
    ('r = HPy_BuildValue(ctx, "[{s:(i,i), s:f},i]", "A", 4, 4, "B", 0.25, 42)', [{'A': (4, 4), 'B': 0.25}, 42]),
    ('r = HPy_BuildValue(ctx, "({s:(i,i), s:f},[i])", "A", 4, 4, "B", 0.25, 42)', ({'A': (4, 4), 'B': 0.25}, [42])),
    ('r = HPy_BuildValue(ctx, "(dO)", 0.25, o)', (0.25, 42)),
    ('r = HPy_BuildValue(ctx, "i ", 5)', 5),
    ('r = HPy_BuildValue(ctx, "i,", 5)', 5),
]

BAD = [
    ('r = HPy_BuildValue(ctx, "(q)", 42)', "bad format char 'q' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "(i", 42)', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "[i", 42)', "unmatched '[' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "([(i)k", 42, 1UL)', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "(i]", 42)', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "[i)", 42)', "unmatched '[' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "N", o)', "HPy_BuildValue does not support the 'N' formatting unit. Instead, use the 'O' formatting unit and manually close the handle in the caller if necessary. HPy API functions never 'steal' handles and always make a duplicate handle if needed, the 'ownership' of the original handle is never 'transferred'. "),
    ('r = HPy_BuildValue(ctx, "{i:i", 1, 42)', "unmatched '{' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "{i:i,,}", 1, 42)', "unexpected ',' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "{i:ii,}", 1, 42, 42)', "missing ',' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "{i}", 42)', "missing ':' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "{i:i)", 1, 42)', "missing ',' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "i i", 1, 2)', "bad format char ' ' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "(i i)", 1, 2)', "bad format char ' ' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "i)", 1)', "unmatched ')' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "ii)", 1, 2)', "unmatched ')' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, ")")', "unmatched ')' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "(i))", 1)', "unmatched ')' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "[i]]", 1)', "unmatched ']' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "i}i", 1, 2)', "unmatched '}' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "O", HPy_NULL)', "HPy_NULL object passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "(iO)", 42, HPy_NULL)', "HPy_NULL object passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "{s:O}", "a", HPy_NULL)', "HPy_NULL object passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "((i)", 1)', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "ii(", 1, 2)', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "i{", 1)', "unmatched '{' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "ii[(i]", 1, 2, 3)', "unmatched '[' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "[i:i]", 1, 2)', "bad format char ':' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "{i:}", 1)', "bad format char '}' in the format string passed to HPy_BuildValue"),
    ('r = HPy_BuildValue(ctx, "{[i]:i}", 1, 2)', None),  # unhashable list -> TypeError from the runtime
]


def test_good(compile_module):
    mod = cases_module(compile_module, [c for c, _ in GOOD])
    for i, (c, expected) in enumerate(GOOD):
        r = mod.f(i)
        assert r == expected and type(r) is type(expected), c


def test_bad(compile_module):
    mod = cases_module(compile_module, [c for c, _ in BAD])
    for i, (c, msg) in enumerate(BAD):
        if msg is None:
            with pytest.raises(TypeError):
                mod.f(i)
            continue
        with pytest.raises(SystemError) as e:
            mod.f(i)
        assert str(e.value) == msg, c


def test_null_keeps_pending_error(compile_module):
    mod = compile_module('''
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            HPyErr_SetString(ctx, ctx->h_ValueError, "original");
            if (HPyLong_AsLong(ctx, arg))
                return HPy_BuildValue(ctx, "O", HPy_NULL);
            return HPy_BuildValue(ctx, "[iO]", 1, HPy_NULL);
        }
        @EXPORT(f)
        @INIT
    ''')
    for i in (0, 1):
        with pytest.raises(ValueError, match='^original$'):
            mod.f(i)


@pytest.mark.runtime_specific(ONLY_REFCOUNTS)
def test_O_is_new_handle(compile_module):
    mod = compile_module('''
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            return HPy_BuildValue(ctx, "O", arg);
        }
        @EXPORT(f)
        @INIT
    ''')
    o = object()
    before = refcount(o)
    for _ in range(100):
        assert mod.f(o) is o
    assert refcount(o) == before


NESTED = '''
    #include <stdlib.h>
    #include <string.h>
    /* nested(kind, depth): HPy_BuildValue of "((...(i)...))" (kind 0), "[[...[i]...]]" (kind 1)
       or "{i:{i:...{i:i}...}}" (kind 2) with `depth` levels; each 'i' is 7. */
    HPyDef_METH(nested, "nested", HPyFunc_VARARGS)
    static HPy nested_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        long kind, depth, i;
        char *fmt, *p;
        HPy r;
        (void)self;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "ll", &kind, &depth))
            return HPy_NULL;
        fmt = (char *)malloc((size_t)depth * 4 + 2);
        if (fmt == NULL)
            return HPyErr_NoMemory(ctx);
        p = fmt;
        for (i = 0; i < depth; i++) {
            if (kind == 2) {
                memcpy(p, "{i:", 3);
                p += 3;
            } else {
                *p++ = kind == 0 ? '(' : '[';
            }
        }
        *p++ = 'i';
        for (i = 0; i < depth; i++)
            *p++ = kind == 0 ? ')' : kind == 1 ? ']' : '}';
        *p = '\\0';
        /* enough arguments for the 'i's of up to 15 levels of dicts */
        r = HPy_BuildValue(ctx, fmt, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7);
        free(fmt);
        return r;
    }
    @EXPORT(nested)
    @INIT
'''


def _unwrap(obj, kind, depth):
    """The innermost value of a nested result, checking every level (iteratively: comparing a
    1000-deep tuple would recurse in the interpreter)."""
    for _ in range(depth):
        if kind == 2:
            assert type(obj) is dict and list(obj) == [7], obj
            obj = obj[7]
        else:
            assert type(obj) is (tuple if kind == 0 else list) and len(obj) == 1
            obj = obj[0]
    return obj


def test_nesting_limit(compile_module):
    """Brackets nest up to 1000 levels; deeper formats are refused before anything is built,
    never by exhausting the C stack."""
    mod = compile_module(NESTED)
    for kind in (0, 1):
        assert _unwrap(mod.nested(kind, 1000), kind, 1000) == 7
    for kind in (0, 1):
        for depth in (1001, 50000):
            with pytest.raises(SystemError) as e:
                mod.nested(kind, depth)
            assert str(e.value) == ('brackets nested deeper than 1000 levels in the format '
                                    'string passed to HPy_BuildValue')
    # dicts count as well: the variadic arguments cover 15 levels, the format is refused first
    assert _unwrap(mod.nested(2, 15), 2, 14) == {7: 7}
    with pytest.raises(SystemError, match='^brackets nested deeper than 1000 levels'):
        mod.nested(2, 1001)
