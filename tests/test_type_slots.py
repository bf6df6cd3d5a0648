"""Every type slot of api/slots.tsv reaches its implementation through the CPython protocol it
maps to (abi.md §5.2, §9.7 step 6): number, mapping and sequence protocols, repr/str/hash,
rich comparison, descriptors, construction, and the buffer protocol. The call protocol is in
test_type_call.py, traverse/destroy/finalize in test_type_gc.py."""
import operator
import os

import pytest

from support import CPYTHON, ROOT, release_views
from type_helpers import with_types


def read_slots():
    with open(os.path.join(ROOT, 'api', 'slots.tsv')) as f:
        rows = [l.rstrip('\n').split('\t') for l in f if l.strip() and not l.startswith('#')]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


SLOTS = read_slots()
# Slots with tests of their own (here or in other files: the slots of minor 2 in
# test_type_protocols.py), and the module-only ones.
SPECIAL = {'HPy_tp_call', 'HPy_tp_traverse', 'HPy_tp_destroy', 'HPy_tp_finalize',
           'HPy_tp_new', 'HPy_tp_init', 'HPy_bf_getbuffer', 'HPy_bf_releasebuffer',
           'HPy_mod_create', 'HPy_mod_exec',
           'HPy_tp_iter', 'HPy_tp_iternext', 'HPy_tp_getattro', 'HPy_tp_setattro',
           'HPy_tp_descr_set', 'HPy_am_await', 'HPy_am_aiter', 'HPy_am_anext'}

# Which type of the generated module each generic slot goes to.
def slot_group(name):
    if name.startswith('HPy_nb_'):
        return 'Num'
    if name.startswith('HPy_mp_'):
        return 'Map'
    if name.startswith('HPy_sq_'):
        return 'Seq'
    return 'Misc'


# The C implementation of a generic slot, per signature: it returns (or, for slots returning a
# C value, records in `last`) the slot's name and its arguments, null handles as None.
IMPLS = {
    'UNARYFUNC': '''static HPy %(sym)s_impl(HPyContext *ctx, HPy a)
{
    if (%(value)d == 26 || %(value)d == 13)       /* nb_int, nb_index */
        return HPyLong_FromLong(ctx, %(value)d);
    if (%(value)d == 11)                          /* nb_float */
        return HPyFloat_FromDouble(ctx, %(value)d + 0.5);
    return HPy_BuildValue(ctx, "sO", "%(short)s", a);
}''',
    'BINARYFUNC': '''static HPy %(sym)s_impl(HPyContext *ctx, HPy a, HPy b)
{
    return HPy_BuildValue(ctx, "sOO", "%(short)s", a, b);
}''',
    'TERNARYFUNC': '''static HPy %(sym)s_impl(HPyContext *ctx, HPy a, HPy b, HPy c)
{
    return HPy_BuildValue(ctx, "sOOO", "%(short)s", a, OR_NONE(b), OR_NONE(c));
}''',
    'INQUIRY': '''static int %(sym)s_impl(HPyContext *ctx, HPy a)
{
    record(ctx, HPy_BuildValue(ctx, "sO", "%(short)s", a));
    return 0;
}''',
    'LENFUNC': '''static HPy_ssize_t %(sym)s_impl(HPyContext *ctx, HPy a)
{
    (void)ctx; (void)a;
    return %(value)d;
}''',
    'SSIZEARGFUNC': '''static HPy %(sym)s_impl(HPyContext *ctx, HPy a, HPy_ssize_t i)
{
    return HPy_BuildValue(ctx, "sOn", "%(short)s", a, i);
}''',
    'SSIZEOBJARGPROC': '''static int %(sym)s_impl(HPyContext *ctx, HPy a, HPy_ssize_t i, HPy v)
{
    record(ctx, HPy_BuildValue(ctx, "sOnO", "%(short)s", a, i, OR_NONE(v)));
    return 0;
}''',
    'OBJOBJARGPROC': '''static int %(sym)s_impl(HPyContext *ctx, HPy a, HPy k, HPy v)
{
    record(ctx, HPy_BuildValue(ctx, "sOOO", "%(short)s", a, k, OR_NONE(v)));
    return 0;
}''',
    'OBJOBJPROC': '''static int %(sym)s_impl(HPyContext *ctx, HPy a, HPy k)
{
    record(ctx, HPy_BuildValue(ctx, "sOO", "%(short)s", a, k));
    return 1;
}''',
    'HASHFUNC': '''static HPy_hash_t %(sym)s_impl(HPyContext *ctx, HPy a)
{
    (void)ctx; (void)a;
    return 12345;
}''',
    'REPRFUNC': '''static HPy %(sym)s_impl(HPyContext *ctx, HPy a)
{
    (void)a;
    return HPyUnicode_FromString(ctx, "<%(short)s>");
}''',
    'RICHCMPFUNC': '''static HPy %(sym)s_impl(HPyContext *ctx, HPy a, HPy b, HPy_RichCmpOp op)
{
    return HPy_BuildValue(ctx, "sOOi", "%(short)s", a, b, (int)op);
}''',
}

