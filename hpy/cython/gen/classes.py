"""cdef classes: the instance struct (C fields in it, object fields as HPyFields visited by a
generated tp_traverse), the type spec created in HPy_mod_exec with HPyType_FromSpec and kept in
an HPyGlobal, methods, the special methods mapped to slots with Cython 3's semantics, and
public/readonly attributes.

Rules the generated code follows:
- every object field holds a value (None until assigned) from the moment tp_new returns;
- a class's struct begins with its base class's struct, so a base's field is reached through
  the base's AsStruct helper whatever the object's actual class;
- __dealloc__ runs in tp_destroy, which has no context: it may only touch C data."""
from . import ctypes
from .cwriter import CWriter, c_string, c_comment
from .dispatch import unsupported
from .state import c_ident

# special methods with a slot of one of these kinds: name -> (slot, kind)
_BINOPS = {
    'add': 'HPy_nb_add', 'sub': 'HPy_nb_subtract', 'mul': 'HPy_nb_multiply',
    'truediv': 'HPy_nb_true_divide', 'floordiv': 'HPy_nb_floor_divide',
    'mod': 'HPy_nb_remainder', 'divmod': 'HPy_nb_divmod', 'lshift': 'HPy_nb_lshift',
    'rshift': 'HPy_nb_rshift', 'and': 'HPy_nb_and', 'or': 'HPy_nb_or', 'xor': 'HPy_nb_xor',
    'matmul': 'HPy_nb_matrix_multiply',
}
_UNARY = {'__neg__': 'HPy_nb_negative', '__pos__': 'HPy_nb_positive',
          '__abs__': 'HPy_nb_absolute', '__invert__': 'HPy_nb_invert',
          '__int__': 'HPy_nb_int', '__float__': 'HPy_nb_float', '__index__': 'HPy_nb_index',
          '__repr__': 'HPy_tp_repr', '__str__': 'HPy_tp_str'}
_RICH = {'__lt__': 'HPy_LT', '__le__': 'HPy_LE', '__eq__': 'HPy_EQ', '__ne__': 'HPy_NE',
         '__gt__': 'HPy_GT', '__ge__': 'HPy_GE'}
# C types an HPyDef_MEMBER reads exactly as Cython's getter would convert them
_MEMBER_TYPES = {
    'int': 'HPyMember_INT', 'unsigned int': 'HPyMember_UINT', 'short': 'HPyMember_SHORT',
    'unsigned short': 'HPyMember_USHORT', 'long': 'HPyMember_LONG',
    'unsigned long': 'HPyMember_ULONG', 'long long': 'HPyMember_LONGLONG',
    'unsigned long long': 'HPyMember_ULONGLONG', 'double': 'HPyMember_DOUBLE',
    'float': 'HPyMember_FLOAT', 'HPy_ssize_t': 'HPyMember_HPYSSIZET',
    'signed char': 'HPyMember_BYTE', 'unsigned char': 'HPyMember_UBYTE',
}


class ClassInfo:
    """What the generator knows of one cdef class of the module."""

    def __init__(self, module, node):
        self.node = node
        self.entry = node.entry
        self.type = node.entry.type
        self.scope = self.type.scope
        self.name = str(node.class_name)
        self.struct = module.unique('hpyx_obj_' + self.name)
        self.type_global = module.add_global('t_' + self.name, 'cdef class ' + self.name)
        self.spec_name = '%s.%s' % (module.full_name, self.name)
        base_type = getattr(self.type, 'base_type', None)
        self.base = None
        if base_type is not None:
            self.base = module.classes.get(id(base_type))
            if self.base is None:
                raise unsupported(node, "cdef classes deriving from '%s' (a type not defined "
                                        "in this module) are not supported yet" % base_type)
        self.fields = []           # (entry, path from this struct, is_object) incl. inherited
        if self.base is not None:
            self.fields = [(e, 'base.' + p, o) for e, p, o in self.base.fields]
        self.own_fields = []
        self.weakref_list = False  # `cdef object __weakref__`: instances accept weak references
        for entry in self.scope.var_entries:
            if str(entry.name) == '__weakref__':
                self.weakref_list = True
                continue
            if getattr(entry, 'is_variable', False):
                path = c_ident(entry.name)
                is_obj = ctypes.is_object(entry.type)
                if not is_obj and not ctypes.is_supported(entry.type):
                    raise unsupported(entry, "cdef class attributes of the C type '%s' are not "
                                             "supported yet" % entry.type)
                self.own_fields.append((entry, path, is_obj))
                self.fields.append((entry, path, is_obj))
        self.field_paths = {str(e.name): p for e, p, _ in self.fields}
        self.defines = []
        self.specials = {}         # special method name -> C impl of its def function
        self.cinit = None
        self.dealloc = None        # C name of the destroy function of this class's __dealloc__
        self.slots_code = []
        if self.weakref_list:
            sym = module.unique('mem_%s_weaklistoffset' % self.name)
            w = CWriter()
            w.line('HPyDef_MEMBER(%s, "__weaklistoffset__", HPyMember_HPYSSIZET, '
                   'offsetof(%s, hpyx_weakreflist), .readonly = 1)' % (sym, self.struct))
            module.functions.append(w)
            self.defines.append(sym)

    @property
    def has_gc(self):
        return any(o for _, _, o in self.fields)

    def chain(self):
        """The classes from the root base down to this one."""
        out, c = [], self
        while c is not None:
            out.insert(0, c)
            c = c.base
        return out


