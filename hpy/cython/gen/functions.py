"""def and cdef functions: signatures, argument parsing with Cython's messages, the single
exit that closes every handle, and calls of cdef functions."""
from . import coerce, ctypes
from .cwriter import CWriter, c_string, c_comment
from .dispatch import first_inside, unsupported
from .state import FunctionState, Value


def _py():
    from Cython.Compiler import PyrexTypes
    return PyrexTypes.py_object_type


def _is_literal_default(node):
    return bool(getattr(node, 'is_literal', False)) or type(node).__name__ in (
        'NoneNode', 'BoolNode', 'IntNode', 'FloatNode', 'UnicodeNode', 'StringNode',
        'BytesNode', 'DefaultLiteralArgNode')


def _check_def_supported(node):
    if getattr(node, 'star_arg', None) is not None or \
            getattr(node, 'starstar_arg', None) is not None:
        raise unsupported(node, 'functions with *args or **kwargs are not supported yet')
    if getattr(node, 'is_generator', False) or getattr(node, 'is_generator_body', False):
        where = first_inside(node, ('YieldExprNode', 'YieldFromExprNode')) or node
        raise unsupported(where, 'generators are not supported yet')
    if getattr(node, 'is_async_def', False) or getattr(node, 'is_coroutine', False):
        raise unsupported(node, 'async functions are not supported yet')
    if getattr(node, 'needs_closure', False) or getattr(node, 'needs_outer_scope', False):
        where = first_inside(node, ('DefNode', 'LambdaNode', 'GeneratorExpressionNode',
                                    'PyCFunctionNode')) or node
        raise unsupported(where, 'closures and lambdas are not supported yet')
    if getattr(node, 'decorators', None):
        raise unsupported(node, 'decorators are not supported yet')
    if getattr(node, 'fused_py_func', None) or \
            type(node).__name__ == 'FusedCFuncDefNode':
        raise unsupported(node, 'fused types are not supported yet')
    if len(node.args) - getattr(node, 'num_kwonly_args', 0) > 64 or \
            getattr(node, 'num_kwonly_args', 0) > 32:
        raise unsupported(node, 'functions with that many parameters are not supported')


def defaults_global(module, node, arg):
    key = ('default', id(node), arg.name)
    names = module.__dict__.setdefault('_default_globals', {})
    if key not in names:
        names[key] = module.add_global('d_%s_%s' % (node.name, arg.name),
                                       'default of %s(%s)' % (node.name, arg.name))
    return names[key]


def evaluate_defaults(fn, node):
    """In the module's code, where `def` runs: the default values that are not literals."""
    from .exprs import gen
    for arg in node.args:
        if arg.default is not None and not _is_literal_default(arg.default):
            fn.mark(arg.default)
            value = gen(fn, arg.default)
            if not ctypes.is_object(value.type):
                value2 = coerce.to_object(fn, value, arg.default)
                fn.release(value)
                value = value2
            cname = defaults_global(fn.module, node, arg)
            fn.line('HPyGlobal_Store(ctx, &%s, %s);' % (cname, value.code))
            fn.release(value)


def _arg_entry(node, arg):
    entry = getattr(arg, 'entry', None)
    if entry is None:
        entry = node.local_scope.lookup_here(arg.name)
    return entry


