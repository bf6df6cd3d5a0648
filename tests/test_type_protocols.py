"""The slots of ABI minor 2 (docs/type-slots.md): iteration (HPy_tp_iter, HPy_tp_iternext),
attribute access (HPy_tp_getattro, HPy_tp_setattro), descriptors' __set__/__delete__
(HPy_tp_descr_set) and the async protocol (HPy_am_await, HPy_am_aiter, HPy_am_anext), reached
through the Python syntax that uses them, in every ABI; a module using one of them declares
minor 2 and an older runtime refuses it at load time."""
import pytest

from type_helpers import with_types

# ---- iteration --------------------------------------------------------------------------------

ITER_SOURCE = with_types('''
    /* Count(n[, fail_at]): an iterator over 0..n-1; at fail_at (if >= 0) it raises ValueError.
     * It ends by returning HPy_NULL without an exception, or, when n is negative, by raising
     * StopIteration itself after -n items. */
    typedef struct { long i, n, fail_at; } CountObject;
    HPyType_HELPERS(CountObject)

    HPyDef_SLOT(Count_new, HPy_tp_new)
    static HPy Count_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        long n, fail_at = -1;
        CountObject *c;
        (void)kw;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "l|l", &n, &fail_at))
            return HPy_NULL;
        HPy h = HPy_New(ctx, cls, &c);
        if (HPy_IsNull(h))
            return HPy_NULL;
        c->i = 0;
        c->n = n;
        c->fail_at = fail_at;
        return h;
    }

    HPyDef_SLOT(Count_iter, HPy_tp_iter)
    static HPy Count_iter_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Dup(ctx, self);
    }

    HPyDef_SLOT(Count_iternext, HPy_tp_iternext)
    static HPy Count_iternext_impl(HPyContext *ctx, HPy self)
    {
        CountObject *c = CountObject_AsStruct(ctx, self);
        if (c->i == c->fail_at)
            return HPyErr_SetString(ctx, ctx->h_ValueError, "count failed");
        if (c->n < 0 && c->i == -c->n) {
            HPyErr_SetObject(ctx, ctx->h_StopIteration, ctx->h_None);
            return HPy_NULL;
        }
        if (c->n >= 0 && c->i >= c->n)
            return HPy_NULL;              /* the end: no exception */
        return HPyLong_FromLong(ctx, c->i++);
    }

    static HPyDef *Count_defines[] = { &Count_new, &Count_iter, &Count_iternext, NULL };
    static HPyType_Spec Count_spec = {
        .name = "mytest.Count", .basicsize = sizeof(CountObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, .defines = Count_defines,
    };

    /* Bag(n): an iterable (not an iterator) whose tp_iter makes a new Count. */
    typedef struct { long n; } BagObject;
    HPyType_HELPERS(BagObject)
    static HPyGlobal count_type;

    HPyDef_SLOT(Bag_new, HPy_tp_new)
    static HPy Bag_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        long n;
        BagObject *b;
        (void)kw;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "l", &n))
            return HPy_NULL;
        HPy h = HPy_New(ctx, cls, &b);
        if (!HPy_IsNull(h))
            b->n = n;
        return h;
    }

    HPyDef_SLOT(Bag_iter, HPy_tp_iter)
    static HPy Bag_iter_impl(HPyContext *ctx, HPy self)
    {
        HPy n = HPyLong_FromLong(ctx, BagObject_AsStruct(ctx, self)->n);
        HPy type = HPyGlobal_Load(ctx, count_type);
        HPy it = HPy_Call(ctx, type, &n, 1, HPy_NULL);
        HPy_Close(ctx, type);
        HPy_Close(ctx, n);
        return it;
    }

    static HPyDef *Bag_defines[] = { &Bag_new, &Bag_iter, NULL };
    static HPyType_Spec Bag_spec = {
        .name = "mytest.Bag", .basicsize = sizeof(BagObject), .defines = Bag_defines,
    };

    /* next_of(it): HPyIter_Next, HPy_NULL without an exception read as Ellipsis */
    HPyDef_METH(next_of, "next_of", HPyFunc_O)
    static HPy next_of_impl(HPyContext *ctx, HPy self, HPy it)
    {
        (void)self;
        HPy r = HPyIter_Next(ctx, it);
        if (HPy_IsNull(r) && !HPyErr_Occurred(ctx))
            return HPy_Dup(ctx, ctx->h_Ellipsis);
        return r;
    }

    HPyDef_SLOT(keep_count_type, HPy_mod_exec)
    static int keep_count_type_impl(HPyContext *ctx, HPy m)
    {
        HPy t = HPy_GetAttr_s(ctx, m, "Count");
        if (HPy_IsNull(t))
            return -1;
        HPyGlobal_Store(ctx, &count_type, t);
        HPy_Close(ctx, t);
        return 0;
    }
    @EXPORT(next_of)
    @INIT
''', ('Count', 'Count_spec'), ('Bag', 'Bag_spec')).replace(
    '@INIT', '@EXPORT(keep_count_type)\n@INIT')      # after the exec slot that adds the types


