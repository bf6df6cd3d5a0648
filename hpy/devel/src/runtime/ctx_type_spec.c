/* HPyType_FromSpec (abi.md §9.7), for the CPython ABI and the universal runtime alike: an
 * HPyType_Spec and its params become a CPython heap type made by PyType_FromSpec (or its
 * metaclass variant), registered with what HPy must remember about it.
 *
 * Contract: a bad spec or param gives an exception naming the type (SystemError for what only a
 * broken definition can do, TypeError or ValueError for a combination HPy refuses) and no type
 * (one made before a late check failed is released). The arrays the type refers to (methods,
 * members, getsets, field closures) live in its info and are freed when it dies. Slots apply in
 * the order: the spec's HPy slots, its doc, its legacy slots, then what the runtime installs
 * (methods, the call protocol, members, getsets, the automatic deallocator and tp_clear).
 * Built on ctx_type_registry.c, ctx_type_layout.c, ctx_type_instance.c and ctx_module.c (method
 * tables). */
#include "ctx_type_internal.h"
#include "hpy/runtime/ctx_module.h"

/* The slots HPyType_Spec.defines may hold. */
static int is_type_slot(HPySlot_Slot slot)
{
    if (slot >= HPy_bf_getbuffer && slot <= HPy_sq_repeat)
        return 1;
    switch (slot) {
    case HPy_tp_call:
    case HPy_tp_descr_get:
    case HPy_tp_descr_set:
    case HPy_tp_getattro:
    case HPy_tp_hash:
    case HPy_tp_init:
    case HPy_tp_iter:
    case HPy_tp_iternext:
    case HPy_tp_new:
    case HPy_tp_repr:
    case HPy_tp_richcompare:
    case HPy_tp_setattro:
    case HPy_tp_str:
    case HPy_tp_traverse:
    case HPy_nb_matrix_multiply:
    case HPy_nb_inplace_matrix_multiply:
    case HPy_am_await:
    case HPy_am_aiter:
    case HPy_am_anext:
    case HPy_tp_finalize:
    case HPy_tp_destroy:
        return 1;
    default:
        return 0;
    }
}

static int is_special_member(const char *name)
{
    return strcmp(name, "__vectorcalloffset__") == 0 || strcmp(name, "__weaklistoffset__") == 0 ||
           strcmp(name, "__dictoffset__") == 0;
}

#define MAX_SLOT_ID 100          /* CPython slot ids are below this; others are passed as is */

typedef struct {
    void *by_id[MAX_SLOT_ID];
    PyType_Slot *other;          /* ids >= MAX_SLOT_ID from the legacy slots */
    Py_ssize_t n_other;
} slot_table;

static void slot_set(slot_table *st, int id, void *value)
{
    if (id > 0 && id < MAX_SLOT_ID) {
        st->by_id[id] = value;
    }
    else {
        st->other[st->n_other].slot = id;
        st->other[st->n_other].pfunc = value;
        st->n_other++;
    }
}

