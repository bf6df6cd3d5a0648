"""Debug mode: contexts used where they are not valid (python-contract.md §11.2, "Wrong
context"), the restricted regime of the functions the garbage collector calls (tp_traverse,
tp_destroy, capsule destructors: docs/gc-regime.md) and HPyField_Store into an object whose type
lets the GC not see its fields. Each misuse ends the process: checked in a subprocess."""
import textwrap

import pytest

from support import C_CYCLES, run_python

TEST_ABIS = ['debug']

pytestmark = pytest.mark.no_refleak_check

SRC = '''
    #include <string.h>

    static HPyContext *kept;        /* a context kept in a global: using it later is a misuse */
    static int misuse_in;           /* 1: tp_destroy, 2: tp_traverse, 3: capsule destructor */

    static HPy none(HPyContext *ctx) { return HPy_Dup(ctx, ctx->h_None); }

    /* uses ctx (fine) or the kept one */
    static HPy use(HPyContext *ctx)
    {
        HPy h = HPyLong_FromLong(ctx, 42);
        return h;
    }

    HPyDef_METH(keep, "keep", HPyFunc_NOARGS)
    static HPy keep_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        kept = ctx;
        return none(ctx);
    }

    HPyDef_METH(use_kept, "use_kept", HPyFunc_NOARGS)
    static HPy use_kept_impl(HPyContext *ctx, HPy self)
    {
        (void)self; (void)ctx;
        return use(kept);
    }

    HPyDef_METH(use_own, "use_own", HPyFunc_NOARGS)
    static HPy use_own_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return use(ctx);
    }

    /* keeps its context, calls cb() (which may call back into this module), then uses its own
     * context again: valid once the inner calls have returned */
    HPyDef_METH(outer, "outer", HPyFunc_O)
    static HPy outer_impl(HPyContext *ctx, HPy self, HPy cb)
    {
        (void)self;
        kept = ctx;
        HPy r = HPy_Call(ctx, cb, NULL, 0, HPy_NULL);
        if (HPy_IsNull(r))
            return HPy_NULL;
        HPy n = use(ctx);
        HPy t = HPyTuple_Pack(ctx, 2, r, n);
        HPy_Close(ctx, r);
        HPy_Close(ctx, n);
        return t;
    }

    HPyDef_METH(set_misuse, "set_misuse", HPyFunc_O)
    static HPy set_misuse_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        (void)self;
        misuse_in = (int)HPyLong_AsLong(ctx, arg);
        kept = ctx;
        return none(ctx);
    }

    typedef struct { HPyField item; long destroyed; } BoxObject;
    HPyType_HELPERS(BoxObject)

    HPyDef_SLOT(Box_traverse, HPy_tp_traverse)
    static int Box_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        BoxObject *b = (BoxObject *)self;
        if (misuse_in == 2) {
            HPy h = HPyLong_FromLong(kept, 2);
            HPy_Close(kept, h);
        }
        HPy_VISIT(&b->item);
        return 0;
    }

    HPyDef_SLOT(Box_destroy, HPy_tp_destroy)
    static void Box_destroy_impl(void *self)
    {
        (void)self;
        if (misuse_in == 1) {
            HPy h = HPyLong_FromLong(kept, 1);
            HPy_Close(kept, h);
        }
    }

    HPyDef_SLOT(Box_new, HPy_tp_new)
    static HPy Box_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        BoxObject *b;
        (void)kw;
        HPy h = HPy_New(ctx, cls, &b);
        if (!HPy_IsNull(h) && nargs > 0)
            HPyField_Store(ctx, h, &b->item, args[0]);
        return h;
    }

    static HPyDef *Box_defines[] = { &Box_traverse, &Box_destroy, &Box_new, NULL };
    static HPyType_Spec Box_spec = {
        .name = "ctxmisuse.Box",
        .basicsize = sizeof(BoxObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC | HPy_TPFLAGS_BASETYPE,
        .defines = Box_defines,
    };

    /* A type that stores a field without declaring HPy_tp_traverse: a misuse. */
    typedef struct { HPyField item; } BlindObject;
    HPyType_HELPERS(BlindObject)

    HPyDef_SLOT(Blind_new, HPy_tp_new)
    static HPy Blind_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs,
                              HPy kw)
    {
        BlindObject *b;
        (void)kw;
        HPy h = HPy_New(ctx, cls, &b);
        if (!HPy_IsNull(h) && nargs > 0)
            HPyField_Store(ctx, h, &b->item, args[0]);
        return h;
    }

    static HPyDef *Blind_defines[] = { &Blind_new, NULL };
    static HPyType_Spec Blind_spec = {
        .name = "ctxmisuse.Blind",
        .basicsize = sizeof(BlindObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = Blind_defines,
    };

    HPyCapsule_DESTRUCTOR(capsule_destructor)
    static void capsule_destructor_impl(const char *name, void *pointer, void *context)
    {
        (void)name; (void)pointer; (void)context;
        if (misuse_in == 3) {
            HPy h = HPyLong_FromLong(kept, 3);
            HPy_Close(kept, h);
        }
    }

    static int payload;

    HPyDef_METH(new_capsule, "new_capsule", HPyFunc_NOARGS)
    static HPy new_capsule_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        return HPyCapsule_New(ctx, &payload, "ctxmisuse.payload", &capsule_destructor);
    }

    HPyDef_SLOT(init, HPy_mod_exec)
    static int init_impl(HPyContext *ctx, HPy m)
    {
        if (!HPyHelpers_AddType(ctx, m, "Box", &Box_spec, NULL))
            return -1;
        if (!HPyHelpers_AddType(ctx, m, "Blind", &Blind_spec, NULL))
            return -1;
        return 0;
    }

    static HPyDef *defines[] = { &keep, &use_kept, &use_own, &outer, &set_misuse, &new_capsule,
                                 &init, NULL };
    static HPyModuleDef moduledef = { .doc = "context misuse", .defines = defines };
    HPy_MODINIT(ctxmisuse, moduledef)
'''