def test_iterator_in_for_loops_and_next(compile_module):
    mod = compile_module(ITER_SOURCE)
    c = mod.Count(3)
    assert iter(c) is c
    assert [x for x in c] == [0, 1, 2]
    assert list(c) == []                          # exhausted, and stays so
    with pytest.raises(StopIteration):
        next(c)
    assert next(c, 'end') == 'end'
    c = mod.Count(4)
    assert (next(c), next(c)) == (0, 1)
    assert list(c) == [2, 3]
    assert sum(mod.Count(5)) == 10 and 3 in mod.Count(5) and 9 not in mod.Count(5)
    assert list(zip(mod.Count(2), 'abc')) == [(0, 'a'), (1, 'b')]
    assert mod.next_of(mod.Count(1)) == 0
    assert mod.next_of(mod.Count(0)) is ...


def test_iterator_raising_stop_iteration(compile_module):
    mod = compile_module(ITER_SOURCE)
    assert list(mod.Count(-2)) == [0, 1]
    c = mod.Count(-1)
    assert next(c) == 0
    with pytest.raises(StopIteration) as e:
        next(c)
    assert e.value.value is None
    assert mod.next_of(mod.Count(-0)) is ...      # n == 0: HPy_NULL without an exception


def test_iterator_errors_propagate(compile_module):
    mod = compile_module(ITER_SOURCE)
    seen = []
    with pytest.raises(ValueError, match='count failed'):
        for x in mod.Count(10, 2):
            seen.append(x)
    assert seen == [0, 1]
    with pytest.raises(ValueError, match='count failed'):
        list(mod.Count(10, 0))
    c = mod.Count(5, 1)
    assert next(c) == 0
    with pytest.raises(ValueError, match='count failed'):
        next(c)
    with pytest.raises(ValueError, match='count failed'):
        mod.next_of(c)
    with pytest.raises(TypeError):
        mod.Count('x')


def test_iterable_with_a_new_iterator(compile_module):
    mod = compile_module(ITER_SOURCE)
    b = mod.Bag(3)
    it = iter(b)
    assert type(it) is mod.Count and it is not b
    assert list(b) == [0, 1, 2] and list(b) == [0, 1, 2]      # a fresh iterator each time
    assert sorted(b, reverse=True) == [2, 1, 0]
    with pytest.raises(TypeError):
        next(b)                                   # not an iterator itself


def test_python_subclass_of_an_iterator(compile_module):
    mod = compile_module(ITER_SOURCE)

    class Doubled(mod.Count):
        def __next__(self):
            return 2 * super().__next__()
    assert list(Doubled(3)) == [0, 2, 4]

    class Plain(mod.Count):
        pass
    assert list(Plain(2)) == [0, 1]


# ---- attribute access -----------------------------------------------------------------------

