"""HPyType_FromSpec (abi.md §9.7): spec fields, methods, instances (HPy_New, HPyType_GenericNew),
subclassing, spec params, builtin shapes, HPyHelpers_AddType and every bad-input error.

Slots are in test_type_slots.py, members and getsets in test_type_members.py, HPyFields and the
GC in test_type_gc.py, the call protocol in test_type_call.py, legacy types in
test_type_legacy.py."""
import gc
import sys

import pytest

from support import CPYTHON, C_CYCLES, basicsize, itemsize

# what the runtime on PyPy deliberately does not do (docs/pypy.md)
LAYOUT = "expects CPython's object sizes in its messages (PyPy's object header is larger)"

NO_METACLASS = ('makes types with a metaclass other than type, which the runtime on PyPy refuses '
                'with a TypeError (cpyext has no PyType_FromMetaclass; docs/pypy.md)')

from type_helpers import raises_exactly, with_types

POINT = '''
typedef struct {
    long x;
    long y;
} PointObject;
HPyType_HELPERS(PointObject)

HPyDef_SLOT(Point_new, HPy_tp_new)
static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    long x = 0, y = 0;
    (void)kw;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "|ll", &x, &y))
        return HPy_NULL;
    PointObject *p;
    HPy h = HPy_New(ctx, cls, &p);
    if (HPy_IsNull(h))
        return HPy_NULL;
    p->x = x;
    p->y = y;
    return h;
}

HPyDef_METH(Point_coords, "coords", HPyFunc_NOARGS, .doc = "the coordinates")
static HPy Point_coords_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return HPy_BuildValue(ctx, "ll", p->x, p->y);
}

HPyDef_METH(Point_move, "move", HPyFunc_VARARGS)
static HPy Point_move_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    long dx, dy;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "ll", &dx, &dy))
        return HPy_NULL;
    PointObject *p = PointObject_AsStruct(ctx, self);
    p->x += dx;
    p->y += dy;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(Point_scale, "scale", HPyFunc_O)
static HPy Point_scale_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long k = HPyLong_AsLong(ctx, arg);
    if (k == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    PointObject *p = PointObject_AsStruct(ctx, self);
    p->x *= k;
    p->y *= k;
    return HPy_Dup(ctx, self);
}

HPyDef_METH(Point_kw, "kw", HPyFunc_KEYWORDS)
static HPy Point_kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    static const char *kwlist[] = { "a", "b", NULL };
    long a = 0, b = 0;
    HPyTracker ht;
    (void)self;
    if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "|ll", kwlist, &a, &b))
        return HPy_NULL;
    HPyTracker_Close(ctx, ht);
    return HPyLong_FromLong(ctx, a * 10 + b);
}

static HPyDef *Point_defines[] = {
    &Point_new, &Point_coords, &Point_move, &Point_scale, &Point_kw, NULL
};
static HPyType_Spec Point_spec = {
    .name = "mytest.Point",
    .basicsize = sizeof(PointObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .defines = Point_defines,
    .doc = "A point",
};
'''


def point_module(compile_module, extra='', types=()):
    return compile_module(with_types(POINT + extra + '\n@INIT\n', ('Point', 'Point_spec'),
                                     *types))


def test_spec_name_doc_and_module(compile_module):
    mod = point_module(compile_module)
    P = mod.Point
    assert isinstance(P, type)
    assert P.__name__ == 'Point'
    assert P.__qualname__ == 'Point'
    assert P.__module__ == 'mytest'
    assert P.__doc__ == 'A point'
    assert basicsize(P) >= basicsize(object) + 16


def test_methods_of_every_signature(compile_module):
    mod = point_module(compile_module)
    p = mod.Point(1, 2)
    assert p.coords() == (1, 2)
    assert mod.Point.coords.__doc__ == 'the coordinates'
    assert p.move(10, 20) is None
    assert p.coords() == (11, 22)
    assert p.scale(2) is p
    assert p.coords() == (22, 44)
    assert p.kw() == 0
    assert p.kw(1, b=2) == 12
    assert p.kw(b=3) == 3
    with pytest.raises(TypeError):
        p.move(1)


def test_instances_are_independent(compile_module):
    mod = point_module(compile_module)
    points = [mod.Point(i, -i) for i in range(100)]
    assert [p.coords() for p in points] == [(i, -i) for i in range(100)]
    assert mod.Point().coords() == (0, 0)


def test_default_flags_only(compile_module):
    mod = compile_module(with_types('''
        static HPyType_Spec Dummy_spec = { .name = "mytest.Dummy", .flags = HPy_TPFLAGS_DEFAULT };
        static HPyType_Spec NoFlags_spec = { .name = "mytest.NoFlags" };
        @INIT
    ''', ('Dummy', 'Dummy_spec'), ('NoFlags', 'NoFlags_spec')))
    for T in (mod.Dummy, mod.NoFlags):
        assert isinstance(T(), T)
        assert T.__doc__ is None
        assert basicsize(T) == basicsize(object)
        with pytest.raises(TypeError):
            type('Sub', (T,), {})


def test_basetype_flag_allows_subclassing(compile_module):
    mod = point_module(compile_module)

    class Sub(mod.Point):
        def norm1(self):
            x, y = self.coords()
            return abs(x) + abs(y)

    s = Sub(3, -4)
    s.extra = 'attr'
    assert isinstance(s, mod.Point)
    assert s.norm1() == 7
    assert s.extra == 'attr'
    assert type(s).__mro__ == (Sub, mod.Point, object)


