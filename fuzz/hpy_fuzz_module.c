/* The fuzz target: an HPy module (hybrid ABI, loaded in debug mode by fuzz/driver.c) whose
 * one(data) turns a fuzzer input into one call of HPyArg_Parse, HPyArg_ParseKeywords,
 * HPy_BuildValue or HPyUnicode_FromFormat.
 *
 * Input: byte 0 picks the function, byte 1 the call site, byte 2 the mode, the rest is read as
 * needed (a byte past the end reads as 0).
 *  - raw mode: the rest, up to a NUL, is the format string as it is, except that each format
 *    unit is replaced by a unit of the call site's C type (below);
 *  - generated mode (BuildValue, FromFormat): the bytes drive a generator of well-formed
 *    formats; the result is compared with CPython's Py_BuildValue / PyUnicode_FromFormat where
 *    the contract says they agree.
 * C varargs must be fetched with the type they were passed with, so every call site passes 16
 * arguments of fixed types: either all of one type ("uniform" sites) or a fixed cycle of types
 * ("mixed" sites), and each unit of the format is rewritten to one of the units that fetch the
 * type of its position. Unit positions are counted in the order the units appear, which is the
 * order the functions fetch their arguments (they stop at the first error).
 *
 * A broken contract (an HPy_NULL result without an exception, 0 returned without one, a
 * success with an exception pending, a result that differs from CPython's) aborts with a
 * message: libFuzzer records the input. Sanitizer reports and debug-mode reports do the same.
 */
#include <Python.h>
#include "hpy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NARGS 16
#define MAXFMT 512
#define NPALETTE 32

/* ---- the input ---------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t n, i;
} Input;

static unsigned in_byte(Input *in)
{
    return in->i < in->n ? in->p[in->i++] : 0;
}

static void fail(const char *what, const char *fmt)
{
    fprintf(stderr, "hpy_fuzz: %s (format \"%s\")\n", what, fmt);
    fflush(stderr);
    abort();
}

/* ---- values ------------------------------------------------------------------------------- */

/* objects made by fuzz/fuzz_setup.py (hostile ones among them), as handles and PyObject* */
static HPy palette[NPALETTE];
static PyObject *palette_py[NPALETTE];
static int npalette;
static HPy kwname_palette[8];
static const char *keyword_palette[] = {"a", "b", "c", "", "a", "x", "n\xc3\xa9", "d"};

static const char *const strings[] = {
    "", "abc", "h\xc3\xa9llo", "\xe2\x82\xac", "bad \xff utf8", "%s%d", NULL,
    "a long string, longer than the sixteen bytes of any small buffer",
};
static const long long ints[] = {
    0, 1, -1, 127, 128, 255, 256, -129, 32767, -32769, 65536, 2147483647, -2147483647 - 1,
    4294967296LL, 9223372036854775807LL, -9223372036854775807LL - 1,
};
static const double doubles[] = {0.0, -0.0, 1.5, -2.25, 1e300, -1e-300, 3.4e38, 1e39};

/* ---- HPyArg_Parse and HPyArg_ParseKeywords -------------------------------------------------- */

/* The C type classes of the parser's units, each with the units that fetch it. */
enum { A_CHAR, A_SHORT, A_INT, A_LONG, A_LLONG, A_SSIZE, A_FLOAT, A_DOUBLE, A_OBJ, A_STR,
       A_NCLASSES };
static const char *const arg_units[A_NCLASSES] = {
    "bB", "hH", "iIp", "lk", "LK", "n", "f", "d", "O", "s",
};
/* the mixed site's cycle */
static const int arg_cycle[7] = {A_INT, A_OBJ, A_STR, A_DOUBLE, A_LONG, A_CHAR, A_SSIZE};

static int arg_class(int site, int pos)
{
    return site < A_NCLASSES ? site : arg_cycle[pos % 7];
}

static int is_arg_unit(char c)
{
    return c != '\0' && strchr("bBhHiIlkLKnfdOps", c) != NULL;
}

