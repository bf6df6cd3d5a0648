/* hpy_symx: a tiny symbolic-expression library, the HPy side of the real-style workload of the
 * benchmarks (bench/README.md). Its twin capi_symx.c has the same types, the same algorithm and
 * the same results, written against the raw C API the way C-API code is usually written; this
 * file is written the way ports to HPy are: types kept in HPyGlobals and loaded for every type
 * check and allocation, object references in HPyFields, every handle closed.
 *
 *   Var(name)                 a variable; name is a str
 *   k * v, v * k              Term: coef * var (k an int or a float)
 *   a + b, a - b, -a, k * e   Expr: a tuple of Terms plus a constant; any of Var, Term, Expr
 *                             and numbers combine, in any order
 *   a <= b, a >= b, a == b    Constraint: (a - b) <= 0, >= 0 or == 0
 *   e.value(values)           the expression's value, values a mapping: var name -> number
 *   c.violation(values)       how far the constraint is from holding (0.0 when it holds)
 *
 * The terms of a sum are kept as written (no merging of like terms), so both versions build
 * exactly the same objects. */
#include "hpy.h"

enum { OP_LE, OP_GE, OP_EQ };

typedef struct {
    HPyField name;
} VarObject;
HPyType_HELPERS(VarObject)

typedef struct {
    HPyField var;
    double coef;
} TermObject;
HPyType_HELPERS(TermObject)

typedef struct {
    HPyField terms;     /* a tuple of Term */
    double constant;
} ExprObject;
HPyType_HELPERS(ExprObject)

typedef struct {
    HPyField expr;      /* the constraint is: expr <op> 0 */
    int op;
} ConstraintObject;
HPyType_HELPERS(ConstraintObject)

static HPyGlobal g_Var, g_Term, g_Expr, g_Constraint;

/* ---- helpers ------------------------------------------------------------------------------- */

static int is_type(HPyContext *ctx, HPy o, HPyGlobal g)
{
    HPy type = HPyGlobal_Load(ctx, g);
    int r = HPy_TypeCheck(ctx, o, type);
    HPy_Close(ctx, type);
    return r;
}

static int is_number(HPyContext *ctx, HPy o)
{
    return HPy_TypeCheck(ctx, o, ctx->h_FloatType) || HPy_TypeCheck(ctx, o, ctx->h_LongType);
}

static HPy not_implemented(HPyContext *ctx)
{
    return HPy_Dup(ctx, ctx->h_NotImplemented);
}

/* a new instance of the type kept in g; *data its struct */
static HPy new_of(HPyContext *ctx, HPyGlobal g, void *data)
{
    HPy type = HPyGlobal_Load(ctx, g);
    HPy h = HPy_New(ctx, type, (void **)data);
    HPy_Close(ctx, type);
    return h;
}

static HPy new_term(HPyContext *ctx, HPy var, double coef)
{
    TermObject *t;
    HPy h = new_of(ctx, g_Term, &t);
    if (!HPy_IsNull(h)) {
        HPyField_Store(ctx, h, &t->var, var);
        t->coef = coef;
    }
    return h;
}

static HPy new_expr(HPyContext *ctx, HPy terms, double constant)
{
    ExprObject *e;
    HPy h = new_of(ctx, g_Expr, &e);
    if (!HPy_IsNull(h)) {
        HPyField_Store(ctx, h, &e->terms, terms);
        e->constant = constant;
    }
    return h;
}

static HPy new_constraint(HPyContext *ctx, HPy expr, int op)
{
    ConstraintObject *c;
    HPy h = new_of(ctx, g_Constraint, &c);
    if (!HPy_IsNull(h)) {
        HPyField_Store(ctx, h, &c->expr, expr);
        c->op = op;
    }
    return h;
}

/* an Expr of the one term */
static HPy expr_of_term(HPyContext *ctx, HPy term)
{
    HPy terms = HPyTuple_Pack(ctx, 1, term);
    if (HPy_IsNull(terms))
        return HPy_NULL;
    HPy r = new_expr(ctx, terms, 0.0);
    HPy_Close(ctx, terms);
    return r;
}

