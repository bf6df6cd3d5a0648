"""HPyField and the cyclic GC (abi.md §8.3): HPyField_Store/Load, tp_traverse, the automatic
tp_clear and deallocator, HPy_tp_destroy and HPy_tp_finalize, with subclasses, builtin shapes
and types that die together with their instances."""
import gc
import os
import weakref

import pytest

from support import CPYTHON, C_CYCLES, FREED_AT_ONCE, refcount

from type_helpers import with_types

NODE = '''
typedef struct {
    long magic;
    HPyField next;
    HPyField cb;
} NodeObject;
HPyType_HELPERS(NodeObject)

static long destroyed, bad_destroy, finalized;
static char order[64];
static int norder;

static void log_event(char c)
{
    if (norder < (int)sizeof(order) - 1)
        order[norder++] = c;
}

HPyDef_SLOT(Node_new, HPy_tp_new)
static HPy Node_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    NodeObject *n;
    (void)args; (void)nargs; (void)kw;
    HPy h = HPy_New(ctx, cls, &n);
    if (!HPy_IsNull(h))
        n->magic = 0xC0FFEE;
    return h;
}

HPyDef_SLOT(Node_traverse, HPy_tp_traverse)
static int Node_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    NodeObject *n = (NodeObject *)self;
    HPy_VISIT(&n->next);
    HPy_VISIT(&n->cb);
    return 0;
}

HPyDef_SLOT(Node_destroy, HPy_tp_destroy)
static void Node_destroy_impl(void *self)
{
    NodeObject *n = (NodeObject *)self;
    if (n->magic != 0xC0FFEE || !HPyField_IsNull(n->next) || !HPyField_IsNull(n->cb))
        bad_destroy++;
    n->magic = 0;
    destroyed++;
    log_event('D');
}

/* calls self.cb(self), if set; the fields are still there */
HPyDef_SLOT(Node_finalize, HPy_tp_finalize)
static void Node_finalize_impl(HPyContext *ctx, HPy self)
{
    NodeObject *n = NodeObject_AsStruct(ctx, self);
    finalized++;
    log_event('F');
    if (HPyField_IsNull(n->cb))
        return;
    HPy cb = HPyField_Load(ctx, self, n->cb);
    HPy r = HPy_Call(ctx, cb, &self, 1, HPy_NULL);
    if (HPy_IsNull(r))
        HPyErr_Clear(ctx);
    HPy_Close(ctx, r);
    HPy_Close(ctx, cb);
}

HPyDef_MEMBER(Node_next, "next", HPyMember_OBJECT, offsetof(NodeObject, next))
HPyDef_MEMBER(Node_cb, "cb", HPyMember_OBJECT, offsetof(NodeObject, cb))

/* HPyField_Store / HPyField_Load from C */
HPyDef_METH(Node_store, "store", HPyFunc_O)
static HPy Node_store_impl(HPyContext *ctx, HPy self, HPy arg)
{
    NodeObject *n = NodeObject_AsStruct(ctx, self);
    HPyField_Store(ctx, self, &n->next, HPy_Is(ctx, arg, ctx->h_Ellipsis) ? HPy_NULL : arg);
    return HPy_Dup(ctx, ctx->h_None);
}
HPyDef_METH(Node_load, "load", HPyFunc_NOARGS)
static HPy Node_load_impl(HPyContext *ctx, HPy self)
{
    NodeObject *n = NodeObject_AsStruct(ctx, self);
    if (HPyField_IsNull(n->next))
        return HPy_Dup(ctx, ctx->h_Ellipsis);
    return HPyField_Load(ctx, self, n->next);
}

HPyDef_METH(counts, "counts", HPyFunc_NOARGS)
static HPy counts_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    order[norder] = 0;
    return HPy_BuildValue(ctx, "lllsi", destroyed, bad_destroy, finalized, order, norder);
}
HPyDef_METH(reset, "reset", HPyFunc_NOARGS)
static HPy reset_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    destroyed = bad_destroy = finalized = 0;
    norder = 0;
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *Node_defines[] = {
    &Node_new, &Node_traverse, &Node_destroy, &Node_finalize, &Node_next, &Node_cb,
    &Node_store, &Node_load, NULL
};
static HPyType_Spec Node_spec = {
    .name = "mytest.Node",
    .basicsize = sizeof(NodeObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Node_defines,
};

/* the same without the GC: fields and destroy still handled on deallocation */
static HPyType_Spec PlainNode_spec = {
    .name = "mytest.PlainNode",
    .basicsize = sizeof(NodeObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .defines = Node_defines,
};
@EXPORT(counts)
@EXPORT(reset)
'''