ATTR_SOURCE = with_types('''
    /* Record: attributes kept in a dict (an HPyField); names starting with "no_" cannot be set;
     * "computed" is computed; a log of the setattro calls (deletions as None). */
    typedef struct { HPyField attrs; HPyField log; } RecordObject;
    HPyType_HELPERS(RecordObject)

    HPyDef_SLOT(Record_new, HPy_tp_new)
    static HPy Record_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs,
                               HPy kw)
    {
        RecordObject *r;
        (void)args; (void)nargs; (void)kw;
        HPy h = HPy_New(ctx, cls, &r);
        if (HPy_IsNull(h))
            return HPy_NULL;
        HPy d = HPyDict_New(ctx), l = HPyList_New(ctx, 0);
        HPyField_Store(ctx, h, &r->attrs, d);
        HPyField_Store(ctx, h, &r->log, l);
        HPy_Close(ctx, d);
        HPy_Close(ctx, l);
        return h;
    }

    HPyDef_SLOT(Record_getattro, HPy_tp_getattro)
    static HPy Record_getattro_impl(HPyContext *ctx, HPy self, HPy name)
    {
        RecordObject *r = RecordObject_AsStruct(ctx, self);
        HPy computed = HPyUnicode_FromString(ctx, "computed");
        int is_computed = HPy_RichCompareBool(ctx, name, computed, HPy_EQ);
        HPy_Close(ctx, computed);
        if (is_computed)
            return HPy_BuildValue(ctx, "(sO)", "computed", name);
        if (HPyUnicode_Check(ctx, name)) {
            HPy key = HPyUnicode_FromString(ctx, "log");
            int is_log = HPy_RichCompareBool(ctx, name, key, HPy_EQ);
            HPy_Close(ctx, key);
            if (is_log)
                return HPyField_Load(ctx, self, r->log);
        }
        HPy attrs = HPyField_Load(ctx, self, r->attrs);
        HPy v = HPy_Contains(ctx, attrs, name) > 0 ? HPy_GetItem(ctx, attrs, name) : HPy_NULL;
        HPy_Close(ctx, attrs);
        if (HPy_IsNull(v) && !HPyErr_Occurred(ctx))
            HPyErr_SetObject(ctx, ctx->h_AttributeError, name);
        return v;
    }

    HPyDef_SLOT(Record_setattro, HPy_tp_setattro)
    static int Record_setattro_impl(HPyContext *ctx, HPy self, HPy name, HPy value)
    {
        RecordObject *r = RecordObject_AsStruct(ctx, self);
        HPy log = HPyField_Load(ctx, self, r->log);
        HPy entry = HPy_BuildValue(ctx, "(OO)", name, HPy_IsNull(value) ? ctx->h_None : value);
        HPyList_Append(ctx, log, entry);
        HPy_Close(ctx, entry);
        HPy_Close(ctx, log);
        const char *s = HPyUnicode_AsUTF8AndSize(ctx, name, NULL);
        if (s == NULL)
            return -1;
        if (strncmp(s, "no_", 3) == 0) {
            HPyErr_Format(ctx, ctx->h_AttributeError, "'%s' is read-only", s);
            return -1;
        }
        HPy attrs = HPyField_Load(ctx, self, r->attrs);
        int res;
        if (HPy_IsNull(value)) {                  /* del obj.name */
            res = HPy_Contains(ctx, attrs, name) > 0 ? HPy_DelItem(ctx, attrs, name) : -1;
            if (res < 0 && !HPyErr_Occurred(ctx))
                HPyErr_SetObject(ctx, ctx->h_AttributeError, name);
        }
        else {
            res = HPy_SetItem(ctx, attrs, name, value);
        }
        HPy_Close(ctx, attrs);
        return res;
    }

    HPyDef_SLOT(Record_traverse, HPy_tp_traverse)
    static int Record_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        HPy_VISIT(&((RecordObject *)self)->attrs);
        HPy_VISIT(&((RecordObject *)self)->log);
        return 0;
    }

    static HPyDef *Record_defines[] = { &Record_new, &Record_getattro, &Record_setattro,
                                        &Record_traverse, NULL };
    static HPyType_Spec Record_spec = {
        .name = "mytest.Record", .basicsize = sizeof(RecordObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
        .defines = Record_defines,
    };

    /* Field: a data descriptor (tp_descr_get and tp_descr_set) storing per-owner values in a
     * dict keyed by the instance; a log of the tp_descr_set calls. */
    typedef struct { HPyField values; HPyField log; } FieldObject;
    HPyType_HELPERS(FieldObject)

    HPyDef_SLOT(Field_new, HPy_tp_new)
    static HPy Field_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
    {
        FieldObject *f;
        (void)args; (void)nargs; (void)kw;
        HPy h = HPy_New(ctx, cls, &f);
        if (HPy_IsNull(h))
            return HPy_NULL;
        HPy d = HPyDict_New(ctx), l = HPyList_New(ctx, 0);
        HPyField_Store(ctx, h, &f->values, d);
        HPyField_Store(ctx, h, &f->log, l);
        HPy_Close(ctx, d);
        HPy_Close(ctx, l);
        return h;
    }

    HPyDef_SLOT(Field_get, HPy_tp_descr_get)
    static HPy Field_get_impl(HPyContext *ctx, HPy self, HPy obj, HPy type)
    {
        (void)type;
        if (HPy_IsNull(obj) || HPy_Is(ctx, obj, ctx->h_None))
            return HPy_Dup(ctx, self);
        FieldObject *f = FieldObject_AsStruct(ctx, self);
        HPy values = HPyField_Load(ctx, self, f->values);
        HPy v = HPy_Contains(ctx, values, obj) > 0 ? HPy_GetItem(ctx, values, obj) : HPy_NULL;
        HPy_Close(ctx, values);
        if (HPy_IsNull(v) && !HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_AttributeError, "field not set");
        return v;
    }

    HPyDef_SLOT(Field_set, HPy_tp_descr_set)
    static int Field_set_impl(HPyContext *ctx, HPy self, HPy obj, HPy value)
    {
        FieldObject *f = FieldObject_AsStruct(ctx, self);
        HPy log = HPyField_Load(ctx, self, f->log);
        HPy entry = HPy_BuildValue(ctx, "(OO)", obj, HPy_IsNull(value) ? ctx->h_None : value);
        HPyList_Append(ctx, log, entry);
        HPy_Close(ctx, entry);
        HPy_Close(ctx, log);
        if (HPy_Is(ctx, value, ctx->h_False)) {
            HPyErr_SetString(ctx, ctx->h_ValueError, "False refused");
            return -1;
        }
        HPy values = HPyField_Load(ctx, self, f->values);
        int res;
        if (HPy_IsNull(value))                    /* del obj.attr */
            res = HPy_Contains(ctx, values, obj) > 0 ? HPy_DelItem(ctx, values, obj) : 0;
        else
            res = HPy_SetItem(ctx, values, obj, value);
        HPy_Close(ctx, values);
        return res;
    }

    HPyDef_GET(Field_log, "log")
    static HPy Field_log_get(HPyContext *ctx, HPy self, void *closure)
    {
        (void)closure;
        return HPyField_Load(ctx, self, FieldObject_AsStruct(ctx, self)->log);
    }

    HPyDef_SLOT(Field_traverse, HPy_tp_traverse)
    static int Field_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        HPy_VISIT(&((FieldObject *)self)->values);
        HPy_VISIT(&((FieldObject *)self)->log);
        return 0;
    }

    static HPyDef *Field_defines[] = { &Field_new, &Field_get, &Field_set, &Field_log,
                                       &Field_traverse, NULL };
    static HPyType_Spec Field_spec = {
        .name = "mytest.Field", .basicsize = sizeof(FieldObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC, .defines = Field_defines,
    };
    @INIT
''', ('Record', 'Record_spec'), ('Field', 'Field_spec'))


