/* HPy_BuildValue: build a Python object from a format string and C values.
 *
 * Contract (api.md 6.4.2):
 *  - empty format -> None; one top-level unit -> that object; several -> a tuple;
 *  - the result is always a new handle, also for 'O' (HPy never steals handles, so 'N' is
 *    rejected);
 *  - a single ',' after an item of a tuple or list is skipped; spaces are skipped only where a
 *    dict key may start, elsewhere they are a "bad format char ' '" (but they are ignored when
 *    counting items);
 *  - every failure is a SystemError with a message naming HPy_BuildValue.
 *
 * Item counting works on bracket depth only and does not pair bracket kinds; the kind of a
 * closing bracket is verified when the container has been built. A tuple closed by the wrong
 * bracket reports "unmatched '['" (kept for compatibility with the reference implementation).
 * The parser never moves past the terminating NUL of the format string.
 *
 * Brackets nest at most BUILDVALUE_MAX_DEPTH levels (checked over the whole format before any
 * object is built): building recurses once per level, and a deeper format would exhaust the C
 * stack. A closing bracket that closes nothing is reported as unmatched.
 */
#include "hpy.h"

#include <stdio.h>

#define MSG_BUFSIZE 160
#define BUILDVALUE_MAX_DEPTH 1000

static void set_error_c(HPyContext *ctx, const char *what, char c)
{
    char buf[MSG_BUFSIZE];
    snprintf(buf, sizeof(buf), "%s '%c' in the format string passed to HPy_BuildValue", what, c);
    HPyErr_SetString(ctx, ctx->h_SystemError, buf);
}

static HPy internal_error(HPyContext *ctx)
{
    return HPyErr_SetString(ctx, ctx->h_SystemError, "internal error in HPy_BuildValue");
}

/* Count the items of a container whose body starts at `p` and ends at the first `end` found at
 * depth 0 (`end` is '\0' for the top level). Returns -1 with an exception if the terminator is
 * reached first. The top-level call also rejects closing brackets that close nothing and
 * nesting deeper than BUILDVALUE_MAX_DEPTH, so the nested calls never see either. */
static HPy_ssize_t count_items(HPyContext *ctx, const char *p, char end)
{
    HPy_ssize_t depth = 0, count = 0;
    char first_open = '\0';     /* first bracket opened at depth 0 (top level diagnostics) */

    while (depth != 0 || *p != end) {
        char c = *p++;
        switch (c) {
        case '\0':
            if (end == ')')
                set_error_c(ctx, "unmatched", '(');
            else if (end == ']')
                set_error_c(ctx, "unmatched", '[');
            else if (end == '}')
                set_error_c(ctx, "unmatched", '{');
            else if (depth == 0 || first_open == '\0')
                internal_error(ctx);
            else
                set_error_c(ctx, "unmatched", first_open);
            return -1;
        case '(':
        case '[':
        case '{':
            if (depth == 0) {
                count++;
                first_open = c;
            }
            if (++depth > BUILDVALUE_MAX_DEPTH) {
                char buf[MSG_BUFSIZE];
                snprintf(buf, sizeof(buf), "brackets nested deeper than %d levels in the format "
                         "string passed to HPy_BuildValue", BUILDVALUE_MAX_DEPTH);
                HPyErr_SetString(ctx, ctx->h_SystemError, buf);
                return -1;
            }
            break;
        case ')':
        case ']':
        case '}':
            if (depth == 0 && end == '\0') {
                set_error_c(ctx, "unmatched", c);
                return -1;
            }
            depth--;
            break;
        case ',':
        case ' ':
            break;
        default:
            if (depth == 0)
                count++;
        }
    }
    return count;
}

static HPy build_item(HPyContext *ctx, const char **pfmt, va_list *ap);

/* Build `n` items separated by optional single commas, then expect `close` (the caller has
 * already verified with count_items that the region is terminated). */
static HPy build_tuple(HPyContext *ctx, const char **pfmt, va_list *ap, HPy_ssize_t n, char close)
{
    HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, n);
    HPy_ssize_t i;
    for (i = 0; i < n; i++) {
        HPy item = build_item(ctx, pfmt, ap);
        if (HPy_IsNull(item)) {
            HPyTupleBuilder_Cancel(ctx, tb);
            return HPy_NULL;
        }
        HPyTupleBuilder_Set(ctx, tb, i, item);
        HPy_Close(ctx, item);
        if (**pfmt == ',')
            (*pfmt)++;
    }
    if (**pfmt != close) {
        HPyTupleBuilder_Cancel(ctx, tb);
        if (close == '\0')
            return internal_error(ctx);
        set_error_c(ctx, "unmatched", '[');
        return HPy_NULL;
    }
    if (close != '\0')
        (*pfmt)++;
    return HPyTupleBuilder_Build(ctx, tb);
}

static HPy build_list(HPyContext *ctx, const char **pfmt, va_list *ap, HPy_ssize_t n)
{
    HPyListBuilder lb = HPyListBuilder_New(ctx, n);
    HPy_ssize_t i;
    for (i = 0; i < n; i++) {
        HPy item = build_item(ctx, pfmt, ap);
        if (HPy_IsNull(item)) {
            HPyListBuilder_Cancel(ctx, lb);
            return HPy_NULL;
        }
        HPyListBuilder_Set(ctx, lb, i, item);
        HPy_Close(ctx, item);
        if (**pfmt == ',')
            (*pfmt)++;
    }
    if (**pfmt != ']') {
        HPyListBuilder_Cancel(ctx, lb);
        set_error_c(ctx, "unmatched", '[');
        return HPy_NULL;
    }
    (*pfmt)++;
    return HPyListBuilder_Build(ctx, lb);
}

