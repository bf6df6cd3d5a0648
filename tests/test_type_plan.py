"""The lifecycle of instances (deallocation, tp_traverse, tp_clear, HPy_New) follows each type's
base chain as it stands, whatever the runtime remembers per type between calls
(src/runtime/ctx_type_plan.c): chains longer than it lists, subclasses of subclasses, types that
change, types that die and new types at their addresses, many types in turn."""
import gc
import weakref

import pytest

from support import C_CYCLES, FREED_AT_ONCE
from test_type_gc import DYNAMIC, NODE, counts
from type_helpers import with_types

# An HPy subtype of any Node-derived type, made at run time: the layout of its base, its own
# HPy_tp_traverse (the same fields) and HPy_tp_destroy, which logs 'L'.
LEVEL = '''
HPyDef_SLOT(Level_traverse, HPy_tp_traverse)
static int Level_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    NodeObject *n = (NodeObject *)self;
    HPy_VISIT(&n->next);
    HPy_VISIT(&n->cb);
    return 0;
}
HPyDef_SLOT(Level_destroy, HPy_tp_destroy)
static void Level_destroy_impl(void *self)
{
    NodeObject *n = (NodeObject *)self;
    if (n->magic != 0xC0FFEE || !HPyField_IsNull(n->next) || !HPyField_IsNull(n->cb))
        bad_destroy++;
    log_event('L');
}
static HPyDef *Level_defines[] = { &Level_traverse, &Level_destroy, NULL };
static HPyType_Spec Level_spec = {
    .name = "mytest.Level",
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Level_defines,
};
/* a subtype without slots of its own */
static HPyType_Spec Bare_spec = {
    .name = "mytest.Bare",
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
};
HPyDef_METH(make_level, "make_level", HPyFunc_VARARGS)
static HPy make_level_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "make_level(base, bare)");
    int bare = HPy_IsTrue(ctx, args[1]);
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, args[0] }, { (HPyType_SpecParam_Kind)0, { 0 } } };
    return HPyType_FromSpec(ctx, bare ? &Bare_spec : &Level_spec, params);
}
@EXPORT(make_level)
'''


def plan_module(compile_module):
    return compile_module(with_types(NODE + DYNAMIC + LEVEL + '@INIT\n', ('Node', 'Node_spec'),
                                     ('PlainNode', 'PlainNode_spec')))


def chain(mod, levels, bare=()):
    """Node, then `levels` HPy subtypes, each one of the previous (those in `bare`: no slots)."""
    T = mod.Node
    for i in range(levels):
        T = mod.make_level(T, i in bare)
    return T


@pytest.mark.runtime_specific(C_CYCLES)
@pytest.mark.parametrize('levels', [1, 3, 4, 6])
def test_hpy_chains_of_every_length(compile_module, levels):
    """Every HPy type of the chain has its fields cleared and its destroy run (most derived
    first), also past the number of HPy types the runtime lists per type."""
    mod = plan_module(compile_module)
    T = chain(mod, levels)
    expected = 'F' + 'L' * levels + 'D'
    for _ in range(3):                         # the first deallocation and the later ones
        mod.reset()
        t = T()
        t.next = 'n'
        t.cb = lambda obj: None
        del t
        assert mod.counts() == (1, 0, 1, expected, len(expected))
    mod.reset()
    t = T()
    t.next = [t]                               # a cycle: tp_traverse and tp_clear
    target = object()
    t.cb = target
    assert target in gc.get_referents(t) and T in gc.get_referents(t)
    del t
    assert counts(mod) == (1, 0, 1, expected, len(expected))


@pytest.mark.runtime_specific(C_CYCLES)
def test_hpy_chains_with_bare_levels(compile_module):
    mod = plan_module(compile_module)
    T = chain(mod, 6, bare=(0, 2, 5))
    for _ in range(2):
        mod.reset()
        t = T()
        t.next = t
        t.cb = object()
        assert t.cb in gc.get_referents(t)
        del t
        assert counts(mod) == (1, 0, 1, 'FLLLD', 5)


