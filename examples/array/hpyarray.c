/* hpyarray: a typed one-dimensional array written only against hpy.h, buildable in every ABI.
 *
 *     Array(dtype, init)    dtype: 'float64', 'int64' or 'object'
 *                           init:  a length (elements start as 0.0, 0 or None) or an iterable
 *
 * The point of the example is the 'object' dtype: an array that holds Python objects must let the
 * garbage collector find every one of them, or a cycle through the array (a[0] = a) is never
 * collected. In HPy that takes three things, all below:
 *   1. each element is an HPyField, written only by HPyField_Store with the array as owner;
 *   2. the type declares HPy_tp_traverse, which visits every element field;
 *   3. the type has HPy_TPFLAGS_HAVE_GC.
 * A plain HPy must never be kept in the array: a handle is valid only until it is closed or the
 * call that received it returns, and the GC does not see it. */
#include "hpy.h"               /* first: in the CPython ABIs it includes Python.h */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Buffer request flags. HPy passes the consumer's flags through unchanged, so they have the
 * values of CPython's PyBUF_* (which the universal ABI cannot include). */
#define ARRAY_BUF_FORMAT  0x0004
#define ARRAY_BUF_ND      0x0008
#define ARRAY_BUF_STRIDES (0x0010 | ARRAY_BUF_ND)

typedef enum { DTYPE_FLOAT64 = 0, DTYPE_INT64 = 1, DTYPE_OBJECT = 2 } DType;

static const struct {
    const char *name;
    const char *format;        /* struct-module format of the buffer; NULL: no buffer */
    HPy_ssize_t itemsize;
} dtypes[] = {
    { "float64", "d", sizeof(double) },
    { "int64", "q", sizeof(int64_t) },
    { "object", NULL, sizeof(HPyField) },
};

/* Storage. The elements live in one block of C memory owned by the array and freed by its
 * tp_destroy, not in the object itself: HPy_New allocates exactly the type's basicsize (it takes
 * no item count, unlike CPython's tp_alloc(type, n)), so HPy offers no way to give an object a
 * variable-sized tail. HPyFields may live in such a block because
 *   - the block belongs to exactly one array and every HPyField_Store into it names that array
 *     as the owner;
 *   - the array's tp_traverse visits every field of the block;
 *   - the block never moves or changes size after creation, so a field is never copied bitwise:
 *     it is written only by HPyField_Store (the block starts zeroed: every field HPyField_NULL).
 * The block is allocated before `length` is set: tp_traverse and tp_destroy may run on an array
 * that was never completed, and they only look at `length` elements. */
typedef struct {
    DType dtype;
    HPy_ssize_t length;        /* fixed at creation; the buffer's shape points here */
    HPy_ssize_t itemsize;      /* the buffer's stride points here */
    HPy_ssize_t exports;       /* buffer views exported and not yet released */
    union {
        void *raw;
        double *f64;
        int64_t *i64;
        HPyField *obj;         /* HPyField_NULL reads as None */
    } data;
} ArrayObject;
HPyType_HELPERS(ArrayObject)

static int parse_dtype(HPyContext *ctx, const char *name, DType *out)
{
    int i;
    for (i = 0; i < (int)(sizeof(dtypes) / sizeof(dtypes[0])); i++) {
        if (strcmp(name, dtypes[i].name) == 0) {
            *out = (DType)i;
            return 0;
        }
    }
    HPyErr_Format(ctx, ctx->h_ValueError,
                  "unknown dtype '%s' (expected 'float64', 'int64' or 'object')", name);
    return -1;
}

/* Converts value to a C number of a numeric dtype and writes it at dest.
 * Returns 0, or -1 with an exception set (dest untouched). */
static int number_to_c(HPyContext *ctx, DType dtype, HPy value, void *dest)
{
    if (dtype == DTYPE_FLOAT64) {
        double v = HPyFloat_AsDouble(ctx, value);
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return -1;
        *(double *)dest = v;
    } else {
        int64_t v = HPyLong_AsInt64_t(ctx, value);
        if (v == -1 && HPyErr_Occurred(ctx))
            return -1;
        *(int64_t *)dest = v;
    }
    return 0;
}

/* Element i (0 <= i < length) as a new handle. */
static HPy element_get(HPyContext *ctx, HPy self, ArrayObject *a, HPy_ssize_t i)
{
    switch (a->dtype) {
    case DTYPE_FLOAT64:
        return HPyFloat_FromDouble(ctx, a->data.f64[i]);
    case DTYPE_INT64:
        return HPyLong_FromInt64_t(ctx, a->data.i64[i]);
    default:
        if (HPyField_IsNull(a->data.obj[i]))
            return HPy_Dup(ctx, ctx->h_None);
        return HPyField_Load(ctx, self, a->data.obj[i]);
    }
}

