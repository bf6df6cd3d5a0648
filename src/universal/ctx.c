/* The universal context for the CPython backend: every member filled (autogen_ctx_init.h), and
 * the entry point of all module trampolines (_HPy_CallRealFunctionFromTrampoline).
 * A handle is the PyObject* itself, so arguments pass through unchanged and a returned handle
 * is the new reference CPython expects. */
#include "internal/runtime.h"

#include "autogen_ctx_init.h"

HPyAPI_IMPL __thread _HPyThreadCall hpy__thread_call __attribute__((tls_model("initial-exec")));
HPyAPI_IMPL int hpy__debug_ctx_created;
HPyAPI_IMPL int hpy__traverse_memos_off;

/* Whether modules may change reference counts (and read tuples and lists) themselves
 * (_HPY_RUNTIME_INLINE_OPS, docs/fast-paths.md): only where a count is a plain word changed
 * under the GIL, exactly as the interpreter's own Py_INCREF/Py_DECREF change it. Never on a
 * build that accounts for every change (Py_REF_DEBUG: sys.gettotalrefcount must stay right;
 * Py_STATS counts them), nor on a free-threaded one (counts are split and atomic), nor on an
 * interpreter whose counting this runtime does not know (after 3.15, or 3.12+ on 32 bits, where
 * immortality is a range), nor on PyPy (an object's count there is cpyext's, which also counts
 * the link to the PyPy object and decides on its own when the object goes away). */
#if defined(Py_REF_DEBUG) || defined(Py_TRACE_REFS) || defined(Py_STATS) || \
    defined(Py_GIL_DISABLED) || defined(PYPY_VERSION) || PY_VERSION_HEX >= 0x03100000 || \
    (PY_VERSION_HEX >= 0x030C0000 && SIZEOF_VOID_P != 8)
#  define HPY_INLINE_OPS 0
#else
#  define HPY_INLINE_OPS _HPY_RUNTIME_INLINE_OPS
#endif

/* How counts work here. 3.11: the whole Py_ssize_t is the count, no object is immortal. 3.12 and
 * later (64 bits): an object is immortal when the low 32 bits of its count, read as an int32,
 * are negative (Py_INCREF and Py_DECREF leave it alone), and the count of a mortal object is
 * those low 32 bits (3.14 keeps flags above them). */
#if PY_VERSION_HEX >= 0x030C0000
#  define HPY_IMMORTAL_MASK ((int64_t)0x80000000)
#  define HPY_COUNT_MASK ((int64_t)0xFFFFFFFF)
#else
#  define HPY_IMMORTAL_MASK ((int64_t)0)
#  define HPY_COUNT_MASK ((int64_t)-1)
#endif

/* Where a list's item array is (read by modules only under _HPY_RUNTIME_INLINE_OPS). PyPy's
 * lists have no C item array: an offset far outside any object, never used there. */
#if defined(PYPY_VERSION)
#  define HPY_LIST_ITEMS_OFFSET ((int64_t)1 << 40)
#else
#  define HPY_LIST_ITEMS_OFFSET offsetof(PyListObject, ob_item)
#endif

/* What tp_traverse trampolines remember (_HPY_RUNTIME_TRAVERSE_CACHE): with the inline
 * operations only, whose premises it shares (object pointers, ob_type where the headers put it). */
#define HPY_TRAVERSE_CACHE (HPY_INLINE_OPS != 0 ? _HPY_RUNTIME_TRAVERSE_CACHE : 0)

static int traverse_fill(HPyFunc_traverseproc impl, PyObject *self, visitproc visit, void *arg,
                         _HPyTraverseMemo *memo)
{
    Py_ssize_t offset;
    _HPyTypeKey key;
    if (!hpy__traverse_memos_off && hpy__traverse_memo(impl, Py_TYPE(self), &offset, &key)) {
        memo->type = (intptr_t)key.type;
        memo->offset = offset;
        memo->tag = key.tag;
    }
    return call_traverseproc_from_trampoline(impl, self, visit, arg);
}

static void hpy_dealloc(void *obj)
{
    _Py_Dealloc((PyObject *)obj);
}

static int hpy_is_subtype(void *sub, void *type)
{
    return PyType_IsSubtype((PyTypeObject *)sub, (PyTypeObject *)type);
}

/* indexed by builtin shape + 1, then the _HPY_OFFSETS_* past them; the same offsets as
 * ctx_AsStruct_<shape> */
#define HPY_STRUCT_OFFSETS { \
        0,                      /* Legacy: the object itself */ \
        HPY_OFFSET_Object, \
        HPY_OFFSET_Type, \
        HPY_OFFSET_Long, \
        HPY_OFFSET_Float, \
        HPY_OFFSET_Unicode, \
        HPY_OFFSET_Tuple, \
        HPY_OFFSET_List, \
        HPY_OFFSET_Dict, \
        HPY_OFFSET_VarObject, \
        offsetof(PyObject, ob_type), \
        offsetof(PyTypeObject, tp_itemsize), \
    }