def node_module(compile_module, extra='', types=()):
    return compile_module(with_types(NODE + extra + '@INIT\n', ('Node', 'Node_spec'),
                                     ('PlainNode', 'PlainNode_spec'), *types))


def counts(mod):
    gc.collect()
    return mod.counts()


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_field_store_and_load(compile_module):
    mod = node_module(compile_module)
    n = mod.Node()
    assert n.load() is Ellipsis and n.next is None
    value = object()
    base = refcount(value)
    n.store(value)
    assert n.load() is value and n.next is value
    assert refcount(value) == base + 1
    n.store(value)                             # storing again releases the previous reference
    assert refcount(value) == base + 1
    other = [1]
    n.store(other)
    assert refcount(value) == base and n.load() is other
    n.store(...)                               # HPy_NULL clears the field
    assert n.load() is Ellipsis and n.next is None
    n.store(value)
    mod.reset()
    del n
    assert refcount(value) == base      # released by the deallocator
    assert mod.counts()[:2] == (1, 0)


@pytest.mark.runtime_specific(FREED_AT_ONCE)
@pytest.mark.parametrize('typename', ['Node', 'PlainNode'])
def test_destroy_on_deallocation(compile_module, typename):
    mod = node_module(compile_module)
    T = getattr(mod, typename)
    mod.reset()
    n = T()
    n.next = T()
    n.next.next = [1, 2]
    del n
    assert mod.counts()[:3] == (2, 0, 2)


@pytest.mark.runtime_specific(C_CYCLES)
def test_cycle_through_fields_is_collected(compile_module):
    mod = node_module(compile_module)
    mod.reset()
    a, b = mod.Node(), mod.Node()
    a.next, b.next = b, a
    c = mod.Node()
    c.next = c
    del a, b, c
    assert counts(mod)[:3] == (3, 0, 3)
    # a cycle through a list
    d = mod.Node()
    d.next = [d, {'d': d}]
    del d
    assert counts(mod)[:3] == (4, 0, 4)


@pytest.mark.runtime_specific(C_CYCLES)
def test_traverse_reports_fields(compile_module):
    mod = node_module(compile_module)
    n = mod.Node()
    target, callback = object(), lambda obj: None
    n.next, n.cb = target, callback
    referents = gc.get_referents(n)
    assert target in referents and callback in referents
    assert mod.Node in referents               # an instance refers to its heap type
    assert gc.is_tracked(n)
    assert not gc.is_tracked(mod.PlainNode())


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_finalize_runs_before_destroy(compile_module):
    mod = node_module(compile_module)
    mod.reset()
    seen = []

    def cb(obj):
        seen.append((obj.next if isinstance(obj.next, str) else obj.next is obj, mod.counts()))
    n = mod.Node()
    n.next = 'still here'
    n.cb = cb
    del n
    assert seen == [('still here', (0, 0, 1, 'F', 1))]
    assert mod.counts() == (1, 0, 1, 'FD', 2)
    # the same when the GC breaks a cycle
    mod.reset()
    seen.clear()
    n = mod.Node()
    n.next = n
    n.cb = cb
    del n
    gc.collect()
    assert seen == [(True, (0, 0, 1, 'F', 1))]
    assert mod.counts() == (1, 0, 1, 'FD', 2)


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_resurrection_in_finalize(compile_module):
    mod = node_module(compile_module)
    mod.reset()
    saved = []
    n = mod.Node()
    n.next = 'payload'
    n.cb = saved.append
    del n
    assert mod.counts()[:3] == (0, 0, 1)       # resurrected: not destroyed
    n = saved.pop()
    assert n.next == 'payload'
    del n
    assert mod.counts()[:3] == (1, 0, 1)       # the finalizer runs only once


