"""Binary stability (docs/abi-evolution.md): the generator refuses a description that changes the
released ABI; a module requires the newest minor version of the members it calls, and a runtime
of an older minor refuses it at load time."""
import ctypes
import os
import shutil
import subprocess
import sys

import pytest

import hpy.universal
from support import ROOT, extension_spec

TEST_ABIS = ['universal', 'hybrid']

AUTOGEN = os.path.join(ROOT, 'tools', 'autogen.py')


def edited_description(tmp_path, edit):
    api = tmp_path / 'api'
    shutil.copytree(os.path.join(ROOT, 'api'), api, dirs_exist_ok=True)
    text = (api / 'ctx.tsv').read_text()
    (api / 'ctx.tsv').write_text(edit(text))
    return subprocess.run([sys.executable, AUTOGEN, '--check', '--api', str(api)],
                          capture_output=True, text=True)


def released_only(text):
    """The description without the members appended since the last release (api/abi-frozen.tsv)."""
    with open(os.path.join(ROOT, 'api', 'abi-frozen.tsv')) as f:
        last = max(int(l.split('\t')[0]) for l in f if l.strip() and not l.startswith('#'))
    return ''.join(l for l in text.splitlines(True)
                   if not l[:1].isdigit() or int(l.split('\t')[0]) <= last)


def swap_lines(text, a, b):
    lines = text.split('\n')
    ia = next(i for i, l in enumerate(lines) if l.startswith('%d\t' % a))
    ib = next(i for i, l in enumerate(lines) if l.startswith('%d\t' % b))
    la, lb = lines[ia].split('\t'), lines[ib].split('\t')
    la[0], lb[0] = lb[0], la[0]
    lines[ia], lines[ib] = '\t'.join(lb), '\t'.join(la)
    return '\n'.join(lines)


def test_unchanged_description_is_accepted(tmp_path):
    res = edited_description(tmp_path, lambda t: t)
    assert res.returncode == 0, res.stdout + res.stderr


def test_generator_refuses_a_changed_index(tmp_path):
    # ctx_Add and ctx_Subtract trade places
    res = edited_description(tmp_path, lambda t: swap_lines(t, 100, 101))
    assert res.returncode != 0
    assert 'released member 100 changed' in res.stderr


def is_member(line):
    return line[:1].isdigit()


def test_generator_refuses_a_removed_member(tmp_path):
    # the last released member, and the unreleased ones after it (their indexes would leave a gap)
    res = edited_description(tmp_path, lambda t: '\n'.join(
        l for l in released_only(t).split('\n') if not l.startswith('274\t')) + '\n')
    assert res.returncode != 0
    assert 'released member 274 (ctx_DetachThread) was removed' in res.stderr


def test_generator_refuses_a_gap(tmp_path):
    def gap(t):
        return t.replace('\n274\tfunction', '\n275\tfunction')
    res = edited_description(tmp_path, gap)
    assert res.returncode != 0
    assert 'indexes are consecutive' in res.stderr


def test_generator_refuses_a_changed_signature(tmp_path):
    res = edited_description(tmp_path, lambda t: t.replace(
        'HPyContext *ctx, HPy h1, HPy h2\tHPy\tPyNumber_Add', 'HPyContext *ctx, HPy h1\tHPy\tPyNumber_Add'))
    assert res.returncode != 0
    assert 'released member 100 changed' in res.stderr


def test_new_member_needs_a_new_minor(tmp_path):
    def append(text, minor):
        index = sum(l[:1].isdigit() for l in text.splitlines())
        return text + ('%d\tfunction\tHPy_Nothing\tctx_Nothing\tint\tHPyContext *ctx\tint\tctx\t'
                       '-\t%d\n' % (index, minor))
    res = edited_description(tmp_path, lambda t: append(released_only(t), 1))
    assert res.returncode != 0
    assert 'needs a minor version above the released 1' in res.stderr
    res = edited_description(tmp_path, lambda t: append(t, 2))
    # accepted by the rules (the generated files then differ from the committed ones)
    assert 'stale generated files' in res.stdout


UPSTREAM_ONLY = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 1); }
    @EXPORT(f)
    @INIT
'''

USES_MINOR_1 = '''
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self)
    {
        (void)self;
        HPyThreadState st;
        HPy_BEGIN_LEAVE_PYTHON(ctx)
        st = HPy_AttachThread(ctx);      /* re-entering from the same thread */
        HPy_DetachThread(ctx, st);
        HPy_END_LEAVE_PYTHON(ctx)
        return HPyLong_FromLong(ctx, 2);
    }
    @EXPORT(f)
    @INIT
'''


def required_minor(name, path):
    lib = ctypes.CDLL(path)
    getter = getattr(lib, 'get_required_hpy_minor_version_' + name)
    getter.restype = ctypes.c_uint32
    return getter()


def load(name, path):
    return hpy.universal.load(name, path, extension_spec(name, path))


def test_required_minor_follows_the_members_called(compile_module):
    name0, path0 = compile_module.compile(UPSTREAM_ONLY)
    name1, path1 = compile_module.compile(USES_MINOR_1)
    assert required_minor(name0, path0) == 0
    assert required_minor(name1, path1) == 1
    assert load(name0, path0).f() == 1
    assert load(name1, path1).f() == 2


def test_older_runtime_refuses_a_newer_module(compile_module):
    name0, path0 = compile_module.compile(UPSTREAM_ONLY)
    name1, path1 = compile_module.compile(USES_MINOR_1)
    hpy.universal._set_runtime_minor(0)
    try:
        assert load(name0, path0).f() == 1          # upstream members only: still loads
        with pytest.raises(RuntimeError) as e:
            load(name1, path1)
    finally:
        hpy.universal._set_runtime_minor(None)
    assert str(e.value) == ("HPy extension module '%s' requires unsupported version of the HPy "
                            "runtime. Requested version: 0.1. Current HPy version: 0.0." % name1)


def minor_2_slots():
    with open(os.path.join(ROOT, 'api', 'slots.tsv')) as f:
        rows = [l.rstrip('\n').split('\t') for l in f if l.strip() and not l.startswith('#')]
    return [r[0] for r in rows[1:] if dict(zip(rows[0], r))['minor'] == '2']


SLOT_SOURCE = '''
    HPyDef_SLOT(s, %s)
    static %s
    @INIT