def class_of_type(module, t):
    """The ClassInfo of extension type `t`, or None for other types."""
    return module.classes.get(id(t)) if t is not None else None


def is_cdef_class_type(t):
    return bool(getattr(t, 'is_extension_type', False))


def field_for(module, node):
    """(ClassInfo, struct path) of the cdef class attribute read or written by the attribute
    node `node` (through an object typed with a cdef class of the module), else (None, None)."""
    entry = getattr(node, 'entry', None)
    obj = getattr(node, 'obj', None)
    if entry is None or obj is None or getattr(node, 'is_py_attr', False) or \
            not getattr(entry, 'is_variable', False):
        return None, None
    info = class_of_type(module, obj.type)
    name = str(entry.name)
    if info is None or name not in info.field_paths:
        return None, None
    return info, info.field_paths[name]


def struct_ref(fn, info, path, obj_code):
    """The C lvalue of field `path` of the object `obj_code` of class `info`."""
    destroy = getattr(fn, 'destroy_self', None)
    if destroy is not None and obj_code == destroy[0]:
        return '((%s *)%s)->%s' % (info.struct, destroy[1], path)
    return '%s_AsStruct(ctx, %s)->%s' % (info.struct, obj_code, path)


def none_check(fn, obj, attribute, node):
    """Cython's nonecheck for attribute access through a typed variable: a None object raises
    AttributeError instead of reaching into a struct it does not have."""
    if _is_self(fn, node):
        return
    fn.module.use('NoneAttribute')
    fn.line('if (HPy_Is(ctx, %s, ctx->h_None)) { __hpyx_NoneAttribute(ctx, %s); %s }' % (
        obj.code, c_string(attribute), fn.error_goto()))


def _is_self(fn, node):
    """`node` is the `self` argument of the method being written (never None)."""
    entry = getattr(node, 'entry', None)
    return type(node).__name__ == 'NameNode' and entry is not None and \
        id(entry) == getattr(fn, 'self_entry', None)


# -- collection -----------------------------------------------------------------------------

def declare(module, node):
    """First pass: the class's struct, type global and cdef method prototypes."""
    from . import functions
    _check_class(node)
    info = ClassInfo(module, node)
    module.classes[id(info.type)] = info
    module.class_list.append(info)
    as_variable = getattr(info.entry, 'as_variable', None)
    if as_variable is not None:
        module.type_vars[id(as_variable)] = info
    for stat in _members(node):
        if type(stat).__name__ == 'CFuncDefNode':
            name = str(stat.entry.name)
            c = info.base
            while c is not None:
                e = c.scope.lookup_here(name)
                if e is not None and getattr(e, 'is_cfunction', False):
                    raise unsupported(stat, "cdef methods overriding a base class's cdef "
                                            "method are not supported yet")
                c = c.base
            module.cfunc_names[id(stat.entry)] = module.unique('f_%s_%s' % (info.name, name))
            functions.declare_cdef(module, stat)
    return info


def _check_class(node):
    if getattr(node, 'decorators', None):
        raise unsupported(node, 'decorators on cdef classes are not supported yet')
    if getattr(node, 'visibility', 'private') != 'private' or \
            getattr(node, 'api', False):
        raise unsupported(node, 'public or api cdef classes are not supported yet')
    if getattr(node, 'bases', None) is not None and len(getattr(node.bases, 'args', [])) > 1:
        raise unsupported(node, 'cdef classes with several bases are not supported yet')


