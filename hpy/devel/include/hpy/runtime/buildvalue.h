/* HPy_BuildValue: build an object from a format string (always a new handle). Brackets nest at
 * most 1000 levels; a deeper format is a SystemError. */
#ifndef HPY_RUNTIME_BUILDVALUE_H
#define HPY_RUNTIME_BUILDVALUE_H

HPyAPI_HELPER HPy HPy_BuildValue(HPyContext *ctx, const char *fmt, ...);

#endif /* HPY_RUNTIME_BUILDVALUE_H */