HPY_SUB = '''
typedef struct {
    NodeObject base;
    long magic2;
    HPyField extra;
} SubNodeObject;
HPyType_HELPERS(SubNodeObject)

HPyDef_SLOT(SubNode_traverse, HPy_tp_traverse)
static int SubNode_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    SubNodeObject *n = (SubNodeObject *)self;
    HPy_VISIT(&n->base.next);
    HPy_VISIT(&n->base.cb);
    HPy_VISIT(&n->extra);
    return 0;
}
HPyDef_SLOT(SubNode_destroy, HPy_tp_destroy)
static void SubNode_destroy_impl(void *self)
{
    SubNodeObject *n = (SubNodeObject *)self;
    if (n->base.magic != 0xC0FFEE || !HPyField_IsNull(n->extra))
        bad_destroy++;
    log_event('S');
}
HPyDef_MEMBER(SubNode_extra, "extra", HPyMember_OBJECT, offsetof(SubNodeObject, extra))
static HPyDef *SubNode_defines[] = { &SubNode_traverse, &SubNode_destroy, &SubNode_extra, NULL };
static HPyType_Spec SubNode_spec = {
    .name = "mytest.SubNode",
    .basicsize = sizeof(SubNodeObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC | HPy_TPFLAGS_BASETYPE,
    .defines = SubNode_defines,
};
'''

HPY_SUB2 = '''
/* a subtype without destroy or traverse of its own */
static HPyType_Spec SubNode2_spec = {
    .name = "mytest.SubNode2",
    .flags = HPy_TPFLAGS_DEFAULT,
};
'''


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_hpy_subclass_destroys_most_derived_first(compile_module):
    mod = node_module(compile_module, HPY_SUB, [
        ('SubNode', 'SubNode_spec', '{ { HPyType_SpecParam_Base, _add_types_base }, { 0, { 0 } } }')])
    mod.reset()
    s = mod.SubNode()
    assert isinstance(s, mod.Node)
    s.next = 'n'
    s.extra = 'e'
    del s
    assert mod.counts() == (1, 0, 1, 'FSD', 3)
    mod.reset()
    s = mod.SubNode()
    s.extra = s
    s.next = [s]
    del s
    assert counts(mod) == (1, 0, 1, 'FSD', 3)


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_hpy_subclass_without_own_slots(compile_module):
    mod = node_module(compile_module, HPY_SUB2, [
        ('SubNode2', 'SubNode2_spec', '{ { HPyType_SpecParam_Base, _add_types_base }, '
                                      '{ 0, { 0 } } }')])
    mod.reset()
    s = mod.SubNode2()
    s.next = s
    del s
    assert counts(mod) == (1, 0, 1, 'FD', 2)


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_python_subclass(compile_module):
    mod = node_module(compile_module)
    mod.reset()

    class Sub(mod.Node):
        def __del__(self):
            raise AssertionError('__del__ replaces tp_finalize')

    class Sub2(mod.Node):
        pass
    s = Sub2()
    s.attr = s
    s.next = [s]
    r = weakref.ref(s)
    del s
    assert r() is not None
    assert counts(mod) == (1, 0, 1, 'FD', 2)
    assert r() is None
    mod.reset()
    s = Sub2()
    s.cb = lambda obj: None
    del s
    assert mod.counts() == (1, 0, 1, 'FD', 2)
    mod.reset()
    for T in (mod.Node, mod.PlainNode):
        P = type('P', (T,), {'__slots__': ('a',)})
        p = P()
        p.a = p
        p.next = p
        del p
        gc.collect()
    assert mod.counts()[:3] == (2, 0, 2)


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_many_objects_and_deep_chains(compile_module):
    mod = node_module(compile_module)
    mod.reset()
    head = None
    for i in range(300000):                    # deeper than the C stack allows to recurse
        n = mod.Node()
        n.next = head
        head = n
    del n, head
    assert counts(mod)[:3] == (300000, 0, 300000)


