"""An HPy extension in a package: the functions come from the binary hpyexample._native."""
from ._native import add, context_name, greet

__all__ = ['add', 'context_name', 'greet']