def test_getattro_and_setattro(compile_module):
    mod = compile_module(ATTR_SOURCE)
    r = mod.Record()
    assert r.computed == ('computed', 'computed')
    with pytest.raises(AttributeError) as e:
        r.missing
    assert e.value.args == ('missing',)
    assert getattr(r, 'missing', 42) == 42 and not hasattr(r, 'missing')
    r.x = 1
    setattr(r, 'y', [2])
    assert (r.x, r.y, getattr(r, 'x')) == (1, [2], 1)
    assert hasattr(r, 'x')
    del r.x
    assert not hasattr(r, 'x')
    with pytest.raises(AttributeError) as e:
        del r.x                                   # deletion of what is not there
    assert e.value.args == ('x',)
    with pytest.raises(AttributeError, match="'no_way' is read-only"):
        r.no_way = 3
    delattr(r, 'y')
    assert r.log == [('x', 1), ('y', [2]), ('x', None), ('x', None), ('no_way', 3), ('y', None)]


def test_getattro_and_setattro_in_python_subclasses(compile_module):
    mod = compile_module(ATTR_SOURCE)

    class Sub(mod.Record):
        pass
    s = Sub()
    s.a = 5
    assert s.a == 5 and s.computed == ('computed', 'computed')
    del s.a
    assert s.log == [('a', 5), ('a', None)]

    class Fallback(mod.Record):
        def __getattr__(self, name):              # called after tp_getattro raised
            return 'fallback ' + name
    assert Fallback().nothing == 'fallback nothing'


