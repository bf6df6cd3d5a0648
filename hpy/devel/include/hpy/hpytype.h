/* Type specifications for HPyType_FromSpec and the helpers to reach an object's C struct. */
#ifndef HPY_HPYTYPE_H
#define HPY_HPYTYPE_H

#include <stdbool.h>

typedef enum {
    HPyType_BuiltinShape_Legacy = -1,
    HPyType_BuiltinShape_Object = 0,
    HPyType_BuiltinShape_Type = 1,
    HPyType_BuiltinShape_Long = 2,
    HPyType_BuiltinShape_Float = 3,
    HPyType_BuiltinShape_Unicode = 4,
    HPyType_BuiltinShape_Tuple = 5,
    HPyType_BuiltinShape_List = 6,
    HPyType_BuiltinShape_Dict = 7
} HPyType_BuiltinShape;

typedef struct {
    const char *name;          /* "module.Type" */
    int basicsize;             /* size of the module's C struct, without the object header */
    int itemsize;
    unsigned long flags;
    HPyType_BuiltinShape builtin_shape;
    void *legacy_slots;        /* PyType_Slot[] (hybrid and CPython ABI), legacy shape only */
    HPyDef **defines;          /* NULL-terminated */
    const char *doc;
} HPyType_Spec;

typedef enum {
    HPyType_SpecParam_Base = 1,
    HPyType_SpecParam_BasesTuple = 2,
    HPyType_SpecParam_Metaclass = 3,
    HPyType_SpecParam_Module = 4     /* ABI minor 2: write it with HPyType_SpecParam_MODULE */
} HPyType_SpecParam_Kind;

typedef struct {
    HPyType_SpecParam_Kind kind;
    HPy object;
} HPyType_SpecParam;

#define _Py_TPFLAGS_HEAPTYPE (1UL << 9)
#define _Py_TPFLAGS_HAVE_VERSION_TAG (1UL << 18)
#define HPy_TPFLAGS_DEFAULT (_Py_TPFLAGS_HEAPTYPE | _Py_TPFLAGS_HAVE_VERSION_TAG)
#define HPy_TPFLAGS_BASETYPE (1UL << 10)
#define HPy_TPFLAGS_HAVE_VECTORCALL (1UL << 11)
#define HPy_TPFLAGS_HAVE_GC (1UL << 14)

#define HPyType_BuiltinShape_Legacy_AsStruct _HPy_AsStruct_Legacy
#define HPyType_BuiltinShape_Object_AsStruct _HPy_AsStruct_Object
#define HPyType_BuiltinShape_Type_AsStruct _HPy_AsStruct_Type
#define HPyType_BuiltinShape_Long_AsStruct _HPy_AsStruct_Long
#define HPyType_BuiltinShape_Float_AsStruct _HPy_AsStruct_Float
#define HPyType_BuiltinShape_Unicode_AsStruct _HPy_AsStruct_Unicode
#define HPyType_BuiltinShape_Tuple_AsStruct _HPy_AsStruct_Tuple
#define HPyType_BuiltinShape_List_AsStruct _HPy_AsStruct_List
#define HPyType_BuiltinShape_Dict_AsStruct _HPy_AsStruct_Dict

/* HPyType_HELPERS(TYPE [, SHAPE]) defines TYPE_SHAPE and TYPE *TYPE_AsStruct(ctx, h). */
#define _HPyType_HELPERS_X(_1, _2, NAME, ...) NAME
#define HPyType_HELPERS(...) \
    _HPyType_HELPERS_X(__VA_ARGS__, _HPyType_HELPERS2, _HPyType_HELPERS1, _HPY_UNUSED_NAME)(__VA_ARGS__)
#define _HPyType_HELPERS1(TYPE) _HPyType_HELPERS2(TYPE, HPyType_BuiltinShape_Object)
#define _HPyType_HELPERS2(TYPE, SHAPE) \
    enum { TYPE##_SHAPE = (int)SHAPE }; \
    HPyAPI_UNUSED TYPE *TYPE##_AsStruct(HPyContext *ctx, HPy h) \
    { \
        return (TYPE *)SHAPE##_AsStruct(ctx, h); \
    }

#define HPyType_LEGACY_HELPERS(TYPE) _HPyType_HELPERS2(TYPE, HPyType_BuiltinShape_Legacy)

#define SHAPE(TYPE) ((HPyType_BuiltinShape)TYPE##_SHAPE)

#define HPy_New(ctx, cls, data) (_HPy_New((ctx), (cls), (void **)(data)))

/* The spec param that makes MODULE the defining module of the type (PEP 573,
 * docs/type-module.md): { HPyType_SpecParam_Module, MODULE }, written so that the binary declares
 * the ABI minor version the kind needs (2), as a call of a member of that minor would. For an
 * initializer inside a function (the handle is only known there). */
#define HPyType_SpecParam_MODULE(MODULE) \
    { HPyType_SpecParam_Module, _HPyType_SpecParamModule(MODULE) }

#endif /* HPY_HPYTYPE_H */