HPY_SUBTYPE = '''
typedef struct {
    PointObject base;
    long z;
} Point3DObject;
HPyType_HELPERS(Point3DObject)

HPyDef_METH(Point3D_z, "z", HPyFunc_NOARGS)
static HPy Point3D_z_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, Point3DObject_AsStruct(ctx, self)->z);
}

HPyDef_METH(Point3D_setz, "setz", HPyFunc_O)
static HPy Point3D_setz_impl(HPyContext *ctx, HPy self, HPy arg)
{
    Point3DObject_AsStruct(ctx, self)->z = HPyLong_AsLong(ctx, arg);
    if (HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *Point3D_defines[] = { &Point3D_z, &Point3D_setz, NULL };
static HPyType_Spec Point3D_spec = {
    .name = "mytest.Point3D",
    .basicsize = sizeof(Point3DObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Point3D_defines,
};

HPyDef_METH(make_sub, "make_sub", HPyFunc_O)
static HPy make_sub_impl(HPyContext *ctx, HPy self, HPy base)
{
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, base }, { 0, { 0 } } };
    (void)self;
    return HPyType_FromSpec(ctx, &Point3D_spec, params);
}

HPyDef_METH(checks, "checks", HPyFunc_VARARGS)
static HPy checks_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 3)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "3 args");
    HPy obj = args[0], sub = args[1], base = args[2];
    return HPy_BuildValue(ctx, "iiii", HPy_TypeCheck(ctx, obj, sub), HPy_TypeCheck(ctx, obj, base),
                          HPyType_IsSubtype(ctx, sub, base), HPyType_IsSubtype(ctx, base, sub));
}

HPyDef_METH(type_name, "type_name", HPyFunc_O)
static HPy type_name_impl(HPyContext *ctx, HPy self, HPy type)
{
    (void)self;
    const char *name = HPyType_GetName(ctx, type);
    if (name == NULL)
        return HPy_NULL;
    return HPyUnicode_FromString(ctx, name);
}
@EXPORT(make_sub)
@EXPORT(checks)
@EXPORT(type_name)
'''


def test_subclass_from_hpy(compile_module):
    mod = point_module(compile_module, HPY_SUBTYPE)
    P3 = mod.make_sub(mod.Point)
    assert P3.__bases__ == (mod.Point,)
    assert P3.__name__ == 'Point3D'
    p = P3(1, 2)                        # Point's tp_new, with the subtype
    assert p.coords() == (1, 2)
    p.setz(3)
    assert p.z() == 3
    assert p.coords() == (1, 2)
    p.move(1, 1)
    assert (p.coords(), p.z()) == ((2, 3), 3)
    assert mod.checks(p, P3, mod.Point) == (1, 1, 1, 0)
    assert mod.checks(mod.Point(), P3, mod.Point) == (0, 1, 1, 0)
    # the same spec twice gives two independent types
    P3b = mod.make_sub(mod.Point)
    assert P3b is not P3 and P3b(5, 6).coords() == (5, 6)


def test_subclass_from_hpy_of_python_subclass(compile_module):
    mod = point_module(compile_module, HPY_SUBTYPE)

    class Middle(mod.Point):
        __slots__ = ()

        def twice(self):
            return [2 * c for c in self.coords()]

    P3 = mod.make_sub(Middle)
    p = P3(4, 5)
    p.setz(6)
    assert (p.twice(), p.z()) == ([8, 10], 6)
    assert P3.__mro__ == (P3, Middle, mod.Point, object)


def test_type_get_name_and_is_subtype(compile_module):
    mod = point_module(compile_module, HPY_SUBTYPE)
    assert mod.type_name(mod.Point) == 'Point'
    P3 = mod.make_sub(mod.Point)
    assert mod.type_name(P3) == 'Point3D'

    class PySub(mod.Point):
        pass
    assert mod.type_name(PySub) == 'PySub'
    assert mod.checks(PySub(), PySub, mod.Point) == (1, 1, 1, 0)
    assert mod.checks(PySub(), P3, mod.Point) == (0, 1, 1, 0)


def test_hpy_new_zeroes_the_struct(compile_module):
    mod = compile_module(with_types('''
        typedef struct { long a[8]; } BigObject;
        HPyType_HELPERS(BigObject)
        static long last_sum = -1;
        HPyDef_SLOT(Big_new, HPy_tp_new)
        static HPy Big_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
        {
            (void)args; (void)nargs; (void)kw;
            BigObject *data = (BigObject *)0x1;
            HPy h = HPy_New(ctx, cls, &data);
            if (HPy_IsNull(h))
                return HPy_NULL;
            if (data != BigObject_AsStruct(ctx, h))
                return HPyErr_SetString(ctx, ctx->h_AssertionError, "wrong data pointer");
            last_sum = 0;
            for (int i = 0; i < 8; i++) {
                last_sum += data->a[i];
                data->a[i] = 12345;       /* dirty the memory for the next object */
            }
            return h;
        }
        HPyDef_METH(sum, "sum", HPyFunc_NOARGS)
        static HPy sum_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPyLong_FromLong(ctx, last_sum);
        }
        static HPyDef *Big_defines[] = { &Big_new, NULL };
        static HPyType_Spec Big_spec = {
            .name = "mytest.Big", .basicsize = sizeof(BigObject), .defines = Big_defines,
        };
        @EXPORT(sum)
        @INIT
    ''', ('Big', 'Big_spec')))
    for _ in range(20):
        b = mod.Big()
        assert mod.sum() == 0
        del b


def test_hpy_new_errors(compile_module):
    mod = compile_module('''
        HPyDef_METH(new, "new", HPyFunc_O)
        static HPy new_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            void *data = (void *)0x1;
            (void)self;
            HPy h = HPy_New(ctx, arg, &data);
            if (!HPy_IsNull(h))
                return h;
            if (data != NULL)
                HPyErr_SetString(ctx, ctx->h_AssertionError, "data not cleared");
            return HPy_NULL;
        }
        @EXPORT(new)
        @INIT
    ''')
    with raises_exactly(TypeError, 'HPy_New arg 1 must be a type'):
        mod.new(42)
    with raises_exactly(TypeError, 'HPy_New arg 1 must be a type'):
        mod.new(object())
    # a type not created by HPy: an instance with everything after the header zeroed

    class Plain:
        __slots__ = ('a',)
    obj = mod.new(Plain)
    assert type(obj) is Plain
    with pytest.raises(AttributeError):
        obj.a


