/* CPython ABI: the trampolines whose shape does not follow from the implementation prototype.
 * They call the implementation directly; a handle is the PyObject* itself. */
#ifndef HPY_CPYTHON_HPYFUNC_TRAMPOLINES_H
#define HPY_CPYTHON_HPYFUNC_TRAMPOLINES_H

#define _HPyFunc_TRAMPOLINE_HPyFunc_NOARGS(SYM, IMPL) \
    static PyObject *SYM(PyObject *self, PyObject *ignored) \
    { \
        (void)ignored; \
        return _h2py(IMPL(_HPyGetContext(), _py2h(self))); \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_VARARGS(SYM, IMPL) \
    static PyObject *SYM(PyObject *self, PyObject *const *args, Py_ssize_t nargs) \
    { \
        return _h2py(IMPL(_HPyGetContext(), _py2h(self), (const HPy *)args, (size_t)nargs)); \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_KEYWORDS(SYM, IMPL) \
    static PyObject *SYM(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) \
    { \
        return _h2py(IMPL(_HPyGetContext(), _py2h(self), (const HPy *)args, \
                          (size_t)PyVectorcall_NARGS(nargsf), _py2h(kwnames))); \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_INITPROC(SYM, IMPL) \
    static int SYM(PyObject *self, PyObject *args, PyObject *kw) \
    { \
        return IMPL(_HPyGetContext(), _py2h(self), (const HPy *)_HPyTuple_Items(args), \
                    PyTuple_GET_SIZE(args), _py2h(kw)); \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_NEWFUNC(SYM, IMPL) \
    static PyObject *SYM(PyObject *self, PyObject *args, PyObject *kw) \
    { \
        return _h2py(IMPL(_HPyGetContext(), _py2h(self), (const HPy *)_HPyTuple_Items(args), \
                          PyTuple_GET_SIZE(args), _py2h(kw))); \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETBUFFERPROC(SYM, IMPL) \
    static int SYM(PyObject *self, Py_buffer *view, int flags) \
    { \
        HPy_buffer hbuf; \
        int res = IMPL(_HPyGetContext(), _py2h(self), &hbuf, flags); \
        return _HPyBuffer_ToPy(res, &hbuf, view); \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_RELEASEBUFFERPROC(SYM, IMPL) \
    static void SYM(PyObject *self, Py_buffer *view) \
    { \
        HPy_buffer hbuf; \
        _HPyBuffer_FromPy(view, &hbuf); \
        IMPL(_HPyGetContext(), _py2h(self), &hbuf); \
    }

/* The garbage collector calls this for every tracked instance on every collection: for the type
 * it saw last (the common case), the implementation runs here, where it can be inlined. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_TRAVERSEPROC(SYM, IMPL) \
    static int SYM(PyObject *self, visitproc visit, void *arg) \
    { \
        static _HPyTraverseCache cache_; \
        PyTypeObject *tp_ = Py_TYPE(self); \
        Py_ssize_t offset_ = _HPyTraverseCache_Offset(&cache_, tp_); \
        if (offset_ < 0) \
            return _HPy_TraverseSlow((HPyFunc_traverseproc)(IMPL), self, visit, arg, &cache_); \
        Py_VISIT(tp_); \
        _HPyVisitState state_ = { visit, arg }; \
        return IMPL((char *)self + offset_, _HPy_VisitField, &state_); \
    }

/* tp_destroy is called by the runtime's own deallocator, never through a trampoline. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTROYFUNC(SYM, IMPL) \
    static void SYM(void) { abort(); }

#define _HPyFunc_TRAMPOLINE_HPyFunc_MOD_CREATE(SYM, IMPL) \
    static PyObject *SYM(PyObject *spec, PyModuleDef *def) \
    { \
        (void)def; \
        return _HPyModule_CheckCreateSlotResult(_h2py(IMPL(_HPyGetContext(), _py2h(spec)))); \
    }

#define HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM, IMPL) \
    static void SYM(PyObject *capsule) \
    { \
        const char *name = PyCapsule_GetName(capsule); \
        IMPL(name, PyCapsule_GetPointer(capsule, name), PyCapsule_GetContext(capsule)); \
    }

#endif /* HPY_CPYTHON_HPYFUNC_TRAMPOLINES_H */
