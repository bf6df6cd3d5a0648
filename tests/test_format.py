"""Tests of HPyUnicode_FromFormat and HPyErr_Format (all ABIs)."""
import re
import pytest

# (format, C arguments, expected str or (exception, exact message))
CASES = [
    ('plain text', '0', 'plain text'),
    ('', '0', ''),
    ('100%%', '0', '100%'),
    ('%%%c%%', "'w'", '%w%'),
    ('%c', '0x20ac', '\u20ac'),
    ('%c', '0x1f600', '\U0001f600'),
    ('%c', '0', '\0'),
    ('a%cb', '0xd800', 'a\ud800b'),
    ('%c', '0x110000', (OverflowError, 'character argument not in range(0x110000)')),
    ('%c', '-1', (OverflowError, 'character argument not in range(0x110000)')),
    ('%d|%i|%u', '-7, 8, 9u', '-7|8|9'),
    ('%ld|%li|%lu', '-7L, LONG_MIN, ULONG_MAX', '-7|%d|%d' % (-2**63, 2**64 - 1)),
    ('%lld|%lli|%llu', 'LLONG_MIN, 3LL, ULLONG_MAX', '%d|3|%d' % (-2**63, 2**64 - 1)),
    ('%zd|%zi|%zu', '(HPy_ssize_t)-5, HPY_SSIZE_T_MAX, (size_t)-1', '-5|%d|%d' % (2**63 - 1, 2**64 - 1)),
    ('%d', 'INT_MIN', str(-2**31)),
    ('%x', '255', 'ff'),
    ('%x', '-1', 'ffffffff'),
    ('%6d|%-', '42', (SystemError, 'invalid format string')),
    ('%6d', '-42', '   -42'),
    ('%06d', '-42', '-00042'),
    ('%.4d', '-42', '-0042'),
    ('%8.4d', '-42', '   -0042'),
    ('%08.4d', '-42', '-0000042'),
    ('%3.6u', '42u', '000042'),
    ('%.0d', '0', '0'),
    ('%1d', '12345', '12345'),
    ('%08x', '0xbeef', '0000beef'),
    ('%.3x', '1', '001'),
    ('%06lld', '-1LL', '-00001'),
    ('%5zu', '(size_t)3', '    3'),
    ('%s', '"hellò"', 'hellò'),
    ('[%5s]', '"ab"', '[   ab]'),
    ('[%.1s]', '"ab"', '[a]'),
    ('[%5.1s]', '"ab"', '[    a]'),
    ('[%.2s]', '"\\xc3\\xa9x"', '[é]'),
    ('[%.1s]', '"\\xc3\\xa9x"', '[\ufffd]'),
    ('[%4s]', '"\\xc3\\xa9"', '[   é]'),
    ('%s', '"bad \\xff"', 'bad \ufffd'),
    ('%s', 'NULL', (SystemError, "null c string passed as value for formatting unit '%s'")),
    ('%0s', '"x"', (SystemError, "formatting unit '%s' does not support 0-padding")),
    ('%p', '(void *)0xbeef', '0xbeef'),
    ('%p', 'NULL', '0x0'),
    ('%4p', 'NULL', (SystemError, "formatting unit '%p' does not support width nor precision")),
    ('%.4p', 'NULL', (SystemError, "formatting unit '%p' does not support width nor precision")),
    ('%04p', 'NULL', (SystemError, "formatting unit '%p' does not support 0-padding")),
    ('%08.4p', 'NULL', (SystemError, "formatting unit '%p' does not support 0-padding")),
    ('%4c', "'x'", (SystemError, "formatting unit '%c' does not support width nor precision")),
    ('%.1c', "'x'", (SystemError, "formatting unit '%c' does not support width nor precision")),
    ('%04c', "'x'", (SystemError, "formatting unit '%c' does not support 0-padding")),
    ('%U', 'uni', 'Ωmega'),
    ('[%7.3U]', 'uni', '[    Ωme]'),
    ('%U', 'HPy_NULL', (SystemError, "HPy_NULL passed as value for formatting unit '%U'")),
    ('%0U', 'uni', (SystemError, "formatting unit '%U' does not support 0-padding")),
    ('%V', 'uni, "ignored"', 'Ωmega'),
    ('%V', 'HPy_NULL, "cstr"', 'cstr'),
    ('[%6.2V]', 'HPy_NULL, "cstr"', '[    cs]'),
    ('[%6.2V]', 'uni, "x"', '[    Ωm]'),
    ('%0V', 'uni, "x"', (SystemError, "formatting unit '%V' does not support 0-padding")),
    ('%S', 'ctx->h_True', 'True'),
    ('%R', 'uni', "'Ωmega'"),
    ('%A', 'uni', "'\\u03a9mega'"),
    ('[%6.3S]', 'ctx->h_False', '[   Fal]'),
    ('%S', 'HPy_NULL', (SystemError, "HPy_NULL passed as value for formatting unit '%S' or '%R' or '%A'")),
    ('%R', 'HPy_NULL', (SystemError, "HPy_NULL passed as value for formatting unit '%S' or '%R' or '%A'")),
    ('%A', 'HPy_NULL', (SystemError, "HPy_NULL passed as value for formatting unit '%S' or '%R' or '%A'")),
    ('%0S', 'uni', (SystemError, "formatting unit '%S' does not support 0-padding")),
    ('%0R', 'uni', (SystemError, "formatting unit '%R' does not support 0-padding")),
    ('%0A', 'uni', (SystemError, "formatting unit '%A' does not support 0-padding")),
    ('%y', '0', (SystemError, 'invalid format string')),
    ('%lx', '1L', (SystemError, 'invalid format string')),
    ('%zx', '1L', (SystemError, 'invalid format string')),
    ('%lls', '"x"', (SystemError, 'invalid format string')),
    ('%0%', '0', (SystemError, 'invalid format string')),
    ('%2%', '0', (SystemError, 'invalid format string')),
    ('%.0%', '0', (SystemError, 'invalid format string')),
    ('abc%', '0', (SystemError, 'invalid format string')),
    ('abc%5', '0', (SystemError, 'invalid format string')),
    ('abc%l', '0', (SystemError, 'invalid format string')),
    ('%.', '0', (SystemError, 'invalid format string')),
    ('%99999999999999999999d', '1', (ValueError, 'width too big')),
    ('%.99999999999999999999d', '1', (ValueError, 'precision too big')),
    ('%9223372036854775808d', '1', (ValueError, 'width too big')),
    ('%.9223372036854775808d', '1', (ValueError, 'precision too big')),
    ('%9223372036854775807d', '1', (MemoryError, 'cannot allocate memory for string format')),
    ('%.9223372036854775807d', '1', (MemoryError, 'cannot allocate memory for string format')),
    ('%9223372036854775807s', '"x"', (MemoryError, 'cannot allocate memory for string format')),
    ('check if %5d %s %6.3d is %5S or %6.3S', '42, "==", -42, ctx->h_True, ctx->h_False',
     'check if    42 ==   -042 is  True or    Fal'),
    ('%S and %R', 'ctx->h_None, uni', "None and 'Ωmega'"),
    ('tail %d', '7', 'tail 7'),
]