def test_type_generic_new(compile_module):
    mod = compile_module(with_types('''
        typedef struct { long value; } DummyObject;
        HPyType_HELPERS(DummyObject)
        HPyDef_SLOT_IMPL(Dummy_new, HPyType_GenericNew, HPy_tp_new)
        HPyDef_METH(Dummy_value, "value", HPyFunc_NOARGS)
        static HPy Dummy_value_impl(HPyContext *ctx, HPy self)
        {
            return HPyLong_FromLong(ctx, DummyObject_AsStruct(ctx, self)->value);
        }
        HPyDef_METH(generic_new, "generic_new", HPyFunc_VARARGS)
        static HPy generic_new_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            (void)self;
            if (nargs < 1)
                return HPyErr_SetString(ctx, ctx->h_TypeError, "need a type");
            return HPyType_GenericNew(ctx, args[0], args + 1, (HPy_ssize_t)nargs - 1, HPy_NULL);
        }
        static HPyDef *Dummy_defines[] = { &Dummy_new, &Dummy_value, NULL };
        static HPyType_Spec Dummy_spec = {
            .name = "mytest.Dummy", .basicsize = sizeof(DummyObject),
            .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Dummy_defines,
        };
        @EXPORT(generic_new)
        @INIT
    ''', ('Dummy', 'Dummy_spec')))
    d = mod.Dummy(1, 2, key=3)           # arguments are ignored
    assert type(d) is mod.Dummy and d.value() == 0
    assert type(mod.generic_new(mod.Dummy, 1)) is mod.Dummy

    class Sub(mod.Dummy):
        pass
    assert type(Sub()) is Sub and Sub().value() == 0
    assert type(mod.generic_new(Sub)) is Sub
    with raises_exactly(TypeError, 'HPy_Type_GenericNew arg 1 must be a type'):
        mod.generic_new(42)


def test_add_type(compile_module):
    mod = compile_module('''
        static HPyType_Spec dummy_spec = { .name = "mytest.Dummy" };
        static HPyType_Spec bad_spec = { .name = "mytest.Bad", .basicsize = -1 };
        HPyDef_METH(add, "add", HPyFunc_O)
        static HPy add_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, ctx->h_LongType }, { 0, { 0 } } };
            int r;
            (void)self;
            switch (HPyLong_AsLong(ctx, arg)) {
            case 0: r = HPyHelpers_AddType(ctx, self, "Dummy", &dummy_spec, NULL); break;
            case 1: r = HPyHelpers_AddType(ctx, self, "LongSub", &dummy_spec, params); break;
            case 2: r = HPyHelpers_AddType(ctx, ctx->h_None, "X", &dummy_spec, NULL); break;
            default: r = HPyHelpers_AddType(ctx, self, "Bad", &bad_spec, NULL); break;
            }
            if (!r) return HPy_NULL;
            return HPyLong_FromLong(ctx, r);
        }
        @EXPORT(add)
        @INIT
    ''')
    for name in ('Dummy', 'LongSub'):           # the same module runs again under --refleaks
        if hasattr(mod, name):
            delattr(mod, name)
    assert mod.add(0) == 1
    assert isinstance(mod.Dummy, type) and mod.Dummy.__name__ == 'Dummy'
    assert mod.add(1) == 1
    assert issubclass(mod.LongSub, int) and mod.LongSub(3) == 3
    with pytest.raises(AttributeError):
        mod.add(2)
    with raises_exactly(SystemError, "HPyType_Spec of 'mytest.Bad' has a negative .basicsize (-1)"):
        mod.add(3)


# ---- spec params ----------------------------------------------------------------------------

PARAMS = '''
static HPyType_Spec Dummy_spec = {
    .name = "mytest.Dummy", .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};

/* make(kind0, obj0, kind1, obj1, ...): a type from Dummy_spec with these params */
HPyDef_METH(make, "make", HPyFunc_VARARGS)
static HPy make_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPyType_SpecParam params[8];
    size_t n = 0;
    (void)self;
    for (size_t i = 0; i + 1 < nargs && n < 7; i += 2, n++) {
        params[n].kind = (HPyType_SpecParam_Kind)HPyLong_AsLong(ctx, args[i]);
        params[n].object = HPy_Is(ctx, args[i + 1], ctx->h_None) ? HPy_NULL : args[i + 1];
    }
    params[n].kind = (HPyType_SpecParam_Kind)0;
    params[n].object = HPy_NULL;
    return HPyType_FromSpec(ctx, &Dummy_spec, nargs ? params : NULL);
}
@EXPORT(make)
@INIT
'''
BASE, BASES_TUPLE, METACLASS = 1, 2, 3


def test_specparam_base(compile_module):
    mod = compile_module(PARAMS)
    T = mod.make(BASE, int)
    assert T.__bases__ == (int,) and T.__name__ == 'Dummy'
    assert T(42) == 42 and isinstance(T(1), int)
    T2 = mod.make(BASE, T)
    assert T2.__mro__ == (T2, T, int, object)


def test_specparam_several_bases(compile_module):
    mod = compile_module(PARAMS)

    class A:
        __slots__ = ()

        def a(self):
            return 'a'

    class B:
        __slots__ = ()

        def b(self):
            return 'b'
    T = mod.make(BASE, A, BASE, B)
    assert T.__bases__ == (A, B)
    t = T()
    assert (t.a(), t.b()) == ('a', 'b')


def test_specparam_bases_tuple(compile_module):
    mod = compile_module(PARAMS)
    T = mod.make(BASES_TUPLE, (dict,))
    assert T.__bases__ == (dict,)
    assert T(a=1) == {'a': 1}
    with raises_exactly(TypeError, "HPyType_SpecParam_BasesTuple of 'mytest.Dummy' must be a "
                                   "tuple, not 'list'"):
        mod.make(BASES_TUPLE, [dict])
    with raises_exactly(TypeError, "the bases of 'mytest.Dummy' must be a type, not 'int'"):
        mod.make(BASES_TUPLE, (dict, 1))
    with raises_exactly(TypeError, "the bases of 'mytest.Dummy' must be a type, not 'int'"):
        mod.make(BASE, 3)


@pytest.mark.runtime_specific(NO_METACLASS)
def test_specparam_metaclass(compile_module):
    mod = compile_module(PARAMS)

    class Meta(type):
        def hello(cls):
            return 'hello from %s' % cls.__name__
    T = mod.make(METACLASS, Meta)
    assert type(T) is Meta
    assert T.hello() == 'hello from Dummy'
    assert type(T()) is T

    class Sub(T):
        pass
    assert type(Sub) is Meta
    # with a base whose metaclass is Meta, the winner is Meta
    T2 = mod.make(BASE, T)
    assert type(T2) is Meta


