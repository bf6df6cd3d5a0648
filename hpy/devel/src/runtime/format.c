/* printf-style construction of str objects: HPyUnicode_FromFormat(V) and HPyErr_Format.
 *
 * Contract (api.md 6.4.3): the format string must be ASCII; a conversion is
 * %[0][width][.precision]<unit> and %% is a literal percent. Units:
 *   c (int code point), d i (int), u (unsigned), ld li lu, lld lli llu, zd zi (HPy_ssize_t),
 *   zu (size_t), x (int, lower-case hex), s (UTF-8 const char *), p (const void *, "0x..."),
 *   A U S R (HPy: ascii(), the str, str(), repr()), V (HPy str or, if HPy_NULL, a const char *).
 * Width pads on the left with spaces, counted in characters. Precision is the minimum number of
 * digits for numbers and the maximum length for strings (bytes for C strings, characters for
 * objects). The 0 flag pads numbers with zeros after the sign; it is an error for the other
 * units; c and p accept neither width nor precision. Anything else is "invalid format string".
 *
 * Implementation: the output is a sequence of str pieces joined at the end. ASCII text (literal
 * parts, numbers, padding) accumulates in a byte buffer that becomes a piece whenever an object
 * piece has to follow it; objects and non-ASCII text become pieces directly, so no str ever
 * needs a round trip through UTF-8 (lone surrogates and NULs survive).
 */
#include "hpy.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define SMALL_BUF 256
#define SMALL_PIECES 16

typedef struct {
    HPyContext *ctx;
    char *buf;                  /* pending ASCII text, never contains NUL */
    size_t len, cap;
    HPy *pieces;                /* owned str handles, in output order */
    HPy_ssize_t npieces, cap_pieces;
    char small_buf[SMALL_BUF];
    HPy small_pieces[SMALL_PIECES];
} Writer;

static void w_init(Writer *w, HPyContext *ctx)
{
    w->ctx = ctx;
    w->buf = w->small_buf;
    w->len = 0;
    w->cap = SMALL_BUF;
    w->pieces = w->small_pieces;
    w->npieces = 0;
    w->cap_pieces = SMALL_PIECES;
}

static void w_release(Writer *w)
{
    HPy_ssize_t i;
    for (i = 0; i < w->npieces; i++)
        HPy_Close(w->ctx, w->pieces[i]);
    if (w->pieces != w->small_pieces)
        free(w->pieces);
    if (w->buf != w->small_buf)
        free(w->buf);
}

static int no_memory(HPyContext *ctx)
{
    HPyErr_SetString(ctx, ctx->h_MemoryError, "cannot allocate memory for string format");
    return -1;
}

/* Make room for `extra` more bytes plus a terminating NUL. */
static int w_reserve(Writer *w, size_t extra)
{
    size_t need, newcap;
    char *nb;
    if (extra > (size_t)HPY_SSIZE_T_MAX - w->len - 1)
        return no_memory(w->ctx);
    need = w->len + extra + 1;
    if (need <= w->cap)
        return 0;
    newcap = w->cap * 2 > need ? w->cap * 2 : need;
    if (w->buf == w->small_buf) {
        nb = (char *)malloc(newcap);
        if (nb != NULL)
            memcpy(nb, w->buf, w->len);
    } else {
        nb = (char *)realloc(w->buf, newcap);
    }
    if (nb == NULL)
        return no_memory(w->ctx);
    w->buf = nb;
    w->cap = newcap;
    return 0;
}

static int w_append(Writer *w, const char *s, size_t n)
{
    if (w_reserve(w, n) < 0)
        return -1;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return 0;
}

static int w_fill(Writer *w, char c, size_t n)
{
    if (n == 0)
        return 0;
    if (w_reserve(w, n) < 0)
        return -1;
    memset(w->buf + w->len, c, n);
    w->len += n;
    return 0;
}

/* Append a piece; takes ownership of `h` (closed on failure). */
static int w_push(Writer *w, HPy h)
{
    if (w->npieces == w->cap_pieces) {
        HPy_ssize_t newcap = w->cap_pieces * 2;
        HPy *np = (HPy *)malloc((size_t)newcap * sizeof(HPy));
        if (np == NULL) {
            HPy_Close(w->ctx, h);
            return no_memory(w->ctx);
        }
        memcpy(np, w->pieces, (size_t)w->npieces * sizeof(HPy));
        if (w->pieces != w->small_pieces)
            free(w->pieces);
        w->pieces = np;
        w->cap_pieces = newcap;
    }
    w->pieces[w->npieces++] = h;
    return 0;
}

