"""Debug mode: universal modules loaded with `HPY=debug` (or `hpy.universal.load(..., mode=1)`)
get a context that checks how they use handles.

Misuses of closed handles abort the process with a message, or call the function installed with
`hpy.universal._debug.set_on_invalid_handle`. Leaked handles are found with `LeakDetector`, and
so are buffers never released (by the handle in their `obj`: docs/buffers.md).
"""


def __getattr__(name):
    # loaded on first use: importing hpy.debug (as the pytest plugin does) loads no runtime
    if name in ('HPyDebugError', 'HPyLeakError', 'LeakDetector'):
        from . import leakdetector
        return getattr(leakdetector, name)
    raise AttributeError('module %r has no attribute %r' % (__name__, name))


def set_handle_stack_trace_limit(limit):
    """Record up to `limit` C frames where each debug handle is created (shown by repr())."""
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(limit)


def disable_handle_stack_traces():
    """Stop recording where debug handles are created."""
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(None)


__all__ = ['HPyDebugError', 'HPyLeakError', 'LeakDetector', 'set_handle_stack_trace_limit',
           'disable_handle_stack_traces']
