/* capi_symx: a tiny symbolic-expression library, the C-API side of the real-style workload of the
 * benchmarks (bench/README.md). Same types, algorithm and results as hpy_symx.c (read its header
 * for the library), written the way C-API code usually is: types kept in static pointers,
 * borrowed references from tuples, the tuple macros.
 *
 * Keep the two files in step: tests/test_symx.py checks that they agree, in every ABI. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>     /* offsetof: Python.h of 3.14 and later no longer includes it */
#if PY_VERSION_HEX < 0x030C0000
#include <structmember.h>
#define Py_T_OBJECT_EX T_OBJECT_EX
#define Py_T_DOUBLE T_DOUBLE
#define Py_READONLY READONLY
#endif

enum { OP_LE, OP_GE, OP_EQ };

typedef struct {
    PyObject_HEAD
    PyObject *name;
} VarObject;

typedef struct {
    PyObject_HEAD
    PyObject *var;
    double coef;
} TermObject;

typedef struct {
    PyObject_HEAD
    PyObject *terms;    /* a tuple of Term */
    double constant;
} ExprObject;

typedef struct {
    PyObject_HEAD
    PyObject *expr;     /* the constraint is: expr <op> 0 */
    int op;
} ConstraintObject;

static PyTypeObject *Var_type, *Term_type, *Expr_type, *Constraint_type;

/* ---- helpers ------------------------------------------------------------------------------- */

static int is_number(PyObject *o)
{
    return PyObject_TypeCheck(o, &PyFloat_Type) || PyObject_TypeCheck(o, &PyLong_Type);
}

static PyObject *not_implemented(void)
{
    Py_INCREF(Py_NotImplemented);
    return Py_NotImplemented;
}

static PyObject *new_term(PyObject *var, double coef)
{
    TermObject *t = (TermObject *)Term_type->tp_alloc(Term_type, 0);
    if (t == NULL)
        return NULL;
    Py_INCREF(var);
    t->var = var;
    t->coef = coef;
    return (PyObject *)t;
}

static PyObject *new_expr(PyObject *terms, double constant)
{
    ExprObject *e = (ExprObject *)Expr_type->tp_alloc(Expr_type, 0);
    if (e == NULL)
        return NULL;
    Py_INCREF(terms);
    e->terms = terms;
    e->constant = constant;
    return (PyObject *)e;
}

static PyObject *new_constraint(PyObject *expr, int op)
{
    ConstraintObject *c = (ConstraintObject *)Constraint_type->tp_alloc(Constraint_type, 0);
    if (c == NULL)
        return NULL;
    Py_INCREF(expr);
    c->expr = expr;
    c->op = op;
    return (PyObject *)c;
}

/* an Expr of the one term */
static PyObject *expr_of_term(PyObject *term)
{
    PyObject *terms = PyTuple_Pack(1, term);
    if (terms == NULL)
        return NULL;
    PyObject *r = new_expr(terms, 0.0);
    Py_DECREF(terms);
    return r;
}

/* *out = o as a new Expr: 1; o is no symbolic value nor number: 0; error: -1 */
static int to_expr(PyObject *o, PyObject **out)
{
    if (PyObject_TypeCheck(o, Expr_type)) {
        Py_INCREF(o);
        *out = o;
        return 1;
    }
    if (PyObject_TypeCheck(o, Term_type)) {
        *out = expr_of_term(o);
        return *out == NULL ? -1 : 1;
    }
    if (PyObject_TypeCheck(o, Var_type)) {
        PyObject *term = new_term(o, 1.0);
        if (term == NULL)
            return -1;
        *out = expr_of_term(term);
        Py_DECREF(term);
        return *out == NULL ? -1 : 1;
    }
    if (is_number(o)) {
        double v = PyFloat_AsDouble(o);
        if (v == -1.0 && PyErr_Occurred())
            return -1;
        PyObject *empty = PyTuple_New(0);
        if (empty == NULL)
            return -1;
        *out = new_expr(empty, v);
        Py_DECREF(empty);
        return *out == NULL ? -1 : 1;
    }
    return 0;
}

