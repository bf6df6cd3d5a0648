"""What the generator tracks while writing a module and each of its functions."""
import re

from . import ctypes, dispatch
from .cwriter import CWriter, c_comment
from ..errors import UnsupportedConstruct

_IDENT = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


# C and C++ keywords: a .pyx name spelled like one gets a prefix where it is used as is
C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Bool _Complex _Imaginary bool true false alignas alignof
    and and_eq asm bitand bitor catch class compl constexpr const_cast decltype delete
    dynamic_cast explicit export friend mutable namespace new noexcept not not_eq nullptr
    operator or or_eq private protected public reinterpret_cast static_assert static_cast
    template this thread_local throw try typeid typename using virtual wchar_t xor xor_eq
""".split())


def c_ident(name):
    """`name` when it is a plain C identifier (not a keyword), else a spelling that is one."""
    if _IDENT.match(name):
        return 'kw_' + name if name in C_KEYWORDS else name
    return 'u_' + ''.join(c if c.isalnum() and ord(c) < 128 else '_%x' % ord(c) for c in name)


class Value:
    """The C result of an expression: `code` is a C expression of Cython type `type`. An owned
    value lives in a temporary the consumer must release (FunctionState.release)."""

    def __init__(self, code, type, owned=False):
        self.code = code
        self.type = type
        self.owned = owned

    def __repr__(self):
        return 'Value(%r, %s%s)' % (self.code, self.type, ', owned' if self.owned else '')


class ModuleState:
    def __init__(self, name, source_lines, pyx_name):
        self.name = name
        self.pyx_name = pyx_name
        self.source_lines = source_lines
        self.helpers = []
        self.globals = []            # HPyGlobal cnames, in declaration order
        self.global_decls = []       # their declarations with comments
        self.const_inits = CWriter(1)   # code in HPy_mod_exec creating the constants
        self._consts = {}
        self.builtins = {}
        self.defines = []            # HPyDef names of the module
        self.prototypes = []         # cdef function prototypes
        self.functions = []          # CWriter per function
        self.cfunc_names = {}        # id(entry) -> C name of a cdef function
        self.cfunc_defaults = {}     # id(entry) -> default nodes of its optional arguments
        self.capi_blocks = []        # (file, first, last line) of C-API header extern blocks
        self.used_names = set()
        self.def_functions = {}      # Python name -> HPyDef symbol
        self.full_name = name        # the module's dotted name
        self.classes = {}            # id(extension type) -> classes.ClassInfo
        self.class_list = []         # the module's cdef classes, bases first
        self.type_vars = {}          # id(entry of a cdef class's name as a value) -> ClassInfo

    def use(self, helper):
        if helper not in self.helpers:
            self.helpers.append(helper)

    def unique(self, base):
        base = c_ident(base)
        name, n = base, 1
        while name in self.used_names:
            n += 1
            name = '%s_%d' % (base, n)
        self.used_names.add(name)
        return name

    def source_line(self, pos):
        if not pos:
            return ''
        line = pos[1]
        if 1 <= line <= len(self.source_lines):
            return self.source_lines[line - 1].strip()
        return ''

    def add_global(self, base, comment):
        cname = self.unique(base)
        self.globals.append(cname)
        self.global_decls.append('static HPyGlobal %s;   /* %s */' % (cname, c_comment(comment)))
        return cname

    def constant(self, key, base, comment, make):
        """The HPyGlobal holding a constant object; `make` is the C expression creating it
        (evaluated once, in HPy_mod_exec)."""
        if key not in self._consts:
            cname = self.add_global(base, comment)
            w = self.const_inits
            w.line('h = %s;' % make)
            w.line('if (HPy_IsNull(h)) return -1;')
            w.line('HPyGlobal_Store(ctx, &%s, h);' % cname)
            w.line('HPy_Close(ctx, h);')
            self._consts[key] = cname
        return self._consts[key]

    def str_constant(self, text):
        from .cwriter import c_string
        short = text if len(text) <= 40 else text[:37] + '...'
        data = text.encode('utf-8', 'surrogatepass')
        if b'\0' in data or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            self.use('UnicodeFromUTF8')
            make = '__hpyx_UnicodeFromUTF8(ctx, %s, %d)' % (c_string(data), len(data))
        else:
            make = 'HPyUnicode_FromString(ctx, %s)' % c_string(data)
        return self.constant(('str', text), 's_' + _slug(text), repr(short), make)

    def builtin(self, name):
        if name not in self.builtins:
            self.use('GetBuiltin')
            self.builtins[name] = self.add_global('b_' + name, 'builtin ' + name)
        return self.builtins[name]


def _slug(text):
    slug = re.sub(r'[^A-Za-z0-9_]', '_', text)[:24]
    return slug or 'empty'


class FunctionState:
    """One C function being written: its declarations, temporaries and labels. Every object
    temporary and local is declared at the top, set to HPy_NULL, and closed at the single exit
    (so every path, the error paths included, closes it)."""

    def __init__(self, module, kind, name, return_type, module_handle=None):
        self.module = module
        self.kind = kind                   # 'def', 'cdef' or 'exec'
        self.name = name
        self.return_type = return_type     # a Cython type (py_object_type for def)
        self.module_handle = module_handle
        self.decls = []                    # (C type, name, initial value, comment)
        self.body = CWriter(1)
        self._free = {}                    # C type -> names of free temps
        self._count = 0
        self.locals = {}                   # id(entry) -> C name
        self.object_vars = []              # names closed at exit
        self.bindings = {}                 # id(node) -> Value (CloneNode / ResultRefNode)
        self.loops = []                    # (break label, continue label)
        self.labels = 0
        self.uses_error = False
        self.error_value = None            # what a cdef function returns on error
        self.line_marked = None
        self.error_label = 'L_error'
        self.used_labels = set()

    # -- declarations ----------------------------------------------------------------------

    def declare(self, ctype, name, init=None, comment=None, closed=False):
        self.decls.append((ctype, name, init, comment))
        if closed:
            self.object_vars.append(name)
        return name

    def local(self, entry):
        key = id(entry)
        if key not in self.locals:
            name = self._local_name(entry)
            t = entry.type
            if ctypes.is_object(t):
                self.declare('HPy', name, 'HPy_NULL', closed=True)
            else:
                self.declare_c(t, name, entry)
            self.locals[key] = name
        return self.locals[key]

    def _local_name(self, entry):
        base = 'v_' + c_ident(entry.name)
        used = {d[1] for d in self.decls}
        name, n = base, 1
        while name in used:
            n += 1
            name = '%s_%d' % (base, n)
        return name

    def declare_c(self, t, name, node=None):
        t = ctypes.strip_const(t)
        try:
            spelled = 'HPYX_UNUSED ' + ctypes.spell(t, name)
        except ctypes.UnsupportedType:
            raise UnsupportedConstruct(getattr(node, 'pos', None),
                                       "the C type '%s' is not supported yet" % t)
        if ctypes.is_complex(t):
            self.module.use('complex')
        self.decls.append((None, spelled, None, None))

    # -- temporaries -----------------------------------------------------------------------

    def temp(self, t, node=None):
        """A free temporary for a value of Cython type `t` (object temps are HPy_NULL)."""
        t = ctypes.strip_const(t)
        key = 'HPy' if ctypes.is_object(t) else ctypes.spell(t) if ctypes.is_supported(t) else None
        if key is None:
            raise UnsupportedConstruct(getattr(node, 'pos', None),
                                       "the C type '%s' is not supported yet" % t)
        free = self._free.setdefault(key, [])
        if free:
            return free.pop()
        self._count += 1
        name = 't_%d' % self._count
        if key == 'HPy':
            self.declare('HPy', name, 'HPy_NULL', closed=True)
        else:
            self.declare_c(t, name)
        self._names_types = getattr(self, '_names_types', {})
        self._names_types[name] = key
        return name

    def free_temp(self, name):
        self._free[self._names_types[name]].append(name)

    def release(self, value):
        """Done with `value`: an owned handle is closed now."""
        if value is not None and value.owned:
            if ctypes.is_object(value.type):
                self.line('HPy_Close(ctx, %s);' % value.code)
                self.line('%s = HPy_NULL;' % value.code)
            self.free_temp(value.code)
            value.owned = False

    def new_ref(self, value):
        """A C expression giving a new handle for object `value`, which is consumed (its
        temporary is emptied after the statement using the expression: call `consumed`)."""
        if value.owned:
            return value.code
        return 'HPy_Dup(ctx, %s)' % value.code

    def consumed(self, value):
        if value.owned:
            self.line('%s = HPy_NULL;' % value.code)
            self.free_temp(value.code)
            value.owned = False

    def owned_object(self, value):
        """`value` as an owned object temp."""
        if value.owned:
            return value
        t = self.temp(value.type)
        self.line('%s = HPy_Dup(ctx, %s);' % (t, value.code))
        return Value(t, value.type, owned=True)

    # -- code ------------------------------------------------------------------------------

    def line(self, text):
        self.body.line(text)

    def mark(self, node):
        """A comment with the .pyx line a statement comes from."""
        pos = getattr(node, 'pos', None)
        if not pos or pos[1] == self.line_marked:
            return
        self.line_marked = pos[1]
        text = self.module.source_line(pos)
        self.body.comment('%s:%d: %s' % (self.module.pyx_name, pos[1], text))

    def error_goto(self):
        if self.error_label == 'L_error':
            self.uses_error = True
        return self.goto(self.error_label)

    def goto(self, label):
        self.used_labels.add(label)
        return 'goto %s;' % label

    def place_label(self, label, outer=True):
        """Writes `label` if some goto uses it (`outer`: at the indentation of the enclosing
        block, for labels placed after a loop or handler)."""
        if label in self.used_labels:
            if outer:
                self.body.level += 1
            self.body.label(label)
            if outer:
                self.body.level -= 1

    def object_temps(self):
        types = getattr(self, '_names_types', {})
        return [name for name, key in types.items() if key == 'HPy']

    def live_object_temps(self):
        free = set(self._free.get('HPy', []))
        return {name for name in self.object_temps() if name not in free}

    def check_null(self, code):
        self.line('if (HPy_IsNull(%s)) %s' % (code, self.error_goto()))

    def check_neg(self, code):
        self.line('if (%s < 0) %s' % (code, self.error_goto()))

    def new_label(self, what):
        self.labels += 1
        return 'L_%s_%d' % (what, self.labels)

    def unsupported(self, node, message=None):
        return dispatch.unsupported(node, message)

    def declarations(self):
        w = CWriter(1)
        for ctype, name, init, comment in self.decls:
            text = name if ctype is None else '%s %s' % (ctype, name)
            if init is not None:
                text += ' = %s' % init
            text += ';'
            if comment:
                text += '   /* %s */' % c_comment(comment)
            w.line(text)
        return w
