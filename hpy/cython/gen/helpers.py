"""C helper functions the generated module may need. Each is emitted once, only when used
(so -Wunused-function never fires), after the helpers it depends on.

Every helper is `static`, named `__hpyx_...`, and follows the HPy rules: borrowed arguments, new
handles returned, HPy_NULL / -1 with an exception set on error."""

HELPERS = {}


def helper(name, code, deps=()):
    HELPERS[name] = (tuple(deps), code.strip('\n') + '\n')


helper('module_dict', r'''
/* The module's __dict__, stored by HPy_mod_exec before the module's code runs. */
static HPyGlobal __hpyx_module_dict;
''')

helper('GetGlobal', r'''
/* The value of a module-level name: the module's dict first, then builtins (NameError when
   neither has it). One lookup when the module has the name, the usual case. */
static HPy __hpyx_GetGlobal(HPyContext *ctx, HPyGlobal name_global)
{
    HPy name = HPyGlobal_Load(ctx, name_global);
    HPy dict = HPyGlobal_Load(ctx, __hpyx_module_dict);
    HPy result = HPy_GetItem(ctx, dict, name);
    HPy_Close(ctx, dict);
    if (HPy_IsNull(result) && HPyErr_ExceptionMatches(ctx, ctx->h_KeyError)) {
        int found;
        HPyErr_Clear(ctx);
        found = HPy_Contains(ctx, ctx->h_Builtins, name);
        if (found > 0)
            result = HPy_GetItem(ctx, ctx->h_Builtins, name);
        else if (found == 0)
            HPyErr_Format(ctx, ctx->h_NameError, "name '%U' is not defined", name);
    }
    HPy_Close(ctx, name);
    return result;
}
''', deps=['module_dict'])

helper('SetGlobal', r'''
/* Binds a module-level name. */
static int __hpyx_SetGlobal(HPyContext *ctx, HPyGlobal name_global, HPy value)
{
    HPy name = HPyGlobal_Load(ctx, name_global);
    HPy dict = HPyGlobal_Load(ctx, __hpyx_module_dict);
    int result = HPy_SetItem(ctx, dict, name, value);
    HPy_Close(ctx, dict);
    HPy_Close(ctx, name);
    return result;
}
''', deps=['module_dict'])

helper('GetBuiltin', r'''
/* A builtin looked up once, when the module is executed (NameError if it does not exist). */
static int __hpyx_GetBuiltin(HPyContext *ctx, HPyGlobal *target, const char *name)
{
    HPy value = HPy_GetItem_s(ctx, ctx->h_Builtins, name);
    if (HPy_IsNull(value)) {
        if (HPyErr_ExceptionMatches(ctx, ctx->h_KeyError)) {
            HPyErr_Clear(ctx);
            HPyErr_Format(ctx, ctx->h_NameError, "name '%s' is not defined", name);
        }
        return -1;
    }
    HPyGlobal_Store(ctx, target, value);
    HPy_Close(ctx, value);
    return 0;
}
''')

helper('RaiseArgCount', r'''
/* Cython's TypeError for a wrong number of positional arguments. */
static void __hpyx_RaiseArgCount(HPyContext *ctx, const char *func, int exact,
                                 HPy_ssize_t least, HPy_ssize_t most, HPy_ssize_t given)
{
    HPy_ssize_t expected = given < least ? least : most;
    const char *how = exact ? "exactly" : (given < least ? "at least" : "at most");
    HPyErr_Format(ctx, ctx->h_TypeError,
                  "%s() takes %s %zd positional argument%s (%zd given)",
                  func, how, expected, expected == 1 ? "" : "s", given);
}
''')

