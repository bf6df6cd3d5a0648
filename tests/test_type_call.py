"""The call protocol (abi.md §8.4): HPy_tp_call through vectorcall with a hidden per-object field,
HPy_SetCallFunction and HPyDef_CALL_FUNCTION, an explicit __vectorcalloffset__ member, and its
errors."""
import pytest

from support import basicsize

from type_helpers import raises_exactly, with_types

CALL = '''
typedef struct { long x; } CallableObject;
HPyType_HELPERS(CallableObject)

/* (name, x, positional args, {keyword: value}) */
static HPy describe_x(HPyContext *ctx, const char *name, long x, const HPy *args, size_t nargs,
                      HPy kwnames)
{
    HPy pos = HPyTuple_FromArray(ctx, (HPy *)args, (HPy_ssize_t)nargs);
    HPy kw = HPyDict_New(ctx);
    if (!HPy_IsNull(kwnames)) {
        HPy_ssize_t n = HPy_Length(ctx, kwnames);
        for (HPy_ssize_t i = 0; i < n; i++) {
            HPy key = HPy_GetItem_i(ctx, kwnames, i);
            HPy_SetItem(ctx, kw, key, args[nargs + (size_t)i]);
            HPy_Close(ctx, key);
        }
    }
    HPy res = HPy_BuildValue(ctx, "slOO", name, x, pos, kw);
    HPy_Close(ctx, pos);
    HPy_Close(ctx, kw);
    return res;
}
#define describe(ctx, name, callable, args, nargs, kwnames) \
    describe_x(ctx, name, CallableObject_AsStruct(ctx, callable)->x, args, nargs, kwnames)

HPyDef_SLOT(Callable_call, HPy_tp_call)
static HPy Callable_call_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs,
                              HPy kwnames)
{
    return describe(ctx, "tp_call", callable, args, nargs, kwnames);
}

HPyDef_CALL_FUNCTION(call_a)
static HPy call_a_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    return describe(ctx, "a", callable, args, nargs, kwnames);
}

HPyDef_CALL_FUNCTION(call_b)
static HPy call_b_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    return describe(ctx, "b", callable, args, nargs, kwnames);
}

HPyDef_METH(set_call, "set_call", HPyFunc_VARARGS)
static HPy set_call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "set_call(obj, 'a' or 'b')");
    const char *which = HPyUnicode_AsUTF8AndSize(ctx, args[1], NULL);
    if (which == NULL)
        return HPy_NULL;
    if (HPy_SetCallFunction(ctx, args[0], which[0] == 'a' ? &call_a : &call_b) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_SLOT(Callable_new, HPy_tp_new)
static HPy Callable_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    long x = 0;
    CallableObject *data;
    (void)kw;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "|l", &x))
        return HPy_NULL;
    HPy h = HPy_New(ctx, cls, &data);
    if (!HPy_IsNull(h))
        data->x = x;
    return h;
}

HPyDef_SLOT(Callable_init, HPy_tp_init)
static int Callable_init_impl(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    (void)kw;
    if (nargs == 1)
        CallableObject_AsStruct(ctx, self)->x = HPyLong_AsLong(ctx, args[0]);
    return HPyErr_Occurred(ctx) ? -1 : 0;
}

HPyDef_MEMBER(Callable_x, "x", HPyMember_LONG, offsetof(CallableObject, x))

static HPyDef *WithNew_defines[] = { &Callable_call, &Callable_new, &Callable_x, NULL };
static HPyType_Spec WithNew_spec = {
    .name = "mytest.WithNew", .basicsize = sizeof(CallableObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = WithNew_defines,
};
/* no HPy_tp_new: the runtime supplies one that installs the default call function */
static HPyDef *NoNew_defines[] = { &Callable_call, &Callable_init, &Callable_x, NULL };
static HPyType_Spec NoNew_spec = {
    .name = "mytest.NoNew", .basicsize = sizeof(CallableObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = NoNew_defines,
};
HPyDef_SLOT_IMPL(Generic_new, HPyType_GenericNew, HPy_tp_new)
static HPyDef *Generic_defines[] = { &Callable_call, &Generic_new, &Callable_init, &Callable_x,
                                     NULL };
static HPyType_Spec Generic_spec = {
    .name = "mytest.Generic", .basicsize = sizeof(CallableObject),
    .flags = HPy_TPFLAGS_DEFAULT, .defines = Generic_defines,
};
/* no struct at all: the hidden field goes after the object header */
HPyDef_SLOT(NoStruct_call, HPy_tp_call)
static HPy NoStruct_call_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs,
                              HPy kwnames)
{
    (void)callable;
    return describe_x(ctx, "tp_call", 0, args, nargs, kwnames);
}
static HPyDef *NoStruct_defines[] = { &NoStruct_call, NULL };
static HPyType_Spec NoStruct_spec = { .name = "mytest.NoStruct", .defines = NoStruct_defines };

static HPyType_Spec Plain_spec = { .name = "mytest.Plain" };
@EXPORT(set_call)
'''