def _members(node):
    out = []

    def walk(stat):
        kind = type(stat).__name__
        if kind == 'StatListNode':
            for s in stat.stats:
                walk(s)
        elif kind == 'CompilerDirectivesNode':
            walk(stat.body)
        else:
            out.append(stat)
    if node.body is not None:
        walk(node.body)
    return out


# -- generation -----------------------------------------------------------------------------

def generate(module, info):
    """The methods, slots and spec of the class (written to module.functions / class_specs)."""
    from . import functions
    props = []
    for stat in _members(info.node):
        kind = type(stat).__name__
        if kind == 'DefNode':
            _method(module, info, stat)
        elif kind == 'CFuncDefNode':
            functions.generate_cdef(module, stat)
        elif kind == 'PropertyNode':
            props.append(stat)
        elif kind == 'SingleAssignmentNode' and type(stat.rhs).__name__ == 'PyCFunctionNode':
            pass    # binds a method in the class dict: the type's HPyDef does it
        elif kind in ('PassStatNode', 'CVarDefNode'):
            pass
        elif kind in ('SingleAssignmentNode', 'CascadedAssignmentNode'):
            where = getattr(stat, 'lhs', None) or stat.lhs_list[0]
            raise unsupported(where, 'class attributes of cdef classes are not supported yet')
        else:
            raise unsupported(stat)
    for prop in props:
        _property(module, info, prop)
    _slots(module, info)


def _method(module, info, node):
    from . import functions
    name = str(node.name)
    if name == '__cinit__':
        if len(node.args) != 1 or node.star_arg is not None or node.starstar_arg is not None:
            raise unsupported(node, '__cinit__ with arguments is not supported yet')
        info.cinit = functions.generate_def(module, node, method_of=info, special=True)
        return
    if name == '__dealloc__':
        info.dealloc = _dealloc(module, info, node)
        return
    if name in ('__reduce_cython__', '__setstate_cython__'):
        # generated by Cython (directive auto_pickle): reported at the class
        raise unsupported(info.node, 'pickling of cdef classes is not supported yet')
    special = name.startswith('__') and name.endswith('__')
    if special:
        base = name[2:-2]
        if base.startswith('r') and base[1:] in _BINOPS:
            base = base[1:]
        elif base.startswith('i') and base[1:] in _BINOPS:
            raise unsupported(node, "the in-place operator method '%s' is not supported yet"
                              % name)
        if not (base in _BINOPS or name in _UNARY or name in _RICH or name == '__init__'):
            raise unsupported(node, "the special method '%s' of cdef classes is not supported "
                                    "yet" % name)
        info.specials[name] = functions.generate_def(module, node, method_of=info,
                                                     special=True)
        return
    functions.generate_def(module, node, method_of=info)


def _dealloc(module, info, node):
    """tp_destroy from __dealloc__: C-only code (the GC gives no context)."""
    from .state import FunctionState
    from .stmts import gen_stat
    name = module.unique('destroy_' + info.name)
    fn = FunctionState(module, 'cdef', '__dealloc__', _void())
    self_entry = node.local_scope.lookup_here(node.args[0].name)
    fn.self_entry = id(self_entry)
    fn.locals[id(self_entry)] = 'self'
    fn.destroy_self = ('self', 'data')
    fn.line_marked = None
    message = '__dealloc__ that uses Python objects is not supported yet (tp_destroy ' \
              'runs without a context: only C fields and C variables)'
    gen_stat(fn, node.body)
    import re
    body = re.sub(r'/\*.*?\*/', '', '\n'.join(fn.body.lines))
    if re.search(r'\b(ctx|self)\b', body) or fn.uses_error or fn.object_vars or 'L_return' in fn.used_labels:
        raise unsupported(node, message)
    w = CWriter()
    w.line('/* %s:%d: %s */' % (module.pyx_name, node.pos[1],
                                c_comment(module.source_line(node.pos))))
    w.open('static void %s(void *data)' % name)
    w.extend(fn.declarations())
    w.extend(fn.body)
    w.line('(void)data;')
    w.close()
    module.functions.append(w)
    return name


def _void():
    from Cython.Compiler import PyrexTypes
    return PyrexTypes.c_void_type


