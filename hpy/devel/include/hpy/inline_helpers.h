/* Helpers written over the API, identical in every ABI. */
#ifndef HPY_INLINE_HELPERS_H
#define HPY_INLINE_HELPERS_H

#include <limits.h>

HPyAPI_INLINE_HELPER HPy HPyErr_SetFromErrno(HPyContext *ctx, HPy h_type)
{
    return HPyErr_SetFromErrnoWithFilenameObjects(ctx, h_type, HPy_NULL, HPy_NULL);
}

HPyAPI_INLINE_HELPER HPy
HPyErr_SetFromErrnoWithFilenameObject(HPyContext *ctx, HPy h_type, HPy filename)
{
    return HPyErr_SetFromErrnoWithFilenameObjects(ctx, h_type, filename, HPy_NULL);
}

/* A tuple of n borrowed handles given as variadic arguments. */
HPyAPI_INLINE_HELPER HPy HPyTuple_Pack(HPyContext *ctx, HPy_ssize_t n, ...)
{
    va_list vargs;
    HPy_ssize_t i;
#if defined(HPY_ABI_CPYTHON)
    PyObject *tuple = PyTuple_New(n);
    (void)ctx;
    if (tuple == NULL)
        return HPy_NULL;
    va_start(vargs, n);
    for (i = 0; i < n; i++) {
        PyObject *item = _h2py(va_arg(vargs, HPy));
        Py_INCREF(item);
        PyTuple_SET_ITEM(tuple, i, item);
    }
    va_end(vargs);
    return _py2h(tuple);
#else
    HPy small[16];
    HPy *items = small;
    HPy result;
    if (n < 0)
        return HPyErr_SetString(ctx, ctx->h_SystemError, "HPyTuple_Pack: negative size");
    if (n > 16) {
        items = (HPy *)malloc((size_t)n * sizeof(HPy));
        if (items == NULL)
            return HPyErr_NoMemory(ctx);
    }
    va_start(vargs, n);
    for (i = 0; i < n; i++)
        items[i] = va_arg(vargs, HPy);
    va_end(vargs);
    result = HPyTuple_FromArray(ctx, items, n);
    if (items != small)
        free(items);
    return result;
#endif
}

/* In C, HPyTuple_Pack with its arguments written out becomes HPyTuple_FromArray over a
 * compound literal: no variadic call, and in the CPython ABI no call at all. The function above
 * stays available as (HPyTuple_Pack)(...), and is what C++ uses. */
#if !defined(__cplusplus)
#  define HPyTuple_Pack(ctx, n, ...) \
    HPyTuple_FromArray((ctx), (const HPy[]){ HPy_NULL, __VA_ARGS__ } + 1, (n))
#endif

HPyAPI_INLINE_HELPER int HPy_DelAttr(HPyContext *ctx, HPy obj, HPy name)
{
    return HPy_SetAttr(ctx, obj, name, HPy_NULL);
}

HPyAPI_INLINE_HELPER int HPy_DelAttr_s(HPyContext *ctx, HPy obj, const char *utf8_name)
{
    return HPy_SetAttr_s(ctx, obj, utf8_name, HPy_NULL);
}

HPyAPI_INLINE_HELPER HPy HPyLong_FromLong(HPyContext *ctx, long l)
{
#if LONG_MAX <= INT32_MAX
    return HPyLong_FromInt32_t(ctx, (int32_t)l);
#else
    return HPyLong_FromInt64_t(ctx, (int64_t)l);
#endif
}

HPyAPI_INLINE_HELPER HPy HPyLong_FromUnsignedLong(HPyContext *ctx, unsigned long l)
{
#if ULONG_MAX <= UINT32_MAX
    return HPyLong_FromUInt32_t(ctx, (uint32_t)l);
#else
    return HPyLong_FromUInt64_t(ctx, (uint64_t)l);
#endif
}

HPyAPI_INLINE_HELPER HPy HPyLong_FromLongLong(HPyContext *ctx, long long l)
{
    return HPyLong_FromInt64_t(ctx, (int64_t)l);
}

HPyAPI_INLINE_HELPER HPy HPyLong_FromUnsignedLongLong(HPyContext *ctx, unsigned long long l)
{
    return HPyLong_FromUInt64_t(ctx, (uint64_t)l);
}

HPyAPI_INLINE_HELPER long HPyLong_AsLong(HPyContext *ctx, HPy h)
{
#if LONG_MAX <= INT32_MAX
    return (long)HPyLong_AsInt32_t(ctx, h);
#else
    return (long)HPyLong_AsInt64_t(ctx, h);
#endif
}

HPyAPI_INLINE_HELPER unsigned long HPyLong_AsUnsignedLong(HPyContext *ctx, HPy h)
{
#if ULONG_MAX <= UINT32_MAX
    return (unsigned long)HPyLong_AsUInt32_t(ctx, h);
#else
    return (unsigned long)HPyLong_AsUInt64_t(ctx, h);
#endif
}

HPyAPI_INLINE_HELPER unsigned long HPyLong_AsUnsignedLongMask(HPyContext *ctx, HPy h)
{
#if ULONG_MAX <= UINT32_MAX
    return (unsigned long)HPyLong_AsUInt32_tMask(ctx, h);
#else
    return (unsigned long)HPyLong_AsUInt64_tMask(ctx, h);
#endif
}

HPyAPI_INLINE_HELPER long long HPyLong_AsLongLong(HPyContext *ctx, HPy h)
{
    return (long long)HPyLong_AsInt64_t(ctx, h);
}

