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


def test_definitions_leave_the_users_diagnostic_state_alone(compile_module):
    # the definitions' own diagnostic push/pop must balance: a user's push (here: unused
    # variables allowed) still holds after every kind of definition, up to the user's pop
    mod = compile_module('''
        #pragma GCC diagnostic push
        #pragma GCC diagnostic ignored "-Wunused-variable"

        HPyDef_CALL_FUNCTION(call)
        static HPy call_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs,
                             HPy kwnames)
        {
            (void)callable; (void)args; (void)kwnames;
            return HPyLong_FromSize_t(ctx, nargs);
        }

        HPyCapsule_DESTRUCTOR(destroy)
        static void destroy_impl(const char *name, void *pointer, void *context)
        {
            (void)name; (void)pointer; (void)context;
        }

        HPyDef_METH(f, "f", HPyFunc_NOARGS, .doc = "f")
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            (void)self;
            int unused_here = 0;
            (void)&call; (void)&destroy;
            return HPyLong_FromLong(ctx, 7);
        }

        #pragma GCC diagnostic pop

        @EXPORT(f)
        @INIT
    ''', cplusplus=True)
    assert mod.f() == 7