def make_module(compile_module, cases):
    src = '#include <limits.h>\n'
    for i, (fmt, args, _) in enumerate(cases):
        fmt_c = fmt.replace('\\', '\\\\').replace('"', '\\"')
        src += '''
        HPyDef_METH(f%(i)d, "f%(i)d", HPyFunc_NOARGS)
        static HPy f%(i)d_impl(HPyContext *ctx, HPy self)
        {
            HPy uni = HPyUnicode_FromString(ctx, "\\xce\\xa9mega");
            HPy res = HPyUnicode_FromFormat(ctx, "%(fmt)s", %(args)s);
            (void)self;
            HPy_Close(ctx, uni);
            return res;
        }
        @EXPORT(f%(i)d)
        ''' % dict(i=i, fmt=fmt_c, args=args)
    return compile_module(src + '@INIT', extra_flags=['-Wno-format-zero-length'])


def test_cases(compile_module):
    mod = make_module(compile_module, CASES)
    for i, (fmt, args, expected) in enumerate(CASES):
        f = getattr(mod, 'f%d' % i)
        if isinstance(expected, tuple):
            exc, msg = expected
            with pytest.raises(exc) as e:
                f()
            assert str(e.value) == msg, (fmt, args)
        else:
            assert f() == expected, (fmt, args)


