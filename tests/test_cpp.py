"""Extensions written in C++ (compiled as C++11 with -Wall -Wextra -Werror) in every ABI."""

CPP_MODULE = '''
    #include <string>
    #include <vector>

    HPyDef_METH(join, "join", HPyFunc_VARARGS, .doc = "join str arguments with '-'")
    static HPy join_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        (void)self;
        std::vector<std::string> parts;
        for (size_t i = 0; i < nargs; i++) {
            HPy_ssize_t n;
            const char *s = HPyUnicode_AsUTF8AndSize(ctx, args[i], &n);
            if (s == nullptr)
                return HPy_NULL;
            parts.push_back(std::string(s, (size_t)n));
        }
        std::string out;
        for (size_t i = 0; i < parts.size(); i++)
            out += (i ? "-" : "") + parts[i];
        return HPyUnicode_FromString(ctx, out.c_str());
    }

    HPyDef_METH(kw, "kw", HPyFunc_KEYWORDS)
    static HPy kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
    {
        (void)self; (void)args;
        HPy_ssize_t nkw = HPy_IsNull(kwnames) ? 0 : HPy_Length(ctx, kwnames);
        return HPyLong_FromSsize_t(ctx, (HPy_ssize_t)nargs * 100 + nkw);
    }

    HPyDef_SLOT(exec, HPy_mod_exec)
    static int exec_impl(HPyContext *ctx, HPy m)
    {
        HPy v = HPyLong_FromLong(ctx, 11);
        int r = HPy_SetAttr_s(ctx, m, "eleven", v);
        HPy_Close(ctx, v);
        return r;
    }

    @EXPORT(join)
    @EXPORT(kw)
    @EXPORT(exec)
    @INIT
'''


def test_cpp_module(compile_module):
    mod = compile_module(CPP_MODULE, cplusplus=True)
    assert mod.join('a', 'b', 'c') == 'a-b-c'
    assert mod.join.__doc__ == "join str arguments with '-'"
    assert mod.kw(1, 2, x=3) == 201
    assert mod.eleven == 11
