"""HPy: the runtime (hpy.universal), the build integration (hpy.devel), debug and trace modes.

A regular package, not a namespace one: an interpreter that ships a namespace package `hpy` of
its own in its standard library (PyPy does) imports this one from site-packages instead, whole,
rather than merging the two (docs/pypy.md)."""
