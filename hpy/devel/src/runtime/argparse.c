/* Argument parsing helpers: HPyArg_Parse, HPyArg_ParseKeywords, HPyArg_ParseKeywordsDict.
 *
 * Written only against the public HPy API, so the same source is compiled into extensions of
 * every ABI. Contract (api.md 6.4.1):
 *
 *  - return 1 on success, 0 with an exception set on failure;
 *  - if `ht` is not NULL a tracker is always created; the caller closes it after success, the
 *    parser closes it on failure;
 *  - every format unit consumes exactly one variadic argument, a pointer to the C target;
 *  - a missing optional argument leaves the target untouched (its pointer is still consumed);
 *  - `|` starts the optional units, `$` (keyword variants only) the keyword-only ones, `:NAME`
 *    or `;TEXT` ends the units (the first of the two wins) and customises the messages;
 *  - the format string is never read past its terminator and no variadic argument is fetched
 *    for a unit that is not understood;
 *  - error messages are upstream's texts, decorated by set_error() and nothing else;
 *  - beyond upstream, the keyword variants also reject (TypeError, same decoration) a keyword
 *    no parameter accepts, an argument given both by position and by keyword, and more
 *    positional arguments than units.
 */
#include "hpy.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>


#define MSG_BUFSIZE 512

/* The text after ':' (*func_name) or ';' (*custom_msg) of the format, or NULL. */
static void decorations(const char *fmt, const char **func_name, const char **custom_msg)
{
    *func_name = NULL;
    *custom_msg = NULL;
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p == ':') {
            *func_name = p + 1;
            return;
        }
        if (*p == ';') {
            *custom_msg = p + 1;
            return;
        }
    }
}

static int is_unit(char c)
{
    switch (c) {
    case 'b': case 'B': case 'h': case 'H': case 'i': case 'I': case 'l': case 'k': case 'L':
    case 'K': case 'n': case 'f': case 'd': case 'O': case 'p': case 's':
        return 1;
    default:
        return 0;
    }
}

/* Raise `exc` with `msg` decorated according to the format, exactly as upstream HPy words it
 * (extension test suites compare the texts): "function MSG" without decoration, "NAME() MSG"
 * after ':', the text after ';' instead of everything. Nothing else is added. */
static void set_error(HPyContext *ctx, HPy exc, const char *fmt, const char *msg)
{
    char buf[MSG_BUFSIZE];
    const char *func_name, *custom_msg;
    decorations(fmt, &func_name, &custom_msg);
    if (custom_msg != NULL) {
        HPyErr_SetString(ctx, exc, custom_msg);
        return;
    }
    if (func_name != NULL)
        snprintf(buf, sizeof(buf), "%.200s() %.256s", func_name, msg);
    else
        snprintf(buf, sizeof(buf), "function %.256s", msg);
    HPyErr_SetString(ctx, exc, buf);
}

/* Convert one argument. The target pointer is always fetched from `ap` (with the unit's own
 * type); when `arg` is HPy_NULL (missing optional argument) nothing else happens.
 * `dup_objects`: keyword variants store a new handle for 'O' and add it to `*ht`.
 * Precondition: is_unit(c). */
