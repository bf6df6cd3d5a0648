# Arguments of every supported C type, returned as objects.

def f_int(int a): return a
def f_uint(unsigned int a): return a
def f_long(long a): return a
def f_ulong(unsigned long a): return a
def f_longlong(long long a): return a
def f_ulonglong(unsigned long long a): return a
def f_short(short a): return a
def f_char(char a): return a
def f_size_t(size_t a): return a
def f_ssize_t(Py_ssize_t a): return a
def f_double(double a): return a
def f_float(float a): return a
def f_bint(bint a): return a
def f_bytes(char *a): return a

def f_none(): pass
def f_one(a): return a
def f_two(a, b): return (a, b)
def f_default(a, b=10, c=2.5): return (a, b, c)
def f_kwonly(a, *, k, m=3): return (a, k, m)
