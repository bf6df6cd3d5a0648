/* Internal header of the universal runtime (the hpy.universal extension module).
 * Not part of the public headers: it needs Python.h and the runtime's own build flags. */
#ifndef HPY_UNIVERSAL_INTERNAL_RUNTIME_H
#define HPY_UNIVERSAL_INTERNAL_RUNTIME_H

#if !defined(HPY_RUNTIME_INTERNAL) || !defined(HPY_ABI_HYBRID)
#  error "internal/runtime.h is only for building the hpy.universal runtime"
#endif

#include "hpy.h"
#include "hpy/runtime/ctx_funcs.h"
#include "hpy/runtime/ctx_module.h"
#include "hpy/runtime/ctx_type.h"
#include "hpy/runtime/cpy_compat.h"

#define HPY_MODE_UNIVERSAL 0
#define HPY_MODE_DEBUG 1
#define HPY_MODE_TRACE 2

/* The universal context of this process (filled when hpy.universal is initialised). */
_HPy_HIDDEN HPyContext *hpy__universal_ctx(void);

/* The trace context (created on first use; NULL with an exception on failure) and the
 * hpy.universal._trace module. */
_HPy_HIDDEN HPyContext *hpy__trace_ctx(void);
_HPy_HIDDEN PyObject *hpy__trace_module(void);

/* Whether modules loaded from now on may call implementations directly (default: yes). */
_HPy_HIDDEN void hpy__set_direct_calls(int enabled);

/* What modules loaded from now on are told of the inline operations (tests): what this runtime
 * offers (the default), what runtimes before them advertised, or the operations allowed on a
 * layout other than the one binaries are compiled for; and whether this runtime offers them. */
#define HPY_INLINE_OPS_OLDER 0
#define HPY_INLINE_OPS_ON 1
#define HPY_INLINE_OPS_OTHER_LAYOUT 2
_HPy_HIDDEN void hpy__set_inline_ops(int variant);
_HPy_HIDDEN int hpy__inline_ops_available(void);

/* 1 once what tp_traverse trampolines remember of types (_HPY_RUNTIME_TRAVERSE_CACHE) may no
 * longer be used, for good: from the moment the runtime runs in another interpreter, which may
 * give a type at a remembered address a remembered version tag. (Debug mode needs no such stop:
 * its modules never remember, and only their calls are checked against the regime of a running
 * traverse function.) */
_HPy_HIDDEN extern int hpy__traverse_memos_off;
/* Whether this runtime offers the memos and they may still be used. */
_HPy_HIDDEN int hpy__traverse_memos_on(void);

#endif /* HPY_UNIVERSAL_INTERNAL_RUNTIME_H */