/* *out = o as a new Expr: 1; o is no symbolic value nor number: 0; error: -1 */
static int to_expr(HPyContext *ctx, HPy o, HPy *out)
{
    if (is_type(ctx, o, g_Expr)) {
        *out = HPy_Dup(ctx, o);
        return 1;
    }
    if (is_type(ctx, o, g_Term)) {
        *out = expr_of_term(ctx, o);
        return HPy_IsNull(*out) ? -1 : 1;
    }
    if (is_type(ctx, o, g_Var)) {
        HPy term = new_term(ctx, o, 1.0);
        if (HPy_IsNull(term))
            return -1;
        *out = expr_of_term(ctx, term);
        HPy_Close(ctx, term);
        return HPy_IsNull(*out) ? -1 : 1;
    }
    if (is_number(ctx, o)) {
        double v = HPyFloat_AsDouble(ctx, o);
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return -1;
        HPy empty = HPyTuple_FromArray(ctx, &o, 0);
        if (HPy_IsNull(empty))
            return -1;
        *out = new_expr(ctx, empty, v);
        HPy_Close(ctx, empty);
        return HPy_IsNull(*out) ? -1 : 1;
    }
    return 0;
}

/* k * expr: a new Expr of new Terms */
static HPy scale_expr(HPyContext *ctx, HPy expr, double k)
{
    ExprObject *e = ExprObject_AsStruct(ctx, expr);
    HPy terms = HPyField_Load(ctx, expr, e->terms);
    HPy_ssize_t n = HPy_Length(ctx, terms);
    HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, n);
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item = HPy_GetItem_i(ctx, terms, i);
        TermObject *t = TermObject_AsStruct(ctx, item);
        HPy var = HPyField_Load(ctx, item, t->var);
        HPy scaled = new_term(ctx, var, t->coef * k);
        HPy_Close(ctx, var);
        HPy_Close(ctx, item);
        if (HPy_IsNull(scaled)) {
            HPyTupleBuilder_Cancel(ctx, tb);
            HPy_Close(ctx, terms);
            return HPy_NULL;
        }
        HPyTupleBuilder_Set(ctx, tb, i, scaled);
        HPy_Close(ctx, scaled);
    }
    HPy_Close(ctx, terms);
    HPy new_terms = HPyTupleBuilder_Build(ctx, tb);
    if (HPy_IsNull(new_terms))
        return HPy_NULL;
    HPy r = new_expr(ctx, new_terms, e->constant * k);
    HPy_Close(ctx, new_terms);
    return r;
}

/* a + b for two Exprs: the terms of a, then those of b */
static HPy add_exprs(HPyContext *ctx, HPy a, HPy b)
{
    ExprObject *ea = ExprObject_AsStruct(ctx, a);
    ExprObject *eb = ExprObject_AsStruct(ctx, b);
    HPy ta = HPyField_Load(ctx, a, ea->terms);
    HPy tb = HPyField_Load(ctx, b, eb->terms);
    HPy_ssize_t na = HPy_Length(ctx, ta), nb = HPy_Length(ctx, tb);
    HPyTupleBuilder builder = HPyTupleBuilder_New(ctx, na + nb);
    for (HPy_ssize_t i = 0; i < na + nb; i++) {
        HPy item = i < na ? HPy_GetItem_i(ctx, ta, i) : HPy_GetItem_i(ctx, tb, i - na);
        HPyTupleBuilder_Set(ctx, builder, i, item);
        HPy_Close(ctx, item);
    }
    HPy_Close(ctx, ta);
    HPy_Close(ctx, tb);
    HPy terms = HPyTupleBuilder_Build(ctx, builder);
    if (HPy_IsNull(terms))
        return HPy_NULL;
    HPy r = new_expr(ctx, terms, ea->constant + eb->constant);
    HPy_Close(ctx, terms);
    return r;
}

/* a - b for two Exprs */
static HPy subtract_exprs(HPyContext *ctx, HPy a, HPy b)
{
    HPy neg = scale_expr(ctx, b, -1.0);
    if (HPy_IsNull(neg))
        return HPy_NULL;
    HPy r = add_exprs(ctx, a, neg);
    HPy_Close(ctx, neg);
    return r;
}