/* Body of "{key:value, ...}", starting after '{'. */
static HPy build_dict(HPyContext *ctx, const char **pfmt, va_list *ap)
{
    HPy dict = HPyDict_New(ctx);
    int expect_comma = 0;
    if (HPy_IsNull(dict))
        return HPy_NULL;
    while (**pfmt != '}' && **pfmt != '\0') {
        HPy key, value;
        int res;
        if (**pfmt == ' ') {
            (*pfmt)++;
            continue;
        }
        if (**pfmt == ',') {
            if (!expect_comma) {
                set_error_c(ctx, "unexpected", ',');
                goto fail;
            }
            (*pfmt)++;
            expect_comma = 0;
            continue;
        }
        if (expect_comma) {
            set_error_c(ctx, "missing", ',');
            goto fail;
        }
        key = build_item(ctx, pfmt, ap);
        if (HPy_IsNull(key))
            goto fail;
        if (**pfmt != ':') {
            HPy_Close(ctx, key);
            set_error_c(ctx, "missing", ':');
            goto fail;
        }
        (*pfmt)++;
        value = build_item(ctx, pfmt, ap);
        if (HPy_IsNull(value)) {
            HPy_Close(ctx, key);
            goto fail;
        }
        res = HPy_SetItem(ctx, dict, key, value);
        HPy_Close(ctx, key);
        HPy_Close(ctx, value);
        if (res < 0)
            goto fail;
        expect_comma = 1;
    }
    if (**pfmt != '}') {
        set_error_c(ctx, "unmatched", '{');
        goto fail;
    }
    (*pfmt)++;
    return dict;
fail:
    HPy_Close(ctx, dict);
    return HPy_NULL;
}

/* Build the item whose unit starts at *pfmt and advance past it. Always a new handle. */
static HPy build_item(HPyContext *ctx, const char **pfmt, va_list *ap)
{
    char c = **pfmt;
    if (c == '\0')              /* not reachable after count_items succeeded */
        return internal_error(ctx);
    (*pfmt)++;
    switch (c) {
    case '(': {
        HPy_ssize_t n = count_items(ctx, *pfmt, ')');
        if (n < 0)
            return HPy_NULL;
        return build_tuple(ctx, pfmt, ap, n, ')');
    }
    case '[': {
        HPy_ssize_t n = count_items(ctx, *pfmt, ']');
        if (n < 0)
            return HPy_NULL;
        return build_list(ctx, pfmt, ap, n);
    }
    case '{':
        return build_dict(ctx, pfmt, ap);
    case 'i':
        return HPyLong_FromLong(ctx, (long)va_arg(*ap, int));
    case 'I':
        return HPyLong_FromUnsignedLong(ctx, (unsigned long)va_arg(*ap, unsigned int));
    case 'k':
        return HPyLong_FromUnsignedLong(ctx, va_arg(*ap, unsigned long));
    case 'l':
        return HPyLong_FromLong(ctx, va_arg(*ap, long));
    case 'L':
        return HPyLong_FromLongLong(ctx, va_arg(*ap, long long));
    case 'K':
        return HPyLong_FromUnsignedLongLong(ctx, va_arg(*ap, unsigned long long));
    case 'n':
        return HPyLong_FromSsize_t(ctx, va_arg(*ap, HPy_ssize_t));
    case 'f':                   /* a float argument is promoted to double */
    case 'd':
        return HPyFloat_FromDouble(ctx, va_arg(*ap, double));
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (s == NULL)          /* like CPython: a NULL string builds None */
            return HPy_Dup(ctx, ctx->h_None);
        return HPyUnicode_FromString(ctx, s);
    }
    case 'O':
    case 'S': {
        HPy h = va_arg(*ap, HPy);
        if (HPy_IsNull(h)) {
            /* usually the caller passes the failed result of another call: keep its error */
            if (!HPyErr_Occurred(ctx))
                HPyErr_SetString(ctx, ctx->h_SystemError, "HPy_NULL object passed to HPy_BuildValue");
            return HPy_NULL;
        }
        return HPy_Dup(ctx, h);
    }
    case 'N':
        return HPyErr_SetString(ctx, ctx->h_SystemError,
            "HPy_BuildValue does not support the 'N' formatting unit. Instead, use the 'O' "
            "formatting unit and manually close the handle in the caller if necessary. HPy API "
            "functions never 'steal' handles and always make a duplicate handle if needed, the "
            "'ownership' of the original handle is never 'transferred'. ");
    default:
        set_error_c(ctx, "bad format char", c);
        return HPy_NULL;
    }
}

HPyAPI_HELPER HPy HPy_BuildValue(HPyContext *ctx, const char *fmt, ...)
{
    va_list ap;
    HPy result;
    HPy_ssize_t n = count_items(ctx, fmt, '\0');
    if (n < 0)
        return HPy_NULL;
    if (n == 0)
        return HPy_Dup(ctx, ctx->h_None);
    va_start(ap, fmt);
    if (n == 1)
        result = build_item(ctx, &fmt, &ap);
    else
        result = build_tuple(ctx, &fmt, &ap, n, '\0');
    va_end(ap);
    return result;
}
