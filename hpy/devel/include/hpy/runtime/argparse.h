/* Argument parsing helpers, compiled into every extension (one implementation for all ABIs).
 * They return 1 on success and 0 with an exception set on failure. */
#ifndef HPY_RUNTIME_ARGPARSE_H
#define HPY_RUNTIME_ARGPARSE_H

HPyAPI_HELPER int
HPyArg_Parse(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs, const char *fmt, ...);

HPyAPI_HELPER int
HPyArg_ParseKeywords(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs, HPy kwnames,
                     const char *fmt, const char *keywords[], ...);

HPyAPI_HELPER int
HPyArg_ParseKeywordsDict(HPyContext *ctx, HPyTracker *ht, const HPy *args, HPy_ssize_t nargs, HPy kw,
                         const char *fmt, const char *keywords[], ...);

#endif /* HPY_RUNTIME_ARGPARSE_H */