/* Writes value (borrowed) into element i (0 <= i < length) of self.
 * Returns 0, or -1 with an exception set (the element unchanged). */
static int element_set(HPyContext *ctx, HPy self, ArrayObject *a, HPy_ssize_t i, HPy value)
{
    if (a->dtype == DTYPE_OBJECT) {
        /* the owner handle tells HPy which object now holds the reference (a runtime with a
         * generational or moving GC needs it for its write barrier) */
        HPyField_Store(ctx, self, &a->data.obj[i], value);
        return 0;
    }
    return number_to_c(ctx, a->dtype, value, (char *)a->data.raw + i * a->itemsize);
}

/* A new array of n elements. `block` (may be NULL: a zeroed block is allocated) holds the
 * elements of a numeric dtype and is owned by the array from now on, even on failure. */
static HPy array_create(HPyContext *ctx, HPy type, DType dtype, HPy_ssize_t n, void *block,
                        ArrayObject **out)
{
    ArrayObject *a;
    HPy_ssize_t itemsize = dtypes[dtype].itemsize;
    HPy h = HPy_New(ctx, type, &a);
    if (HPy_IsNull(h)) {
        free(block);
        return HPy_NULL;
    }
    a->dtype = dtype;
    a->itemsize = itemsize;
    a->data.raw = block ? block : calloc(n > 0 ? (size_t)n : 1, (size_t)itemsize);
    if (a->data.raw == NULL) {
        HPy_Close(ctx, h);
        return HPyErr_NoMemory(ctx);
    }
    a->length = n;
    *out = a;
    return h;
}

/* Array(dtype, <iterable>). Numeric elements are converted while iterating, into a growing
 * block that becomes the array's storage. Objects are first kept as handles: a field can only be
 * written with its final owner, which does not exist before the length is known. Keeping handles
 * in C memory is fine for the duration of this call; all of them are closed before it returns. */
static HPy array_from_iterable(HPyContext *ctx, HPy type, DType dtype, HPy iterable)
{
    size_t itemsize = dtype == DTYPE_OBJECT ? sizeof(HPy) : (size_t)dtypes[dtype].itemsize;
    char *block = NULL;
    size_t n = 0, cap = 0, i;
    HPy result = HPy_NULL;
    HPy it = HPy_GetIter(ctx, iterable);
    if (HPy_IsNull(it))
        return HPy_NULL;
    for (;;) {
        HPy item = HPyIter_Next(ctx, it);
        if (HPy_IsNull(item)) {
            if (HPyErr_Occurred(ctx))
                goto done;
            break;
        }
        if (n == cap) {
            size_t newcap = cap ? 2 * cap : 16;
            char *grown = newcap <= (size_t)HPY_SSIZE_T_MAX / itemsize ?
                          (char *)realloc(block, newcap * itemsize) : NULL;
            if (grown == NULL) {
                HPy_Close(ctx, item);
                HPyErr_NoMemory(ctx);
                goto done;
            }
            block = grown;
            cap = newcap;
        }
        if (dtype == DTYPE_OBJECT) {
            ((HPy *)block)[n++] = item;             /* owned; closed at `done` */
            continue;
        }
        if (number_to_c(ctx, dtype, item, block + n * itemsize) < 0) {
            HPy_Close(ctx, item);
            goto done;
        }
        HPy_Close(ctx, item);
        n++;
    }
    if (dtype != DTYPE_OBJECT) {
        ArrayObject *a;
        if (n == 0) {
            free(block);
            block = NULL;
        } else if (n < cap) {
            char *fitted = (char *)realloc(block, n * itemsize);
            if (fitted != NULL)
                block = fitted;
        }
        result = array_create(ctx, type, dtype, (HPy_ssize_t)n, block, &a);
        block = NULL;                                /* the array owns it now */
    } else {
        ArrayObject *a;
        result = array_create(ctx, type, dtype, (HPy_ssize_t)n, NULL, &a);
        for (i = 0; i < n && !HPy_IsNull(result); i++)
            HPyField_Store(ctx, result, &a->data.obj[i], ((HPy *)block)[i]);
    }
done:
    if (dtype == DTYPE_OBJECT) {
        for (i = 0; i < n; i++)
            HPy_Close(ctx, ((HPy *)block)[i]);
    }
    free(block);
    HPy_Close(ctx, it);
    return result;
}

