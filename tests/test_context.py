"""A context from nowhere (HPyGetContext) and threads started outside Python (HPy_AttachThread /
HPy_DetachThread), in every ABI (docs/context.md)."""
import importlib.util
import os
import shutil
import subprocess
import threading

import pytest

import hpy.universal
from support import FORBID, INCLUDE

PRELUDE = '#define HPY_CONTEXT_FROM_NOWHERE\n#include "hpy.h"\n'

SRC = PRELUDE + r'''
#include <pthread.h>

static HPyGlobal g_callable;
static HPyGlobal g_result;

HPyDef_METH(same_context, "same_context", HPyFunc_NOARGS)
static HPy same_context_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    HPyContext *nowhere = HPyGetContext();
    return HPyUnicode_FromString(ctx, nowhere->name);
}

/* A thread Python knows nothing about: it takes the GIL, calls into Python, and lets go. */
static void *foreign_thread(void *arg)
{
    (void)arg;
    HPyContext *ctx = HPyGetContext();
    HPyThreadState state = HPy_AttachThread(ctx);
    HPy callable = HPyGlobal_Load(ctx, g_callable);
    HPy result = HPy_Call(ctx, callable, NULL, 0, HPy_NULL);
    if (HPy_IsNull(result)) {
        HPyErr_Clear(ctx);
        result = HPyUnicode_FromString(ctx, "the call failed");
    }
    HPyGlobal_Store(ctx, &g_result, result);
    HPy_Close(ctx, result);
    HPy_Close(ctx, callable);
    HPy_DetachThread(ctx, state);
    return NULL;
}

HPyDef_METH(call_from_foreign_thread, "call_from_foreign_thread", HPyFunc_O)
static HPy call_from_foreign_thread_impl(HPyContext *ctx, HPy self, HPy callable)
{
    (void)self;
    pthread_t thread;
    int err;
    HPyGlobal_Store(ctx, &g_callable, callable);
    HPyGlobal_Store(ctx, &g_result, ctx->h_None);
    HPy_BEGIN_LEAVE_PYTHON(ctx)
    err = pthread_create(&thread, NULL, foreign_thread, NULL);
    if (err == 0)
        pthread_join(thread, NULL);
    HPy_END_LEAVE_PYTHON(ctx)
    if (err != 0)
        return HPyErr_SetString(ctx, ctx->h_OSError, "pthread_create failed");
    return HPyGlobal_Load(ctx, g_result);
}

static HPyDef *defs[] = { &same_context, &call_from_foreign_thread, NULL };
static HPyGlobal *globals[] = { &g_callable, &g_result, NULL };
static HPyModuleDef moduledef = { .doc = "from nowhere", .defines = defs, .globals = globals };
HPy_MODINIT(fromnowhere, moduledef)
'''


def build(compile_module):
    return compile_module(SRC, name='fromnowhere', template=False, extra_flags=['-pthread'])


def test_get_context_returns_the_modules_context(compile_module):
    mod = build(compile_module)
    expected = {'cpython': 'HPy CPython ABI', 'trace': 'HPy Trace Mode ABI',
                'debug': 'HPy Debug Mode ABI', 'hybrid-debug': 'HPy Debug Mode ABI'}.get(compile_module.abi,
                                                   'HPy Universal ABI (CPython backend)')
    assert mod.same_context() == expected


def test_foreign_thread_attaches_and_calls_python(compile_module):
    mod = build(compile_module)
    seen = []

    def callback():
        seen.append(threading.get_ident())
        return 'called from thread %d' % threading.get_ident()

    result = mod.call_from_foreign_thread(callback)
    assert len(seen) == 1 and seen[0] != threading.get_ident()
    assert result == 'called from thread %d' % seen[0]
    for _ in range(20):        # attach/detach repeatedly
        mod.call_from_foreign_thread(callback)
    assert len(seen) == 21


def test_universal_needs_the_opt_in(tmp_path):
    src = tmp_path / 'noopt.c'
    src.write_text('#include "hpy.h"\nHPyContext *f(void);\nHPyContext *f(void) '
                   '{ return HPyGetContext(); }\n')
    res = subprocess.run(['gcc', '-std=c11', '-O1', '-c', '-DHPY_ABI_UNIVERSAL', '-I' + FORBID,
                          '-I' + INCLUDE, str(src), '-o', str(tmp_path / 'x.o')],
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert 'HPyGetContext needs HPY_CONTEXT_FROM_NOWHERE in the universal ABI' in res.stderr
