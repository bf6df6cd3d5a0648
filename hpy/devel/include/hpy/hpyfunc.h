/* Implementation signatures (HPyFunc_*) and the CPython-side trampolines that call them.
 *
 * HPyFunc_DECLARE(SYM, SIG) declares a static implementation SYM with the prototype of SIG;
 * HPyFunc_TRAMPOLINE(SYM, IMPL, SIG) defines the static function CPython calls, which forwards
 * to IMPL (directly in the CPython ABI, through the context in the universal ABI). */
#ifndef HPY_HPYFUNC_H
#define HPY_HPYFUNC_H

typedef enum {
    HPy_LT = 0,
    HPy_LE = 1,
    HPy_EQ = 2,
    HPy_NE = 3,
    HPy_GT = 4,
    HPy_GE = 5
} HPy_RichCmpOp;

typedef enum {
    HPy_SourceKind_Expr = 0,
    HPy_SourceKind_File = 1,
    HPy_SourceKind_Single = 2
} HPy_SourceKind;

#if !defined(HPY_ABI_CPYTHON)
/* What HPyCapsule_Get and HPyCapsule_Set read or write. */
typedef enum {
    HPyCapsule_key_Pointer = 0,
    HPyCapsule_key_Name = 1,
    HPyCapsule_key_Context = 2,
    HPyCapsule_key_Destructor = 3
} _HPyCapsule_key;
#endif

/* Filled by a getbuffer implementation; field order equals CPython's Py_buffer.
 * obj is an owned handle to the exporting object. */
typedef struct {
    void *buf;
    HPy obj;
    HPy_ssize_t len;
    HPy_ssize_t itemsize;
    int readonly;
    int ndim;
    char *format;
    HPy_ssize_t *shape;
    HPy_ssize_t *strides;
    HPy_ssize_t *suboffsets;
    void *internal;
} HPy_buffer;

/* A generic function pointer; the real type follows from the signature or slot. */
typedef void *(*HPyCFunction)(void);
typedef int (*HPyFunc_visitproc)(HPyField *, void *);
typedef void (*HPyFunc_Capsule_Destructor)(const char *name, void *pointer, void *context);

#include "hpy/autogen_hpyfunc_declare.h"

#define HPyFunc_DECLARE(SYM, SIG) \
    enum { SYM##_sig = SIG }; \
    _HPyFunc_DECLARE_EXPAND(SYM, SIG)
#define _HPyFunc_DECLARE_EXPAND(SYM, SIG) _HPyFunc_DECLARE_##SIG(SYM)

#define HPyFunc_TRAMPOLINE(SYM, IMPL, SIG) \
    enum { SYM##_sig = SIG }; \
    _HPyFunc_TRAMPOLINE_EXPAND(SYM, IMPL, SIG)
#define _HPyFunc_TRAMPOLINE_EXPAND(SYM, IMPL, SIG) _HPyFunc_TRAMPOLINE_##SIG(SYM, IMPL)

#if defined(HPY_ABI_CPYTHON)
#  include "hpy/cpython/hpyfunc_trampolines.h"
#  include "hpy/cpython/autogen_hpyfunc_trampolines.h"
#else
#  include "hpy/universal/hpyfunc_trampolines.h"
#  include "hpy/universal/autogen_hpyfunc_trampolines.h"
#endif

#endif /* HPY_HPYFUNC_H */
