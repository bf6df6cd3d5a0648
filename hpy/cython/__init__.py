"""Cython code compiled to HPy.

The stock Cython compiler (an optional dependency, imported only when a .pyx is compiled) parses
and analyses the .pyx; the code generator of this package writes the C file. The C includes
`hpy.h` only, so one file builds in every HPy ABI (cpython, universal, hybrid).

    from hpy.cython import compile_pyx
    c_text = compile_pyx('fast.pyx')            # or compile_pyx('fast.pyx', 'fast.c')

Constructs the generator does not handle are reported as `CythonHPyError`, naming the .pyx
file, line, column and the construct.
"""
from .errors import CythonHPyError, UnsupportedCythonError
from .version import SUPPORTED_CYTHON, TESTED_CYTHON, require_cython


def compile_pyx(pyx_path, output=None, module_name=None, directives=None, language_level=None):
    """Compile `pyx_path` to C. Returns the C text; with `output`, also writes it there (the
    file is only written when the compilation succeeded)."""
    from .driver import compile_pyx as _compile
    return _compile(pyx_path, output=output, module_name=module_name, directives=directives,
                    language_level=language_level)


__all__ = ['compile_pyx', 'CythonHPyError', 'UnsupportedCythonError', 'SUPPORTED_CYTHON',
           'TESTED_CYTHON', 'require_cython']
