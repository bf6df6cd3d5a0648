"""Types of the default shape whose instances vary in size (HPyType_Spec.itemsize > 0): the
layout (a PyVarObject header, the struct, then the items), the sizes CPython sees, allocation,
subclasses, the garbage collector, vectorcall through an explicit __vectorcalloffset__, and the
bases such a type may not have (docs/runtime.md, Types).

HPy has no call that allocates items: HPy_New, HPyType_GenericNew and calling the type make
instances with none. Instances with items come from the type's tp_alloc, called by C-API code;
here that is PyType_GenericAlloc called through ctypes, which works the same in every ABI
(tests/test_type_legacy.py does it from the module itself, in the ABIs that see Python.h)."""
import ctypes
import gc
import sys

import pytest

from type_helpers import raises_exactly, with_types

# every test reads CPython's object layout at id(obj) or allocates through ctypes.pythonapi
pytestmark = pytest.mark.runtime_specific(
    "reads CPython's object layout at id(obj) (ob_size, the struct's offset) and calls "
    'PyType_GenericAlloc through ctypes.pythonapi (PyPy has neither)')

# where CPython keeps the item count of a variable-size object (PyVarObject.ob_size)
OB_SIZE_OFFSET = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
VAR_HEADER = OB_SIZE_OFFSET + ctypes.sizeof(ctypes.c_ssize_t)
Py_TPFLAGS_HAVE_VECTORCALL = 1 << 11


def alloc(T, n):
    """A new instance of T with n items, as C-API code makes one."""
    generic_alloc = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object, ctypes.c_ssize_t)(
        ('PyType_GenericAlloc', ctypes.pythonapi))
    return generic_alloc(T, n)


def struct_offset(mod, obj):
    return mod.struct_addr(obj) - id(obj)


def ob_size(obj):
    return ctypes.c_ssize_t.from_address(id(obj) + OB_SIZE_OFFSET).value