def generate_def(module, node, method_of=None, special=False):
    """A def function: an HPyDef_METH of signature HPyFunc_KEYWORDS (of the module, or of the
    cdef class `method_of`, whose instance is the `self` parameter). A `special` method gets
    no HPyDef: its slot calls the C function, whose name is returned."""
    from .stmts import gen_stat
    _check_def_supported(node)
    name = str(node.name)
    prefix = 'pyf_' if method_of is None else 'pym_%s_' % method_of.name
    impl = module.unique(prefix + name)
    sym = module.unique(('def_' if method_of is None else 'meth_%s_' % method_of.name) + name)
    fn = FunctionState(module, 'def', name, _py(), module_handle='self')
    fn.declare('HPy', 'r_value', 'HPy_NULL')
    args = node.args
    if method_of is not None:
        if not args:
            raise unsupported(node, 'methods without a self parameter are not supported yet')
        self_entry = _arg_entry(node, args[0])
        fn.self_entry = id(self_entry)
        fn.line('%s = HPy_Dup(ctx, self);' % fn.local(self_entry))
        args = args[1:]
    n = len(args)
    nkwonly = getattr(node, 'num_kwonly_args', 0)
    npos = n - nkwonly
    if n:
        fn.declare('HPy', 'a[%d]' % n, None, 'the arguments, borrowed')
        names = 'static const char *const names[] = {%s};' % ', '.join(
            c_string(str(a.name)) for a in args)
        nrequired = 0
        for a in args[:npos]:
            if a.default is None:
                nrequired += 1
            else:
                break
        kwrequired = 0
        for i, a in enumerate(args[npos:]):
            if a.default is None:
                kwrequired |= 1 << i
        module.use('ParseArgs')
        fn.line(names)
        fn.line('if (__hpyx_ParseArgs(ctx, %s, args, nargs, kwnames, names, %d, %d, %d, %dUL, '
                'a) < 0) %s' % (c_string(name), npos, n, nrequired, kwrequired,
                                fn.error_goto()))
    else:
        module.use('NoArgs')
        fn.line('if (__hpyx_NoArgs(ctx, %s, nargs, kwnames) < 0) %s' % (c_string(name),
                                                                         fn.error_goto()))
    for i, arg in enumerate(args):
        _convert_arg(fn, node, arg, 'a[%d]' % i)
    fn.line_marked = None
    gen_stat(fn, node.body)
    fn.line('r_value = HPy_Dup(ctx, ctx->h_None);')
    fn.line(fn.goto('L_return'))
    doc = node.doc
    header = []
    if not special:
        header = ['HPyDef_METH_IMPL(%s, %s, %s, HPyFunc_KEYWORDS%s)' % (
            sym, c_string(name), impl,
            ', .doc = %s' % c_string(str(doc)) if doc is not None else '')]
    proto = 'static HPy %s(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, ' \
            'HPy kwnames)' % impl
    w = _finish(fn, node, header, proto, 'return r_value;',
                error_code=['HPy_Close(ctx, r_value);', 'r_value = HPy_NULL;'],
                unused=['self'] + ([] if n else ['args']))
    module.functions.append(w)
    if special:
        return impl
    if method_of is not None:
        method_of.defines.append(sym)
    else:
        module.defines.append(sym)
        module.def_functions[name] = sym
    return impl


def _convert_arg(fn, node, arg, slot):
    from .exprs import gen
    entry = _arg_entry(node, arg)
    var = fn.local(entry)
    t = entry.type
    default = arg.default
    if default is not None:
        fn.body.open('if (HPy_IsNull(%s))' % slot)
        if _is_literal_default(default):
            value = gen(fn, default)
        else:
            cname = defaults_global(fn.module, node, arg)
            from .exprs import load_constant
            value = load_constant(fn, cname)
            if not ctypes.is_object(t):
                converted = coerce.from_object(fn, value, t, default)
                fn.release(value)
                value = converted
        if ctypes.is_object(t):
            fn.line('%s = %s;' % (var, fn.new_ref(value)))
            fn.consumed(value)
        else:
            if ctypes.is_object(value.type):
                converted = coerce.from_object(fn, value, t, default)
                fn.release(value)
                value = converted
            fn.line('%s = %s;' % (var, value.code))
            fn.release(value)
        fn.body.close('} else {')
        fn.body.level += 1
    if ctypes.is_object(t):
        _type_check_arg(fn, arg, t, slot)
        fn.line('%s = HPy_Dup(ctx, %s);' % (var, slot))
    else:
        value = coerce.from_object(fn, Value(slot, _py()), t, arg)
        fn.line('%s = %s;' % (var, value.code))
        fn.release(value)
    if default is not None:
        fn.body.close()


def _type_check_arg(fn, arg, t, slot):
    """A typed object argument (`list x`, `MyClass x`): Cython's TypeError for another type."""
    from Cython.Compiler import PyrexTypes
    allow_none = not getattr(arg, 'not_none', False)
    if getattr(t, 'is_extension_type', False):
        from .classes import class_of_type
        info = class_of_type(fn.module, t)
        if info is None:
            raise unsupported(arg, "arguments of extension type '%s' are not supported yet" % t)
        fn.module.use('ArgTypeTest')
        fn.line('if (__hpyx_ArgTypeTest(ctx, %s, %s, %d, %s, hpyx_class_types, '
                'hpyx_class_names) < 0) %s' % (slot, info.type_global, int(allow_none),
                                               c_string(str(arg.name)), fn.error_goto()))
        return
    if t is PyrexTypes.py_object_type or not getattr(t, 'is_builtin_type', False):
        if t is not PyrexTypes.py_object_type:
            raise unsupported(arg, "arguments of extension type '%s' are not supported yet" % t)
        return
    from .exprs import load_constant
    typ = load_constant(fn, fn.module.builtin(t.name))
    cond = '!HPy_TypeCheck(ctx, %s, %s)' % (slot, typ.code)
    if allow_none:
        cond = '!HPy_Is(ctx, %s, ctx->h_None) && %s' % (slot, cond)
    fn.body.open('if (%s)' % cond)
    fn.line('HPy tp = HPy_Type(ctx, %s);' % slot)
    fn.line('HPyErr_Format(ctx, ctx->h_TypeError, "Argument \'%%s\' has incorrect type '
            '(expected %%s, got %%s)", %s, %s, HPyType_GetName(ctx, tp));' % (
                c_string(str(arg.name)), c_string(t.name)))
    fn.line('HPy_Close(ctx, tp);')
    fn.line(fn.error_goto())
    fn.body.close()
    fn.release(typ)


