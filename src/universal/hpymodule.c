/* hpy.universal: the loader of universal and hybrid binaries (abi.md §9, python-contract.md §5-6). */
#include "internal/runtime.h"
#include "internal/debug.h"
#include "hpy/version.h"

#include <dlfcn.h>

#define NO_DLERROR "no error message provided by the system"

static const char *dl_error(void)
{
    const char *msg = dlerror();
    return msg ? msg : NO_DLERROR;
}

/* The name after the last dot, ASCII only, with '-' turned into '_'. New bytes object. */
static PyObject *short_name(PyObject *name)
{
    PyObject *bytes = PyUnicode_AsASCIIString(name);
    if (bytes == NULL)
        return NULL;
    const char *full = PyBytes_AS_STRING(bytes);
    const char *dot = strrchr(full, '.');
    PyObject *result = PyBytes_FromString(dot ? dot + 1 : full);
    Py_DECREF(bytes);
    if (result == NULL)
        return NULL;
    for (char *p = PyBytes_AS_STRING(result); *p; p++)
        if (*p == '-')
            *p = '_';
    return result;
}

typedef uint32_t (*version_getter)(void);
typedef void (*init_context_func)(HPyContext *);
typedef HPyModuleDef *(*init_module_func)(void);

static void *find_init_symbol(void *lib, const char *prefix, const char *shortname,
                              const char *path)
{
    char symbol[256];
    snprintf(symbol, sizeof(symbol), "%.20s_%.200s", prefix, shortname);
    void *f = dlsym(lib, symbol);
    if (f == NULL)
        PyErr_Format(PyExc_RuntimeError,
                     "Error during loading of the HPy extension module at path '%s' while trying "
                     "to find symbol '%s'. Did you usethe HPy_MODINIT macro to register your "
                     "module? Error message from dlsym/WinAPI: %s", path, symbol, dl_error());
    return f;
}

static HPyContext *context_for_mode(int mode)
{
    if (mode == HPY_MODE_TRACE)
        return hpy__trace_ctx();
    if (mode == HPY_MODE_DEBUG)
        return hpy__debug_ctx();
    return hpy__universal_ctx();
}

/* The ABI minor version this runtime implements; tests lower it to stand for an older runtime. */
static uint32_t runtime_minor = HPY_ABI_VERSION_MINOR;

/* Binaries that get their context from nowhere (HPyGetContext) keep the first context they were
 * given: loading one again with another context is refused. */
typedef struct { void *lib; HPyContext *ctx; } from_nowhere_entry;
static from_nowhere_entry *from_nowhere;    /* grows as needed; never shrinks */
static size_t n_from_nowhere, cap_from_nowhere;

static int check_from_nowhere(void *lib, const char *shortname, const char *soname,
                              HPyContext *ctx)
{
    char symbol[256];
    snprintf(symbol, sizeof(symbol), "HPyContextFromNowhere_%.200s", shortname);
    if (dlsym(lib, symbol) == NULL)
        return 0;
#if !defined(PYPY_VERSION)    /* PyPy has a single interpreter */
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_Format(PyExc_RuntimeError,
                     "HPy extension module '%s' at path '%s' gets its context with HPyGetContext, "
                     "which cannot be honored in a sub-interpreter", shortname, soname);
        return -1;
    }
#endif
    for (size_t i = 0; i < n_from_nowhere; i++) {
        if (from_nowhere[i].lib != lib)
            continue;
        if (from_nowhere[i].ctx == ctx)
            return 0;
        PyErr_Format(PyExc_RuntimeError,
                     "HPy extension module '%s' at path '%s' gets its context with HPyGetContext "
                     "and is already loaded with the context '%s'; it cannot also get '%s' (load "
                     "a copy of the file instead)", shortname, soname, from_nowhere[i].ctx->name,
                     ctx->name);
        return -1;
    }
    if (n_from_nowhere == cap_from_nowhere) {
        size_t cap = cap_from_nowhere ? cap_from_nowhere * 2 : 64;
        from_nowhere_entry *grown = (from_nowhere_entry *)PyMem_RawRealloc(
            from_nowhere, cap * sizeof(from_nowhere_entry));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        from_nowhere = grown;
        cap_from_nowhere = cap;
    }
    from_nowhere[n_from_nowhere].lib = lib;
    from_nowhere[n_from_nowhere].ctx = ctx;
    n_from_nowhere++;
    return 0;
}

