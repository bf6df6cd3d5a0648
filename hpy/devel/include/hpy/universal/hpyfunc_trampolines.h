/* Universal ABI: the trampolines whose shape does not follow from the implementation prototype.
 * Every trampoline packs CPython's arguments into an _HPyFunc_args_<SIG> structure and hands it to
 * the runtime through the module's context; the runtime writes the result back. */
#ifndef HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H
#define HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *result;
} _HPyFunc_args_NOARGS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *const *args;
    HPy_ssize_t nargs;
    cpy_PyObject *result;
} _HPyFunc_args_VARARGS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *const *args;
    size_t nargsf;
    cpy_PyObject *kwnames;
    cpy_PyObject *result;
} _HPyFunc_args_KEYWORDS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *args;
    cpy_PyObject *kw;
    int result;
} _HPyFunc_args_INITPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *args;
    cpy_PyObject *kw;
    cpy_PyObject *result;
} _HPyFunc_args_NEWFUNC;

typedef struct {
    cpy_PyObject *self;
    cpy_Py_buffer *view;
    int flags;
    int result;
} _HPyFunc_args_GETBUFFERPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_Py_buffer *view;
} _HPyFunc_args_RELEASEBUFFERPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_visitproc visit;
    void *arg;
    int result;
} _HPyFunc_args_TRAVERSEPROC;

typedef struct {
    cpy_PyObject *spec;
    cpy_PyObject *result;
} _HPyFunc_args_MOD_CREATE;

/* Direct calls. A runtime whose handles are the interpreter's object pointers (an argument
 * handle is the borrowed object, a returned handle is the new reference the interpreter expects)
 * says so through ctx->_private, which then points to an _HPyRuntimeInfo. HPy_MODINIT reads it once,
 * when the module receives its context, into _hpy_direct_calls; trampolines of signatures made only
 * of handles and plain C values then call the implementation themselves instead of going through
 * _HPy_CallRealFunctionFromTrampoline. Any other runtime or context (debug, trace, other
 * interpreters) keeps the general path. */
typedef struct {
    uint64_t magic;
    uint64_t flags;
    /* With _HPY_RUNTIME_STRUCT_OFFSETS only: where the module's C struct starts in an object
     * whose type has builtin shape S, at struct_offsets[S + 1] (so that _HPy_AsStruct_<S> needs
     * no call), and at the _HPY_OFFSETS_* indexes what the Object shape needs besides (see
     * _HPy_ObjectStruct). A context that must see those calls (debug, trace) does not set the
     * flag. */
    int64_t struct_offsets[12];
    /* Appended with _HPY_RUNTIME_INLINE_OPS, and read only when that flag is set (a binary
     * built before knows nothing of them, a runtime from before has none): how this interpreter
     * counts references and lays out tuples and lists, so that a binary may do the frequent
     * operations itself (see _HPyInlineOps). The count is the pointer-sized word at
     * refcnt_offset in an object. An object whose count has a bit of refcnt_immortal_mask set is
     * immortal: its count is never changed (0: there are no immortal objects). A count is 0 when
     * its bits in refcnt_count_mask are: dealloc(obj) is then due. is_subtype(type of obj, type)
     * is what a type check calls when obj's type is not the type itself. The item count of a
     * tuple or list is the HPy_ssize_t at var_size_offset; a tuple's items start at
     * tuple_items_offset, a list's are the array whose pointer is at list_items_offset. The
     * context's h_TupleType and h_ListType are those exact types. */
    int64_t refcnt_offset;
    int64_t refcnt_immortal_mask;
    int64_t refcnt_count_mask;
    void (*dealloc)(void *obj);
    int (*is_subtype)(void *sub, void *type);
    int64_t var_size_offset;
    int64_t tuple_items_offset;
    int64_t list_items_offset;
    /* With _HPY_RUNTIME_DIRECT_TRAVERSE only: what the general path does for a tp_traverse
     * trampoline, to be called by the trampoline itself. */
    int (*call_traverse)(HPyFunc_traverseproc impl, cpy_PyObject *self, cpy_visitproc visit,
                         void *arg);
    /* With _HPY_RUNTIME_TRAVERSE_CACHE only: traverse_fill does what call_traverse does and, when
     * the instance's type allows it, fills *memo (_HPyTraverseMemo) for it; the version tag of a
     * type is the uint32_t at type_tag_offset in it; *traverse_memos_off is 0 while memos hold. */
    int (*traverse_fill)(HPyFunc_traverseproc impl, cpy_PyObject *self, cpy_visitproc visit,
                         void *arg, _HPyTraverseMemo *memo);
    int64_t type_tag_offset;
    const int *traverse_memos_off;
} _HPyRuntimeInfo;

#define _HPY_RUNTIME_INFO_MAGIC 0x48507952544e4631ULL
#define _HPY_RUNTIME_OBJECT_HANDLES 1ULL
/* Bit 2 is retired: the headers that tested it took the Object shape's struct to start at one
 * offset in every object, which is not true of types whose instances vary in size. */