def _finish(fn, node, header_lines, proto, return_line, error_code, unused=()):
    """The complete C function: comment, prototype, declarations, body, error and exit."""
    module = fn.module
    w = CWriter()
    pos = getattr(node, 'pos', None)
    if pos:
        w.line('/* %s:%d: %s */' % (module.pyx_name, pos[1], c_comment(module.source_line(pos))))
    for h in header_lines:
        w.line(h)
    w.open(proto)
    w.extend(fn.declarations())
    for name in ['ctx'] + [u for u in unused if u != 'ctx']:
        w.line('(void)%s;' % name)
    w.extend(fn.body)
    if fn.uses_error:
        w.label('L_error')
        for line in error_code:
            w.line(line)
    if 'L_return' in fn.used_labels:
        w.label('L_return')
    for name in fn.object_vars:
        if name != 'r_value':
            w.line('HPy_Close(ctx, %s);' % name)
    w.line(return_line)
    w.close()
    return w


def cfunc_name(module, entry):
    key = id(entry)
    if key not in module.cfunc_names:
        module.cfunc_names[key] = module.unique('f_' + entry.name)
    return module.cfunc_names[key]


def _cfunc_signature(module, node, name):
    t = node.type
    params = ['HPyContext *ctx']
    for arg in t.args:
        if ctypes.is_object(arg.type):
            params.append('HPy a_%s' % arg.name)
        else:
            try:
                params.append('HPYX_UNUSED ' + ctypes.spell(ctypes.strip_const(arg.type),
                                                            'v_%s' % arg.name))
            except ctypes.UnsupportedType:
                raise unsupported(node, "C arguments of type '%s' are not supported yet"
                                  % arg.type)
            if ctypes.is_complex(arg.type):
                module.use('complex')
    try:
        ret = ctypes.spell(ctypes.strip_const(t.return_type))
    except ctypes.UnsupportedType:
        raise unsupported(node, "C functions returning '%s' are not supported yet"
                          % t.return_type)
    if ctypes.is_complex(t.return_type):
        module.use('complex')
    return 'static %s %s(%s)' % (ret, name, ', '.join(params))


def declare_cdef(module, node):
    """The prototype of a cdef function (so calls may precede the definition)."""
    if getattr(node, 'py_func', None) is not None:
        raise unsupported(node, 'cpdef functions are not supported yet')
    if node.type.has_varargs:
        raise unsupported(node, 'C functions with varargs are not supported yet')
    if node.type.exception_check == '+':
        raise unsupported(node, "C++ exception declarations ('except +') are not supported")
    name = cfunc_name(module, node.entry)
    defaults = [arg.default for arg in node.args if arg.default is not None]
    for default in defaults:
        if not _is_literal_default(default):
            raise unsupported(default, 'default values of cdef function arguments must be '
                                       'literals for now')
    module.cfunc_defaults[id(node.entry)] = defaults
    module.prototypes.append(_cfunc_signature(module, node, name) + ';')


def generate_cdef(module, node):
    from .stmts import gen_stat
    name = cfunc_name(module, node.entry)
    t = node.type
    ret = t.return_type
    fn = FunctionState(module, 'cdef', str(node.entry.name), ret)
    if ctypes.is_object(ret):
        fn.declare('HPy', 'r_value', 'HPy_NULL')
    elif not ctypes.is_void(ret):
        init = '{0, 0}' if ctypes.is_complex(ret) else '0'
        fn.decls.append((None, ctypes.spell(ctypes.strip_const(ret), 'r_value') + ' = ' + init,
                         None, None))
    for arg in t.args:
        entry = node.local_scope.lookup_here(arg.name)
        if ctypes.is_object(arg.type):
            var = fn.local(entry)
            fn.line('%s = HPy_Dup(ctx, a_%s);' % (var, arg.name))
        else:
            fn.locals[id(entry)] = 'v_%s' % arg.name
    fn.line_marked = None
    gen_stat(fn, node.body)
    if ctypes.is_object(ret):
        fn.line('r_value = HPy_Dup(ctx, ctx->h_None);')
    fn.line(fn.goto('L_return'))
    error_code = []
    ev = t.exception_value
    if ctypes.is_object(ret):
        error_code = ['HPy_Close(ctx, r_value);', 'r_value = HPy_NULL;']
    else:
        if ev is None and not t.exception_check:
            # noexcept: the error cannot propagate (Cython prints it as unraisable)
            error_code.append('HPyErr_WriteUnraisable(ctx, HPy_NULL);')
        if ev is not None and not ctypes.is_void(ret):
            error_code.append('r_value = %s;' % _exc_value_code(ev, ret))
    ret_line = 'return;' if ctypes.is_void(ret) else 'return r_value;'
    w = _finish(fn, node, [], _cfunc_signature(module, node, name), ret_line, error_code,
                unused=['ctx'])
    module.functions.append(w)