def test_specparam_errors(compile_module):
    mod = compile_module(PARAMS)
    with raises_exactly(TypeError, "unknown HPyType_SpecParam specification for 'mytest.Dummy'"):
        mod.make(99, int)
    with raises_exactly(TypeError, "HPyType_SpecParam_Module of 'mytest.Dummy' must be a module, "
                                   "not 'type'"):
        mod.make(4, int)                     # HPyType_SpecParam_Module (docs/type-module.md)
    with raises_exactly(TypeError, "multiple specifications of HPyType_SpecParam_BasesTuple"):
        mod.make(BASES_TUPLE, (int,), BASES_TUPLE, (int,))
    with raises_exactly(TypeError, "cannot specify both HPyType_SpecParam_Base and "
                                   "HPytype_SpecParam_BasesTuple"):
        mod.make(BASE, int, BASES_TUPLE, (int,))
    with raises_exactly(ValueError, "metaclass was specified multiple times"):
        mod.make(METACLASS, type, METACLASS, type)
    with raises_exactly(TypeError, "Metaclass '42' is not a subclass of 'type'."):
        mod.make(METACLASS, 42)
    with raises_exactly(TypeError, "Metaclass '<class 'int'>' is not a subclass of 'type'."):
        mod.make(METACLASS, int)

    class CustomNew(type):
        def __new__(mcls, *args):
            return type.__new__(mcls, *args)
    with raises_exactly(TypeError, "Metaclasses with custom tp_new are not supported."):
        mod.make(METACLASS, CustomNew)
    with raises_exactly(SystemError, "HPyType_SpecParam of kind 1 for 'mytest.Dummy' has a null "
                                     "object"):
        mod.make(BASE, None)


@pytest.mark.runtime_specific(NO_METACLASS)
def test_metaclass_conflict(compile_module):
    mod = compile_module(PARAMS)

    class M1(type):
        pass

    class M2(type):
        pass
    A = M1('A', (), {})
    with pytest.raises(TypeError, match='metaclass conflict'):
        mod.make(METACLASS, M2, BASE, A)


# ---- builtin shapes -------------------------------------------------------------------------

SHAPES = ['Object', 'Type', 'Long', 'Float', 'Unicode', 'Tuple', 'List', 'Dict']
SHAPE_VALUES = {'Legacy': -1, 'Object': 0, 'Type': 1, 'Long': 2, 'Float': 3, 'Unicode': 4,
                'Tuple': 5, 'List': 6, 'Dict': 7}
BUILTIN = {'Object': object, 'Type': type, 'Long': int, 'Float': float, 'Unicode': str,
           'Tuple': tuple, 'List': list, 'Dict': dict}
HANDLE = {'Object': 'h_BaseObjectType', 'Type': 'h_TypeType', 'Long': 'h_LongType',
          'Float': 'h_FloatType', 'Unicode': 'h_UnicodeType', 'Tuple': 'h_TupleType',
          'List': 'h_ListType', 'Dict': 'h_DictType'}


def shapes_source():
    src = ''
    types = []
    for s in SHAPES:
        src += '''
typedef struct { long long magic; long long other; } %(s)sStruct;
HPyType_HELPERS(%(s)sStruct, HPyType_BuiltinShape_%(s)s)

HPyDef_METH(%(s)s_set, "set", HPyFunc_VARARGS)
static HPy %(s)s_set_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "set(magic, other)");
    %(s)sStruct *data = %(s)sStruct_AsStruct(ctx, self);
    data->magic = HPyLong_AsLongLong(ctx, args[0]);
    data->other = HPyLong_AsLongLong(ctx, args[1]);
    if (HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}
HPyDef_METH(%(s)s_get, "get", HPyFunc_NOARGS)
static HPy %(s)s_get_impl(HPyContext *ctx, HPy self)
{
    %(s)sStruct *data = %(s)sStruct_AsStruct(ctx, self);
    return HPy_BuildValue(ctx, "LL", data->magic, data->other);
}
/* where the struct starts, given the object's address (id) */
HPyDef_METH(%(s)s_offset, "offset", HPyFunc_O)
static HPy %(s)s_offset_impl(HPyContext *ctx, HPy self, HPy id)
{
    char *p = (char *)%(s)sStruct_AsStruct(ctx, self);
    long long addr = HPyLong_AsLongLong(ctx, id);
    if (addr == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromLongLong(ctx, (long long)(intptr_t)p - addr);
}
static HPyDef *%(s)s_defines[] = { &%(s)s_set, &%(s)s_get, &%(s)s_offset, NULL };
static HPyType_Spec %(s)s_spec = {
    .name = "mytest.%(s)sSub",
    .basicsize = sizeof(%(s)sStruct),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = SHAPE(%(s)sStruct),
    .defines = %(s)s_defines,
};
''' % {'s': s}
        types.append(('%sSub' % s, '%s_spec' % s,
                      '{ { HPyType_SpecParam_Base, ctx->%s }, { 0, { 0 } } }' % HANDLE[s]))
    src += '''
static HPyType_Spec WithMeta_spec = {
    .name = "mytest.WithMeta", .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
HPyDef_METH(make_with_meta, "make_with_meta", HPyFunc_O)
static HPy make_with_meta_impl(HPyContext *ctx, HPy self, HPy meta)
{
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Metaclass, meta }, { 0, { 0 } } };
    (void)self;
    return HPyType_FromSpec(ctx, &WithMeta_spec, params);
}
HPyDef_METH(new, "new", HPyFunc_O)
static HPy new_impl(HPyContext *ctx, HPy self, HPy type)
{
    long long *data;
    (void)self;
    HPy h = HPy_New(ctx, type, &data);
    if (HPy_IsNull(h))
        return HPy_NULL;
    if (data[0] != 0 || data[1] != 0) {
        HPy_Close(ctx, h);
        return HPyErr_SetString(ctx, ctx->h_AssertionError, "not zeroed");
    }
    data[0] = 42;
    return h;
}
HPyDef_METH(shape, "shape", HPyFunc_O)
static HPy shape_impl(HPyContext *ctx, HPy self, HPy type)
{
    (void)self;
    HPyType_BuiltinShape s = _HPyType_GetBuiltinShape(ctx, type);
    if (s == (HPyType_BuiltinShape)-2)
        return HPy_NULL;
    return HPyLong_FromLong(ctx, (long)s);
}
@EXPORT(shape)
@EXPORT(new)
@EXPORT(make_with_meta)
@INIT
'''
    return with_types(src, *types)


