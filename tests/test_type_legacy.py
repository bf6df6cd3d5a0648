"""Legacy types (api.md §9): HPyType_BuiltinShape_Legacy structs that start with PyObject_HEAD,
HPyType_Spec.legacy_slots, and the rules between legacy and pure types (abi.md §9.7). Only the
CPython and hybrid ABIs can see PyObject."""
import gc
import weakref

import pytest

from support import refcount

from type_helpers import raises_exactly, with_types

TEST_ABIS = ['cpython', 'hybrid', 'hybrid-debug']

LEGACY = '''
#include "structmember.h"     /* PyMemberDef before 3.12 */
typedef struct {
    PyObject_HEAD
    long x;
    HPyField f;
    PyObject *weakreflist;
    PyObject *dict;
} LegacyObject;
HPyType_LEGACY_HELPERS(LegacyObject)

static long destroyed, legacy_deallocs;

HPyDef_SLOT(Legacy_new, HPy_tp_new)
static HPy Legacy_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    LegacyObject *data;
    long x = 0;
    (void)kw;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "|l", &x))
        return HPy_NULL;
    HPy h = HPy_New(ctx, cls, &data);
    if (HPy_IsNull(h))
        return HPy_NULL;
    PyObject *obj = HPy_AsPyObject(ctx, h);
    int ok = (void *)data == (void *)obj && data == LegacyObject_AsStruct(ctx, h) &&
             data->x == 0 && HPyField_IsNull(data->f) && data->weakreflist == NULL;
    Py_DECREF(obj);
    if (!ok) {
        HPy_Close(ctx, h);
        return HPyErr_SetString(ctx, ctx->h_AssertionError, "the legacy struct is the object");
    }
    data->x = x;
    return h;
}
HPyDef_SLOT(Legacy_traverse, HPy_tp_traverse)
static int Legacy_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((LegacyObject *)self)->f);
    return 0;
}
HPyDef_SLOT(Legacy_destroy, HPy_tp_destroy)
static void Legacy_destroy_impl(void *self)
{
    if (Py_REFCNT((PyObject *)self) == 0 && HPyField_IsNull(((LegacyObject *)self)->f))
        destroyed++;
}
HPyDef_SLOT(Legacy_repr, HPy_tp_repr)
static HPy Legacy_repr_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, "hpy repr");
}
HPyDef_MEMBER(Legacy_x, "x", HPyMember_LONG, offsetof(LegacyObject, x))
HPyDef_MEMBER(Legacy_f, "f", HPyMember_OBJECT, offsetof(LegacyObject, f))
HPyDef_MEMBER(Legacy_weaklist, "__weaklistoffset__", HPyMember_HPYSSIZET,
              offsetof(LegacyObject, weakreflist), .readonly = 1)
HPyDef_MEMBER(Legacy_dict, "__dictoffset__", HPyMember_HPYSSIZET, offsetof(LegacyObject, dict),
              .readonly = 1)
HPyDef_METH(Legacy_hpy_method, "hpy_method", HPyFunc_NOARGS)
static HPy Legacy_hpy_method_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, LegacyObject_AsStruct(ctx, self)->x);
}
HPyDef_GET(Legacy_hpy_getter, "hpy_getter")
static HPy Legacy_hpy_getter_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyLong_FromLong(ctx, LegacyObject_AsStruct(ctx, self)->x + 1);
}

/* legacy parts, written against the C API */
static PyObject *legacy_repr(PyObject *self)
{
    return PyUnicode_FromFormat("legacy repr %ld", ((LegacyObject *)self)->x);
}
static PyObject *legacy_method(PyObject *self, PyObject *arg)
{
    return PyLong_FromLong(((LegacyObject *)self)->x * PyLong_AsLong(arg));
}
static PyObject *legacy_getter(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLong(((LegacyObject *)self)->x + 2);
}
static PyMethodDef legacy_methods[] = {
    {"legacy_method", legacy_method, METH_O, "a PyMethodDef"},
    {NULL, NULL, 0, NULL}
};
static PyMemberDef legacy_members[] = {
    {"legacy_x", T_LONG, offsetof(LegacyObject, x), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}
};
static PyGetSetDef legacy_getsets[] = {
    {"legacy_getter", legacy_getter, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}
};
static PyType_Slot legacy_slots[] = {
    {Py_tp_repr, (void *)legacy_repr},
    {Py_tp_methods, legacy_methods},
    {Py_tp_members, legacy_members},
    {Py_tp_getset, legacy_getsets},
    {0, NULL}
};

HPyDef_METH(counts, "counts", HPyFunc_NOARGS)
static HPy counts_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPy_BuildValue(ctx, "ll", destroyed, legacy_deallocs);
}
HPyDef_METH(shape, "shape", HPyFunc_O)
static HPy shape_impl(HPyContext *ctx, HPy self, HPy type)
{
    (void)self;
    return HPyLong_FromLong(ctx, (long)_HPyType_GetBuiltinShape(ctx, type));
}

static HPyDef *Legacy_defines[] = {
    &Legacy_new, &Legacy_traverse, &Legacy_destroy, &Legacy_repr, &Legacy_x, &Legacy_f,
    &Legacy_weaklist, &Legacy_dict, &Legacy_hpy_method, &Legacy_hpy_getter, NULL
};
static HPyType_Spec Legacy_spec = {
    .name = "mytest.Legacy",
    .basicsize = sizeof(LegacyObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .builtin_shape = SHAPE(LegacyObject),
    .legacy_slots = legacy_slots,
    .defines = Legacy_defines,
};
@EXPORT(counts)
@EXPORT(shape)
'''