helper('ParseArgs', r'''
/* Matches the positional and keyword arguments of a call to the parameters `names` (`npos`
   positional-or-keyword ones, then keyword-only ones up to `nall`). out[i] receives a borrowed
   handle, or HPy_NULL for a parameter not given. `nrequired` positional and `kwrequired`
   (a bit per keyword-only parameter) must be given. Errors are Cython's. */
static int __hpyx_ParseArgs(HPyContext *ctx, const char *func, const HPy *args, size_t nargs,
                            HPy kwnames, const char *const *names, HPy_ssize_t npos,
                            HPy_ssize_t nall, HPy_ssize_t nrequired, unsigned long kwrequired,
                            HPy *out)
{
    HPy_ssize_t i, j, nkw = 0;
    int exact = nrequired == npos;
    for (i = 0; i < nall; i++)
        out[i] = HPy_NULL;
    if ((HPy_ssize_t)nargs > npos) {
        __hpyx_RaiseArgCount(ctx, func, exact, nrequired, npos, (HPy_ssize_t)nargs);
        return -1;
    }
    for (i = 0; i < (HPy_ssize_t)nargs; i++)
        out[i] = args[i];
    if (!HPy_IsNull(kwnames)) {
        nkw = HPy_Length(ctx, kwnames);
        if (nkw < 0)
            return -1;
    }
    for (j = 0; j < nkw; j++) {
        HPy key = HPy_GetItem_i(ctx, kwnames, j);
        HPy_ssize_t size;
        const char *utf8;
        if (HPy_IsNull(key))
            return -1;
        utf8 = HPyUnicode_AsUTF8AndSize(ctx, key, &size);
        if (utf8 == NULL) {
            HPy_Close(ctx, key);
            return -1;
        }
        for (i = 0; i < nall; i++)
            if (strcmp(names[i], utf8) == 0)
                break;
        if (i == nall) {
            HPyErr_Format(ctx, ctx->h_TypeError, "%s() got an unexpected keyword argument '%U'",
                          func, key);
            HPy_Close(ctx, key);
            return -1;
        }
        if (!HPy_IsNull(out[i])) {
            HPyErr_Format(ctx, ctx->h_TypeError,
                          "%s() got multiple values for keyword argument '%U'", func, key);
            HPy_Close(ctx, key);
            return -1;
        }
        HPy_Close(ctx, key);
        out[i] = args[nargs + j];
    }
    for (i = 0; i < nrequired; i++) {
        if (HPy_IsNull(out[i])) {
            __hpyx_RaiseArgCount(ctx, func, exact, nrequired, npos, i);
            return -1;
        }
    }
    for (i = npos; i < nall; i++) {
        if (HPy_IsNull(out[i]) && (kwrequired & (1UL << (i - npos)))) {
            HPyErr_Format(ctx, ctx->h_TypeError, "%s() needs keyword-only argument %s",
                          func, names[i]);
            return -1;
        }
    }
    return 0;
}
''', deps=['RaiseArgCount'])

helper('NoArgs', r'''
/* A function without parameters called with arguments: Cython's TypeError. */
static int __hpyx_NoArgs(HPyContext *ctx, const char *func, size_t nargs, HPy kwnames)
{
    if (nargs != 0) {
        HPyErr_Format(ctx, ctx->h_TypeError, "%s() takes no arguments (%zd given)", func,
                      (HPy_ssize_t)nargs);
        return -1;
    }
    if (!HPy_IsNull(kwnames) && HPy_Length(ctx, kwnames) != 0) {
        HPyErr_Format(ctx, ctx->h_TypeError, "%s() takes no keyword arguments", func);
        return -1;
    }
    return 0;
}
''')

helper('IntArg', r'''
/* An exact int for a C-integer conversion, as Cython does it: ints as they are, other objects
   through their __int__ (TypeError "an integer is required" without one). New handle. */
static HPy __hpyx_IntArg(HPyContext *ctx, HPy obj)
{
    HPy type;
    int has_int;
    if (HPy_TypeCheck(ctx, obj, ctx->h_LongType))
        return HPy_Dup(ctx, obj);
    type = HPy_Type(ctx, obj);
    if (HPy_IsNull(type))
        return HPy_NULL;
    has_int = HPy_HasAttr_s(ctx, type, "__int__");
    HPy_Close(ctx, type);
    if (!has_int)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "an integer is required");
    return HPy_Long(ctx, obj);
}
''')

