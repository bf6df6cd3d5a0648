/* printf-style construction of str objects and of exceptions. */
#ifndef HPY_RUNTIME_FORMAT_H
#define HPY_RUNTIME_FORMAT_H

HPyAPI_HELPER HPy HPyUnicode_FromFormat(HPyContext *ctx, const char *fmt, ...);
HPyAPI_HELPER HPy HPyUnicode_FromFormatV(HPyContext *ctx, const char *format, va_list vargs);
/* Always returns HPy_NULL, with the formatted exception set. */
HPyAPI_HELPER HPy HPyErr_Format(HPyContext *ctx, HPy h_type, const char *fmt, ...);

#endif /* HPY_RUNTIME_FORMAT_H */