/* Copy the rest of the input as the format, each unit before ':' or ';' replaced. */
static void raw_arg_format(Input *in, int site, char *fmt)
{
    int pos = 0, decorated = 0;
    size_t k = 0;
    while (k < MAXFMT - 1) {
        char c = (char)in_byte(in);
        if (c == '\0')
            break;
        if (c == ':' || c == ';')
            decorated = 1;
        if (!decorated && is_arg_unit(c)) {
            const char *units;
            if (pos == NARGS)
                break;      /* no argument for a 17th unit */
            units = arg_units[arg_class(site, pos++)];
            c = units[(unsigned char)c % strlen(units)];
        }
        fmt[k++] = c;
    }
    fmt[k] = '\0';
}

typedef union {
    char c;
    short sh;
    int i;
    long l;
    long long ll;
    HPy_ssize_t n;
    float f;
    double d;
    HPy obj;
    const char *s;
} Out;

/* What a successful parse stored: read it all (ASan checks the strings), close nothing (the
 * tracker owns the handles). */
static void check_outputs(HPyContext *ctx, int site, const char *fmt, Out *out, const Out *init)
{
    int pos;
    for (pos = 0; pos < NARGS; pos++) {
        int cls = arg_class(site, pos);
        if (cls == A_STR && out[pos].s != init[pos].s && strlen(out[pos].s) > (size_t)1 << 40)
            fail("impossible string length", fmt);
        if (cls == A_OBJ && out[pos].obj._i != init[pos].obj._i) {
            HPy type = HPy_Type(ctx, out[pos].obj);   /* the debug mode checks the handle */
            if (HPy_IsNull(type))
                fail("parsed object has no type", fmt);
            HPy_Close(ctx, type);
        }
    }
}

#define OUT_ARGS(f, o) \
    f(o, 0), f(o, 1), f(o, 2), f(o, 3), f(o, 4), f(o, 5), f(o, 6), f(o, 7), \
    f(o, 8), f(o, 9), f(o, 10), f(o, 11), f(o, 12), f(o, 13), f(o, 14), f(o, 15)
#define P_CHAR(o, k) &o[k].c
#define P_SHORT(o, k) &o[k].sh
#define P_INT(o, k) &o[k].i
#define P_LONG(o, k) &o[k].l
#define P_LLONG(o, k) &o[k].ll
#define P_SSIZE(o, k) &o[k].n
#define P_FLOAT(o, k) &o[k].f
#define P_DOUBLE(o, k) &o[k].d
#define P_OBJ(o, k) &o[k].obj
#define P_STR(o, k) &o[k].s
/* the mixed cycle: int, obj, str, double, long, char, ssize */
#define P_MIXED(o, k) P_MIXED_##k(o)
#define P_MIXED_0(o) &o[0].i
#define P_MIXED_1(o) &o[1].obj
#define P_MIXED_2(o) &o[2].s
#define P_MIXED_3(o) &o[3].d
#define P_MIXED_4(o) &o[4].l
#define P_MIXED_5(o) &o[5].c
#define P_MIXED_6(o) &o[6].n
#define P_MIXED_7(o) &o[7].i
#define P_MIXED_8(o) &o[8].obj
#define P_MIXED_9(o) &o[9].s
#define P_MIXED_10(o) &o[10].d
#define P_MIXED_11(o) &o[11].l
#define P_MIXED_12(o) &o[12].c
#define P_MIXED_13(o) &o[13].n
#define P_MIXED_14(o) &o[14].i
#define P_MIXED_15(o) &o[15].obj

#define PARSE_SITES(CALL) \
    switch (site) { \
    case A_CHAR: r = CALL(OUT_ARGS(P_CHAR, out)); break; \
    case A_SHORT: r = CALL(OUT_ARGS(P_SHORT, out)); break; \
    case A_INT: r = CALL(OUT_ARGS(P_INT, out)); break; \
    case A_LONG: r = CALL(OUT_ARGS(P_LONG, out)); break; \
    case A_LLONG: r = CALL(OUT_ARGS(P_LLONG, out)); break; \
    case A_SSIZE: r = CALL(OUT_ARGS(P_SSIZE, out)); break; \
    case A_FLOAT: r = CALL(OUT_ARGS(P_FLOAT, out)); break; \
    case A_DOUBLE: r = CALL(OUT_ARGS(P_DOUBLE, out)); break; \
    case A_OBJ: r = CALL(OUT_ARGS(P_OBJ, out)); break; \
    case A_STR: r = CALL(OUT_ARGS(P_STR, out)); break; \
    default: r = CALL(OUT_ARGS(P_MIXED, out)); break; \
    }

