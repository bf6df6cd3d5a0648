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

static PyObject *none_get(PyObject *self, void *closure)
{
    (void)self;
    (void)closure;
    Py_RETURN_NONE;
}

static int none_set(PyObject *self, PyObject *value, void *closure)
{
    (void)self;
    if (value == NULL)
        PyErr_SetString(PyExc_TypeError, "can't delete numeric/char attribute");
    else
        PyErr_Format(PyExc_SystemError, "bad memberdescr type for %s", (const char *)closure);
    return -1;
}

static int none_set_readonly(PyObject *self, PyObject *value, void *closure)
{
    (void)self;
    (void)value;
    (void)closure;
    PyErr_SetString(PyExc_AttributeError, "readonly attribute");
    return -1;
}

HPyAPI_IMPL void hpy__pypy_none_member(PyGetSetDef *def, const char *name, const char *doc,
                                       int readonly)
{
    def->name = name;
    def->get = none_get;
    def->set = readonly ? none_set_readonly : none_set;
    def->doc = doc;
    def->closure = (void *)name;
}

#endif /* PYPY_VERSION */