PRELUDE = '''
static HPyGlobal last_call;
#define OR_NONE(h) (HPy_IsNull(h) ? ctx->h_None : (h))
static void record(HPyContext *ctx, HPy value)
{
    HPyGlobal_Store(ctx, &last_call, value);
    HPy_Close(ctx, value);
}
HPyDef_METH(last, "last", HPyFunc_NOARGS)
static HPy last_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyGlobal_Load(ctx, last_call);
}
'''


def generic_slots():
    return [s for s in SLOTS if s['name'] not in SPECIAL]


def slots_module_source():
    src = PRELUDE
    groups = {'Num': [], 'Map': [], 'Seq': [], 'Misc': []}
    for s in generic_slots():
        name = s['name']
        sym = 's_' + name[4:]
        short = name[4:]
        src += 'HPyDef_SLOT(%s, %s)\n' % (sym, name)
        src += IMPLS[s['sig']] % {'sym': sym, 'short': short, 'value': int(s['value'])} + '\n'
        groups[slot_group(name)].append(sym)
    types = []
    for g, syms in groups.items():
        src += 'static HPyDef *%s_defines[] = { %s, NULL };\n' % (g, ', '.join('&' + x for x in syms))
        src += ('static HPyType_Spec %s_spec = { .name = "mytest.%s", .flags = HPy_TPFLAGS_DEFAULT '
                '| HPy_TPFLAGS_BASETYPE, .defines = %s_defines };\n' % (g, g, g))
        types.append((g, '%s_spec' % g))
    src += '@EXPORT(last)\n@INIT\n'
    return with_types(src, *types)


# How Python reaches each generic slot, and what it gets. `x` is an instance of the slot's type.
def check_number(mod):
    Num = mod.Num
    x, y = Num(), Num()
    binary = {'add': operator.add, 'and': operator.and_, 'divmod': divmod,
              'floor_divide': operator.floordiv, 'lshift': operator.lshift,
              'multiply': operator.mul, 'or': operator.or_, 'remainder': operator.mod,
              'rshift': operator.rshift, 'subtract': operator.sub,
              'true_divide': operator.truediv, 'xor': operator.xor,
              'matrix_multiply': operator.matmul}
    seen = set()
    for name, op in binary.items():
        assert op(x, 7) == ('nb_' + name, x, 7), name
        assert op(7, x) == ('nb_' + name, 7, x), name       # the reflected operation
        seen.add('nb_' + name)
    inplace = {'add': operator.iadd, 'and': operator.iand, 'floor_divide': operator.ifloordiv,
               'lshift': operator.ilshift, 'multiply': operator.imul, 'or': operator.ior,
               'remainder': operator.imod, 'rshift': operator.irshift,
               'subtract': operator.isub, 'true_divide': operator.itruediv,
               'xor': operator.ixor, 'matrix_multiply': operator.imatmul}
    for name, op in inplace.items():
        assert op(x, y) == ('nb_inplace_' + name, x, y), name
        seen.add('nb_inplace_' + name)
    assert pow(x, 2) == ('nb_power', x, 2, None)
    assert pow(x, 2, 5) == ('nb_power', x, 2, 5)
    assert pow(3, x) == ('nb_power', 3, x, None)
    z = x
    z **= 3
    assert z == ('nb_inplace_power', x, 3, None)
    seen |= {'nb_power', 'nb_inplace_power'}
    assert -x == ('nb_negative', x)
    assert +x == ('nb_positive', x)
    assert abs(x) == ('nb_absolute', x)
    assert ~x == ('nb_invert', x)
    assert int(x) == 26
    assert operator.index(x) == 13 and [0, 1][x:] == []
    assert float(x) == 11.5
    assert bool(x) is False and mod.last() == ('nb_bool', x)
    seen |= {'nb_negative', 'nb_positive', 'nb_absolute', 'nb_invert', 'nb_int', 'nb_index',
             'nb_float', 'nb_bool'}
    return seen


def check_mapping(mod):
    m = mod.Map()
    assert len(m) == 4
    assert m['key'] == ('mp_subscript', m, 'key')
    m['k'] = 'v'
    assert mod.last() == ('mp_ass_subscript', m, 'k', 'v')
    del m['k2']
    assert mod.last() == ('mp_ass_subscript', m, 'k2', None)
    return {'mp_length', 'mp_subscript', 'mp_ass_subscript'}