static void fuzz_parse(HPyContext *ctx, Input *in, int keywords_variant)
{
    int site = (int)(in_byte(in) % (A_NCLASSES + 1));
    size_t nargs = in_byte(in) % 9, nkw = keywords_variant ? in_byte(in) % 5 : 0;
    HPy args[16];
    HPy kwnames = HPy_NULL;
    const char *keywords[NARGS + 1];
    size_t nkeywords = in_byte(in) % (NARGS + 1), k;
    int use_tracker = (in_byte(in) & 1) == 0;
    char fmt[MAXFMT];
    Out out[NARGS], init[NARGS];
    HPyTracker ht;
    int r;

    for (k = 0; k < nargs + nkw; k++)
        args[k] = palette[in_byte(in) % npalette];
    for (k = 0; k < nkeywords; k++)
        keywords[k] = keyword_palette[in_byte(in) % 8];
    keywords[nkeywords] = NULL;
    if (nkw > 0) {
        HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, (HPy_ssize_t)nkw);
        for (k = 0; k < nkw; k++)
            HPyTupleBuilder_Set(ctx, tb, (HPy_ssize_t)k, kwname_palette[in_byte(in) % 8]);
        kwnames = HPyTupleBuilder_Build(ctx, tb);
        if (HPy_IsNull(kwnames))
            fail("cannot build kwnames", "");
    }
    memset(out, 0x5a, sizeof(out));
    for (k = 0; k < NARGS; k++)
        out[k].s = strings[1];      /* a valid pointer where a string is stored */
    memcpy(init, out, sizeof(out));
    raw_arg_format(in, site, fmt);

#define CALL_PARSE(...) HPyArg_Parse(ctx, use_tracker ? &ht : NULL, args, nargs, fmt, __VA_ARGS__)
#define CALL_PARSE_KW(...) HPyArg_ParseKeywords(ctx, use_tracker ? &ht : NULL, args, nargs, \
                                                kwnames, fmt, keywords, __VA_ARGS__)
    if (keywords_variant) {
        PARSE_SITES(CALL_PARSE_KW)
    } else {
        PARSE_SITES(CALL_PARSE)
    }
    if (r == 1) {
        if (HPyErr_Occurred(ctx))
            fail("success with an exception pending", fmt);
        check_outputs(ctx, site, fmt, out, init);
        if (use_tracker)
            HPyTracker_Close(ctx, ht);
    } else if (r == 0) {
        if (!HPyErr_Occurred(ctx))
            fail("failure without an exception", fmt);
        HPyErr_Clear(ctx);
    } else {
        fail("result neither 0 nor 1", fmt);
    }
    if (!HPy_IsNull(kwnames))
        HPy_Close(ctx, kwnames);
}

/* ---- HPy_BuildValue ------------------------------------------------------------------------- */

enum { B_INT, B_LONG, B_LLONG, B_SSIZE, B_DOUBLE, B_STR, B_OBJ, B_NCLASSES };
static const char *const build_units[B_NCLASSES] = {"iI", "kl", "LK", "n", "fd", "s", "OS"};
static const int build_cycle[7] = {B_STR, B_INT, B_OBJ, B_DOUBLE, B_LLONG, B_LONG, B_SSIZE};

static int build_class(int site, int pos)
{
    return site < B_NCLASSES ? site : build_cycle[pos % 7];
}

static int is_build_unit(char c)
{
    return c != '\0' && strchr("iIklLKnfdsOSN", c) != NULL;
}

typedef struct {
    int site, pos;
    char *fmt;
    size_t len;
    int comparable;         /* CPython agrees on everything generated */
    int values[NARGS];      /* index of each argument's value in its table */
} Gen;

static void g_putc(Gen *g, char c)
{
    if (g->len < MAXFMT - 1)
        g->fmt[g->len++] = c;
    g->fmt[g->len] = '\0';
}

static void g_unit(Gen *g, Input *in)
{
    const char *units = build_units[build_class(g->site, g->pos)];
    g_putc(g, units[in_byte(in) % strlen(units)]);
    g->pos++;
}

