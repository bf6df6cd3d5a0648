/* Universal ABI: the API functions whose wrapper is not a plain call through the context. */
#ifndef HPY_UNIVERSAL_MISC_TRAMPOLINES_H
#define HPY_UNIVERSAL_MISC_TRAMPOLINES_H

/* Whether trampolines may call implementations directly with this context (see
 * hpy/universal/hpyfunc_trampolines.h). */
HPyAPI_FUNC int _HPy_ContextAllowsDirectCalls(HPyContext *ctx)
{
    const _HPyRuntimeInfo *info = (const _HPyRuntimeInfo *)ctx->_private;
    return info != NULL && info->magic == _HPY_RUNTIME_INFO_MAGIC &&
           (info->flags & _HPY_RUNTIME_OBJECT_HANDLES) != 0;
}

/* The struct offsets the context advertises, or NULL. */
HPyAPI_FUNC const int64_t *_HPy_ContextStructOffsets(HPyContext *ctx)
{
    const _HPyRuntimeInfo *info = (const _HPyRuntimeInfo *)ctx->_private;
    if (!_HPy_ContextAllowsDirectCalls(ctx) || (info->flags & _HPY_RUNTIME_STRUCT_OFFSETS) == 0)
        return NULL;
    return info->struct_offsets;
}

/* Copy the struct offsets the context advertises into copy (12 entries); copy, or NULL. */
HPyAPI_FUNC const int64_t *_HPy_ContextCopyStructOffsets(HPyContext *ctx, int64_t *copy)
{
    const int64_t *offsets = _HPy_ContextStructOffsets(ctx);
    if (offsets == NULL)
        return NULL;
    memcpy(copy, offsets, 12 * sizeof(int64_t));
    return copy;
}

/* The layout of objects the inline operations are compiled for, as constants (offsets read from
 * memory before every access made them a fifth slower): CPython's without free threading, where
 * an object starts with three pointer-sized words (count, type, and the item count of a variable
 * size object), a list's fourth word points to its items, a type's tp_itemsize is its sixth word,
 * and the struct of an Object-shape type starts after the first two words or, if the type has
 * items, the first three, rounded up to the strictest alignment. A runtime that advertises any
 * other layout gets its context called. Where a tuple's items start is the one offset read from
 * the runtime's description (after the three words up to 3.13, after a cached hash from 3.14). */
#define _HPY_LAYOUT_WORD ((HPy_ssize_t)sizeof(void *))
#define _HPY_LAYOUT_OB_TYPE _HPY_LAYOUT_WORD
#define _HPY_LAYOUT_OB_SIZE (2 * _HPY_LAYOUT_WORD)
#define _HPY_LAYOUT_LIST_ITEMS (3 * _HPY_LAYOUT_WORD)
#define _HPY_LAYOUT_TP_ITEMSIZE (5 * _HPY_LAYOUT_WORD)
typedef struct {
    char c;
    union {
        long long ll;
        long double ld;
        double d;
        void *p;
        void (*f)(void);
    } u;
} _HPyLayoutAlignProbe;
#define _HPY_LAYOUT_ALIGN ((HPy_ssize_t)offsetof(_HPyLayoutAlignProbe, u))
#define _HPY_LAYOUT_ALIGN_UP(n) (((n) + _HPY_LAYOUT_ALIGN - 1) / _HPY_LAYOUT_ALIGN * _HPY_LAYOUT_ALIGN)
#define _HPY_LAYOUT_OBJECT_STRUCT _HPY_LAYOUT_ALIGN_UP(2 * _HPY_LAYOUT_WORD)
/* a float: its value (a double) right after the object header, and nothing after it */
#define _HPY_LAYOUT_FLOAT_VALUE (2 * _HPY_LAYOUT_WORD)
#define _HPY_LAYOUT_FLOAT_STRUCT \
    _HPY_LAYOUT_ALIGN_UP(_HPY_LAYOUT_FLOAT_VALUE + (HPy_ssize_t)sizeof(double))
