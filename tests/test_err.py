"""Exceptions from C: every HPyErr_* function, HPyErr_WarnEx, HPyErr_WriteUnraisable and
HPy_FatalError (api.md §6.3, §7)."""
import errno
import os
import re
import sys
import warnings

import pytest

from support import run_python, refcount

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

# `VA(name)` defines a VARARGS method `name` (body sees ctx, args, nargs); Ellipsis passed
# from Python stands for HPy_NULL (or a NULL char *).
PRELUDE = r'''
#include <errno.h>
#include <string.h>

#define VA(name) \
    HPyDef_METH(m_##name, #name, HPyFunc_VARARGS) \
    static HPy name##_body(HPyContext *ctx, _HPy_UNUSED const HPy *args, \
                           _HPy_UNUSED size_t nargs); \
    static HPy m_##name##_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs) \
    { (void)self; return name##_body(ctx, args, nargs); } \
    static HPy name##_body(HPyContext *ctx, _HPy_UNUSED const HPy *args, \
                           _HPy_UNUSED size_t nargs)

HPyAPI_UNUSED int IS_NULL_MARK(HPyContext *ctx, HPy h)
{
    return HPy_Is(ctx, h, ctx->h_Ellipsis);
}

HPyAPI_UNUSED HPy OPT(HPyContext *ctx, HPy h)
{
    return IS_NULL_MARK(ctx, h) ? HPy_NULL : h;
}

/* a str argument as UTF-8, Ellipsis -> NULL */
HPyAPI_UNUSED const char *S(HPyContext *ctx, HPy h)
{
    return IS_NULL_MARK(ctx, h) ? NULL : HPyUnicode_AsUTF8AndSize(ctx, h, NULL);
}

HPyAPI_UNUSED HPy_ssize_t I(HPyContext *ctx, HPy h)
{
    return HPyLong_AsSsize_t(ctx, h);
}

HPyAPI_UNUSED HPy ret_int(HPyContext *ctx, long long r)
{
    if (HPyErr_Occurred(ctx)) {
        if (r != -1) {
            HPyErr_Clear(ctx);
            return HPyErr_SetString(ctx, ctx->h_AssertionError,
                                    "exception set but result is not -1");
        }
        return HPy_NULL;
    }
    return HPyLong_FromLongLong(ctx, r);
}

/* The HPyErr_Set* functions return HPy_NULL and leave an exception set. */
HPyAPI_UNUSED HPy expect_null(HPyContext *ctx, HPy r)
{
    if (!HPy_IsNull(r)) {
        HPy_Close(ctx, r);
        HPyErr_Clear(ctx);
        return HPyErr_SetString(ctx, ctx->h_AssertionError, "HPyErr_* returned a handle");
    }
    if (HPyErr_Occurred(ctx) != 1)
        return HPyErr_SetString(ctx, ctx->h_AssertionError, "no exception set");
    return HPy_NULL;
}
'''

_MODULES = {}


def build(compile_module, body):
    names = re.findall(r'^\s*VA\((\w+)\)', body, re.M)
    source = PRELUDE + body + ''.join('\n@EXPORT(m_%s)' % n for n in names) + '\n@INIT\n'
    key = (compile_module.abi, source)
    if key not in _MODULES:
        _MODULES[key] = compile_module(source)
    return _MODULES[key]


NULL = ...