/* items of a tuple or list (or the top level): units, nested containers, dicts */
static void g_items(Gen *g, Input *in, int depth, char close)
{
    unsigned n = in_byte(in) % 5, k;
    for (k = 0; k < n && g->pos < NARGS; k++) {
        unsigned what = in_byte(in) % 8;
        if (k > 0 && close != '\0' && (in_byte(in) & 1))
            g_putc(g, ',');
        if (depth < 6 && what == 5) {
            g_putc(g, '(');
            g_items(g, in, depth + 1, ')');
            g_putc(g, ')');
        } else if (depth < 6 && what == 6) {
            g_putc(g, '[');
            g_items(g, in, depth + 1, ']');
            g_putc(g, ']');
        } else if (depth < 6 && what == 7) {
            unsigned m = in_byte(in) % 3, j;
            g_putc(g, '{');
            for (j = 0; j < m && g->pos + 2 <= NARGS; j++) {
                if (j > 0)
                    g_putc(g, ',');
                g_unit(g, in);
                g_putc(g, ':');
                g_unit(g, in);
            }
            g_putc(g, '}');
        } else {
            g_unit(g, in);
        }
        if (close == '\0' && k + 1 < n && g->pos < NARGS)
            g_putc(g, ',');   /* at the top level a comma keeps units apart */
    }
}

static void raw_build_format(Input *in, int site, char *fmt)
{
    int pos = 0;
    size_t k = 0;
    while (k < MAXFMT - 1) {
        char c = (char)in_byte(in);
        if (c == '\0')
            break;
        if (is_build_unit(c)) {
            const char *units;
            if (pos == NARGS)
                break;      /* no argument for a 17th unit */
            units = build_units[build_class(site, pos++)];
            /* 'N' stays: it fetches nothing and fails */
            if (c != 'N')
                c = units[(unsigned char)c % strlen(units)];
        }
        fmt[k++] = c;
    }
    fmt[k] = '\0';
}

#define V_INT(k) (int)ints[vi[k] % 16]
#define V_LONG(k) (long)ints[vi[k] % 16]
#define V_LLONG(k) (long long)ints[vi[k] % 16]
#define V_SSIZE(k) (HPy_ssize_t)ints[vi[k] % 16]
#define V_DOUBLE(k) doubles[vi[k] % 8]
#define V_STR(k) strings[vi[k] % 8]
#define V_OBJ(k) palette[vi[k] % npalette]
#define V_PYOBJ(k) palette_py[vi[k] % npalette]
#define VALS(V) V(0), V(1), V(2), V(3), V(4), V(5), V(6), V(7), \
                V(8), V(9), V(10), V(11), V(12), V(13), V(14), V(15)
/* the mixed cycle: str, int, obj, double, long long, long, ssize */
#define MIXED(OBJ) V_STR(0), V_INT(1), OBJ(2), V_DOUBLE(3), V_LLONG(4), V_LONG(5), V_SSIZE(6), \
    V_STR(7), V_INT(8), OBJ(9), V_DOUBLE(10), V_LLONG(11), V_LONG(12), V_SSIZE(13), \
    V_STR(14), V_INT(15)

#define BUILD_SITES(RESULT, CALL, OBJ) \
    switch (site) { \
    case B_INT: RESULT = CALL(VALS(V_INT)); break; \
    case B_LONG: RESULT = CALL(VALS(V_LONG)); break; \
    case B_LLONG: RESULT = CALL(VALS(V_LLONG)); break; \
    case B_SSIZE: RESULT = CALL(VALS(V_SSIZE)); break; \
    case B_DOUBLE: RESULT = CALL(VALS(V_DOUBLE)); break; \
    case B_STR: RESULT = CALL(VALS(V_STR)); break; \
    case B_OBJ: RESULT = CALL(VALS(OBJ)); break; \
    default: RESULT = CALL(MIXED(OBJ)); break; \
    }

/* CPython's outcome and ours must be the same: equal values of the same types (compared by
 * repr, which also tells a tuple from a list and 1 from 1.0 and True), or both an exception of
 * the same type. */
