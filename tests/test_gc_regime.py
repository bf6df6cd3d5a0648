"""The functions the garbage collector calls (docs/gc-regime.md): tp_traverse, tp_destroy and
capsule destructors get no context; they use the context-free helpers HPyField_IsNull, HPy_VISIT,
HPy_VISIT_ARRAY and HPyField_VisitArray and the module's plain C data. Runs in every ABI (in debug
mode any API use from them would end the process: tests/test_debug_context.py)."""
import gc
import weakref

import pytest

from support import C_CYCLES

BAG = '''
#include "hpy.h"
#include <stdlib.h>

/* A bag of up to N objects in an inline array of fields, and a C-allocated array of as many
 * more. */
#define N 4
typedef struct {
    HPyField inline_items[N];
    HPyField *extra;             /* N fields, malloc'd */
    long tag;
} BagObject;
HPyType_HELPERS(BagObject)

static long destroyed, destroyed_tags, nonnull_at_destroy;
static int use_function;         /* traverse with HPyField_VisitArray instead of the macro */

HPyDef_SLOT(Bag_new, HPy_tp_new)
static HPy Bag_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    BagObject *b;
    (void)args; (void)nargs; (void)kw;
    HPy h = HPy_New(ctx, cls, &b);
    if (HPy_IsNull(h))
        return h;
    b->extra = (HPyField *)calloc(N, sizeof(HPyField));
    if (b->extra == NULL) {
        HPy_Close(ctx, h);
        return HPyErr_NoMemory(ctx);
    }
    b->tag = 7;
    return h;
}

HPyDef_SLOT(Bag_traverse, HPy_tp_traverse)
static int Bag_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    BagObject *b = (BagObject *)self;
    if (use_function) {
        int r = HPyField_VisitArray(b->inline_items, N, visit, arg);
        if (r)
            return r;
    }
    else {
        HPy_VISIT_ARRAY(b->inline_items, N);
    }
    if (b->extra != NULL)
        HPy_VISIT_ARRAY(b->extra, N);
    return 0;
}

HPyDef_SLOT(Bag_destroy, HPy_tp_destroy)
static void Bag_destroy_impl(void *self)
{
    BagObject *b = (BagObject *)self;
    for (int i = 0; i < N; i++)
        if (!HPyField_IsNull(b->inline_items[i]))
            nonnull_at_destroy++;
    destroyed++;
    destroyed_tags += b->tag;        /* plain C data */
    free(b->extra);                  /* the extra fields were cleared through tp_traverse */
}

/* bag.put(i, obj): 0 <= i < 2N */
HPyDef_METH(Bag_put, "put", HPyFunc_VARARGS)
static HPy Bag_put_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    long i;
    HPy obj;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "lO", &i, &obj))
        return HPy_NULL;
    if (i < 0 || i >= 2 * N) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "bag index out of range");
        return HPy_NULL;
    }
    BagObject *b = BagObject_AsStruct(ctx, self);
    HPyField *f = i < N ? &b->inline_items[i] : &b->extra[i - N];
    HPyField_Store(ctx, self, f, obj);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(Bag_get, "get", HPyFunc_O)
static HPy Bag_get_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long i = HPyLong_AsLong(ctx, arg);
    if (i == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    if (i < 0 || i >= 2 * N) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "bag index out of range");
        return HPy_NULL;
    }
    BagObject *b = BagObject_AsStruct(ctx, self);
    HPyField f = i < N ? b->inline_items[i] : b->extra[i - N];
    if (HPyField_IsNull(f))
        return HPy_Dup(ctx, ctx->h_None);
    return HPyField_Load(ctx, self, f);
}

static HPyDef *Bag_defines[] = { &Bag_new, &Bag_traverse, &Bag_destroy, &Bag_put, &Bag_get,
                                 NULL };
static HPyType_Spec Bag_spec = {
    .name = "gcregime.Bag",
    .basicsize = sizeof(BagObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Bag_defines,
};

HPyDef_METH(counts, "counts", HPyFunc_NOARGS)
static HPy counts_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPy_BuildValue(ctx, "lll", destroyed, destroyed_tags, nonnull_at_destroy);
}

HPyDef_METH(set_use_function, "set_use_function", HPyFunc_O)
static HPy set_use_function_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    use_function = HPy_IsTrue(ctx, arg);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_SLOT(init, HPy_mod_exec)
static int init_impl(HPyContext *ctx, HPy m)
{
    return HPyHelpers_AddType(ctx, m, "Bag", &Bag_spec, NULL) ? 0 : -1;
}

static HPyDef *defines[] = { &counts, &set_use_function, &init, NULL };
static HPyModuleDef moduledef = { .doc = "gc regime", .defines = defines };
HPy_MODINIT(gcregime, moduledef)
'''


class Marker:
    pass


def check_bags(mod):
    d0, t0, n0 = mod.counts()
    # contents, both arrays
    b = mod.Bag()
    items = [Marker() for _ in range(8)]
    for i, x in enumerate(items):
        b.put(i, x)
    assert [b.get(i) for i in range(8)] == items
    # a cycle through each array: collected, tp_destroy runs after the fields were cleared
    a, c = mod.Bag(), mod.Bag()
    a.put(1, c)
    c.put(6, a)                  # in the malloc'd array
    probe = Marker()
    a.put(2, probe)
    wp = weakref.ref(probe)
    del a, c, probe
    gc.collect()
    assert wp() is None
    d1, t1, n1 = mod.counts()
    assert d1 - d0 == 2
    assert t1 - t0 == 14
    assert n1 == n0              # the fields were cleared before tp_destroy
    # the GC sees the objects a bag holds: a referrer query finds the bag
    assert any(r is b for r in gc.get_referrers(items[0]))
    assert b in gc.get_referrers(items[5])
    del b, items
    gc.collect()
    assert mod.counts()[0] - d0 == 3


@pytest.mark.runtime_specific(C_CYCLES)
def test_visit_array_macro(compile_module):
    mod = compile_module(BAG, name='gcregime', template=False)
    mod.set_use_function(False)
    check_bags(mod)


@pytest.mark.runtime_specific(C_CYCLES)
def test_visit_array_function(compile_module):
    mod = compile_module(BAG, name='gcregime', template=False)
    mod.set_use_function(True)
    try:
        check_bags(mod)
    finally:
        mod.set_use_function(False)

