"""The HPy code generator: one module per group of Cython syntax-tree node classes.

    module.py     the module: HPyModuleDef, HPy_MODINIT, HPy_mod_exec, HPyGlobals
    functions.py  def and cdef functions, argument parsing
    stmts.py      statements
    exprs.py      expressions
    coerce.py     conversions between C values and objects
    ctypes.py     C spelling of Cython types
    helpers.py    C helper functions emitted into the module when used
    cwriter.py    indentation, labels, comments pointing at .pyx lines
    dispatch.py   node class -> handler; unknown nodes are UnsupportedConstruct errors
"""