@pytest.mark.runtime_specific(C_CYCLES)
def test_python_subclass_of_subclass(compile_module):
    mod = plan_module(compile_module)
    for base, levels in ((mod.Node, 0), (mod.PlainNode, 0), (chain(mod, 2), 2),
                         (chain(mod, 5), 5)):
        class A(base):
            pass

        class B(A):
            __slots__ = ('s',)

        class C(B):
            def __init__(self):
                self.attr = self
        expected = 'F' + 'L' * levels + 'D'
        for K in (A, B, C, A, C):
            mod.reset()
            k = K()
            k.next = k
            if K is not A:
                k.s = [k]
            assert k.next in gc.get_referents(k)
            del k
            assert counts(mod) == (1, 0, 1, expected, len(expected))


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_types_that_change(compile_module):
    """Changing a class (an attribute, a finalizer, its base) between deallocations."""
    mod = plan_module(compile_module)
    seen = []

    class A(mod.Node):
        pass

    class B(mod.Node):
        pass

    class Sub(A):
        pass
    expected = (1, 0, 1, 'FD', 2)
    for i in range(6):
        mod.reset()
        Sub.x = i                              # the class changed
        if i == 2:                             # __del__ replaces the HPy finalizer
            Sub.__del__ = lambda self: seen.append('del')
            expected = (1, 0, 0, 'D', 1)
        if i == 4:
            Sub.__bases__ = (B,)
            assert Sub.__mro__[1] is B
        mod.Node.y = i                         # so did its HPy base
        s = Sub()
        s.next = s
        del s
        assert counts(mod) == expected
    assert seen == ['del'] * 4
    del mod.Node.y


@pytest.mark.runtime_specific(C_CYCLES)
def test_types_dying_and_new_types_at_their_addresses(compile_module):
    """A type whose instances were deallocated dies; a type made later, perhaps at the same
    address and with another chain, is handled as what it is."""
    mod = plan_module(compile_module)
    seen = set()
    reused = 0
    # (each round takes two full collections, the costly part: it stops once every kind of type
    # came three times and one took the address of a dead one, which happens at once mostly)
    for i in range(30):
        if i >= 9 and reused:
            break
        mod.reset()
        if i % 3 == 0:
            T = mod.make_type()                # an HPy type with finalizer and destroy
            expected = 'FD'
        elif i % 3 == 1:
            T = mod.make_level(mod.Node, False)
            expected = 'FLD'
        else:
            T = type('P%d' % i, (mod.PlainNode,), {})
            expected = 'FD'
        reused += id(T) in seen
        seen.add(id(T))
        for _ in range(2):
            t = T()
            t.next = t
            t.cb = object()
            assert t.cb in gc.get_referents(t)
            del t
        gc.collect()
        # one collection: the finalizers of both run first
        assert mod.counts() == (2, 0, 2, 'FF' + expected[1:] * 2, 2 * len(expected))
        del T
        gc.collect()
        # classes that are no HPy types may take the address too
        plain = [type('Q%d' % j, (), {})() for j in range(3)]
        del plain


@pytest.mark.runtime_specific(C_CYCLES)
def test_many_types_in_turn(compile_module):
    """More types than the runtime keeps per-type data for, their instances made and released
    in turn (a type's data is worked out again when another type took its place)."""
    mod = plan_module(compile_module)
    types = [mod.make_type() if i % 2 else mod.make_level(mod.Node, i % 4 == 0)
             for i in range(150)]
    mod.reset()
    expected = 0
    for rnd in range(3):
        objs = []
        for T in types:
            t = T()
            t.next = t if rnd == 1 else 'x'
            objs.append(t)
        for t in objs[::-1 if rnd == 2 else 1]:
            assert gc.get_referents(t)
        expected += len(objs)
        del objs, t
        gc.collect()
        c = mod.counts()
        assert c[:3] == (expected, 0, expected)


