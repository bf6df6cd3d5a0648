"""Statements."""
from . import coerce, ctypes
from .cwriter import c_string
from .dispatch import STATEMENTS, statement, unsupported
from .exprs import gen, gen_object, is_module_level, load_constant, _new_object
from .state import Value


def gen_stat(fn, node):
    handler = STATEMENTS.get(type(node).__name__)
    if handler is None:
        raise unsupported(node)
    handler(fn, node)


@statement('StatListNode')
def stat_list(fn, node):
    for stat in node.stats:
        gen_stat(fn, stat)


@statement('CompilerDirectivesNode')
def directives(fn, node):
    gen_stat(fn, node.body)


@statement('PassStatNode', 'CImportStatNode', 'FromCImportStatNode', 'CDefExternNode',
           'CVarDefNode', 'GlobalNode', 'CTypeDefNode', 'CStructOrUnionDefNode',
           'CEnumDefNode_declared_only')
def no_code(fn, node):
    """Declarations: Cython has already used them, nothing runs."""


@statement('CriticalSectionStatNode')
def critical_section(fn, node):
    """Cython's lock for free-threaded builds around attribute access: the body alone (HPy
    objects are reached through the API, which does its own locking)."""
    gen_stat(fn, node.body)


@statement('ExprStatNode')
def expr_stat(fn, node):
    fn.mark(node)
    value = gen(fn, node.expr)
    fn.release(value)


@statement('LetNode')
def let_stat(fn, node):
    """A value Cython evaluates once and refers to in the body (e.g. the bound of a C-typed
    `for ... in range(n)` loop)."""
    from .exprs import bind_temp
    temp = bind_temp(fn, node.lazy_temp, node.temp_expression, node)
    gen_stat(fn, node.body)
    fn.release(temp)


# -- assignment --------------------------------------------------------------------------

def assign(fn, target, value, node):
    """target = value; consumes value."""
    kind = type(target).__name__
    if kind == 'NameNode':
        entry = target.entry
        if is_module_level(entry):
            fn.module.use('SetGlobal')
            name = fn.module.str_constant(entry.name)
            fn.line('if (__hpyx_SetGlobal(ctx, %s, %s) < 0) %s' % (name, value.code,
                                                                     fn.error_goto()))
            fn.release(value)
            return
        if getattr(entry, 'is_cglobal', False) and entry.visibility != 'extern':
            if ctypes.is_object(entry.type):
                cname = fn.module.object_cglobal(entry)
                fn.line('HPyGlobal_Store(ctx, &%s, %s);' % (cname, value.code))
                fn.release(value)
            else:
                fn.line('%s = %s;' % (fn.module.c_global(entry), value.code))
                fn.release(value)
            return
        if getattr(entry, 'in_closure', False) or getattr(entry, 'from_closure', False):
            raise unsupported(node, 'closures and lambdas are not supported yet')
        if not (entry.is_variable or getattr(entry, 'is_arg', False)):
            raise unsupported(target, "assigning to '%s' is not supported yet" % entry.name)
        var = fn.local(entry)
        if ctypes.is_object(entry.type):
            owned = fn.owned_object(value)
            fn.line('HPy_Close(ctx, %s);' % var)
            fn.line('%s = %s;' % (var, owned.code))
            fn.consumed(owned)
        else:
            fn.line('%s = %s;' % (var, value.code))
            fn.release(value)
        return
    if kind == 'AttributeNode':
        from . import classes
        info, path = classes.field_for(fn.module, target)
        if info is not None and not getattr(target, 'is_py_attr', False):
            obj = gen_object(fn, target.obj)
            classes.none_check(fn, obj, str(target.attribute), target.obj)
            ref = classes.struct_ref(fn, info, path, obj.code)
            if ctypes.is_object(target.entry.type):
                fn.line('HPyField_Store(ctx, %s, &%s, %s);' % (obj.code, ref, value.code))
            else:
                fn.line('%s = %s;' % (ref, value.code))
            fn.release(value)
            fn.release(obj)
            return
    if kind == 'AttributeNode' and ctypes.is_object(target.obj.type):
        obj = gen_object(fn, target.obj)
        name = load_constant(fn, fn.module.str_constant(str(target.attribute)))
        fn.check_neg('HPy_SetAttr(ctx, %s, %s, %s)' % (obj.code, name.code, value.code))
        fn.release(name)
        fn.release(obj)
        fn.release(value)
        return
    if kind == 'IndexNode' and ctypes.is_object(target.base.type):
        base = gen_object(fn, target.base)
        index = gen_object(fn, target.index)
        fn.check_neg('HPy_SetItem(ctx, %s, %s, %s)' % (base.code, index.code, value.code))
        fn.release(index)
        fn.release(base)
        fn.release(value)
        return
    raise unsupported(target, 'assigning to this kind of target (%s) is not supported yet'
                      % kind)