def check_sequence(mod):
    s = mod.Seq()
    other = mod.Seq()
    assert len(s) == 45
    assert s[3] == ('sq_item', s, 3)
    assert s[-1] == ('sq_item', s, 44)        # negative indexes are adjusted with sq_length
    s[2] = 'v'
    assert mod.last() == ('sq_ass_item', s, 2, 'v')
    del s[5]
    assert mod.last() == ('sq_ass_item', s, 5, None)
    assert s + other == ('sq_concat', s, other)
    assert s * 3 == ('sq_repeat', s, 3)
    assert 3 * s == ('sq_repeat', s, 3)
    t = s
    t += other
    assert t == ('sq_inplace_concat', s, other)
    t = s
    t *= 4
    assert t == ('sq_inplace_repeat', s, 4)
    assert ('x' in s) is True and mod.last() == ('sq_contains', s, 'x')
    return {'sq_length', 'sq_item', 'sq_ass_item', 'sq_concat', 'sq_repeat',
            'sq_inplace_concat', 'sq_inplace_repeat', 'sq_contains'}


def check_misc(mod):
    Misc = mod.Misc
    o, p = Misc(), Misc()
    assert repr(o) == '<tp_repr>'
    assert str(o) == '<tp_str>'
    assert hash(o) == 12345
    ops = [(operator.lt, 0), (operator.le, 1), (operator.eq, 2), (operator.ne, 3),
           (operator.gt, 4), (operator.ge, 5)]
    for op, code in ops:
        assert op(o, p) == ('tp_richcompare', o, p, code)

    class Owner:
        attr = Misc()
    owner = Owner()
    descr = Owner.__dict__['attr']
    assert owner.attr == ('tp_descr_get', descr, owner, Owner)
    assert Owner.attr == ('tp_descr_get', descr, None, Owner)
    return {'tp_repr', 'tp_str', 'tp_hash', 'tp_richcompare', 'tp_descr_get'}


def test_every_generic_slot(compile_module):
    mod = compile_module(slots_module_source())
    seen = check_number(mod) | check_mapping(mod) | check_sequence(mod) | check_misc(mod)
    assert seen == {s['name'][4:] for s in generic_slots()}


def test_slots_are_inherited_by_python_subclasses(compile_module):
    mod = compile_module(slots_module_source())

    class Sub(mod.Num):
        pass
    s = Sub()
    assert s + 1 == ('nb_add', s, 1)
    assert -s == ('nb_negative', s)

    class SubMisc(mod.Misc):
        def __repr__(self):
            return 'overridden'
    m = SubMisc()
    assert repr(m) == 'overridden' and str(m) == '<tp_str>' and hash(m) == 12345


def test_all_slots_are_covered():
    """The slots tested elsewhere, plus those of test_every_generic_slot, are all of them."""
    names = {s['name'] for s in SLOTS}
    assert SPECIAL <= names
    assert {s['sig'] for s in generic_slots()} <= set(IMPLS)


# ---- tp_new and tp_init ---------------------------------------------------------------------

def test_new_and_init(compile_module):
    mod = compile_module(with_types('''
        typedef struct { HPyField args; HPyField kw; long inits; } RecObject;
        HPyType_HELPERS(RecObject)
        HPyDef_SLOT(Rec_new, HPy_tp_new)
        static HPy Rec_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
        {
            RecObject *data;
            HPy h = HPy_New(ctx, cls, &data);
            if (HPy_IsNull(h))
                return HPy_NULL;
            HPy t = HPyTuple_FromArray(ctx, args, nargs);
            HPyField_Store(ctx, h, &data->args, t);
            HPy_Close(ctx, t);
            HPyField_Store(ctx, h, &data->kw, HPy_IsNull(kw) ? ctx->h_None : kw);
            return h;
        }
        HPyDef_SLOT(Rec_init, HPy_tp_init)
        static int Rec_init_impl(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, HPy kw)
        {
            RecObject *data = RecObject_AsStruct(ctx, self);
            if (nargs > 0 && HPy_Is(ctx, args[0], ctx->h_False)) {
                HPyErr_SetString(ctx, ctx->h_ValueError, "init refused");
                return -1;
            }
            if (!HPy_IsNull(kw) && HPy_Length(ctx, kw) != 0 && nargs == 0)
                data->inits += 100;
            data->inits++;
            return 0;
        }
        HPyDef_SLOT(Rec_traverse, HPy_tp_traverse)
        static int Rec_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
        {
            HPy_VISIT(&((RecObject *)self)->args);
            HPy_VISIT(&((RecObject *)self)->kw);
            return 0;
        }
        HPyDef_MEMBER(Rec_args, "args", HPyMember_OBJECT, offsetof(RecObject, args), .readonly = 1)
        HPyDef_MEMBER(Rec_kw, "kw", HPyMember_OBJECT, offsetof(RecObject, kw), .readonly = 1)
        HPyDef_MEMBER(Rec_inits, "inits", HPyMember_LONG, offsetof(RecObject, inits), .readonly = 1)
        static HPyDef *Rec_defines[] = { &Rec_new, &Rec_init, &Rec_traverse, &Rec_args, &Rec_kw,
                                         &Rec_inits, NULL };
        static HPyType_Spec Rec_spec = {
            .name = "mytest.Rec", .basicsize = sizeof(RecObject),
            .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
            .defines = Rec_defines,
        };
        @INIT
    ''', ('Rec', 'Rec_spec')))
    r = mod.Rec()
    assert (r.args, r.kw, r.inits) == ((), None, 1)
    r = mod.Rec(1, 'two', three=3)
    assert (r.args, r.kw, r.inits) == ((1, 'two'), {'three': 3}, 1)
    r = mod.Rec(a=1)
    assert r.inits == 101
    r.__init__()
    assert r.inits == 102
    with pytest.raises(ValueError, match='init refused'):
        mod.Rec(False)

    class Sub(mod.Rec):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            self.sub = True
    s = Sub(5)
    assert (s.args, s.inits, s.sub) == ((5,), 1, True)
    assert type(s) is Sub