def check_struct(obj, base, hpy_type=None):
    obj.set(0x1234567887654321, -5)
    assert obj.get() == (0x1234567887654321, -5)
    if CPYTHON:     # the struct's place: id(obj) is the object's address on CPython only
        offset = obj.offset(id(obj))
        assert offset % 16 == 0 and offset >= base.__basicsize__
        assert (hpy_type or type(obj)).__basicsize__ == offset + 16


def test_builtin_shapes(compile_module):
    mod = compile_module(shapes_source())
    for s in SHAPES:
        T = getattr(mod, s + 'Sub')
        assert T.__bases__ == (BUILTIN[s],)
        assert mod.shape(T) == SHAPE_VALUES[s], s
    o = mod.ObjectSub()
    check_struct(o, object)
    i = mod.LongSub(7)
    check_struct(i, int)
    assert i == 7 and i + 1 == 8 and isinstance(i, int)
    f = mod.FloatSub(2.5)
    check_struct(f, float)
    assert f == 2.5 and f * 2 == 5.0
    u = mod.UnicodeSub('hello world, a long enough string')
    check_struct(u, str)
    assert u == 'hello world, a long enough string' and u.upper().startswith('HELLO')
    t = mod.TupleSub(('one item',))
    check_struct(t, tuple)
    assert t == ('one item',) and len(t) == 1
    lst = mod.ListSub([1, 2, 3])
    check_struct(lst, list)
    lst.extend(range(100))
    assert lst[:3] == [1, 2, 3] and len(lst) == 103 and lst.get() == (0x1234567887654321, -5)
    d = mod.DictSub(a=1)
    check_struct(d, dict)
    d.update({i: i for i in range(100)})
    assert d['a'] == 1 and len(d) == 101 and d.get() == (0x1234567887654321, -5)
    # a metaclass: its instances are types, with the struct after the type object
    C = mod.TypeSub('C', (), {'x': 1})
    check_struct(C, type)
    assert C.x == 1 and type(C) is mod.TypeSub and isinstance(C(), C)

    class D(metaclass=mod.TypeSub):
        y = 2
    assert D.get() == (0, 0) and D.y == 2
    check_struct(D, type)


@pytest.mark.runtime_specific(NO_METACLASS)
def test_hpy_metaclass_with_struct(compile_module):
    """A type made by HPyType_FromSpec with an HPy metaclass of shape Type: the metaclass's struct
    is in the type object."""
    mod = compile_module(shapes_source())
    T = mod.make_with_meta(mod.TypeSub)
    assert type(T) is mod.TypeSub and T.__name__ == 'WithMeta' and T.__module__ == 'mytest'
    assert T.get() == (0, 0)
    check_struct(T, type)
    t = T()
    assert type(t) is T

    class Sub(T):
        pass
    assert type(Sub) is mod.TypeSub and Sub.get() == (0, 0)
    check_struct(Sub, type)
    assert T.get() == (0x1234567887654321, -5)
    T2 = mod.make_with_meta(mod.TypeSub)
    assert T2 is not T and T2.get() == (0, 0)


def test_hpy_new_of_builtin_shapes(compile_module):
    """HPy_New gives a valid empty object of the builtin type, and a zeroed struct."""
    mod = compile_module(shapes_source())
    empty = {'Object': None, 'Long': 0, 'Float': 0.0, 'Unicode': '', 'Tuple': (), 'List': [],
             'Dict': {}}
    for s, value in empty.items():
        T = getattr(mod, s + 'Sub')
        obj = mod.new(T)
        assert type(obj) is T and obj.get() == (42, 0)
        if value is not None:
            assert obj == value and isinstance(obj, BUILTIN[s])
    d = mod.new(mod.DictSub)
    d.update({i: str(i) for i in range(50)})
    assert len(d) == 50 and d.get() == (42, 0)
    lst = mod.new(mod.ListSub)
    lst.extend(range(50))
    assert sum(lst) == 49 * 50 // 2 and lst.get() == (42, 0)
    PySub = type('PySub', (mod.DictSub,), {})
    d = mod.new(PySub)
    d['x'] = 1
    d.attr = 2
    assert (d, d.attr, d.get()) == ({'x': 1}, 2, (42, 0))


def test_builtin_shape_subclasses(compile_module):
    mod = compile_module(shapes_source())
    for s in SHAPES:
        T = getattr(mod, s + 'Sub')
        Sub = type('PySub', (T,), {})
        assert mod.shape(Sub) == SHAPE_VALUES[s]    # a class deriving from it has its layout
    sub = type('PySub', (mod.ListSub,), {})([1])
    check_struct(sub, list, mod.ListSub)
    sub.attr = 'x'
    assert sub == [1] and sub.attr == 'x'


def test_get_builtin_shape_of_other_types(compile_module):
    mod = compile_module(shapes_source())

    class Plain:
        pass
    for t in (object, int, type, dict, Plain, type(mod)):
        assert mod.shape(t) == SHAPE_VALUES['Legacy']
    with raises_exactly(TypeError, 'arg must be a type'):
        mod.shape(42)


def test_shape_object_needs_no_base(compile_module):
    mod = compile_module(with_types('''
        typedef struct { long v; } ObjStruct;
        HPyType_HELPERS(ObjStruct)
        static HPyType_Spec Obj_spec = {
            .name = "mytest.Obj", .basicsize = sizeof(ObjStruct),
            .builtin_shape = HPyType_BuiltinShape_Object,
        };
        @INIT
    ''', ('Obj', 'Obj_spec')))
    assert mod.Obj.__bases__ == (object,)
    assert basicsize(mod.Obj) == 16 + 8