helper('AsSigned', r'''
/* A signed C integer from an object, within [lo, hi]: Cython's conversion and messages.
   Returns 0, or -1 with an exception set. */
static int __hpyx_AsSigned(HPyContext *ctx, HPy obj, int64_t lo, int64_t hi,
                           const char *type_name, int64_t *result)
{
    HPy n = __hpyx_IntArg(ctx, obj);
    int64_t value;
    if (HPy_IsNull(n))
        return -1;
    value = HPyLong_AsInt64_t(ctx, n);
    HPy_Close(ctx, n);
    if (value == -1 && HPyErr_Occurred(ctx)) {
        if (HPyErr_ExceptionMatches(ctx, ctx->h_OverflowError)) {
            HPyErr_Clear(ctx);
            HPyErr_SetString(ctx, ctx->h_OverflowError,
                             "Python int too large to convert to C long");
        }
        return -1;
    }
    if (value < lo || value > hi) {
        HPyErr_Format(ctx, ctx->h_OverflowError, "value too large to convert to %s", type_name);
        return -1;
    }
    *result = value;
    return 0;
}
''', deps=['IntArg'])

helper('AsUnsigned', r'''
/* An unsigned C integer from an object, at most `hi`: Cython's conversion and messages.
   Returns 0, or -1 with an exception set. */
static int __hpyx_AsUnsigned(HPyContext *ctx, HPy obj, uint64_t hi, const char *type_name,
                             uint64_t *result)
{
    HPy n = __hpyx_IntArg(ctx, obj);
    HPy zero;
    uint64_t value;
    int negative;
    if (HPy_IsNull(n))
        return -1;
    zero = HPyLong_FromInt32_t(ctx, 0);
    if (HPy_IsNull(zero)) {
        HPy_Close(ctx, n);
        return -1;
    }
    negative = HPy_RichCompareBool(ctx, n, zero, HPy_LT);
    HPy_Close(ctx, zero);
    if (negative) {
        HPy_Close(ctx, n);
        if (negative > 0)
            HPyErr_Format(ctx, ctx->h_OverflowError, "can't convert negative value to %s",
                          type_name);
        return -1;
    }
    value = HPyLong_AsUInt64_t(ctx, n);
    HPy_Close(ctx, n);
    if (value == (uint64_t)-1 && HPyErr_Occurred(ctx)) {
        if (HPyErr_ExceptionMatches(ctx, ctx->h_OverflowError)) {
            HPyErr_Clear(ctx);
            HPyErr_SetString(ctx, ctx->h_OverflowError,
                             "Python int too large to convert to C unsigned long");
        }
        return -1;
    }
    if (value > hi) {
        HPyErr_Format(ctx, ctx->h_OverflowError, "value too large to convert to %s", type_name);
        return -1;
    }
    *result = value;
    return 0;
}
''', deps=['IntArg'])

helper('AsSsize', r'''
/* A Py_ssize_t from an object through __index__ (as Cython does). */
static HPy_ssize_t __hpyx_AsSsize(HPyContext *ctx, HPy obj)
{
    HPy n = HPy_Index(ctx, obj);
    HPy_ssize_t value;
    if (HPy_IsNull(n))
        return -1;
    value = HPyLong_AsSsize_t(ctx, n);
    HPy_Close(ctx, n);
    return value;
}
''')

helper('complex', r'''
/* Cython's C complex numbers. */
typedef struct { double real, imag; } __hpyx_complex;
''')

helper('AsComplex', r'''
/* A C complex from an object: its complex() value. Returns 0, or -1 with an exception set. */
static int __hpyx_AsComplex(HPyContext *ctx, HPy obj, __hpyx_complex *result)
{
    HPy c, part;
    if (HPyUnicode_Check(ctx, obj) || HPyBytes_Check(ctx, obj)) {
        HPyErr_Format(ctx, ctx->h_TypeError, "complex() argument must be a number, not '%s'",
                      HPyUnicode_Check(ctx, obj) ? "str" : "bytes");
        return -1;
    }
    c = HPy_Call(ctx, ctx->h_ComplexType, &obj, 1, HPy_NULL);
    if (HPy_IsNull(c))
        return -1;
    part = HPy_GetAttr_s(ctx, c, "real");
    if (HPy_IsNull(part))
        goto error;
    result->real = HPyFloat_AsDouble(ctx, part);
    HPy_Close(ctx, part);
    part = HPy_GetAttr_s(ctx, c, "imag");
    if (HPy_IsNull(part))
        goto error;
    result->imag = HPyFloat_AsDouble(ctx, part);
    HPy_Close(ctx, part);
    HPy_Close(ctx, c);
    return HPyErr_Occurred(ctx) ? -1 : 0;
  error:
    HPy_Close(ctx, c);
    return -1;
}
''', deps=['complex'])