static int convert_unit(HPyContext *ctx, HPyTracker *ht, int dup_objects, char c, HPy arg,
                        va_list *ap, const char *fmt)
{
    int absent = HPy_IsNull(arg);
    switch (c) {
    case 'b': {
        char *out = va_arg(*ap, char *);
        long v;
        if (absent)
            return 1;
        v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        if (v < 0) {
            set_error(ctx, ctx->h_OverflowError, fmt, "unsigned byte integer is less than minimum");
            return 0;
        }
        if (v > UCHAR_MAX) {
            set_error(ctx, ctx->h_OverflowError, fmt, "unsigned byte integer is greater than maximum");
            return 0;
        }
        *out = (char)(unsigned char)v;
        return 1;
    }
    case 'B': {
        char *out = va_arg(*ap, char *);
        unsigned long v;
        if (absent)
            return 1;
        v = HPyLong_AsUnsignedLongMask(ctx, arg);
        if (v == (unsigned long)-1 && HPyErr_Occurred(ctx))
            return 0;
        *out = (char)(unsigned char)v;
        return 1;
    }
    case 'h': {
        short *out = va_arg(*ap, short *);
        long v;
        if (absent)
            return 1;
        v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        if (v < SHRT_MIN) {
            set_error(ctx, ctx->h_OverflowError, fmt, "signed short integer is less than minimum");
            return 0;
        }
        if (v > SHRT_MAX) {
            set_error(ctx, ctx->h_OverflowError, fmt, "signed short integer is greater than maximum");
            return 0;
        }
        *out = (short)v;
        return 1;
    }
    case 'H': {
        unsigned short *out = va_arg(*ap, unsigned short *);
        unsigned long v;
        if (absent)
            return 1;
        v = HPyLong_AsUnsignedLongMask(ctx, arg);
        if (v == (unsigned long)-1 && HPyErr_Occurred(ctx))
            return 0;
        *out = (unsigned short)v;
        return 1;
    }
    case 'i': {
        int *out = va_arg(*ap, int *);
        long v;
        if (absent)
            return 1;
        v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        if (v > INT_MAX) {
            set_error(ctx, ctx->h_OverflowError, fmt, "signed integer is greater than maximum");
            return 0;
        }
        if (v < INT_MIN) {
            set_error(ctx, ctx->h_OverflowError, fmt, "signed integer is less than minimum");
            return 0;
        }
        *out = (int)v;
        return 1;
    }
    case 'I': {
        unsigned int *out = va_arg(*ap, unsigned int *);
        unsigned long v;
        if (absent)
            return 1;
        v = HPyLong_AsUnsignedLongMask(ctx, arg);
        if (v == (unsigned long)-1 && HPyErr_Occurred(ctx))
            return 0;
        *out = (unsigned int)v;
        return 1;
    }
    case 'l': {
        long *out = va_arg(*ap, long *);
        long v;
        if (absent)
            return 1;
        v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        *out = v;
        return 1;
    }
    case 'k': {
        unsigned long *out = va_arg(*ap, unsigned long *);
        unsigned long v;
        if (absent)
            return 1;
        v = HPyLong_AsUnsignedLongMask(ctx, arg);
        if (v == (unsigned long)-1 && HPyErr_Occurred(ctx))
            return 0;
        *out = v;
        return 1;
    }
    case 'L': {
        long long *out = va_arg(*ap, long long *);
        long long v;
        if (absent)
            return 1;
        v = HPyLong_AsLongLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        *out = v;
        return 1;
    }
    case 'K': {
        unsigned long long *out = va_arg(*ap, unsigned long long *);
        unsigned long long v;
        if (absent)
            return 1;
        v = HPyLong_AsUnsignedLongLongMask(ctx, arg);
        if (v == (unsigned long long)-1 && HPyErr_Occurred(ctx))
            return 0;
        *out = v;
        return 1;
    }
    case 'n': {
        HPy_ssize_t *out = va_arg(*ap, HPy_ssize_t *);
        HPy_ssize_t v;
        if (absent)
            return 1;
        v = HPyLong_AsSsize_t(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        *out = v;
        return 1;
    }
    case 'f': {
        float *out = va_arg(*ap, float *);
        double v;
        if (absent)
            return 1;
        v = HPyFloat_AsDouble(ctx, arg);
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return 0;
        *out = (float)v;
        return 1;
    }
    case 'd': {
        double *out = va_arg(*ap, double *);
        double v;
        if (absent)
            return 1;
        v = HPyFloat_AsDouble(ctx, arg);
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return 0;
        *out = v;
        return 1;
    }
    case 'O': {
        HPy *out = va_arg(*ap, HPy *);
        HPy dup;
        if (absent)
            return 1;
        if (!dup_objects) {
            *out = arg;                 /* borrowed from the caller's argument array */
            return 1;
        }
        /* The caller checked that a tracker exists. The handle is tracked even if Add fails,
         * so it is closed together with the tracker on the failure path. */
        dup = HPy_Dup(ctx, arg);
        if (HPyTracker_Add(ctx, *ht, dup) < 0)
            return 0;
        *out = dup;
        return 1;
    }
    case 'p': {
        int *out = va_arg(*ap, int *);
        int v;
        if (absent)
            return 1;
        v = HPy_IsTrue(ctx, arg);
        if (v < 0)
            return 0;
        *out = v ? 1 : 0;
        return 1;
    }
    case 's': {
        const char **out = va_arg(*ap, const char **);
        const char *data;
        HPy_ssize_t size;
        if (absent)
            return 1;
        if (!HPyUnicode_Check(ctx, arg)) {
            set_error(ctx, ctx->h_TypeError, fmt, "a str is required");
            return 0;
        }
        data = HPyUnicode_AsUTF8AndSize(ctx, arg, &size);
        if (data == NULL) {
            set_error(ctx, ctx->h_SystemError, fmt, "unicode conversion error");
            return 0;
        }
        if (memchr(data, '\0', (size_t)size) != NULL) {
            set_error(ctx, ctx->h_ValueError, fmt, "embedded null character");
            return 0;
        }
        if (data[size] != '\0') {
            set_error(ctx, ctx->h_SystemError, fmt, "missing terminating null character");
            return 0;
        }
        *out = data;
        return 1;
    }
    default:
        /* unreachable: callers only pass units accepted by is_unit() */
        set_error(ctx, ctx->h_SystemError, fmt, "unknown arg format code");
        return 0;
    }
}

static int create_tracker(HPyContext *ctx, HPyTracker *ht)
{
    if (ht == NULL)
        return 1;
    *ht = HPyTracker_New(ctx, 0);
    return ht->_i != 0;
}

/* Failure exit shared by the parsers: the tracker (and every handle it holds) goes away. */
static int parse_failed(HPyContext *ctx, HPyTracker *ht)
{
    if (ht != NULL) {
        HPyTracker_Close(ctx, *ht);
        ht->_i = 0;
    }
    return 0;
}

HPyAPI_HELPER int
HPyArg_Parse(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs, const char *fmt, ...)
{
    va_list ap;
    const char *p;
    size_t i = 0;
    int optional = 0;

    if (!create_tracker(ctx, ht))
        return 0;
    va_start(ap, fmt);
    for (p = fmt; *p != '\0' && *p != ':' && *p != ';'; p++) {
        if (*p == '|') {
            optional = 1;
            continue;
        }
        if (!is_unit(*p)) {             /* includes '$', which only keyword variants know */
            set_error(ctx, ctx->h_SystemError, fmt, "unknown arg format code");
            goto fail;
        }
        if (i >= nargs && !optional) {
            set_error(ctx, ctx->h_TypeError, fmt, "required positional argument missing");
            goto fail;
        }
        if (!convert_unit(ctx, ht, 0, *p, i < nargs ? args[i] : HPy_NULL, &ap, fmt))
            goto fail;
        i++;
    }
    if (i < nargs) {
        set_error(ctx, ctx->h_TypeError, fmt, "mismatched args (too many arguments for fmt)");
        goto fail;
    }
    va_end(ap);
    return 1;
fail:
    va_end(ap);
    return parse_failed(ctx, ht);
}

/* Where keyword values come from: a kwnames tuple whose values follow the positionals in
 * `args` (vectorcall convention), or a dict. */
typedef struct {
    const HPy *args;
    HPy_ssize_t nargs;
    HPy kwnames;        /* kwnames variant, may be HPy_NULL */
    HPy_ssize_t nkwnames;
    HPy kwdict;         /* dict variant, may be HPy_NULL */
    int use_dict;
} KwSource;

/* Look up keyword `name`. Returns the value handle or HPy_NULL if it was not given (a failed
 * lookup counts as not given; its error is cleared). `*owned` is set when the result is a new
 * handle that the caller must dispose of. */
static HPy lookup_keyword(HPyContext *ctx, const KwSource *src, const char *name, int *owned)
{
    HPy h_name, result = HPy_NULL;
    HPy_ssize_t j;

    *owned = 0;
    if (src->use_dict) {
        if (HPy_IsNull(src->kwdict))
            return HPy_NULL;
        result = HPy_GetItem_s(ctx, src->kwdict, name);
        if (HPy_IsNull(result))
            HPyErr_Clear(ctx);
        else
            *owned = 1;
        return result;
    }
    if (src->nkwnames <= 0)
        return HPy_NULL;
    h_name = HPyUnicode_FromString(ctx, name);
    if (HPy_IsNull(h_name)) {
        HPyErr_Clear(ctx);
        return HPy_NULL;
    }
    for (j = 0; j < src->nkwnames; j++) {
        HPy item = HPy_GetItem_i(ctx, src->kwnames, j);
        int eq;
        if (HPy_IsNull(item)) {
            HPyErr_Clear(ctx);
            continue;
        }
        eq = HPy_RichCompareBool(ctx, h_name, item, HPy_EQ);
        HPy_Close(ctx, item);
        if (eq < 0) {
            HPyErr_Clear(ctx);
            continue;
        }
        if (eq) {
            result = src->args[src->nargs + j];
            break;
        }
    }
    HPy_Close(ctx, h_name);
    return result;
}

/* Whether name[0..size) is one of the names of keywords[npos_only..nkw). */
static int is_keyword_name(const char *name, HPy_ssize_t size, const char *keywords[],
                           HPy_ssize_t npos_only, HPy_ssize_t nkw)
{
    for (HPy_ssize_t k = npos_only; k < nkw; k++) {
        if (strlen(keywords[k]) == (size_t)size && memcmp(keywords[k], name, (size_t)size) == 0)
            return 1;
    }
    return 0;
}

/* TypeError "got an unexpected keyword argument 'NAME'", decorated like every other message.
 * A name that cannot be shown as UTF-8 text (not encodable, or holding a NUL) is shown by its
 * repr instead. */
static void unexpected_keyword(HPyContext *ctx, const char *fmt, HPy name)
{
    char msg[200];
    HPy_ssize_t size = 0;
    const char *s = HPyUnicode_AsUTF8AndSize(ctx, name, &size);
    if (s != NULL && memchr(s, '\0', (size_t)size) == NULL) {
        snprintf(msg, sizeof(msg), "got an unexpected keyword argument '%.100s'", s);
    }
    else {
        HPy r;
        const char *rs = NULL;
        if (s == NULL)
            HPyErr_Clear(ctx);
        r = HPy_Repr(ctx, name);
        if (!HPy_IsNull(r))
            rs = HPyUnicode_AsUTF8AndSize(ctx, r, &size);
        if (rs == NULL)
            HPyErr_Clear(ctx);
        snprintf(msg, sizeof(msg), "got an unexpected keyword argument %.102s",
                 rs != NULL ? rs : "'?'");
        if (!HPy_IsNull(r))
            HPy_Close(ctx, r);
    }
    set_error(ctx, ctx->h_TypeError, fmt, msg);
}

/* Every keyword argument given names a parameter that accepts one; otherwise TypeError naming the
 * first that does not ("keywords must be strings" for a name that is not a str). `matched`: how
 * many given keywords were used. Returns 0 after raising. */
static int check_unexpected_keywords(HPyContext *ctx, const KwSource *src, const char *fmt,
                                     const char *keywords[], HPy_ssize_t npos_only, HPy_ssize_t nkw,
                                     HPy_ssize_t matched)
{
    HPy names;
    HPy_ssize_t n;
    if (src->use_dict) {
        if (HPy_IsNull(src->kwdict))
            return 1;
        n = HPy_Length(ctx, src->kwdict);
        if (n < 0 || n <= matched) {
            HPyErr_Clear(ctx);
            return 1;
        }
        names = HPyDict_Keys(ctx, src->kwdict);
    }
    else {
        n = src->nkwnames;
        if (n <= matched)
            return 1;
        names = HPy_Dup(ctx, src->kwnames);
    }
    if (HPy_IsNull(names))
        return 0;
    int ok = 1;
    for (HPy_ssize_t j = 0; ok && j < n; j++) {
        HPy name = HPy_GetItem_i(ctx, names, j);
        if (HPy_IsNull(name)) {
            ok = 0;
            break;
        }
        if (!HPyUnicode_Check(ctx, name)) {
            set_error(ctx, ctx->h_TypeError, fmt, "keywords must be strings");
            ok = 0;
        }
        else {
            HPy_ssize_t size = 0;
            const char *s = HPyUnicode_AsUTF8AndSize(ctx, name, &size);
            if (s == NULL)
                HPyErr_Clear(ctx);
            if (s == NULL || !is_keyword_name(s, size, keywords, npos_only, nkw)) {
                unexpected_keyword(ctx, fmt, name);
                ok = 0;
            }
        }
        HPy_Close(ctx, name);
    }
    HPy_Close(ctx, names);
    return ok;
}

/* Shared engine of both keyword variants. `keywords` is NULL-terminated; leading "" entries
 * are positional-only. The i-th unit is filled from args[i] if i < nargs, else from the
 * keyword named keywords[i]. */
static int parse_keywords(HPyContext *ctx, HPyTracker *ht, const KwSource *src, const char *fmt,
                          const char *keywords[], va_list *ap)
{
    HPy_ssize_t nkw = 0, npos_only = 0, i = 0, matched = 0;
    int optional = 0, keyword_only = 0;
    const char *p;

    if (keywords != NULL) {
        for (; keywords[nkw] != NULL; nkw++) {
            if (keywords[nkw][0] == '\0') {
                if (npos_only != nkw) {
                    set_error(ctx, ctx->h_SystemError, fmt, "empty keyword parameter name");
                    return 0;
                }
                npos_only++;
            }
        }
    }

    for (p = fmt; *p != '\0' && *p != ':' && *p != ';'; p++) {
        HPy value = HPy_NULL;
        int owned = 0, ok;
        if (*p == '|') {
            optional = 1;
            continue;
        }
        if (*p == '$') {
            optional = 1;
            keyword_only = 1;
            continue;
        }
        if (!is_unit(*p)) {
            set_error(ctx, ctx->h_SystemError, fmt, "unknown arg format code");
            return 0;
        }
        if (i >= nkw) {
            set_error(ctx, ctx->h_TypeError, fmt, "mismatched args (too few keywords for fmt)");
            return 0;
        }
        if (*p == 'O' && ht == NULL) {
            set_error(ctx, ctx->h_SystemError, fmt,
                      "HPyArg_ParseKeywords cannot use the format character 'O' unless an "
                      "HPyTracker is provided. Please supply an HPyTracker.");
            return 0;
        }
        if (i < src->nargs) {
            if (keyword_only) {
                set_error(ctx, ctx->h_TypeError, fmt,
                          "keyword only argument passed as positional argument");
                return 0;
            }
            if (i >= npos_only) {
                /* the same argument again by keyword */
                HPy again = lookup_keyword(ctx, src, keywords[i], &owned);
                if (!HPy_IsNull(again)) {
                    char msg[200];
                    if (owned)
                        HPy_Close(ctx, again);
                    snprintf(msg, sizeof(msg), "got multiple values for argument '%.100s'",
                             keywords[i]);
                    set_error(ctx, ctx->h_TypeError, fmt, msg);
                    return 0;
                }
                owned = 0;
            }
            value = src->args[i];
        } else if (i >= npos_only) {
            value = lookup_keyword(ctx, src, keywords[i], &owned);
            if (!HPy_IsNull(value))
                matched++;
        }
        if (HPy_IsNull(value) && !optional) {
            set_error(ctx, ctx->h_TypeError, fmt, "no value for required argument");
            return 0;
        }
        ok = convert_unit(ctx, ht, 1, *p, value, ap, fmt);
        if (owned) {
            /* Keep a looked-up value alive as long as the parsed results when possible ('s'
             * points into it); without a tracker the container still holds it. */
            if (ht != NULL) {
                if (HPyTracker_Add(ctx, *ht, value) < 0)
                    return 0;
            } else {
                HPy_Close(ctx, value);
            }
        }
        if (!ok)
            return 0;
        i++;
    }
    if (i < nkw) {
        set_error(ctx, ctx->h_TypeError, fmt, "mismatched args (too many keywords for fmt)");
        return 0;
    }
    if (i < src->nargs) {
        set_error(ctx, ctx->h_TypeError, fmt, "mismatched args (too many arguments for fmt)");
        return 0;
    }
    return check_unexpected_keywords(ctx, src, fmt, keywords, npos_only, nkw, matched);
}

HPyAPI_HELPER int
HPyArg_ParseKeywords(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs, HPy kwnames,
                     const char *fmt, const char *keywords[], ...)
{
    KwSource src;
    va_list ap;
    int ok;

    if (!create_tracker(ctx, ht))
        return 0;
    src.args = args;
    src.nargs = (HPy_ssize_t)nargs;
    src.kwnames = kwnames;
    src.nkwnames = 0;
    src.kwdict = HPy_NULL;
    src.use_dict = 0;
    if (!HPy_IsNull(kwnames)) {
        src.nkwnames = HPy_Length(ctx, kwnames);
        if (src.nkwnames < 0) {
                            set_error(ctx, ctx->h_SystemError, fmt,
                      "could not retrieve length of keyword names tuple");
            return parse_failed(ctx, ht);
        }
    }
    va_start(ap, keywords);
    ok = parse_keywords(ctx, ht, &src, fmt, keywords, &ap);
    va_end(ap);
    return ok ? 1 : parse_failed(ctx, ht);
}

HPyAPI_HELPER int
HPyArg_ParseKeywordsDict(HPyContext *ctx, HPyTracker *ht, const HPy *args, HPy_ssize_t nargs, HPy kw,
                         const char *fmt, const char *keywords[], ...)
{
    KwSource src;
    va_list ap;
    int ok;

    if (!create_tracker(ctx, ht))
        return 0;
    src.args = args;
    src.nargs = nargs < 0 ? 0 : nargs;
    src.kwnames = HPy_NULL;
    src.nkwnames = 0;
    src.kwdict = kw;
    src.use_dict = 1;
    va_start(ap, keywords);
    ok = parse_keywords(ctx, ht, &src, fmt, keywords, &ap);
    va_end(ap);
    return ok ? 1 : parse_failed(ctx, ht);
}
