/* Universal ABI: the trampolines whose shape does not follow from the implementation prototype.
 * Every trampoline packs CPython's arguments into an _HPyFunc_args_<SIG> structure and hands it to
 * the runtime through the module's context; the runtime writes the result back. */
#ifndef HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H
#define HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *result;
} _HPyFunc_args_NOARGS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *const *args;
    HPy_ssize_t nargs;
    cpy_PyObject *result;
} _HPyFunc_args_VARARGS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *const *args;
    size_t nargsf;
    cpy_PyObject *kwnames;
    cpy_PyObject *result;
} _HPyFunc_args_KEYWORDS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *args;
    cpy_PyObject *kw;
    int result;
} _HPyFunc_args_INITPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *args;
    cpy_PyObject *kw;
    cpy_PyObject *result;
} _HPyFunc_args_NEWFUNC;

typedef struct {
    cpy_PyObject *self;
    cpy_Py_buffer *view;
    int flags;
    int result;
} _HPyFunc_args_GETBUFFERPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_Py_buffer *view;
} _HPyFunc_args_RELEASEBUFFERPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_visitproc visit;
    void *arg;
    int result;
} _HPyFunc_args_TRAVERSEPROC;

typedef struct {
    cpy_PyObject *spec;
    cpy_PyObject *result;
} _HPyFunc_args_MOD_CREATE;

#define _HPy_TRAMPOLINE_CALL(SIG, IMPL, ARGS) \
    _HPy_CallRealFunctionFromTrampoline(_ctx_for_trampolines, SIG, \
                                        _HPy_FPTR_CAST(HPyCFunction, IMPL), ARGS)

#define _HPyFunc_TRAMPOLINE_HPyFunc_NOARGS(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *ignored) \
    { \
        _HPyFunc_args_NOARGS a = { self, 0 }; \
        (void)ignored; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_NOARGS, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_VARARGS(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *const *args, HPy_ssize_t nargs) \
    { \
        _HPyFunc_args_VARARGS a = { self, args, nargs, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_VARARGS, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_KEYWORDS(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *const *args, size_t nargsf, \
                             cpy_PyObject *kwnames) \
    { \
        _HPyFunc_args_KEYWORDS a = { self, args, nargsf, kwnames, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_KEYWORDS, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_INITPROC(SYM, IMPL) \
    static int SYM(cpy_PyObject *self, cpy_PyObject *args, cpy_PyObject *kw) \
    { \
        _HPyFunc_args_INITPROC a = { self, args, kw, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_INITPROC, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_NEWFUNC(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *args, cpy_PyObject *kw) \
    { \
        _HPyFunc_args_NEWFUNC a = { self, args, kw, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_NEWFUNC, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETBUFFERPROC(SYM, IMPL) \
    static int SYM(cpy_PyObject *self, cpy_Py_buffer *view, int flags) \
    { \
        _HPyFunc_args_GETBUFFERPROC a = { self, view, flags, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_GETBUFFERPROC, IMPL, &a); \
        return a.result; \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_RELEASEBUFFERPROC(SYM, IMPL) \
    static void SYM(cpy_PyObject *self, cpy_Py_buffer *view) \
    { \
        _HPyFunc_args_RELEASEBUFFERPROC a = { self, view }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_RELEASEBUFFERPROC, IMPL, &a); \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_TRAVERSEPROC(SYM, IMPL) \
    static int SYM(cpy_PyObject *self, cpy_visitproc visit, void *arg) \
    { \
        _HPyFunc_args_TRAVERSEPROC a = { self, visit, arg, 0 }; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_TRAVERSEPROC, IMPL, &a); \
        return a.result; \
    }

/* tp_destroy is called by the runtime's own deallocator, never through a trampoline. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTROYFUNC(SYM, IMPL) \
    static void SYM(void) { abort(); }

#define _HPyFunc_TRAMPOLINE_HPyFunc_MOD_CREATE(SYM, IMPL) \
    static cpy_PyObject *SYM(cpy_PyObject *spec, cpy_PyModuleDef *def) \
    { \
        _HPyFunc_args_MOD_CREATE a = { spec, 0 }; \
        (void)def; \
        _HPy_TRAMPOLINE_CALL(HPyFunc_MOD_CREATE, IMPL, &a); \
        return a.result; \
    }

/* The runtime receives the capsule itself and reads name, pointer and context from it. */
#define HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM, IMPL) \
    static void SYM(cpy_PyObject *capsule) \
    { \
        _HPy_TRAMPOLINE_CALL(HPyFunc_CAPSULE_DESTRUCTOR, IMPL, capsule); \
    }

#endif /* HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H */
