"""The operations a universal binary does without a context call when the runtime allows it
(_HPY_RUNTIME_INLINE_OPS, docs/fast-paths.md): HPy_Dup, HPy_Close, HPy_Is, HPy_Type,
HPy_TypeCheck, HPyField_Store/Load, HPyGlobal_Load, HPyFloat_AsDouble (of exact floats), HPy_Length
and HPy_GetItem_i (of exact tuples and lists) and the tuple and list builders must behave as the context's functions do, in every
ABI; so must tp_traverse trampolines that call the runtime directly
(_HPY_RUNTIME_DIRECT_TRAVERSE), or that run the implementation themselves
(_HPY_RUNTIME_TRAVERSE_CACHE). The debug context keeps seeing every call: tests/test_debug.py (a
use after close, a double close) runs binaries built by the same headers.
tests/test_inline_compat.py runs these checks on binaries built before the flags existed and on
runtimes that do not offer them."""
import gc
import subprocess
import sys
import sysconfig
import weakref

import pytest

import hpy.universal
from support import C_CYCLES, CPYTHON, FREED_AT_ONCE, ONLY_REFCOUNTS, load_module, refcount
from support import MEMORY_REUSED, compile_module as support_compile

SRC = r'''
#include "hpy.h"

typedef struct {
    HPyField item;
} BoxObject;
HPyType_HELPERS(BoxObject)

static HPyGlobal g_obj;

HPyDef_SLOT(Box_traverse, HPy_tp_traverse)
static int Box_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((BoxObject *)self)->item);
    return 0;
}

/* box.set(obj): the field holds obj (None: empty); box.get(): its object (None: empty) */
HPyDef_METH(Box_set, "set", HPyFunc_O)
static HPy Box_set_impl(HPyContext *ctx, HPy self, HPy arg)
{
    BoxObject *b = BoxObject_AsStruct(ctx, self);
    HPyField_Store(ctx, self, &b->item, HPy_Is(ctx, arg, ctx->h_None) ? HPy_NULL : arg);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(Box_get, "get", HPyFunc_NOARGS)
static HPy Box_get_impl(HPyContext *ctx, HPy self)
{
    BoxObject *b = BoxObject_AsStruct(ctx, self);
    if (HPyField_IsNull(b->item))
        return HPy_Dup(ctx, ctx->h_None);
    return HPyField_Load(ctx, self, b->item);
}

static HPyDef *Box_defines[] = { &Box_traverse, &Box_set, &Box_get, NULL };
static HPyType_Spec Box_spec = {
    .name = "mytest.Box",
    .basicsize = sizeof(BoxObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Box_defines,
};

static HPy call1(HPyContext *ctx, HPy f, HPy arg)
{
    return HPy_Call(ctx, f, &arg, 1, HPy_NULL);
}

/* (getrefcount(obj) before, with 3 more handles, after closing them) */
HPyDef_METH(dup_close, "dup_close", HPyFunc_VARARGS)
static HPy dup_close_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self; (void)nargs;
    HPy obj = args[0], getrefcount = args[1];
    HPy counts[3], dups[3];
    counts[0] = call1(ctx, getrefcount, obj);
    for (int i = 0; i < 3; i++)
        dups[i] = HPy_Dup(ctx, obj);
    counts[1] = call1(ctx, getrefcount, obj);
    for (int i = 0; i < 3; i++)
        HPy_Close(ctx, dups[i]);
    counts[2] = call1(ctx, getrefcount, obj);
    HPy r = HPy_NULL;
    if (!HPy_IsNull(counts[0]) && !HPy_IsNull(counts[1]) && !HPy_IsNull(counts[2]))
        r = HPyTuple_FromArray(ctx, counts, 3);
    for (int i = 0; i < 3; i++)
        HPy_Close(ctx, counts[i]);
    return r;
}

/* box is a list holding the only reference to an object: take a handle to it, drop the list's
 * reference, close the handle; (probe() before the close, probe() after) */
HPyDef_METH(close_last, "close_last", HPyFunc_VARARGS)
static HPy close_last_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self; (void)nargs;
    HPy h = HPy_GetItem_i(ctx, args[0], 0);
    if (HPy_IsNull(h))
        return HPy_NULL;
    if (HPy_SetItem_i(ctx, args[0], 0, ctx->h_None) < 0) {
        HPy_Close(ctx, h);
        return HPy_NULL;
    }
    HPy before = HPy_Call(ctx, args[1], NULL, 0, HPy_NULL);
    HPy_Close(ctx, h);
    HPy after = HPy_Call(ctx, args[1], NULL, 0, HPy_NULL);
    HPy r = HPy_NULL;
    if (!HPy_IsNull(before) && !HPy_IsNull(after))
        r = HPy_BuildValue(ctx, "OO", before, after);
    HPy_Close(ctx, before);
    HPy_Close(ctx, after);
    return r;
}

HPyDef_METH(type_check, "type_check", HPyFunc_VARARGS)
static HPy type_check_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self; (void)nargs;
    return HPyLong_FromLong(ctx, HPy_TypeCheck(ctx, args[0], args[1]));
}

/* the builtin types the context holds, against obj: (float, int, str, tuple, type) */
HPyDef_METH(builtin_checks, "builtin_checks", HPyFunc_O)
static HPy builtin_checks_impl(HPyContext *ctx, HPy self, HPy obj)
{
    (void)self;
    return HPy_BuildValue(ctx, "iiiii", HPy_TypeCheck(ctx, obj, ctx->h_FloatType),
                          HPy_TypeCheck(ctx, obj, ctx->h_LongType),
                          HPy_TypeCheck(ctx, obj, ctx->h_UnicodeType),
                          HPy_TypeCheck(ctx, obj, ctx->h_TupleType),
                          HPy_TypeCheck(ctx, obj, ctx->h_TypeType));
}

HPyDef_METH(type_of, "type_of", HPyFunc_O)
static HPy type_of_impl(HPyContext *ctx, HPy self, HPy obj)
{
    (void)self;
    return HPy_Type(ctx, obj);
}

HPyDef_METH(is_, "is_", HPyFunc_VARARGS)
static HPy is__impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self; (void)nargs;
    HPy other = HPy_Dup(ctx, args[1]);      /* another handle to the same object */
    int r = HPy_Is(ctx, args[0], other);
    HPy_Close(ctx, other);
    return HPyLong_FromLong(ctx, r);
}

HPyDef_METH(global_set, "global_set", HPyFunc_O)
static HPy global_set_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    HPyGlobal_Store(ctx, &g_obj, arg);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(global_get, "global_get", HPyFunc_NOARGS)
static HPy global_get_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyGlobal_Load(ctx, g_obj);
}

HPyDef_METH(length, "length", HPyFunc_O)
static HPy length_impl(HPyContext *ctx, HPy self, HPy obj)
{
    (void)self;
    HPy_ssize_t n = HPy_Length(ctx, obj);
    return n < 0 ? HPy_NULL : HPyLong_FromSsize_t(ctx, n);
}

HPyDef_METH(getitem_i, "getitem_i", HPyFunc_VARARGS)
static HPy getitem_i_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self; (void)nargs;
    HPy_ssize_t i = HPyLong_AsSsize_t(ctx, args[1]);
    if (i == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPy_GetItem_i(ctx, args[0], i);
}

/* (tuple, list) of the arguments, through the builders */
HPyDef_METH(build, "build", HPyFunc_VARARGS)
static HPy build_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, (HPy_ssize_t)nargs);
    HPyListBuilder lb = HPyListBuilder_New(ctx, (HPy_ssize_t)nargs);
    for (size_t i = 0; i < nargs; i++) {
        HPyTupleBuilder_Set(ctx, tb, (HPy_ssize_t)i, args[i]);
        HPyListBuilder_Set(ctx, lb, (HPy_ssize_t)i, args[i]);
    }
    HPy t = HPyTupleBuilder_Build(ctx, tb);
    HPy l = HPyListBuilder_Build(ctx, lb);
    HPy r = HPy_NULL;
    if (!HPy_IsNull(t) && !HPy_IsNull(l))
        r = HPy_BuildValue(ctx, "OO", t, l);
    HPy_Close(ctx, t);
    HPy_Close(ctx, l);
    return r;
}

/* float_value(obj): HPyFloat_AsDouble(obj), or the exception it raised */
HPyDef_METH(float_value, "float_value", HPyFunc_O)
static HPy float_value_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    double v = HPyFloat_AsDouble(ctx, arg);
    if (v == -1.0 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyFloat_FromDouble(ctx, v);
}

/* (whether this binary changes counts itself, whether its traverse trampolines call the
 * runtime directly, whether they may remember types) */
HPyDef_METH(inline_ops, "inline_ops", HPyFunc_NOARGS)
static HPy inline_ops_impl(HPyContext *ctx, HPy self)
{
    (void)self;
#ifdef HPY_ABI_CPYTHON
    return HPy_BuildValue(ctx, "iii", 0, 0, 0);
#else
    return HPy_BuildValue(ctx, "iii", _hpy_inline_ops.mode != 0,
                          _hpy_inline_ops.call_traverse != NULL,
                          _hpy_inline_ops.traverse_fill != NULL);
#endif
}

HPyDef_SLOT(exec_mod, HPy_mod_exec)
static int exec_mod_impl(HPyContext *ctx, HPy m)
{
    HPyGlobal_Store(ctx, &g_obj, ctx->h_None);
    return HPyHelpers_AddType(ctx, m, "Box", &Box_spec, NULL) ? 0 : -1;
}

static HPyDef *defines[] = {
    &dup_close, &close_last, &type_check, &builtin_checks, &type_of, &is_, &global_set,
    &global_get, &length, &getitem_i, &build, &float_value, &inline_ops, &exec_mod, NULL
};
static HPyGlobal *globals[] = { &g_obj, NULL };
static HPyModuleDef moduledef = { .doc = "inline ops", .defines = defines, .globals = globals };
HPy_MODINIT(NAME, moduledef)
'''