/* Array(dtype, <int>): n zeroed elements (0.0, 0 or None). */
static HPy array_of_length(HPyContext *ctx, HPy type, DType dtype, HPy length)
{
    ArrayObject *a;
    HPy_ssize_t n = HPyLong_AsSsize_t(ctx, length);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    if (n < 0)
        return HPyErr_SetString(ctx, ctx->h_ValueError, "array length must be >= 0");
    if (n > HPY_SSIZE_T_MAX / dtypes[dtype].itemsize)
        return HPyErr_NoMemory(ctx);
    return array_create(ctx, type, dtype, n, NULL, &a);
}

HPyDef_SLOT(Array_new, HPy_tp_new)
static HPy Array_new_impl(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    static const char *kwlist[] = { "dtype", "init", NULL };
    const char *dtype_name;
    HPy init, result;
    HPyTracker ht;                   /* owns `init`: the handle may come from the kw dict */
    DType dtype;
    if (!HPyArg_ParseKeywordsDict(ctx, &ht, args, nargs, kw, "sO:Array", kwlist,
                                  &dtype_name, &init))
        return HPy_NULL;
    if (parse_dtype(ctx, dtype_name, &dtype) < 0)
        result = HPy_NULL;
    else if (HPy_TypeCheck(ctx, init, ctx->h_LongType))
        result = array_of_length(ctx, type, dtype, init);
    else
        result = array_from_iterable(ctx, type, dtype, init);
    HPyTracker_Close(ctx, ht);
    return result;
}

/* The GC's view of the array: every element field of an object array, nothing for the numeric
 * dtypes. Called without a context; it must only read the struct and call HPy_VISIT. */
HPyDef_SLOT(Array_traverse, HPy_tp_traverse)
static int Array_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    ArrayObject *a = (ArrayObject *)self;
    HPy_ssize_t i;
    if (a->dtype != DTYPE_OBJECT)
        return 0;
    for (i = 0; i < a->length; i++)
        HPy_VISIT(&a->data.obj[i]);
    return 0;
}

/* Runs after HPy has cleared every field tp_traverse visits; it frees C memory and nothing else
 * (no context: it must not call the HPy API). */
HPyDef_SLOT(Array_destroy, HPy_tp_destroy)
static void Array_destroy_impl(void *self)
{
    free(((ArrayObject *)self)->data.raw);
}

HPyDef_SLOT(Array_len, HPy_sq_length)
static HPy_ssize_t Array_len_impl(HPyContext *ctx, HPy self)
{
    return ArrayObject_AsStruct(ctx, self)->length;
}

/* a[i]: the interpreter has already converted the index and added len(a) to a negative one (the
 * sequence protocol), so only the range is left to check. A non-integer index is a TypeError
 * raised before this is called. */
HPyDef_SLOT(Array_item, HPy_sq_item)
static HPy Array_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    ArrayObject *a = ArrayObject_AsStruct(ctx, self);
    if (i < 0 || i >= a->length)
        return HPyErr_SetString(ctx, ctx->h_IndexError, "array index out of range");
    return element_get(ctx, self, a, i);
}

/* a[i] = value, same index rules as a[i]; `del a[i]` (value is HPy_NULL) is a TypeError: the
 * length is fixed. */
HPyDef_SLOT(Array_ass_item, HPy_sq_ass_item)
static int Array_ass_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i, HPy value)
{
    ArrayObject *a = ArrayObject_AsStruct(ctx, self);
    if (HPy_IsNull(value)) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "array elements cannot be deleted");
        return -1;
    }
    if (i < 0 || i >= a->length) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "array assignment index out of range");
        return -1;
    }
    return element_set(ctx, self, a, i, value);
}

/* Sum of an object array: 0 + a[0] + a[1] + ..., each step an HPy_Add (any Python __add__). */
static HPy object_sum(HPyContext *ctx, HPy self, ArrayObject *a)
{
    HPy_ssize_t i;
    HPy acc = HPyLong_FromLong(ctx, 0);
    for (i = 0; i < a->length && !HPy_IsNull(acc); i++) {
        HPy item = element_get(ctx, self, a, i);
        HPy next = HPy_IsNull(item) ? HPy_NULL : HPy_Add(ctx, acc, item);
        HPy_Close(ctx, item);
        HPy_Close(ctx, acc);
        acc = next;
    }
    return acc;
}