static void compare(HPyContext *ctx, HPy ours, PyObject *theirs, const char *fmt)
{
    PyObject *ours_py, *exc_ours = NULL, *exc_theirs = NULL;
    if (HPy_IsNull(ours)) {
        ours_py = NULL;
        exc_ours = PyErr_Occurred();
        Py_XINCREF(exc_ours);
    } else {
        ours_py = HPy_AsPyObject(ctx, ours);
    }
    if (theirs == NULL) {
        if (exc_ours == NULL)
            exc_theirs = PyErr_Occurred();
        Py_XINCREF(exc_theirs);
    }
    if ((ours_py == NULL) != (theirs == NULL)) {
        PyErr_Print();
        fail("HPy and CPython disagree on success", fmt);
    }
    if (ours_py != NULL) {
        /* repr of a hostile object raises: then it must raise for both */
        PyObject *r1 = PyObject_Repr(ours_py), *r2;
        PyErr_Clear();
        r2 = PyObject_Repr(theirs);
        PyErr_Clear();
        if ((r1 == NULL) != (r2 == NULL) || (r1 != NULL && PyUnicode_Compare(r1, r2) != 0)) {
            if (r1 && r2)
                fprintf(stderr, "ours: %s\nCPython's: %s\n", PyUnicode_AsUTF8(r1),
                        PyUnicode_AsUTF8(r2));
            fail("HPy and CPython build different values", fmt);
        }
        Py_XDECREF(r1);
        Py_XDECREF(r2);
    } else if (exc_theirs != NULL && PyErr_GivenExceptionMatches(exc_theirs, exc_ours) == 0) {
        fail("HPy and CPython raise different exceptions", fmt);
    }
    Py_XDECREF(ours_py);
    Py_XDECREF(theirs);
    Py_XDECREF(exc_ours);
    Py_XDECREF(exc_theirs);
    PyErr_Clear();
}

static void fuzz_build(HPyContext *ctx, Input *in, int generated)
{
    int site = (int)(in_byte(in) % (B_NCLASSES + 1)), k;
    unsigned vi[NARGS];
    char fmt[MAXFMT];
    HPy r;
    for (k = 0; k < NARGS; k++)
        vi[k] = in_byte(in);
    if (generated) {
        Gen g;
        memset(&g, 0, sizeof(g));
        g.site = site;
        g.fmt = fmt;
        fmt[0] = '\0';
        g_items(&g, in, 0, '\0');
    } else {
        raw_build_format(in, site, fmt);
    }
#define CALL_BUILD(...) HPy_BuildValue(ctx, fmt, __VA_ARGS__)
#define CALL_PY_BUILD(...) Py_BuildValue(fmt, __VA_ARGS__)
    BUILD_SITES(r, CALL_BUILD, V_OBJ)
    if (HPy_IsNull(r) != (HPyErr_Occurred(ctx) != 0))
        fail(HPy_IsNull(r) ? "HPy_NULL without an exception" : "a result with an exception pending",
             fmt);
    if (generated) {
        PyObject *theirs, *exc_type, *exc_value, *exc_tb;
        /* our exception (if any) aside while CPython builds, then compared with its own */
        PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
        BUILD_SITES(theirs, CALL_PY_BUILD, V_PYOBJ)
        if (theirs == NULL) {
            PyObject *t2, *v2, *tb2;
            PyErr_Fetch(&t2, &v2, &tb2);
            if (!HPy_IsNull(r))
                fail("HPy succeeds where CPython fails", fmt);
            if (!PyErr_GivenExceptionMatches(t2, exc_type))
                fail("HPy and CPython raise different exceptions", fmt);
            Py_XDECREF(t2);
            Py_XDECREF(v2);
            Py_XDECREF(tb2);
        }
        PyErr_Restore(exc_type, exc_value, exc_tb);
        if (theirs != NULL)
            compare(ctx, r, theirs, fmt);
    }
    if (HPy_IsNull(r))
        HPyErr_Clear(ctx);
    else
        HPy_Close(ctx, r);
}

/* ---- HPyUnicode_FromFormat ------------------------------------------------------------------ */

enum { F_INT, F_UINT, F_LONG, F_ULONG, F_LLONG, F_ULLONG, F_SSIZE, F_SIZE, F_STR, F_PTR, F_OBJ,
       F_V, F_NCLASSES };
/* the conversions of each class; F_V fetches an HPy and a const char * */
static const char *const format_units[F_NCLASSES][4] = {
    {"d", "i", "x", "c"}, {"u"}, {"ld", "li"}, {"lu"}, {"lld", "lli"}, {"llu"}, {"zd", "zi"},
    {"zu"}, {"s"}, {"p"}, {"S", "R", "A", "U"}, {"V"},
};

static const char *pick_unit(int cls, unsigned b)
{
    int n = 0;
    while (n < 4 && format_units[cls][n] != NULL)
        n++;
    return format_units[cls][b % n];
}

