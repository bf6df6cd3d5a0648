"""The HPyDef_*_IMPL macros declare the implementation they name (api.md §5.1): it may be written
after the macro, before it, or be an API function such as HPyType_GenericNew, and one
implementation may serve several definitions. The modules are built as C99 and as C++11 (with
-Wall -Wextra -Werror, see support.py) in every ABI and exercised from Python."""
import array

import pytest


from support import CPYTHON, CompilationError, compile_module as build_binary, free_dropped, release_views

LANGS = [pytest.param(False, id='c'), pytest.param(True, id='c++')]

# Every definition comes before its implementation. @NAME@ is replaced by the module's name.
IMPL_FIRST = r'''
#include "hpy.h"
#include <stdint.h>
#include <stdio.h>

typedef struct {
    long v;
    long items[4];               /* v, v+1, v+2, v+3: the buffer and the sequence */
    HPy_ssize_t shape[1];
    long exports;                /* buffers handed out and not released yet */
} NumObject;
HPyType_HELPERS(NumObject)

typedef struct {
    long tag;
} OtherObject;
HPyType_HELPERS(OtherObject)

static HPyGlobal num_type;
static long others_destroyed;

static void set_value(NumObject *data, long v)
{
    int i;
    data->v = v;
    for (i = 0; i < 4; i++)
        data->items[i] = v + i;
}

/* 1 and the value in *out for a Num or an int, 0 for anything else, -1 on error. */
static int value_of(HPyContext *ctx, HPy o, long *out)
{
    if (HPy_TypeCheck(ctx, o, ctx->h_LongType)) {
        *out = HPyLong_AsLong(ctx, o);
        return HPyErr_Occurred(ctx) ? -1 : 1;
    }
    HPy t = HPyGlobal_Load(ctx, num_type);
    int is_num = HPy_TypeCheck(ctx, o, t);
    HPy_Close(ctx, t);
    if (!is_num)
        return 0;
    *out = NumObject_AsStruct(ctx, o)->v;
    return 1;
}

static HPy new_num(HPyContext *ctx, long v)
{
    NumObject *data;
    HPy t = HPyGlobal_Load(ctx, num_type);
    HPy h = HPy_New(ctx, t, &data);
    HPy_Close(ctx, t);
    if (!HPy_IsNull(h))
        set_value(data, v);
    return h;
}

/* ---- Num ---- */

HPyDef_SLOT_IMPL(Num_new, HPyType_GenericNew, HPy_tp_new)

HPyDef_SLOT_IMPL(Num_init, num_init, HPy_tp_init)
static int num_init(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    long v = 0;
    (void)kw;
    if (!HPyArg_Parse(ctx, NULL, args, (size_t)nargs, "|l", &v))
        return -1;
    set_value(NumObject_AsStruct(ctx, self), v);
    return 0;
}

/* one implementation for two slots */
HPyDef_SLOT_IMPL(Num_repr, num_text, HPy_tp_repr)
HPyDef_SLOT_IMPL(Num_str, num_text, HPy_tp_str)
static HPy num_text(HPyContext *ctx, HPy self)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "Num(%ld)", NumObject_AsStruct(ctx, self)->v);
    return HPyUnicode_FromString(ctx, buf);
}

HPyDef_SLOT_IMPL(Num_add, num_add, HPy_nb_add)
static HPy num_add(HPyContext *ctx, HPy a, HPy b)
{
    long x, y;
    int ra = value_of(ctx, a, &x), rb;
    if (ra < 0)
        return HPy_NULL;
    rb = value_of(ctx, b, &y);
    if (rb < 0)
        return HPy_NULL;
    if (!ra || !rb)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    return new_num(ctx, x + y);
}

HPyDef_SLOT_IMPL(Num_iadd, num_iadd, HPy_nb_inplace_add)
static HPy num_iadd(HPyContext *ctx, HPy self, HPy other)
{
    long y;
    int r = value_of(ctx, other, &y);
    if (r < 0)
        return HPy_NULL;
    if (r == 0)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    NumObject *data = NumObject_AsStruct(ctx, self);
    set_value(data, data->v + 100 * y);      /* unlike +, so that += shows which slot ran */
    return HPy_Dup(ctx, self);
}

HPyDef_SLOT_IMPL(Num_neg, num_neg, HPy_nb_negative)
static HPy num_neg(HPyContext *ctx, HPy self)
{
    return new_num(ctx, -NumObject_AsStruct(ctx, self)->v);
}

HPyDef_SLOT_IMPL(Num_pow, num_pow, HPy_nb_power)
static HPy num_pow(HPyContext *ctx, HPy a, HPy b, HPy mod)
{
    long base, exp, m = 0, result = 1;
    int ra = value_of(ctx, a, &base), rb;
    if (ra < 0)
        return HPy_NULL;
    rb = value_of(ctx, b, &exp);
    if (rb < 0)
        return HPy_NULL;
    if (!ra || !rb)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    if (!HPy_IsNull(mod) && !HPy_Is(ctx, mod, ctx->h_None)) {
        int rm = value_of(ctx, mod, &m);
        if (rm <= 0)
            return rm < 0 ? HPy_NULL : HPy_Dup(ctx, ctx->h_NotImplemented);
    }
    while (exp-- > 0)
        result *= base;
    return new_num(ctx, m ? result % m : result);
}

HPyDef_SLOT_IMPL(Num_bool, num_bool, HPy_nb_bool)
static int num_bool(HPyContext *ctx, HPy self)
{
    return NumObject_AsStruct(ctx, self)->v != 0;
}

HPyDef_SLOT_IMPL(Num_cmp, num_cmp, HPy_tp_richcompare)
static HPy num_cmp(HPyContext *ctx, HPy self, HPy other, HPy_RichCmpOp op)
{
    long x = NumObject_AsStruct(ctx, self)->v, y;
    int r = value_of(ctx, other, &y);
    if (r < 0)
        return HPy_NULL;
    if (r == 0)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    HPy_RETURN_RICHCOMPARE(ctx, x, y, op);
}

HPyDef_SLOT_IMPL(Num_hash, num_hash, HPy_tp_hash)
static HPy_hash_t num_hash(HPyContext *ctx, HPy self)
{
    return 1000 + NumObject_AsStruct(ctx, self)->v;
}

HPyDef_SLOT_IMPL(Num_len, num_len, HPy_sq_length)
static HPy_ssize_t num_len(HPyContext *ctx, HPy self)
{
    (void)ctx; (void)self;
    return 4;
}

/* reached through iteration (no tp_iter): list(n) */
HPyDef_SLOT_IMPL(Num_item, num_item, HPy_sq_item)
static HPy num_item(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    if (i < 0 || i >= 4) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "Num index out of range");
        return HPy_NULL;
    }
    return HPyLong_FromLong(ctx, NumObject_AsStruct(ctx, self)->items[i]);
}

HPyDef_SLOT_IMPL(Num_contains, num_contains, HPy_sq_contains)
static int num_contains(HPyContext *ctx, HPy self, HPy key)
{
    long k;
    int i, r = value_of(ctx, key, &k);
    if (r <= 0)
        return r;
    for (i = 0; i < 4; i++)
        if (NumObject_AsStruct(ctx, self)->items[i] == k)
            return 1;
    return 0;
}

/* n[key]: takes precedence over sq_item; the key is the string "v" or anything else */
HPyDef_SLOT_IMPL(Num_getitem, num_getitem, HPy_mp_subscript)
static HPy num_getitem(HPyContext *ctx, HPy self, HPy key)
{
    if (HPyUnicode_Check(ctx, key))
        return HPyLong_FromLong(ctx, NumObject_AsStruct(ctx, self)->v);
    return HPy_BuildValue(ctx, "sO", "key", key);
}

HPyDef_SLOT_IMPL(Num_setitem, num_setitem, HPy_mp_ass_subscript)
static int num_setitem(HPyContext *ctx, HPy self, HPy key, HPy value)
{
    long v = 0;
    (void)key;
    if (!HPy_IsNull(value) && value_of(ctx, value, &v) <= 0) {
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_TypeError, "a Num or an int is required");
        return -1;
    }
    set_value(NumObject_AsStruct(ctx, self), v);      /* del n[k] resets to 0 */
    return 0;
}

HPyDef_SLOT_IMPL(Num_getbuffer, num_getbuffer, HPy_bf_getbuffer)
static int num_getbuffer(HPyContext *ctx, HPy self, HPy_buffer *view, int flags)
{
    NumObject *data = NumObject_AsStruct(ctx, self);
    if (flags & 0x0001) {                                 /* PyBUF_WRITABLE */
        HPyErr_SetString(ctx, ctx->h_BufferError, "Num buffers are read-only");
        return -1;
    }
    data->shape[0] = 4;
    view->buf = data->items;
    view->obj = HPy_Dup(ctx, self);
    view->len = (HPy_ssize_t)sizeof(data->items);
    view->itemsize = (HPy_ssize_t)sizeof(long);
    view->readonly = 1;
    view->ndim = 1;
    view->format = (char *)"l";
    view->shape = data->shape;
    view->strides = NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    data->exports++;
    return 0;
}

HPyDef_SLOT_IMPL(Num_releasebuffer, num_releasebuffer, HPy_bf_releasebuffer)
static void num_releasebuffer(HPyContext *ctx, HPy self, HPy_buffer *view)
{
    NumObject *data = NumObject_AsStruct(ctx, self);
    if (view->buf == data->items)
        data->exports--;
}

/* getters and setters: one implementation each, told apart by the closure (a factor) */
HPyDef_GETSET_IMPL(Num_value, "value", num_get_scaled, num_set_scaled, .doc = "the value",
                   .closure = (void *)1)
HPyDef_GET_IMPL(Num_double, "double", num_get_scaled, .closure = (void *)2)
HPyDef_SET_IMPL(Num_tens, "tens", num_set_scaled, .closure = (void *)10)
HPyDef_GET_IMPL(Num_exports, "exports", num_get_exports, .doc = "buffers not released yet")

static HPy num_get_scaled(HPyContext *ctx, HPy self, void *closure)
{
    return HPyLong_FromLong(ctx, NumObject_AsStruct(ctx, self)->v * (long)(intptr_t)closure);
}

static int num_set_scaled(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    long v;
    if (HPy_IsNull(value)) {
        HPyErr_SetString(ctx, ctx->h_AttributeError, "cannot delete a Num's value");
        return -1;
    }
    int r = value_of(ctx, value, &v);
    if (r <= 0) {
        if (r == 0)
            HPyErr_SetString(ctx, ctx->h_TypeError, "a Num or an int is required");
        return -1;
    }
    set_value(NumObject_AsStruct(ctx, self), v * (long)(intptr_t)closure);
    return 0;
}

static HPy num_get_exports(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyLong_FromLong(ctx, NumObject_AsStruct(ctx, self)->exports);
}

/* methods of the four signatures */
HPyDef_METH_IMPL(Num_items, "items", num_items, HPyFunc_NOARGS, .doc = "the four items")
static HPy num_items(HPyContext *ctx, HPy self)
{
    long *it = NumObject_AsStruct(ctx, self)->items;
    return HPy_BuildValue(ctx, "(llll)", it[0], it[1], it[2], it[3]);
}

HPyDef_METH_IMPL(Num_plus, "plus", num_add, HPyFunc_O)    /* the nb_add implementation again */

HPyDef_METH_IMPL(Num_total, "total", num_total, HPyFunc_VARARGS)
static HPy num_total(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    long total = NumObject_AsStruct(ctx, self)->v, x;
    size_t i;
    for (i = 0; i < nargs; i++) {
        int r = value_of(ctx, args[i], &x);
        if (r <= 0) {
            if (r == 0)
                HPyErr_SetString(ctx, ctx->h_TypeError, "total() takes Nums and ints");
            return HPy_NULL;
        }
        total += x;
    }
    return HPyLong_FromLong(ctx, total);
}

HPyDef_METH_IMPL(Num_count, "count", num_count, HPyFunc_KEYWORDS)
static HPy num_count(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    HPy_ssize_t nkw = HPy_IsNull(kwnames) ? 0 : HPy_Length(ctx, kwnames);
    (void)self; (void)args;
    return HPy_BuildValue(ctx, "nn", (HPy_ssize_t)nargs, nkw);
}

static HPyDef *Num_defines[] = {
    &Num_new, &Num_init, &Num_repr, &Num_str, &Num_add, &Num_iadd, &Num_neg, &Num_pow,
    &Num_bool, &Num_cmp, &Num_hash, &Num_len, &Num_item, &Num_contains, &Num_getitem,
    &Num_setitem, &Num_getbuffer, &Num_releasebuffer, &Num_value, &Num_double, &Num_tens,
    &Num_exports, &Num_items, &Num_plus, &Num_total, &Num_count, NULL
};
static HPyType_Spec Num_spec = {
    .name = "@NAME@.Num",
    .basicsize = sizeof(NumObject),
    .itemsize = 0,
    .flags = HPy_TPFLAGS_DEFAULT,
    .builtin_shape = SHAPE(NumObject),
    .legacy_slots = NULL,
    .defines = Num_defines,
    .doc = NULL,
};

/* ---- Other: HPyType_GenericNew again, and a slot without a context ---- */

HPyDef_SLOT_IMPL(Other_new, HPyType_GenericNew, HPy_tp_new)

HPyDef_SLOT_IMPL(Other_destroy, other_destroy, HPy_tp_destroy)
static void other_destroy(void *obj)
{
    (void)obj;
    others_destroyed++;
}

static HPyDef *Other_defines[] = { &Other_new, &Other_destroy, NULL };
static HPyType_Spec Other_spec = {
    .name = "@NAME@.Other",
    .basicsize = sizeof(OtherObject),
    .itemsize = 0,
    .flags = HPy_TPFLAGS_DEFAULT,
    .builtin_shape = SHAPE(OtherObject),
    .legacy_slots = NULL,
    .defines = Other_defines,
    .doc = NULL,
};

/* ---- the module ---- */

HPyDef_METH_IMPL(destroyed, "destroyed", module_destroyed, HPyFunc_NOARGS)
static HPy module_destroyed(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyLong_FromLong(ctx, others_destroyed);
}

HPyDef_METH_IMPL(make, "make", module_make, HPyFunc_O)
static HPy module_make(HPyContext *ctx, HPy self, HPy arg)
{
    long v;
    int r = value_of(ctx, arg, &v);
    (void)self;
    if (r <= 0) {
        if (r == 0)
            HPyErr_SetString(ctx, ctx->h_TypeError, "make() takes a Num or an int");
        return HPy_NULL;
    }
    return new_num(ctx, v);
}

HPyDef_SLOT_IMPL(exec_types, module_exec, HPy_mod_exec)
static int module_exec(HPyContext *ctx, HPy m)
{
    if (!HPyHelpers_AddType(ctx, m, "Num", &Num_spec, NULL) ||
            !HPyHelpers_AddType(ctx, m, "Other", &Other_spec, NULL))
        return -1;
    HPy t = HPy_GetAttr_s(ctx, m, "Num");
    if (HPy_IsNull(t))
        return -1;
    HPyGlobal_Store(ctx, &num_type, t);
    HPy_Close(ctx, t);
    return 0;
}

static HPyDef *module_defines[] = { &destroyed, &make, &exec_types, NULL };
static HPyGlobal *module_globals[] = { &num_type, NULL };
static HPyModuleDef moduledef = {
    .doc = "HPyDef_*_IMPL before their implementations",
    .size = 0,
    .legacy_methods = NULL,
    .defines = module_defines,
    .globals = module_globals,
};
HPy_MODINIT(@NAME@, moduledef)
'''