VAR = '''
/* The struct; the items (long long) follow it. */
typedef struct {
    HPy_ssize_t n;          /* the items in use: the module's own record */
    long tag;
} VarObject;
HPyType_HELPERS(VarObject)

/* A struct with a call function of its own, and the same items. */
typedef struct {
    VarObject base;
    HPyCallFunction call;
} VarCallObject;
HPyType_HELPERS(VarCallObject)

/* The items are HPyFields the garbage collector sees. */
typedef struct {
    HPy_ssize_t n;
} VarGCObject;
HPyType_HELPERS(VarGCObject)

static long long *items_after(VarObject *v, size_t struct_size)
{
    return (long long *)((char *)v + struct_size);
}

static HPy do_fill(HPyContext *ctx, VarObject *v, size_t struct_size, const HPy *args,
                   size_t nargs)
{
    if (nargs != 3)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "fill(n, first, tag)");
    HPy_ssize_t n = HPyLong_AsSsize_t(ctx, args[0]);
    long long first = HPyLong_AsLongLong(ctx, args[1]);
    long tag = HPyLong_AsLong(ctx, args[2]);
    if (HPyErr_Occurred(ctx))
        return HPy_NULL;
    long long *items = items_after(v, struct_size);
    for (HPy_ssize_t i = 0; i < n; i++)
        items[i] = first + i;
    v->n = n;
    v->tag = tag;
    return HPy_Dup(ctx, ctx->h_None);
}

static HPy do_items(HPyContext *ctx, VarObject *v, size_t struct_size)
{
    HPyTupleBuilder b = HPyTupleBuilder_New(ctx, v->n);
    long long *items = items_after(v, struct_size);
    for (HPy_ssize_t i = 0; i < v->n; i++) {
        HPy item = HPyLong_FromLongLong(ctx, items[i]);
        HPyTupleBuilder_Set(ctx, b, i, item);
        HPy_Close(ctx, item);
    }
    return HPyTupleBuilder_Build(ctx, b);
}

HPyDef_METH(Var_fill, "fill", HPyFunc_VARARGS)
static HPy Var_fill_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    return do_fill(ctx, VarObject_AsStruct(ctx, self), sizeof(VarObject), args, nargs);
}

HPyDef_METH(Var_items, "items", HPyFunc_NOARGS)
static HPy Var_items_impl(HPyContext *ctx, HPy self)
{
    return do_items(ctx, VarObject_AsStruct(ctx, self), sizeof(VarObject));
}

HPyDef_MEMBER(Var_n, "n", HPyMember_HPYSSIZET, offsetof(VarObject, n), .readonly = 1)
HPyDef_MEMBER(Var_tag, "tag", HPyMember_LONG, offsetof(VarObject, tag))

static HPyDef *Var_defines[] = { &Var_fill, &Var_items, &Var_n, &Var_tag, NULL };
static HPyType_Spec Var_spec = {
    .name = "mytest.Var", .basicsize = sizeof(VarObject), .itemsize = sizeof(long long),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Var_defines,
};
/* HPy subclasses: one inherits the struct, one repeats it and the item size */
static HPyType_Spec SubInherit_spec = {
    .name = "mytest.SubInherit", .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
static HPyType_Spec SubSame_spec = {
    .name = "mytest.SubSame", .basicsize = sizeof(VarObject), .itemsize = sizeof(long long),
    .flags = HPy_TPFLAGS_DEFAULT,
};

/* ---- vectorcall ---- */
HPyDef_CALL_FUNCTION(var_sum)
static HPy var_sum_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs,
                        HPy kwnames)
{
    (void)args; (void)kwnames;
    VarObject *v = &VarCallObject_AsStruct(ctx, callable)->base;
    long long *items = items_after(v, sizeof(VarCallObject));
    long long sum = 0;
    for (HPy_ssize_t i = 0; i < v->n; i++)
        sum += items[i];
    return HPy_BuildValue(ctx, "nLn", v->n, sum, (HPy_ssize_t)nargs);
}

HPyDef_METH(VarCall_set_call, "set_call", HPyFunc_NOARGS)
static HPy VarCall_set_call_impl(HPyContext *ctx, HPy self)
{
    if (HPy_SetCallFunction(ctx, self, &var_sum) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(VarCall_fill, "fill", HPyFunc_VARARGS)
static HPy VarCall_fill_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    return do_fill(ctx, &VarCallObject_AsStruct(ctx, self)->base, sizeof(VarCallObject), args,
                   nargs);
}

HPyDef_MEMBER(VarCall_vcoff, "__vectorcalloffset__", HPyMember_HPYSSIZET,
              offsetof(VarCallObject, call), .readonly = 1)

static HPyDef *VarCall_defines[] = { &VarCall_set_call, &VarCall_fill, &VarCall_vcoff, NULL };
static HPyType_Spec VarCall_spec = {
    .name = "mytest.VarCall", .basicsize = sizeof(VarCallObject), .itemsize = sizeof(long long),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_VECTORCALL, .defines = VarCall_defines,
};

/* ---- garbage collection ---- */
static long var_gc_destroyed;

static HPyField *fields_of(VarGCObject *v)
{
    return (HPyField *)((char *)v + sizeof(VarGCObject));
}

HPyDef_SLOT(VarGC_traverse, HPy_tp_traverse)
static int VarGC_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    VarGCObject *v = (VarGCObject *)self;
    HPy_VISIT_ARRAY(fields_of(v), v->n);
    return 0;
}

HPyDef_SLOT(VarGC_destroy, HPy_tp_destroy)
static void VarGC_destroy_impl(void *self)
{
    (void)self;
    var_gc_destroyed++;
}

HPyDef_METH(VarGC_use, "use", HPyFunc_O)
static HPy VarGC_use_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPy_ssize_t n = HPyLong_AsSsize_t(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    VarGCObject_AsStruct(ctx, self)->n = n;
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyField *field_at(HPyContext *ctx, HPy self, HPy index)
{
    VarGCObject *v = VarGCObject_AsStruct(ctx, self);
    HPy_ssize_t i = HPyLong_AsSsize_t(ctx, index);
    if (i == -1 && HPyErr_Occurred(ctx))
        return NULL;
    if (i < 0 || i >= v->n) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "no such item");
        return NULL;
    }
    return &fields_of(v)[i];
}

HPyDef_METH(VarGC_put, "put", HPyFunc_VARARGS)
static HPy VarGC_put_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "put(i, value)");
    HPyField *f = field_at(ctx, self, args[0]);
    if (f == NULL)
        return HPy_NULL;
    HPyField_Store(ctx, self, f, args[1]);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(VarGC_get, "get", HPyFunc_O)
static HPy VarGC_get_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPyField *f = field_at(ctx, self, arg);
    if (f == NULL)
        return HPy_NULL;
    if (HPyField_IsNull(*f))
        return HPy_Dup(ctx, ctx->h_Ellipsis);
    return HPyField_Load(ctx, self, *f);
}

static HPyDef *VarGC_defines[] = { &VarGC_traverse, &VarGC_destroy, &VarGC_use, &VarGC_put,
                                   &VarGC_get, NULL };
static HPyType_Spec VarGC_spec = {
    .name = "mytest.VarGC", .basicsize = sizeof(VarGCObject), .itemsize = sizeof(HPyField),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC, .defines = VarGC_defines,
};

/* ---- module functions ---- */
/* the address of obj's struct */
HPyDef_METH(struct_addr, "struct_addr", HPyFunc_O)
static HPy struct_addr_impl(HPyContext *ctx, HPy self, HPy obj)
{
    (void)self;
    return HPyLong_FromSize_t(ctx, (size_t)(uintptr_t)VarObject_AsStruct(ctx, obj));
}

/* (sizeof(VarObject), sizeof(VarCallObject), sizeof(VarGCObject)) */
HPyDef_METH(sizes, "sizes", HPyFunc_NOARGS)
static HPy sizes_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPy_BuildValue(ctx, "nnn", (HPy_ssize_t)sizeof(VarObject),
                          (HPy_ssize_t)sizeof(VarCallObject), (HPy_ssize_t)sizeof(VarGCObject));
}

/* an instance made by HPy_New, its struct zeroed and then written */
HPyDef_METH(hpy_new, "hpy_new", HPyFunc_O)
static HPy hpy_new_impl(HPyContext *ctx, HPy self, HPy type)
{
    VarObject *v;
    (void)self;
    HPy h = HPy_New(ctx, type, &v);
    if (HPy_IsNull(h))
        return HPy_NULL;
    if (v != VarObject_AsStruct(ctx, h) || v->n != 0 || v->tag != 0) {
        HPy_Close(ctx, h);
        return HPyErr_SetString(ctx, ctx->h_AssertionError, "HPy_New: a zeroed struct");
    }
    v->tag = -1;
    return h;
}

HPyDef_METH(generic_new, "generic_new", HPyFunc_O)
static HPy generic_new_impl(HPyContext *ctx, HPy self, HPy type)
{
    (void)self;
    return HPyType_GenericNew(ctx, type, NULL, 0, HPy_NULL);
}

HPyDef_METH(destroyed, "destroyed", HPyFunc_NOARGS)
static HPy destroyed_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyLong_FromLong(ctx, var_gc_destroyed);
}

@EXPORT(struct_addr)
@EXPORT(sizes)
@EXPORT(hpy_new)
@EXPORT(generic_new)
@EXPORT(destroyed)
@INIT
'''