IMMORTALS = sys.version_info >= (3, 12)
# the binary was built without knowledge of the flag, or the runtime stands for one without it
OLD_BINARY = ['-D_HPY_IGNORE_INLINE_OPS']
_loaded = {}


def runtime_offers_inline():
    """What the runtime should say: not on a build that accounts for every reference change, nor
    on a free-threaded one, nor on PyPy (docs/pypy.md)."""
    return not (hasattr(sys, 'gettotalrefcount') or sysconfig.get_config_var('Py_GIL_DISABLED')
                or sysconfig.get_config_var('Py_STATS') or not CPYTHON)


def build(compile_module, old_binary=False, old_runtime=False, other_layout=False):
    """The test module in the test's ABI; loaded once per process and variant (--refleaks runs a
    test again with the same module). old_runtime: loaded with a context that does not offer
    the inline operations; other_layout: with one that offers them on another layout of tuples
    and lists."""
    abi = compile_module.abi
    key = (abi, old_binary, old_runtime, other_layout)
    if key not in _loaded:
        name = 'inline_%s_%d%d%d' % (abi.replace('-', '_'), old_binary, old_runtime, other_layout)
        flags = OLD_BINARY if old_binary else []
        _, path = compile_module.compile(SRC.replace('NAME', name), name=name, template=False,
                                         extra_flags=flags)
        hpy.universal._set_inline_ops('other-layout' if other_layout else not old_runtime)
        try:
            _loaded[key] = load_module(name, path, abi)
        finally:
            hpy.universal._set_inline_ops(True)
    return _loaded[key]