TYPES = [('WithNew', 'WithNew_spec'), ('NoNew', 'NoNew_spec'), ('Generic', 'Generic_spec'),
         ('Plain', 'Plain_spec'), ('NoStruct', 'NoStruct_spec')]


def call_module(compile_module, extra='', types=()):
    return compile_module(with_types(CALL + extra + '@INIT\n', *(TYPES + list(types))))


def test_tp_call(compile_module):
    mod = call_module(compile_module)
    for T in (mod.WithNew, mod.NoNew, mod.Generic):
        c = T(5)
        assert c() == ('tp_call', 5, (), {})
        assert c(1, 'two') == ('tp_call', 5, (1, 'two'), {})
        assert c(1, k=2, j=3) == ('tp_call', 5, (1,), {'k': 2, 'j': 3})
        assert c(*range(20), **{'k%d' % i: i for i in range(10)}) == \
            ('tp_call', 5, tuple(range(20)), {'k%d' % i: i for i in range(10)})
        assert type(c).__call__(c, 1) == ('tp_call', 5, (1,), {})
        assert list(map(c, [1])) == [('tp_call', 5, (1,), {})]
        assert callable(c)
        # the hidden field is after the struct, aligned: object header 16, struct 8, field 8
        assert '__vectorcalloffset__' in T.__dict__
        assert basicsize(T) == 32 + 8
    assert not callable(mod.Plain())


def test_runtime_tp_new(compile_module):
    mod = call_module(compile_module)
    assert mod.NoNew().x == 0
    assert mod.NoNew(7).x == 7           # the arguments go to NoNew's __init__
    mod.NoNew(1, 2, 3)                   # which ignores too many
    with raises_exactly(TypeError, 'mytest.NoStruct() takes no arguments'):
        mod.NoStruct(1)                  # as object.__new__ says without an __init__


def test_tp_call_without_struct(compile_module):
    mod = call_module(compile_module)
    assert basicsize(mod.NoStruct) == basicsize(object) + 8
    assert mod.NoStruct()(1) == ('tp_call', 0, (1,), {})


def test_python_subclasses(compile_module):
    mod = call_module(compile_module)
    for T in (mod.WithNew, mod.NoNew):
        class Sub(T):
            pass
        s = Sub(3)
        s.attr = 1
        assert s(1, a=2) == ('tp_call', 3, (1,), {'a': 2})

        class Overrides(T):
            def __call__(self, *args):
                return ('python', args)
        assert Overrides(3)(1) == ('python', (1,))

        class WithNew(T):
            def __new__(cls, *args):
                # object.__new__ (behind NoNew's runtime tp_new) refuses arguments here
                return super().__new__(cls, *(args if T is mod.WithNew else ()))
        assert WithNew(4)(2) == ('tp_call', 4, (2,), {})


def test_set_call_function(compile_module):
    mod = call_module(compile_module)
    for T in (mod.WithNew, mod.NoNew):
        c1, c2 = T(1), T(2)
        mod.set_call(c1, 'a')
        assert c1(9) == ('a', 1, (9,), {})
        assert c2(9) == ('tp_call', 2, (9,), {})
        mod.set_call(c2, 'b')
        assert c2(x=1) == ('b', 2, (), {'x': 1})
        mod.set_call(c1, 'b')
        assert c1() == ('b', 1, (), {})


