/* libFuzzer entry points around CPython: the interpreter is started once, fuzz/fuzz_setup.py
 * loads the target module (fuzz/hpy_fuzz_module.c) in debug mode, and every input is one call
 * of its one(data), inside a fresh debug-mode generation: a handle it leaves open is a finding,
 * like an exception that escapes it. HPY_FUZZ_PATH names the folders (':'-separated) that hold
 * the instrumented `hpy` package and fuzz_setup.py. */
#include <Python.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static PyObject *one, *new_generation, *get_open_handles;

static void die(const char *what)
{
    fprintf(stderr, "hpy fuzz driver: %s\n", what);
    if (PyErr_Occurred())
        PyErr_Print();
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    PyObject *setup, *res;
    const char *path = getenv("HPY_FUZZ_PATH");
    (void)argc;
    (void)argv;
    if (path == NULL)
        die("HPY_FUZZ_PATH is not set");
    Py_Initialize();
    setup = PyImport_ImportModule("fuzz_setup");
    if (setup == NULL) {
        /* sys.path from HPY_FUZZ_PATH, then again */
        PyObject *sys_path = PySys_GetObject("path"), *parts, *item;
        Py_ssize_t i;
        PyErr_Clear();
        parts = PyUnicode_Split(PyUnicode_FromString(path), PyUnicode_FromString(":"), -1);
        if (parts == NULL || sys_path == NULL)
            die("cannot set sys.path");
        for (i = PyList_GET_SIZE(parts) - 1; i >= 0; i--) {
            item = PyList_GET_ITEM(parts, i);
            if (PyList_Insert(sys_path, 0, item) < 0)
                die("cannot set sys.path");
        }
        setup = PyImport_ImportModule("fuzz_setup");
        if (setup == NULL)
            die("cannot import fuzz_setup");
    }
    res = PyObject_CallMethod(setup, "load", NULL);
    if (res == NULL || !PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 3)
        die("fuzz_setup.load() failed");
    one = PyTuple_GET_ITEM(res, 0);
    new_generation = PyTuple_GET_ITEM(res, 1);
    get_open_handles = PyTuple_GET_ITEM(res, 2);
    Py_INCREF(one);
    Py_INCREF(new_generation);
    Py_INCREF(get_open_handles);
    Py_DECREF(res);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    PyObject *bytes, *gen, *res, *leaks;
    bytes = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)size);
    gen = PyObject_CallNoArgs(new_generation);
    if (bytes == NULL || gen == NULL)
        die("out of memory");
    res = PyObject_CallOneArg(one, bytes);
    if (res == NULL)
        die("one() raised");
    Py_DECREF(res);
    leaks = PyObject_CallOneArg(get_open_handles, gen);
    if (leaks == NULL)
        die("get_open_handles() raised");
    if (PyObject_IsTrue(leaks)) {
        PyObject_Print(leaks, stderr, 0);
        die("\nhandles left open");
    }
    Py_DECREF(leaks);
    Py_DECREF(gen);
    Py_DECREF(bytes);
    return 0;
}