@pytest.fixture
def mod(compile_module):
    return build(compile_module)


def test_inline_only_where_allowed(mod, hpy_abi):
    plain = hpy_abi in ('universal', 'hybrid')
    offers = plain and runtime_offers_inline()
    assert mod.inline_ops() == (offers, plain, offers)


def test_runtime_says_where_it_allows():
    assert hpy.universal._inline_ops() == runtime_offers_inline()


# A CPython-ABI helper that runs code in a new (legacy) sub-interpreter of the process.
SUBINTERPRETER = r'''
HPyDef_METH(run_in_subinterpreter, "run_in_subinterpreter", HPyFunc_O)
static HPy run_in_subinterpreter_impl(HPyContext *ctx, HPy self, HPy code)
{
    (void)self;
    const char *src = HPyUnicode_AsUTF8AndSize(ctx, code, NULL);
    if (src == NULL)
        return HPy_NULL;
    PyThreadState *main_ts = PyThreadState_Get();
    PyThreadState *sub = Py_NewInterpreter();
    if (sub == NULL) {
        PyThreadState_Swap(main_ts);
        return HPyErr_SetString(ctx, ctx->h_RuntimeError, "no sub-interpreter");
    }
    int r = PyRun_SimpleString(src);
    Py_EndInterpreter(sub);
    PyThreadState_Swap(main_ts);
    return HPyLong_FromLong(ctx, r);
}
@EXPORT(run_in_subinterpreter)
@INIT
'''

