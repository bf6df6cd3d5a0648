/* hpy.h: the HPy API.
 *
 * Define exactly one of HPY_ABI_CPYTHON, HPY_ABI_UNIVERSAL or HPY_ABI_HYBRID before including it
 * (hpy.devel does this for you). Error convention of every API function: a function returning HPy
 * returns HPy_NULL with a Python exception set on failure; one returning int or HPy_ssize_t
 * returns -1 with an exception set. Argument handles are borrowed; returned handles are owned by
 * the caller and must be closed with HPy_Close. */
#ifndef HPY_H
#define HPY_H

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
#include "hpy/runtime/argparse.h"
#include "hpy/runtime/buildvalue.h"
#include "hpy/runtime/format.h"
#include "hpy/runtime/helpers.h"
#include "hpy/runtime/structseq.h"

#if defined(HPY_ABI_CPYTHON)
#  include "hpy/cpython/autogen_ctx.h"
#  include "hpy/runtime/ctx_funcs.h"
#  include "hpy/runtime/ctx_type.h"
#  include "hpy/runtime/ctx_module.h"
#  include "hpy/cpython/misc.h"
#  include "hpy/cpython/autogen_api_impl.h"
#else
#  include "hpy/universal/autogen_ctx.h"
#  include "hpy/universal/autogen_trampolines.h"
#  include "hpy/universal/misc_trampolines.h"
#endif

#include "hpy/inline_helpers.h"

#ifdef __cplusplus
}
#endif

#endif /* HPY_H */