#define _HPY_LAYOUT_VAR_OBJECT_STRUCT _HPY_LAYOUT_ALIGN_UP(3 * _HPY_LAYOUT_WORD)

/* Whether the info describes the layout above. */
HPyAPI_FUNC int _HPy_InfoHasInlineLayout(const _HPyRuntimeInfo *info)
{
    const int64_t *offsets = info->struct_offsets;
    return offsets[_HPY_OFFSETS_OB_TYPE] == _HPY_LAYOUT_OB_TYPE &&
           offsets[_HPY_OFFSETS_TP_ITEMSIZE] == _HPY_LAYOUT_TP_ITEMSIZE &&
           offsets[_HPY_OFFSETS_OBJECT] == _HPY_LAYOUT_OBJECT_STRUCT &&
           offsets[_HPY_OFFSETS_VAR_OBJECT] == _HPY_LAYOUT_VAR_OBJECT_STRUCT &&
           info->var_size_offset == _HPY_LAYOUT_OB_SIZE &&
           info->tuple_items_offset >= _HPY_LAYOUT_OB_SIZE + _HPY_LAYOUT_WORD &&
           info->list_items_offset == _HPY_LAYOUT_LIST_ITEMS;
}

/* Fill *ops from the context's info: call_traverse with _HPY_RUNTIME_DIRECT_TRAVERSE; the
 * inline operations with _HPY_RUNTIME_INLINE_OPS and the bits it builds on, when the count is
 * an object's first word and counts the way of a _HPY_COUNTS_* mode of these headers, and the
 * layout is the one they are compiled for (other descriptions, which a later runtime may give:
 * the context is called). */
HPyAPI_FUNC void _HPy_ContextInlineOps(HPyContext *ctx, _HPyInlineOps *ops)
{
    const uint64_t needed = _HPY_RUNTIME_OBJECT_HANDLES | _HPY_RUNTIME_STRUCT_OFFSETS |
                            _HPY_RUNTIME_INLINE_OPS;
    const _HPyRuntimeInfo *info = (const _HPyRuntimeInfo *)ctx->_private;
    int mode;
    memset(ops, 0, sizeof(*ops));
    if (info == NULL || info->magic != _HPY_RUNTIME_INFO_MAGIC)
        return;
    if ((info->flags & _HPY_RUNTIME_DIRECT_TRAVERSE) != 0)
        ops->call_traverse = info->call_traverse;
    const uint64_t memos = _HPY_RUNTIME_DIRECT_TRAVERSE | _HPY_RUNTIME_TRAVERSE_CACHE;
    if ((info->flags & needed) != needed || info->refcnt_offset != 0)
        return;
    if (info->refcnt_immortal_mask == 0 && info->refcnt_count_mask == -1)
        mode = _HPY_COUNTS_WORD;
    else if (sizeof(HPy_ssize_t) == 8 && info->refcnt_immortal_mask == 0x80000000LL &&
             info->refcnt_count_mask == 0xFFFFFFFFLL)
        mode = _HPY_COUNTS_LOW32;
    else
        return;
    if (!_HPy_InfoHasInlineLayout(info))
        return;
    ops->tuple_items = (HPy_ssize_t)info->tuple_items_offset;
    ops->tuple_type = ctx->h_TupleType._i;
    ops->list_type = ctx->h_ListType._i;
    /* (a float whose struct starts elsewhere is laid out otherwise: its value is not read) */
    if (info->struct_offsets[HPyType_BuiltinShape_Float + 1] == _HPY_LAYOUT_FLOAT_STRUCT)
        ops->float_type = ctx->h_FloatType._i;
    ops->dealloc = info->dealloc;
    ops->is_subtype = info->is_subtype;
    ops->mode = mode;
    if ((info->flags & memos) == memos && info->traverse_fill != NULL &&
        info->traverse_memos_off != NULL) {
        ops->type_tag_offset = (HPy_ssize_t)info->type_tag_offset;
        ops->traverse_memos_off = info->traverse_memos_off;
        ops->traverse_fill = info->traverse_fill;
    }
}

