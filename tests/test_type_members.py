"""HPyDef_MEMBER of every HPyMember_FieldType (abi.md §5.3, §9.7 step 7) and HPyDef_GET/SET/GETSET
with closures."""

import pytest

from support import refcount

from type_helpers import raises_exactly, with_types

MEMBERS = '''
typedef struct {
    short s;
    int i;
    long l;
    float f;
    double d;
    const char *str;
    char c;
    signed char b;
    unsigned char ub;
    unsigned short us;
    unsigned int ui;
    unsigned long ul;
    char inplace[8];
    char bo;
    long long ll;
    unsigned long long ull;
    HPy_ssize_t sz;
    HPyField obj;
    HPyField objex;
    HPyField obj_ro;
    long ro;
} MembersObject;
HPyType_HELPERS(MembersObject)

/* the struct of Members and ListMembers instances (and of their subclasses) */
static MembersObject *get_struct(HPyContext *ctx, HPy self)
{
    HPy type = HPy_Type(ctx, self);
    HPyType_BuiltinShape shape = _HPyType_GetBuiltinShape(ctx, type);
    HPy_Close(ctx, type);
    if (shape == HPyType_BuiltinShape_List)
        return (MembersObject *)_HPy_AsStruct_List(ctx, self);
    return MembersObject_AsStruct(ctx, self);
}

HPyDef_MEMBER(m_s, "s", HPyMember_SHORT, offsetof(MembersObject, s), .doc = "a short")
HPyDef_MEMBER(m_i, "i", HPyMember_INT, offsetof(MembersObject, i))
HPyDef_MEMBER(m_l, "l", HPyMember_LONG, offsetof(MembersObject, l))
HPyDef_MEMBER(m_f, "f", HPyMember_FLOAT, offsetof(MembersObject, f))
HPyDef_MEMBER(m_d, "d", HPyMember_DOUBLE, offsetof(MembersObject, d))
HPyDef_MEMBER(m_str, "str", HPyMember_STRING, offsetof(MembersObject, str), .readonly = 1)
HPyDef_MEMBER(m_c, "c", HPyMember_CHAR, offsetof(MembersObject, c))
HPyDef_MEMBER(m_b, "b", HPyMember_BYTE, offsetof(MembersObject, b))
HPyDef_MEMBER(m_ub, "ub", HPyMember_UBYTE, offsetof(MembersObject, ub))
HPyDef_MEMBER(m_us, "us", HPyMember_USHORT, offsetof(MembersObject, us))
HPyDef_MEMBER(m_ui, "ui", HPyMember_UINT, offsetof(MembersObject, ui))
HPyDef_MEMBER(m_ul, "ul", HPyMember_ULONG, offsetof(MembersObject, ul))
HPyDef_MEMBER(m_inplace, "inplace", HPyMember_STRING_INPLACE, offsetof(MembersObject, inplace),
              .readonly = 1)
HPyDef_MEMBER(m_bo, "bo", HPyMember_BOOL, offsetof(MembersObject, bo))
HPyDef_MEMBER(m_ll, "ll", HPyMember_LONGLONG, offsetof(MembersObject, ll))
HPyDef_MEMBER(m_ull, "ull", HPyMember_ULONGLONG, offsetof(MembersObject, ull))
HPyDef_MEMBER(m_sz, "sz", HPyMember_HPYSSIZET, offsetof(MembersObject, sz))
HPyDef_MEMBER(m_obj, "obj", HPyMember_OBJECT, offsetof(MembersObject, obj), .doc = "a field")
HPyDef_MEMBER(m_objex, "objex", HPyMember_OBJECT_EX, offsetof(MembersObject, objex))
HPyDef_MEMBER(m_obj_ro, "obj_ro", HPyMember_OBJECT, offsetof(MembersObject, obj_ro), .readonly = 1)
HPyDef_MEMBER(m_none, "none", HPyMember_NONE, 0)
HPyDef_MEMBER(m_none_ro, "none_ro", HPyMember_NONE, 0, .readonly = 1)
HPyDef_MEMBER(m_ro, "ro", HPyMember_LONG, offsetof(MembersObject, ro), .readonly = 1)

HPyDef_SLOT(Members_traverse, HPy_tp_traverse)
static int Members_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    MembersObject *m = (MembersObject *)self;
    HPy_VISIT(&m->obj);
    HPy_VISIT(&m->objex);
    HPy_VISIT(&m->obj_ro);
    return 0;
}

/* the C values, read directly from the struct */
HPyDef_METH(Members_dump, "dump", HPyFunc_NOARGS)
static HPy Members_dump_impl(HPyContext *ctx, HPy self)
{
    MembersObject *m = get_struct(ctx, self);
    return HPy_BuildValue(ctx, "iilddiiiIIkiLKni", (int)m->s, m->i, m->l, (double)m->f, m->d, (int)m->c,
                          (int)m->b, (int)m->ub, (unsigned int)m->us, m->ui, m->ul, (int)m->bo,
                          m->ll, m->ull, m->sz, HPyField_IsNull(m->obj));
}

/* fill the members that Python cannot set */
HPyDef_METH(Members_fill, "fill", HPyFunc_O)
static HPy Members_fill_impl(HPyContext *ctx, HPy self, HPy arg)
{
    MembersObject *m = get_struct(ctx, self);
    m->str = "a C string";
    strcpy(m->inplace, "inplace");
    m->ro = 99;
    HPyField_Store(ctx, self, &m->obj_ro, arg);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(Members_load, "load", HPyFunc_NOARGS)
static HPy Members_load_impl(HPyContext *ctx, HPy self)
{
    MembersObject *m = get_struct(ctx, self);
    if (HPyField_IsNull(m->obj))
        return HPy_Dup(ctx, ctx->h_Ellipsis);
    return HPyField_Load(ctx, self, m->obj);
}

static HPyDef *Members_defines[] = {
    &m_s, &m_i, &m_l, &m_f, &m_d, &m_str, &m_c, &m_b, &m_ub, &m_us, &m_ui, &m_ul, &m_inplace,
    &m_bo, &m_ll, &m_ull, &m_sz, &m_obj, &m_objex, &m_obj_ro, &m_none, &m_none_ro, &m_ro,
    &Members_traverse, &Members_dump, &Members_fill, &Members_load, NULL
};
static HPyType_Spec Members_spec = {
    .name = "mytest.Members",
    .basicsize = sizeof(MembersObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Members_defines,
};

/* the same members on a list */
static HPyType_Spec ListMembers_spec = {
    .name = "mytest.ListMembers",
    .basicsize = sizeof(MembersObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .builtin_shape = HPyType_BuiltinShape_List,
    .defines = Members_defines,
};
'''


