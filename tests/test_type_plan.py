"""The lifecycle of instances (deallocation, tp_traverse, tp_clear, HPy_New) follows each type's
base chain as it stands, whatever the runtime remembers per type between calls
(src/runtime/ctx_type_plan.c): chains longer than it lists, subclasses of subclasses, types that
change, types that die and new types at their addresses, many types in turn."""
import gc

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
    for i in range(30):
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
        for _ in range(2):
            t = T()
            t.next = t
            t.cb = object()
            assert t.cb in gc.get_referents(t)
            del t
            gc.collect()
        assert mod.counts() == (2, 0, 2, expected * 2, 2 * len(expected))
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
