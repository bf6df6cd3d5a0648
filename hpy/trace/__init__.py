"""Trace mode: call counts and durations of every context function, and enter/exit hooks.

A universal module loaded in trace mode (`HPY=trace`, or `hpy.universal.load(..., mode=2)`) gets
a context that counts and times each call into the API. Durations are exact by default (every
call is timed); `set_duration_sampling(n)` with n > 1 opts into timing a pseudo-random sample of
one call in n on average, scaled up to all calls, which makes tracing cheaper (see
docs/runtime.md).
"""
from hpy.universal import _trace

get_call_counts = _trace.get_call_counts
get_durations = _trace.get_durations
set_trace_functions = _trace.set_trace_functions
get_frequency = _trace.get_frequency
set_duration_sampling = _trace.set_duration_sampling
get_duration_sampling = _trace.get_duration_sampling

__all__ = ['get_call_counts', 'get_durations', 'set_trace_functions', 'get_frequency',
           'set_duration_sampling', 'get_duration_sampling']
