/* HPyDef: the definitions a module hands to the runtime (methods, slots, members, get/set
 * descriptors), and the macros that declare them together with their implementations. */
#ifndef HPY_HPYDEF_H
#define HPY_HPYDEF_H

#include "hpy/autogen_hpyslot.h"

typedef struct {
    HPySlot_Slot slot;
    HPyCFunction impl;
    cpy_PyCFunction cpy_trampoline;   /* really of the slot's CPython type */
} HPySlot;

typedef struct {
    const char *name;
    HPyCFunction impl;
    cpy_PyCFunction cpy_trampoline;
    HPyFunc_Signature signature;      /* VARARGS, KEYWORDS, NOARGS or O */
    const char *doc;
} HPyMeth;

typedef enum {
    HPyMember_SHORT = 0,
    HPyMember_INT = 1,
    HPyMember_LONG = 2,
    HPyMember_FLOAT = 3,
    HPyMember_DOUBLE = 4,
    HPyMember_STRING = 5,
    HPyMember_OBJECT = 6,
    HPyMember_CHAR = 7,
    HPyMember_BYTE = 8,
    HPyMember_UBYTE = 9,
    HPyMember_USHORT = 10,
    HPyMember_UINT = 11,
    HPyMember_ULONG = 12,
    HPyMember_STRING_INPLACE = 13,
    HPyMember_BOOL = 14,
    HPyMember_OBJECT_EX = 16,
    HPyMember_LONGLONG = 17,
    HPyMember_ULONGLONG = 18,
    HPyMember_HPYSSIZET = 19,
    HPyMember_NONE = 20
} HPyMember_FieldType;

typedef struct {
    const char *name;
    HPyMember_FieldType type;
    HPy_ssize_t offset;   /* inside the module's C struct (for legacy types: inside the object) */
    int readonly;
    const char *doc;
} HPyMember;

typedef struct {
    const char *name;
    HPyCFunction getter_impl;
    HPyCFunction setter_impl;
    cpy_getter getter_cpy_trampoline;
    cpy_setter setter_cpy_trampoline;
    const char *doc;
    void *closure;
} HPyGetSet;

typedef enum {
    HPyDef_Kind_Slot = 1,
    HPyDef_Kind_Meth = 2,
    HPyDef_Kind_Member = 3,
    HPyDef_Kind_GetSet = 4
} HPyDef_Kind;

typedef struct {
    HPyDef_Kind kind;
    union {
        HPySlot slot;
        HPyMeth meth;
        HPyMember member;
        HPyGetSet getset;
    };
} HPyDef;

/* A per-object call function (see HPy_SetCallFunction). */
typedef struct {
    cpy_vectorcallfunc cpy_trampoline;
    HPyFunc_keywords impl;
} HPyCallFunction;

typedef struct {
    cpy_vectorcallfunc cpy_trampoline;
    HPyCallFunction impl;
} HPyType_Vectorcall;

typedef struct {
    cpy_PyCapsule_Destructor cpy_trampoline;
    HPyFunc_Capsule_Destructor impl;
} HPyCapsule_Destructor;

#define HPySlot_SIG(SLOT) _HPySlot_SIG__##SLOT

/* The HPyDef variables are plain, writable globals, visible in the whole binary but not exported
 * from it (hidden), so that no other library's symbol of the same name can take their place. */

/* The HPyDef_*_IMPL macros declare the implementation they name as a static function with the
 * prototype of the signature, so it may be defined before or after the macro. The declaration only
 * redeclares: one implementation may serve several definitions, and a function declared already
 * with that prototype may be named (the user's own, or one of hpy.h: HPyType_GenericNew is static
 * inline in every ABI). An implementation of another prototype, or with external linkage, does
 * not build. The names the macros add derive from SYM only; the enum comes first so that an
 * unknown signature is the first error reported. */
