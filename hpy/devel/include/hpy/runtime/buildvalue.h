/* HPy_BuildValue: build an object from a format string (always a new handle). */
#ifndef HPY_RUNTIME_BUILDVALUE_H
#define HPY_RUNTIME_BUILDVALUE_H

HPyAPI_HELPER HPy HPy_BuildValue(HPyContext *ctx, const char *fmt, ...);

#endif /* HPY_RUNTIME_BUILDVALUE_H */
