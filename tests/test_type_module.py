"""The defining module of a type (PEP 573, docs/type-module.md): HPyType_SpecParam_Module, and
HPyType_GetModule / HPyType_GetModuleByDef reaching the module (and so its globals) from methods
and slots, for instances of the type, of Python subclasses and of subtypes defined in another
module; the errors; in every ABI."""
import pytest

from type_helpers import raises_exactly, with_types

# Point: created in the module's exec slot with the module as a spec param. Its methods and
# slots reach the module: the module attribute `prefix` is a "global" they read.
SOURCE = with_types('''
    static HPyModuleDef moduledef;              /* defined by @INIT below */

    typedef struct { long x; } PointObject;
    HPyType_HELPERS(PointObject)

    HPyDef_SLOT(Point_new, HPy_tp_new)
    static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs,
                              HPy kw)
    {
        long x = 0;
        PointObject *p;
        (void)kw;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "|l", &x))
            return HPy_NULL;
        HPy h = HPy_New(ctx, cls, &p);
        if (!HPy_IsNull(h))
            p->x = x;
        return h;
    }

    /* the module of the instance's type (HPyType_GetModule: the first class of the MRO with
     * a module) */
    HPyDef_METH(Point_module, "module", HPyFunc_NOARGS)
    static HPy Point_module_impl(HPyContext *ctx, HPy self)
    {
        HPy type = HPy_Type(ctx, self);
        HPy m = HPyType_GetModule(ctx, type);
        HPy_Close(ctx, type);
        return m;
    }

    /* the module made from this module's definition, from the instance's type up */
    HPyDef_METH(Point_own_module, "own_module", HPyFunc_NOARGS)
    static HPy Point_own_module_impl(HPyContext *ctx, HPy self)
    {
        HPy type = HPy_Type(ctx, self);
        HPy m = HPyType_GetModuleByDef(ctx, type, &moduledef);
        HPy_Close(ctx, type);
        return m;
    }

    /* a slot reading a module global */
    HPyDef_SLOT(Point_repr, HPy_tp_repr)
    static HPy Point_repr_impl(HPyContext *ctx, HPy self)
    {
        HPy type = HPy_Type(ctx, self);
        HPy m = HPyType_GetModuleByDef(ctx, type, &moduledef);
        HPy_Close(ctx, type);
        if (HPy_IsNull(m))
            return HPy_NULL;
        HPy prefix = HPy_GetAttr_s(ctx, m, "prefix");
        HPy_Close(ctx, m);
        if (HPy_IsNull(prefix))
            return HPy_NULL;
        HPy r = HPyUnicode_FromFormat(ctx, "%S(%ld)", prefix, PointObject_AsStruct(ctx, self)->x);
        HPy_Close(ctx, prefix);
        return r;
    }

    static HPyDef *Point_defines[] = { &Point_new, &Point_module, &Point_own_module,
                                       &Point_repr, NULL };
    static HPyType_Spec Point_spec = {
        .name = "mytest.Point", .basicsize = sizeof(PointObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Point_defines,
    };

    /* Plain: no module */
    static HPyDef *Plain_defines[] = { &Point_new, &Point_module, &Point_own_module, NULL };
    static HPyType_Spec Plain_spec = {
        .name = "mytest.Plain", .basicsize = sizeof(PointObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Plain_defines,
    };

    /* module_of(type[, by_def]): HPyType_GetModule, or HPyType_GetModuleByDef with this
     * module's definition */
    HPyDef_METH(module_of, "module_of", HPyFunc_VARARGS)
    static HPy module_of_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self;
        if (nargs == 2)
            return HPyType_GetModuleByDef(ctx, args[0], &moduledef);
        return HPyType_GetModule(ctx, args[0]);
    }

    /* subtype(base, name, module): a subtype of base with HPyType_FromSpec, made with `module`
     * as its module (None: none) */
    static HPyDef *Sub_defines[] = { NULL };
    static HPyType_Spec Sub_spec = {
        .name = "mytest.Sub", .basicsize = sizeof(PointObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Sub_defines,
    };
    HPyDef_METH(subtype, "subtype", HPyFunc_VARARGS)
    static HPy subtype_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self; (void)nargs;
        HPyType_SpecParam with_module[] = {
            { HPyType_SpecParam_Base, args[0] },
            HPyType_SpecParam_MODULE(args[1]),
            { (HPyType_SpecParam_Kind)0, HPy_NULL }
        };
        HPyType_SpecParam without[] = {
            { HPyType_SpecParam_Base, args[0] },
            { (HPyType_SpecParam_Kind)0, HPy_NULL }
        };
        return HPyType_FromSpec(ctx, &Sub_spec,
                                HPy_Is(ctx, args[1], ctx->h_None) ? without : with_module);
    }

    /* bad_params(kind): HPyType_FromSpec with a wrong Module param */
    HPyDef_METH(bad_params, "bad_params", HPyFunc_O)
    static HPy bad_params_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPyType_SpecParam two[] = {
            HPyType_SpecParam_MODULE(self), HPyType_SpecParam_MODULE(self),
            { (HPyType_SpecParam_Kind)0, HPy_NULL }
        };
        HPyType_SpecParam not_a_module[] = {
            HPyType_SpecParam_MODULE(arg), { (HPyType_SpecParam_Kind)0, HPy_NULL }
        };
        long which = HPyLong_AsLong(ctx, arg);
        return HPyType_FromSpec(ctx, &Sub_spec, which == 2 ? two : not_a_module);
    }
    @EXPORT(module_of)
    @EXPORT(subtype)
    @EXPORT(bad_params)
    @INIT
''', ('Point', 'Point_spec',
       '{ HPyType_SpecParam_MODULE(m), { (HPyType_SpecParam_Kind)0, HPy_NULL } }'),
    ('Plain', 'Plain_spec'))