def _property(module, info, node):
    """A public/readonly attribute (the property Cython synthesised for it): HPyDef_MEMBER for a
    readonly C field a member reads exactly, else get/set descriptors running Cython's code."""
    from . import functions
    name = str(node.name)
    entry = info.scope.lookup_here(name)
    synthesised = entry is not None and getattr(entry, 'is_variable', False) and \
        entry.visibility in ('public', 'readonly') and node.pos == entry.pos
    if not synthesised:
        raise unsupported(node, 'properties of cdef classes are not supported yet')
    if entry.visibility == 'readonly' and not ctypes.is_object(entry.type) and \
            not ctypes.is_bint(entry.type):   # a bint reads as bool: Cython's getter
        spelled = ctypes.spell(ctypes.strip_const(entry.type))
        member = _MEMBER_TYPES.get(spelled)
        if member is not None:
            sym = module.unique('mem_%s_%s' % (info.name, name))
            w = CWriter()
            w.line('HPyDef_MEMBER(%s, %s, %s, offsetof(%s, %s), .readonly = 1)' % (
                sym, c_string(name), member, info.struct, info.field_paths[name]))
            module.functions.append(w)
            info.defines.append(sym)
            return
    methods = {}
    for stat in _members(node):
        if type(stat).__name__ != 'DefNode' or str(stat.name) not in ('__get__', '__set__',
                                                                      '__del__'):
            raise unsupported(stat)
        methods[str(stat.name)] = functions.generate_def(module, stat, method_of=info,
                                                         special=True)
    sym = module.unique('gs_%s_%s' % (info.name, name))
    get = methods.get('__get__')
    w = CWriter()
    getter = module.unique('get_%s_%s' % (info.name, name))
    w.open('static HPy %s(HPyContext *ctx, HPy self, void *closure)' % getter)
    w.line('(void)closure;')
    w.line('return %s(ctx, self, NULL, 0, HPy_NULL);' % get)
    w.close()
    if '__set__' in methods:
        setter = module.unique('set_%s_%s' % (info.name, name))
        w.open('static int %s(HPyContext *ctx, HPy self, HPy value, void *closure)' % setter)
        w.line('HPy r;')
        w.line('(void)closure;')
        w.open('if (HPy_IsNull(value))')
        if '__del__' in methods:
            w.line('r = %s(ctx, self, NULL, 0, HPy_NULL);' % methods['__del__'])
        else:
            w.line('HPyErr_SetString(ctx, ctx->h_NotImplementedError, "__del__");')
            w.line('return -1;')
        w.close('} else {')
        w.level += 1
        w.line('r = %s(ctx, self, &value, 1, HPy_NULL);' % methods['__set__'])
        w.close()
        w.line('if (HPy_IsNull(r)) return -1;')
        w.line('HPy_Close(ctx, r);')
        w.line('return 0;')
        w.close()
        w.line('HPyDef_GETSET_IMPL(%s, %s, %s, %s)' % (sym, c_string(name), getter, setter))
    else:
        w.line('HPyDef_GET_IMPL(%s, %s, %s)' % (sym, c_string(name), getter))
    module.functions.append(w)
    info.defines.append(sym)


def _slot(module, info, slot, what):
    sym = module.unique('slot_%s_%s' % (info.name, what))
    impl = sym + '_impl'
    info.defines.append(sym)
    return sym, impl


