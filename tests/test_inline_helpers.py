"""Macros and helpers of the headers that are not context members."""
import os

import pytest


def test_return_richcompare(compile_module):
    mod = compile_module('''
        HPyDef_METH(cmp, "cmp", HPyFunc_VARARGS)
        static HPy cmp_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            (void)self; (void)nargs;
            long a = HPyLong_AsLong(ctx, args[0]);
            long b = HPyLong_AsLong(ctx, args[1]);
            int op = (int)HPyLong_AsLong(ctx, args[2]);
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            HPy_RETURN_RICHCOMPARE(ctx, a, b, (HPy_RichCmpOp)op);
        }
        @EXPORT(cmp)
        @INIT
    ''')
    import operator
    ops = [operator.lt, operator.le, operator.eq, operator.ne, operator.gt, operator.ge]
    for opnum, op in enumerate(ops):
        for a, b in [(1, 2), (2, 2), (3, 2)]:
            assert mod.cmp(a, b, opnum) is op(a, b)


def test_pid_helpers(compile_module):
    mod = compile_module('''
        HPyDef_METH(pid, "pid", HPyFunc_O)
        static HPy pid_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            (void)self;
            long p = (long)HPyLong_AsPid(ctx, arg);
            if (p == -1 && HPyErr_Occurred(ctx))
                return HPy_NULL;
            HPy r = HPyLong_FromPid(ctx, p + 1);
            (void)_HPy_PARSE_PID;
            return r;
        }
        @EXPORT(pid)
        @INIT
    ''')
    assert mod.pid(os.getpid()) == os.getpid() + 1
    with pytest.raises(TypeError):
        mod.pid('x')