# ---- builtin shapes -------------------------------------------------------------------------

LIST_NODE = '''
typedef struct { HPyField f; } LNodeObject;
HPyType_HELPERS(LNodeObject, HPyType_BuiltinShape_List)
static long lnode_destroyed;
HPyDef_SLOT(LNode_traverse, HPy_tp_traverse)
static int LNode_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((LNodeObject *)self)->f);
    return 0;
}
HPyDef_SLOT(LNode_destroy, HPy_tp_destroy)
static void LNode_destroy_impl(void *self)
{
    if (HPyField_IsNull(((LNodeObject *)self)->f))
        lnode_destroyed++;
}
HPyDef_MEMBER(LNode_f, "f", HPyMember_OBJECT, offsetof(LNodeObject, f))
HPyDef_METH(lnode_count, "lnode_count", HPyFunc_NOARGS)
static HPy lnode_count_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyLong_FromLong(ctx, lnode_destroyed);
}
static HPyDef *LNode_defines[] = { &LNode_traverse, &LNode_destroy, &LNode_f, NULL };
static HPyType_Spec LNode_spec = {
    .name = "mytest.LNode", .basicsize = sizeof(LNodeObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = SHAPE(LNodeObject), .defines = LNode_defines,
};
static HPyType_Spec DNode_spec = {
    .name = "mytest.DNode", .basicsize = sizeof(LNodeObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,     /* the GC flag comes from dict */
    .builtin_shape = HPyType_BuiltinShape_Dict, .defines = LNode_defines,
};
@EXPORT(lnode_count)
'''


@pytest.mark.runtime_specific(C_CYCLES)
def test_list_shape_with_fields(compile_module):
    mod = node_module(compile_module, LIST_NODE, [
        ('LNode', 'LNode_spec', '{ { HPyType_SpecParam_Base, ctx->h_ListType }, { 0, { 0 } } }'),
        ('DNode', 'DNode_spec', '{ { HPyType_SpecParam_Base, ctx->h_DictType }, { 0, { 0 } } }')])
    assert not CPYTHON or gc.is_tracked(mod.DNode())     # CPython's GC tracks GC objects
    before = mod.lnode_count()
    item = object()
    lst = mod.LNode([1, item])
    lst.f = 'field'
    referents = gc.get_referents(lst)
    assert 'field' in referents and item in referents    # the list's own items too
    del lst
    assert mod.lnode_count() == before + 1
    lst = mod.LNode()
    lst.append(lst)
    lst.f = [lst]
    d = mod.DNode(x=1)
    d['self'] = d
    d.f = d
    del lst, d
    gc.collect()
    assert mod.lnode_count() == before + 3

    class PySub(mod.LNode):
        pass
    p = PySub([1])
    p.f = p
    p.attr = p
    del p
    gc.collect()
    assert mod.lnode_count() == before + 4


# ---- types dying with their instances -------------------------------------------------------