/* Each load makes its own module definition and frees it when its last owner is done with it:
 * the loader, while it makes the module, and the module made from it, which must never see its
 * definition go first. A module is done with its definition in its m_free, the last use CPython
 * makes of it. The module object always comes from the definition's Py_mod_create, so that the
 * loader knows whether one was made even when CPython drops it again on an error (possibly
 * later, by the garbage collector). With the binary's own HPy_mod_create no module object is made
 * (HPy refuses one) and the loader is the only owner. */
typedef struct {
    PyModuleDef def;        /* first: a module's definition is its loader_def */
    int owners;
} loader_def;

static void release_def(loader_def *ld)
{
    if (--ld->owners == 0) {
        _HPyModuleDef_ClearPyModuleDef(&ld->def);
        PyMem_Free(ld);
    }
}

static void module_gone(void *module)
{
    release_def((loader_def *)PyModule_GetDef((PyObject *)module));
}

/* Py_mod_create when the binary has no HPy_mod_create: the module CPython would make itself. */
static PyObject *create_module(PyObject *spec, PyModuleDef *def)
{
    PyObject *name = PyObject_GetAttrString(spec, "name");
    if (name == NULL)
        return NULL;
    PyObject *module = PyModule_NewObject(name);
    Py_DECREF(name);
    if (module != NULL)
        ((loader_def *)def)->owners++;
    return module;
}

/* The module (or, with HPy_mod_create, the object) made from `hpydef` for `spec`, not executed
 * yet; if it is a module, it owns its definition. NULL with an exception on error. */
static PyObject *module_from_hpydef(HPyModuleDef *hpydef, PyObject *spec)
{
    loader_def *ld = (loader_def *)PyMem_Calloc(1, sizeof(loader_def));
    if (ld == NULL)
        return PyErr_NoMemory();
    if (_HPyModuleDef_InitPyModuleDef(&ld->def, hpydef, create_module) < 0) {
        PyMem_Free(ld);
        return NULL;
    }
    ld->owners = 1;
    if (ld->def.m_slots[0].value == (void *)create_module)
        ld->def.m_free = module_gone;
    PyObject *result = PyModule_FromDefAndSpec(&ld->def, spec);
    release_def(ld);
    return result;
}

