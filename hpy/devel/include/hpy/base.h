/* hpy/base.h: the declarations every layer of HPy shares: the ABI selection, the handle types,
 * the context type, definitions (HPyDef), type and module specifications, and the trampoline
 * macros. It declares no API function.
 *
 * Layers, each including only the ones before it:
 *   1. this header;
 *   2. hpy/runtime/ctx_funcs.h, ctx_type.h, ctx_module.h: the context functions the runtime and
 *      the CPython ABI share (hpy/devel/src/runtime/ctx_*.c, built on layers 1-2 only);
 *   3. the API: hpy/cpython/ (calls of layer 2) or hpy/universal/ (calls through the context),
 *      assembled by hpy.h, which the helper library (argparse.c, helpers.c, ...), the CPython
 *      ABI's entry point (cpython_init.c) and extensions include. */
#ifndef HPY_BASE_H
#define HPY_BASE_H

#if !defined(HPY_ABI_CPYTHON) && !defined(HPY_ABI_UNIVERSAL) && !defined(HPY_ABI_HYBRID)
#  error "Cannot determine the desired HPy ABI: you must set one of HPY_ABI_CPYTHON, HPY_ABI_UNIVERSAL or HPY_ABI_HYBRID"
#endif
#if defined(HPY_ABI_CPYTHON) && defined(HPY_ABI_HYBRID)
#  error "Conflicting macros are defined: HPY_ABI_CPYTHON and HPY_ABI_HYBRID"
#endif
#if defined(HPY_ABI_CPYTHON) && defined(HPY_ABI_UNIVERSAL)
#  error "Conflicting macros are defined: HPY_ABI_CPYTHON and HPY_ABI_UNIVERSAL"
#endif
#if defined(HPY_ABI_HYBRID) && defined(HPY_ABI_UNIVERSAL)
#  error "Conflicting macros are defined: HPY_ABI_HYBRID and HPY_ABI_UNIVERSAL"
#endif

#if defined(HPY_ABI_CPYTHON)
#  define HPY_ABI "cpython"
#elif defined(HPY_ABI_HYBRID)
#  define HPY_ABI "hybrid"
#else
#  define HPY_ABI "universal"
#endif

#if !defined(HPY_ABI_UNIVERSAL)
#  ifndef PY_SSIZE_T_CLEAN
#    define PY_SSIZE_T_CLEAN
#  endif
#  include <Python.h>
#endif

#include <stdlib.h>
#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The binary interface version. A universal module records the version it needs; the runtime
 * loads it when the majors are equal and the module's minor is not newer than its own. */
#define HPY_ABI_VERSION 0
#include "hpy/autogen_abi_version.h"
#define HPY_ABI_TAG "hpy0"

#if defined(HPY_ABI_CPYTHON)
typedef Py_ssize_t HPy_ssize_t;
typedef Py_hash_t HPy_hash_t;
typedef Py_UCS4 HPy_UCS4;
#  define HPY_SSIZE_T_MAX PY_SSIZE_T_MAX
#  define HPY_SSIZE_T_MIN PY_SSIZE_T_MIN
#else
typedef intptr_t HPy_ssize_t;
typedef intptr_t HPy_hash_t;
typedef uint32_t HPy_UCS4;
#  define HPY_SSIZE_T_MAX INTPTR_MAX
#  define HPY_SSIZE_T_MIN (-HPY_SSIZE_T_MAX-1)
#endif

/* Handles: single-field structs passed by value. _i == 0 is the null value everywhere. */
typedef struct _HPy_s { intptr_t _i; } HPy;
typedef struct { intptr_t _i; } HPyField;
typedef struct { intptr_t _i; } HPyGlobal;
typedef struct { intptr_t _lst; } HPyListBuilder;
typedef struct { intptr_t _tup; } HPyTupleBuilder;
typedef struct { intptr_t _i; } HPyTracker;
typedef struct { intptr_t _i; } HPyThreadState;

typedef struct _HPyContext_s HPyContext;

#ifdef __cplusplus
#  define _hconv(h) (HPy{(intptr_t)(h)})
#  define _hfconv(h) (HPyField{(intptr_t)(h)})
#  define _htsconv(h) (HPyThreadState{(intptr_t)(h)})
#  define _hgconv(h) (HPyGlobal{(intptr_t)(h)})
#else
#  define _hconv(h) ((HPy){(intptr_t)(h)})
#  define _hfconv(h) ((HPyField){(intptr_t)(h)})
#  define _htsconv(h) ((HPyThreadState){(intptr_t)(h)})
#  define _hgconv(h) ((HPyGlobal){(intptr_t)(h)})
#endif

/* In the CPython ABI (and inside the runtime) a handle is the PyObject* itself. */
#if defined(HPY_ABI_CPYTHON) || defined(HPY_RUNTIME_INTERNAL)
#  define _h2py(h) ((PyObject *)(h)._i)
#  define _py2h(o) _hconv((intptr_t)(o))
#  define _hf2py(f) ((PyObject *)(f)._i)
#  define _py2hf(o) _hfconv((intptr_t)(o))
#  define _hg2py(g) ((PyObject *)(g)._i)
#  define _py2hg(o) _hgconv((intptr_t)(o))
#endif

#define HPy_NULL _hconv(0)
#define HPy_IsNull(h) ((h)._i == 0)
#define HPyField_NULL _hfconv(0)
#define HPyField_IsNull(f) ((f)._i == 0)

#include "hpy/hpyexports.h"
#include "hpy/macros.h"

HPyAPI_FUNC HPy HPy_FromVoidP(void *p) { return _hconv((intptr_t)p); }
HPyAPI_FUNC void *HPy_AsVoidP(HPy h) { return (void *)h._i; }

#include "hpy/cpy_types.h"
#include "hpy/hpyfunc.h"
#include "hpy/hpydef.h"
#include "hpy/hpytype.h"
#include "hpy/hpymodule.h"

#if defined(HPY_ABI_CPYTHON)
#  include "hpy/cpython/autogen_ctx.h"
#else
#  include "hpy/universal/autogen_ctx.h"
#endif

#ifdef __cplusplus
}
#endif

#endif /* HPY_BASE_H */