/* k * expr: a new Expr of new Terms */
static PyObject *scale_expr(PyObject *expr, double k)
{
    ExprObject *e = (ExprObject *)expr;
    Py_ssize_t n = PyTuple_GET_SIZE(e->terms);
    PyObject *new_terms = PyTuple_New(n);
    if (new_terms == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        TermObject *t = (TermObject *)PyTuple_GET_ITEM(e->terms, i);
        PyObject *scaled = new_term(t->var, t->coef * k);
        if (scaled == NULL) {
            Py_DECREF(new_terms);
            return NULL;
        }
        PyTuple_SET_ITEM(new_terms, i, scaled);
    }
    PyObject *r = new_expr(new_terms, e->constant * k);
    Py_DECREF(new_terms);
    return r;
}

/* a + b for two Exprs: the terms of a, then those of b */
static PyObject *add_exprs(PyObject *a, PyObject *b)
{
    ExprObject *ea = (ExprObject *)a, *eb = (ExprObject *)b;
    Py_ssize_t na = PyTuple_GET_SIZE(ea->terms), nb = PyTuple_GET_SIZE(eb->terms);
    PyObject *terms = PyTuple_New(na + nb);
    if (terms == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < na + nb; i++) {
        PyObject *item = i < na ? PyTuple_GET_ITEM(ea->terms, i)
                                : PyTuple_GET_ITEM(eb->terms, i - na);
        Py_INCREF(item);
        PyTuple_SET_ITEM(terms, i, item);
    }
    PyObject *r = new_expr(terms, ea->constant + eb->constant);
    Py_DECREF(terms);
    return r;
}

/* a - b for two Exprs */
static PyObject *subtract_exprs(PyObject *a, PyObject *b)
{
    PyObject *neg = scale_expr(b, -1.0);
    if (neg == NULL)
        return NULL;
    PyObject *r = add_exprs(a, neg);
    Py_DECREF(neg);
    return r;
}

/* k * o for a Var, Term or Expr o; NotImplemented for anything else */
static PyObject *scale_any(PyObject *o, double k)
{
    if (PyObject_TypeCheck(o, Var_type))
        return new_term(o, k);
    if (PyObject_TypeCheck(o, Term_type)) {
        TermObject *t = (TermObject *)o;
        return new_term(t->var, t->coef * k);
    }
    if (PyObject_TypeCheck(o, Expr_type))
        return scale_expr(o, k);
    return not_implemented();
}

/* both operands as Exprs: 1, or 0 (NotImplemented; nothing to release) or -1 */
static int both_exprs(PyObject *a, PyObject *b, PyObject **ea, PyObject **eb)
{
    int r = to_expr(a, ea);
    if (r <= 0)
        return r;
    r = to_expr(b, eb);
    if (r <= 0)
        Py_DECREF(*ea);
    return r;
}

/* ---- number and comparison slots (shared by Var, Term and Expr) -------------------------- */

static PyObject *sym_add(PyObject *a, PyObject *b)
{
    PyObject *ea, *eb;
    int r = both_exprs(a, b, &ea, &eb);
    if (r <= 0)
        return r < 0 ? NULL : not_implemented();
    PyObject *sum = add_exprs(ea, eb);
    Py_DECREF(ea);
    Py_DECREF(eb);
    return sum;
}

static PyObject *sym_subtract(PyObject *a, PyObject *b)
{
    PyObject *ea, *eb;
    int r = both_exprs(a, b, &ea, &eb);
    if (r <= 0)
        return r < 0 ? NULL : not_implemented();
    PyObject *diff = subtract_exprs(ea, eb);
    Py_DECREF(ea);
    Py_DECREF(eb);
    return diff;
}

static PyObject *sym_multiply(PyObject *a, PyObject *b)
{
    PyObject *sym, *num;
    if (is_number(a)) {
        num = a;
        sym = b;
    }
    else if (is_number(b)) {
        num = b;
        sym = a;
    }
    else
        return not_implemented();   /* a product of two symbolic values is not linear */
    double k = PyFloat_AsDouble(num);
    if (k == -1.0 && PyErr_Occurred())
        return NULL;
    return scale_any(sym, k);
}

static PyObject *sym_negative(PyObject *a)
{
    return scale_any(a, -1.0);
}

static PyObject *sym_richcompare(PyObject *a, PyObject *b, int op)
{
    int kind;
    switch (op) {
    case Py_LE: kind = OP_LE; break;
    case Py_GE: kind = OP_GE; break;
    case Py_EQ: kind = OP_EQ; break;
    default: return not_implemented();
    }
    PyObject *ea, *eb;
    int r = both_exprs(a, b, &ea, &eb);
    if (r <= 0)
        return r < 0 ? NULL : not_implemented();
    PyObject *diff = subtract_exprs(ea, eb);
    Py_DECREF(ea);
    Py_DECREF(eb);
    if (diff == NULL)
        return NULL;
    PyObject *c = new_constraint(diff, kind);
    Py_DECREF(diff);
    return c;
}

