/* What HPy types need on PyPy beyond ctx_type_spec.c (nothing is compiled elsewhere). */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"
#include "ctx_type_internal.h"

#if defined(PYPY_VERSION)

static PyObject *getset_unreadable(PyObject *self, void *closure)
{
    PyErr_Format(PyExc_AttributeError, "attribute '%s' of '%s' objects is not readable",
                 ((hpy_getset_halves *)closure)->name, Py_TYPE(self)->tp_name);
    return NULL;
}

static PyObject *getset_get(PyObject *self, void *closure)
{
    hpy_getset_halves *h = (hpy_getset_halves *)closure;
    return h->get(self, h->closure);
}

static int getset_unwritable(PyObject *self, PyObject *value, void *closure)
{
    (void)value;
    PyErr_Format(PyExc_AttributeError, "attribute '%s' of '%s' objects is not writable",
                 ((hpy_getset_halves *)closure)->name, Py_TYPE(self)->tp_name);
    return -1;
}

static int getset_set(PyObject *self, PyObject *value, void *closure)
{
    hpy_getset_halves *h = (hpy_getset_halves *)closure;
    return h->set(self, value, h->closure);
}

HPyAPI_IMPL void hpy__pypy_complete_getset(PyGetSetDef *def, hpy_getset_halves *halves)
{
    halves->name = def->name;
    halves->get = def->get;
    halves->set = def->set;
    halves->closure = def->closure;
    def->get = halves->get != NULL ? getset_get : getset_unreadable;
    def->set = halves->set != NULL ? getset_set : getset_unwritable;
    def->closure = halves;
}

#endif /* PYPY_VERSION */