MEMOS_CHILD = '''
import sys
sys.path[:0] = {paths!r}
import hpy.universal
from support import load_module
from test_type_plan import check_new_types_at_old_addresses, check_one_traverse_for_every_layout

offered = {offered!r}
mod = load_module({name!r}, {path!r}, 'universal')
assert hpy.universal._traverse_memos() == offered
check_one_traverse_for_every_layout(mod)
reused = check_new_types_at_old_addresses(mod)     # types that took the address of another kind
if {step!r} == 'debug':
    debug_mod = load_module({debug_name!r}, {debug_path!r}, 'debug')
    check_one_traverse_for_every_layout(debug_mod)
    assert hpy.universal._traverse_memos() == offered
else:
    helper = load_module({helper_name!r}, {helper_path!r}, 'cpython')
    code = 'import sys; sys.path[:0] = %r; import hpy.universal' % ({paths!r},)
    assert helper.run_in_subinterpreter(code) == 0
    assert hpy.universal._traverse_memos() is False
check_one_traverse_for_every_layout(mod)
print('traverse ok, reused %d' % reused)
'''


@pytest.mark.runtime_specific("sub-interpreters are CPython's, and PyPy's cpyext never calls "
                              "tp_traverse (PyPy issue 3848)")
@pytest.mark.parametrize('step', ['debug', 'subinterpreter'])
def test_traverse_memos_in_a_new_process(tmp_path, step):
    """In a process of its own, so that the trampolines of a universal binary surely remember
    types (tests/test_type_plan.py checks traversal in every ABI, but an earlier test may have
    stopped the memos of the process): types of every layout are traversed right, before and
    after a module is loaded in debug mode (whose trampolines never remember: the others go on),
    and before and after the runtime ran in a sub-interpreter (which may give a type at a
    remembered address a remembered version tag: the memos are used no more)."""
    from test_type_plan import shared_traverse_source
    source = shared_traverse_source()
    name, path = support_compile(source, tmp_path, 'universal', name='memos_shared')
    debug_name, debug_path = support_compile(source, tmp_path, 'universal',
                                             name='memos_shared_debug')
    helper_name, helper_path = support_compile(SUBINTERPRETER, tmp_path, 'cpython',
                                               name='memos_helper')
    code = MEMOS_CHILD.format(paths=sys.path, offered=runtime_offers_inline(), name=name,
                              path=path, step=step, debug_name=debug_name, debug_path=debug_path,
                              helper_name=helper_name, helper_path=helper_path)
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    words = res.stdout.split()
    assert words[:3] == ['traverse', 'ok,', 'reused'], res.stdout + res.stderr
    if MEMORY_REUSED:
        # the memo of a dead type met a new type at its address (and another layout)
        assert int(words[3]) > 0, res.stdout


def check_dup_and_close_counts(mod):
    for obj in (object(), 'a string %d' % id(mod), [1, 2], mod.Box()):
        before, with_dups, after = mod.dup_close(obj, refcount)
        assert with_dups == before + 3
        assert after == before


def check_immortal_objects_are_untouched(mod):
    for obj in (None, True, 5, ()):
        before, with_dups, after = mod.dup_close(obj, refcount)
        assert with_dups == (before if IMMORTALS else before + 3)
        assert after == before