static PyObject *do_load(PyObject *name, PyObject *path, PyObject *spec, int mode)
{
    PyObject *short_bytes = NULL, *path_bytes = NULL, *result = NULL;
    short_bytes = short_name(name);
    if (short_bytes == NULL)
        goto done;
    if (!PyUnicode_FSConverter(path, &path_bytes))
        goto done;
    const char *shortname = PyBytes_AS_STRING(short_bytes);
    const char *soname = PyBytes_AS_STRING(path_bytes);

    void *lib = dlopen(soname, RTLD_NOW);
    if (lib == NULL) {
        PyErr_Format(PyExc_RuntimeError,
                     "Error during loading of the HPy extension module at path '%s'. Error "
                     "message from dlopen/WinAPI: %s", soname, dl_error());
        goto done;
    }

    char minor_name[256], major_name[256];
    snprintf(minor_name, sizeof(minor_name), "get_required_hpy_minor_version_%.200s", shortname);
    snprintf(major_name, sizeof(major_name), "get_required_hpy_major_version_%.200s", shortname);
    version_getter get_minor = (version_getter)dlsym(lib, minor_name);
    version_getter get_major = (version_getter)dlsym(lib, major_name);
    if (get_minor == NULL || get_major == NULL) {
        PyErr_Format(PyExc_RuntimeError,
                     "Error during loading of the HPy extension module at path '%s'. Cannot "
                     "locate the required minimal HPy versions as symbols '%s' and `%s`. Error "
                     "message from dlopen/WinAPI: %s", soname, minor_name, major_name, dl_error());
        goto done;
    }
    uint32_t minor = get_minor();
    uint32_t major = get_major();
    if (major != HPY_ABI_VERSION || minor > runtime_minor) {
        PyErr_Format(PyExc_RuntimeError,
                     "HPy extension module '%s' requires unsupported version of the HPy runtime. "
                     "Requested version: %u.%u. Current HPy version: %u.%u.", shortname,
                     (unsigned)major, (unsigned)minor, (unsigned)HPY_ABI_VERSION,
                     (unsigned)runtime_minor);
        goto done;
    }

    const char *tag = strstr(soname, ".hpy");
    if (tag == NULL || !(tag[4] >= '0' && tag[4] <= '9')) {
        PyErr_Format(PyExc_RuntimeError,
                     "HPy extension module '%s' at path '%s': could not find HPy ABI tag encoded "
                     "in the filename. The extension claims to be compiled with HPy ABI version: "
                     "%u.%u.", shortname, soname, (unsigned)major, (unsigned)minor);
        goto done;
    }
    long file_major = atol(tag + 4);
    if (file_major != (long)major) {
        PyErr_Format(PyExc_RuntimeError,
                     "HPy extension module '%s' at path '%s': mismatch between the HPy ABI tag "
                     "encoded in the filename and the major version requested by the HPy "
                     "extension itself. Major version tag parsed from filename: %ld. Requested "
                     "version: %u.%u.", shortname, soname, file_major, (unsigned)major,
                     (unsigned)minor);
        goto done;
    }

    HPyContext *ctx = context_for_mode(mode);
    if (ctx == NULL)
        goto done;

    init_context_func init_ctx =
        (init_context_func)find_init_symbol(lib, "HPyInitGlobalContext_", shortname, soname);
    if (init_ctx == NULL)
        goto done;
    init_module_func init_module =
        (init_module_func)find_init_symbol(lib, "HPyInit", shortname, soname);
    if (init_module == NULL)
        goto done;
    if (check_from_nowhere(lib, shortname, soname, ctx) < 0)
        goto done;
    init_ctx(ctx);
    HPyModuleDef *hpydef = init_module();
    if (hpydef == NULL) {
        PyErr_Format(PyExc_RuntimeError,
                     "Error during loading of the HPy extension module at path '%s'. Function "
                     "'HPyInit_%s' returned NULL.", soname, shortname);
        goto done;
    }

    result = module_from_hpydef(hpydef, spec);
    if (result != NULL && PyModule_Check(result) &&
        PyModule_ExecDef(result, PyModule_GetDef(result)) != 0)
        Py_CLEAR(result);
done:
    Py_XDECREF(short_bytes);
    Py_XDECREF(path_bytes);
    return result;
}

static PyObject *load(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *kwlist[] = {"name", "path", "spec", "debug", "mode", NULL};
    PyObject *name, *path, *spec;
    int debug = 0, mode = -1;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|pi", (char **)kwlist,
                                     &name, &path, &spec, &debug, &mode))
        return NULL;
    int selected = debug ? HPY_MODE_DEBUG : HPY_MODE_UNIVERSAL;
    if (mode > 0)
        selected = (mode == HPY_MODE_DEBUG || mode == HPY_MODE_TRACE) ? mode : HPY_MODE_UNIVERSAL;
    return do_load(name, path, spec, selected);
}

#define HPY_FORMS "expected universal, debug or trace, or per module: name:mode[,name:mode...], " \
                  "plus at most one bare mode for the modules not named"

/* Whether the n bytes of a and b are equal ASCII text, ignoring case. */
static int ascii_iequal(const char *a, const char *b, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] - 'A' + 'a') : b[i];
        if (x != y)
            return 0;
    }
    return 1;
}

/* The mode a word of HPY names: universal, debug or trace spelled out in full, in any ASCII case.
 * -1 if it names none, -2 with an exception on error. */
static int parse_mode(PyObject *word)
{
    static const struct { const char *name; int mode; } modes[] = {
        {"universal", HPY_MODE_UNIVERSAL}, {"debug", HPY_MODE_DEBUG}, {"trace", HPY_MODE_TRACE},
    };
    if (!PyUnicode_IS_ASCII(word))
        return -1;
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(word, &len);
    if (s == NULL)
        return -2;
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if ((size_t)len == strlen(modes[i].name) && ascii_iequal(s, modes[i].name, len))
            return modes[i].mode;
    }
    return -1;
}

/* Whether a str is an identifier: 1 or 0 (-1 with an exception on error, PyPy only). PyPy's
 * C-API emulation has no PyUnicode_IsIdentifier: str.isidentifier there. */