#define _HPY_RUNTIME_STRUCT_OFFSETS 4ULL
/* Handles, HPyFields and HPyGlobals are object pointers whose reference counts the binary may
 * change itself, and whose tuples and lists it may read and fill, as the appended fields
 * describe; set only together with the two bits above, and only by a context that need not see
 * those calls (not debug, not trace), on an interpreter whose counts are changed by plain loads
 * and stores under the GIL. */
#define _HPY_RUNTIME_INLINE_OPS 8ULL
/* call_traverse is set: tp_traverse trampolines call it instead of taking the general path. */
#define _HPY_RUNTIME_DIRECT_TRAVERSE 16ULL
/* traverse_fill and the two fields after it are set: a tp_traverse trampoline may remember where
 * the module's struct is in instances of the last type it ran for, and then run the
 * implementation itself (only together with the three bits above). */
#define _HPY_RUNTIME_TRAVERSE_CACHE 32ULL

/* struct_offsets indexes */
#define _HPY_OFFSETS_OBJECT 1          /* HPyType_BuiltinShape_Object + 1 */
#define _HPY_OFFSETS_VAR_OBJECT 9      /* the struct, Object shape, type with a nonzero item size */
#define _HPY_OFFSETS_OB_TYPE 10        /* the type pointer in an object */
#define _HPY_OFFSETS_TP_ITEMSIZE 11    /* the item size (an HPy_ssize_t) in a type */

/* The struct of an Object-shape object, whose type pointer is at ob_type: at `fixed`, or at `var`
 * when the type's item size (at tp_itemsize in the type) is not 0. A branch, not a selection:
 * types with items are rare, and the predicted branch lets the struct be read without waiting for
 * the type's item size (the selection made reading a field through the struct up to a third
 * slower). */
HPyAPI_FUNC void *_HPy_StructAt(intptr_t obj, HPy_ssize_t ob_type, HPy_ssize_t tp_itemsize,
                                HPy_ssize_t fixed, HPy_ssize_t var)
{
    char *o = (char *)obj;
    const char *type = *(const char *const *)(o + ob_type);
    if (_HPy_UNLIKELY(*(const HPy_ssize_t *)(type + tp_itemsize) != 0))
        return o + var;
    return o + fixed;
}

/* The same from the advertised offsets. */
HPyAPI_FUNC void *_HPy_ObjectStruct(intptr_t obj, const int64_t *offsets)
{
    return _HPy_StructAt(obj, (HPy_ssize_t)offsets[_HPY_OFFSETS_OB_TYPE],
                         (HPy_ssize_t)offsets[_HPY_OFFSETS_TP_ITEMSIZE],
                         (HPy_ssize_t)offsets[_HPY_OFFSETS_OBJECT],
                         (HPy_ssize_t)offsets[_HPY_OFFSETS_VAR_OBJECT]);
}

/* The positional count of a vectorcall nargsf (the top bit is a flag). */
#define _HPy_VECTORCALL_NARGS(n) ((size_t)(n) & ~((size_t)1 << (8 * sizeof(size_t) - 1)))

#define _HPy_DIRECT(h) _hconv((intptr_t)(h))
#define _HPy_DIRECT_RESULT(h) ((cpy_PyObject *)(h)._i)

/* A trampoline whose context allows direct calls calls IMPL by name only while the inline
 * operations are on: the one call of IMPL the compiler sees, where it may inline it, and where the
 * inlined operations, reading the description the trampoline read (hpy/hpymodule.h), need no test
 * of the mode and no context call, nor the trampoline a frame for them. Otherwise (trace mode, a
 * runtime without the inline operations) it calls IMPL through a volatile pointer, which the
 * compiler neither follows nor inlines. IMPL_POINTER declares that pointer, impl_, with IMPL's
 * type; ARGS is the parenthesized argument list; RETURN one of the _HPy_RETURN_* below. */
#define _HPy_DIRECT_CALL(IMPL_POINTER, IMPL, ARGS, RETURN) \
    if (_HPy_LIKELY(_hpy_direct_calls)) { \
        if (_HPy_LIKELY(_hpy_inline_ops.mode != 0)) \
            RETURN(IMPL ARGS); \
        IMPL_POINTER = IMPL; \
        RETURN(impl_ ARGS); \
    }
/* How a trampoline returns what the implementation returned. */
#define _HPy_RETURN_HANDLE(r) return _HPy_DIRECT_RESULT(r)
#define _HPy_RETURN_VALUE(r) return (r)
#define _HPy_RETURN_NOTHING(r) do { r; return; } while (0)

#define _HPy_TRAMPOLINE_CALL(SIG, IMPL, ARGS) \
    _HPy_CallRealFunctionFromTrampoline(_ctx_for_trampolines, SIG, \
                                        _HPy_FPTR_CAST(HPyCFunction, IMPL), ARGS)