BASE = '{ { HPyType_SpecParam_Base, _add_types_base }, { 0, { 0 } } }'


def var_module(compile_module):
    return compile_module(with_types(VAR, ('Var', 'Var_spec'),
                                     ('SubInherit', 'SubInherit_spec', BASE),
                                     ('SubSame', 'SubSame_spec', BASE),
                                     ('VarCall', 'VarCall_spec'), ('VarGC', 'VarGC_spec')))


def test_layout(compile_module):
    """A PyVarObject header, the struct after it (aligned as any struct), the items after the
    struct."""
    mod = var_module(compile_module)
    size, call_size, gc_size = mod.sizes()
    for T, struct_size, itemsize in ((mod.Var, size, 8), (mod.VarCall, call_size, 8),
                                     (mod.VarGC, gc_size, ctypes.sizeof(ctypes.c_void_p))):
        offset = struct_offset(mod, T())
        assert offset >= VAR_HEADER and offset % 8 == 0
        assert T.__basicsize__ == offset + struct_size
        assert T.__itemsize__ == itemsize


@pytest.mark.parametrize('n', [0, 1, 2, 7, 100])
def test_items(compile_module, n):
    mod = var_module(compile_module)
    o = alloc(mod.Var, n)
    assert type(o) is mod.Var and ob_size(o) == n
    assert (o.n, o.tag, o.items()) == (0, 0, ())
    # every bit of the struct set: the item count next to it is left alone
    o.fill(n, 1000, -1)
    assert o.items() == tuple(range(1000, 1000 + n))
    assert (o.n, o.tag) == (n, -1) and ob_size(o) == n
    o.tag = 5
    assert o.tag == 5 and o.items() == tuple(range(1000, 1000 + n))
    # sizes: the struct and the items
    assert o.__sizeof__() == mod.Var.__basicsize__ + n * mod.Var.__itemsize__
    assert sys.getsizeof(o) - sys.getsizeof(alloc(mod.Var, 0)) == 8 * n