static int is_identifier(PyObject *s)
{
#if defined(PYPY_VERSION)
    PyObject *res = PyObject_CallMethod(s, "isidentifier", NULL);
    if (res == NULL)
        return -1;
    int ok = PyObject_IsTrue(res);
    Py_DECREF(res);
    return ok;
#else
    return PyUnicode_IsIdentifier(s) == 1;
#endif
}

/* A module name in HPY: identifiers joined by dots. 1 if it is one, 0 if not, -1 on error. */
static int is_dotted_name(PyObject *name, PyObject *dot)
{
    PyObject *parts = PyUnicode_Split(name, dot, -1);
    if (parts == NULL)
        return -1;
    int ok = 1;
    for (Py_ssize_t i = 0; ok == 1 && i < PyList_GET_SIZE(parts); i++)
        ok = is_identifier(PyList_GET_ITEM(parts, i));
    Py_DECREF(parts);
    return ok;
}

/* Whether two str objects are equal (ext_name may be any object: it then equals nothing). */
static int same_str(PyObject *a, PyObject *b)
{
    return PyUnicode_Check(a) && PyUnicode_Check(b) && PyUnicode_Compare(a, b) == 0;
}

/* What HPY says, as far as one module is concerned. */
typedef struct {
    int bare;           /* the mode given alone, for the modules no entry names; -1: none */
    int short_mode;     /* the mode of the entry naming the module's short name; -1: none */
    int full_mode;      /* the mode of the entry naming its full dotted name; -1: none */
    PyObject *seen;     /* the names of the entries so far (a set) */
    PyObject *colon, *dot;
} hpy_env_reading;

/* s.strip(): whitespace around items, names and modes does not count. */
static PyObject *stripped(PyObject *s)
{
    return PyObject_CallMethod(s, "strip", NULL);
}

/* Read one comma-separated item of HPY into `r`: 1 if it is valid, 0 if not, -1 on error. */
static int read_item(PyObject *item, PyObject *name, PyObject *ext_name, hpy_env_reading *r)
{
    PyObject *parts = PyUnicode_Split(item, r->colon, 1);
    if (parts == NULL)
        return -1;
    int res = -1, mode;
    PyObject *entry_name = NULL;
    PyObject *entry_mode = stripped(PyList_GET_ITEM(parts, PyList_GET_SIZE(parts) - 1));
    if (entry_mode == NULL)
        goto done;
    mode = parse_mode(entry_mode);
    if (mode < 0) {
        res = mode == -1 ? 0 : -1;
        goto done;
    }
    if (PyList_GET_SIZE(parts) == 1) {
        res = r->bare < 0;              /* two defaults would be ambiguous */
        r->bare = mode;
        goto done;
    }
    entry_name = stripped(PyList_GET_ITEM(parts, 0));
    if (entry_name == NULL)
        goto done;
    res = is_dotted_name(entry_name, r->dot);
    if (res > 0) {
        res = PySet_Contains(r->seen, entry_name);      /* a name given twice is ambiguous */
        res = res < 0 ? -1 : !res;
    }
    if (res > 0 && PySet_Add(r->seen, entry_name) < 0)
        res = -1;
    if (res > 0) {
        if (same_str(entry_name, ext_name))
            r->full_mode = mode;
        else if (same_str(entry_name, name))
            r->short_mode = mode;
    }
done:
    Py_DECREF(parts);
    Py_XDECREF(entry_name);
    Py_XDECREF(entry_mode);
    return res;
}

/* The mode the HPY variable of `env` selects for the module whose short name is `name` and full
 * dotted name `ext_name` (docs/runtime.md, "Loading"). The whole value is checked whatever
 * module is loaded, so a mistake fails every import alike. -1 with an exception on error. */