/* Copy the rest of the input as the format, the unit (and length) of every conversion that is
 * well-formed by the grammar of format.c replaced by one of the site's class. */
static void raw_fmt_format(Input *in, int site, char *fmt)
{
    char src[MAXFMT];
    size_t n = 0, i = 0, k = 0;
    int convs = 0;
    while (n < MAXFMT - 1 && (src[n] = (char)in_byte(in)) != '\0')
        n++;
    src[n] = '\0';
    while (i < n && k < MAXFMT - 8) {
        size_t start = i, end;
        const char *unit;
        if (src[i] != '%') {
            fmt[k++] = src[i++];
            continue;
        }
        i++;
        if (src[i] == '%') {
            fmt[k++] = '%';
            fmt[k++] = '%';
            i++;
            continue;
        }
        while (src[i] == '0' || (src[i] >= '1' && src[i] <= '9'))
            i++;
        if (src[i] == '.') {
            i++;
            while (src[i] >= '0' && src[i] <= '9')
                i++;
        }
        end = i;    /* flags, width, precision: kept */
        if (src[i] == 'l' && src[i + 1] == 'l')
            i += 2;
        else if (src[i] == 'l' || src[i] == 'z')
            i += 1;
        if (src[i] == '\0' || strchr("cdiuxspASURV", src[i]) == NULL) {
            /* not a conversion: an error when formatting reaches it, copied as it is */
            while (start < i && k < MAXFMT - 8)
                fmt[k++] = src[start++];
            continue;
        }
        if (++convs > (site == F_V ? NARGS / 2 : NARGS))
            break;          /* no argument for it */
        unit = pick_unit(site, (unsigned char)src[i]);
        i++;
        while (start < end && k < MAXFMT - 8)
            fmt[k++] = src[start++];
        while (*unit && k < MAXFMT - 2)
            fmt[k++] = *unit++;
    }
    fmt[k] = '\0';
}

#define F_VALS_V(k) palette[vi[k] % npalette], strings[vi[k] % 8]
#define V_UINT(k) (unsigned)ints[vi[k] % 16]
#define V_ULONG(k) (unsigned long)ints[vi[k] % 16]
#define V_ULLONG(k) (unsigned long long)ints[vi[k] % 16]
#define V_SIZE(k) (size_t)ints[vi[k] % 16]
#define V_PTR(k) (const void *)&ints[vi[k] % 16]
#define V_FSTR(k) (strings[vi[k] % 8] ? strings[vi[k] % 8] : "")
#define F_OBJ_OR_NULL(k) (vi[k] % 5 == 4 ? HPy_NULL : palette[vi[k] % npalette])
#define PAIRS(P) P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7)
#define V_VPAIR(k) F_OBJ_OR_NULL(k), V_FSTR(k)

/* CPython's PyUnicode_FromFormat agrees on conversions without width and precision, for ASCII
 * formats and valid UTF-8 strings, except for the units whose contract differs (c, p, U, V). */
static int comparable(const char *fmt, int site)
{
    const char *p;
    if (site == F_PTR || site == F_V || site == F_OBJ)
        return 0;
    if (site == F_INT)
        return 0;   /* c takes part of the class */
    for (p = fmt; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            return 0;
        if (*p == '%') {
            p++;
            if (*p == '%')
                continue;
            if (strchr("123456789.0", *p))
                return 0;
        }
    }
    return 1;
}