@statement('SingleAssignmentNode')
def single_assignment(fn, node):
    if type(node.rhs).__name__ == 'PyCFunctionNode' and fn.kind == 'exec':
        # `def f` at module level: the function is created with the module (HPyDef_METH);
        # default argument values are evaluated here, in the module's order.
        from .functions import evaluate_defaults
        evaluate_defaults(fn, node.rhs.def_node)
        return
    fn.mark(node)
    value = gen(fn, node.rhs)
    assign(fn, node.lhs, value, node)


@statement('CascadedAssignmentNode')
def cascaded_assignment(fn, node):
    fn.mark(node)
    value = gen(fn, node.rhs)
    if ctypes.is_object(value.type):
        value = fn.owned_object(value)
    for lhs, rhs in zip(node.lhs_list, getattr(node, 'coerced_values', None) or
                        [None] * len(node.lhs_list)):
        fn.bindings[id(node.rhs)] = Value(value.code, value.type)
        v = gen(fn, rhs) if rhs is not None else Value(value.code, value.type)
        assign(fn, lhs, v, node)
    fn.release(value)


@statement('ParallelAssignmentNode')
def parallel_assignment(fn, node):
    fn.mark(node)
    values = []
    for stat in node.stats:
        if type(stat).__name__ != 'SingleAssignmentNode':
            raise unsupported(stat)
        v = gen(fn, stat.rhs)
        if ctypes.is_object(v.type):
            v = fn.owned_object(v)
        elif not v.owned:
            from .exprs import _c_temp
            v = _c_temp(fn, v.type, v.code, stat)
        values.append(v)
    for stat, v in zip(node.stats, values):
        assign(fn, stat.lhs, v, stat)


@statement('InPlaceAssignmentNode')
def inplace_assignment(fn, node):
    raise unsupported(node, 'this in-place assignment is not supported yet')


# -- control flow ------------------------------------------------------------------------

def condition(fn, node):
    """A C int expression for a condition node (released by the caller via the Value)."""
    value = gen(fn, node)
    if ctypes.is_object(value.type):
        truth = coerce.truth(fn, value)
        fn.release(value)
        return truth
    return value


@statement('IfStatNode')
def if_stat(fn, node):
    fn.mark(node)
    depth = 0
    for i, clause in enumerate(node.if_clauses):
        cond = condition(fn, clause.condition)
        # the condition's temporary is released inside both branches' common prefix
        if cond.owned:
            keep = fn.temp(cond.type)
            fn.line('%s = %s;' % (keep, cond.code))
            fn.release(cond)
            fn.free_temp(keep)
            code = keep
        else:
            code = cond.code
        fn.body.open('if (%s)' % code)
        fn.line_marked = None
        gen_stat(fn, clause.body)
        if i + 1 < len(node.if_clauses) or node.else_clause is not None:
            fn.body.close('} else {')
            fn.body.level += 1
            depth += 1
        else:
            fn.body.close()
    if node.else_clause is not None:
        gen_stat(fn, node.else_clause)
    for _ in range(depth):
        fn.body.close()


@statement('WhileStatNode')
def while_stat(fn, node):
    fn.mark(node)
    brk, cont = fn.new_label('break'), fn.new_label('continue')
    fn.body.open('for (;;)')
    if node.condition is not None:
        cond = condition(fn, node.condition)
        fn.line('if (!%s) { %s }' % (
            cond.code, fn.goto(brk + '_else') if node.else_clause else 'break;'))
        fn.release(cond)
    fn.loops.append((brk, cont))
    gen_stat(fn, node.body)
    fn.loops.pop()
    fn.place_label(cont, outer=False)
    fn.body.close()
    if node.else_clause is not None:
        fn.line(fn.goto(brk))
        fn.place_label(brk + '_else')
        gen_stat(fn, node.else_clause)
    fn.place_label(brk)