/* Handles of these contexts are object pointers: modules may call implementations directly. */
static const _HPyRuntimeInfo universal_info = {
    _HPY_RUNTIME_INFO_MAGIC,
    _HPY_RUNTIME_OBJECT_HANDLES | _HPY_RUNTIME_STRUCT_OFFSETS | HPY_INLINE_OPS |
        _HPY_RUNTIME_DIRECT_TRAVERSE | HPY_TRAVERSE_CACHE,
    HPY_STRUCT_OFFSETS,
    offsetof(PyObject, ob_refcnt),
    HPY_IMMORTAL_MASK,
    HPY_COUNT_MASK,
    hpy_dealloc,
    hpy_is_subtype,
    offsetof(PyVarObject, ob_size),
    offsetof(PyTupleObject, ob_item),
    HPY_LIST_ITEMS_OFFSET,
    call_traverseproc_from_trampoline,
    traverse_fill,
    offsetof(PyTypeObject, tp_version_tag),
    &hpy__traverse_memos_off,
};

/* A module that used the appended fields without their flags would fail visibly: no subtype
 * found, a fatal error on a count reaching 0 or a traverse call, immortal objects counted (3.12
 * and later), a crash on a tuple or list read. */
static void older_dealloc(void *obj)
{
    (void)obj;
    Py_FatalError("HPy: a module used the inline reference counts of a runtime without them");
}

static int older_is_subtype(void *sub, void *type)
{
    (void)sub;
    (void)type;
    return 0;
}

static int older_call_traverse(HPyFunc_traverseproc impl, PyObject *self, visitproc visit,
                               void *arg)
{
    (void)impl;
    (void)self;
    (void)visit;
    (void)arg;
    Py_FatalError("HPy: a module called the traverse function of a runtime without it");
    return -1;
}

static int older_traverse_fill(HPyFunc_traverseproc impl, PyObject *self, visitproc visit,
                               void *arg, _HPyTraverseMemo *memo)
{
    (void)memo;
    return older_call_traverse(impl, self, visit, arg);
}

/* What a runtime from before _HPY_RUNTIME_INLINE_OPS, _HPY_RUNTIME_DIRECT_TRAVERSE and
 * _HPY_RUNTIME_TRAVERSE_CACHE advertises (tests): the same info without the flags, and its
 * appended fields poisoned. */
static const _HPyRuntimeInfo older_info = {
    _HPY_RUNTIME_INFO_MAGIC,
    _HPY_RUNTIME_OBJECT_HANDLES | _HPY_RUNTIME_STRUCT_OFFSETS,
    HPY_STRUCT_OFFSETS,
    0,
    0,
    (int64_t)-1,
    older_dealloc,
    older_is_subtype,
    (int64_t)1 << 40,
    (int64_t)1 << 40,
    (int64_t)1 << 40,
    older_call_traverse,
    older_traverse_fill,
    (int64_t)1 << 40,
    NULL,
};

/* What a runtime for an interpreter whose tuples and lists are laid out otherwise would
 * advertise (tests): universal_info with the item count and the items elsewhere than the
 * headers' compiled layout puts them (poisoned, far outside any object), so that a binary must
 * call the context for them. Filled with the contexts. */
static _HPyRuntimeInfo other_layout_info;

/* The process's universal context; a twin that does not advertise direct calls, so that modules
 * loaded with it take the general trampoline path (what binaries built by other HPy
 * implementations always do); one that advertises what runtimes did before inline reference
 * counts; and one that advertises another layout. */
static struct _HPyContext_s universal_ctx, dispatch_ctx, older_ctx, other_layout_ctx;
static int use_dispatch_ctx, inline_ops_variant = HPY_INLINE_OPS_ON;

static void fill(HPyContext *ctx, const void *private_data)
{
    hpy__fill_universal_ctx(ctx);
    ctx->_private = (void *)private_data;
    ctx->abi_version = HPY_ABI_VERSION;
    ctx->name = "HPy Universal ABI (CPython backend)";
}

HPyAPI_IMPL HPyContext *hpy__universal_ctx(void)
{
    if (universal_ctx.name == NULL) {
        fill(&universal_ctx, &universal_info);
        fill(&dispatch_ctx, NULL);
        fill(&older_ctx, &older_info);
        other_layout_info = universal_info;
        other_layout_info.var_size_offset = (int64_t)1 << 40;
        other_layout_info.tuple_items_offset = (int64_t)1 << 40;
        other_layout_info.list_items_offset = (int64_t)1 << 40;
        fill(&other_layout_ctx, &other_layout_info);
    }
    if (use_dispatch_ctx)
        return &dispatch_ctx;
    switch (inline_ops_variant) {
    case HPY_INLINE_OPS_OLDER:
        return &older_ctx;
    case HPY_INLINE_OPS_OTHER_LAYOUT:
        return &other_layout_ctx;
    default:
        return &universal_ctx;
    }
}

HPyAPI_IMPL void hpy__set_direct_calls(int enabled)
{
    use_dispatch_ctx = !enabled;
}