/* The inline forms of the frequent operations, valid only while _hpy_inline_ops.mode is not 0
 * (the generated wrappers in autogen_trampolines.h test it and call the context otherwise). An
 * object is the handle's value itself, its count its first word. */
HPyAPI_FUNC void _HPy_InlineIncref(intptr_t obj)
{
    HPy_ssize_t *count = (HPy_ssize_t *)obj;
    if (_hpy_inline_ops.mode == _HPY_COUNTS_WORD)
        ++*count;
    else if ((*count & (HPy_ssize_t)0x80000000LL) == 0)
        ++*count;
}

HPyAPI_FUNC void _HPy_InlineDecref(intptr_t obj)
{
    HPy_ssize_t *count = (HPy_ssize_t *)obj;
    if (_hpy_inline_ops.mode == _HPY_COUNTS_WORD) {
        if (--*count == 0)
            _hpy_inline_ops.dealloc((void *)obj);
    }
    else if ((*count & (HPy_ssize_t)0x80000000LL) == 0) {
        if ((uint32_t)--*count == 0)
            _hpy_inline_ops.dealloc((void *)obj);
    }
}

HPyAPI_FUNC intptr_t _HPy_InlineType(intptr_t obj)
{
    return *(const intptr_t *)((const char *)obj + _HPY_LAYOUT_OB_TYPE);
}

/* Where the module's struct is in self by what *memo remembers of self's type, or -1 (the
 * runtime's traverse_fill must be called). Only with _hpy_inline_ops.traverse_fill set. */
HPyAPI_FUNC int64_t _HPy_TraverseMemoOffset(const _HPyTraverseMemo *memo, const void *self)
{
    intptr_t type = _HPy_InlineType((intptr_t)self);
    if (type == memo->type &&
        *(const uint32_t *)((const char *)type + _hpy_inline_ops.type_tag_offset) == memo->tag &&
        *_hpy_inline_ops.traverse_memos_off == 0)
        return memo->offset;
    return -1;
}

/* The visit function a traverse implementation gets from a trampoline that runs it itself: an
 * HPyField is the object pointer (the inline operations' premise). */
typedef struct {
    cpy_visitproc visit;
    void *arg;
} _HPyInlineVisitState;

HPyAPI_FUNC int _HPy_InlineVisitField(HPyField *f, void *state)
{
    if (f->_i == 0)
        return 0;
    _HPyInlineVisitState *s = (_HPyInlineVisitState *)state;
    return s->visit((cpy_PyObject *)f->_i, s->arg);
}

HPyAPI_FUNC int _HPy_InlineTypeCheck(intptr_t obj, intptr_t type)
{
    intptr_t t = _HPy_InlineType(obj);
    return t == type || _hpy_inline_ops.is_subtype((void *)t, (void *)type);
}

HPyAPI_FUNC double _HPy_InlineFloatValue(intptr_t obj)
{
    return *(const double *)((const char *)obj + _HPY_LAYOUT_FLOAT_VALUE);
}

HPyAPI_FUNC HPy_ssize_t _HPy_InlineSize(intptr_t obj)
{
    return *(const HPy_ssize_t *)((const char *)obj + _HPY_LAYOUT_OB_SIZE);
}

HPyAPI_FUNC intptr_t *_HPy_InlineTupleItems(intptr_t tuple)
{
    return (intptr_t *)((char *)tuple + _hpy_inline_ops.tuple_items);
}

HPyAPI_FUNC intptr_t *_HPy_InlineListItems(intptr_t list)
{
    return *(intptr_t **)((char *)list + _HPY_LAYOUT_LIST_ITEMS);
}

