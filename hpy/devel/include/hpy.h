/* hpy.h: the HPy API.
 *
 * Define exactly one of HPY_ABI_CPYTHON, HPY_ABI_UNIVERSAL or HPY_ABI_HYBRID before including it
 * (hpy.devel does this for you). Error convention of every API function: a function returning HPy
 * returns HPy_NULL with a Python exception set on failure; one returning int or HPy_ssize_t
 * returns -1 with an exception set. Argument handles are borrowed; returned handles are owned by
 * the caller and must be closed with HPy_Close. */
#ifndef HPY_H
#define HPY_H

#include "hpy/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "hpy/runtime/argparse.h"
#include "hpy/runtime/buildvalue.h"
#include "hpy/runtime/format.h"
#include "hpy/runtime/helpers.h"
#include "hpy/runtime/structseq.h"

#if defined(HPY_ABI_CPYTHON)
#  include "hpy/runtime/ctx_funcs.h"
#  include "hpy/runtime/ctx_type.h"
#  include "hpy/runtime/ctx_module.h"
#  include "hpy/cpython/misc.h"
#  include "hpy/cpython/autogen_api_impl.h"
#else
#  include "hpy/universal/misc_trampolines.h"
#  include "hpy/universal/autogen_trampolines.h"
#endif

#include "hpy/inline_helpers.h"

#ifdef __cplusplus
}
#endif

#endif /* HPY_H */