helper('FromComplex', r'''
/* A complex object from a C complex. */
static HPy __hpyx_FromComplex(HPyContext *ctx, __hpyx_complex value)
{
    HPy parts[2], result;
    parts[0] = HPyFloat_FromDouble(ctx, value.real);
    if (HPy_IsNull(parts[0]))
        return HPy_NULL;
    parts[1] = HPyFloat_FromDouble(ctx, value.imag);
    if (HPy_IsNull(parts[1])) {
        HPy_Close(ctx, parts[0]);
        return HPy_NULL;
    }
    result = HPy_Call(ctx, ctx->h_ComplexType, parts, 2, HPy_NULL);
    HPy_Close(ctx, parts[0]);
    HPy_Close(ctx, parts[1]);
    return result;
}
''', deps=['complex'])

helper('IntFromString', r'''
/* An int too large for a C literal, from its decimal digits. */
static HPy __hpyx_IntFromString(HPyContext *ctx, const char *digits)
{
    HPy text = HPyUnicode_FromString(ctx, digits), result;
    if (HPy_IsNull(text))
        return HPy_NULL;
    result = HPy_Call(ctx, ctx->h_LongType, &text, 1, HPy_NULL);
    HPy_Close(ctx, text);
    return result;
}
''')

helper('UnicodeFromUTF8', r'''
/* A str constant holding NUL characters or lone surrogates, from its UTF-8 bytes (surrogates
   encoded as if they were characters). */
static HPy __hpyx_UnicodeFromUTF8(HPyContext *ctx, const char *data, HPy_ssize_t size)
{
    HPy bytes = HPyBytes_FromStringAndSize(ctx, data, size), result;
    if (HPy_IsNull(bytes))
        return HPy_NULL;
    result = HPyUnicode_FromEncodedObject(ctx, bytes, "utf-8", "surrogatepass");
    HPy_Close(ctx, bytes);
    return result;
}
''')

helper('Raise', r'''
/* The raise statement: `exc` is an exception class or instance, `value` an optional argument
   (a tuple is unpacked into the arguments of the class). Always returns -1. */
static int __hpyx_Raise(HPyContext *ctx, HPy exc, HPy value)
{
    HPy instance;
    int is_type = HPy_TypeCheck(ctx, exc, ctx->h_TypeType);
    if (is_type && HPyType_IsSubtype(ctx, exc, ctx->h_BaseException)) {
        if (HPy_IsNull(value)) {
            instance = HPy_Call(ctx, exc, NULL, 0, HPy_NULL);
        } else if (HPyTuple_Check(ctx, value)) {
            instance = HPy_CallTupleDict(ctx, exc, value, HPy_NULL);
        } else {
            instance = HPy_Call(ctx, exc, &value, 1, HPy_NULL);
        }
        if (HPy_IsNull(instance))
            return -1;
        if (!HPy_TypeCheck(ctx, instance, ctx->h_BaseException)) {
            HPyErr_Format(ctx, ctx->h_TypeError,
                          "calling %R should have returned an instance of BaseException, "
                          "not %R", exc, instance);
        } else {
            HPy type = HPy_Type(ctx, instance);
            HPyErr_SetObject(ctx, type, instance);
            HPy_Close(ctx, type);
        }
        HPy_Close(ctx, instance);
        return -1;
    }
    if (!is_type && HPy_TypeCheck(ctx, exc, ctx->h_BaseException)) {
        HPy type;
        if (!HPy_IsNull(value)) {
            HPyErr_SetString(ctx, ctx->h_TypeError,
                             "instance exception may not have a separate value");
            return -1;
        }
        type = HPy_Type(ctx, exc);
        HPyErr_SetObject(ctx, type, exc);
        HPy_Close(ctx, type);
        return -1;
    }
    HPyErr_SetString(ctx, ctx->h_TypeError,
                     "raise: exception class must be a subclass of BaseException");
    return -1;
}
''')

helper('UnboundLocal', r'''
/* Reading a local variable that has no value. */
static void __hpyx_UnboundLocal(HPyContext *ctx, const char *name)
{
    HPyErr_Format(ctx, ctx->h_UnboundLocalError, "local variable '%s' referenced before assignment",
                  name);
}
''')

