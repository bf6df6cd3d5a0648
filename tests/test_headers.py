"""hpy.h compiles cleanly in every ABI as C99/C11 and C++11/C++17, and refuses misconfiguration
with the documented messages."""
import pytest
import subprocess

from support import FORBID, INCLUDE, PY_INCLUDE

SNIPPET = r'''
#include "hpy.h"

typedef struct { long x; double y; HPyField f; } PointObject;
HPyType_HELPERS(PointObject)

HPyDef_METH(m_noargs, "m_noargs", HPyFunc_NOARGS, .doc = "doc")
static HPy m_noargs_impl(HPyContext *ctx, HPy self) { (void)self; return HPy_Dup(ctx, ctx->h_None); }

HPyDef_METH(m_o, "m_o", HPyFunc_O)
static HPy m_o_impl(HPyContext *ctx, HPy self, HPy arg) { (void)self; return HPy_Dup(ctx, arg); }

HPyDef_METH(m_varargs, "m_varargs", HPyFunc_VARARGS)
static HPy m_varargs_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{ (void)self; (void)args; return HPyLong_FromSize_t(ctx, nargs); }

HPyDef_METH(m_kw, "m_kw", HPyFunc_KEYWORDS)
static HPy m_kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{ (void)self; (void)args; (void)kwnames; return HPyLong_FromSize_t(ctx, nargs); }

HPyDef_SLOT(p_add, HPy_nb_add)
static HPy p_add_impl(HPyContext *ctx, HPy a, HPy b) { return HPy_Add(ctx, a, b); }

HPyDef_SLOT(p_cmp, HPy_tp_richcompare)
static HPy p_cmp_impl(HPyContext *ctx, HPy a, HPy b, HPy_RichCmpOp op)
{ HPy_RETURN_RICHCOMPARE(ctx, a._i, b._i, op); }

HPyDef_SLOT(p_traverse, HPy_tp_traverse)
static int p_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{ PointObject *p = (PointObject *)self; HPy_VISIT(&p->f); return 0; }

HPyDef_SLOT(p_destroy, HPy_tp_destroy)
static void p_destroy_impl(void *obj) { (void)obj; }

HPyDef_SLOT(p_new, HPy_tp_new)
static HPy p_new_impl(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs, HPy kw)
{ (void)args; (void)nargs; (void)kw; PointObject *p; return HPy_New(ctx, type, &p); }

HPyDef_SLOT(p_getbuf, HPy_bf_getbuffer)
static int p_getbuf_impl(HPyContext *ctx, HPy self, HPy_buffer *buf, int flags)
{ (void)ctx; (void)self; (void)buf; (void)flags; return -1; }

HPyDef_MEMBER(p_x, "x", HPyMember_LONG, offsetof(PointObject, x), .readonly = 1)
HPyDef_GETSET(p_y, "y", .doc = "y", .closure = (void *)1)
static HPy p_y_get(HPyContext *ctx, HPy self, void *c) { (void)c; return HPy_Dup(ctx, self); }
static int p_y_set(HPyContext *ctx, HPy self, HPy v, void *c) { (void)ctx; (void)self; (void)v; (void)c; return 0; }
HPyDef_GET(p_z, "z")
static HPy p_z_get(HPyContext *ctx, HPy self, void *c) { (void)c; return HPy_Dup(ctx, self); }

/* the *_IMPL forms before their implementations, an implementation shared, and an API function */
HPyDef_SLOT_IMPL(p_generic_new, HPyType_GenericNew, HPy_tp_new)
HPyDef_METH_IMPL(m_after, "m_after", after_impl, HPyFunc_O)
HPyDef_SLOT_IMPL(p_sub, after_impl, HPy_nb_subtract)
static HPy after_impl(HPyContext *ctx, HPy a, HPy b) { (void)a; return HPy_Dup(ctx, b); }
HPyDef_GETSET_IMPL(p_w, "w", w_get, w_set, .doc = "w")
HPyDef_GET_IMPL(p_w2, "w2", w_get)
HPyDef_SET_IMPL(p_w3, "w3", w_set, .closure = (void *)3)
static HPy w_get(HPyContext *ctx, HPy self, void *c) { (void)c; return HPy_Dup(ctx, self); }
static int w_set(HPyContext *ctx, HPy self, HPy v, void *c) { (void)ctx; (void)self; (void)v; (void)c; return 0; }

HPyDef_CALL_FUNCTION(p_call)
static HPy p_call_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{ (void)callable; (void)args; (void)kwnames; return HPyLong_FromSize_t(ctx, nargs); }

HPyCapsule_DESTRUCTOR(cap_dtor)
static void cap_dtor_impl(const char *name, void *pointer, void *context)
{ (void)name; (void)pointer; (void)context; }

HPyDef_SLOT(m_exec, HPy_mod_exec)
static int m_exec_impl(HPyContext *ctx, HPy mod)
{
    HPy_ssize_t start = 0, stop = 10, step = 1;
    (void)HPySlice_AdjustIndices(ctx, 5, &start, &stop, step);
    (void)HPyCapsule_New(ctx, NULL, "x", &cap_dtor);
    (void)HPy_SetCallFunction(ctx, mod, &p_call);
    return 0;
}

static HPyDef *point_defines[] = { &p_add, &p_cmp, &p_traverse, &p_destroy, &p_new, &p_getbuf,
                                   &p_x, &p_y, &p_z, &p_sub, &p_w, &p_w2, &p_w3, NULL };
static HPyType_Spec point_spec = {
    .name = "mod.Point",
    .basicsize = sizeof(PointObject),
    .itemsize = 0,
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .builtin_shape = SHAPE(PointObject),
    .legacy_slots = NULL,
    .defines = point_defines,
    .doc = NULL,
};

static HPyGlobal g_obj;
static HPyGlobal *module_globals[] = { &g_obj, NULL };
static HPyDef *module_defines[] = { &m_noargs, &m_o, &m_varargs, &m_kw, &m_exec, &m_after, NULL };
static HPyModuleDef moduledef = { .doc = "doc", .size = 0, .legacy_methods = NULL,
                                  .defines = module_defines, .globals = module_globals };
HPy_MODINIT(mod, moduledef)

HPyType_SpecParam *unused_params(void);
HPyType_SpecParam *unused_params(void) { (void)point_spec; return NULL; }
'''