def test_objects_and_long(compile_module):
    mod = compile_module('''
        #include <string.h>
        HPyDef_METH(fs_, "s", HPyFunc_O)
        static HPy fs__impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            return HPyUnicode_FromFormat(ctx, "<%S|%R|%A>", arg, arg, arg);
        }
        HPyDef_METH(ffmt, "fmt", HPyFunc_O)
        static HPy ffmt_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy_ssize_t n;
            const char *f = HPyUnicode_AsUTF8AndSize(ctx, arg, &n);
            (void)self;
            if (f == NULL) return HPy_NULL;
            return HPyUnicode_FromFormat(ctx, f, 1, 2, 3, 4, 5);
        }
        HPyDef_METH(ferr, "err", HPyFunc_O)
        static HPy ferr_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            return HPyErr_Format(ctx, ctx->h_KeyError, "key %R missing (%d)", arg, 3);
        }
        HPyDef_METH(ferr2, "err2", HPyFunc_NOARGS)
        static HPy ferr2_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPyErr_Format(ctx, ctx->h_ValueError, "bad %y");
        }
        HPyDef_METH(fmany, "many", HPyFunc_O)
        static HPy fmany_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            char fmt[40 * 3 + 1];
            int i;
            (void)self;
            for (i = 0; i < 40; i++) memcpy(fmt + 3 * i, "%S.", 3);
            fmt[120] = '\\0';
            return HPyUnicode_FromFormat(ctx, fmt, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg,
                arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg,
                arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg);
        }
        @EXPORT(fs_)
        @EXPORT(ffmt)
        @EXPORT(ferr)
        @EXPORT(ferr2)
        @EXPORT(fmany)
        @INIT
    ''')

    class O:
        def __str__(self):
            return 'str\udc80'

        def __repr__(self):
            return 'rep\u00fc\0'
    assert mod.s(O()) == '<str\udc80|rep\u00fc\0|rep\\xfc\0>'

    class Bad:
        def __repr__(self):
            raise ZeroDivisionError
    with pytest.raises(ZeroDivisionError):
        mod.s(Bad())
    with pytest.raises(ValueError) as e:
        mod.fmt('format \u00fc')
    assert str(e.value) == 'expected an ASCII-encoded format string, got a non-ASCII byte: 0xc3'
    long = ('a' * 1000 + '%d') * 5
    assert mod.fmt(long) == ''.join('a' * 1000 + str(i) for i in range(1, 6))
    with pytest.raises(KeyError) as e:
        mod.err('k')
    assert e.value.args == ("key 'k' missing (3)",)
    with pytest.raises(SystemError, match='^invalid format string$'):
        mod.err2()
    assert mod.many('xy') == 'xy.' * 40


def test_from_format_v(compile_module):
    mod = compile_module('''
        static HPy format_v(HPyContext *ctx, const char *fmt, ...)
        {
            va_list vargs;
            va_start(vargs, fmt);
            HPy res = HPyUnicode_FromFormatV(ctx, fmt, vargs);
            va_end(vargs);
            return res;
        }
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            return format_v(ctx, "%d-%s-%R-%05d", 42, "text", arg, 7);
        }
        @EXPORT(f)
        @INIT
    ''')
    assert mod.f([1]) == '42-text-[1]-00007'
