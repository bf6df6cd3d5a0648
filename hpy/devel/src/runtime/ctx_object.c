/* Object protocol members that are not one C-API call: item access by C string key or by C
 * index through the mapping protocol, debugging dump; storing into an HPyGlobal. */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"
#include "hpy/runtime/cpy_compat.h"

HPyAPI_IMPL HPy ctx_GetItem_s(HPyContext *ctx, HPy obj, const char *utf8_key)
{
    (void)ctx;
    PyObject *key = PyUnicode_FromString(utf8_key);
    if (key == NULL)
        return HPy_NULL;
    PyObject *res = PyObject_GetItem(_h2py(obj), key);
    Py_DECREF(key);
    return _py2h(res);
}

HPyAPI_IMPL int ctx_SetItem_i(HPyContext *ctx, HPy obj, HPy_ssize_t idx, HPy value)
{
    (void)ctx;
    PyObject *key = PyLong_FromSsize_t(idx);
    if (key == NULL)
        return -1;
    int res = PyObject_SetItem(_h2py(obj), key, _h2py(value));
    Py_DECREF(key);
    return res;
}

HPyAPI_IMPL int ctx_SetItem_s(HPyContext *ctx, HPy obj, const char *utf8_key, HPy value)
{
    (void)ctx;
    PyObject *key = PyUnicode_FromString(utf8_key);
    if (key == NULL)
        return -1;
    int res = PyObject_SetItem(_h2py(obj), key, _h2py(value));
    Py_DECREF(key);
    return res;
}

HPyAPI_IMPL int ctx_DelItem_i(HPyContext *ctx, HPy obj, HPy_ssize_t idx)
{
    (void)ctx;
    PyObject *key = PyLong_FromSsize_t(idx);
    if (key == NULL)
        return -1;
    int res = PyObject_DelItem(_h2py(obj), key);
    Py_DECREF(key);
    return res;
}

HPyAPI_IMPL int ctx_DelItem_s(HPyContext *ctx, HPy obj, const char *utf8_key)
{
    (void)ctx;
    PyObject *key = PyUnicode_FromString(utf8_key);
    if (key == NULL)
        return -1;
    int res = PyObject_DelItem(_h2py(obj), key);
    Py_DECREF(key);
    return res;
}

/* Print the object's type, reference count and repr to stderr; never fails. */
HPyAPI_IMPL void ctx_Dump(HPyContext *ctx, HPy h)
{
    (void)ctx;
    PyObject *o = _h2py(h);
    PyObject *exc = HPyCompat_GetRaisedException();
    if (o == NULL) {
        fprintf(stderr, "<HPy_NULL>\n");
    }
    else {
        fprintf(stderr, "object address  : %p\n", (void *)o);
        fprintf(stderr, "object refcount : %zd\n", Py_REFCNT(o));
        fprintf(stderr, "object type     : %s\n", Py_TYPE(o)->tp_name);
        PyObject *r = PyObject_Repr(o);
        const char *s = r ? PyUnicode_AsUTF8(r) : NULL;
        fprintf(stderr, "object repr     : %s\n", s ? s : "<repr failed>");
        Py_XDECREF(r);
        PyErr_Clear();
    }
    fflush(stderr);
    HPyCompat_SetRaisedException(exc);
}

HPyAPI_IMPL void ctx_Global_Store(HPyContext *ctx, HPyGlobal *global, HPy h)
{
    (void)ctx;
    PyObject *old = _hg2py(*global);
    PyObject *obj = _h2py(h);
    Py_XINCREF(obj);
    global->_i = (intptr_t)obj;
    Py_XDECREF(old);
}