# A type in the common case the plans single out (no finalizer, weak references, dict or other
# HPy type in its chain): deallocation clears its one field and runs its destroy, and HPy_New
# allocates it directly. With and without the GC, and a variant with weak references.
LINK = '''
typedef struct { long magic; HPyField next; } LinkObject;
HPyType_HELPERS(LinkObject)
typedef struct { long magic; HPyField next; HPy_ssize_t weaklist; } WeakLinkObject;
static long links_made, links_destroyed, bad_links;
HPyDef_SLOT(Link_new, HPy_tp_new)
static HPy Link_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    LinkObject *l;
    (void)kw;
    HPy h = HPy_New(ctx, cls, &l);
    if (HPy_IsNull(h))
        return h;
    if (l->magic != 0 || !HPyField_IsNull(l->next))
        bad_links++;                           /* HPy_New hands out a zeroed struct */
    l->magic = 0x5EED;
    if (nargs > 0 && !HPy_Is(ctx, args[0], ctx->h_None))
        HPyField_Store(ctx, h, &l->next, args[0]);
    links_made++;
    return h;
}
HPyDef_SLOT(Link_traverse, HPy_tp_traverse)
static int Link_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((LinkObject *)self)->next);
    return 0;
}
HPyDef_SLOT(Link_destroy, HPy_tp_destroy)
static void Link_destroy_impl(void *self)
{
    LinkObject *l = (LinkObject *)self;
    if (l->magic != 0x5EED || !HPyField_IsNull(l->next))
        bad_links++;
    l->magic = 0;
    links_destroyed++;
}
HPyDef_MEMBER(Link_next, "next", HPyMember_OBJECT, offsetof(LinkObject, next))
HPyDef_MEMBER(Link_weaklist, "__weaklistoffset__", HPyMember_HPYSSIZET,
              offsetof(WeakLinkObject, weaklist), .readonly = 1)
static HPyDef *Link_defines[] = { &Link_new, &Link_traverse, &Link_destroy, &Link_next, NULL };
static HPyType_Spec Link_spec = {
    .name = "mytest.Link", .basicsize = sizeof(LinkObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Link_defines,
};
static HPyType_Spec PlainLink_spec = {
    .name = "mytest.PlainLink", .basicsize = sizeof(LinkObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Link_defines,
};
static HPyDef *WeakLink_defines[] = {
    &Link_new, &Link_traverse, &Link_destroy, &Link_next, &Link_weaklist, NULL
};
static HPyType_Spec WeakLink_spec = {
    .name = "mytest.WeakLink", .basicsize = sizeof(WeakLinkObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC, .defines = WeakLink_defines,
};
HPyDef_METH(link_counts, "link_counts", HPyFunc_NOARGS)
static HPy link_counts_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPy_BuildValue(ctx, "lll", links_made, links_destroyed, bad_links);
}
@EXPORT(link_counts)
'''


def link_module(compile_module):
    return compile_module(with_types(LINK + '@INIT\n', ('Link', 'Link_spec'),
                                     ('PlainLink', 'PlainLink_spec'),
                                     ('WeakLink', 'WeakLink_spec')))


@pytest.mark.runtime_specific(FREED_AT_ONCE)
@pytest.mark.parametrize('kind', ['Link', 'PlainLink', 'WeakLink', 'subclass', 'tuples'])
def test_deep_chains_of_the_common_case(compile_module, kind):
    """Chains far deeper than the C stack could recurse through, of HPy instances alone, of a
    Python subclass, and with a tuple between each two: every instance is destroyed once, with
    its field cleared first."""
    mod = link_module(compile_module)
    T = mod.WeakLink if kind == 'WeakLink' else mod.PlainLink if kind == 'PlainLink' else mod.Link
    if kind == 'subclass':
        class T(mod.Link):
            pass
    n = 100000                                 # 25,000 overflowed before the depth was bounded
    made0, destroyed0, bad0 = mod.link_counts()
    head = None
    for i in range(n):
        head = T((head,) if kind == 'tuples' and head is not None else head)
    if kind == 'WeakLink':
        import weakref
        r = weakref.ref(head)
        assert r() is head
    del head
    if kind == 'WeakLink':
        assert r() is None
    made, destroyed, bad = mod.link_counts()
    assert (made - made0, destroyed - destroyed0, bad - bad0) == (n, n, 0)


# One HPy_tp_traverse implementation shared by types whose structs lie at different places (an
# Object-shape, a Float-shape and a List-shape type, the list with items of its own to visit),
# and by a Python subclass: in the CPython ABI the trampoline remembers the last type it ran for.
SHARED_TRAVERSE = '''
typedef struct { HPyField a; HPyField b; } PairObject;
typedef PairObject PairFloatObject;
typedef PairObject PairListObject;
HPyType_HELPERS(PairObject)
HPyType_HELPERS(PairFloatObject, HPyType_BuiltinShape_Float)
HPyType_HELPERS(PairListObject, HPyType_BuiltinShape_List)

HPyDef_SLOT(Pair_traverse, HPy_tp_traverse)
static int Pair_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    PairObject *p = (PairObject *)self;
    HPy_VISIT(&p->a);
    HPy_VISIT(&p->b);
    return 0;
}

HPyDef_METH(set_pair, "set_pair", HPyFunc_VARARGS)
static HPy set_pair_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 3)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "set_pair(obj, a, b)");
    PairObject *p;
    if (HPy_TypeCheck(ctx, args[0], ctx->h_FloatType))
        p = PairFloatObject_AsStruct(ctx, args[0]);
    else if (HPy_TypeCheck(ctx, args[0], ctx->h_ListType))
        p = PairListObject_AsStruct(ctx, args[0]);
    else
        p = PairObject_AsStruct(ctx, args[0]);
    HPyField_Store(ctx, args[0], &p->a, args[1]);
    HPyField_Store(ctx, args[0], &p->b, args[2]);
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *Pair_defines[] = { &Pair_traverse, NULL };
#define PAIR_FLAGS (HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC)
static HPyType_Spec PairObj_spec = {
    .name = "mytest.PairObj", .basicsize = sizeof(PairObject), .flags = PAIR_FLAGS,
    .defines = Pair_defines,
};
static HPyType_Spec PairFloat_spec = {
    .name = "mytest.PairFloat", .basicsize = sizeof(PairFloatObject), .flags = PAIR_FLAGS,
    .builtin_shape = HPyType_BuiltinShape_Float, .defines = Pair_defines,
};
static HPyType_Spec PairList_spec = {
    .name = "mytest.PairList", .basicsize = sizeof(PairListObject), .flags = PAIR_FLAGS,
    .builtin_shape = HPyType_BuiltinShape_List, .defines = Pair_defines,
};
/* make(kind): a new PairObj (0) or PairFloat (1) type */
HPyDef_METH(make, "make", HPyFunc_O)
static HPy make_impl(HPyContext *ctx, HPy self, HPy kind)
{
    (void)self;
    if (HPyLong_AsLong(ctx, kind) == 0)
        return HPyType_FromSpec(ctx, &PairObj_spec, NULL);
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, ctx->h_FloatType }, { 0, { 0 } } };
    return HPyType_FromSpec(ctx, &PairFloat_spec, params);
}
@EXPORT(set_pair)
@EXPORT(make)
@INIT
'''


