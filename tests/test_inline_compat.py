"""Inline operations across versions (docs/fast-paths.md): a binary built before
_HPY_RUNTIME_INLINE_OPS and _HPY_RUNTIME_DIRECT_TRAVERSE existed (compiled with
_HPY_IGNORE_INLINE_OPS, so that it never reads the runtime's new fields) on this runtime, and a
binary of these headers on a runtime that does not offer them (hpy.universal._set_inline_ops(False):
the flags are off and the appended fields are poisoned, so that a binary reading them anyway
would find no subtype, count immortal objects, end in a fatal error on a count reaching 0 or a
traverse call, and read tuples far outside the object). Both call the context, and behave as
test_inline_ops.py checks. So does a binary of these headers on a runtime that offers the
operations for a layout other than the one the headers are compiled for
(hpy.universal._set_inline_ops('other-layout'): tuples and lists described as if their item
count and items were far outside the object)."""

import pytest

import hpy.universal
from support import refcount

from test_inline_ops import CHECK_PARAMS, CHECKS, build

TEST_ABIS = ['universal', 'hybrid']


@pytest.fixture(params=['old-binary', 'old-runtime', 'other-layout'])
def mod(request, compile_module):
    return build(compile_module, old_binary=request.param == 'old-binary',
                 old_runtime=request.param == 'old-runtime',
                 other_layout=request.param == 'other-layout')


def test_calls_the_context(mod, request):
    # the other layout's runtime still offers direct traverse calls, which need no layout
    other_layout = request.node.callspec.params['mod'] == 'other-layout'
    assert mod.inline_ops() == (0, int(other_layout), 0)


def test_inline_ops_setting_is_checked():
    with pytest.raises(ValueError, match="True, False or 'other-layout'"):
        hpy.universal._set_inline_ops('another')


@pytest.mark.parametrize('check', CHECK_PARAMS, ids=[c.__name__[len('check_'):] for c in CHECKS])
def test_behaviour(mod, check):
    check(mod)


def test_old_and_new_binaries_share_objects(compile_module):
    # the same counts changed inline by one module and through the context by the other
    new, old = build(compile_module), build(compile_module, old_binary=True)
    obj = object()
    base = refcount(obj)
    new.global_set(obj)
    old.global_set(obj)
    assert refcount(obj) == base + 2
    box, old_box = new.Box(), old.Box()
    box.set(old.global_get())
    old_box.set(new.global_get())
    assert refcount(obj) == base + 4
    assert box.get() is obj and old_box.get() is obj
    new.global_set(None)
    old.global_set(None)
    box.set(None)
    old_box.set(None)
    assert refcount(obj) == base