def test_methods_and_slots_reach_their_module(compile_module):
    mod = compile_module(SOURCE)
    p = mod.Point(3)
    assert p.module() is mod and p.own_module() is mod
    mod.prefix = 'P'
    assert repr(p) == 'P(3)'
    mod.prefix = 'Q'
    assert repr(p) == 'Q(3)'
    del mod.prefix
    with pytest.raises(AttributeError):
        repr(p)
    assert mod.module_of(mod.Point) is mod and mod.module_of(mod.Point, 'by def') is mod


def test_python_subclasses_find_the_module_of_their_base(compile_module):
    mod = compile_module(SOURCE)
    mod.prefix = 'S'

    class Sub(mod.Point):
        pass

    class Mixin:
        pass

    class Deeper(Mixin, Sub):
        pass
    s = Sub(4)
    assert s.module() is mod and s.own_module() is mod and repr(s) == 'S(4)'
    assert mod.module_of(Sub) is mod and mod.module_of(Deeper, 'by def') is mod


def test_subtype_from_another_module(compile_module):
    """A subtype made with another module: HPyType_GetModule gives the subtype's module (the
    first one of the MRO); the base's methods find their own with HPyType_GetModuleByDef."""
    mod = compile_module(SOURCE)
    other = compile_module(SOURCE.replace('mytest.Point', 'other.Point'))
    assert other is not mod
    mod.prefix = 'mod'
    other.prefix = 'other'
    Sub = other.subtype(mod.Point, other)
    s = Sub(5)
    assert s.module() is other                   # Sub's own module
    assert s.own_module() is mod                 # the module of Point's definition
    assert repr(s) == 'mod(5)'
    assert other.module_of(Sub) is other and other.module_of(Sub, 'by def') is other
    assert mod.module_of(Sub, 'by def') is mod
    NoModule = other.subtype(mod.Point, None)
    assert NoModule(1).module() is mod and NoModule(1).own_module() is mod
    with raises_exactly(TypeError, "HPyType_GetModuleByDef: neither type 'mytest.Sub' nor a base "
                        "was created with HPyType_SpecParam_Module for a module of the given "
                        "HPyModuleDef"):
        other.module_of(NoModule, 'by def')      # other's definition: not in NoModule's MRO


def test_types_without_a_module(compile_module):
    mod = compile_module(SOURCE)
    plain = mod.Plain()
    with raises_exactly(TypeError, "HPyType_GetModule: type 'mytest.Plain' has no module: "
                        "neither it nor a base was created with HPyType_SpecParam_Module"):
        plain.module()
    with raises_exactly(TypeError, "HPyType_GetModuleByDef: neither type 'mytest.Plain' nor a "
                        "base was created with HPyType_SpecParam_Module for a module of the "
                        "given HPyModuleDef"):
        plain.own_module()
    with raises_exactly(TypeError, "HPyType_GetModule: type 'int' has no module: neither it nor "
                        "a base was created with HPyType_SpecParam_Module"):
        mod.module_of(int)

    class PythonClass:
        pass
    with pytest.raises(TypeError, match="type 'PythonClass' has no module"):
        mod.module_of(PythonClass)
    with raises_exactly(TypeError, "HPyType_GetModule: the argument must be a type, not 'int'"):
        mod.module_of(42)
    with raises_exactly(TypeError, "HPyType_GetModuleByDef: the argument must be a type, not "
                        "'str'"):
        mod.module_of('x', 'by def')


def test_bad_module_params(compile_module):
    mod = compile_module(SOURCE)
    with raises_exactly(TypeError, "HPyType_SpecParam_Module of 'mytest.Sub' must be a module, "
                        "not 'int'"):
        mod.bad_params(1)
    with raises_exactly(TypeError, "multiple specifications of HPyType_SpecParam_Module"):
        mod.bad_params(2)