def build(compile_module, source, name, cplusplus):
    name = name + ('_cpp' if cplusplus else '_c')
    return compile_module(source.replace('@NAME@', name), name=name, template=False,
                          cplusplus=cplusplus)


@pytest.mark.parametrize('cplusplus', LANGS)
def test_impl_after_the_macro(compile_module, cplusplus):
    mod = build(compile_module, IMPL_FIRST, 'hpydef_impl_after', cplusplus)
    Num = mod.Num
    n = Num(5)
    # construction (HPyType_GenericNew, tp_init), repr/str (one implementation)
    assert type(n) is Num and type(Num()) is Num and Num().value == 0
    assert repr(n) == 'Num(5)' and str(n) == 'Num(5)'
    with pytest.raises(TypeError):
        Num('five')
    # binary, inplace, unary and ternary number slots
    assert (n + Num(2)).value == 7 and (n + 3).value == 8 and (3 + n).value == 8
    with pytest.raises(TypeError):
        n + 'x'
    m = Num(1)
    alias = m
    m += 2
    assert m is alias and m.value == 201
    assert (-n).value == -5
    assert pow(n, 2).value == 25 and (n ** 3).value == 125 and pow(n, 3, 7).value == 125 % 7
    assert (2 ** Num(3)).value == 8
    assert bool(n) and not bool(Num(0))
    # richcompare and hash
    assert n == 5 and n == Num(5) and n != 4 and n < 6 and n <= Num(5) and n > 4 and n >= 5
    assert not (n < 5) and (n == 'x') is False
    assert hash(n) == 1005
    # sequence and mapping slots
    assert len(n) == 4 and 7 in n and 9 not in n and 'x' not in n
    # iteration through sq_item (the type has no tp_iter); PyPy iterates through __getitem__,
    # which is the mapping slot here, answering every index: no end
    assert not CPYTHON or list(n) == [5, 6, 7, 8]
    assert n['v'] == 5 and n[2] == ('key', 2) and n[-1] == ('key', -1)
    n[0] = 9
    assert n.items() == (9, 10, 11, 12)
    del n['anything']
    assert n.value == 0
    with pytest.raises(TypeError, match='a Num or an int is required'):
        n[0] = 'x'
    # buffer slots
    n.value = 3
    with memoryview(n) as view:
        assert view.tolist() == [3, 4, 5, 6] and view.readonly and view.obj is n
        assert view.format == 'l' and view.shape == (4,)
        assert n.exports == 1
    release_views()
    assert n.exports == 0
    raw = bytes(n)
    release_views()
    assert raw == array.array('l', [3, 4, 5, 6]).tobytes() and n.exports == 0
    # getters and setters, one implementation per kind with a closure
    assert type(n).value.__doc__ == 'the value' and type(n).exports.__doc__ == \
        'buffers not released yet'
    n.value = 4
    assert n.value == 4 and n.double == 8
    n.tens = 3
    assert n.value == 30 and n.double == 60
    with pytest.raises(AttributeError):
        n.tens
    with pytest.raises(AttributeError):
        n.double = 1
    with pytest.raises(AttributeError, match="cannot delete a Num's value"):
        del n.value
    with pytest.raises(TypeError, match='a Num or an int is required'):
        n.value = 'x'
    # methods of every signature
    assert Num.items.__doc__ == 'the four items' and Num(1).items() == (1, 2, 3, 4)
    assert Num(1).plus(Num(2)).value == 3 and Num(1).plus('x') is NotImplemented
    assert Num(1).total() == 1 and Num(1).total(2, Num(3)) == 6
    with pytest.raises(TypeError, match=r'total\(\) takes Nums and ints'):
        Num(1).total('x')
    assert Num(0).count(1, 2, a=3) == (2, 1) and Num(0).count() == (0, 0)
    # the module's own definitions, and a second type made by HPyType_GenericNew
    assert mod.make(Num(6)).value == 6 and type(mod.make(2)) is Num
    o = mod.Other()
    assert type(o) is mod.Other
    before = mod.destroyed()
    del o
    free_dropped()
    assert mod.destroyed() == before + 1