WRONG_CONTEXT = 'Error: Wrong HPy Context!'


def run_in_debug_mode(compile_module, code):
    name, path = compile_module.compile('#include "hpy.h"\n' + SRC, name='ctxmisuse',
                                        template=False)
    prog = textwrap.dedent('''
        import gc, importlib.util, resource, threading
        import hpy.universal
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core file
        import importlib.machinery
        _name, _path = %r, %r
        spec = importlib.util.spec_from_file_location(
            _name, _path, loader=importlib.machinery.ExtensionFileLoader(_name, _path))
        mod = hpy.universal.load(%r, %r, spec, mode=hpy.universal.MODE_DEBUG)
        print('loaded', flush=True)
    ''') % (name, path, name, path)
    return run_python(prog + textwrap.dedent(code) + '\nprint("survived", flush=True)\n',
                      env={'PYTHONFAULTHANDLER': ''})


def assert_aborted(res, *messages):
    assert res.stdout == 'loaded\n', (res.stdout, res.stderr)
    assert res.returncode != 0
    for m in messages:
        assert m in res.stderr, res.stderr


def test_correct_uses(compile_module):
    res = run_in_debug_mode(compile_module, '''
        assert mod.use_own() == 42
        mod.keep()
        assert mod.outer(mod.use_own) == (42, 42)              # nested calls, own contexts
        assert mod.outer(lambda: mod.outer(mod.use_own)) == ((42, 42), 42)
        for _ in range(40):                                     # around the ring of contexts
            assert mod.outer(mod.use_own) == (42, 42)
        t = threading.Thread(target=mod.use_own)                # another thread, its own call
        t.start(); t.join()
        b = mod.Box(mod.Box(1))                                 # traverse and destroy are fine
        gc.collect()
        del b
        gc.collect()
        c = mod.new_capsule()
        del c
    ''')
    assert res.returncode == 0, res.stderr
    assert res.stdout == 'loaded\nsurvived\n'


