"""The legacy bridge between handles and PyObject*, for the CPython and hybrid ABIs (in the
universal ABI using it is a compile error, see test_headers.py)."""

from support import refcount

TEST_ABIS = ['cpython', 'hybrid', 'hybrid-debug']


def test_from_and_as_pyobject(compile_module):
    mod = compile_module('''
        HPyDef_METH(roundtrip, "roundtrip", HPyFunc_O)
        static HPy roundtrip_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            PyObject *o = HPy_AsPyObject(ctx, arg);          /* new reference */
            if (o == NULL)
                return HPy_NULL;
            PyObject *t = PyTuple_Pack(2, o, o);
            Py_DECREF(o);
            if (t == NULL)
                return HPy_NULL;
            HPy h = HPy_FromPyObject(ctx, t);                /* does not steal */
            Py_DECREF(t);
            return h;
        }
        HPyDef_METH(nulls, "nulls", HPyFunc_NOARGS)
        static HPy nulls_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            if (HPy_AsPyObject(ctx, HPy_NULL) != NULL || !HPy_IsNull(HPy_FromPyObject(ctx, NULL)))
                return HPyErr_SetString(ctx, ctx->h_AssertionError, "NULL not preserved");
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(roundtrip)
        @EXPORT(nulls)
        @INIT
    ''')
    obj = object()
    base = refcount(obj)
    for _ in range(50):
        assert mod.roundtrip(obj) == (obj, obj)
    assert refcount(obj) == base
    assert mod.nulls() is None


def test_legacy_methods_in_module(compile_module):
    mod = compile_module('#include "hpy.h"\n' + '''
        static PyObject *legacy_double(PyObject *self, PyObject *arg)
        {
            (void)self;
            return PyNumber_Add(arg, arg);
        }
        static PyMethodDef legacy_methods[] = {
            {"double", legacy_double, METH_O, "a PyMethodDef function"},
            {NULL, NULL, 0, NULL}
        };
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self) { (void)self; return HPyLong_FromLong(ctx, 1); }
        static HPyDef *defs[] = { &f, NULL };
        static HPyModuleDef moduledef = { .doc = "legacy", .legacy_methods = legacy_methods,
                                          .defines = defs };
        HPy_MODINIT(@NAME@, moduledef)
    '''.replace("@NAME@", "legacymod"), name="legacymod", template=False)
    assert mod.f() == 1
    assert mod.double(21) == 42
    assert mod.double.__doc__ == 'a PyMethodDef function'