helper('AbsOverflow', r'''
/* abs() of the most negative value of a C integer type, with overflowcheck. */
static void __hpyx_AbsOverflow(HPyContext *ctx)
{
    HPyErr_SetString(ctx, ctx->h_OverflowError,
                     "Trying to take the absolute value of the most negative integer is not "
                     "defined.");
}
''')

helper('ArithOverflow', r'''
/* C integer arithmetic that overflowed, with overflowcheck. */
static void __hpyx_ArithOverflow(HPyContext *ctx)
{
    HPyErr_SetString(ctx, ctx->h_OverflowError, "value too large");
}
''')

helper('ZeroDivision', r'''
/* C division or modulo by zero. */
static void __hpyx_ZeroDivision(HPyContext *ctx, const char *what)
{
    HPyErr_SetString(ctx, ctx->h_ZeroDivisionError, what);
}
''')


helper('FullTypeName', r"""
/* The name Cython's messages give a type (CPython's tp_name): "module.Name" for a cdef class
   of this module (`own` and `own_names`: their HPyGlobals and names) and for static types
   outside builtins, __name__ for other heap types (classes of Python code). A new str. */
static HPy __hpyx_FullTypeName(HPyContext *ctx, HPy type, HPyGlobal *const *own,
                               const char *const *own_names)
{
    HPy flags, module, qualname, result;
    long bits;
    int i;
    for (i = 0; own != NULL && own[i] != NULL; i++) {
        HPy t = HPyGlobal_Load(ctx, *own[i]);
        int same = HPy_Is(ctx, t, type);
        HPy_Close(ctx, t);
        if (same)
            return HPyUnicode_FromString(ctx, own_names[i]);
    }
    flags = HPy_GetAttr_s(ctx, type, "__flags__");
    if (HPy_IsNull(flags))
        return HPy_NULL;
    bits = HPyLong_AsLong(ctx, flags);
    HPy_Close(ctx, flags);
    if (bits == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    if (bits & (1L << 9))
        return HPy_GetAttr_s(ctx, type, "__name__");
    module = HPy_GetAttr_s(ctx, type, "__module__");
    if (HPy_IsNull(module))
        return HPy_NULL;
    qualname = HPy_GetAttr_s(ctx, type, "__qualname__");
    if (HPy_IsNull(qualname)) {
        HPy_Close(ctx, module);
        return HPy_NULL;
    }
    if (HPyUnicode_Check(ctx, module) &&
            strcmp(HPyUnicode_AsUTF8AndSize(ctx, module, NULL), "builtins") != 0)
        result = HPyUnicode_FromFormat(ctx, "%U.%U", module, qualname);
    else
        result = HPy_Dup(ctx, qualname);
    HPy_Close(ctx, module);
    HPy_Close(ctx, qualname);
    return result;
}
""")

helper('TypeTest', r"""
/* Assigning `obj` to a variable of cdef class `type` (None is allowed): Cython's TypeError
   "Cannot convert X to Y" otherwise. Returns 0, or -1 with the error set. */
static int __hpyx_TypeTest(HPyContext *ctx, HPy obj, HPyGlobal type_global,
                           HPyGlobal *const *own, const char *const *own_names)
{
    HPy type, obj_type, name, expected;
    int ok;
    if (HPy_Is(ctx, obj, ctx->h_None))
        return 0;
    type = HPyGlobal_Load(ctx, type_global);
    ok = HPy_TypeCheck(ctx, obj, type);
    if (ok) {
        HPy_Close(ctx, type);
        return 0;
    }
    obj_type = HPy_Type(ctx, obj);
    name = __hpyx_FullTypeName(ctx, obj_type, own, own_names);
    expected = HPy_IsNull(name) ? HPy_NULL : __hpyx_FullTypeName(ctx, type, own, own_names);
    if (!HPy_IsNull(expected))
        HPyErr_Format(ctx, ctx->h_TypeError, "Cannot convert %U to %U", name, expected);
    HPy_Close(ctx, expected);
    HPy_Close(ctx, name);
    HPy_Close(ctx, obj_type);
    HPy_Close(ctx, type);
    return -1;
}
""", deps=['FullTypeName'])