# The other orders: the implementation defined, or declared with HPyFunc_DECLARE or by hand,
# before the *_IMPL macro; next to them the forms without _IMPL.
IMPL_BEFORE = r'''
#include "hpy.h"
#include <stdint.h>

typedef struct {
    long v;
} BoxObject;
HPyType_HELPERS(BoxObject)

static HPy box_get(HPyContext *ctx, HPy self, void *closure)
{
    return HPyLong_FromLong(ctx, BoxObject_AsStruct(ctx, self)->v + (long)(intptr_t)closure);
}
static int box_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    long v = HPyLong_AsLong(ctx, value);
    if (HPyErr_Occurred(ctx))
        return -1;
    BoxObject_AsStruct(ctx, self)->v = v - (long)(intptr_t)closure;
    return 0;
}
HPyDef_GETSET_IMPL(Box_v, "v", box_get, box_set)
HPyDef_GET_IMPL(Box_v10, "v10", box_get, .closure = (void *)10)
HPyDef_SET_IMPL(Box_set5, "set5", box_set, .closure = (void *)5)

HPyFunc_DECLARE(box_neg, HPyFunc_UNARYFUNC);
HPyDef_SLOT_IMPL(Box_neg, box_neg, HPy_nb_negative)
static HPy box_neg(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, -BoxObject_AsStruct(ctx, self)->v);
}

static HPy box_twice(HPyContext *ctx, HPy self, HPy arg);
HPyDef_METH_IMPL(Box_twice, "twice", box_twice, HPyFunc_O)
static HPy box_twice(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPy_Add(ctx, arg, arg);
}

HPyDef_SLOT_IMPL(Box_new, HPyType_GenericNew, HPy_tp_new)

/* the forms without _IMPL */
HPyDef_SLOT(Box_repr, HPy_tp_repr)
static HPy Box_repr_impl(HPyContext *ctx, HPy self)
{
    return HPyUnicode_FromFormat(ctx, "Box(%ld)", BoxObject_AsStruct(ctx, self)->v);
}
HPyDef_METH(Box_plain, "plain", HPyFunc_NOARGS)
static HPy Box_plain_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, BoxObject_AsStruct(ctx, self)->v);
}
HPyDef_GET(Box_g, "g")
static HPy Box_g_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyLong_FromLong(ctx, 2 * BoxObject_AsStruct(ctx, self)->v);
}
HPyDef_SET(Box_s, "s")
static int Box_s_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    (void)closure;
    BoxObject_AsStruct(ctx, self)->v = 3 * HPyLong_AsLong(ctx, value);
    return HPyErr_Occurred(ctx) ? -1 : 0;
}
HPyDef_GETSET(Box_gs, "gs")
static HPy Box_gs_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyLong_FromLong(ctx, BoxObject_AsStruct(ctx, self)->v + 1000);
}
static int Box_gs_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    (void)closure;
    BoxObject_AsStruct(ctx, self)->v = HPyLong_AsLong(ctx, value) - 1000;
    return HPyErr_Occurred(ctx) ? -1 : 0;
}

static HPyDef *Box_defines[] = { &Box_v, &Box_v10, &Box_set5, &Box_neg, &Box_twice, &Box_new,
                                 &Box_repr, &Box_plain, &Box_g, &Box_s, &Box_gs, NULL };
static HPyType_Spec Box_spec = {
    .name = "@NAME@.Box",
    .basicsize = sizeof(BoxObject),
    .itemsize = 0,
    .flags = HPy_TPFLAGS_DEFAULT,
    .builtin_shape = SHAPE(BoxObject),
    .legacy_slots = NULL,
    .defines = Box_defines,
    .doc = NULL,
};

static int module_exec(HPyContext *ctx, HPy m)
{
    return HPyHelpers_AddType(ctx, m, "Box", &Box_spec, NULL) ? 0 : -1;
}
HPyDef_SLOT_IMPL(exec_types, module_exec, HPy_mod_exec)

static HPyDef *module_defines[] = { &exec_types, NULL };
static HPyModuleDef moduledef = {
    .doc = "HPyDef_*_IMPL after their implementations",
    .size = 0,
    .legacy_methods = NULL,
    .defines = module_defines,
    .globals = NULL,
};
HPy_MODINIT(@NAME@, moduledef)
'''