def check_last_close_frees(mod):
    class Obj:
        pass
    dead = []
    o = Obj()
    wr = weakref.ref(o, lambda r: dead.append(1))
    box = [o]
    del o
    assert mod.close_last(box, lambda: bool(dead)) == (False, True)
    assert wr() is None


def check_type_check(mod):
    Box = mod.Box

    class SubBox(Box):
        pass
    b, s = Box(), SubBox()
    assert mod.type_check(b, Box) == 1
    assert mod.type_check(s, Box) == 1          # a subclass instance: through is_subtype
    assert mod.type_check(s, SubBox) == 1
    assert mod.type_check(b, SubBox) == 0
    assert mod.type_check(b, int) == 0
    assert mod.type_check(True, int) == 1
    assert mod.type_check(5, object) == 1
    assert mod.type_check(int, type) == 1
    assert mod.builtin_checks(1.5) == (1, 0, 0, 0, 0)
    assert mod.builtin_checks(False) == (0, 1, 0, 0, 0)
    assert mod.builtin_checks('x') == (0, 0, 1, 0, 0)
    assert mod.builtin_checks(()) == (0, 0, 0, 1, 0)
    assert mod.builtin_checks(SubBox) == (0, 0, 0, 0, 1)


def check_type_of(mod):
    class SubBox(mod.Box):
        pass
    assert mod.type_of(5) is int
    assert mod.type_of(mod.Box()) is mod.Box
    before = refcount(SubBox)
    t = mod.type_of(SubBox())
    assert t is SubBox
    assert refcount(SubBox) == before + 1
    del t
    assert refcount(SubBox) == before


def check_is(mod):
    a, b = object(), object()
    assert mod.is_(a, a) == 1
    assert mod.is_(a, b) == 0
    assert mod.is_(None, None) == 1


def check_global_load(mod):
    obj = object()
    base = refcount(obj)
    mod.global_set(obj)
    assert refcount(obj) == base + 1
    got = mod.global_get()
    assert got is obj
    assert refcount(obj) == base + 2
    del got
    mod.global_set(None)
    assert refcount(obj) == base
    assert mod.global_get() is None


def check_field_store_and_load(mod):
    class Obj:
        pass
    dead = []
    o = Obj()
    wr = weakref.ref(o, lambda r: dead.append(1))
    base = refcount(o)
    box = mod.Box()
    box.set(o)
    assert refcount(o) == base + 1
    for _ in range(5):
        box.set(o)                               # storing again releases the previous value
    assert refcount(o) == base + 1
    got = box.get()
    assert got is o
    assert refcount(o) == base + 2
    del got
    box.set(5)                                   # replacing the last reference frees it
    assert refcount(o) == base
    del o
    assert wr() is None and dead == [1]
    assert box.get() == 5
    box.set(None)
    assert box.get() is None


def check_field_of_a_dying_box(mod):
    class Obj:
        pass

    class SubBox(mod.Box):
        pass
    o = Obj()
    wr = weakref.ref(o)
    box = SubBox()
    box.set(o)
    box.me = box                                 # a cycle: only the GC frees the box
    del o
    assert wr() is not None
    bwr = weakref.ref(box)
    del box
    gc.collect()
    assert bwr() is None
    assert wr() is None                          # the field's reference went with the box


def check_traverse(mod):
    # tp_traverse of boxes of three classes in turn, as the garbage collector runs it, with the
    # classes changing between rounds: each box visits its own item and its class
    class SubBox(mod.Box):
        pass

    class OtherBox(mod.Box):
        pass
    boxes = [mod.Box(), SubBox(), OtherBox(), mod.Box(), SubBox()]
    items = [['item %d' % i] for i in range(len(boxes))]
    for box, item in zip(boxes, items):
        box.set(item)
    boxes[3].set(None)                           # an empty field is not visited
    for rnd in range(3):
        for i in (0, 1, 2, 3, 4, 2, 0, 4, 1):
            refs = gc.get_referents(boxes[i])
            assert type(boxes[i]) in refs
            assert [r for r in refs if type(r) is list] == ([] if i == 3 else [items[i]])
        if rnd == 0:
            SubBox.x = rnd                       # a class that changes
        else:
            mod.Box.y = rnd                      # the base of them all
    del mod.Box.y


