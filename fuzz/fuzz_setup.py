"""Loads the fuzz target for fuzz/driver.c: the module in debug mode, given the objects its
inputs pick from (hostile ones among them)."""
import importlib.util
import os

import hpy.debug
import hpy.universal
from hpy.universal import _debug


class RaisingIndex:
    def __index__(self):
        raise ValueError('__index__ raised')


class WrongIndex:
    def __index__(self):
        return 'not an int'


class RaisingFloat:
    def __float__(self):
        raise ValueError('__float__ raised')


class RaisingStr:
    def __str__(self):
        raise ValueError('__str__ raised')

    def __repr__(self):
        raise ValueError('__repr__ raised')


class RaisingBool:
    def __bool__(self):
        raise ValueError('__bool__ raised')


class RaisingHash:
    def __hash__(self):
        raise ValueError('__hash__ raised')


class IntSub(int):
    def __index__(self):
        raise ValueError('subclass __index__ raised')


class StrSub(str):
    def __str__(self):
        raise ValueError('subclass __str__ raised')


OBJECTS = (
    0, 1, -1, 255, 256, -2**31, 2**31, 2**63, -2**63 - 1, 2**70, True, None, 1.5, float('nan'),
    'abc', 'h\xe9llo', 'a\x00b', '\ud800', '', b'bytes', bytearray(b'ba'), [1], (1, 2), {},
    RaisingIndex(), WrongIndex(), RaisingFloat(), RaisingStr(), RaisingBool(), RaisingHash(),
    IntSub(5), StrSub('sub'),
)
KWNAMES = ('a', 'b', 'c', '', 'x', 'n\xe9', 'd', 'a')


def load():
    hpy.debug.disable_handle_stack_traces()    # a stack trace per handle: too slow here
    path = os.environ['HPY_FUZZ_MODULE']
    spec = importlib.util.spec_from_file_location('hpy_fuzz_module', path)
    mod = hpy.universal.load('hpy_fuzz_module', path, spec, mode=1)   # debug mode
    mod.setup(OBJECTS, KWNAMES)
    return mod.one, _debug.new_generation, _debug.get_open_handles