/* The struct of an Object-shape object, at the layout's offsets. */
HPyAPI_FUNC void *_HPy_InlineObjectStruct(intptr_t obj)
{
    return _HPy_StructAt(obj, _HPY_LAYOUT_OB_TYPE, _HPY_LAYOUT_TP_ITEMSIZE,
                         _HPY_LAYOUT_OBJECT_STRUCT, _HPY_LAYOUT_VAR_OBJECT_STRUCT);
}

/* Where the items of obj are if it is an exact tuple or list, else NULL. */
HPyAPI_FUNC intptr_t *_HPy_InlineItems(intptr_t obj)
{
    intptr_t t = _HPy_InlineType(obj);
    if (t == _hpy_inline_ops.tuple_type)
        return _HPy_InlineTupleItems(obj);
    if (t == _hpy_inline_ops.list_type)
        return _HPy_InlineListItems(obj);
    return NULL;
}

/* A builder's slot receives a new reference to h (the slot is empty: the builder is new). */
HPyAPI_FUNC void _HPy_InlineSetItem(intptr_t *items, HPy_ssize_t index, HPy h)
{
    _HPy_InlineIncref(h._i);
    items[index] = h._i;
}

HPyAPI_FUNC int _HPy_InlineIsTupleOrList(intptr_t obj)
{
    intptr_t t = _HPy_InlineType(obj);
    return t == _hpy_inline_ops.tuple_type || t == _hpy_inline_ops.list_type;
}

HPyAPI_FUNC void _HPy_InlineFieldStore(HPyField *field, HPy h)
{
    intptr_t old = field->_i;
    if (h._i != 0)
        _HPy_InlineIncref(h._i);
    field->_i = h._i;
    if (old != 0)
        _HPy_InlineDecref(old);
}

HPyAPI_FUNC HPy _HPy_New(HPyContext *ctx, HPy h_type, void **data)
{
    void *tmp = NULL;
    HPy h = ctx->ctx_New(ctx, h_type, &tmp);
    *data = tmp;
    return h;
}

HPyAPI_FUNC _HPy_NO_RETURN void HPy_FatalError(HPyContext *ctx, const char *message)
{
    ctx->ctx_FatalError(ctx, message);
    abort();   /* the runtime does not return; this keeps the promise if it did */
}

HPyAPI_FUNC void *HPyCapsule_GetPointer(HPyContext *ctx, HPy capsule, const char *name)
{
    return ctx->ctx_Capsule_Get(ctx, capsule, HPyCapsule_key_Pointer, name);
}

HPyAPI_FUNC const char *HPyCapsule_GetName(HPyContext *ctx, HPy capsule)
{
    return (const char *)ctx->ctx_Capsule_Get(ctx, capsule, HPyCapsule_key_Name, NULL);
}

HPyAPI_FUNC void *HPyCapsule_GetContext(HPyContext *ctx, HPy capsule)
{
    return ctx->ctx_Capsule_Get(ctx, capsule, HPyCapsule_key_Context, NULL);
}

HPyAPI_FUNC int HPyCapsule_SetPointer(HPyContext *ctx, HPy capsule, void *pointer)
{
    return ctx->ctx_Capsule_Set(ctx, capsule, HPyCapsule_key_Pointer, pointer);
}

HPyAPI_FUNC int HPyCapsule_SetName(HPyContext *ctx, HPy capsule, const char *name)
{
    return ctx->ctx_Capsule_Set(ctx, capsule, HPyCapsule_key_Name, (void *)name);
}

HPyAPI_FUNC int HPyCapsule_SetContext(HPyContext *ctx, HPy capsule, void *context)
{
    return ctx->ctx_Capsule_Set(ctx, capsule, HPyCapsule_key_Context, context);
}

HPyAPI_FUNC int HPyCapsule_SetDestructor(HPyContext *ctx, HPy capsule,
                                         HPyCapsule_Destructor *destructor)
{
    return ctx->ctx_Capsule_Set(ctx, capsule, HPyCapsule_key_Destructor, (void *)destructor);
}

#endif /* HPY_UNIVERSAL_MISC_TRAMPOLINES_H */