def _slots(module, info):
    """tp_new, tp_init, tp_traverse, tp_destroy and the special methods' slots."""
    w = CWriter()
    chain = info.chain()
    # tp_new: allocate, every object field None, then each class's __cinit__ (base first)
    sym, impl = _slot(module, info, slot='HPy_tp_new', what='new')
    w.line('HPyDef_SLOT_IMPL(%s, %s, HPy_tp_new)' % (sym, impl))
    w.open('static HPy %s(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs, '
           'HPy kw)' % impl)
    w.line('%s *data;' % info.struct)
    w.line('HPy self = HPy_New(ctx, type, &data);')
    w.line('(void)args; (void)nargs; (void)kw;')
    w.line('if (HPy_IsNull(self)) return HPy_NULL;')
    for entry, path, is_obj in info.fields:
        if is_obj:
            w.line('HPyField_Store(ctx, self, &data->%s, ctx->h_None);' % path)
    for c in chain:
        if c.cinit is not None:
            w.open('')
            w.line('HPy r = %s(ctx, self, NULL, 0, HPy_NULL);' % c.cinit)
            w.line('if (HPy_IsNull(r)) { HPy_Close(ctx, self); return HPy_NULL; }')
            w.line('HPy_Close(ctx, r);')
            w.close()
    w.line('return self;')
    w.close()
    if info.has_gc:
        sym, impl = _slot(module, info, slot='HPy_tp_traverse', what='traverse')
        w.line('HPyDef_SLOT_IMPL(%s, %s, HPy_tp_traverse)' % (sym, impl))
        w.open('static int %s(void *object, HPyFunc_visitproc visit, void *arg)' % impl)
        w.line('%s *data = (%s *)object;' % (info.struct, info.struct))
        for entry, path, is_obj in info.fields:
            if is_obj:
                w.line('HPy_VISIT(&data->%s);' % path)
        w.line('return 0;')
        w.close()
    deallocs = [c.dealloc for c in reversed(chain) if c.dealloc is not None]
    if deallocs:
        sym, impl = _slot(module, info, slot='HPy_tp_destroy', what='destroy')
        w.line('HPyDef_SLOT_IMPL(%s, %s, HPy_tp_destroy)' % (sym, impl))
        w.open('static void %s(void *data)' % impl)
        for d in deallocs:       # the class's own __dealloc__ first, then its bases'
            w.line('%s(data);' % d)
        w.close()
    specials = info.specials
    if '__init__' in specials:
        module.use('CallInit')
        sym, impl = _slot(module, info, slot='HPy_tp_init', what='init')
        w.line('HPyDef_SLOT_IMPL(%s, %s, HPy_tp_init)' % (sym, impl))
        w.open('static int %s(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, '
               'HPy kw)' % impl)
        w.line('return __hpyx_CallInit(ctx, %s, self, args, nargs, kw);' % specials['__init__'])
        w.close()
    for name, slot in _UNARY.items():
        if name in specials:
            sym, impl = _slot(module, info, slot=slot, what=name.strip('_'))
            w.line('HPyDef_SLOT_IMPL(%s, %s, %s)' % (sym, impl, slot))
            w.open('static HPy %s(HPyContext *ctx, HPy self)' % impl)
            w.line('return %s(ctx, self, NULL, 0, HPy_NULL);' % specials[name])
            w.close()
    for base, slot in _BINOPS.items():
        left, right = specials.get('__%s__' % base), specials.get('__r%s__' % base)
        if left is None and right is None:
            continue
        _binop_slot(module, info, w, base, slot, left, right)
    if any(n in specials for n in _RICH):
        _richcompare(module, info, w)
    module.functions.append(w)


def _binop_slot(module, info, w, base, slot, left, right):
    """Cython 3's binary operator: __op__(left, right) when left is an instance, else (or when
    it returns NotImplemented) __rop__(right, left) when right is one."""
    sym, impl = _slot(module, info, slot=slot, what=base)
    w.line('HPyDef_SLOT_IMPL(%s, %s, %s)' % (sym, impl, slot))
    w.open('static HPy %s(HPyContext *ctx, HPy left, HPy right)' % impl)
    w.line('HPy type = HPyGlobal_Load(ctx, %s);' % info.type_global)
    w.line('int self_left = HPy_TypeCheck(ctx, left, type);')
    w.line('int self_right = HPy_TypeCheck(ctx, right, type);')
    w.line('HPy_Close(ctx, type);')
    if left is not None:
        w.open('if (self_left)')
        w.line('HPy res = %s(ctx, left, &right, 1, HPy_NULL);' % left)
        w.line('if (!HPy_Is(ctx, res, ctx->h_NotImplemented)) return res;')
        w.line('HPy_Close(ctx, res);')
        w.close()
    if right is not None:
        w.line('if (self_right) return %s(ctx, right, &left, 1, HPy_NULL);' % right)
    else:
        w.line('(void)self_right;')
    if left is None:
        w.line('(void)self_left;')
    w.line('return HPy_Dup(ctx, ctx->h_NotImplemented);')
    w.close()


def _richcompare(module, info, w):
    """tp_richcompare from __eq__, __lt__, ...: a missing __ne__ is the negation of __eq__
    (unless that returns NotImplemented), any other missing one is NotImplemented."""
    specials = info.specials
    sym, impl = _slot(module, info, slot='HPy_tp_richcompare', what='richcompare')
    w.line('HPyDef_SLOT_IMPL(%s, %s, HPy_tp_richcompare)' % (sym, impl))
    w.open('static HPy %s(HPyContext *ctx, HPy self, HPy other, HPy_RichCmpOp op)' % impl)
    w.open('switch (op)')
    for name, op in _RICH.items():
        if name in specials:
            w.line('case %s: return %s(ctx, self, &other, 1, HPy_NULL);' % (op, specials[name]))
    if '__ne__' not in specials and '__eq__' in specials:
        w.open('case HPy_NE:')
        w.line('HPy res = %s(ctx, self, &other, 1, HPy_NULL);' % specials['__eq__'])
        w.line('int truth;')
        w.line('if (HPy_IsNull(res) || HPy_Is(ctx, res, ctx->h_NotImplemented)) return res;')
        w.line('truth = HPy_IsTrue(ctx, res);')
        w.line('HPy_Close(ctx, res);')
        w.line('if (truth < 0) return HPy_NULL;')
        w.line('return HPy_Dup(ctx, truth ? ctx->h_False : ctx->h_True);')
        w.close()
    w.line('default: break;')
    w.close()
    w.line('return HPy_Dup(ctx, ctx->h_NotImplemented);')
    w.close()