def test_set_call_function_errors(compile_module):
    mod = call_module(compile_module)
    with raises_exactly(TypeError, "type 'mytest.Plain does not implement the HPy call protocol"):
        mod.set_call(mod.Plain(), 'a')
    with raises_exactly(TypeError, "type 'object does not implement the HPy call protocol"):
        mod.set_call(object(), 'a')
    with raises_exactly(TypeError, "type 'int does not implement the HPy call protocol"):
        mod.set_call(42, 'a')


EXPLICIT = '''
typedef struct {
    long x;
    HPyCallFunction call_func;
} ExplicitObject;
HPyType_HELPERS(ExplicitObject)
HPyDef_MEMBER(Explicit_vcoff, "__vectorcalloffset__", HPyMember_HPYSSIZET,
              offsetof(ExplicitObject, call_func), .readonly = 1)
HPyDef_SLOT(Explicit_new, HPy_tp_new)
static HPy Explicit_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    ExplicitObject *data;
    (void)args; (void)kw;
    HPy h = HPy_New(ctx, cls, &data);
    if (HPy_IsNull(h))
        return HPy_NULL;
    data->x = (long)nargs;
    if (HPy_SetCallFunction(ctx, h, &call_a) < 0) {
        HPy_Close(ctx, h);
        return HPy_NULL;
    }
    return h;
}
static HPyDef *Explicit_defines[] = { &Explicit_vcoff, &Explicit_new, NULL };
static HPyType_Spec Explicit_spec = {
    .name = "mytest.Explicit", .basicsize = sizeof(ExplicitObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Explicit_defines,
};
/* without a constructor that sets it, there is no call function */
static HPyDef *ExplicitNoNew_defines[] = { &Explicit_vcoff, NULL };
static HPyType_Spec ExplicitNoNew_spec = {
    .name = "mytest.ExplicitNoNew", .basicsize = sizeof(ExplicitObject),
    .defines = ExplicitNoNew_defines,
};
'''


def test_explicit_vectorcalloffset(compile_module):
    mod = call_module(compile_module, EXPLICIT, [('Explicit', 'Explicit_spec'),
                                                  ('ExplicitNoNew', 'ExplicitNoNew_spec')])
    e = mod.Explicit(1, 2)
    assert e('x', y=1) == ('a', 2, ('x',), {'y': 1})
    assert '__vectorcalloffset__' in mod.Explicit.__dict__
    assert basicsize(mod.Explicit) == basicsize(object) + 24
    mod.set_call(e, 'b')
    assert e() == ('b', 2, (), {})

    class Sub(mod.Explicit):
        pass
    assert Sub()(3) == ('a', 0, (3,), {})
    n = mod.ExplicitNoNew()
    with pytest.raises(TypeError):
        n()
    mod.set_call(n, 'b')
    assert n(1) == ('b', 0, (1,), {})


HPY_SUB = '''
typedef struct {
    CallableObject base;
    long y;
    long z[2];       /* where the base's hidden call field is */
} SubObject;
HPyDef_METH(Sub_y, "y", HPyFunc_NOARGS)
static HPy Sub_y_impl(HPyContext *ctx, HPy self)
{
    SubObject *data = (SubObject *)_HPy_AsStruct_Object(ctx, self);
    return HPyLong_FromLong(ctx, data->y == data->z[0] && data->y == data->z[1] ? data->y : -1);
}
HPyDef_SLOT(Sub_init, HPy_tp_init)
static int Sub_init_impl(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    (void)args; (void)nargs; (void)kw;
    SubObject *data = (SubObject *)_HPy_AsStruct_Object(ctx, self);
    data->y = data->z[0] = data->z[1] = 0x7777777777;
    return 0;
}
static HPyDef *Sub_defines[] = { &Sub_y, &Sub_init, NULL };
static HPyType_Spec Sub_spec = {
    .name = "mytest.Sub", .basicsize = sizeof(SubObject), .defines = Sub_defines,
};
HPyDef_SLOT(Sub2_call, HPy_tp_call)
static HPy Sub2_call_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    return describe(ctx, "sub2", callable, args, nargs, kwnames);
}
static HPyDef *Sub2_defines[] = { &Sub2_call, &Sub_y, &Sub_init, NULL };
static HPyType_Spec Sub2_spec = {
    .name = "mytest.Sub2", .basicsize = sizeof(SubObject), .defines = Sub2_defines,
};
'''