SHAPE_ERRORS = '''
typedef struct { long v; } S;
static HPyType_Spec LongNoBase = {
    .name = "mytest.LongNoBase", .basicsize = sizeof(S), .builtin_shape = HPyType_BuiltinShape_Long,
};
static HPyType_Spec ListOnDict = {
    .name = "mytest.ListOnDict", .builtin_shape = HPyType_BuiltinShape_List,
};
static HPyType_Spec ObjectOnInt = {
    .name = "mytest.ObjectOnInt", .basicsize = sizeof(S),
};
static HPyType_Spec LongSub = {
    .name = "mytest.LongSub", .basicsize = sizeof(S), .builtin_shape = HPyType_BuiltinShape_Long,
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
static HPyType_Spec BadShape = { .name = "mytest.BadShape", .builtin_shape = (HPyType_BuiltinShape)42 };
static HPyType_Spec ItemsizeObject = { .name = "mytest.ItemsizeObject", .itemsize = 8 };
static HPyType_Spec ItemsizeList = {
    .name = "mytest.ItemsizeList", .itemsize = 8, .builtin_shape = HPyType_BuiltinShape_List,
};
static HPyType_Spec NegItemsize = { .name = "mytest.NegItemsize", .itemsize = -3 };
static HPyType_Spec Small = { .name = "mytest.Small", .basicsize = 1,
                              .builtin_shape = HPyType_BuiltinShape_Object };

HPyDef_METH(make, "make", HPyFunc_VARARGS)
static HPy make_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    long n = HPyLong_AsLong(ctx, args[0]);
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, nargs > 1 ? args[1] : HPy_NULL },
                                   { 0, { 0 } } };
    HPyType_SpecParam *p = nargs > 1 ? params : NULL;
    static HPyType_Spec *specs[] = { &LongNoBase, &ListOnDict, &ObjectOnInt, &LongSub, &BadShape,
                                     &ItemsizeObject, &ItemsizeList, &NegItemsize, &Small };
    return HPyType_FromSpec(ctx, specs[n], p);
}
@EXPORT(make)
@INIT
'''


def test_shape_conflicts_with_base(compile_module):
    mod = compile_module(SHAPE_ERRORS)
    with raises_exactly(TypeError, "type 'mytest.LongNoBase' has builtin shape "
                                   "HPyType_BuiltinShape_Long, so its bases must be subclasses of "
                                   "'int', but base 'object' is not"):
        mod.make(0)
    with raises_exactly(TypeError, "type 'mytest.LongNoBase' has builtin shape "
                                   "HPyType_BuiltinShape_Long, so its bases must be subclasses of "
                                   "'int', but base 'float' is not"):
        mod.make(0, float)
    with raises_exactly(TypeError, "type 'mytest.ListOnDict' has builtin shape "
                                   "HPyType_BuiltinShape_List, so its bases must be subclasses of "
                                   "'list', but base 'dict' is not"):
        mod.make(1, dict)
    # a struct after the object header would overlap the int's data (CPython's int has data
    # there; PyPy's is laid out as object)
    if CPYTHON:
        with raises_exactly(TypeError, "type 'mytest.ObjectOnInt' has builtin shape "
                                       "HPyType_BuiltinShape_Object, but base 'int' does not "
                                       "have the memory layout of 'object': the type's struct "
                                       "would overlap the base's data"):
            mod.make(2, int)
    # ... or the data a Python class adds (PyPy's slots are no C data)
    Slotted = type('Slotted', (), {'__slots__': ('a', 'b')})
    if CPYTHON:
        with raises_exactly(TypeError, "type 'mytest.ObjectOnInt' has builtin shape "
                                       "HPyType_BuiltinShape_Object, but base 'Slotted' does not "
                                       "have the memory layout of 'object': the type's struct "
                                       "would overlap the base's data"):
            mod.make(2, Slotted)
    # an HPy base of another shape
    L = mod.make(3, int)
    with raises_exactly(TypeError, "type 'mytest.ObjectOnInt' has builtin shape "
                                   "HPyType_BuiltinShape_Object, which conflicts with the shape "
                                   "HPyType_BuiltinShape_Long of its base 'mytest.LongSub'"):
        mod.make(2, L)
    with raises_exactly(ValueError, 'invalid shape: 42'):
        mod.make(4)
    # items after the struct: the default shape may have them (tests/test_type_varsize.py) ...
    assert itemsize(mod.make(5)) == 8
    # ... other builtin shapes may not
    with raises_exactly(TypeError, "type 'mytest.ItemsizeList' has .itemsize 8, but only types "
                                   "of builtin shape HPyType_BuiltinShape_Object or "
                                   "HPyType_BuiltinShape_Legacy can vary in size, not "
                                   "HPyType_BuiltinShape_List"):
        mod.make(6, list)
    with raises_exactly(SystemError, "HPyType_Spec of 'mytest.NegItemsize' has a negative "
                                     ".itemsize (-3)"):
        mod.make(7)


@pytest.mark.runtime_specific(LAYOUT)
def test_struct_smaller_than_the_base(compile_module):
    mod = compile_module(SHAPE_ERRORS)
    Obj = mod.make(2)                    # ObjectOnInt without a base: object + an 8-byte struct
    assert basicsize(Obj) == 24
    with raises_exactly(TypeError, "type 'mytest.Small' would have instances of 17 bytes, smaller "
                                   "than those of its bases (24 bytes): its struct must contain "
                                   "the struct of its base"):
        mod.make(8, Obj)


# ---- bad specs ------------------------------------------------------------------------------