#define _HPyDef_IMPL_TRAMPOLINE(TRAMPOLINE, IMPL, SIG) \
    enum { TRAMPOLINE##_sig = SIG }; \
    _HPyFunc_DECLARE_EXPAND(IMPL, SIG); \
    _HPyFunc_TRAMPOLINE_EXPAND(TRAMPOLINE, IMPL, SIG)

/* A slot newer than minor 0 counts as a use of its minor (api/slots.tsv, hpy/hpymodule.h). */
#define HPyDef_SLOT_IMPL(SYM, IMPL, SLOT) \
    enum { SYM##_slot = SLOT }; \
    _HPySlot_USES_MINOR(SYM, SLOT) \
    _HPyDef_IMPL_TRAMPOLINE(SYM##_trampoline, IMPL, HPySlot_SIG(SLOT)) \
    _HPy_OPTIONAL_FIELDS_BEGIN \
    _HPy_HIDDEN HPyDef SYM = { \
        .kind = HPyDef_Kind_Slot, \
        .slot = { .slot = SLOT, \
                  .impl = _HPy_FPTR_CAST(HPyCFunction, IMPL), \
                  .cpy_trampoline = _HPy_FPTR_CAST(cpy_PyCFunction, SYM##_trampoline) } \
    }; \
    _HPy_OPTIONAL_FIELDS_END

#define HPyDef_SLOT(SYM, SLOT) \
    HPyFunc_DECLARE(SYM##_impl, HPySlot_SIG(SLOT)); \
    HPyDef_SLOT_IMPL(SYM, SYM##_impl, SLOT)

#define HPyDef_METH_IMPL(SYM, NAME, IMPL, SIG, ...) \
    _HPyDef_IMPL_TRAMPOLINE(SYM##_trampoline, IMPL, SIG) \
    _HPy_OPTIONAL_FIELDS_BEGIN \
    _HPy_HIDDEN HPyDef SYM = { \
        .kind = HPyDef_Kind_Meth, \
        .meth = { .name = NAME, \
                  .impl = _HPy_FPTR_CAST(HPyCFunction, IMPL), \
                  .cpy_trampoline = _HPy_FPTR_CAST(cpy_PyCFunction, SYM##_trampoline), \
                  .signature = SIG, \
                  __VA_ARGS__ } \
    }; \
    _HPy_OPTIONAL_FIELDS_END

#define HPyDef_METH(SYM, NAME, SIG, ...) \
    HPyFunc_DECLARE(SYM##_impl, SIG); \
    HPyDef_METH_IMPL(SYM, NAME, SYM##_impl, SIG, __VA_ARGS__)

#define HPyDef_MEMBER(SYM, NAME, TYPE, OFFSET, ...) \
    _HPy_OPTIONAL_FIELDS_BEGIN \
    _HPy_HIDDEN HPyDef SYM = { \
        .kind = HPyDef_Kind_Member, \
        .member = { .name = NAME, .type = TYPE, .offset = OFFSET, __VA_ARGS__ } \
    }; \
    _HPy_OPTIONAL_FIELDS_END

#define HPyDef_GET_IMPL(SYM, NAME, GETIMPL, ...) \
    _HPyDef_IMPL_TRAMPOLINE(SYM##_get_trampoline, GETIMPL, HPyFunc_GETTER) \
    _HPy_OPTIONAL_FIELDS_BEGIN \
    _HPy_HIDDEN HPyDef SYM = { \
        .kind = HPyDef_Kind_GetSet, \
        .getset = { .name = NAME, \
                    .getter_impl = _HPy_FPTR_CAST(HPyCFunction, GETIMPL), \
                    .getter_cpy_trampoline = SYM##_get_trampoline, \
                    __VA_ARGS__ } \
    }; \
    _HPy_OPTIONAL_FIELDS_END

#define HPyDef_GET(SYM, NAME, ...) \
    HPyFunc_DECLARE(SYM##_get, HPyFunc_GETTER); \
    HPyDef_GET_IMPL(SYM, NAME, SYM##_get, __VA_ARGS__)

#define HPyDef_SET_IMPL(SYM, NAME, SETIMPL, ...) \
    _HPyDef_IMPL_TRAMPOLINE(SYM##_set_trampoline, SETIMPL, HPyFunc_SETTER) \
    _HPy_OPTIONAL_FIELDS_BEGIN \
    _HPy_HIDDEN HPyDef SYM = { \
        .kind = HPyDef_Kind_GetSet, \
        .getset = { .name = NAME, \
                    .setter_impl = _HPy_FPTR_CAST(HPyCFunction, SETIMPL), \
                    .setter_cpy_trampoline = SYM##_set_trampoline, \
                    __VA_ARGS__ } \
    }; \
    _HPy_OPTIONAL_FIELDS_END

#define HPyDef_SET(SYM, NAME, ...) \
    HPyFunc_DECLARE(SYM##_set, HPyFunc_SETTER); \
    HPyDef_SET_IMPL(SYM, NAME, SYM##_set, __VA_ARGS__)

#define HPyDef_GETSET_IMPL(SYM, NAME, GETIMPL, SETIMPL, ...) \
    _HPyDef_IMPL_TRAMPOLINE(SYM##_get_trampoline, GETIMPL, HPyFunc_GETTER) \
    _HPyDef_IMPL_TRAMPOLINE(SYM##_set_trampoline, SETIMPL, HPyFunc_SETTER) \
    _HPy_OPTIONAL_FIELDS_BEGIN \
    _HPy_HIDDEN HPyDef SYM = { \
        .kind = HPyDef_Kind_GetSet, \
        .getset = { .name = NAME, \
                    .getter_impl = _HPy_FPTR_CAST(HPyCFunction, GETIMPL), \
                    .setter_impl = _HPy_FPTR_CAST(HPyCFunction, SETIMPL), \
                    .getter_cpy_trampoline = SYM##_get_trampoline, \
                    .setter_cpy_trampoline = SYM##_set_trampoline, \
                    __VA_ARGS__ } \
    }; \
    _HPy_OPTIONAL_FIELDS_END

#define HPyDef_GETSET(SYM, NAME, ...) \
    HPyFunc_DECLARE(SYM##_get, HPyFunc_GETTER); \
    HPyFunc_DECLARE(SYM##_set, HPyFunc_SETTER); \
    HPyDef_GETSET_IMPL(SYM, NAME, SYM##_get, SYM##_set, __VA_ARGS__)

#define HPyDef_CALL_FUNCTION(SYM) \
    HPyFunc_DECLARE(SYM##_impl, HPyFunc_KEYWORDS); \
    HPyFunc_TRAMPOLINE(SYM##_trampoline, SYM##_impl, HPyFunc_KEYWORDS) \
    static HPyCallFunction SYM = { \
        .cpy_trampoline = _HPy_FPTR_CAST(cpy_vectorcallfunc, SYM##_trampoline), \
        .impl = SYM##_impl \
    };

#define HPyCapsule_DESTRUCTOR(SYM) \
    static void SYM##_impl(const char *name, void *pointer, void *context); \
    HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM##_trampoline, SYM##_impl) \
    static HPyCapsule_Destructor SYM = { \
        .cpy_trampoline = _HPy_FPTR_CAST(cpy_PyCapsule_Destructor, SYM##_trampoline), \
        .impl = SYM##_impl \
    };

/* Inside a traverse implementation whose parameters are named visit and arg. */
#define HPy_VISIT(hpyfield) \
    do { \
        if (!HPyField_IsNull(*(hpyfield))) { \
            int _hpy_vret = visit((hpyfield), arg); \
            if (_hpy_vret) \
                return _hpy_vret; \
        } \
    } while (0)

/* Functions the garbage collector calls (HPy_tp_traverse, HPy_tp_destroy, capsule destructors)
 * get no context and must not call the HPy API (docs/gc-regime.md). What they may use: the
 * module's plain C data, HPyField_IsNull, HPy_VISIT and the two below. */

/* Visit fields[0..n) (null fields are skipped); returns the first non-zero result of visit. */
static inline int HPyField_VisitArray(HPyField *fields, HPy_ssize_t n, HPyFunc_visitproc visit,
                                      void *arg)
{
    for (HPy_ssize_t i = 0; i < n; i++) {
        if (!HPyField_IsNull(fields[i])) {
            int res = visit(&fields[i], arg);
            if (res)
                return res;
        }
    }
    return 0;
}

/* HPy_VISIT for an array of n fields. */
#define HPy_VISIT_ARRAY(fields, n) \
    do { \
        int _hpy_vret = HPyField_VisitArray((fields), (n), visit, arg); \
        if (_hpy_vret) \
            return _hpy_vret; \
    } while (0)

#endif /* HPY_HPYDEF_H */