def legacy_module(compile_module, extra='', types=()):
    return compile_module(with_types(LEGACY + extra + '@INIT\n', ('Legacy', 'Legacy_spec'),
                                     *types))


def test_legacy_type(compile_module):
    mod = legacy_module(compile_module)
    L = mod.Legacy
    assert L.__basicsize__ == 16 + 4 * 8
    assert mod.shape(L) == -1
    o = L(21)
    assert (o.x, o.hpy_method(), o.hpy_getter) == (21, 21, 22)
    o.x = 5
    assert (o.legacy_x, o.legacy_method(3), o.legacy_getter) == (5, 15, 7)
    assert L.legacy_method.__doc__ == 'a PyMethodDef'
    with pytest.raises(AttributeError):
        o.legacy_x = 1
    assert repr(o) == 'legacy repr 5'           # the legacy slot comes after the HPy one


def test_legacy_gc_weakrefs_and_dict(compile_module):
    mod = legacy_module(compile_module)
    before = mod.counts()[0]
    o = mod.Legacy()
    o.f = o
    o.attr = [o]
    r = weakref.ref(o)
    callbacks = []
    r2 = weakref.ref(o, callbacks.append)
    del o
    gc.collect()
    assert r() is None and callbacks == [r2]
    assert mod.counts()[0] == before + 1
    o = mod.Legacy()
    payload = object()
    base = refcount(payload)
    o.attr = payload
    o.f = payload
    del o                                       # the dict and the field are released
    assert refcount(payload) == base
    assert mod.counts()[0] == before + 2


def test_python_subclass_of_legacy_type(compile_module):
    mod = legacy_module(compile_module)
    before = mod.counts()[0]

    class Sub(mod.Legacy):
        pass
    s = Sub(4)
    s.f = s
    s.attr = s
    assert (s.hpy_method(), s.legacy_method(2)) == (4, 8)
    assert mod.shape(Sub) == -1
    del s
    gc.collect()
    assert mod.counts()[0] == before + 1


LEGACY_DEALLOC = '''
/* a legacy type with its own tp_dealloc (and no HPy traverse or destroy) */
static void legacy_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    legacy_deallocs++;
    tp->tp_free(self);
    Py_DECREF(tp);
}
static PyType_Slot dealloc_slots[] = { {Py_tp_dealloc, (void *)legacy_dealloc}, {0, NULL} };
static HPyType_Spec WithDealloc_spec = {
    .name = "mytest.WithDealloc", .basicsize = sizeof(LegacyObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = HPyType_BuiltinShape_Legacy, .legacy_slots = dealloc_slots,
};
'''

HPY_SUBTYPE = '''
/* an HPy subtype with a destroy function: its deallocator ends with the base's */
typedef struct { LegacyObject base; long y; } SubLegacyObject;
static long sub_destroyed;
HPyDef_SLOT(SubLegacy_destroy, HPy_tp_destroy)
static void SubLegacy_destroy_impl(void *self)
{
    if (((SubLegacyObject *)self)->y == 0)
        sub_destroyed++;
}
HPyDef_METH(sub_counts, "sub_counts", HPyFunc_NOARGS)
static HPy sub_counts_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyLong_FromLong(ctx, sub_destroyed);
}
static HPyDef *SubLegacy_defines[] = { &SubLegacy_destroy, NULL };
static HPyType_Spec SubLegacy_spec = {
    .name = "mytest.SubLegacy", .basicsize = sizeof(SubLegacyObject),
    .builtin_shape = HPyType_BuiltinShape_Legacy, .defines = SubLegacy_defines,
};
@EXPORT(sub_counts)
'''