/* Turn the pending ASCII text into a piece. */
static int w_flush(Writer *w)
{
    HPy h;
    if (w->len == 0)
        return 0;
    w->buf[w->len] = '\0';      /* w_reserve always keeps room for it */
    h = HPyUnicode_FromString(w->ctx, w->buf);
    if (HPy_IsNull(h))
        return -1;
    w->len = 0;
    return w_push(w, h);
}

/* Add the str `h` (owned) truncated to `prec` characters (if prec >= 0) and right-aligned in
 * `width` characters. */
static int w_str(Writer *w, HPy h, HPy_ssize_t width, HPy_ssize_t prec)
{
    HPy_ssize_t len;
    if (HPy_IsNull(h))
        return -1;
    len = HPy_Length(w->ctx, h);
    if (len < 0) {
        HPy_Close(w->ctx, h);
        return -1;
    }
    if (prec >= 0 && len > prec) {
        HPy sub = HPyUnicode_Substring(w->ctx, h, 0, prec);
        HPy_Close(w->ctx, h);
        if (HPy_IsNull(sub))
            return -1;
        h = sub;
        len = prec;
    }
    if ((width > len && w_fill(w, ' ', (size_t)(width - len)) < 0) || w_flush(w) < 0) {
        HPy_Close(w->ctx, h);
        return -1;
    }
    return w_push(w, h);
}

/* Add a UTF-8 C string, at most `prec` bytes of it (if prec >= 0). Invalid or truncated UTF-8
 * sequences become U+FFFD, as in CPython. */
static int w_cstr(Writer *w, const char *s, HPy_ssize_t width, HPy_ssize_t prec)
{
    size_t n = 0;
    int ascii = 1;
    HPy bytes, str;
    while (s[n] != '\0' && (prec < 0 || n < (size_t)prec)) {
        if ((unsigned char)s[n] >= 0x80)
            ascii = 0;
        n++;
    }
    if (ascii) {
        if (width > 0 && (size_t)width > n && w_fill(w, ' ', (size_t)width - n) < 0)
            return -1;
        return w_append(w, s, n);
    }
    bytes = HPyBytes_FromStringAndSize(w->ctx, s, (HPy_ssize_t)n);
    if (HPy_IsNull(bytes))
        return -1;
    str = HPyUnicode_FromEncodedObject(w->ctx, bytes, "utf-8", "replace");
    HPy_Close(w->ctx, bytes);
    return w_str(w, str, width, -1);
}

/* Add one code point; NUL and non-ASCII characters become their own piece. */
static int w_char(Writer *w, unsigned int cp)
{
    wchar_t wbuf[2];
    HPy_ssize_t n = 1;
    char c = (char)cp;
    if (cp != 0 && cp < 0x80)
        return w_append(w, &c, 1);
    if (sizeof(wchar_t) == 2 && cp > 0xFFFF) {     /* UTF-16 wchar_t: surrogate pair */
        cp -= 0x10000;
        wbuf[0] = (wchar_t)(0xD800 + (cp >> 10));
        wbuf[1] = (wchar_t)(0xDC00 + (cp & 0x3FF));
        n = 2;
    } else {
        wbuf[0] = (wchar_t)cp;
    }
    if (w_flush(w) < 0)
        return -1;
    return w_str(w, HPyUnicode_FromWideChar(w->ctx, wbuf, n), -1, -1);
}

/* Add an integer: sign, then zeros up to `prec` digits, padded to `width` with spaces before
 * the sign or, with the 0 flag, zeros after it. */
static int w_number(Writer *w, int negative, unsigned long long mag, unsigned base,
                    HPy_ssize_t width, HPy_ssize_t prec, int zeropad)
{
    char digits[64];
    size_t nd = 0, body, total, pad = 0;
    do {
        digits[nd++] = "0123456789abcdef"[mag % base];
        mag /= base;
    } while (mag != 0);
    body = (prec > 0 && (size_t)prec > nd) ? (size_t)prec : nd;
    total = body + (negative ? 1 : 0);
    if (width > 0 && (size_t)width > total)
        pad = (size_t)width - total;
    if (!zeropad && w_fill(w, ' ', pad) < 0)
        return -1;
    if (negative && w_append(w, "-", 1) < 0)
        return -1;
    if (zeropad && w_fill(w, '0', pad) < 0)
        return -1;
    if (w_fill(w, '0', body - nd) < 0 || w_reserve(w, nd) < 0)
        return -1;
    while (nd > 0)
        w->buf[w->len++] = digits[--nd];
    return 0;
}