#define SYM_SLOTS                                           \
    {Py_nb_add, (void *)sym_add},                           \
    {Py_nb_subtract, (void *)sym_subtract},                 \
    {Py_nb_multiply, (void *)sym_multiply},                 \
    {Py_nb_negative, (void *)sym_negative},                 \
    {Py_tp_richcompare, (void *)sym_richcompare}

/* Term, Expr and Constraint are made by the library only (their fields are never empty) */
static PyObject *no_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)type;
    (void)args;
    (void)kw;
    PyErr_SetString(PyExc_TypeError,
                    "Term, Expr and Constraint objects are made by arithmetic on Vars");
    return NULL;
}

/* ---- evaluation ---------------------------------------------------------------------------- */

/* the value of an Expr: its constant, then each term added in order; -1 on error */
static int expr_value(PyObject *expr, PyObject *values, double *out)
{
    ExprObject *e = (ExprObject *)expr;
    double sum = e->constant;
    Py_ssize_t n = PyTuple_GET_SIZE(e->terms);
    for (Py_ssize_t i = 0; i < n; i++) {
        TermObject *t = (TermObject *)PyTuple_GET_ITEM(e->terms, i);
        PyObject *value = PyObject_GetItem(values, ((VarObject *)t->var)->name);
        if (value == NULL)
            return -1;
        double x = PyFloat_AsDouble(value);
        Py_DECREF(value);
        if (x == -1.0 && PyErr_Occurred())
            return -1;
        sum += t->coef * x;
    }
    *out = sum;
    return 0;
}

/* ---- deallocation and GC, the same for the four types (one object field each) ------------ */