def test_descr_set_and_delete(compile_module):
    mod = compile_module(ATTR_SOURCE)
    field = mod.Field()

    class Owner:
        attr = field
    o, p = Owner(), Owner()
    assert Owner.attr is field
    o.attr = 10
    p.attr = 'p'
    assert (o.attr, p.attr) == (10, 'p')
    assert 'attr' not in o.__dict__               # a data descriptor wins over the instance dict
    o.__dict__['attr'] = 'shadow'
    assert o.attr == 10
    del o.attr
    with pytest.raises(AttributeError, match='field not set'):
        o.attr
    with pytest.raises(ValueError, match='False refused'):
        o.attr = False
    assert field.log == [(o, 10), (p, 'p'), (o, None), (o, False)]
    setattr(p, 'attr', 'again')
    assert p.attr == 'again'
    field.__set__(p, 'direct')
    assert p.attr == 'direct'
    field.__delete__(p)
    assert field.log[-3:] == [(p, 'again'), (p, 'direct'), (p, None)]


# ---- the async protocol ---------------------------------------------------------------------

ASYNC_SOURCE = with_types('''
    static HPyGlobal stepper_type, waiter_type;

    /* Waiter(result, steps): awaitable; its am_await gives a Stepper that yields
     * ('step', i, last value sent) `steps` times, then returns `result`. */
    typedef struct { HPyField result; long steps; } WaiterObject;
    HPyType_HELPERS(WaiterObject)
    typedef struct { HPyField result; HPyField sent; long i, steps; } StepperObject;
    HPyType_HELPERS(StepperObject)

    HPyDef_SLOT(Waiter_new, HPy_tp_new)
    static HPy Waiter_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs,
                               HPy kw)
    {
        HPy result;
        long steps = 0;
        WaiterObject *w;
        (void)kw;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|l", &result, &steps))
            return HPy_NULL;
        HPy h = HPy_New(ctx, cls, &w);
        if (HPy_IsNull(h))
            return HPy_NULL;
        HPyField_Store(ctx, h, &w->result, result);
        w->steps = steps;
        return h;
    }

    HPyDef_SLOT(Waiter_await, HPy_am_await)
    static HPy Waiter_await_impl(HPyContext *ctx, HPy self)
    {
        WaiterObject *w = WaiterObject_AsStruct(ctx, self);
        if (w->steps < 0)
            return HPyErr_SetString(ctx, ctx->h_RuntimeError, "cannot await this");
        HPy type = HPyGlobal_Load(ctx, stepper_type);
        StepperObject *s;
        HPy h = HPy_New(ctx, type, &s);
        HPy_Close(ctx, type);
        if (HPy_IsNull(h))
            return HPy_NULL;
        HPy result = HPyField_Load(ctx, self, w->result);
        HPyField_Store(ctx, h, &s->result, result);
        HPyField_Store(ctx, h, &s->sent, ctx->h_None);
        HPy_Close(ctx, result);
        s->i = 0;
        s->steps = w->steps;
        return h;
    }

    HPyDef_SLOT(Waiter_traverse, HPy_tp_traverse)
    static int Waiter_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        HPy_VISIT(&((WaiterObject *)self)->result);
        return 0;
    }

    static HPyDef *Waiter_defines[] = { &Waiter_new, &Waiter_await, &Waiter_traverse, NULL };
    static HPyType_Spec Waiter_spec = {
        .name = "mytest.Waiter", .basicsize = sizeof(WaiterObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
        .defines = Waiter_defines,
    };

    static HPy stepper_step(HPyContext *ctx, HPy self, HPy value)
    {
        StepperObject *s = StepperObject_AsStruct(ctx, self);
        HPyField_Store(ctx, self, &s->sent, value);
        if (s->i >= s->steps) {
            HPy result = HPyField_Load(ctx, self, s->result);
            HPy args = HPyTuple_Pack(ctx, 1, result);         /* StopIteration(result) */
            HPyErr_SetObject(ctx, ctx->h_StopIteration, args);
            HPy_Close(ctx, args);
            HPy_Close(ctx, result);
            return HPy_NULL;
        }
        return HPy_BuildValue(ctx, "(slO)", "step", s->i++, value);
    }

    HPyDef_SLOT(Stepper_iter, HPy_tp_iter)
    static HPy Stepper_iter_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Dup(ctx, self);
    }

    HPyDef_SLOT(Stepper_iternext, HPy_tp_iternext)
    static HPy Stepper_iternext_impl(HPyContext *ctx, HPy self)
    {
        return stepper_step(ctx, self, ctx->h_None);
    }

    HPyDef_METH(Stepper_send, "send", HPyFunc_O)
    static HPy Stepper_send_impl(HPyContext *ctx, HPy self, HPy value)
    {
        return stepper_step(ctx, self, value);
    }

    HPyDef_SLOT(Stepper_traverse, HPy_tp_traverse)
    static int Stepper_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        HPy_VISIT(&((StepperObject *)self)->result);
        HPy_VISIT(&((StepperObject *)self)->sent);
        return 0;
    }

    static HPyDef *Stepper_defines[] = { &Stepper_iter, &Stepper_iternext, &Stepper_send,
                                         &Stepper_traverse, NULL };
    static HPyType_Spec Stepper_spec = {
        .name = "mytest.Stepper", .basicsize = sizeof(StepperObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC, .defines = Stepper_defines,
    };

    /* ARange(n): async iterator over 0..n-1 (am_aiter returns itself, am_anext a Waiter of the
     * next value, or raises StopAsyncIteration); n < 0: am_anext fails at the start. */
    typedef struct { long i, n; } ARangeObject;
    HPyType_HELPERS(ARangeObject)

    HPyDef_SLOT(ARange_new, HPy_tp_new)
    static HPy ARange_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs,
                               HPy kw)
    {
        long n;
        ARangeObject *a;
        (void)kw;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "l", &n))
            return HPy_NULL;
        HPy h = HPy_New(ctx, cls, &a);
        if (!HPy_IsNull(h)) {
            a->i = 0;
            a->n = n;
        }
        return h;
    }

    HPyDef_SLOT(ARange_aiter, HPy_am_aiter)
    static HPy ARange_aiter_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Dup(ctx, self);
    }

    HPyDef_SLOT(ARange_anext, HPy_am_anext)
    static HPy ARange_anext_impl(HPyContext *ctx, HPy self)
    {
        ARangeObject *a = ARangeObject_AsStruct(ctx, self);
        if (a->n < 0)
            return HPyErr_SetString(ctx, ctx->h_ValueError, "anext failed");
        if (a->i >= a->n) {
            HPyErr_SetObject(ctx, ctx->h_StopAsyncIteration, ctx->h_None);
            return HPy_NULL;
        }
        HPy value = HPyLong_FromLong(ctx, a->i++);
        HPy type = HPyGlobal_Load(ctx, waiter_type);
        HPy w = HPy_Call(ctx, type, &value, 1, HPy_NULL);
        HPy_Close(ctx, type);
        HPy_Close(ctx, value);
        return w;
    }

    static HPyDef *ARange_defines[] = { &ARange_new, &ARange_aiter, &ARange_anext, NULL };
    static HPyType_Spec ARange_spec = {
        .name = "mytest.ARange", .basicsize = sizeof(ARangeObject), .defines = ARange_defines,
    };

    HPyDef_SLOT(keep_types, HPy_mod_exec)
    static int keep_types_impl(HPyContext *ctx, HPy m)
    {
        HPy s = HPy_GetAttr_s(ctx, m, "Stepper");
        HPy w = HPy_GetAttr_s(ctx, m, "Waiter");
        if (HPy_IsNull(s) || HPy_IsNull(w))
            return -1;
        HPyGlobal_Store(ctx, &stepper_type, s);
        HPyGlobal_Store(ctx, &waiter_type, w);
        HPy_Close(ctx, s);
        HPy_Close(ctx, w);
        return 0;
    }
    @INIT
''', ('Waiter', 'Waiter_spec'), ('Stepper', 'Stepper_spec'), ('ARange', 'ARange_spec')).replace(
    '@INIT', '@EXPORT(keep_types)\n@INIT')     # after the exec slot that adds the types