def check_float_value(mod):
    import math

    class F(float):
        def __float__(self):
            return 99.0                          # a float subclass's value is its own

    class HasFloat:
        def __float__(self):
            return 2.5
    for x in (0.0, -0.0, 1.5, -1e300, math.inf, 5e-324, -1.0):
        got = mod.float_value(x)
        assert got == x and math.copysign(1, got) == math.copysign(1, x)
    assert math.isnan(mod.float_value(math.nan))
    assert mod.float_value(F(3.0)) == 3.0
    assert mod.float_value(7) == 7.0
    assert mod.float_value(HasFloat()) == 2.5
    with pytest.raises(TypeError):
        mod.float_value('1.0')
    with pytest.raises(OverflowError):
        mod.float_value(10 ** 400)
    x = 1.25
    before = refcount(x)
    mod.float_value(x)
    assert refcount(x) == before


def check_length(mod):
    class T(tuple):
        pass

    class L(list):
        def __len__(self):
            return 42
    for obj in ((), (1, 2, 3), [], [1] * 10, T((1, 2)), 'abc', {1: 2}, range(7)):
        assert mod.length(obj) == len(obj)
    assert mod.length(L([1])) == 42                  # a subclass: its own __len__
    with pytest.raises(TypeError):
        mod.length(5)


def check_getitem_i(mod):
    class L(list):
        def __getitem__(self, i):
            return 'x'
    o = object()
    for seq in ((1, o, 3), [1, o, 3]):
        base = refcount(o)
        got = mod.getitem_i(seq, 1)
        assert got is o
        assert refcount(o) == base + 1
        del got
        assert refcount(o) == base
        assert mod.getitem_i(seq, -1) == 3           # negative: through the context
        assert mod.getitem_i(seq, 0) == 1
        with pytest.raises(IndexError):
            mod.getitem_i(seq, 3)
        with pytest.raises(IndexError):
            mod.getitem_i(seq, -4)
    assert mod.getitem_i(L([1]), 0) == 'x'
    assert mod.getitem_i('abc', 2) == 'c'
    assert mod.getitem_i(range(5), 4) == 4


def check_builders(mod):
    class Obj:
        pass
    o = Obj()
    wr = weakref.ref(o)
    base = refcount(o)
    t, l = mod.build(1, o, 'x')
    assert t == (1, o, 'x') and type(t) is tuple
    assert l == [1, o, 'x'] and type(l) is list
    assert refcount(o) == base + 2
    del t, l
    assert refcount(o) == base
    assert mod.build() == ((), [])
    del o
    assert wr() is None


CHECKS = [
    check_dup_and_close_counts,
    check_immortal_objects_are_untouched,
    check_last_close_frees,
    check_type_check,
    check_type_of,
    check_is,
    check_global_load,
    check_field_store_and_load,
    check_field_of_a_dying_box,
    check_traverse,
    check_float_value,
    check_length,
    check_getitem_i,
    check_builders,
]


# checks of nothing but reference counts
REFCOUNT_ONLY = (check_dup_and_close_counts, check_immortal_objects_are_untouched)
# checks that an object is freed when its last handle or field lets go of it
FREED_CHECKS = (check_last_close_frees, check_field_store_and_load, check_field_of_a_dying_box,
                check_builders)


CHECK_PARAMS = [
    pytest.param(c, marks=pytest.mark.runtime_specific(C_CYCLES)) if c is check_traverse else
    pytest.param(c, marks=pytest.mark.runtime_specific(ONLY_REFCOUNTS)) if c in REFCOUNT_ONLY else
    pytest.param(c, marks=pytest.mark.runtime_specific(FREED_AT_ONCE)) if c in FREED_CHECKS else c
    for c in CHECKS]


@pytest.mark.parametrize('check', CHECK_PARAMS, ids=[c.__name__[len('check_'):] for c in CHECKS])
def test_behaviour(mod, check):
    check(mod)