/* k * o for a Var, Term or Expr o; NotImplemented for anything else */
static HPy scale_any(HPyContext *ctx, HPy o, double k)
{
    if (is_type(ctx, o, g_Var))
        return new_term(ctx, o, k);
    if (is_type(ctx, o, g_Term)) {
        TermObject *t = TermObject_AsStruct(ctx, o);
        HPy var = HPyField_Load(ctx, o, t->var);
        HPy r = new_term(ctx, var, t->coef * k);
        HPy_Close(ctx, var);
        return r;
    }
    if (is_type(ctx, o, g_Expr))
        return scale_expr(ctx, o, k);
    return not_implemented(ctx);
}

/* both operands as Exprs: 1, or 0 (NotImplemented; nothing to close) or -1 */
static int both_exprs(HPyContext *ctx, HPy a, HPy b, HPy *ea, HPy *eb)
{
    int r = to_expr(ctx, a, ea);
    if (r <= 0)
        return r;
    r = to_expr(ctx, b, eb);
    if (r <= 0)
        HPy_Close(ctx, *ea);
    return r;
}

/* ---- number and comparison slots (shared by Var, Term and Expr) -------------------------- */

HPyDef_SLOT(sym_add, HPy_nb_add)
static HPy sym_add_impl(HPyContext *ctx, HPy a, HPy b)
{
    HPy ea, eb;
    int r = both_exprs(ctx, a, b, &ea, &eb);
    if (r <= 0)
        return r < 0 ? HPy_NULL : not_implemented(ctx);
    HPy sum = add_exprs(ctx, ea, eb);
    HPy_Close(ctx, ea);
    HPy_Close(ctx, eb);
    return sum;
}

HPyDef_SLOT(sym_subtract, HPy_nb_subtract)
static HPy sym_subtract_impl(HPyContext *ctx, HPy a, HPy b)
{
    HPy ea, eb;
    int r = both_exprs(ctx, a, b, &ea, &eb);
    if (r <= 0)
        return r < 0 ? HPy_NULL : not_implemented(ctx);
    HPy diff = subtract_exprs(ctx, ea, eb);
    HPy_Close(ctx, ea);
    HPy_Close(ctx, eb);
    return diff;
}

HPyDef_SLOT(sym_multiply, HPy_nb_multiply)
static HPy sym_multiply_impl(HPyContext *ctx, HPy a, HPy b)
{
    HPy sym, num;
    if (is_number(ctx, a)) {
        num = a;
        sym = b;
    }
    else if (is_number(ctx, b)) {
        num = b;
        sym = a;
    }
    else
        return not_implemented(ctx);   /* a product of two symbolic values is not linear */
    double k = HPyFloat_AsDouble(ctx, num);
    if (k == -1.0 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return scale_any(ctx, sym, k);
}

HPyDef_SLOT(sym_negative, HPy_nb_negative)
static HPy sym_negative_impl(HPyContext *ctx, HPy a)
{
    return scale_any(ctx, a, -1.0);
}

HPyDef_SLOT(sym_richcompare, HPy_tp_richcompare)
static HPy sym_richcompare_impl(HPyContext *ctx, HPy a, HPy b, HPy_RichCmpOp op)
{
    int kind;
    switch (op) {
    case HPy_LE: kind = OP_LE; break;
    case HPy_GE: kind = OP_GE; break;
    case HPy_EQ: kind = OP_EQ; break;
    default: return not_implemented(ctx);
    }
    HPy ea, eb;
    int r = both_exprs(ctx, a, b, &ea, &eb);
    if (r <= 0)
        return r < 0 ? HPy_NULL : not_implemented(ctx);
    HPy diff = subtract_exprs(ctx, ea, eb);
    HPy_Close(ctx, ea);
    HPy_Close(ctx, eb);
    if (HPy_IsNull(diff))
        return HPy_NULL;
    HPy c = new_constraint(ctx, diff, kind);
    HPy_Close(ctx, diff);
    return c;
}

#define SYM_SLOTS &sym_add, &sym_subtract, &sym_multiply, &sym_negative, &sym_richcompare

/* Term, Expr and Constraint are made by the library only (their fields are never empty) */
HPyDef_SLOT(no_new, HPy_tp_new)
static HPy no_new_impl(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    (void)type;
    (void)args;
    (void)nargs;
    (void)kw;
    return HPyErr_SetString(ctx, ctx->h_TypeError,
                            "Term, Expr and Constraint objects are made by arithmetic on Vars");
}

/* ---- evaluation ---------------------------------------------------------------------------- */

/* the value of an Expr: its constant, then each term added in order; -1 on error */
static int expr_value(HPyContext *ctx, HPy expr, HPy values, double *out)
{
    ExprObject *e = ExprObject_AsStruct(ctx, expr);
    double sum = e->constant;
    HPy terms = HPyField_Load(ctx, expr, e->terms);
    HPy_ssize_t n = HPy_Length(ctx, terms);
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item = HPy_GetItem_i(ctx, terms, i);
        TermObject *t = TermObject_AsStruct(ctx, item);
        HPy var = HPyField_Load(ctx, item, t->var);
        VarObject *v = VarObject_AsStruct(ctx, var);
        HPy name = HPyField_Load(ctx, var, v->name);
        HPy value = HPy_GetItem(ctx, values, name);
        HPy_Close(ctx, name);
        HPy_Close(ctx, var);
        double x = -1.0;
        if (!HPy_IsNull(value)) {
            x = HPyFloat_AsDouble(ctx, value);
            HPy_Close(ctx, value);
        }
        if (x == -1.0 && HPyErr_Occurred(ctx)) {
            HPy_Close(ctx, item);
            HPy_Close(ctx, terms);
            return -1;
        }
        sum += t->coef * x;
        HPy_Close(ctx, item);
    }
    HPy_Close(ctx, terms);
    *out = sum;
    return 0;
}