def test_instances_without_items(compile_module):
    """HPy's ways of making an instance make one without items."""
    mod = var_module(compile_module)
    for o in (mod.Var(), mod.hpy_new(mod.Var), mod.generic_new(mod.Var), mod.SubInherit(),
              mod.hpy_new(mod.SubSame)):
        assert ob_size(o) == 0 and o.n == 0 and o.items() == ()
        assert o.__sizeof__() == type(o).__basicsize__
    o = mod.hpy_new(mod.Var)
    assert o.tag == -1 and ob_size(o) == 0


def test_hpy_subclasses(compile_module):
    mod = var_module(compile_module)
    for T in (mod.SubInherit, mod.SubSame):
        assert T.__basicsize__ == mod.Var.__basicsize__ and T.__itemsize__ == 8
        assert struct_offset(mod, T()) == struct_offset(mod, mod.Var())
        o = alloc(T, 5)
        o.fill(5, -2, 77)
        assert o.items() == (-2, -1, 0, 1, 2) and o.tag == 77 and ob_size(o) == 5
        assert o.__sizeof__() == T.__basicsize__ + 5 * 8


def test_python_subclass(compile_module):
    """A class made by Python gets its __dict__ after the items, found through the item count."""
    mod = var_module(compile_module)

    class Sub(mod.Var):
        pass
    assert Sub.__itemsize__ == 8
    objs = [alloc(Sub, n) for n in (0, 3, 9)]
    for o, n in zip(objs, (0, 3, 9)):
        o.fill(n, 10 * n, n)
        o.attr = 'attr %d' % n
    for o, n in zip(objs, (0, 3, 9)):
        assert o.items() == tuple(range(10 * n, 11 * n)) and o.tag == n and ob_size(o) == n
        assert o.attr == 'attr %d' % n and o.__dict__ == {'attr': 'attr %d' % n}
    assert Sub().items() == ()


def test_gc(compile_module):
    mod = var_module(compile_module)
    assert mod.VarGC.__flags__ & (1 << 14)          # Py_TPFLAGS_HAVE_GC
    before = mod.destroyed()
    o = alloc(mod.VarGC, 4)
    assert gc.is_tracked(o) and ob_size(o) == 4
    o.use(4)
    values = [object(), 'x', [1]]
    for i, v in enumerate(values):
        o.put(i, v)
    assert [o.get(i) for i in range(4)] == values + [...]
    referents = gc.get_referents(o)
    assert all(any(r is v for r in referents) for v in values)
    with raises_exactly(IndexError, 'no such item'):
        o.get(4)
    # a cycle through the items is collected
    o.put(3, [o])
    del o, referents
    gc.collect()
    assert mod.destroyed() == before + 1
    # and an instance without items is freed at once
    mod.VarGC()
    assert mod.destroyed() == before + 2


