"""A universal binary made of several files shares one description of the inline operations
(hpy/hpymodule.h: C files read it through a const declaration of the symbol, C++ files through a
plain one): every file of the binary sees what the runtime allowed when the binary was loaded, and
the operations behave, whichever file holds HPy_MODINIT, with C and C++ files mixed and with
link-time optimization."""
import pytest

from support import ABIS, compile_files, load_module, refcount
from test_inline_ops import runtime_offers_inline

# One function per file: what the file sees of the description, and a few inline operations on
# obj (n new handles to it closed again, a tuple (obj, obj) built and read back).
FILE_FUNCTION = r'''
HPyDef_METH(FILE_ops, "FILE_ops", HPyFunc_VARARGS)
static HPy FILE_ops_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    long n;
    HPy obj;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Ol", &obj, &n))
        return HPy_NULL;
    HPy dups[8];
    if (n < 0 || n > 8)
        return HPyErr_SetString(ctx, ctx->h_ValueError, "0 <= n <= 8");
    for (long i = 0; i < n; i++)
        dups[i] = HPy_Dup(ctx, obj);
    for (long i = 0; i < n; i++)
        HPy_Close(ctx, dups[i]);
    HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 2);
    HPyTupleBuilder_Set(ctx, b, 0, obj);
    HPyTupleBuilder_Set(ctx, b, 1, obj);
    HPy pair = HPyTupleBuilder_Build(ctx, b);
    if (HPy_IsNull(pair))
        return HPy_NULL;
    HPy second = HPy_GetItem_i(ctx, pair, 1);
    int same = HPy_Is(ctx, second, obj) && HPy_Length(ctx, pair) == 2;
    HPy_Close(ctx, second);
    HPy_Close(ctx, pair);
    return HPy_BuildValue(ctx, "ii", _hpy_inline_ops.mode != 0, same);
}
'''

MAIN = r'''
#include "hpy.h"
DECLARE_OTHER
FUNCTION
static HPyDef *module_defines[] = { &main_ops, &other_ops, NULL };
static HPyModuleDef moduledef = { NULL, 0, NULL, module_defines, NULL };
HPy_MODINIT(NAME, moduledef)
'''

OTHER = r'''
#include "hpy.h"
FUNCTION
'''


def sources(name, main_ext, other_ext):
    """main<main_ext> holds HPy_MODINIT and main_ops, other<other_ext> other_ops (an HPyDef is
    a variable: the same symbol from C and from C++)."""
    main = (MAIN.replace('DECLARE_OTHER', 'extern HPyDef other_ops;')
            .replace('FUNCTION', FILE_FUNCTION.replace('FILE', 'main'))
            .replace('NAME', name))
    other = OTHER.replace('FUNCTION', FILE_FUNCTION.replace('FILE', 'other'))
    return [('main' + main_ext, main), ('other' + other_ext, other)]


# (main file, other file, extra flags for compiling and linking)
LAYOUTS = {
    'c+c': ('.c', '.c', []),
    'c+cpp': ('.c', '.cpp', []),
    'cpp+c': ('.cpp', '.c', []),
    'c+c-lto': ('.c', '.c', ['-O2', '-flto']),
    'c+cpp-lto': ('.c', '.cpp', ['-O2', '-flto']),
}

# every ABI of binaries that load through the runtime (the CPython ABI has no description)
TEST_ABIS = [abi for abi in ABIS if abi != 'cpython']


@pytest.mark.parametrize('layout', list(LAYOUTS))
def test_every_file_sees_the_description(tmp_path, layout, hpy_abi):
    abi = hpy_abi
    main_ext, other_ext, flags = LAYOUTS[layout]
    name = 'files_%s_%s' % (layout.replace('+', '_').replace('-', '_'), abi.replace('-', '_'))
    path = compile_files(sources(name, main_ext, other_ext), tmp_path, abi, name,
                         extra_flags=flags)
    mod = load_module(name, path, abi)
    inline = abi in ('universal', 'hybrid') and runtime_offers_inline()
    obj = object()
    before = refcount(obj)
    for n in (0, 1, 8):
        assert mod.main_ops(obj, n) == (inline, 1)
        assert mod.other_ops(obj, n) == (inline, 1)
    assert refcount(obj) == before