def test_legacy_dealloc(compile_module):
    mod = legacy_module(compile_module, LEGACY_DEALLOC, [('WithDealloc', 'WithDealloc_spec')])
    before = mod.counts()[1]
    o = mod.WithDealloc()
    del o
    assert mod.counts()[1] == before + 1


def test_hpy_subtype_of_legacy_dealloc(compile_module):
    src = LEGACY_DEALLOC + HPY_SUBTYPE + '''
        HPyDef_METH(make_sub, "make_sub", HPyFunc_O)
        static HPy make_sub_impl(HPyContext *ctx, HPy self, HPy base)
        {
            HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, base }, { 0, { 0 } } };
            (void)self;
            return HPyType_FromSpec(ctx, &SubLegacy_spec, params);
        }
        @EXPORT(make_sub)
    '''
    mod = legacy_module(compile_module, src, [('WithDealloc', 'WithDealloc_spec')])
    Sub = mod.make_sub(mod.WithDealloc)
    before = (mod.counts()[1], mod.sub_counts())
    s = Sub()
    del s
    assert (mod.counts()[1] - before[0], mod.sub_counts() - before[1]) == (1, 1)


LEGACY_ERRORS = '''
static void some_dealloc(PyObject *self) { (void)self; }
static PyType_Slot dealloc_slots[] = { {Py_tp_dealloc, (void *)some_dealloc}, {0, NULL} };
HPyDef_SLOT(t_traverse, HPy_tp_traverse)
static int t_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    (void)self; (void)visit; (void)arg;
    return 0;
}
HPyDef_SLOT(t_destroy, HPy_tp_destroy)
static void t_destroy_impl(void *self) { (void)self; }
static HPyDef *traverse_defs[] = { &t_traverse, NULL };
static HPyDef *destroy_defs[] = { &t_destroy, NULL };
static HPyType_Spec DeallocTraverse = {
    .name = "mytest.DeallocTraverse", .basicsize = sizeof(PyObject) + 8,
    .builtin_shape = HPyType_BuiltinShape_Legacy, .legacy_slots = dealloc_slots,
    .defines = traverse_defs,
};
static HPyType_Spec DeallocDestroy = {
    .name = "mytest.DeallocDestroy", .basicsize = sizeof(PyObject) + 8,
    .builtin_shape = HPyType_BuiltinShape_Legacy, .legacy_slots = dealloc_slots,
    .defines = destroy_defs,
};
typedef struct { long a; } PureStruct;
static HPyType_Spec Pure = {
    .name = "mytest.Pure", .basicsize = sizeof(PureStruct),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
static HPyType_Spec LegacyOnPure = {
    .name = "mytest.LegacyOnPure", .basicsize = sizeof(PyObject) + 16,
    .builtin_shape = HPyType_BuiltinShape_Legacy,
};
typedef struct { PyObject_HEAD long a; } LegStruct;
static HPyType_Spec Leg = {
    .name = "mytest.Leg", .basicsize = sizeof(LegStruct),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = HPyType_BuiltinShape_Legacy,
};
static HPyType_Spec PureNoStruct = { .name = "mytest.PureNoStruct" };
HPyDef_METH(make, "make", HPyFunc_VARARGS)
static HPy make_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    static HPyType_Spec *specs[] = { &DeallocTraverse, &DeallocDestroy, &Pure, &LegacyOnPure,
                                     &Leg, &PureNoStruct };
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, nargs > 1 ? args[1] : HPy_NULL },
                                   { 0, { 0 } } };
    (void)self;
    return HPyType_FromSpec(ctx, specs[HPyLong_AsLong(ctx, args[0])], nargs > 1 ? params : NULL);
}
@EXPORT(make)
@INIT
'''


def test_legacy_errors(compile_module):
    mod = compile_module(LEGACY_ERRORS)
    msg = 'legacy tp_dealloc is incompatible with HPy_tp_traverse or HPy_tp_destroy.'
    with raises_exactly(TypeError, msg):
        mod.make(0)
    with raises_exactly(TypeError, msg):
        mod.make(1)
    Pure = mod.make(2)
    with raises_exactly(TypeError,
                        'A legacy type should not inherit its memory layout from a pure type'):
        mod.make(3, Pure)
    PySub = type('PySub', (Pure,), {'__slots__': ()})
    with raises_exactly(TypeError,
                        'A legacy type should not inherit its memory layout from a pure type'):
        mod.make(3, PySub)
    # a pure type may derive from a legacy one only if it adds no struct
    Leg = mod.make(4)
    assert issubclass(mod.make(5, Leg), Leg)
    with raises_exactly(TypeError, "type 'mytest.Pure' has builtin shape "
                                   "HPyType_BuiltinShape_Object, which conflicts with the shape "
                                   "HPyType_BuiltinShape_Legacy of its base 'mytest.Leg'"):
        mod.make(2, Leg)