helper('ArgTypeTest', r"""
/* An argument declared with a cdef class type (`allow_none` unless `not None`): Cython's
   TypeError "Argument 'x' has incorrect type (expected Y, got Z)" otherwise. */
static int __hpyx_ArgTypeTest(HPyContext *ctx, HPy obj, HPyGlobal type_global, int allow_none,
                              const char *arg, HPyGlobal *const *own,
                              const char *const *own_names)
{
    HPy type, obj_type, name, expected;
    if (allow_none && HPy_Is(ctx, obj, ctx->h_None))
        return 0;
    type = HPyGlobal_Load(ctx, type_global);
    if (HPy_TypeCheck(ctx, obj, type)) {
        HPy_Close(ctx, type);
        return 0;
    }
    obj_type = HPy_Type(ctx, obj);
    name = __hpyx_FullTypeName(ctx, obj_type, own, own_names);
    expected = HPy_IsNull(name) ? HPy_NULL : __hpyx_FullTypeName(ctx, type, own, own_names);
    if (!HPy_IsNull(expected))
        HPyErr_Format(ctx, ctx->h_TypeError,
                      "Argument '%s' has incorrect type (expected %U, got %U)", arg, expected,
                      name);
    HPy_Close(ctx, expected);
    HPy_Close(ctx, name);
    HPy_Close(ctx, obj_type);
    HPy_Close(ctx, type);
    return -1;
}
""", deps=['FullTypeName'])

helper('NoneAttribute', r"""
/* An attribute of a cdef class reached through a variable holding None. */
static void __hpyx_NoneAttribute(HPyContext *ctx, const char *name)
{
    HPyErr_Format(ctx, ctx->h_AttributeError, "'NoneType' object has no attribute '%s'", name);
}
""")

helper('CallInit', r"""
/* tp_init: calls the def function `impl` of __init__ with the arguments of the constructor
   (a dict of keywords becomes the keyword-name tuple of a vectorcall). 0, or -1 on error. */
typedef HPy (*__hpyx_method)(HPyContext *, HPy, const HPy *, size_t, HPy);
static int __hpyx_CallInit(HPyContext *ctx, __hpyx_method impl, HPy self, const HPy *args,
                           HPy_ssize_t nargs, HPy kw)
{
    HPy result, keys = HPy_NULL, kwnames = HPy_NULL;
    HPy *all = NULL;
    HPy_ssize_t nkw = 0, i;
    if (!HPy_IsNull(kw)) {
        nkw = HPy_Length(ctx, kw);
        if (nkw < 0)
            return -1;
    }
    if (nkw == 0) {
        result = impl(ctx, self, args, (size_t)nargs, HPy_NULL);
    } else {
        all = (HPy *)calloc((size_t)(nargs + 2 * nkw), sizeof(HPy));
        if (all == NULL) {
            HPyErr_NoMemory(ctx);
            return -1;
        }
        keys = HPyDict_Keys(ctx, kw);
        if (HPy_IsNull(keys))
            goto error;
        for (i = 0; i < nargs; i++)
            all[i] = args[i];
        for (i = 0; i < nkw; i++) {
            all[nargs + nkw + i] = HPy_GetItem_i(ctx, keys, i);
            if (HPy_IsNull(all[nargs + nkw + i]))
                goto error;
            all[nargs + i] = HPy_GetItem(ctx, kw, all[nargs + nkw + i]);
            if (HPy_IsNull(all[nargs + i]))
                goto error;
        }
        kwnames = HPyTuple_FromArray(ctx, all + nargs + nkw, nkw);
        if (HPy_IsNull(kwnames))
            goto error;
        result = impl(ctx, self, all, (size_t)nargs, kwnames);
        goto done;
      error:
        result = HPy_NULL;
      done:
        for (i = 0; i < 2 * nkw; i++)
            HPy_Close(ctx, all[nargs + i]);
        HPy_Close(ctx, kwnames);
        HPy_Close(ctx, keys);
        free(all);
    }
    if (HPy_IsNull(result))
        return -1;
    HPy_Close(ctx, result);
    return 0;
}
""")


def emit(names):
    """C text of the helpers `names` and of those they need, each once, dependencies first."""
    done = []

    def visit(name):
        if name in done:
            return
        for dep in HELPERS[name][0]:
            visit(dep)
        done.append(name)
    for name in names:
        visit(name)
    return '\n'.join(HELPERS[name][1] for name in done)