HPyAPI_INLINE_HELPER unsigned long long HPyLong_AsUnsignedLongLong(HPyContext *ctx, HPy h)
{
    return (unsigned long long)HPyLong_AsUInt64_t(ctx, h);
}

HPyAPI_INLINE_HELPER unsigned long long HPyLong_AsUnsignedLongLongMask(HPyContext *ctx, HPy h)
{
    return (unsigned long long)HPyLong_AsUInt64_tMask(ctx, h);
}

HPyAPI_INLINE_HELPER HPy HPyBool_FromLong(HPyContext *ctx, long v)
{
    return HPyBool_FromBool(ctx, v != 0);
}

/* Clip start and stop to a sequence of the given length; returns the slice length.
 * Pure arithmetic, the same result as CPython's PySlice_AdjustIndices. */
HPyAPI_INLINE_HELPER HPy_ssize_t
HPySlice_AdjustIndices(HPyContext *ctx, HPy_ssize_t length, HPy_ssize_t *start,
                       HPy_ssize_t *stop, HPy_ssize_t step)
{
    (void)ctx;
    if (*start < 0) {
        *start += length;
        if (*start < 0)
            *start = (step < 0) ? -1 : 0;
    }
    else if (*start >= length) {
        *start = (step < 0) ? length - 1 : length;
    }
    if (*stop < 0) {
        *stop += length;
        if (*stop < 0)
            *stop = (step < 0) ? -1 : 0;
    }
    else if (*stop >= length) {
        *stop = (step < 0) ? length - 1 : length;
    }
    if (step < 0) {
        if (*stop < *start)
            return (*start - *stop - 1) / (-step) + 1;
    }
    else if (*start < *stop) {
        return (*stop - *start - 1) / step + 1;
    }
    return 0;
}

HPyAPI_INLINE_HELPER HPy
HPy_CallMethodTupleDict_s(HPyContext *ctx, const char *utf8_name, HPy receiver, HPy args, HPy kw)
{
    HPy method = HPy_GetAttr_s(ctx, receiver, utf8_name);
    HPy result;
    if (HPy_IsNull(method))
        return HPy_NULL;
    result = HPy_CallTupleDict(ctx, method, args, kw);
    HPy_Close(ctx, method);
    return result;
}

HPyAPI_INLINE_HELPER HPy
HPy_CallMethodTupleDict(HPyContext *ctx, HPy name, HPy receiver, HPy args, HPy kw)
{
    HPy method = HPy_GetAttr(ctx, receiver, name);
    HPy result;
    if (HPy_IsNull(method))
        return HPy_NULL;
    result = HPy_CallTupleDict(ctx, method, args, kw);
    HPy_Close(ctx, method);
    return result;
}

/* Return a new reference to True or False after comparing two C values with op. */
#define HPy_RETURN_RICHCOMPARE(ctx, val1, val2, op) \
    do { \
        int _hpy_cmp; \
        switch (op) { \
        case HPy_LT: _hpy_cmp = (val1) < (val2); break; \
        case HPy_LE: _hpy_cmp = (val1) <= (val2); break; \
        case HPy_EQ: _hpy_cmp = (val1) == (val2); break; \
        case HPy_NE: _hpy_cmp = (val1) != (val2); break; \
        case HPy_GT: _hpy_cmp = (val1) > (val2); break; \
        case HPy_GE: _hpy_cmp = (val1) >= (val2); break; \
        default: HPy_FatalError(ctx, "Invalid value for HPy_RichCmpOp"); \
        } \
        return HPy_Dup(ctx, _hpy_cmp ? (ctx)->h_True : (ctx)->h_False); \
    } while (0)

#define HPy_BEGIN_LEAVE_PYTHON(context) \
    { \
        HPyThreadState _token = HPy_LeavePythonExecution(context);

#define HPy_END_LEAVE_PYTHON(context) \
        HPy_ReenterPythonExecution(context, _token); \
    }

/* The module of `type`: of the first class of its MRO created with a module (docs/type-module.md);
 * TypeError when there is none. A method that must find its own module whatever the subtype of
 * the instance uses HPyType_GetModuleByDef with its module's definition. */
HPyAPI_INLINE_HELPER HPy HPyType_GetModule(HPyContext *ctx, HPy type)
{
    return HPyType_GetModuleByDef(ctx, type, NULL);
}

/* The object of an HPyType_SpecParam_MODULE param; the binary requires minor 2. */
HPyAPI_INLINE_HELPER HPy _HPyType_SpecParamModule(HPy module)
{
    _HPY_USES_MINOR(2);
    return module;
}

#ifndef SIZEOF_PID_T
#  define _HPY_SIZEOF_PID_T 4
#else
#  define _HPY_SIZEOF_PID_T SIZEOF_PID_T
#endif
#if !defined(SIZEOF_PID_T) || _HPY_SIZEOF_PID_T == 4
#  define HPyLong_FromPid HPyLong_FromLong
#  define HPyLong_AsPid HPyLong_AsLong
#  define _HPy_PARSE_PID "i"
#elif _HPY_SIZEOF_PID_T == 8 && LONG_MAX > INT32_MAX
#  define HPyLong_FromPid HPyLong_FromLong
#  define HPyLong_AsPid HPyLong_AsLong
#  define _HPy_PARSE_PID "l"
#elif _HPY_SIZEOF_PID_T == 8
#  define HPyLong_FromPid HPyLong_FromLongLong
#  define HPyLong_AsPid HPyLong_AsLongLong
#  define _HPy_PARSE_PID "L"
#else
#  error "sizeof(pid_t) is neither sizeof(int), sizeof(long) or sizeof(long long)"
#endif

#endif /* HPY_INLINE_HELPERS_H */