def run_coroutine(coro, to_send=()):
    """Drive coro by hand: the values it yields, and what it returns."""
    yielded = []
    to_send = list(to_send)
    value = None
    while True:
        try:
            yielded.append(coro.send(value))
        except StopIteration as e:
            return yielded, e.value
        value = to_send.pop(0) if to_send else None


def test_await(compile_module):
    mod = compile_module(ASYNC_SOURCE)

    async def wait(awaitable):
        return await awaitable
    assert run_coroutine(wait(mod.Waiter('done'))) == ([], 'done')
    assert run_coroutine(wait(mod.Waiter(('a', 'tuple'), 2))) == \
        ([('step', 0, None), ('step', 1, None)], ('a', 'tuple'))
    # values sent into the coroutine reach the iterator's send()
    assert run_coroutine(wait(mod.Waiter(7, 3)), ['x', 'y']) == \
        ([('step', 0, None), ('step', 1, 'x'), ('step', 2, 'y')], 7)
    it = mod.Waiter(1, 1).__await__()
    assert type(it) is mod.Stepper and iter(it) is it
    assert next(it) == ('step', 0, None)
    with pytest.raises(StopIteration) as e:
        next(it)
    assert e.value.value == 1
    with pytest.raises(RuntimeError, match='cannot await this'):
        run_coroutine(wait(mod.Waiter(1, -1)))