@pytest.mark.parametrize('cplusplus', LANGS)
def test_impl_before_the_macro(compile_module, cplusplus):
    mod = build(compile_module, IMPL_BEFORE, 'hpydef_impl_before', cplusplus)
    b = mod.Box()
    assert b.v == 0 and b.v10 == 10
    b.v = 4
    assert b.v == 4 and b.v10 == 14 and (-b) == -4 and repr(b) == 'Box(4)'
    b.set5 = 7
    assert b.v == 2
    assert b.twice(21) == 42 and b.twice('ab') == 'abab'
    assert b.plain() == 2 and b.g == 4 and b.gs == 1002
    b.s = 5
    assert b.plain() == 15
    b.gs = 1001
    assert b.plain() == 1
    with pytest.raises(AttributeError):
        b.s
    with pytest.raises(AttributeError):
        b.g = 1


# An implementation whose prototype is not the signature's does not build (C++ takes it for an
# overload: the declared function stays undefined, which -Werror reports at compile time).
WRONG_PROTOTYPE = r'''
#include "hpy.h"
HPyDef_METH_IMPL(m, "m", wrong_proto, HPyFunc_NOARGS)
static HPy wrong_proto(HPyContext *ctx, HPy self, HPy extra)
{
    (void)self; (void)extra;
    return HPy_Dup(ctx, ctx->h_None);
}
'''


@pytest.mark.parametrize('cplusplus', LANGS)
@pytest.mark.parametrize('abi', ['cpython', 'universal', 'hybrid'])
def test_wrong_prototype_is_a_compile_error(tmp_path, abi, cplusplus):
    with pytest.raises(CompilationError) as exc:
        build_binary(WRONG_PROTOTYPE, tmp_path, abi, name='wrong_proto_mod', template=False,
                     cplusplus=cplusplus, cache=False)
    errors = [l for l in str(exc.value).splitlines() if ': error: ' in l]
    assert errors and 'wrong_proto' in errors[0], str(exc.value)
    assert ('never defined' if cplusplus else 'conflicting types') in errors[0], errors[0]
