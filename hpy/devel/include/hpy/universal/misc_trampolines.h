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