BAD_SPECS = '''
HPyDef_METH(f, "f", HPyFunc_NOARGS)
static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPy_Dup(ctx, ctx->h_None); }
HPyDef_SLOT(repr, HPy_tp_repr)
static HPy repr_impl(HPyContext *ctx, HPy self) { (void)self; return HPyUnicode_FromString(ctx, "r"); }
HPyDef_SLOT(destroy, HPy_tp_destroy)
static void destroy_impl(void *obj) { (void)obj; }

typedef struct { long a; long b; } S;
static HPyDef bad_slot = { .kind = HPyDef_Kind_Slot };
static HPyDef mod_exec_slot = { .kind = HPyDef_Kind_Slot };
static HPyDef noname_meth = { .kind = HPyDef_Kind_Meth };
static HPyDef noname_member = { .kind = HPyDef_Kind_Member };
static HPyDef noname_getset = { .kind = HPyDef_Kind_GetSet };
static HPyDef bad_kind = { .kind = (HPyDef_Kind)7 };
static HPyDef bad_member_type = { .kind = HPyDef_Kind_Member };
static HPyDef no_impl_slot = { .kind = HPyDef_Kind_Slot };
static HPyDef bad_sig = { .kind = HPyDef_Kind_Meth };
HPyDef_MEMBER(member_b, "b", HPyMember_LONG, offsetof(S, b))
HPyDef_MEMBER(member_past, "past", HPyMember_LONG, sizeof(S) - 4)
HPyDef_MEMBER(member_neg, "neg", HPyMember_INT, -4)
HPyDef_MEMBER(vcoff_rw, "__vectorcalloffset__", HPyMember_HPYSSIZET, 0)
HPyDef_MEMBER(weaklist_int, "__weaklistoffset__", HPyMember_INT, 0, .readonly = 1)

#define SPEC(NAME, ...) \\
    static HPyDef *NAME##_defs[] = { __VA_ARGS__, NULL }; \\
    static HPyType_Spec NAME = { .name = "mytest." #NAME, .basicsize = sizeof(S), \\
                                 .defines = NAME##_defs };
SPEC(BadSlot, &f, &bad_slot)
SPEC(ModSlot, &mod_exec_slot)
SPEC(NoNameMeth, &noname_meth)
SPEC(NoNameMember, &noname_member)
SPEC(NoNameGetSet, &noname_getset)
SPEC(BadKind, &repr, &bad_kind)
SPEC(BadMemberType, &bad_member_type)
SPEC(MemberPast, &member_b, &member_past)
SPEC(MemberNeg, &member_neg)
SPEC(NoImpl, &no_impl_slot)
SPEC(BadSig, &bad_sig)
SPEC(VcoffRW, &vcoff_rw)
SPEC(WeaklistInt, &weaklist_int)
static HPyDef *Members0_defs[] = { &member_b, NULL };
static HPyType_Spec Members0 = { .name = "mytest.Members0", .defines = Members0_defs };
static HPyType_Spec NoName = { .name = NULL };
static HPyType_Spec GcNoTraverse = { .name = "mytest.GcNoTraverse",
                                     .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC };
static HPyType_Spec VectorcallFlag = { .name = "mytest.VectorcallFlag",
                                       .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_VECTORCALL };
static long not_slots[4];
static HPyType_Spec LegacySlotsPure = { .name = "mytest.LegacySlotsPure", .legacy_slots = not_slots };
static HPyType_Spec NegBasicsize = { .name = "mytest.NegBasicsize", .basicsize = -8 };

HPyDef_METH(make, "make", HPyFunc_O)
static HPy make_impl(HPyContext *ctx, HPy self, HPy arg)
{
    static HPyType_Spec *specs[] = {
        &BadSlot, &ModSlot, &NoNameMeth, &NoNameMember, &NoNameGetSet, &BadKind,
        &BadMemberType, &MemberPast, &MemberNeg, &NoImpl, &BadSig, &VcoffRW, &WeaklistInt,
        &Members0, &NoName, &GcNoTraverse, &VectorcallFlag, &LegacySlotsPure, &NegBasicsize,
        NULL,
    };
    (void)self;
    bad_slot.slot.slot = (HPySlot_Slot)1234;
    bad_slot.slot.impl = f.meth.impl;
    bad_slot.slot.cpy_trampoline = f.meth.cpy_trampoline;
    mod_exec_slot.slot.slot = HPy_mod_exec;
    mod_exec_slot.slot.cpy_trampoline = f.meth.cpy_trampoline;
    bad_member_type.member.name = "m";
    bad_member_type.member.type = (HPyMember_FieldType)15;
    no_impl_slot.slot.slot = HPy_tp_str;
    bad_sig.meth.name = "g";
    bad_sig.meth.impl = f.meth.impl;
    bad_sig.meth.cpy_trampoline = f.meth.cpy_trampoline;
    bad_sig.meth.signature = HPyFunc_DESTROYFUNC;
    long n = HPyLong_AsLong(ctx, arg);
    if (n == -1)
        return HPyType_FromSpec(ctx, NULL, NULL);
    return HPyType_FromSpec(ctx, specs[n], NULL);
}
@EXPORT(make)
@INIT
'''

BAD_SPEC_ERRORS = [
    (SystemError, "Unsupported slot in HPyType_Spec.defines of 'mytest.BadSlot' (value: 1234)."),
    (SystemError, "Unsupported slot in HPyType_Spec.defines of 'mytest.ModSlot' (value: 2001)."),
    (SystemError, "HPyDef of kind Meth in HPyType_Spec.defines of 'mytest.NoNameMeth' has a NULL "
                  "name"),
    (SystemError, "HPyDef of kind Member in HPyType_Spec.defines of 'mytest.NoNameMember' has a "
                  "NULL name"),
    (SystemError, "HPyDef of kind GetSet in HPyType_Spec.defines of 'mytest.NoNameGetSet' has a "
                  "NULL name"),
    (SystemError, "HPyDef in HPyType_Spec.defines of 'mytest.BadKind' has an unknown kind "
                  "(value: 7)."),
    (SystemError, "HPyMember 'm' in HPyType_Spec.defines of 'mytest.BadMemberType' has an unknown "
                  "type (value: 15)."),
    (TypeError, "member 'past' of 'mytest.MemberPast' (offset %d, %d bytes) does not fit in "
                ".basicsize %d" % (2 * 8 - 4, 8, 2 * 8)),
    (TypeError, "member 'neg' of 'mytest.MemberNeg' (offset -4, 4 bytes) does not fit in "
                ".basicsize 16"),
    (SystemError, "HPyDef of slot 70 in HPyType_Spec.defines of 'mytest.NoImpl' has no "
                  "implementation"),
    (ValueError, "Unsupported HPyMeth signature"),
    (TypeError, "member '__vectorcalloffset__' of 'mytest.VcoffRW' must be a read-only "
                "HPyMember_HPYSSIZET"),
    (TypeError, "member '__weaklistoffset__' of 'mytest.WeaklistInt' must be a read-only "
                "HPyMember_HPYSSIZET"),
    (TypeError, "Type claims to have basicsize==0 but defines members"),
    (SystemError, "HPyType_Spec.name must not be NULL"),
    (ValueError, "You must provide an HPy_tp_traverse slot if you specify HPy_TPFLAGS_HAVE_GC"),
    (TypeError, "type 'mytest.VectorcallFlag' sets HPy_TPFLAGS_HAVE_VECTORCALL but does not use "
                "the HPy call protocol (HPy_tp_call or a '__vectorcalloffset__' member)"),
    (TypeError, "cannot specify .legacy_slots without setting "
                ".builtin_shape=HPyType_BuiltinShape_Legacy"),
    (SystemError, "HPyType_Spec of 'mytest.NegBasicsize' has a negative .basicsize (-8)"),
]


