"""Errors reported to the user of hpy.cython."""


class CythonHPyError(Exception):
    """A .pyx file could not be compiled to HPy C: a Cython error, or a construct the generator
    does not support. The message starts with `file:line:col:` when a position is known."""


class UnsupportedCythonError(CythonHPyError):
    """Cython is missing, or its version is outside the supported range."""


def format_pos(pos):
    """`file:line:col` of a Cython source position (a (descriptor, line, col) triple)."""
    if not pos:
        return '<unknown>'
    desc, line, col = pos[:3]
    name = getattr(desc, 'get_filenametable_entry', None)
    filename = name() if name else str(desc)
    import os
    return '%s:%d:%d' % (os.path.basename(filename), line, col)


class UnsupportedConstruct(CythonHPyError):
    """The generator met a construct it does not handle."""

    def __init__(self, pos, message):
        self.pos = pos
        self.detail = message
        super().__init__('%s: %s' % (format_pos(pos), message))