LEGACY_CALL = '''
static PyObject *legacy_call(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self; (void)kw;
    PyObject *s = PyUnicode_FromString("legacy call");
    PyObject *res = s ? PyTuple_Pack(2, s, args) : NULL;
    Py_XDECREF(s);
    return res;
}
static PyType_Slot call_slots[] = { {Py_tp_call, (void *)legacy_call}, {0, NULL} };
static HPyType_Spec LegacyCall_spec = {
    .name = "mytest.LegacyCall", .builtin_shape = HPyType_BuiltinShape_Legacy,
    .legacy_slots = call_slots,
};
@INIT
'''


def test_legacy_call_slot(compile_module):
    mod = compile_module(with_types(LEGACY_CALL, ('LegacyCall', 'LegacyCall_spec')))
    assert mod.LegacyCall()(1, 2)[1] == (1, 2)


PURE_VAR = '''
/* A pure type whose instances vary in size, made with n items by its HPy_tp_new through the
 * type's tp_alloc (HPy itself only makes instances without items). */
typedef struct {
    HPy_ssize_t n;
} VecObject;
HPyType_HELPERS(VecObject)

static double *vec_items(VecObject *v)
{
    return (double *)(v + 1);
}

HPyDef_SLOT(Vec_new, HPy_tp_new)
static HPy Vec_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    HPy_ssize_t n;
    (void)kw;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "n", &n))
        return HPy_NULL;
    if (n < 0)
        return HPyErr_SetString(ctx, ctx->h_ValueError, "negative size");
    PyTypeObject *type = (PyTypeObject *)HPy_AsPyObject(ctx, cls);
    PyObject *obj = type->tp_alloc(type, n);
    Py_DECREF(type);
    if (obj == NULL)
        return HPy_NULL;
    HPy h = HPy_FromPyObject(ctx, obj);
    Py_DECREF(obj);
    VecObject *v = VecObject_AsStruct(ctx, h);
    v->n = n;
    for (HPy_ssize_t i = 0; i < n; i++)
        vec_items(v)[i] = 0.5 * (double)i;
    return h;
}

HPyDef_SLOT(Vec_len, HPy_sq_length)
static HPy_ssize_t Vec_len_impl(HPyContext *ctx, HPy self)
{
    return VecObject_AsStruct(ctx, self)->n;
}

HPyDef_METH(Vec_total, "total", HPyFunc_NOARGS)
static HPy Vec_total_impl(HPyContext *ctx, HPy self)
{
    VecObject *v = VecObject_AsStruct(ctx, self);
    double total = 0.0;
    for (HPy_ssize_t i = 0; i < v->n; i++)
        total += vec_items(v)[i];
    return HPyFloat_FromDouble(ctx, total);
}

/* Py_SIZE as CPython sees it */
HPyDef_METH(Vec_ob_size, "ob_size", HPyFunc_NOARGS)
static HPy Vec_ob_size_impl(HPyContext *ctx, HPy self)
{
    PyObject *obj = HPy_AsPyObject(ctx, self);
    HPy_ssize_t size = Py_SIZE(obj);
    Py_DECREF(obj);
    return HPyLong_FromSsize_t(ctx, size);
}

static HPyDef *Vec_defines[] = { &Vec_new, &Vec_len, &Vec_total, &Vec_ob_size, NULL };
static HPyType_Spec Vec_spec = {
    .name = "mytest.Vec", .basicsize = sizeof(VecObject), .itemsize = sizeof(double),
    .flags = HPy_TPFLAGS_DEFAULT, .defines = Vec_defines,
};
@INIT
'''


@pytest.mark.parametrize('n', [0, 1, 10, 1000])
def test_pure_type_with_items_from_tp_alloc(compile_module, n):
    mod = compile_module(with_types(PURE_VAR, ('Vec', 'Vec_spec')))
    v = mod.Vec(n)
    assert len(v) == v.ob_size() == n
    assert v.total() == 0.5 * sum(range(n))
    assert v.__sizeof__() == mod.Vec.__basicsize__ + 8 * n
    with raises_exactly(ValueError, 'negative size'):
        mod.Vec(-1)