/* ---- Var ----------------------------------------------------------------------------------- */

HPyDef_SLOT(Var_new, HPy_tp_new)
static HPy Var_new_impl(HPyContext *ctx, HPy type, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    HPy name;
    VarObject *v;
    if (!HPyArg_Parse(ctx, NULL, args, (size_t)nargs, "O:Var", &name))
        return HPy_NULL;
    if (!HPy_IsNull(kw) && HPy_Length(ctx, kw) > 0)
        return HPyErr_SetString(ctx, ctx->h_TypeError, "Var() takes no keyword arguments");
    if (!HPyUnicode_Check(ctx, name))
        return HPyErr_SetString(ctx, ctx->h_TypeError, "Var() name must be a str");
    HPy h = HPy_New(ctx, type, &v);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPyField_Store(ctx, h, &v->name, name);
    return h;
}

HPyDef_SLOT(Var_traverse, HPy_tp_traverse)
static int Var_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((VarObject *)self)->name);
    return 0;
}

HPyDef_GET(Var_name, "name")
static HPy Var_name_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyField_Load(ctx, self, VarObject_AsStruct(ctx, self)->name);
}

static HPyDef *Var_defines[] = { &Var_new, &Var_traverse, &Var_name, SYM_SLOTS, NULL };

/* ---- Term ---------------------------------------------------------------------------------- */

HPyDef_SLOT(Term_traverse, HPy_tp_traverse)
static int Term_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((TermObject *)self)->var);
    return 0;
}

HPyDef_GET(Term_var, "var")
static HPy Term_var_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyField_Load(ctx, self, TermObject_AsStruct(ctx, self)->var);
}

HPyDef_MEMBER(Term_coef, "coef", HPyMember_DOUBLE, offsetof(TermObject, coef),
              .readonly = 1)

static HPyDef *Term_defines[] = { &no_new, &Term_traverse, &Term_var, &Term_coef, SYM_SLOTS, NULL };

/* ---- Expr ---------------------------------------------------------------------------------- */

HPyDef_SLOT(Expr_traverse, HPy_tp_traverse)
static int Expr_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((ExprObject *)self)->terms);
    return 0;
}

HPyDef_GET(Expr_terms, "terms")
static HPy Expr_terms_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyField_Load(ctx, self, ExprObject_AsStruct(ctx, self)->terms);
}

HPyDef_MEMBER(Expr_constant, "constant", HPyMember_DOUBLE, offsetof(ExprObject, constant),
              .readonly = 1)

HPyDef_METH(Expr_value, "value", HPyFunc_O, .doc = "value(values) -> float")
static HPy Expr_value_impl(HPyContext *ctx, HPy self, HPy values)
{
    double v;
    if (expr_value(ctx, self, values, &v) < 0)
        return HPy_NULL;
    return HPyFloat_FromDouble(ctx, v);
}