@statement('BreakStatNode')
def break_stat(fn, node):
    if not fn.loops:
        raise unsupported(node, "'break' outside a loop")
    fn.line(fn.goto(fn.loops[-1][0]))


@statement('ContinueStatNode')
def continue_stat(fn, node):
    if not fn.loops:
        raise unsupported(node, "'continue' outside a loop")
    fn.line(fn.goto(fn.loops[-1][1]))


@statement('ForInStatNode')
def for_in(fn, node):
    fn.mark(node)
    iterator = node.iterator
    if type(iterator).__name__ != 'IteratorNode':
        raise unsupported(iterator, 'this kind of for-in loop is not supported yet')
    seq = gen_object(fn, iterator.sequence)
    it = _new_object(fn, 'HPy_GetIter(ctx, %s)' % seq.code, node)
    fn.release(seq)
    brk, cont = fn.new_label('break'), fn.new_label('continue')
    fn.body.open('for (;;)')
    item = fn.temp(seq.type)
    fn.line('%s = HPyIter_Next(ctx, %s);' % (item, it.code))
    fn.body.open('if (HPy_IsNull(%s))' % item)
    fn.line('if (HPyErr_Occurred(ctx)) %s' % fn.error_goto())
    fn.line(fn.goto(brk + '_else' if node.else_clause else brk))
    fn.body.close()
    item_value = Value(item, seq.type, owned=True)
    fn.bindings[id(node.item)] = item_value
    target_value = item_value
    if not ctypes.is_object(node.target.type):
        target_value = coerce.from_object(fn, item_value, node.target.type, node)
        fn.release(item_value)
    assign(fn, node.target, target_value, node)
    fn.loops.append((brk, cont))
    gen_stat(fn, node.body)
    fn.loops.pop()
    fn.place_label(cont, outer=False)
    fn.body.close()
    if node.else_clause is not None:
        fn.place_label(brk + '_else')
        gen_stat(fn, node.else_clause)
    fn.place_label(brk)
    fn.release(it)


_RELATIONS = {'<=': ('', '++'), '<': ('+1', '++'), '>=': ('', '--'), '>': ('-1', '--')}


@statement('ForFromStatNode')
def for_from(fn, node):
    fn.mark(node)
    from .exprs import _c_temp
    b1 = gen(fn, node.bound1)
    b2 = gen(fn, node.bound2)
    step = gen(fn, node.step) if node.step is not None else None
    offset, inc = _RELATIONS[node.relation1]
    loop_type = node.loopvar_node.type
    from_range = getattr(node, 'from_range', False)
    py_target = getattr(node, 'is_py_target', False)
    if type(node.loopvar_node).__name__ == 'TempNode' or from_range:
        var = fn.temp(loop_type, node)
        fn.bindings[id(node.loopvar_node)] = Value(var, loop_type)
        own_var = True
    else:
        var = gen(fn, node.loopvar_node).code
        own_var = False
    incop = (inc[0] + '= ' + step.code) if step is not None else inc
    brk, cont = fn.new_label('break'), fn.new_label('continue')
    fn.body.open('for (%s = %s%s; %s %s %s; %s%s)' % (
        var, b1.code, offset, var, node.relation2, b2.code, var, incop))
    if node.py_loopvar_node is not None:
        value = gen(fn, node.py_loopvar_node)
        assign(fn, node.target, value, node)
    elif from_range:
        assign(fn, node.target, Value(var, loop_type), node)
    fn.loops.append((brk, cont))
    gen_stat(fn, node.body)
    fn.loops.pop()
    fn.place_label(cont, outer=False)
    if not from_range and node.py_loopvar_node is not None:
        # the loop variable follows what the body assigned to the Python target
        target = gen(fn, node.target)
        back = coerce.from_object(fn, target, loop_type, node)
        fn.line('%s = %s;' % (var, back.code))
        fn.release(back)
        fn.release(target)
    fn.body.close()
    if not from_range and node.py_loopvar_node is not None:
        value = gen(fn, node.py_loopvar_node)
        assign(fn, node.target, value, node)
    if node.else_clause is not None:
        gen_stat(fn, node.else_clause)
    fn.place_label(brk)
    if own_var:
        fn.free_temp(var)
    for v in (step, b2, b1):
        if v is not None:
            fn.release(v)


