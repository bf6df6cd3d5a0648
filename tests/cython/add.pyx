"""The smallest module: an add of two ints (the hpy_basic of HPy's Cython design)."""

def add(int a, int b):
    """add(a, b) -> a + b"""
    return a + b

def add_objects(a, b):
    return a + b