def _call_cmethod(fn, node, ftype, entry):
    """obj.method(...) of a cdef method: a direct call of its C function (no subclass in the
    module overrides it), after a None check of obj."""
    from .exprs import gen
    from . import classes
    obj_node = getattr(node, 'self', None)
    if obj_node is None:
        raise unsupported(node, 'calls of this kind of cdef method are not supported yet')
    obj = gen(fn, obj_node)
    fn.bindings[id(obj_node)] = obj
    classes.none_check(fn, obj, str(entry.name), obj_node)
    return _call_c(fn, node, ftype, entry, fn.module.cfunc_names[id(entry)], obj)


def _exc_value_code(ev, t):
    text = str(ev)
    try:
        return '(%s)(%s)' % (ctypes.spell(t), text)
    except ctypes.UnsupportedType:
        return text


def call_cfunction(fn, node, ftype):
    """A call of a C function: a cdef function of the module, a builtin Cython implements in
    C, or an external C function."""
    from .exprs import gen, _c_temp
    function = node.function
    entry = getattr(function, 'entry', None)
    if type(function).__name__ == 'AttributeNode' and entry is not None and \
            getattr(entry.scope, 'is_c_class_scope', False) and \
            id(entry) in fn.module.cfunc_names:
        return _call_cmethod(fn, node, ftype, entry)
    if entry is None or type(function).__name__ != 'NameNode':
        raise unsupported(node, 'calls of this kind of C function are not supported yet')
    if getattr(entry, 'is_builtin', False) or getattr(entry.scope, 'is_builtin_scope', False):
        from . import builtins
        return builtins.call_c_builtin(fn, node, ftype)
    if ftype.exception_check == '+':
        raise unsupported(node, "C++ functions are not supported")
    external = entry.visibility == 'extern'
    if not external and id(entry) not in fn.module.cfunc_names:
        raise unsupported(node, "the C function '%s' is not defined in this module"
                          % entry.name)
    return _call_c(fn, node, ftype, entry, None if external else
                   fn.module.cfunc_names[id(entry)], None)


def _call_c(fn, node, ftype, entry, cname, receiver):
    from .exprs import gen, _c_temp
    if cname is None and any(ctypes.is_complex(t) for t in
                             [ftype.return_type] + [a.type for a in ftype.args]):
        # our complex values are a struct of two doubles, not C99's `double complex`
        raise unsupported(node, "C functions taking or returning complex numbers ('%s') are "
                                "not supported yet" % entry.name)
    args = [gen(fn, a) for a in node.args]
    missing = len(ftype.args) - len(args)
    if missing > 0 and cname is not None:
        # omitted optional arguments: their (literal) defaults, in the caller
        defaults = fn.module.cfunc_defaults.get(id(entry), [])
        if missing > len(defaults):
            raise unsupported(node, 'this call of a cdef function with optional arguments is '
                                    'not supported yet')
        for default, formal in zip(defaults[len(defaults) - missing:], ftype.args[len(args):]):
            value = gen(fn, default)
            if not ctypes.is_object(formal.type) and ctypes.is_object(value.type):
                raise unsupported(default, 'this default value of a cdef function argument is '
                                           'not supported yet')
            args.append(value)
    external = cname is None
    if external:
        from .exprs import extern_name
        call = '%s(%s)' % (extern_name(fn, entry, node), ', '.join(a.code for a in args))
    else:
        call = '%s(%s)' % (cname, ', '.join(['ctx'] + [a.code for a in args]))
    ret = ftype.return_type
    if ctypes.is_void(ret):
        fn.line('%s;' % call)
        result = Value('0', ret)
        code = None
    elif ctypes.is_object(ret):
        from .exprs import _new_object
        result = _new_object(fn, call, node)
        code = None
    else:
        result = _c_temp(fn, ret, call, node)
        code = result.code
    ev, check = ftype.exception_value, ftype.exception_check
    if code is not None and ev is not None:
        test = '%s == %s' % (code, _exc_value_code(ev, ret))
        if check:
            test += ' && HPyErr_Occurred(ctx)'
        fn.line('if (%s) %s' % (test, fn.error_goto()))
    elif not ctypes.is_object(ret) and check and not external:
        fn.line('if (HPyErr_Occurred(ctx)) %s' % fn.error_goto())
    elif external and check:
        fn.line('if (HPyErr_Occurred(ctx)) %s' % fn.error_goto())
    for a in reversed(args):
        fn.release(a)
    if receiver is not None:
        fn.release(receiver)
    return result