static int w_signed(Writer *w, long long v, HPy_ssize_t width, HPy_ssize_t prec, int zeropad)
{
    /* magnitude computed without overflowing on LLONG_MIN */
    unsigned long long mag = v < 0 ? (unsigned long long)(-(v + 1)) + 1u : (unsigned long long)v;
    return w_number(w, v < 0, mag, 10, width, prec, zeropad);
}

static int set_system_error(HPyContext *ctx, const char *msg)
{
    HPyErr_SetString(ctx, ctx->h_SystemError, msg);
    return -1;
}

static int no_zeropad(HPyContext *ctx, char unit)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "formatting unit '%%%c' does not support 0-padding", unit);
    return set_system_error(ctx, msg);
}

/* Parse a decimal number; -1 with ValueError `too_big` if it does not fit HPy_ssize_t. */
static int parse_num(HPyContext *ctx, const char **pp, HPy_ssize_t *out, const char *too_big)
{
    const char *p = *pp;
    HPy_ssize_t v = 0;
    while (*p >= '0' && *p <= '9') {
        int d = *p - '0';
        if (v > (HPY_SSIZE_T_MAX - d) / 10) {
            HPyErr_SetString(ctx, ctx->h_ValueError, too_big);
            return -1;
        }
        v = v * 10 + d;
        p++;
    }
    *pp = p;
    *out = v;
    return 0;
}

enum { LEN_NONE, LEN_L, LEN_LL, LEN_Z };

/* Handle one conversion starting right after '%'; advances *pp past it. */
static int format_one(Writer *w, const char **pp, va_list *ap)
{
    HPyContext *ctx = w->ctx;
    const char *p = *pp;
    HPy_ssize_t width = -1, prec = -1;
    int zeropad = 0, len = LEN_NONE;
    char unit;

    if (*p == '%') {            /* "%%" only: no flag, width or precision allowed */
        *pp = p + 1;
        return w_append(w, "%", 1);
    }
    while (*p == '0') {
        zeropad = 1;
        p++;
    }
    if (*p >= '1' && *p <= '9' && parse_num(ctx, &p, &width, "width too big") < 0)
        return -1;
    if (*p == '.') {
        p++;
        if (parse_num(ctx, &p, &prec, "precision too big") < 0)
            return -1;
    }
    if (*p == 'l') {
        p++;
        len = LEN_L;
        if (*p == 'l') {
            p++;
            len = LEN_LL;
        }
    } else if (*p == 'z') {
        p++;
        len = LEN_Z;
    }
    unit = *p;
    if (unit == '\0' || (len != LEN_NONE && unit != 'd' && unit != 'i' && unit != 'u'))
        return set_system_error(ctx, "invalid format string");
    *pp = p + 1;

    switch (unit) {
    case 'd':
    case 'i': {
        long long v;
        if (len == LEN_L)
            v = va_arg(*ap, long);
        else if (len == LEN_LL)
            v = va_arg(*ap, long long);
        else if (len == LEN_Z)
            v = (long long)va_arg(*ap, HPy_ssize_t);
        else
            v = va_arg(*ap, int);
        return w_signed(w, v, width, prec, zeropad);
    }
    case 'u': {
        unsigned long long v;
        if (len == LEN_L)
            v = va_arg(*ap, unsigned long);
        else if (len == LEN_LL)
            v = va_arg(*ap, unsigned long long);
        else if (len == LEN_Z)
            v = (unsigned long long)va_arg(*ap, size_t);
        else
            v = va_arg(*ap, unsigned int);
        return w_number(w, 0, v, 10, width, prec, zeropad);
    }
    case 'x':
        return w_number(w, 0, (unsigned int)va_arg(*ap, int), 16, width, prec, zeropad);
    case 'c': {
        int v;
        if (zeropad)
            return no_zeropad(ctx, unit);
        if (width >= 0 || prec >= 0)
            return set_system_error(ctx, "formatting unit '%c' does not support width nor precision");
        v = va_arg(*ap, int);
        if (v < 0 || v > 0x10FFFF) {
            HPyErr_SetString(ctx, ctx->h_OverflowError, "character argument not in range(0x110000)");
            return -1;
        }
        return w_char(w, (unsigned int)v);
    }
    case 'p': {
        const void *ptr;
        if (zeropad)
            return no_zeropad(ctx, unit);
        if (width >= 0 || prec >= 0)
            return set_system_error(ctx, "formatting unit '%p' does not support width nor precision");
        ptr = va_arg(*ap, const void *);
        if (w_append(w, "0x", 2) < 0)
            return -1;
        return w_number(w, 0, (unsigned long long)(uintptr_t)ptr, 16, -1, -1, 0);
    }
    case 's': {
        const char *s;
        if (zeropad)
            return no_zeropad(ctx, unit);
        s = va_arg(*ap, const char *);
        if (s == NULL)
            return set_system_error(ctx, "null c string passed as value for formatting unit '%s'");
        return w_cstr(w, s, width, prec);
    }
    case 'V': {
        HPy obj;
        const char *s;
        if (zeropad)
            return no_zeropad(ctx, unit);
        obj = va_arg(*ap, HPy);
        s = va_arg(*ap, const char *);
        if (!HPy_IsNull(obj))
            return w_str(w, HPy_Str(ctx, obj), width, prec);
        if (s == NULL)
            return set_system_error(ctx, "null c string passed as value for formatting unit '%V'");
        return w_cstr(w, s, width, prec);
    }
    case 'U':
    case 'S':
    case 'R':
    case 'A': {
        HPy obj, str;
        if (zeropad)
            return no_zeropad(ctx, unit);
        obj = va_arg(*ap, HPy);
        if (HPy_IsNull(obj))
            return set_system_error(ctx, unit == 'U'
                ? "HPy_NULL passed as value for formatting unit '%U'"
                : "HPy_NULL passed as value for formatting unit '%S' or '%R' or '%A'");
        if (unit == 'R')
            str = HPy_Repr(ctx, obj);
        else if (unit == 'A')
            str = HPy_ASCII(ctx, obj);
        else
            str = HPy_Str(ctx, obj);     /* for a str ('U') this is the string itself */
        return w_str(w, str, width, prec);
    }
    default:
        return set_system_error(ctx, "invalid format string");
    }
}