static void fuzz_format(HPyContext *ctx, Input *in)
{
    int site = (int)(in_byte(in) % F_NCLASSES), k;
    unsigned vi[NARGS];
    char fmt[MAXFMT];
    HPy r;
    for (k = 0; k < NARGS; k++)
        vi[k] = in_byte(in);
    raw_fmt_format(in, site, fmt);
    switch (site) {
    case F_INT: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_INT)); break;
    case F_UINT: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_UINT)); break;
    case F_LONG: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_LONG)); break;
    case F_ULONG: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_ULONG)); break;
    case F_LLONG: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_LLONG)); break;
    case F_ULLONG: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_ULLONG)); break;
    case F_SSIZE: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_SSIZE)); break;
    case F_SIZE: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_SIZE)); break;
    case F_STR: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_FSTR)); break;
    case F_PTR: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_PTR)); break;
    case F_OBJ: r = HPyUnicode_FromFormat(ctx, fmt, VALS(V_OBJ)); break;
    default: r = HPyUnicode_FromFormat(ctx, fmt, PAIRS(V_VPAIR)); break;
    }
    if (HPy_IsNull(r) != (HPyErr_Occurred(ctx) != 0))
        fail(HPy_IsNull(r) ? "HPy_NULL without an exception" : "a result with an exception pending",
             fmt);
    if (!HPy_IsNull(r) && comparable(fmt, site)) {
        PyObject *theirs = NULL;
        int valid = 1;
        if (site == F_STR) {
            /* CPython decodes invalid UTF-8 with replacement characters */
            for (k = 0; k < NARGS; k++)
                if (vi[k] % 8 == 4)
                    valid = 0;
        }
        if (valid) {
            switch (site) {
            case F_UINT: theirs = PyUnicode_FromFormat(fmt, VALS(V_UINT)); break;
            case F_LONG: theirs = PyUnicode_FromFormat(fmt, VALS(V_LONG)); break;
            case F_ULONG: theirs = PyUnicode_FromFormat(fmt, VALS(V_ULONG)); break;
            case F_LLONG: theirs = PyUnicode_FromFormat(fmt, VALS(V_LLONG)); break;
            case F_ULLONG: theirs = PyUnicode_FromFormat(fmt, VALS(V_ULLONG)); break;
            case F_SSIZE: theirs = PyUnicode_FromFormat(fmt, VALS(V_SSIZE)); break;
            case F_SIZE: theirs = PyUnicode_FromFormat(fmt, VALS(V_SIZE)); break;
            case F_STR: theirs = PyUnicode_FromFormat(fmt, VALS(V_FSTR)); break;
            default: valid = 0;
            }
        }
        if (valid) {
            if (theirs == NULL) {
                PyErr_Clear();      /* CPython is stricter about some formats: not compared */
            } else {
                compare(ctx, r, theirs, fmt);
            }
        }
    }
    if (HPy_IsNull(r))
        HPyErr_Clear(ctx);
    else
        HPy_Close(ctx, r);
}

/* ---- the module ----------------------------------------------------------------------------- */

HPyDef_METH(setup, "setup", HPyFunc_VARARGS)
static HPy setup_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy objects, names;
    HPy_ssize_t n, i;
    (void)self;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO", &objects, &names))
        return HPy_NULL;
    n = HPy_Length(ctx, objects);
    if (n < 1 || n > NPALETTE || HPy_Length(ctx, names) != 8)
        return HPyErr_SetString(ctx, ctx->h_ValueError, "1 to 32 objects and 8 names");
    for (i = 0; i < n; i++) {
        palette[i] = HPy_GetItem_i(ctx, objects, i);
        palette_py[i] = HPy_AsPyObject(ctx, palette[i]);
    }
    npalette = (int)n;
    for (i = 0; i < 8; i++)
        kwname_palette[i] = HPy_GetItem_i(ctx, names, i);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(one, "one", HPyFunc_O)
static HPy one_impl(HPyContext *ctx, HPy self, HPy data)
{
    Input in;
    unsigned what, mode;
    HPy_ssize_t size;
    (void)self;
    if (npalette == 0)
        return HPyErr_SetString(ctx, ctx->h_RuntimeError, "setup() first");
    in.p = (const unsigned char *)HPyBytes_AsString(ctx, data);
    size = HPyBytes_Size(ctx, data);
    if (in.p == NULL || size < 0)
        return HPy_NULL;
    in.n = (size_t)size;
    in.i = 0;
    what = in_byte(&in) % 4;
    mode = in_byte(&in);
    switch (what) {
    case 0: fuzz_parse(ctx, &in, 0); break;
    case 1: fuzz_parse(ctx, &in, 1); break;
    case 2: fuzz_build(ctx, &in, mode & 1); break;
    default: fuzz_format(ctx, &in); break;
    }
    if (HPyErr_Occurred(ctx))
        fail("an exception left pending", "");
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *moduledefs[] = {&setup, &one, NULL};
static HPyModuleDef moduledef = {
    .doc = "fuzz target of the format parsers (fuzz/driver.c)",
    .size = 0,
    .defines = moduledefs,
};
HPy_MODINIT(hpy_fuzz_module, moduledef)