# -- the module's parts ---------------------------------------------------------------------

def struct_decls(module):
    """The instance structs and their HPyType_HELPERS."""
    w = CWriter()
    for info in module.class_list:
        w.line('/* the instance data of cdef class %s */' % info.name)
        w.open('typedef struct')
        if info.base is not None:
            w.line('%s base;' % info.base.struct)
        for entry, path, is_obj in info.own_fields:
            if is_obj:
                w.line('HPyField %s;' % path)
            else:
                w.line(ctypes.spell(ctypes.strip_const(entry.type), path) + ';')
        if info.weakref_list:
            w.line('void *hpyx_weakreflist;   /* the runtime\'s list of weak references */')
        if info.base is None and not info.own_fields and not info.weakref_list:
            w.line('char unused;   /* C has no empty structs */')
        w.close('} %s;' % info.struct)
        w.line('HPyType_HELPERS(%s)' % info.struct)
        w.line('')
    return w


def spec_decls(module):
    w = CWriter()
    for info in module.class_list:
        w.line('static HPyDef *%s_defines[] = {' % info.struct)
        for sym in info.defines:
            w.line('    &%s,' % sym)
        w.line('    NULL')
        w.line('};')
        flags = 'HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE'
        if info.has_gc:
            flags += ' | HPy_TPFLAGS_HAVE_GC'
        doc = getattr(info.node, 'doc', None)
        w.line('static HPyType_Spec %s_spec = {' % info.struct)
        w.line('    .name = %s,' % c_string(info.spec_name))
        w.line('    .basicsize = sizeof(%s),' % info.struct)
        w.line('    .flags = %s,' % flags)
        w.line('    .builtin_shape = HPyType_BuiltinShape_Object,')
        w.line('    .defines = %s_defines,' % info.struct)
        if doc is not None:
            w.line('    .doc = %s,' % c_string(str(doc)))
        w.line('};')
    return w


def type_tables(module):
    """The classes' HPyGlobals and names, for the messages naming types."""
    w = CWriter()
    if module.class_list:
        w.line('static HPYX_UNUSED HPyGlobal *const hpyx_class_types[] = {')
        for info in module.class_list:
            w.line('    &%s,' % info.type_global)
        w.line('    NULL')
        w.line('};')
        w.line('static HPYX_UNUSED const char *const hpyx_class_names[] = {')
        for info in module.class_list:
            w.line('    %s,' % c_string(info.spec_name))
        w.line('    NULL')
        w.line('};')
    return w


def creation(module):
    """Lines of HPy_mod_exec creating the types (bases first) and binding them in the module."""
    w = CWriter(1)
    for info in module.class_list:
        w.open('')
        if info.base is not None:
            w.line('HPy base = HPyGlobal_Load(ctx, %s);' % info.base.type_global)
            w.line('HPyType_SpecParam params[] = {{HPyType_SpecParam_Base, base}, '
                   '{(HPyType_SpecParam_Kind)0, HPy_NULL}};')
            w.line('h = HPyType_FromSpec(ctx, &%s_spec, params);' % info.struct)
            w.line('HPy_Close(ctx, base);')
        else:
            w.line('h = HPyType_FromSpec(ctx, &%s_spec, NULL);' % info.struct)
        w.line('if (HPy_IsNull(h)) return -1;')
        w.line('HPyGlobal_Store(ctx, &%s, h);' % info.type_global)
        if not (getattr(info.scope, 'is_internal', False) or
                info.scope.directives.get('internal')):   # @cython.internal: not bound
            w.line('if (HPy_SetAttr_s(ctx, module, %s, h) < 0) { HPy_Close(ctx, h); return -1; }'
                   % c_string(info.name))
        w.line('HPy_Close(ctx, h);')
        w.close()
    return w