HPyDef_METH(Array_sum, "sum", HPyFunc_NOARGS, .doc = "Sum of the elements (0 when empty)")
static HPy Array_sum_impl(HPyContext *ctx, HPy self)
{
    ArrayObject *a = ArrayObject_AsStruct(ctx, self);
    HPy_ssize_t i;
    switch (a->dtype) {
    case DTYPE_FLOAT64: {
        const double *p = a->data.f64;
        double s = 0.0;
        for (i = 0; i < a->length; i++)
            s += p[i];
        return HPyFloat_FromDouble(ctx, s);
    }
    case DTYPE_INT64: {
        const int64_t *p = a->data.i64;
        int64_t s = 0;
        for (i = 0; i < a->length; i++) {
            if ((p[i] > 0 && s > INT64_MAX - p[i]) || (p[i] < 0 && s < INT64_MIN - p[i]))
                return HPyErr_SetString(ctx, ctx->h_OverflowError, "int64 sum overflows");
            s += p[i];
        }
        return HPyLong_FromInt64_t(ctx, s);
    }
    default:
        return object_sum(ctx, self, a);
    }
}

HPyDef_GET(Array_dtype, "dtype", .doc = "'float64', 'int64' or 'object'")
static HPy Array_dtype_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyUnicode_FromString(ctx, dtypes[ArrayObject_AsStruct(ctx, self)->dtype].name);
}

HPyDef_GET(Array_exports, "exports", .doc = "Buffer views exported and not yet released")
static HPy Array_exports_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyLong_FromSsize_t(ctx, ArrayObject_AsStruct(ctx, self)->exports);
}

/* The buffer protocol, numeric dtypes only: a writable one-dimensional C-contiguous view of the
 * storage, format 'd' or 'q'. shape and strides point into the array, which the view keeps
 * alive (view->obj), and the storage never moves, so the view stays valid until released.
 * An object array refuses: its elements are HPyFields, whose bits mean nothing outside HPy. */
HPyDef_SLOT(Array_getbuffer, HPy_bf_getbuffer)
static int Array_getbuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view, int flags)
{
    ArrayObject *a = ArrayObject_AsStruct(ctx, self);
    if (dtypes[a->dtype].format == NULL) {
        HPyErr_SetString(ctx, ctx->h_BufferError, "object arrays do not export a buffer");
        return -1;
    }
    view->buf = a->data.raw;
    view->obj = HPy_Dup(ctx, self);
    view->len = a->length * a->itemsize;
    view->itemsize = a->itemsize;
    view->readonly = 0;
    view->ndim = 1;
    view->format = (flags & ARRAY_BUF_FORMAT) ? (char *)dtypes[a->dtype].format : NULL;
    view->shape = (flags & ARRAY_BUF_ND) ? &a->length : NULL;
    view->strides = (flags & ARRAY_BUF_STRIDES) == ARRAY_BUF_STRIDES ? &a->itemsize : NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    a->exports++;
    return 0;
}

HPyDef_SLOT(Array_releasebuffer, HPy_bf_releasebuffer)
static void Array_releasebuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view)
{
    (void)view;
    ArrayObject_AsStruct(ctx, self)->exports--;
}

static HPyDef *Array_defines[] = {
    &Array_new,
    &Array_traverse,
    &Array_destroy,
    &Array_len,
    &Array_item,
    &Array_ass_item,
    &Array_sum,
    &Array_dtype,
    &Array_exports,
    &Array_getbuffer,
    &Array_releasebuffer,
    NULL
};

static HPyType_Spec Array_spec = {
    .name = "hpyarray.Array",
    .doc = "Array(dtype, init): a fixed-length array of float64, int64 or object elements",
    .basicsize = sizeof(ArrayObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .builtin_shape = SHAPE(ArrayObject),
    .defines = Array_defines,
};

HPyDef_SLOT(add_types, HPy_mod_exec)
static int add_types_impl(HPyContext *ctx, HPy m)
{
    return HPyHelpers_AddType(ctx, m, "Array", &Array_spec, NULL) ? 0 : -1;
}

HPyDef_METH(abi, "abi", HPyFunc_NOARGS, .doc = "The ABI this module was compiled for")
static HPy abi_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, HPY_ABI);
}

static HPyDef *module_defines[] = {
    &add_types,
    &abi,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "HPy example: a typed array whose object elements the GC can see",
    .defines = module_defines,
};

HPy_MODINIT(hpyarray, moduledef)