def test_context_of_an_earlier_call(compile_module):
    res = run_in_debug_mode(compile_module, '''
        mod.keep()
        mod.use_kept()
    ''')
    assert_aborted(res, WRONG_CONTEXT, 'HPyLong_FromInt64_t was called with a debug context that '
                                       'is not the one of the call running on this thread')
    assert 'Fatal Python error' not in res.stderr


def test_outer_context_during_an_inner_call(compile_module):
    res = run_in_debug_mode(compile_module, '''
        mod.outer(mod.use_kept)
    ''')
    assert_aborted(res, WRONG_CONTEXT, 'HPyLong_FromInt64_t')


def test_context_of_another_thread(compile_module):
    res = run_in_debug_mode(compile_module, '''
        def in_a_thread():
            t = threading.Thread(target=mod.use_kept)
            t.start(); t.join()
        mod.outer(in_a_thread)
    ''')
    assert_aborted(res, WRONG_CONTEXT)


# the collect() frees the dropped object where the GC does it (PyPy)
@pytest.mark.parametrize('where,code,what', [
    (1, 'b = mod.Box(); del b; gc.collect()', "tp_destroy of type 'ctxmisuse.Box'"),
    pytest.param(2, 'b = mod.Box(); gc.collect()', "tp_traverse of type 'ctxmisuse.Box'",
                 marks=pytest.mark.runtime_specific(C_CYCLES)),
    (3, 'c = mod.new_capsule(); del c; gc.collect()',
     "capsule destructor of capsule 'ctxmisuse.payload'"),
])
def test_api_from_the_restricted_regime(compile_module, where, code, what):
    res = run_in_debug_mode(compile_module, 'mod.set_misuse(%d)\n%s\n' % (where, code))
    assert_aborted(res, 'Fatal Python error',
                   'HPyLong_FromInt64_t called from ' + what,
                   'get no HPy context and must not use the HPy API')
    # the module's file is named
    assert 'ctxmisuse' in res.stderr.split('called from', 1)[1]


def test_field_store_into_a_type_without_traverse(compile_module):
    res = run_in_debug_mode(compile_module, '''
        mod.Blind()                 # no field stored: fine
        mod.Blind(1)
    ''')
    assert_aborted(res, 'Fatal Python error', "Invalid usage of HPyField_Store: instances of "
                   "type 'ctxmisuse.Blind' hold objects in HPyFields, but the type declares no "
                   "HPy_tp_traverse")


def test_field_store_checks_each_of_many_types_in_turn(compile_module):
    """What debug mode knows of the types it saw is kept per type: many types used in turn,
    more than it keeps at once, each get their own answer."""
    res = run_in_debug_mode(compile_module, '''
        boxes = [type('B%d' % i, (mod.Box,), {}) for i in range(40)]
        for _ in range(3):
            for B in boxes:
                B(1)
                mod.Blind()
                mod.Box(2)
        print('boxes fine', flush=True)
        type('BlindSub', (mod.Blind,), {})(1)
    ''')
    assert res.stdout == 'loaded\nboxes fine\n', (res.stdout, res.stderr)
    assert res.returncode != 0
    assert "Invalid usage of HPyField_Store: instances of type 'BlindSub' hold objects in " \
           "HPyFields" in res.stderr, res.stderr


def test_restricted_regime_ends_with_the_function(compile_module):
    # a deallocation inside a call: the call's context is valid again once tp_destroy returned
    res = run_in_debug_mode(compile_module, '''
        mod.set_misuse(0)
        def drop_and_use():
            b = mod.Box(1)
            del b
            gc.collect()
            return mod.use_own()
        assert mod.outer(drop_and_use) == (42, 42)
    ''')
    assert res.returncode == 0, res.stderr
    assert res.stdout == 'loaded\nsurvived\n'