static void sym_dealloc(PyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    type->tp_clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

#define FIELD_GC(TYPE, FIELD)                                           \
    static int TYPE##_traverse(PyObject *self, visitproc visit, void *arg) \
    {                                                                   \
        Py_VISIT(((TYPE##Object *)self)->FIELD);                        \
        Py_VISIT(Py_TYPE(self));                                        \
        return 0;                                                       \
    }                                                                   \
    static int TYPE##_clear(PyObject *self)                             \
    {                                                                   \
        Py_CLEAR(((TYPE##Object *)self)->FIELD);                        \
        return 0;                                                       \
    }

FIELD_GC(Var, name)
FIELD_GC(Term, var)
FIELD_GC(Expr, terms)
FIELD_GC(Constraint, expr)

/* ---- Var ----------------------------------------------------------------------------------- */

static PyObject *Var_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *name;
    if (!PyArg_ParseTuple(args, "O:Var", &name))
        return NULL;
    if (kw != NULL && PyObject_Length(kw) > 0) {
        PyErr_SetString(PyExc_TypeError, "Var() takes no keyword arguments");
        return NULL;
    }
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "Var() name must be a str");
        return NULL;
    }
    VarObject *v = (VarObject *)type->tp_alloc(type, 0);
    if (v == NULL)
        return NULL;
    Py_INCREF(name);
    v->name = name;
    return (PyObject *)v;
}

static PyMemberDef Var_members[] = {
    {"name", Py_T_OBJECT_EX, offsetof(VarObject, name), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL}
};

static PyType_Slot Var_slots[] = {
    {Py_tp_new, (void *)Var_new},
    {Py_tp_members, Var_members},
    {Py_tp_traverse, (void *)Var_traverse},
    {Py_tp_clear, (void *)Var_clear},
    {Py_tp_dealloc, (void *)sym_dealloc},
    SYM_SLOTS,
    {0, NULL}
};

/* ---- Term ---------------------------------------------------------------------------------- */

static PyMemberDef Term_members[] = {
    {"var", Py_T_OBJECT_EX, offsetof(TermObject, var), Py_READONLY, NULL},
    {"coef", Py_T_DOUBLE, offsetof(TermObject, coef), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL}
};

static PyType_Slot Term_slots[] = {
    {Py_tp_new, (void *)no_new},
    {Py_tp_members, Term_members},
    {Py_tp_traverse, (void *)Term_traverse},
    {Py_tp_clear, (void *)Term_clear},
    {Py_tp_dealloc, (void *)sym_dealloc},
    SYM_SLOTS,
    {0, NULL}
};

/* ---- Expr ---------------------------------------------------------------------------------- */

static PyObject *Expr_value(PyObject *self, PyObject *values)
{
    double v;
    if (expr_value(self, values, &v) < 0)
        return NULL;
    return PyFloat_FromDouble(v);
}

static PyMemberDef Expr_members[] = {
    {"terms", Py_T_OBJECT_EX, offsetof(ExprObject, terms), Py_READONLY, NULL},
    {"constant", Py_T_DOUBLE, offsetof(ExprObject, constant), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL}
};

static PyMethodDef Expr_methods[] = {
    {"value", Expr_value, METH_O, "value(values) -> float"},
    {NULL, NULL, 0, NULL}
};

static PyType_Slot Expr_slots[] = {
    {Py_tp_new, (void *)no_new},
    {Py_tp_members, Expr_members},
    {Py_tp_methods, Expr_methods},
    {Py_tp_traverse, (void *)Expr_traverse},
    {Py_tp_clear, (void *)Expr_clear},
    {Py_tp_dealloc, (void *)sym_dealloc},
    SYM_SLOTS,
    {0, NULL}
};

/* ---- Constraint ---------------------------------------------------------------------------- */

static PyObject *Constraint_op(PyObject *self, void *closure)
{
    static const char *const names[] = { "<=", ">=", "==" };
    (void)closure;
    return PyUnicode_FromString(names[((ConstraintObject *)self)->op]);
}

static PyObject *Constraint_violation(PyObject *self, PyObject *values)
{
    ConstraintObject *c = (ConstraintObject *)self;
    double v;
    if (expr_value(c->expr, values, &v) < 0)
        return NULL;
    double d = c->op == OP_LE ? v : c->op == OP_GE ? -v : (v < 0 ? -v : v);
    return PyFloat_FromDouble(d > 0.0 ? d : 0.0);
}

static PyMemberDef Constraint_members[] = {
    {"expr", Py_T_OBJECT_EX, offsetof(ConstraintObject, expr), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL}
};

static PyGetSetDef Constraint_getset[] = {
    {"op", Constraint_op, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

static PyMethodDef Constraint_methods[] = {
    {"violation", Constraint_violation, METH_O,
     "violation(values) -> how far from holding (0.0 when it holds)"},
    {NULL, NULL, 0, NULL}
};

static PyType_Slot Constraint_slots[] = {
    {Py_tp_new, (void *)no_new},
    {Py_tp_members, Constraint_members},
    {Py_tp_getset, Constraint_getset},
    {Py_tp_methods, Constraint_methods},
    {Py_tp_traverse, (void *)Constraint_traverse},
    {Py_tp_clear, (void *)Constraint_clear},
    {Py_tp_dealloc, (void *)sym_dealloc},
    {0, NULL}
};

/* ---- module -------------------------------------------------------------------------------- */

#define SYMX_SPEC(NAME)                                             \
    static PyType_Spec NAME##_spec = {                              \
        "capi_symx." #NAME, sizeof(NAME##Object), 0,                \
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, NAME##_slots       \
    };

SYMX_SPEC(Var)
SYMX_SPEC(Term)
SYMX_SPEC(Expr)
SYMX_SPEC(Constraint)

static int add_type(PyObject *m, const char *name, PyType_Spec *spec, PyTypeObject **slot)
{
    PyObject *type = PyType_FromSpec(spec);
    if (type == NULL)
        return -1;
    Py_XSETREF(*slot, (PyTypeObject *)type);   /* kept for the life of the process */
    return PyModule_AddObjectRef(m, name, type);
}

static int symx_exec(PyObject *m)
{
    if (add_type(m, "Var", &Var_spec, &Var_type) < 0 ||
            add_type(m, "Term", &Term_spec, &Term_type) < 0 ||
            add_type(m, "Expr", &Expr_spec, &Expr_type) < 0 ||
            add_type(m, "Constraint", &Constraint_spec, &Constraint_type) < 0)
        return -1;
    return 0;
}

static PyObject *abi(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return PyUnicode_FromString("C API");
}

static PyMethodDef module_methods[] = {
    {"abi", abi, METH_NOARGS, "the ABI this binary was built for"},
    {NULL, NULL, 0, NULL}
};

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, (void *)symx_exec},
    {0, NULL}
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "capi_symx",
    "a tiny symbolic-expression library (C API); twin of hpy_symx",
    0, module_methods, module_slots, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit_capi_symx(void)
{
    return PyModuleDef_Init(&moduledef);
}