DYNAMIC = '''
HPyDef_METH(make_type, "make_type", HPyFunc_NOARGS)
static HPy make_type_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyType_FromSpec(ctx, &Node_spec, NULL);
}
HPyDef_METH(shape, "shape", HPyFunc_O)
static HPy shape_impl(HPyContext *ctx, HPy self, HPy type)
{
    (void)self;
    return HPyLong_FromLong(ctx, (long)_HPyType_GetBuiltinShape(ctx, type));
}
@EXPORT(make_type)
@EXPORT(shape)
'''


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_type_collected_with_its_instances(compile_module):
    """The type's weak reference fires before its instances are deallocated (all in one garbage
    collection): the instances still find the type's data."""
    mod = node_module(compile_module, DYNAMIC)
    mod.reset()
    for i in range(20):
        T = mod.make_type()
        objs = [T() for _ in range(3)]
        for o in objs:
            o.next = T                         # instance -> type
        T.objs = objs                          # type -> instances
        objs[0].cb = lambda obj: None
        r = weakref.ref(T)
        del T, objs, o
        gc.collect()
        assert r() is None
    assert mod.counts()[:3] == (60, 0, 60)


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_new_types_where_dead_ones_were(compile_module):
    """A type collected by the GC leaves its data behind for its instances; a type created later
    at the same address is not mistaken for it."""
    mod = node_module(compile_module, DYNAMIC)
    mod.reset()
    for i in range(8):
        T = mod.make_type()
        assert mod.shape(T) == 0
        T.cycle = T
        del T
        gc.collect()
        classes = [type('C%d' % j, (), {}) for j in range(3)]
        assert [mod.shape(C) for C in classes] == [-1, -1, -1]
        T = mod.make_type()
        t = T()
        t.next = t
        del T, t
        gc.collect()
    assert mod.counts()[:2] == (8, 0)


@pytest.mark.runtime_specific(FREED_AT_ONCE)
def test_many_types(compile_module):
    mod = node_module(compile_module, DYNAMIC)
    mod.reset()
    alive = []
    for i in range(300):
        T = mod.make_type()
        t = T()
        t.next = t
        if i % 3 == 0:
            alive.append((T, t))
        del T, t
        if i % 50 == 0:
            gc.collect()
    gc.collect()
    assert mod.counts()[:2] == (200, 0)
    for T, t in alive:
        assert type(t) is T and t.next is t
        t2 = T()
        t2.next = 'x'
        del t2
    assert mod.counts()[:2] == (300, 0)
    del alive, T, t
    assert counts(mod)[:2] == (400, 0)


RSS_SRC = '''
    typedef struct { long n; HPyField ref; } BoxObject;
    HPyType_HELPERS(BoxObject)

    HPyDef_SLOT(Box_new, HPy_tp_new)
    static HPy Box_new_impl(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        (void)kw;
        BoxObject *b;
        HPy h = HPy_New(ctx, type, &b);
        if (!HPy_IsNull(h) && nargs == 1)
            HPyField_Store(ctx, h, &b->ref, args[0]);
        return h;
    }
    HPyDef_SLOT(Box_traverse, HPy_tp_traverse)
    static int Box_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        HPy_VISIT(&((BoxObject *)self)->ref);
        return 0;
    }
    static HPyDef *Box_defines[] = { &Box_new, &Box_traverse, NULL };
    static HPyType_Spec Box_spec = {
        .name = "mod.Box", .basicsize = sizeof(BoxObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC, .defines = Box_defines,
    };
    HPyDef_SLOT(add_box, HPy_mod_exec)
    static int add_box_impl(HPyContext *ctx, HPy m)
    {
        return HPyHelpers_AddType(ctx, m, "Box", &Box_spec, NULL) ? 0 : -1;
    }
    @EXPORT(add_box)
    @INIT
'''


def _rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


# checks memory and the reference count of what it stores itself; too long for --refleaks batches
@pytest.mark.runtime_specific("RSS stays flat only where objects are freed when their last reference goes (CPython); PyPy's GC frees them later, in its own time")
@pytest.mark.no_refleak_check
def test_create_destroy_100k_keeps_rss_stable(compile_module):
    Box = compile_module(RSS_SRC).Box
    payload = object()
    base = refcount(payload)

    def churn():
        for _ in range(100000):
            Box(payload)
        gc.collect()

    churn()                          # warm up the allocator
    before = _rss_bytes()
    churn()
    churn()
    grown = _rss_bytes() - before
    assert grown < 2 * 1024 * 1024, 'RSS grew by %d bytes over 200k objects' % grown
    assert refcount(payload) == base