# ---- buffer protocol ------------------------------------------------------------------------

def test_buffer_protocol(compile_module):
    mod = compile_module(with_types('''
        typedef struct {
            char data[16];
            HPy_ssize_t shape[1];
            long exports;
            long releases;
        } BufObject;
        HPyType_HELPERS(BufObject)
        HPyDef_SLOT(Buf_new, HPy_tp_new)
        static HPy Buf_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
        {
            const char *s;
            BufObject *data;
            (void)kw;
            if (!HPyArg_Parse(ctx, NULL, args, nargs, "s", &s))
                return HPy_NULL;
            HPy h = HPy_New(ctx, cls, &data);
            if (HPy_IsNull(h))
                return HPy_NULL;
            strncpy(data->data, s, sizeof(data->data) - 1);
            return h;
        }
        HPyDef_SLOT(Buf_getbuffer, HPy_bf_getbuffer)
        static int Buf_getbuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view, int flags)
        {
            BufObject *data = BufObject_AsStruct(ctx, self);
            if (flags & 0x0001) {                         /* PyBUF_WRITABLE */
                HPyErr_SetString(ctx, ctx->h_BufferError, "read-only buffer");
                return -1;
            }
            data->shape[0] = (HPy_ssize_t)strlen(data->data);
            view->buf = data->data;
            view->obj = HPy_Dup(ctx, self);
            view->len = data->shape[0];
            view->itemsize = 1;
            view->readonly = 1;
            view->ndim = 1;
            view->format = (flags & 0x0004) ? (char *)"B" : NULL;     /* PyBUF_FORMAT */
            view->shape = data->shape;
            view->strides = NULL;
            view->suboffsets = NULL;
            view->internal = NULL;
            data->exports++;
            return 0;
        }
        HPyDef_SLOT(Buf_releasebuffer, HPy_bf_releasebuffer)
        static void Buf_releasebuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view)
        {
            BufObject *data = BufObject_AsStruct(ctx, self);
            if (view->buf == data->data && HPy_Is(ctx, view->obj, self))
                data->releases++;
        }
        HPyDef_METH(Buf_counts, "counts", HPyFunc_NOARGS)
        static HPy Buf_counts_impl(HPyContext *ctx, HPy self)
        {
            BufObject *data = BufObject_AsStruct(ctx, self);
            return HPy_BuildValue(ctx, "ll", data->exports, data->releases);
        }
        static HPyDef *Buf_defines[] = { &Buf_new, &Buf_getbuffer, &Buf_releasebuffer,
                                         &Buf_counts, NULL };
        static HPyType_Spec Buf_spec = {
            .name = "mytest.Buf", .basicsize = sizeof(BufObject), .defines = Buf_defines,
        };
        @INIT
    ''', ('Buf', 'Buf_spec')))
    b = mod.Buf('hello')
    with memoryview(b) as mv:
        assert mv.tobytes() == b'hello'
        assert mv.readonly and mv.format == 'B' and mv.shape == (5,) and mv.obj is b
        assert b.counts() == (1, 0)
    release_views()
    assert b.counts() == (1, 1)
    assert bytes(b) == b'hello'
    release_views()
    assert b.counts() == (2, 2)
    r, w = os.pipe()
    try:
        # asks for a writable buffer (PyPy's os.readv refuses a read-only one itself)
        with pytest.raises(BufferError if CPYTHON else TypeError,
                           match='read-only buffer' if CPYTHON else 'read-write'):
            os.readv(r, [b])
    finally:
        os.close(r)
        os.close(w)
    assert b.counts() == (2, 2)
    mv = memoryview(b)
    del b
    assert mv.tobytes() == b'hello'
    mv.release()