ERR_C = r'''
VA(set_string)
{
    const char *msg = S(ctx, args[1]);
    return expect_null(ctx, HPyErr_SetString(ctx, args[0], msg));
}
VA(set_object) { return expect_null(ctx, HPyErr_SetObject(ctx, args[0], OPT(ctx, args[1]))); }

/* (type, errno, filename bytes or Ellipsis) */
VA(errno_filename)
{
    const char *filename = IS_NULL_MARK(ctx, args[2]) ? NULL : HPyBytes_AsString(ctx, args[2]);
    int e = (int)I(ctx, args[1]);
    errno = e;
    return expect_null(ctx, HPyErr_SetFromErrnoWithFilename(ctx, args[0], filename));
}
/* (type, errno, filename1, filename2) */
VA(errno_filename_objects)
{
    int e = (int)I(ctx, args[1]);
    errno = e;
    return expect_null(ctx, HPyErr_SetFromErrnoWithFilenameObjects(
        ctx, args[0], OPT(ctx, args[2]), OPT(ctx, args[3])));
}
/* (type, errno) */
VA(errno_)
{
    int e = (int)I(ctx, args[1]);
    errno = e;
    return expect_null(ctx, HPyErr_SetFromErrno(ctx, args[0]));
}
/* (type, errno, filename) */
VA(errno_filename_object)
{
    int e = (int)I(ctx, args[1]);
    errno = e;
    return expect_null(ctx, HPyErr_SetFromErrnoWithFilenameObject(ctx, args[0],
                                                                  OPT(ctx, args[2])));
}

/* (Occurred before, after SetString, after Clear) */
VA(occurred_sequence)
{
    int before = HPyErr_Occurred(ctx);
    HPyErr_SetString(ctx, ctx->h_ValueError, "temporary");
    int during = HPyErr_Occurred(ctx);
    HPyErr_Clear(ctx);
    int after = HPyErr_Occurred(ctx);
    HPy items[3] = { HPyLong_FromLong(ctx, before), HPyLong_FromLong(ctx, during),
                     HPyLong_FromLong(ctx, after) };
    HPy res = HPyTuple_FromArray(ctx, items, 3);
    for (int i = 0; i < 3; i++)
        HPy_Close(ctx, items[i]);
    return res;
}
/* raise args[0] (an exception type), test ExceptionMatches(args[1]), clear */
VA(matches)
{
    HPyErr_SetString(ctx, args[0], "to be matched");
    int r = HPyErr_ExceptionMatches(ctx, args[1]);
    int still_set = HPyErr_Occurred(ctx);
    HPyErr_Clear(ctx);
    if (!still_set)
        return HPyErr_SetString(ctx, ctx->h_AssertionError, "ExceptionMatches cleared it");
    return HPyLong_FromLong(ctx, r);
}
VA(matches_nothing) { return HPyLong_FromLong(ctx, HPyErr_ExceptionMatches(ctx, args[0])); }
/* an exception raised by a Python callable, then cleared from C */
VA(call_and_clear)
{
    HPy res = HPy_CallTupleDict(ctx, args[0], HPy_NULL, HPy_NULL);
    if (!HPy_IsNull(res))
        return res;
    int m = HPyErr_ExceptionMatches(ctx, args[1]);
    HPyErr_Clear(ctx);
    return HPyLong_FromLong(ctx, m);
}
VA(no_memory) { return expect_null(ctx, HPyErr_NoMemory(ctx)); }

VA(new_exception)
{
    return HPyErr_NewException(ctx, S(ctx, args[0]), OPT(ctx, args[1]), OPT(ctx, args[2]));
}
VA(new_exception_doc)
{
    return HPyErr_NewExceptionWithDoc(ctx, S(ctx, args[0]), S(ctx, args[1]),
                                      OPT(ctx, args[2]), OPT(ctx, args[3]));
}

VA(warn)
{
    return ret_int(ctx, HPyErr_WarnEx(ctx, OPT(ctx, args[0]), S(ctx, args[1]),
                                      I(ctx, args[2])));
}
/* raise args[0](args[1]), WriteUnraisable(args[2]); returns Occurred() afterwards */
VA(write_unraisable)
{
    HPyErr_SetString(ctx, args[0], S(ctx, args[1]));
    HPyErr_WriteUnraisable(ctx, OPT(ctx, args[2]));
    return HPyLong_FromLong(ctx, HPyErr_Occurred(ctx));
}

VA(fatal)
{
    HPy_FatalError(ctx, S(ctx, args[0]));
    return HPy_NULL;
}
'''


@pytest.fixture
def mod(compile_module):
    return build(compile_module, ERR_C)


def test_set_string(mod):
    for exc_type in (ValueError, KeyError, RuntimeError, StopIteration):
        with pytest.raises(exc_type) as e:
            mod.set_string(exc_type, 'some message')
        assert type(e.value) is exc_type
        assert e.value.args == ('some message',)
    with pytest.raises(ValueError) as e:
        mod.set_string(ValueError, 'héllo wörld €')     # the message is UTF-8
    assert e.value.args == ('héllo wörld €',)

    class MyError(Exception):
        pass
    with pytest.raises(MyError) as e:
        mod.set_string(MyError, 'mine')
    assert e.value.args == ('mine',)


def test_set_object(mod):
    with pytest.raises(KeyError) as e:
        mod.set_object(KeyError, 'k')
    assert e.value.args == ('k',)
    with pytest.raises(ValueError) as e:
        mod.set_object(ValueError, (1, 2))        # a tuple value gives the arguments
    assert e.value.args == (1, 2)
    with pytest.raises(ValueError) as e:
        mod.set_object(ValueError, NULL)
    assert e.value.args == ()
    inst = ValueError('the instance')
    with pytest.raises(ValueError) as e:
        mod.set_object(ValueError, inst)
    assert e.value is inst
    value = object()
    with pytest.raises(TypeError) as e:
        mod.set_object(TypeError, value)
    assert e.value.args == (value,)
    with pytest.raises(SystemError) as e:
        mod.set_object(5, 'x')
    assert 'is not a BaseException subclass' in str(e.value)