SHARED_TYPES = [
    ('PairObj', 'PairObj_spec'),
    ('PairFloat', 'PairFloat_spec', '{ { HPyType_SpecParam_Base, ctx->h_FloatType }, { 0, { 0 } } }'),
    ('PairList', 'PairList_spec', '{ { HPyType_SpecParam_Base, ctx->h_ListType }, { 0, { 0 } } }'),
]


def shared_traverse_source():
    return with_types(SHARED_TRAVERSE, *SHARED_TYPES)


def check_one_traverse_for_every_layout(mod):
    """Instances of the types of SHARED_TRAVERSE (and of a Python subclass), traversed in turn as
    the garbage collector does, with classes changing between rounds; then cycles through their
    fields, collected."""
    class Sub(mod.PairObj):
        pass
    item = object()
    objs = [mod.PairObj(), mod.PairFloat(2.5), mod.PairList([item]), Sub(), mod.PairFloat(1.0)]
    fields = []
    for i, o in enumerate(objs):
        a, b = object(), ['b%d' % i]
        mod.set_pair(o, a, b)
        fields.append((a, b))
    # in every order, twice each, so that each type follows each other one
    for order in (range(5), range(4, -1, -1), [0, 2, 0, 1, 3, 1, 2, 4, 2, 3]):
        for _ in range(2):
            for i in order:
                refs = gc.get_referents(objs[i])
                a, b = fields[i]
                assert any(r is a for r in refs) and any(r is b for r in refs), i
                assert type(objs[i]) in refs, i
                assert (item in refs) == (i == 2), i
                others = [f for j, pair in enumerate(fields) if j != i for f in pair]
                assert not any(r is f for r in refs for f in others), i
        Sub.x = 1                               # changes Sub's version tag
        mod.PairFloat.y = 2

    # a cycle through the fields of each kind is collected
    class Thing:
        pass
    alive = []
    for o in objs:
        t = Thing()
        t.o = o
        mod.set_pair(o, o, t)
        alive.append(weakref.ref(t))
    del objs, fields, o, t, refs, a, b
    gc.collect()
    assert [r() for r in alive] == [None] * 5


def check_new_types_at_old_addresses(mod):
    """Types of SHARED_TRAVERSE made anew, the two layouts in turn, each dying before the next
    is made (which may take its address): an instance of each is traversed right."""
    seen = {}
    reused = 0
    for i in range(40):
        T = mod.make(i % 2)
        reused += seen.get(id(T), i % 2) != i % 2      # the address of a type of the other kind
        seen[id(T)] = i % 2
        o = T() if i % 2 == 0 else T(1.5)
        a, b = object(), ['b']
        mod.set_pair(o, a, b)
        for _ in range(2):
            refs = gc.get_referents(o)
            assert any(r is a for r in refs) and any(r is b for r in refs) and T in refs, i
        del o, refs, T
        gc.collect()
        if i >= 10 and reused:
            break
    return reused


@pytest.mark.runtime_specific(C_CYCLES)
def test_one_traverse_for_types_of_every_layout(compile_module):
    mod = compile_module(shared_traverse_source())
    check_one_traverse_for_every_layout(mod)
    check_new_types_at_old_addresses(mod)