/* Join all pieces into the result (consumes the writer's pieces on success). */
static HPy w_finish(Writer *w)
{
    HPyContext *ctx = w->ctx;
    HPy tuple, sep, join, result;
    if (w_flush(w) < 0)
        return HPy_NULL;
    if (w->npieces == 0)
        return HPyUnicode_FromString(ctx, "");
    if (w->npieces == 1) {
        w->npieces = 0;
        return w->pieces[0];
    }
    tuple = HPyTuple_FromArray(ctx, w->pieces, w->npieces);
    if (HPy_IsNull(tuple))
        return HPy_NULL;
    sep = HPyUnicode_FromString(ctx, "");
    join = HPy_IsNull(sep) ? HPy_NULL : HPy_GetAttr_s(ctx, sep, "join");
    result = HPy_IsNull(join) ? HPy_NULL : HPy_Call(ctx, join, &tuple, 1, HPy_NULL);
    HPy_Close(ctx, join);
    HPy_Close(ctx, sep);
    HPy_Close(ctx, tuple);
    return result;
}

HPyAPI_HELPER HPy HPyUnicode_FromFormatV(HPyContext *ctx, const char *format, va_list vargs)
{
    Writer w;
    va_list ap;
    const char *p;
    HPy result = HPy_NULL;

    for (p = format; *p != '\0'; p++) {
        if ((unsigned char)*p >= 0x80) {
            char msg[96];
            snprintf(msg, sizeof(msg),
                     "expected an ASCII-encoded format string, got a non-ASCII byte: 0x%02x",
                     (unsigned int)(unsigned char)*p);
            return HPyErr_SetString(ctx, ctx->h_ValueError, msg);
        }
    }

    w_init(&w, ctx);
    va_copy(ap, vargs);
    p = format;
    while (*p != '\0') {
        if (*p == '%') {
            p++;
            if (format_one(&w, &p, &ap) < 0)
                goto done;
        } else {
            const char *start = p;
            while (*p != '\0' && *p != '%')
                p++;
            if (w_append(&w, start, (size_t)(p - start)) < 0)
                goto done;
        }
    }
    result = w_finish(&w);
done:
    va_end(ap);
    w_release(&w);
    return result;
}

HPyAPI_HELPER HPy HPyUnicode_FromFormat(HPyContext *ctx, const char *fmt, ...)
{
    va_list ap;
    HPy result;
    va_start(ap, fmt);
    result = HPyUnicode_FromFormatV(ctx, fmt, ap);
    va_end(ap);
    return result;
}

HPyAPI_HELPER HPy HPyErr_Format(HPyContext *ctx, HPy h_type, const char *fmt, ...)
{
    va_list ap;
    HPy msg;
    va_start(ap, fmt);
    msg = HPyUnicode_FromFormatV(ctx, fmt, ap);
    va_end(ap);
    if (!HPy_IsNull(msg)) {
        HPyErr_SetObject(ctx, h_type, msg);
        HPy_Close(ctx, msg);
    }
    return HPy_NULL;
}