static HPyDef *Expr_defines[] = {
    &no_new, &Expr_traverse, &Expr_terms, &Expr_constant, &Expr_value, SYM_SLOTS, NULL
};

/* ---- Constraint ---------------------------------------------------------------------------- */

HPyDef_SLOT(Constraint_traverse, HPy_tp_traverse)
static int Constraint_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((ConstraintObject *)self)->expr);
    return 0;
}

HPyDef_GET(Constraint_expr, "expr")
static HPy Constraint_expr_get(HPyContext *ctx, HPy self, void *closure)
{
    (void)closure;
    return HPyField_Load(ctx, self, ConstraintObject_AsStruct(ctx, self)->expr);
}

HPyDef_GET(Constraint_op, "op")
static HPy Constraint_op_get(HPyContext *ctx, HPy self, void *closure)
{
    static const char *const names[] = { "<=", ">=", "==" };
    (void)closure;
    return HPyUnicode_FromString(ctx, names[ConstraintObject_AsStruct(ctx, self)->op]);
}

HPyDef_METH(Constraint_violation, "violation", HPyFunc_O,
            .doc = "violation(values) -> how far from holding (0.0 when it holds)")
static HPy Constraint_violation_impl(HPyContext *ctx, HPy self, HPy values)
{
    ConstraintObject *c = ConstraintObject_AsStruct(ctx, self);
    HPy expr = HPyField_Load(ctx, self, c->expr);
    double v;
    int r = expr_value(ctx, expr, values, &v);
    HPy_Close(ctx, expr);
    if (r < 0)
        return HPy_NULL;
    double d = c->op == OP_LE ? v : c->op == OP_GE ? -v : (v < 0 ? -v : v);
    return HPyFloat_FromDouble(ctx, d > 0.0 ? d : 0.0);
}

static HPyDef *Constraint_defines[] = {
    &no_new, &Constraint_traverse, &Constraint_expr, &Constraint_op, &Constraint_violation, NULL
};

/* ---- module -------------------------------------------------------------------------------- */

#define SYMX_SPEC(NAME, TYPE)                                       \
    static HPyType_Spec NAME##_spec = {                             \
        .name = "hpy_symx." #NAME,                                  \
        .basicsize = sizeof(TYPE),                                  \
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,         \
        .builtin_shape = SHAPE(TYPE),                               \
        .defines = NAME##_defines,                                  \
    };

SYMX_SPEC(Var, VarObject)
SYMX_SPEC(Term, TermObject)
SYMX_SPEC(Expr, ExprObject)
SYMX_SPEC(Constraint, ConstraintObject)

static int add_type(HPyContext *ctx, HPy m, const char *name, HPyType_Spec *spec, HPyGlobal *g)
{
    HPy type = HPyType_FromSpec(ctx, spec, NULL);
    if (HPy_IsNull(type))
        return -1;
    HPyGlobal_Store(ctx, g, type);
    int r = HPy_SetAttr_s(ctx, m, name, type);
    HPy_Close(ctx, type);
    return r;
}

HPyDef_SLOT(symx_exec, HPy_mod_exec)
static int symx_exec_impl(HPyContext *ctx, HPy m)
{
    if (add_type(ctx, m, "Var", &Var_spec, &g_Var) < 0 ||
            add_type(ctx, m, "Term", &Term_spec, &g_Term) < 0 ||
            add_type(ctx, m, "Expr", &Expr_spec, &g_Expr) < 0 ||
            add_type(ctx, m, "Constraint", &Constraint_spec, &g_Constraint) < 0)
        return -1;
    return 0;
}

HPyDef_METH(abi, "abi", HPyFunc_NOARGS, .doc = "the HPy ABI this binary was built for")
static HPy abi_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPyUnicode_FromString(ctx, HPY_ABI);
}

static HPyDef *module_defines[] = { &symx_exec, &abi, NULL };
static HPyGlobal *module_globals[] = { &g_Var, &g_Term, &g_Expr, &g_Constraint, NULL };

static HPyModuleDef moduledef = {
    .doc = "a tiny symbolic-expression library (HPy); twin of capi_symx",
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(hpy_symx, moduledef)