def test_await_in_python_subclass_and_generator_protocol(compile_module):
    mod = compile_module(ASYNC_SOURCE)

    class Sub(mod.Waiter):
        pass

    async def wait_both(a, b):
        return (await a, await b)
    assert run_coroutine(wait_both(Sub('s', 1), mod.Waiter('w'))) == \
        ([('step', 0, None)], ('s', 'w'))
    coro = wait_both(mod.Waiter(1, 5), mod.Waiter(2))
    assert coro.send(None) == ('step', 0, None)
    with pytest.raises(KeyError):
        coro.throw(KeyError('thrown'))             # the iterator has no throw(): raised in place
    coro = wait_both(mod.Waiter(1, 5), mod.Waiter(2))
    assert coro.send(None) == ('step', 0, None)
    coro.close()


def test_async_iteration(compile_module):
    mod = compile_module(ASYNC_SOURCE)

    async def collect(aiterable):
        return [x async for x in aiterable]
    assert run_coroutine(collect(mod.ARange(3))) == ([], [0, 1, 2])
    assert run_coroutine(collect(mod.ARange(0))) == ([], [])
    a = mod.ARange(1)
    assert a.__aiter__() is a
    w = a.__anext__()
    assert type(w) is mod.Waiter
    assert run_coroutine(collect(a)) == ([], [])          # its one item was taken above
    with pytest.raises(ValueError, match='anext failed'):
        run_coroutine(collect(mod.ARange(-1)))

    async def first(aiterable):
        async for x in aiterable:
            return x
    assert run_coroutine(first(mod.ARange(5))) == ([], 0)