def test_vectorcall(compile_module):
    """An explicit __vectorcalloffset__ member in the struct: the object is called through the
    function HPy_SetCallFunction put there."""
    mod = var_module(compile_module)
    T = mod.VarCall
    assert T.__flags__ & Py_TPFLAGS_HAVE_VECTORCALL
    for n in (0, 1, 5):
        o = alloc(T, n)
        with pytest.raises(TypeError):
            o()                                 # no call function yet
        o.set_call()
        o.fill(n, 10, 0)
        assert o() == (n, sum(range(10, 10 + n)), 0)
        assert o(1, 2, k=3) == (n, sum(range(10, 10 + n)), 2)
        assert o.__sizeof__() == T.__basicsize__ + 8 * n
    o = T()
    o.set_call()
    assert o('a') == (0, 0, 1)


ERRORS = '''
typedef struct { long x; } Fixed;
typedef struct { long a; long b; } Two;
static HPyType_Spec Var_spec = {
    .name = "mytest.Var", .basicsize = sizeof(Fixed), .itemsize = 8,
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
static HPyType_Spec Fixed_spec = {
    .name = "mytest.Fixed", .basicsize = sizeof(Fixed),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
static HPyType_Spec NoStruct_spec = {
    .name = "mytest.NoStruct", .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
/* the specs tried on a base: */
static HPyType_Spec VarOn = { .name = "mytest.VarOn", .basicsize = sizeof(Fixed), .itemsize = 8 };
static HPyType_Spec Items4 = { .name = "mytest.Items4", .basicsize = sizeof(Fixed),
                               .itemsize = 4 };
static HPyType_Spec Bigger = { .name = "mytest.Bigger", .basicsize = sizeof(Two) };
static HPyType_Spec BiggerVar = { .name = "mytest.BiggerVar", .basicsize = sizeof(Two),
                                  .itemsize = 8 };
static HPyType_Spec ItemsOnly = { .name = "mytest.ItemsOnly", .itemsize = 8 };

HPyDef_METH(make, "make", HPyFunc_VARARGS)
static HPy make_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    static HPyType_Spec *specs[] = { &VarOn, &Items4, &Bigger, &BiggerVar, &ItemsOnly };
    (void)self; (void)nargs;
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, args[1] }, { 0, { 0 } } };
    return HPyType_FromSpec(ctx, specs[HPyLong_AsLong(ctx, args[0])], params);
}
@EXPORT(make)
@INIT
'''


def test_bases_that_do_not_fit(compile_module):
    mod = compile_module(with_types(ERRORS, ('Var', 'Var_spec'), ('Fixed', 'Fixed_spec'),
                                    ('NoStruct', 'NoStruct_spec')))
    # the item count would overlap the data of a fixed-size base
    Slotted = type('Slotted', (), {'__slots__': ('a',)})
    for i, name, base, base_name in ((0, 'VarOn', mod.Fixed, 'mytest.Fixed'),
                                     (4, 'ItemsOnly', Slotted, 'Slotted')):
        with raises_exactly(TypeError, "type 'mytest.%s' has .itemsize 8, but its base '%s' has "
                                       "instances of a fixed size with data after the object "
                                       "header, where the item count of a variable-size object "
                                       "goes" % (name, base_name)):
            mod.make(i, base)
    # the items would move, or change
    with raises_exactly(TypeError, "type 'mytest.Items4' has .itemsize 4, but the items of its "
                                   "base 'mytest.Var' have 8 bytes"):
        mod.make(1, mod.Var)
    for i, name in ((2, 'Bigger'), (3, 'BiggerVar')):
        with raises_exactly(TypeError, "type 'mytest.%s' cannot extend the struct of its base "
                                       "'mytest.Var', whose instances vary in size: their items "
                                       "follow the base's struct" % name):
            mod.make(i, mod.Var)
    # what does fit: the same struct, or no struct, on a base without data of its own
    assert mod.make(0, mod.Var).__itemsize__ == 8
    assert mod.make(0, mod.NoStruct).__itemsize__ == 8
    assert mod.make(4, mod.Var).__basicsize__ == mod.Var.__basicsize__
    T = mod.make(4, object)
    o = alloc(T, 3)
    assert ob_size(o) == 3 and o.__sizeof__() == T.__basicsize__ + 24
