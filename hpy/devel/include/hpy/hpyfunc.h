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

/* What a consumer asks of a buffer (HPy_GetBuffer) and an exporter receives (HPy_bf_getbuffer):
 * the bits of CPython's PyBUF_*, with the same values in every ABI. */
#define HPyBUF_SIMPLE 0
#define HPyBUF_WRITABLE 0x0001
#define HPyBUF_WRITEABLE HPyBUF_WRITABLE
#define HPyBUF_FORMAT 0x0004
#define HPyBUF_ND 0x0008
#define HPyBUF_STRIDES (0x0010 | HPyBUF_ND)
#define HPyBUF_C_CONTIGUOUS (0x0020 | HPyBUF_STRIDES)
#define HPyBUF_F_CONTIGUOUS (0x0040 | HPyBUF_STRIDES)
#define HPyBUF_ANY_CONTIGUOUS (0x0080 | HPyBUF_STRIDES)
#define HPyBUF_INDIRECT (0x0100 | HPyBUF_STRIDES)
#define HPyBUF_CONTIG (HPyBUF_ND | HPyBUF_WRITABLE)
#define HPyBUF_CONTIG_RO HPyBUF_ND
#define HPyBUF_STRIDED (HPyBUF_STRIDES | HPyBUF_WRITABLE)
#define HPyBUF_STRIDED_RO HPyBUF_STRIDES
#define HPyBUF_RECORDS (HPyBUF_STRIDES | HPyBUF_WRITABLE | HPyBUF_FORMAT)
#define HPyBUF_RECORDS_RO (HPyBUF_STRIDES | HPyBUF_FORMAT)
#define HPyBUF_FULL (HPyBUF_INDIRECT | HPyBUF_WRITABLE | HPyBUF_FORMAT)
#define HPyBUF_FULL_RO (HPyBUF_INDIRECT | HPyBUF_FORMAT)
/* The most dimensions an exporter may give a buffer. */
#define HPyBUF_MAX_NDIM 64

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

/* What a tp_traverse trampoline of a universal binary remembers of the last type it ran for, when
 * running its implementation on the module's struct (at offset) and visiting the type is all an
 * instance of it needs: filled by the runtime, valid while the type's version tag is `tag`
 * (never 0) and the runtime's traverse_memos_off word is 0. */
typedef struct {
    intptr_t type;              /* 0: empty */
    int64_t offset;
    uint32_t tag;
    uint32_t unused;
} _HPyTraverseMemo;

#if defined(HPY_ABI_CPYTHON)
#  include "hpy/cpython/hpyfunc_trampolines.h"
#  include "hpy/cpython/autogen_hpyfunc_trampolines.h"
#else
#  include "hpy/universal/hpyfunc_trampolines.h"
#  include "hpy/universal/autogen_hpyfunc_trampolines.h"
#endif

#endif /* HPY_HPYFUNC_H */