@pytest.mark.parametrize('n', range(len(BAD_SPEC_ERRORS)))
def test_bad_spec(compile_module, n):
    mod = compile_module(BAD_SPECS)
    exc, message = BAD_SPEC_ERRORS[n]
    assert sys.maxsize > 2**32, 'the expected offsets assume LP64'
    with raises_exactly(exc, message):
        mod.make(n)


def test_null_spec(compile_module):
    mod = compile_module(BAD_SPECS)
    with raises_exactly(SystemError, 'HPyType_FromSpec: the spec is NULL'):
        mod.make(-1)


def test_defines_are_not_modified(compile_module):
    """Creating a type does not write into the module's HPyDefs: the same defines give the same
    type twice (upstream shifted the members' offsets in place)."""
    mod = compile_module('''
        typedef struct { long a; HPyField f; } S;
        HPyType_HELPERS(S)
        HPyDef_MEMBER(m_a, "a", HPyMember_LONG, offsetof(S, a))
        HPyDef_MEMBER(m_f, "f", HPyMember_OBJECT, offsetof(S, f))
        HPyDef_SLOT(t_traverse, HPy_tp_traverse)
        static int t_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
        {
            HPy_VISIT(&((S *)self)->f);
            return 0;
        }
        HPyDef_METH(offsets, "offsets", HPyFunc_NOARGS)
        static HPy offsets_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPy_BuildValue(ctx, "nn", m_a.member.offset, m_f.member.offset);
        }
        HPyDef_METH(set_a, "set_a", HPyFunc_O)
        static HPy set_a_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            S_AsStruct(ctx, self)->a = HPyLong_AsLong(ctx, arg);
            return HPy_Dup(ctx, ctx->h_None);
        }
        static HPyDef *defs[] = { &m_a, &m_f, &t_traverse, &set_a, NULL };
        static HPyType_Spec spec = { .name = "mytest.T", .basicsize = sizeof(S),
                                     .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
                                     .defines = defs };
        HPyDef_METH(make, "make", HPyFunc_NOARGS)
        static HPy make_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPyType_FromSpec(ctx, &spec, NULL);
        }
        @EXPORT(make)
        @EXPORT(offsets)
        @INIT
    ''')
    before = mod.offsets()
    for _ in range(3):
        T = mod.make()
        t = T()
        t.set_a(17)
        t.f = 'field'
        assert (t.a, t.f) == (17, 'field')
    assert mod.offsets() == before == (0, 8)


# ---- types of other extensions --------------------------------------------------------------

@pytest.mark.runtime_specific(C_CYCLES)
def test_base_from_another_module(compile_module):
    """An HPy type deriving from an HPy type of another extension module: the destroy functions
    and fields of both are handled (one registry per process, shared by every module)."""
    base = compile_module(with_types('''
        typedef struct { long a; HPyField f; } BaseObject;
        static long base_destroyed;
        HPyDef_SLOT(Base_destroy, HPy_tp_destroy)
        static void Base_destroy_impl(void *obj) { if (((BaseObject *)obj)->a == 42) base_destroyed++; }
        HPyDef_SLOT(Base_traverse, HPy_tp_traverse)
        static int Base_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
        {
            HPy_VISIT(&((BaseObject *)self)->f);
            return 0;
        }
        HPyDef_SLOT(Base_init, HPy_tp_init)
        static int Base_init_impl(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, HPy kw)
        {
            (void)args; (void)nargs; (void)kw;
            ((BaseObject *)_HPy_AsStruct_Object(ctx, self))->a = 42;
            return 0;
        }
        HPyDef_MEMBER(Base_f, "f", HPyMember_OBJECT, offsetof(BaseObject, f))
        HPyDef_METH(destroyed, "destroyed", HPyFunc_NOARGS)
        static HPy destroyed_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPyLong_FromLong(ctx, base_destroyed);
        }
        static HPyDef *Base_defines[] = { &Base_destroy, &Base_traverse, &Base_init, &Base_f, NULL };
        static HPyType_Spec Base_spec = {
            .name = "base.Base", .basicsize = sizeof(BaseObject),
            .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
            .defines = Base_defines,
        };
        @EXPORT(destroyed)
        @INIT
    ''', ('Base', 'Base_spec')))
    sub = compile_module('''
        typedef struct { long a; HPyField f; long b; HPyField g; } SubObject;
        static long sub_destroyed;
        HPyDef_SLOT(Sub_destroy, HPy_tp_destroy)
        static void Sub_destroy_impl(void *obj) { (void)obj; sub_destroyed++; }
        HPyDef_SLOT(Sub_traverse, HPy_tp_traverse)
        static int Sub_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
        {
            HPy_VISIT(&((SubObject *)self)->f);
            HPy_VISIT(&((SubObject *)self)->g);
            return 0;
        }
        HPyDef_MEMBER(Sub_g, "g", HPyMember_OBJECT, offsetof(SubObject, g))
        HPyDef_METH(destroyed, "destroyed", HPyFunc_NOARGS)
        static HPy destroyed_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            return HPyLong_FromLong(ctx, sub_destroyed);
        }
        static HPyDef *Sub_defines[] = { &Sub_destroy, &Sub_traverse, &Sub_g, NULL };
        static HPyType_Spec Sub_spec = {
            .name = "sub.Sub", .basicsize = sizeof(SubObject),
            .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC, .defines = Sub_defines,
        };
        HPyDef_METH(make_sub, "make_sub", HPyFunc_O)
        static HPy make_sub_impl(HPyContext *ctx, HPy self, HPy base)
        {
            HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, base }, { 0, { 0 } } };
            (void)self;
            return HPyType_FromSpec(ctx, &Sub_spec, params);
        }
        @EXPORT(make_sub)
        @EXPORT(destroyed)
        @INIT
    ''')
    Sub = sub.make_sub(base.Base)
    b0, s0 = base.destroyed(), sub.destroyed()
    s = Sub()
    s.f = [s]
    s.g = {'s': s}
    del s
    gc.collect()
    assert (base.destroyed() - b0, sub.destroyed() - s0) == (1, 1)
    s = Sub()
    del s
    assert (base.destroyed() - b0, sub.destroyed() - s0) == (2, 2)
