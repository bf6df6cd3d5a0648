"""Trace mode: call counts and durations of every context function, and enter/exit hooks.

A universal module loaded in trace mode (`HPY=trace`, or `hpy.universal.load(..., mode=2)`) gets
a context that counts and times each call into the API.
"""
from hpy.universal import _trace

get_call_counts = _trace.get_call_counts
get_durations = _trace.get_durations
set_trace_functions = _trace.set_trace_functions
get_frequency = _trace.get_frequency

__all__ = ['get_call_counts', 'get_durations', 'set_trace_functions', 'get_frequency']