static int mode_from_env(PyObject *env, PyObject *name, PyObject *ext_name)
{
    PyObject *key = PyUnicode_FromString("HPY");
    if (key == NULL)
        return -1;
    PyObject *value = PyObject_GetItem(env, key);
    Py_DECREF(key);
    if (value == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_KeyError))
            return -1;
        PyErr_Clear();
        return HPY_MODE_UNIVERSAL;
    }
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "the value of HPY must be a str, not %.100s",
                     Py_TYPE(value)->tp_name);
        Py_DECREF(value);
        return -1;
    }
    int result = -1, valid = 1;
    hpy_env_reading r = {-1, -1, -1, NULL, NULL, NULL};
    PyObject *items = NULL, *comma = NULL, *whole = stripped(value);
    if (whole == NULL)
        goto done;
    if (PyUnicode_GET_LENGTH(whole) == 0) {
        result = HPY_MODE_UNIVERSAL;
        goto done;
    }
    comma = PyUnicode_FromString(",");
    r.colon = PyUnicode_FromString(":");
    r.dot = PyUnicode_FromString(".");
    r.seen = PySet_New(NULL);
    if (comma == NULL || r.colon == NULL || r.dot == NULL || r.seen == NULL)
        goto done;
    items = PyUnicode_Split(whole, comma, -1);
    if (items == NULL)
        goto done;
    for (Py_ssize_t i = 0; valid > 0 && i < PyList_GET_SIZE(items); i++)
        valid = read_item(PyList_GET_ITEM(items, i), name, ext_name, &r);
    if (valid < 0)
        goto done;
    if (!valid)
        PyErr_Format(PyExc_ValueError, "invalid value of HPY: %R (" HPY_FORMS ")", value);
    else if (r.full_mode >= 0)
        result = r.full_mode;
    else if (r.short_mode >= 0)
        result = r.short_mode;
    else
        result = r.bare >= 0 ? r.bare : HPY_MODE_UNIVERSAL;
done:
    Py_XDECREF(whole);
    Py_XDECREF(items);
    Py_XDECREF(comma);
    Py_XDECREF(r.colon);
    Py_XDECREF(r.dot);
    Py_XDECREF(r.seen);
    Py_DECREF(value);
    return result;
}

static int env_has(PyObject *env, const char *var)
{
    PyObject *key = PyUnicode_FromString(var);
    if (key == NULL)
        return -1;
    int res = PySequence_Contains(env, key);
    Py_DECREF(key);
    return res;
}

static void set_attr_quietly(PyObject *obj, const char *attr, PyObject *value)
{
    if (PyObject_SetAttrString(obj, attr, value) < 0)
        PyErr_Clear();
}

static PyObject *load_bootstrap(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *kwlist[] = {"name", "ext_name", "package", "file", "loader", "spec",
                                   "env", NULL};
    PyObject *name, *ext_name, *package, *file, *loader, *spec, *env;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOO:_load_bootstrap", (char **)kwlist,
                                     &name, &ext_name, &package, &file, &loader, &spec, &env))
        return NULL;
    const char *cname = PyUnicode_AsUTF8(name);
    if (cname == NULL)
        return NULL;
    int mode = mode_from_env(env, name, ext_name);
    if (mode < 0)
        return NULL;
    int log = env_has(env, "HPY_LOG");
    if (log < 0)
        return NULL;
    if (log) {
        const char *suffix = mode == HPY_MODE_DEBUG ? " with a debug context" :
                             mode == HPY_MODE_TRACE ? " with a trace context" : "";
        PySys_WriteStdout("Loading '%.200s' in HPy universal mode%s\n", cname, suffix);
    }
    PyObject *mod = do_load(name, file, spec, mode);
    if (mod == NULL)
        return NULL;
    set_attr_quietly(mod, "__file__", file);
    set_attr_quietly(mod, "__loader__", loader);
    set_attr_quietly(mod, "__name__", ext_name);
    set_attr_quietly(mod, "__package__", package);
    set_attr_quietly(spec, "origin", file);
    set_attr_quietly(mod, "__spec__", spec);
    return mod;
}

static PyObject *get_version(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return Py_BuildValue("(ss)", HPY_VERSION, HPY_GIT_REVISION);
}

/* For tests: load the following modules with a context that makes their trampolines take the
 * general path through _HPy_CallRealFunctionFromTrampoline. */
static PyObject *set_direct_calls(PyObject *self, PyObject *arg)
{
    (void)self;
    int enabled = PyObject_IsTrue(arg);
    if (enabled < 0)
        return NULL;
    hpy__set_direct_calls(enabled);
    Py_RETURN_NONE;
}

/* For tests: load the following modules with a context that lets them change reference counts
 * themselves (True, the default where this runtime offers it), one that does not (False: what
 * runtimes before _HPY_RUNTIME_INLINE_OPS advertise), or one that allows it on a layout of tuples
 * and lists other than the one binaries are compiled for ('other-layout'). */