/* The type of a base or metaclass param, checked. */
static int check_type_arg(PyObject *obj, const char *what, const char *name)
{
    if (!PyType_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s of '%s' must be a type, not '%.100s'", what, name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

HPyAPI_IMPL PyObject *get_metatype(HPyType_SpecParam *params)
{
    PyObject *res = NULL;
    if (params != NULL)
        for (HPyType_SpecParam *p = params; p->kind != 0; p++)
            if (p->kind == HPyType_SpecParam_Metaclass)
                res = _h2py(p->object);
    return res;
}

HPyAPI_IMPL HPy ctx_Type_FromSpec(HPyContext *ctx, HPyType_Spec *spec, HPyType_SpecParam *params)
{
    (void)ctx;
    if (spec == NULL) {
        PyErr_SetString(PyExc_SystemError, "HPyType_FromSpec: the spec is NULL");
        return HPy_NULL;
    }
    const char *name = spec->name;
    if (name == NULL) {
        PyErr_SetString(PyExc_SystemError, "HPyType_Spec.name must not be NULL");
        return HPy_NULL;
    }

    /* 1. params */
    Py_ssize_t n_base = 0, n_bases_tuple = 0, n_meta = 0, n_module = 0;
    PyObject *bases_tuple = NULL, *meta = NULL, *module = NULL;
    if (params != NULL) {
        for (HPyType_SpecParam *p = params; p->kind != 0; p++) {
            switch (p->kind) {
            case HPyType_SpecParam_Base:
                n_base++;
                break;
            case HPyType_SpecParam_BasesTuple:
                n_bases_tuple++;
                bases_tuple = _h2py(p->object);
                break;
            case HPyType_SpecParam_Metaclass:
                n_meta++;
                meta = _h2py(p->object);
                break;
            case HPyType_SpecParam_Module:
                n_module++;
                module = _h2py(p->object);
                break;
            default:
                PyErr_Format(PyExc_TypeError,
                             "unknown HPyType_SpecParam specification for '%s'", name);
                return HPy_NULL;
            }
            if (HPy_IsNull(p->object)) {
                PyErr_Format(PyExc_SystemError,
                             "HPyType_SpecParam of kind %d for '%s' has a null object",
                             (int)p->kind, name);
                return HPy_NULL;
            }
        }
    }
    if (n_bases_tuple > 1) {
        PyErr_SetString(PyExc_TypeError,
                        "multiple specifications of HPyType_SpecParam_BasesTuple");
        return HPy_NULL;
    }
    if (n_module > 1) {
        PyErr_SetString(PyExc_TypeError, "multiple specifications of HPyType_SpecParam_Module");
        return HPy_NULL;
    }
    if (module != NULL && !PyModule_Check(module)) {
        PyErr_Format(PyExc_TypeError, "HPyType_SpecParam_Module of '%s' must be a module, not "
                     "'%.100s'", name, Py_TYPE(module)->tp_name);
        return HPy_NULL;
    }
    if (n_base > 0 && n_bases_tuple > 0) {
        PyErr_SetString(PyExc_TypeError,
                        "cannot specify both HPyType_SpecParam_Base and "
                        "HPytype_SpecParam_BasesTuple");
        return HPy_NULL;
    }

    /* the defines */
    Py_ssize_t n_members = 0, n_fields = 0, n_getsets = 0, n_none = 0;
    int has_new = 0, has_vcoff_member = 0;
    HPyDef *call_def = NULL;
    HPyFunc_traverseproc traverse = NULL;
    HPyFunc_destroyfunc destroy = NULL;
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyDef *d = *dp;
            switch (d->kind) {
            case HPyDef_Kind_Slot:
                if (!is_type_slot(d->slot.slot)) {
                    PyErr_Format(PyExc_SystemError,
                                 "Unsupported slot in HPyType_Spec.defines of '%s' (value: %d).",
                                 name, (int)d->slot.slot);
                    return HPy_NULL;
                }
                if (d->slot.slot == HPy_tp_destroy || d->slot.slot == HPy_tp_traverse
                        ? d->slot.impl == NULL : d->slot.cpy_trampoline == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of slot %d in HPyType_Spec.defines of '%s' has no "
                                 "implementation", (int)d->slot.slot, name);
                    return HPy_NULL;
                }
                if (d->slot.slot == HPy_tp_traverse)
                    traverse = _HPy_FPTR_CAST(HPyFunc_traverseproc, d->slot.impl);
                else if (d->slot.slot == HPy_tp_destroy)
                    destroy = _HPy_FPTR_CAST(HPyFunc_destroyfunc, d->slot.impl);
                else if (d->slot.slot == HPy_tp_call)
                    call_def = d;
                else if (d->slot.slot == HPy_tp_new)
                    has_new = 1;
                break;
            case HPyDef_Kind_Meth:
                if (d->meth.name == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of kind Meth in HPyType_Spec.defines of '%s' has a NULL "
                                 "name", name);
                    return HPy_NULL;
                }
                break;
            case HPyDef_Kind_Member:
                if (d->member.name == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of kind Member in HPyType_Spec.defines of '%s' has a "
                                 "NULL name", name);
                    return HPy_NULL;
                }
                if (hpy__member_size(d->member.type) < 0) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyMember '%s' in HPyType_Spec.defines of '%s' has an unknown "
                                 "type (value: %d).", d->member.name, name, (int)d->member.type);
                    return HPy_NULL;
                }
                if (is_special_member(d->member.name) &&
                    (d->member.type != HPyMember_HPYSSIZET || !d->member.readonly)) {
                    PyErr_Format(PyExc_TypeError,
                                 "member '%s' of '%s' must be a read-only HPyMember_HPYSSIZET",
                                 d->member.name, name);
                    return HPy_NULL;
                }
                if (strcmp(d->member.name, "__vectorcalloffset__") == 0)
                    has_vcoff_member = 1;
                n_members++;
                if (d->member.type == HPyMember_OBJECT || d->member.type == HPyMember_OBJECT_EX)
                    n_fields++;
                if (HPY_NONE_AS_GETSET && d->member.type == HPyMember_NONE)
                    n_none++;
                break;
            case HPyDef_Kind_GetSet:
                if (d->getset.name == NULL) {
                    PyErr_Format(PyExc_SystemError,
                                 "HPyDef of kind GetSet in HPyType_Spec.defines of '%s' has a "
                                 "NULL name", name);
                    return HPy_NULL;
                }
                n_getsets++;
                break;
            default:
                PyErr_Format(PyExc_SystemError,
                             "HPyDef in HPyType_Spec.defines of '%s' has an unknown kind "
                             "(value: %d).", name, (int)d->kind);
                return HPy_NULL;
            }
        }
    }

    /* 2. legacy slots */
    PyType_Slot *legacy = (PyType_Slot *)spec->legacy_slots;
    Py_ssize_t n_legacy = 0;
    PyMethodDef *legacy_methods = NULL;
    PyMemberDef *legacy_members = NULL;
    PyGetSetDef *legacy_getsets = NULL;
    int legacy_new = 0, legacy_dealloc = 0;
    if (legacy != NULL) {
        if (spec->builtin_shape != HPyType_BuiltinShape_Legacy) {
            PyErr_SetString(PyExc_TypeError,
                            "cannot specify .legacy_slots without setting "
                            ".builtin_shape=HPyType_BuiltinShape_Legacy");
            return HPy_NULL;
        }
        for (PyType_Slot *s = legacy; s->slot != 0; s++) {
            n_legacy++;
            if (s->slot == Py_tp_methods)
                legacy_methods = (PyMethodDef *)s->pfunc;
            else if (s->slot == Py_tp_members)
                legacy_members = (PyMemberDef *)s->pfunc;
            else if (s->slot == Py_tp_getset)
                legacy_getsets = (PyGetSetDef *)s->pfunc;
            else if (s->slot == Py_tp_new)
                legacy_new = 1;
            else if (s->slot == Py_tp_dealloc)
                legacy_dealloc = 1;
        }
        if (legacy_dealloc && (traverse != NULL || destroy != NULL)) {
            PyErr_SetString(PyExc_TypeError,
                            "legacy tp_dealloc is incompatible with HPy_tp_traverse or "
                            "HPy_tp_destroy.");
            return HPy_NULL;
        }
    }

    /* 3. GC */
    unsigned long flags = spec->flags;
    if ((flags & Py_TPFLAGS_HAVE_GC) && traverse == NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "You must provide an HPy_tp_traverse slot if you specify "
                        "HPy_TPFLAGS_HAVE_GC");
        return HPy_NULL;
    }

    /* 4. shape and sizes */
    HPyType_BuiltinShape shape = spec->builtin_shape;
    Py_ssize_t header = hpy__shape_offset(shape);
    if (header < 0) {
        PyErr_Format(PyExc_ValueError, "invalid shape: %d", (int)shape);
        return HPy_NULL;
    }
    if (spec->basicsize < 0 || spec->itemsize < 0) {
        PyErr_Format(PyExc_SystemError, "HPyType_Spec of '%s' has a negative %s (%d)", name,
                     spec->basicsize < 0 ? ".basicsize" : ".itemsize",
                     spec->basicsize < 0 ? spec->basicsize : spec->itemsize);
        return HPy_NULL;
    }
    /* the items of another builtin shape would overlap the builtin object's own data */
    if (spec->itemsize != 0 && shape != HPyType_BuiltinShape_Legacy &&
        shape != HPyType_BuiltinShape_Object) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' has .itemsize %d, but only types of builtin shape "
                     "HPyType_BuiltinShape_Object or HPyType_BuiltinShape_Legacy can vary in "
                     "size, not %s",
                     name, spec->itemsize, hpy__shape_name(shape));
        return HPy_NULL;
    }

    /* 7. members */
    if (n_members > 0 && spec->basicsize == 0) {
        PyErr_SetString(PyExc_TypeError, "Type claims to have basicsize==0 but defines members");
        return HPy_NULL;
    }
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyMember *m = &(*dp)->member;
            if ((*dp)->kind != HPyDef_Kind_Member || m->type == HPyMember_NONE)
                continue;
            Py_ssize_t size = hpy__member_size(m->type);
            if (m->offset < 0 || m->offset + size > spec->basicsize) {
                PyErr_Format(PyExc_TypeError,
                             "member '%s' of '%s' (offset %zd, %zd bytes) does not fit in "
                             ".basicsize %d",
                             m->name, name, m->offset, size, spec->basicsize);
                return HPy_NULL;
            }
        }
    }

    /* 8. call protocol */
    if (call_def != NULL) {
        if (spec->itemsize != 0) {
            PyErr_SetString(PyExc_TypeError, "Cannot use HPy call protocol with var objects");
            return HPy_NULL;
        }
        if (shape == HPyType_BuiltinShape_Legacy && spec->basicsize == 0) {
            PyErr_SetString(PyExc_TypeError,
                            "Cannot use HPy call protocol with legacy types that inherit the "
                            "struct. Either set the basicsize to anon-zero value or use legacy "
                            "slot 'Py_tp_call'.");
            return HPy_NULL;
        }
        if (has_vcoff_member) {
            PyErr_SetString(PyExc_TypeError,
                            "Cannot have HPy_tp_call and explicit member'__vectorcalloffset__'. "
                            "Specify just one of them.");
            return HPy_NULL;
        }
    }

    /* 9. bases and metaclass */
    PyObject *bases = NULL;           /* new reference, or NULL: object */
    if (n_base > 0) {
        bases = PyTuple_New(n_base);
        if (bases == NULL)
            return HPy_NULL;
        Py_ssize_t i = 0;
        for (HPyType_SpecParam *p = params; p->kind != 0; p++) {
            if (p->kind == HPyType_SpecParam_Base) {
                PyObject *b = _h2py(p->object);
                Py_INCREF(b);
                PyTuple_SET_ITEM(bases, i++, b);
            }
        }
    }
    else if (bases_tuple != NULL) {
        if (!PyTuple_Check(bases_tuple)) {
            PyErr_Format(PyExc_TypeError,
                         "HPyType_SpecParam_BasesTuple of '%s' must be a tuple, not '%.100s'",
                         name, Py_TYPE(bases_tuple)->tp_name);
            return HPy_NULL;
        }
        Py_INCREF(bases_tuple);
        bases = bases_tuple;
    }
    PyObject *result = NULL;
    hpy_local_info *li = NULL;
    PyType_Slot *slots = NULL;
    PyMemberDef *members = NULL;
    PyGetSetDef *getsets = NULL;
    hpy_field_closure *fields = NULL;
    PyMethodDef *methods = NULL;

    if (n_meta > 1) {
        PyErr_SetString(PyExc_ValueError, "metaclass was specified multiple times");
        goto fail;
    }
    if (meta != NULL) {
        if (!PyType_Check(meta) || !PyType_IsSubtype((PyTypeObject *)meta, &PyType_Type)) {
            PyErr_Format(PyExc_TypeError, "Metaclass '%R' is not a subclass of 'type'.", meta);
            goto fail;
        }
        if (((PyTypeObject *)meta)->tp_new != PyType_Type.tp_new) {
            PyErr_SetString(PyExc_TypeError, "Metaclasses with custom tp_new are not supported.");
            goto fail;
        }
    }
    Py_ssize_t n_bases = bases != NULL ? PyTuple_GET_SIZE(bases) : 0;
    Py_ssize_t base_size = PyBaseObject_Type.tp_basicsize;     /* the largest of the bases */
    Py_ssize_t base_struct_end = base_size;     /* the same without a hidden call field */
    HPyTypeInfo *inherited = NULL;      /* of the nearest HPy type among the bases' chains */
    int base_gc = 0, var_base = 0;
    for (Py_ssize_t i = 0; i < n_bases; i++) {
        PyObject *b = PyTuple_GET_ITEM(bases, i);
        if (check_type_arg(b, "the bases", name) < 0)
            goto fail;
        PyTypeObject *bt = (PyTypeObject *)b;
        if (bt->tp_itemsize != 0)
            var_base = 1;
        if (bt->tp_basicsize > base_size)
            base_size = bt->tp_basicsize;
        Py_ssize_t end = bt->tp_basicsize;
        HPyTypeInfo *bi = hpy__nearest_info(bt);
        if (bi != NULL && (bi->flags & HPY_TI_HIDDEN_CALL) &&
            bi->call_offset + (Py_ssize_t)sizeof(vectorcallfunc) == end)
            end = bi->call_offset;
        if (end > base_struct_end)
            base_struct_end = end;
        if (PyType_IS_GC(bt))
            base_gc = 1;
        if (shape != HPyType_BuiltinShape_Legacy &&
            hpy__check_shape_against_base(name, shape, spec->basicsize > 0, bt) < 0)
            goto fail;
        if (shape == HPyType_BuiltinShape_Object && hpy__check_items_against_base(name, spec, bt) < 0)
            goto fail;
        if (inherited == NULL)
            inherited = hpy__nearest_info(bt);
    }
    if (n_bases == 0 && shape != HPyType_BuiltinShape_Legacy && shape != HPyType_BuiltinShape_Object &&
        hpy__check_shape_against_base(name, shape, spec->basicsize > 0, &PyBaseObject_Type) < 0)
        goto fail;
    /* Instances of an Object-shape type with items (its own or inherited) have a PyVarObject
     * header: the struct starts after it, the items after the struct (docs/runtime.md). */
    int has_items = spec->itemsize != 0 || var_base;
    if (shape == HPyType_BuiltinShape_Object && has_items)
        header = HPY_OFFSET_VarObject;
    if (call_def != NULL && has_items) {
        PyErr_SetString(PyExc_TypeError, "Cannot use HPy call protocol with var objects");
        goto fail;
    }

    /* 5. the instance size */
    Py_ssize_t basicsize = 0;
    if (spec->basicsize > 0)
        basicsize = header + spec->basicsize;
    if (basicsize > 0 && basicsize < base_struct_end) {
        PyErr_Format(PyExc_TypeError,
                     "type '%s' would have instances of %zd bytes, smaller than those of its "
                     "bases (%zd bytes): its struct must contain the struct of its base",
                     name, basicsize, base_struct_end);
        goto fail;
    }
    /* A subclass that adds a struct to a type using HPy_tp_call would have the inherited hidden
     * call-function field inside its struct: it gets its own, after the struct. */
    int inherit_call = call_def == NULL && !has_vcoff_member && spec->basicsize > 0 &&
                       inherited != NULL && inherited->call_offset > 0 &&
                       inherited->default_call != NULL;
    Py_ssize_t call_offset = 0;
    if (call_def != NULL || inherit_call) {
        Py_ssize_t size = basicsize > 0 ? basicsize : (header > base_size ? header : base_size);
        call_offset = HPY_ALIGN_UP(size);
        basicsize = call_offset + (Py_ssize_t)sizeof(vectorcallfunc);
    }
    if (basicsize > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "type '%s' is too large", name);
        goto fail;
    }

    /* flags */
    int call_protocol = call_def != NULL || has_vcoff_member || inherit_call;
    if (call_protocol) {
        flags |= Py_TPFLAGS_HAVE_VECTORCALL;
    }
    else if (flags & Py_TPFLAGS_HAVE_VECTORCALL) {
        int inherits = 0;
        for (Py_ssize_t i = 0; i < n_bases; i++)
            if (((PyTypeObject *)PyTuple_GET_ITEM(bases, i))->tp_vectorcall_offset > 0)
                inherits = 1;
        if (!inherits) {
            PyErr_Format(PyExc_TypeError,
                         "type '%s' sets HPy_TPFLAGS_HAVE_VECTORCALL but does not use the HPy "
                         "call protocol (HPy_tp_call or a '__vectorcalloffset__' member)", name);
            goto fail;
        }
    }
    if (traverse != NULL && base_gc)
        flags |= Py_TPFLAGS_HAVE_GC;
    int auto_dealloc = !legacy_dealloc &&
                       (traverse != NULL || destroy != NULL ||
                        (inherited != NULL && (inherited->flags & HPY_TI_AUTO_DEALLOC)));

    /* the type's private data and arrays (kept as long as the type lives) */
    li = (hpy_local_info *)PyMem_Calloc(1, sizeof(hpy_local_info));
    if (li == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t n_legacy_members = 0, n_legacy_getsets = 0;
    if (legacy_members != NULL)
        while (legacy_members[n_legacy_members].name != NULL)
            n_legacy_members++;
    if (legacy_getsets != NULL)
        while (legacy_getsets[n_legacy_getsets].name != NULL)
            n_legacy_getsets++;
    Py_ssize_t n_cpy_members = (call_def != NULL || inherit_call) +
                               (n_members - n_fields - n_none) + n_legacy_members;
    Py_ssize_t n_cpy_getsets = n_getsets + n_legacy_getsets + n_fields + n_none;
    if (n_cpy_members > 0) {
        members = (PyMemberDef *)PyMem_Calloc((size_t)n_cpy_members + 1, sizeof(PyMemberDef));
        if (members == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    if (n_cpy_getsets > 0) {
        getsets = (PyGetSetDef *)PyMem_Calloc((size_t)n_cpy_getsets + 1, sizeof(PyGetSetDef));
        if (getsets == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    if (n_fields > 0) {
        fields = (hpy_field_closure *)PyMem_Calloc((size_t)n_fields, sizeof(hpy_field_closure));
        if (fields == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    li->members = members;
    li->getsets = getsets;
    li->fields = fields;
#if defined(PYPY_VERSION)
    if (n_cpy_getsets > 0) {
        li->halves = (hpy_getset_halves *)PyMem_Calloc((size_t)n_cpy_getsets,
                                                       sizeof(hpy_getset_halves));
        if (li->halves == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
#endif

    /* members: the implicit __vectorcalloffset__, the HPy ones, the legacy ones */
    Py_ssize_t im = 0, ig = 0, ifield = 0;
    if (call_def != NULL || inherit_call) {
        members[im].name = "__vectorcalloffset__";
        members[im].type = HPyMember_HPYSSIZET;
        members[im].offset = call_offset;
        members[im].flags = HPyCompat_MEMBER_READONLY;
        im++;
    }
    Py_ssize_t vcoff_member_offset = 0;
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyMember *m = &(*dp)->member;
            if ((*dp)->kind != HPyDef_Kind_Member ||
                m->type == HPyMember_OBJECT || m->type == HPyMember_OBJECT_EX ||
                (HPY_NONE_AS_GETSET && m->type == HPyMember_NONE))
                continue;
            members[im].name = m->name;
            members[im].type = (int)m->type;
            members[im].offset = header + m->offset;    /* computed per type: the def is left alone */
            /* a write to a writable NONE member fails as CPython's own T_NONE members do */
            members[im].flags = m->readonly ? HPyCompat_MEMBER_READONLY : 0;
            members[im].doc = m->doc;
            if (strcmp(m->name, "__vectorcalloffset__") == 0)
                vcoff_member_offset = members[im].offset;
            im++;
        }
    }
    for (Py_ssize_t i = 0; i < n_legacy_members; i++)
        members[im++] = legacy_members[i];
    /* getsets: the HPy ones, the legacy ones, the HPyField-backed members */
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            if ((*dp)->kind != HPyDef_Kind_GetSet)
                continue;
            HPyGetSet *g = &(*dp)->getset;
            getsets[ig].name = g->name;
            getsets[ig].get = (getter)g->getter_cpy_trampoline;
            getsets[ig].set = (setter)g->setter_cpy_trampoline;
            getsets[ig].doc = g->doc;
            getsets[ig].closure = g->closure;
#if defined(PYPY_VERSION)
            if (g->getter_cpy_trampoline == NULL || g->setter_cpy_trampoline == NULL)
                hpy__pypy_complete_getset(&getsets[ig], &li->halves[ig]);
#endif
            ig++;
        }
    }
    for (Py_ssize_t i = 0; i < n_legacy_getsets; i++)
        getsets[ig++] = legacy_getsets[i];
#if HPY_NONE_AS_GETSET
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyMember *m = &(*dp)->member;
            if ((*dp)->kind == HPyDef_Kind_Member && m->type == HPyMember_NONE)
                hpy__pypy_none_member(&getsets[ig++], m->name, m->doc, m->readonly);
        }
    }
#endif
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyMember *m = &(*dp)->member;
            if ((*dp)->kind != HPyDef_Kind_Member ||
                (m->type != HPyMember_OBJECT && m->type != HPyMember_OBJECT_EX))
                continue;
            fields[ifield].offset = header + m->offset;
            fields[ifield].type = (int)m->type;
            fields[ifield].name = m->name;
            getsets[ig].name = m->name;
            getsets[ig].get = hpy__field_get;
            getsets[ig].set = m->readonly ? NULL : hpy__field_set;
            getsets[ig].doc = m->doc;
            getsets[ig].closure = &fields[ifield];
            ifield++;
            ig++;
        }
    }

    /* methods */
    Py_ssize_t n_meths = 0;
    if (spec->defines != NULL)
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++)
            if ((*dp)->kind == HPyDef_Kind_Meth)
                n_meths++;
    if (n_meths > 0 || legacy_methods != NULL) {
        methods = create_method_defs(spec->defines, legacy_methods);
        if (methods == NULL)
            goto fail;
    }
    li->methods = methods;

    /* 6. the slots, in order: later ones win */
    slot_table *st = (slot_table *)PyMem_Calloc(1, sizeof(slot_table));
    if (st == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    st->other = (PyType_Slot *)PyMem_Calloc((size_t)n_legacy + 1, sizeof(PyType_Slot));
    if (st->other == NULL) {
        PyMem_Free(st);
        PyErr_NoMemory();
        goto fail;
    }
    if (spec->defines != NULL) {
        for (HPyDef **dp = spec->defines; *dp != NULL; dp++) {
            HPyDef *d = *dp;
            if (d->kind != HPyDef_Kind_Slot || d->slot.slot == HPy_tp_destroy ||
                d->slot.slot == HPy_tp_call)
                continue;
            slot_set(st, (int)d->slot.slot, (void *)d->slot.cpy_trampoline);
        }
    }
    if (spec->doc != NULL)
        slot_set(st, Py_tp_doc, (void *)spec->doc);
    if (legacy != NULL) {
        for (PyType_Slot *s = legacy; s->slot != 0; s++) {
            if (s->slot == Py_tp_methods || s->slot == Py_tp_members || s->slot == Py_tp_getset)
                continue;
            slot_set(st, s->slot, s->pfunc);
        }
    }
    if (methods != NULL)
        slot_set(st, Py_tp_methods, methods);
    if (call_protocol) {
        slot_set(st, Py_tp_call, (void *)PyVectorcall_Call);
        if (!has_new && !legacy_new && !inherit_call)
            slot_set(st, Py_tp_new, (void *)hpy__call_protocol_new);
    }
    if (members != NULL)
        slot_set(st, Py_tp_members, members);
    if (getsets != NULL)
        slot_set(st, Py_tp_getset, getsets);
    if (auto_dealloc)
        slot_set(st, Py_tp_dealloc, (void *)hpy__auto_dealloc);
    if (traverse != NULL)
        slot_set(st, Py_tp_clear, (void *)hpy__auto_clear);
    Py_ssize_t n_slots = st->n_other;
    for (int id = 1; id < MAX_SLOT_ID; id++)
        if (st->by_id[id] != NULL)
            n_slots++;
    slots = (PyType_Slot *)PyMem_Calloc((size_t)n_slots + 1, sizeof(PyType_Slot));
    if (slots == NULL) {
        PyMem_Free(st->other);
        PyMem_Free(st);
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t is = 0;
    for (int id = 1; id < MAX_SLOT_ID; id++) {
        if (st->by_id[id] != NULL) {
            slots[is].slot = id;
            slots[is].pfunc = st->by_id[id];
            is++;
        }
    }
    for (Py_ssize_t i = 0; i < st->n_other; i++)
        slots[is++] = st->other[i];
    PyMem_Free(st->other);
    PyMem_Free(st);

    /* create it */
    PyType_Spec cpy_spec = { name, (int)basicsize, spec->itemsize, (unsigned int)flags, slots };
    result = HPyCompat_Type_FromMetaclass((PyTypeObject *)meta, module, &cpy_spec, bases);
    PyMem_Free(slots);
    slots = NULL;
    if (result == NULL)
        goto fail;
    PyTypeObject *tp = (PyTypeObject *)result;

    /* 10. a legacy type may not take the memory layout of a pure one */
    if (shape == HPyType_BuiltinShape_Legacy) {
        HPyTypeInfo *base_info = hpy__nearest_info(tp->tp_base);
        if (base_info != NULL && base_info->shape != HPyType_BuiltinShape_Legacy) {
            PyErr_SetString(PyExc_TypeError,
                            "A legacy type should not inherit its memory layout from a pure type");
            goto fail;
        }
    }

    /* 11. remember it */
    li->pub.type = tp;
    li->pub.shape = shape;
    li->pub.struct_offset = header;
    li->pub.traverse = traverse;
    li->pub.destroy = destroy;
    li->pub.flags = auto_dealloc ? HPY_TI_AUTO_DEALLOC : 0;
    if (call_def != NULL || inherit_call)
        li->pub.flags |= HPY_TI_HIDDEN_CALL;
    if (call_def != NULL) {
        li->pub.call_offset = call_offset;
        li->pub.default_call = _HPy_FPTR_CAST(vectorcallfunc, call_def->slot.cpy_trampoline);
    }
    else if (has_vcoff_member) {
        li->pub.call_offset = vcoff_member_offset;
    }
    else if (inherit_call) {
        li->pub.call_offset = call_offset;
        li->pub.default_call = inherited->default_call;
    }
    else if (inherited != NULL) {
        li->pub.call_offset = inherited->call_offset;
        li->pub.default_call = inherited->default_call;
    }
    if (call_protocol && tp->tp_new == hpy__call_protocol_new)
        li->pub.runtime_new = hpy__call_protocol_new;
    if (hpy__register_info(li) < 0)
        goto fail;
    Py_XDECREF(bases);
    return _py2h(result);

fail:
    PyMem_Free(slots);
    if (li != NULL && li->pub.release == NULL) {
        /* not registered: the arrays go with it (a type that was created still refers to them,
         * so it must not survive: keep them if it does) */
        if (result != NULL && Py_REFCNT(result) > 1) {
            li->methods = NULL;
            li->members = NULL;
            li->getsets = NULL;
            li->fields = NULL;
            li->halves = NULL;
        }
        hpy__release_info(&li->pub);
    }
    else if (li == NULL) {
        PyMem_Free(members);
        PyMem_Free(getsets);
        PyMem_Free(fields);
        PyMem_Free(methods);
    }
    Py_XDECREF(result);
    Py_XDECREF(bases);
    return HPy_NULL;
}

/* __name__ of the type as UTF-8, valid as long as the type lives. */
HPyAPI_IMPL const char *ctx_Type_GetName(HPyContext *ctx, HPy type)
{
    (void)ctx;
    PyTypeObject *t = (PyTypeObject *)_h2py(type);
    if (t->tp_flags & Py_TPFLAGS_HEAPTYPE)
        return PyUnicode_AsUTF8(((PyHeapTypeObject *)t)->ht_name);
    const char *dot = strrchr(t->tp_name, '.');
    return dot ? dot + 1 : t->tp_name;
}