'''

# an implementation of each signature of the minor-2 slots
SLOT_IMPLS = {
    'GETITERFUNC': 'HPy s_impl(HPyContext *ctx, HPy a) { return HPy_Dup(ctx, a); }',
    'ITERNEXTFUNC': 'HPy s_impl(HPyContext *ctx, HPy a) { (void)ctx; (void)a; return HPy_NULL; }',
    'UNARYFUNC': 'HPy s_impl(HPyContext *ctx, HPy a) { return HPy_Dup(ctx, a); }',
    'GETATTROFUNC': 'HPy s_impl(HPyContext *ctx, HPy a, HPy b) '
                    '{ (void)b; return HPy_Dup(ctx, a); }',
    'SETATTROFUNC': 'int s_impl(HPyContext *ctx, HPy a, HPy b, HPy c) '
                    '{ (void)ctx; (void)a; (void)b; (void)c; return 0; }',
    'DESCRSETFUNC': 'int s_impl(HPyContext *ctx, HPy a, HPy b, HPy c) '
                    '{ (void)ctx; (void)a; (void)b; (void)c; return 0; }',
}


def test_a_minor_2_slot_counts_as_a_use(compile_module):
    """Defining a slot of minor 2 makes the module require minor 2, so that a minor-1 runtime
    refuses it at load time; modules of minor 0 and 1 still load there."""
    import hpy.devel
    sigs = {}
    with open(os.path.join(ROOT, 'api', 'slots.tsv')) as f:
        for line in f:
            cells = line.rstrip('\n').split('\t')
            if len(cells) == 4 and not line.startswith('#'):
                sigs[cells[0]] = cells[2]
    slots = minor_2_slots()
    assert sorted(slots) == sorted(['HPy_tp_iter', 'HPy_tp_iternext', 'HPy_tp_getattro',
                                    'HPy_tp_setattro', 'HPy_tp_descr_set', 'HPy_am_await',
                                    'HPy_am_aiter', 'HPy_am_anext'])
    built = [compile_module.compile(SLOT_SOURCE % (slot, SLOT_IMPLS[sigs[slot]]))
             for slot in slots]
    assert [required_minor(name, path) for name, path in built] == [2] * len(slots)
    name0, path0 = compile_module.compile(UPSTREAM_ONLY)
    name1, path1 = compile_module.compile(USES_MINOR_1)
    hpy.universal._set_runtime_minor(1)
    try:
        assert load(name0, path0).f() == 1
        assert load(name1, path1).f() == 2
        for name, path in built:
            with pytest.raises(RuntimeError) as e:
                load(name, path)
            assert str(e.value) == (
                "HPy extension module '%s' requires unsupported version of the HPy runtime. "
                "Requested version: 0.2. Current HPy version: 0.1." % name)
    finally:
        hpy.universal._set_runtime_minor(None)
    assert hpy.devel.abitag.HPY_ABI_VERSION_MINOR == 2
    for name, path in built[:1]:
        assert load(name, path).__doc__ is not None       # this runtime (minor 2) loads it


USES_THE_MODULE_PARAM = '''
    static HPyType_Spec T_spec = { .name = "mytest.T" };
    HPyDef_SLOT(add_type, HPy_mod_exec)
    static int add_type_impl(HPyContext *ctx, HPy m)
    {
        HPyType_SpecParam params[] = { HPyType_SpecParam_MODULE(m),
                                       { (HPyType_SpecParam_Kind)0, HPy_NULL } };
        return HPyHelpers_AddType(ctx, m, "T", &T_spec, params) ? 0 : -1;
    }
    @EXPORT(add_type)
    @INIT
'''

CALLS_GET_MODULE = '''
    HPyDef_METH(f, "f", HPyFunc_O)
    static HPy f_impl(HPyContext *ctx, HPy self, HPy type)
    {
        (void)self;
        return HPyType_GetModule(ctx, type);
    }
    @EXPORT(f)
    @INIT
'''


def test_the_module_of_a_type_needs_minor_2(compile_module):
    """HPyType_SpecParam_MODULE and HPyType_GetModule(ByDef) make a module require minor 2
    (docs/type-module.md); a minor-1 runtime refuses it, a minor-0 module still loads."""
    built = [compile_module.compile(USES_THE_MODULE_PARAM),
             compile_module.compile(CALLS_GET_MODULE)]
    assert [required_minor(name, path) for name, path in built] == [2, 2]
    name0, path0 = compile_module.compile(UPSTREAM_ONLY)
    hpy.universal._set_runtime_minor(1)
    try:
        assert load(name0, path0).f() == 1
        for name, path in built:
            with pytest.raises(RuntimeError) as e:
                load(name, path)
            assert str(e.value) == (
                "HPy extension module '%s' requires unsupported version of the HPy runtime. "
                "Requested version: 0.2. Current HPy version: 0.1." % name)
    finally:
        hpy.universal._set_runtime_minor(None)
    with_param = load(*built[0])
    assert load(*built[1]).f(with_param.T) is with_param