def test_set_from_errno_with_filename(mod):
    with pytest.raises(FileNotFoundError) as e:
        mod.errno_filename(OSError, errno.ENOENT, b'foo.txt')
    err = e.value
    assert err.errno == errno.ENOENT
    assert err.strerror == os.strerror(errno.ENOENT)
    assert err.filename == 'foo.txt'
    assert err.filename2 is None
    assert str(err) == "[Errno %d] %s: 'foo.txt'" % (errno.ENOENT, os.strerror(errno.ENOENT))
    # the filename is in the file-system encoding
    with pytest.raises(PermissionError) as e:
        mod.errno_filename(OSError, errno.EACCES, os.fsencode('dir/\udcff-é.txt'))
    assert e.value.filename == 'dir/\udcff-é.txt'
    with pytest.raises(FileExistsError) as e:
        mod.errno_filename(OSError, errno.EEXIST, NULL)
    assert e.value.filename is None
    assert e.value.args == (errno.EEXIST, os.strerror(errno.EEXIST))


def test_set_from_errno_with_filename_objects(mod):
    with pytest.raises(FileExistsError) as e:
        mod.errno_filename_objects(OSError, errno.EEXIST, 'a.txt', 'b.txt')
    err = e.value
    assert (err.errno, err.filename, err.filename2) == (errno.EEXIST, 'a.txt', 'b.txt')
    assert str(err) == "[Errno %d] %s: 'a.txt' -> 'b.txt'" % (errno.EEXIST,
                                                              os.strerror(errno.EEXIST))
    with pytest.raises(IsADirectoryError) as e:
        mod.errno_filename_objects(OSError, errno.EISDIR, b'bytes-name', NULL)
    assert e.value.filename == b'bytes-name'
    assert e.value.filename2 is None
    with pytest.raises(NotADirectoryError) as e:
        mod.errno_filename_objects(OSError, errno.ENOTDIR, NULL, NULL)
    assert e.value.filename is None
    assert e.value.args == (errno.ENOTDIR, os.strerror(errno.ENOTDIR))


def test_set_from_errno_inline_helpers(mod):
    with pytest.raises(PermissionError) as e:
        mod.errno_(OSError, errno.EACCES)
    assert e.value.errno == errno.EACCES
    assert e.value.filename is None
    assert e.value.args == (errno.EACCES, os.strerror(errno.EACCES))
    with pytest.raises(OSError) as e:
        mod.errno_(OSError, 0)                 # no errno: the message is "Error"
    assert type(e.value) is OSError
    assert e.value.args == (0, 'Error')
    with pytest.raises(ValueError) as e:       # any exception type
        mod.errno_(ValueError, errno.ENOENT)
    assert e.value.args == (errno.ENOENT, os.strerror(errno.ENOENT))
    with pytest.raises(IsADirectoryError) as e:
        mod.errno_filename_object(OSError, errno.EISDIR, 'some/dir')
    assert e.value.filename == 'some/dir'
    assert e.value.filename2 is None
    with pytest.raises(FileNotFoundError) as e:
        mod.errno_filename_object(OSError, errno.ENOENT, NULL)
    assert e.value.filename is None


def test_occurred_and_clear(mod):
    assert mod.occurred_sequence() == (0, 1, 0)


def test_exception_matches(mod):
    assert mod.matches(KeyError, KeyError) == 1
    assert mod.matches(KeyError, LookupError) == 1
    assert mod.matches(KeyError, Exception) == 1
    assert mod.matches(KeyError, ValueError) == 0
    assert mod.matches(LookupError, KeyError) == 0
    assert mod.matches(KeyError, (ValueError, LookupError)) == 1
    assert mod.matches(KeyError, (ValueError, TypeError)) == 0
    assert mod.matches_nothing(Exception) == 0

    def raiser():
        raise ZeroDivisionError('from python')
    assert mod.call_and_clear(raiser, ArithmeticError) == 1
    assert mod.call_and_clear(raiser, KeyError) == 0
    assert mod.call_and_clear(lambda: 'ok', KeyError) == 'ok'


def test_no_memory(mod):
    with pytest.raises(MemoryError) as e:
        mod.no_memory()
    assert type(e.value) is MemoryError
    assert e.value.args == ()


def test_new_exception(mod):
    E = mod.new_exception('mymod.MyError', NULL, NULL)
    assert isinstance(E, type)
    assert E.__name__ == 'MyError'
    assert E.__qualname__ == 'MyError'
    assert E.__module__ == 'mymod'
    assert E.__bases__ == (Exception,)
    assert E.__doc__ is None
    with pytest.raises(E) as e:
        raise E('x', 1)
    assert e.value.args == ('x', 1)

    E2 = mod.new_exception('pkg.sub.Deep', KeyError, NULL)
    assert (E2.__module__, E2.__name__) == ('pkg.sub', 'Deep')
    assert issubclass(E2, LookupError)

    E3 = mod.new_exception('m.Multi', (ValueError, KeyError), {'extra': 42})
    assert E3.__bases__ == (ValueError, KeyError)
    assert E3.extra == 42

    E4 = mod.new_exception('m.WithModule', NULL, {'__module__': 'elsewhere'})
    assert E4.__module__ == 'elsewhere'

    with pytest.raises(SystemError) as e:
        mod.new_exception('NoDot', NULL, NULL)
    assert str(e.value) == 'PyErr_NewException: name must be module.class'