STANDARDS = [('gcc', 'c99', 'c'), ('gcc', 'c11', 'c'), ('gcc', 'gnu11', 'c'),
             ('g++', 'c++11', 'c++'), ('g++', 'c++17', 'c++')]


def abi_flags(abi):
    if abi == 'universal':
        return ['-DHPY_ABI_UNIVERSAL', '-I' + FORBID, '-I' + INCLUDE]
    flag = '-DHPY_ABI_CPYTHON' if abi == 'cpython' else '-DHPY_ABI_HYBRID'
    return [flag, '-I' + INCLUDE, '-I' + PY_INCLUDE]


def compile_text(tmp_path, text, cc, std, lang, flags):
    src = tmp_path / ('snippet.' + ('cpp' if lang == 'c++' else 'c'))
    src.write_text(text)
    cmd = [cc, '-std=' + std, '-Wall', '-Wextra', '-Werror', '-fsyntax-only'] + flags + [str(src)]
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.mark.parametrize('abi', ['cpython', 'universal', 'hybrid'])
@pytest.mark.parametrize('cc,std,lang', STANDARDS)
def test_every_macro_compiles_cleanly(tmp_path, abi, cc, std, lang):
    res = compile_text(tmp_path, SNIPPET, cc, std, lang, abi_flags(abi))
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize('flags,message', [
    ([], 'Cannot determine the desired HPy ABI: you must set one of HPY_ABI_CPYTHON, '
         'HPY_ABI_UNIVERSAL or HPY_ABI_HYBRID'),
    (['-DHPY_ABI_CPYTHON', '-DHPY_ABI_HYBRID'],
     'Conflicting macros are defined: HPY_ABI_CPYTHON and HPY_ABI_HYBRID'),
    (['-DHPY_ABI_CPYTHON', '-DHPY_ABI_UNIVERSAL'],
     'Conflicting macros are defined: HPY_ABI_CPYTHON and HPY_ABI_UNIVERSAL'),
    (['-DHPY_ABI_HYBRID', '-DHPY_ABI_UNIVERSAL'],
     'Conflicting macros are defined: HPY_ABI_HYBRID and HPY_ABI_UNIVERSAL'),
])
def test_abi_selection_errors(tmp_path, flags, message):
    res = compile_text(tmp_path, '#include "hpy.h"\n', 'gcc', 'c11', 'c',
                       flags + ['-I' + INCLUDE, '-I' + PY_INCLUDE])
    assert res.returncode != 0
    assert message in res.stderr


def test_python_h_is_forbidden_in_universal(tmp_path):
    res = compile_text(tmp_path, '#include <Python.h>\n#include "hpy.h"\n', 'gcc', 'c11', 'c',
                       abi_flags('universal'))
    assert res.returncode != 0
    assert 'It is forbidden to #include <Python.h> when targeting the HPy Universal ABI' in res.stderr


def test_forbid_dir_without_universal_is_a_build_system_error(tmp_path):
    res = compile_text(tmp_path, '#include <Python.h>\n', 'gcc', 'c11', 'c',
                       ['-DHPY_ABI_CPYTHON', '-I' + FORBID])
    assert res.returncode != 0
    assert 'something is wrong with your build system' in res.stderr


def test_legacy_functions_are_a_compile_error_in_universal(tmp_path):
    text = '#include "hpy.h"\nint f(HPyContext *ctx, HPy h);\n' \
           'int f(HPyContext *ctx, HPy h) { return HPy_AsPyObject(ctx, h) != 0; }\n'
    res = compile_text(tmp_path, text, 'gcc', 'c11', 'c', abi_flags('universal') + ['-O1'])
    res2 = subprocess.run(['gcc', '-std=c11', '-O1', '-c', '-o', str(tmp_path / 'x.o')] +
                          abi_flags('universal') + [str(tmp_path / 'snippet.c')],
                          capture_output=True, text=True)
    assert res2.returncode != 0
    assert 'Cannot use legacy functions when targeting the HPy Universal ABI' in res2.stderr
    assert res.returncode == 0 or 'legacy' in res.stderr