#define _HPyFunc_TRAMPOLINE_HPyFunc_NOARGS(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *ignored) \
    { \
        (void)ignored; \
        _HPy_DIRECT_CALL(HPy (*volatile impl_)(HPyContext *, HPy), IMPL, \
                         (_ctx_for_trampolines, _HPy_DIRECT(self)), _HPy_RETURN_HANDLE) \
        _HPyFunc_args_NOARGS a = { self, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_NOARGS, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_VARARGS(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *const *args, HPy_ssize_t nargs) \
    { \
        _HPy_DIRECT_CALL(HPy (*volatile impl_)(HPyContext *, HPy, const HPy *, size_t), IMPL, \
                         (_ctx_for_trampolines, _HPy_DIRECT(self), (const HPy *)args, \
                          (size_t)nargs), _HPy_RETURN_HANDLE) \
        _HPyFunc_args_VARARGS a = { self, args, nargs, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_VARARGS, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_KEYWORDS(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *const *args, size_t nargsf, \
                             cpy_PyObject *kwnames) \
    { \
        _HPy_DIRECT_CALL(HPy (*volatile impl_)(HPyContext *, HPy, const HPy *, size_t, HPy), \
                         IMPL, (_ctx_for_trampolines, _HPy_DIRECT(self), (const HPy *)args, \
                                _HPy_VECTORCALL_NARGS(nargsf), _HPy_DIRECT(kwnames)), \
                         _HPy_RETURN_HANDLE) \
        _HPyFunc_args_KEYWORDS a = { self, args, nargsf, kwnames, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_KEYWORDS, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_INITPROC(SYM, IMPL) \
    static int SYM(cpy_PyObject *self, cpy_PyObject *args, cpy_PyObject *kw) \
    { \
        _HPyFunc_args_INITPROC a = { self, args, kw, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_INITPROC, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_NEWFUNC(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *args, cpy_PyObject *kw) \
    { \
        _HPyFunc_args_NEWFUNC a = { self, args, kw, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_NEWFUNC, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETBUFFERPROC(SYM, IMPL) \
    static int SYM(cpy_PyObject *self, cpy_Py_buffer *view, int flags) \
    { \
        _HPyFunc_args_GETBUFFERPROC a = { self, view, flags, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_GETBUFFERPROC, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_RELEASEBUFFERPROC(SYM, IMPL) \
    static void SYM(cpy_PyObject *self, cpy_Py_buffer *view) \
    { \
        _HPyFunc_args_RELEASEBUFFERPROC a = { self, view }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_RELEASEBUFFERPROC, IMPL, &a); \
    }

/* The garbage collector calls this for every tracked instance on every collection: for the type
 * it saw last (the common case), the implementation runs here, where it can be inlined. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_TRAVERSEPROC(SYM, IMPL) \
    static int SYM(cpy_PyObject *self, cpy_visitproc visit, void *arg) \
    { \
        static _HPyTraverseMemo memo_; \
        if (_HPy_LIKELY(_hpy_inline_ops.traverse_fill != NULL)) { \
            int64_t offset_ = _HPy_TraverseMemoOffset(&memo_, self); \
            if (_HPy_UNLIKELY(offset_ < 0)) \
                return _hpy_inline_ops.traverse_fill((HPyFunc_traverseproc)(IMPL), self, visit, \
                                                     arg, &memo_); \
            int r_ = visit((cpy_PyObject *)_HPy_InlineType((intptr_t)self), arg); \
            if (r_ != 0) \
                return r_; \
            _HPyInlineVisitState state_ = { visit, arg }; \
            return IMPL((char *)self + offset_, _HPy_InlineVisitField, &state_); \
        } \
        if (_HPy_LIKELY(_hpy_inline_ops.call_traverse != NULL)) \
            return _hpy_inline_ops.call_traverse((HPyFunc_traverseproc)(IMPL), self, visit, arg); \
        _HPyFunc_args_TRAVERSEPROC a = { self, visit, arg, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_TRAVERSEPROC, IMPL, &a); \
        return a.result; \
    }

/* tp_destroy is called by the runtime's own deallocator, never through a trampoline. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTROYFUNC(SYM, IMPL) \
    static void SYM(void) { abort(); }

#define _HPyFunc_TRAMPOLINE_HPyFunc_MOD_CREATE(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *spec, cpy_PyModuleDef *def) \
    { \
        _HPyFunc_args_MOD_CREATE a = { spec, 0 }; \
        (void)def; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_MOD_CREATE, IMPL, &a); \
        return a.result; \
    }

/* The runtime receives the capsule itself and reads name, pointer and context from it. */
#define HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM, IMPL) \
    static void SYM(cpy_PyObject *capsule) \
    { \
        _HPy_TRAMPOLINE_CALL(HPyFunc_CAPSULE_DESTRUCTOR, IMPL, capsule); \
    }

#endif /* HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H */