@pytest.mark.parametrize('base', ['WithNew', 'NoNew'])
def test_hpy_subclass_with_its_own_struct(compile_module, base):
    """The inherited hidden call field would lie in the subclass's struct: it gets its own."""
    params = '{ { HPyType_SpecParam_Base, _add_types_base }, { 0, { 0 } } }'
    other = [t for t in TYPES if t[0] != base]
    mod = compile_module(with_types(CALL + HPY_SUB + '@INIT\n', (base, base + '_spec'),
                                    ('Sub', 'Sub_spec', params), ('Sub2', 'Sub2_spec', params),
                                    *other))
    B = getattr(mod, base)
    for T, name in ((mod.Sub, 'tp_call'), (mod.Sub2, 'sub2')):
        assert basicsize(B) == 40                   # 16 + struct 8 + padding 8 + field 8
        assert basicsize(T) == 16 + 32 + 8 and '__vectorcalloffset__' in T.__dict__
        s = T()
        assert s.y() == 0x7777777777
        assert s(1) == (name, 0, (1,), {})
        assert s.y() == 0x7777777777
        mod.set_call(s, 'a')
        assert s(2) == ('a', 0, (2,), {}) and s.y() == 0x7777777777


CALL_ERRORS = '''
HPyDef_SLOT(c_call, HPy_tp_call)
static HPy c_call_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    (void)callable; (void)args; (void)nargs; (void)kwnames;
    return HPy_Dup(ctx, ctx->h_None);
}
typedef struct { long x; HPyCallFunction f; } S;
HPyDef_MEMBER(vcoff, "__vectorcalloffset__", HPyMember_HPYSSIZET, offsetof(S, f), .readonly = 1)
static HPyDef *call_defs[] = { &c_call, NULL };
static HPyDef *both_defs[] = { &c_call, &vcoff, NULL };
static HPyType_Spec VarCall = {
    .name = "mytest.VarCall", .basicsize = 64, .itemsize = 8,
    .builtin_shape = HPyType_BuiltinShape_Legacy, .defines = call_defs,
};
static HPyType_Spec LegacyNoSize = {
    .name = "mytest.LegacyNoSize", .builtin_shape = HPyType_BuiltinShape_Legacy,
    .defines = call_defs,
};
static HPyType_Spec Both = { .name = "mytest.Both", .basicsize = sizeof(S), .defines = both_defs };
/* the default shape: its own items, or those of its base */
static HPyType_Spec VarObjectCall = {
    .name = "mytest.VarObjectCall", .basicsize = sizeof(S), .itemsize = 8, .defines = call_defs,
};
static HPyType_Spec VarBase = {
    .name = "mytest.VarBase", .basicsize = sizeof(S), .itemsize = 8,
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
static HPyType_Spec OnVarBase = {
    .name = "mytest.OnVarBase", .basicsize = sizeof(S), .defines = call_defs,
};
HPyDef_METH(make, "make", HPyFunc_VARARGS)
static HPy make_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    static HPyType_Spec *specs[] = { &VarCall, &LegacyNoSize, &Both, &VarObjectCall, &VarBase,
                                     &OnVarBase };
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, nargs > 1 ? args[1] : HPy_NULL },
                                   { 0, { 0 } } };
    (void)self;
    return HPyType_FromSpec(ctx, specs[HPyLong_AsLong(ctx, args[0])], nargs > 1 ? params : NULL);
}
@EXPORT(make)
@INIT
'''


def test_call_protocol_errors(compile_module):
    mod = compile_module(CALL_ERRORS)
    for spec in (0, 3):             # Legacy and Object shape
        with raises_exactly(TypeError, 'Cannot use HPy call protocol with var objects'):
            mod.make(spec)
    # items inherited
    with raises_exactly(TypeError, 'Cannot use HPy call protocol with var objects'):
        mod.make(5, mod.make(4))
    with raises_exactly(TypeError, "Cannot use HPy call protocol with legacy types that inherit "
                                   "the struct. Either set the basicsize to anon-zero value or use "
                                   "legacy slot 'Py_tp_call'."):
        mod.make(1)
    with raises_exactly(TypeError, "Cannot have HPy_tp_call and explicit member"
                                   "'__vectorcalloffset__'. Specify just one of them."):
        mod.make(2)