static PyObject *set_inline_ops(PyObject *self, PyObject *arg)
{
    (void)self;
    if (PyUnicode_Check(arg)) {
        if (PyUnicode_CompareWithASCIIString(arg, "other-layout") != 0) {
            PyErr_Format(PyExc_ValueError,
                         "_set_inline_ops() takes True, False or 'other-layout', not %R", arg);
            return NULL;
        }
        hpy__set_inline_ops(HPY_INLINE_OPS_OTHER_LAYOUT);
        Py_RETURN_NONE;
    }
    int enabled = PyObject_IsTrue(arg);
    if (enabled < 0)
        return NULL;
    hpy__set_inline_ops(enabled ? HPY_INLINE_OPS_ON : HPY_INLINE_OPS_OLDER);
    Py_RETURN_NONE;
}

static PyObject *inline_ops_available(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return PyBool_FromLong(hpy__inline_ops_available());
}

static PyObject *traverse_memos_on(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    return PyBool_FromLong(hpy__traverse_memos_on());
}

/* For tests: behave as a runtime of an older ABI minor version (None: this runtime's own). */
static PyObject *set_runtime_minor(PyObject *self, PyObject *arg)
{
    (void)self;
    if (arg == Py_None) {
        runtime_minor = HPY_ABI_VERSION_MINOR;
        Py_RETURN_NONE;
    }
    long m = PyLong_AsLong(arg);
    if (m == -1 && PyErr_Occurred())
        return NULL;
    if (m < 0 || m > HPY_ABI_VERSION_MINOR) {
        PyErr_SetString(PyExc_ValueError, "not a minor version this runtime can stand for");
        return NULL;
    }
    runtime_minor = (uint32_t)m;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"load", (PyCFunction)(void (*)(void))load, METH_VARARGS | METH_KEYWORDS,
     "Load a .hpy0.so file"},
    {"_load_bootstrap", (PyCFunction)(void (*)(void))load_bootstrap,
     METH_VARARGS | METH_KEYWORDS, "Load an HPy module for its generated stub loader"},
    {"get_version", get_version, METH_NOARGS, "Return a tuple ('version', 'git revision')"},
    {"_set_runtime_minor", set_runtime_minor, METH_O,
     "Behave as a runtime of an older ABI minor version (tests)"},
    {"_set_direct_calls", set_direct_calls, METH_O,
     "Whether modules loaded from now on may call implementations directly"},
    {"_set_inline_ops", set_inline_ops, METH_O,
     "Whether modules loaded from now on may change reference counts themselves (tests)"},
    {"_inline_ops", inline_ops_available, METH_NOARGS,
     "Whether this runtime lets modules change reference counts themselves"},
    {"_traverse_memos", traverse_memos_on, METH_NOARGS,
     "Whether tp_traverse trampolines may use what they remember of types (tests)"},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *m)
{
    if (hpy__universal_ctx() == NULL)
        return -1;
#if !defined(PYPY_VERSION)    /* PyPy has a single interpreter */
    if (PyInterpreterState_Get() != PyInterpreterState_Main())
        hpy__traverse_memos_off = 1;
#endif
    if (PyModule_AddIntConstant(m, "MODE_UNIVERSAL", HPY_MODE_UNIVERSAL) < 0 ||
        PyModule_AddIntConstant(m, "MODE_DEBUG", HPY_MODE_DEBUG) < 0 ||
        PyModule_AddIntConstant(m, "MODE_TRACE", HPY_MODE_TRACE) < 0)
        return -1;
    PyObject *trace = hpy__trace_module();
    if (trace == NULL || PyModule_AddObject(m, "_trace", trace) < 0) {
        Py_XDECREF(trace);
        return -1;
    }
    PyObject *debug = hpy__debug_module();
    if (debug == NULL || PyModule_AddObject(m, "_debug", debug) < 0) {
        Py_XDECREF(debug);
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, (void *)exec_module},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hpy.universal",
    .m_doc = "HPy universal runtime for CPython",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC PyInit_universal(void);
PyMODINIT_FUNC PyInit_universal(void)
{
    return PyModuleDef_Init(&moduledef);
}