def members_module(compile_module):
    return compile_module(with_types(MEMBERS + '@INIT\n', ('Members', 'Members_spec'),
                                     ('ListMembers', 'ListMembers_spec',
                                      '{ { HPyType_SpecParam_Base, ctx->h_ListType }, '
                                      '{ 0, { 0 } } }')))


NUMERIC = [('s', 0, -1234), ('i', 0, -123456), ('l', 0, -2**40), ('f', 0.0, 1.5),
           ('d', 0.0, -2.25), ('b', 0, -7), ('ub', 0, 200), ('us', 0, 60000),
           ('ui', 0, 2**31 + 5), ('ul', 0, 2**63 + 5), ('ll', 0, -2**62), ('ull', 0, 2**64 - 1),
           ('sz', 0, -5)]


def check_members(T):
    m = T()
    zero = m.dump()
    assert zero == (0, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
    for name, default, value in NUMERIC:
        assert getattr(m, name) == default, name
        setattr(m, name, value)
        assert getattr(m, name) == value, name
    m.c = 'x'
    m.bo = True
    assert (m.c, m.bo) == ('x', True)
    dump = m.dump()
    assert dump[:5] == (-1234, -123456, -2**40, 1.5, -2.25)
    assert dump[5:] == (ord('x'), -7, 200, 60000, 2**31 + 5, 2**63 + 5, 1, -2**62, 2**64 - 1,
                        -5, 1)
    m.bo = False
    assert m.bo is False
    with pytest.raises(TypeError):
        m.l = 'not a number'
    # strings and None
    assert m.str is None and m.inplace == '' and m.none is None
    m.fill('readonly object')
    assert (m.str, m.inplace, m.ro, m.obj_ro) == ('a C string', 'inplace', 99,
                                                  'readonly object')
    for name in ('str', 'inplace', 'ro', 'obj_ro'):
        with pytest.raises((AttributeError, TypeError)):
            setattr(m, name, 1)
    # NONE: reads give None; writes fail as CPython's own T_NONE members do
    assert m.none is None and m.none_ro is None
    with raises_exactly(SystemError, 'bad memberdescr type for none'):
        m.none = 1
    with raises_exactly(SystemError, 'bad memberdescr type for none'):
        m.none = None
    with raises_exactly(TypeError, "can't delete numeric/char attribute"):
        del m.none
    for value in (1, None):
        with raises_exactly(AttributeError, 'readonly attribute'):
            m.none_ro = value
    with raises_exactly(AttributeError, 'readonly attribute'):
        del m.none_ro
    assert m.none is None and m.none_ro is None
    return m


def test_every_member_type(compile_module):
    mod = members_module(compile_module)
    check_members(mod.Members)
    assert mod.Members.s.__doc__ == 'a short'
    assert mod.Members.obj.__doc__ == 'a field'


def test_members_of_a_builtin_shape(compile_module):
    """The offsets are relative to the struct, which comes after the list."""
    mod = members_module(compile_module)
    m = check_members(mod.ListMembers)
    m.l = 12345
    m.extend([1, 2, 3])
    assert m == [1, 2, 3] and m.l == 12345 and m.dump()[2] == 12345
    m.obj = m
    assert m.obj is m and m.load() is m


def test_members_in_python_subclass(compile_module):
    mod = members_module(compile_module)

    class Sub(mod.Members):
        pass
    s = check_members(Sub)
    s.more = 1
    assert s.more == 1


def test_object_members(compile_module):
    mod = members_module(compile_module)
    m = mod.Members()
    assert m.obj is None and m.load() is Ellipsis
    msg = "'mytest.Members' object has no attribute 'objex'"
    with raises_exactly(AttributeError, msg):
        m.objex
    value = object()
    base = refcount(value)
    m.obj = value
    m.objex = value
    assert m.obj is value and m.objex is value and m.load() is value
    assert refcount(value) == base + 2
    m.obj = None
    assert m.obj is None and m.load() is None         # None is stored, not a null field
    del m.obj
    assert m.obj is None and m.load() is Ellipsis
    del m.objex
    assert refcount(value) == base
    with raises_exactly(AttributeError, msg):
        m.objex
    with raises_exactly(AttributeError, msg):
        del m.objex
    m.objex = value
    del m
    assert refcount(value) == base           # the fields are released with the object
    assert mod.Members.obj_ro.__set__ is not None
    with pytest.raises(AttributeError):
        mod.Members().obj_ro = 1


GETSETS = '''
typedef struct { long value; long deleted; } GSObject;
HPyType_HELPERS(GSObject)

HPyDef_GET(g_only, "get_only", .doc = "getter only")
static HPy g_only_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyLong_FromLong(ctx, GSObject_AsStruct(ctx, self)->value * 2);
}

HPyDef_SET(s_only, "set_only", .doc = "setter only")
static int s_only_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    (void)closure;
    GSObject *data = GSObject_AsStruct(ctx, self);
    if (HPy_IsNull(value)) {
        data->deleted++;
        return 0;
    }
    data->value = HPyLong_AsLong(ctx, value);
    return HPyErr_Occurred(ctx) ? -1 : 0;
}

HPyDef_GETSET(gs, "value", .doc = "both")
static HPy gs_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyLong_FromLong(ctx, GSObject_AsStruct(ctx, self)->value);
}
static int gs_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    (void)closure;
    if (HPy_IsNull(value)) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "cannot delete value");
        return -1;
    }
    GSObject_AsStruct(ctx, self)->value = HPyLong_AsLong(ctx, value);
    return HPyErr_Occurred(ctx) ? -1 : 0;
}

/* one implementation, told apart by the closure */
static HPy closure_get(HPyContext *ctx, HPy self, void *closure)
{
    return HPyLong_FromLong(ctx, GSObject_AsStruct(ctx, self)->value + (long)(intptr_t)closure);
}
static int closure_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    GSObject_AsStruct(ctx, self)->value = HPyLong_AsLong(ctx, value) - (long)(intptr_t)closure;
    return HPyErr_Occurred(ctx) ? -1 : 0;
}
HPyDef_GETSET_IMPL(plus1, "plus1", closure_get, closure_set, .closure = (void *)1)
HPyDef_GETSET_IMPL(plus10, "plus10", closure_get, closure_set, .closure = (void *)10)
HPyDef_GET_IMPL(plus100, "plus100", closure_get, .closure = (void *)100)
HPyDef_SET_IMPL(set_plus5, "set_plus5", closure_set, .closure = (void *)5)

HPyDef_METH(GS_deleted, "deleted", HPyFunc_NOARGS)
static HPy GS_deleted_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, GSObject_AsStruct(ctx, self)->deleted);
}

static HPyDef *GS_defines[] = { &g_only, &s_only, &gs, &plus1, &plus10, &plus100, &set_plus5,
                                &GS_deleted, NULL };
static HPyType_Spec GS_spec = {
    .name = "mytest.GS", .basicsize = sizeof(GSObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = GS_defines,
};
@INIT
'''


def test_getsets(compile_module):
    mod = compile_module(with_types(GETSETS, ('GS', 'GS_spec')))
    o = mod.GS()
    assert o.value == 0
    o.value = 21
    assert (o.value, o.get_only) == (21, 42)
    with pytest.raises(AttributeError):
        o.get_only = 1
    with pytest.raises(AttributeError):
        o.set_only
    o.set_only = 7
    assert o.value == 7
    del o.set_only
    del o.set_only
    assert o.deleted() == 2
    with raises_exactly(TypeError, 'cannot delete value'):
        del o.value
    with pytest.raises(TypeError):
        o.value = 'x'
    assert mod.GS.get_only.__doc__ == 'getter only'
    assert mod.GS.set_only.__doc__ == 'setter only'
    assert mod.GS.value.__doc__ == 'both'


def test_getset_closures(compile_module):
    mod = compile_module(with_types(GETSETS, ('GS', 'GS_spec')))
    o = mod.GS()
    o.value = 1000
    assert (o.plus1, o.plus10, o.plus100) == (1001, 1010, 1100)
    o.plus10 = 50
    assert o.value == 40
    o.set_plus5 = 50
    assert o.value == 45

    class Sub(mod.GS):
        @property
        def twice(self):
            return 2 * self.plus1
    s = Sub()
    s.plus1 = 5
    assert (s.value, s.twice) == (4, 10)