def test_new_exception_with_doc(mod):
    E = mod.new_exception_doc('mymod.Documented', 'Docs for ünicode.', NULL, NULL)
    assert E.__doc__ == 'Docs for ünicode.'
    assert (E.__module__, E.__name__) == ('mymod', 'Documented')
    assert E.__bases__ == (Exception,)
    E2 = mod.new_exception_doc('mymod.NoDoc', NULL, ValueError, {'x': 1})
    assert E2.__doc__ is None
    assert issubclass(E2, ValueError)
    assert E2.x == 1
    with pytest.raises(SystemError) as e:
        mod.new_exception_doc('NoDot', 'doc', NULL, NULL)
    assert str(e.value) == 'PyErr_NewException: name must be module.class'


def _warn_here(mod, category, msg, level):
    return mod.warn(category, msg, level), sys._getframe().f_lineno


def test_warn_ex(mod):
    with pytest.warns(UserWarning) as rec:
        assert mod.warn(UserWarning, 'a wärning', 1) == 0
    assert len(rec) == 1
    assert str(rec[0].message) == 'a wärning'
    assert rec[0].category is UserWarning
    assert rec[0].filename == __file__

    with pytest.warns(DeprecationWarning, match='deprecated thing'):
        assert mod.warn(DeprecationWarning, 'deprecated thing', 1) == 0
    with pytest.warns(RuntimeWarning, match='default category'):
        assert mod.warn(NULL, 'default category', 1) == 0   # NULL category: RuntimeWarning

    # stack_level selects the frame the warning is attributed to
    with pytest.warns(UserWarning) as rec:
        res, helper_line = _warn_here(mod, UserWarning, 'level 1', 1)
    assert res == 0
    assert rec[0].lineno == helper_line
    with pytest.warns(UserWarning) as rec:
        res, helper_line = _warn_here(mod, UserWarning, 'level 2', 2); caller_line = sys._getframe().f_lineno  # noqa: E702,E501
    assert rec[0].lineno == caller_line != helper_line


def test_warn_ex_as_error(mod):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(UserWarning) as e:
            mod.warn(UserWarning, 'turned into an error', 1)
        assert str(e.value) == 'turned into an error'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert mod.warn(UserWarning, 'ignored', 1) == 0


# pytest's own unraisable-exception handling holds on to part of what passes through
# sys.unraisablehook, which the whole-test reference count of --refleaks cannot tell from a leak;
# the reference counts of the objects involved are checked directly instead.
@pytest.mark.no_refleak_check
def test_write_unraisable(mod):
    seen = []
    saved = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        obj = object()
        assert mod.write_unraisable(ValueError, 'cannot raise this', obj) == 0
        assert mod.write_unraisable(KeyError, 'no object', NULL) == 0
    finally:
        sys.unraisablehook = saved
    assert len(seen) == 2
    assert seen[0].exc_type is ValueError
    assert str(seen[0].exc_value) == 'cannot raise this'
    assert seen[0].object is obj
    assert seen[1].exc_type is KeyError
    assert seen[1].object is None
    del seen[:]
    sys.unraisablehook = seen.append
    try:
        before = refcount(obj)
        for _ in range(100):
            mod.write_unraisable(ValueError, 'cannot raise this', obj)
        del seen[:]
        assert refcount(obj) == before
    finally:
        sys.unraisablehook = saved


def test_fatal_error(compile_module, hpy_abi):
    name, path = compile_module.compile(PRELUDE + ERR_C + '\n@EXPORT(m_fatal)\n@INIT\n')
    code = '\n'.join([
        'import resource, sys',
        'resource.setrlimit(resource.RLIMIT_CORE, (0, 0))',   # no core file
        'sys.path.insert(0, %r)' % TESTS_DIR,
        'from support import load_module',
        'mod = load_module(%r, %r, %r)' % (name, path, hpy_abi),
        'print("before", flush=True)',
        'mod.fatal("the end of the wörld")',
        'print("after", flush=True)',
    ])
    res = run_python(code, env={'PYTHONFAULTHANDLER': ''})
    assert res.returncode != 0
    assert res.stdout == 'before\n'
    assert 'Fatal Python error' in res.stderr
    assert 'the end of the wörld' in res.stderr
