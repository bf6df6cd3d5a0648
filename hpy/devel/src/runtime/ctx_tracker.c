/* HPyTracker: a growable list of handles closed together (api.md §10).
 * The storage always keeps one free slot, so Add records its handle before it tries to grow;
 * a failed growth is reported but loses nothing. */
#include "hpy/base.h"
#include "hpy/runtime/ctx_funcs.h"

#define HPYTRACKER_DEFAULT_SIZE 5

typedef struct {
    HPy_ssize_t capacity;   /* slots in handles */
    HPy_ssize_t length;     /* slots in use; always < capacity between calls */
    HPy *handles;
} hpy_tracker;

static hpy_tracker *tracker_of(HPyTracker ht)
{
    return (hpy_tracker *)ht._i;
}

HPyAPI_IMPL HPyTracker ctx_Tracker_New(HPyContext *ctx, HPy_ssize_t size)
{
    (void)ctx;
    HPyTracker result = { 0 };
    if (size <= 0)
        size = HPYTRACKER_DEFAULT_SIZE;
    hpy_tracker *t = (hpy_tracker *)PyMem_Malloc(sizeof(hpy_tracker));
    if (t == NULL) {
        PyErr_NoMemory();
        return result;
    }
    t->capacity = size + 1;
    t->length = 0;
    t->handles = (HPy *)PyMem_Calloc((size_t)t->capacity, sizeof(HPy));
    if (t->handles == NULL) {
        PyMem_Free(t);
        PyErr_NoMemory();
        return result;
    }
    result._i = (intptr_t)t;
    return result;
}

HPyAPI_IMPL int ctx_Tracker_Add(HPyContext *ctx, HPyTracker ht, HPy h)
{
    (void)ctx;
    hpy_tracker *t = tracker_of(ht);
    if (t->length >= t->capacity) {
        /* A previous growth failed and the spare slot is used: refuse rather than lose h. */
        PyErr_SetString(PyExc_ValueError, "HPyTracker resize would lose handles");
        return -1;
    }
    t->handles[t->length++] = h;
    if (t->length == t->capacity) {
        HPy_ssize_t new_capacity = t->capacity * 2;
        HPy *grown = (HPy *)PyMem_Realloc(t->handles, (size_t)new_capacity * sizeof(HPy));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        t->handles = grown;
        t->capacity = new_capacity;
    }
    return 0;
}

HPyAPI_IMPL void ctx_Tracker_ForgetAll(HPyContext *ctx, HPyTracker ht)
{
    (void)ctx;
    tracker_of(ht)->length = 0;
}

HPyAPI_IMPL void ctx_Tracker_Close(HPyContext *ctx, HPyTracker ht)
{
    (void)ctx;
    hpy_tracker *t = tracker_of(ht);
    for (HPy_ssize_t i = 0; i < t->length; i++)
        Py_XDECREF(_h2py(t->handles[i]));
    PyMem_Free(t->handles);
    PyMem_Free(t);
}