HPyAPI_IMPL void hpy__set_inline_ops(int variant)
{
    inline_ops_variant = variant;
}

HPyAPI_IMPL int hpy__inline_ops_available(void)
{
    return (universal_info.flags & _HPY_RUNTIME_INLINE_OPS) != 0;
}

HPyAPI_IMPL int hpy__traverse_memos_on(void)
{
    return (universal_info.flags & _HPY_RUNTIME_TRAVERSE_CACHE) != 0 && !hpy__traverse_memos_off;
}

#define HPY_TRAMP_ARG(o) _py2h(o)
#define HPY_TRAMP_CLOSE(h) ((void)0)
#define HPY_TRAMP_RESULT(h, SIG, obj) _h2py(h)
#define HPY_TRAMP_STATUS(r, SIG, obj) (r)
#define IMPL(T) _HPy_FPTR_CAST(T, func)

HPyAPI_IMPL void ctx_CallRealFunctionFromTrampoline(HPyContext *ctx, HPyFunc_Signature sig,
                                                    HPyCFunction func, void *args)
{
    switch (sig) {
    case HPyFunc_NOARGS: {
        _HPyFunc_args_NOARGS *a = (_HPyFunc_args_NOARGS *)args;
        a->result = _h2py(IMPL(HPyFunc_noargs)(ctx, _py2h(a->self)));
        return;
    }
    case HPyFunc_VARARGS: {
        _HPyFunc_args_VARARGS *a = (_HPyFunc_args_VARARGS *)args;
        a->result = _h2py(IMPL(HPyFunc_varargs)(ctx, _py2h(a->self), (const HPy *)a->args,
                                                (size_t)a->nargs));
        return;
    }
    case HPyFunc_KEYWORDS: {
        _HPyFunc_args_KEYWORDS *a = (_HPyFunc_args_KEYWORDS *)args;
        a->result = _h2py(IMPL(HPyFunc_keywords)(ctx, _py2h(a->self), (const HPy *)a->args,
                                                 (size_t)PyVectorcall_NARGS(a->nargsf),
                                                 _py2h(a->kwnames)));
        return;
    }
    case HPyFunc_INITPROC: {
        _HPyFunc_args_INITPROC *a = (_HPyFunc_args_INITPROC *)args;
        a->result = IMPL(HPyFunc_initproc)(ctx, _py2h(a->self),
                                           (const HPy *)((PyTupleObject *)a->args)->ob_item,
                                           PyTuple_GET_SIZE(a->args), _py2h(a->kw));
        return;
    }
    case HPyFunc_NEWFUNC: {
        _HPyFunc_args_NEWFUNC *a = (_HPyFunc_args_NEWFUNC *)args;
        a->result = _h2py(IMPL(HPyFunc_newfunc)(ctx, _py2h(a->self),
                                                (const HPy *)((PyTupleObject *)a->args)->ob_item,
                                                PyTuple_GET_SIZE(a->args), _py2h(a->kw)));
        return;
    }
    case HPyFunc_GETBUFFERPROC: {
        _HPyFunc_args_GETBUFFERPROC *a = (_HPyFunc_args_GETBUFFERPROC *)args;
        HPy_buffer hbuf;
        int res = IMPL(HPyFunc_getbufferproc)(ctx, _py2h(a->self), &hbuf, a->flags);
        a->result = _HPyBuffer_ToPy(res, &hbuf, a->view);
        return;
    }
    case HPyFunc_RELEASEBUFFERPROC: {
        _HPyFunc_args_RELEASEBUFFERPROC *a = (_HPyFunc_args_RELEASEBUFFERPROC *)args;
        HPy_buffer hbuf;
        _HPyBuffer_FromPy(a->view, &hbuf);
        IMPL(HPyFunc_releasebufferproc)(ctx, _py2h(a->self), &hbuf);
        return;
    }
    case HPyFunc_TRAVERSEPROC: {
        _HPyFunc_args_TRAVERSEPROC *a = (_HPyFunc_args_TRAVERSEPROC *)args;
        a->result = call_traverseproc_from_trampoline(IMPL(HPyFunc_traverseproc), a->self,
                                                      a->visit, a->arg);
        return;
    }
    case HPyFunc_MOD_CREATE: {
        _HPyFunc_args_MOD_CREATE *a = (_HPyFunc_args_MOD_CREATE *)args;
        a->result = _HPyModule_CheckCreateSlotResult(
            _h2py(IMPL(HPyFunc_mod_create)(ctx, _py2h(a->spec))));
        return;
    }
    case HPyFunc_CAPSULE_DESTRUCTOR: {
        PyObject *capsule = (PyObject *)args;
        const char *name = PyCapsule_GetName(capsule);
        IMPL(HPyFunc_Capsule_Destructor)(name, PyCapsule_GetPointer(capsule, name),
                                         PyCapsule_GetContext(capsule));
        return;
    }
#include "autogen_dispatch.h"
    default:
        break;
    }
    Py_FatalError("Unsupported HPyFunc_Signature in the HPy universal runtime");
}