@statement('ReturnStatNode')
def return_stat(fn, node):
    fn.mark(node)
    if fn.kind == 'exec':
        raise unsupported(node, "'return' outside a function")
    if node.value is None:
        if ctypes.is_object(fn.return_type):
            fn.line('r_value = HPy_Dup(ctx, ctx->h_None);')
    else:
        value = gen(fn, node.value)
        if ctypes.is_object(fn.return_type):
            fn.line('r_value = %s;' % fn.new_ref(value))
            fn.consumed(value)
        else:
            fn.line('r_value = %s;' % value.code)
            fn.release(value)
    fn.line(fn.goto('L_return'))


@statement('RaiseStatNode')
def raise_stat(fn, node):
    fn.mark(node)
    if node.exc_tb is not None or getattr(node, 'cause', None) is not None:
        raise unsupported(node, "'raise ... from ...' and tracebacks in raise are not "
                                "supported yet")
    if node.exc_type is None:
        raise unsupported(node, "a bare 'raise' is not supported yet")
    exc = gen_object(fn, node.exc_type)
    value = gen_object(fn, node.exc_value) if node.exc_value is not None else None
    fn.module.use('Raise')
    fn.line('__hpyx_Raise(ctx, %s, %s);' % (exc.code, value.code if value else 'HPy_NULL'))
    if value is not None:
        fn.release(value)
    fn.release(exc)
    fn.line(fn.error_goto())


@statement('AssertStatNode')
def assert_stat(fn, node):
    fn.mark(node)
    cond = condition(fn, node.condition)
    fn.body.open('if (!%s)' % cond.code)
    fn.release(cond)
    exc = node.exception
    if exc is None:
        fn.module.use('Raise')
        v = load_constant(fn, fn.module.builtin('AssertionError'))
        fn.line('__hpyx_Raise(ctx, %s, HPy_NULL);' % v.code)
        fn.release(v)
        fn.line(fn.error_goto())
    else:
        gen_stat(fn, exc)
    fn.body.close()


@statement('TryExceptStatNode')
def try_except(fn, node):
    """try/except without binding the exception: the body's errors go to the handlers."""
    fn.mark(node)
    for clause in node.except_clauses:
        if clause.target is not None or getattr(clause, 'excinfo_target', None) is not None:
            raise unsupported(clause, "'except ... as name' is not supported yet")
    handler = fn.new_label('except')
    end = fn.new_label('try_end')
    live = fn.live_object_temps()
    saved = fn.error_label
    fn.error_label = handler
    gen_stat(fn, node.body)
    fn.error_label = saved
    if node.else_clause is not None:
        gen_stat(fn, node.else_clause)
    fn.line(fn.goto(end))
    fn.place_label(handler, outer=False)
    for name in fn.object_temps():
        if name not in live:
            fn.line('HPy_Close(ctx, %s); %s = HPy_NULL;' % (name, name))
    for clause in node.except_clauses:
        if clause.pattern:
            tests = []
            values = []
            for p in clause.pattern:
                v = gen_object(fn, p)
                values.append(v)
                tests.append('HPyErr_ExceptionMatches(ctx, %s)' % v.code)
            match = fn.temp(_bint())
            fn.line('%s = %s;' % (match, ' || '.join(tests)))
            for v in reversed(values):
                fn.release(v)
            fn.body.open('if (%s)' % match)
            fn.free_temp(match)
        else:
            fn.body.open('')
        fn.line('HPyErr_Clear(ctx);')
        gen_stat(fn, clause.body)
        fn.line(fn.goto(end))
        fn.body.close()
    fn.line(fn.error_goto())
    fn.place_label(end, outer=False)


def _bint():
    from Cython.Compiler import PyrexTypes
    return PyrexTypes.c_bint_type


@statement('CClassDefNode')
def cclass_stat(fn, node):
    """A cdef class: its type is created by HPy_mod_exec before the module's code runs."""
    if fn.kind != 'exec':
        raise unsupported(node, 'cdef classes inside functions are not supported')


@statement('DefNode', 'CFuncDefNode')
def nested_function(fn, node):
    if fn.kind == 'exec':
        # module-level functions are written by the module; nothing runs here
        return
    raise unsupported(node, 'closures and lambdas are not supported yet'
                      if type(node).__name__ == 'DefNode' else
                      'cdef functions inside functions are not supported')
