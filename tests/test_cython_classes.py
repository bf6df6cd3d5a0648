"""cdef classes compiled by hpy.cython (tests/cython/classes.pyx): each scenario runs against our
module and against the same file built by stock Cython, and must give the same results and
error messages, in every ABI (in the debug ABIs under a LeakDetector, see conftest.py)."""
import gc

import pytest

import cython_support as cs
import support
from test_cython_own import ours, reference

TEST_ABIS = support.ABIS


def attempt(func, *args):
    """What calling func(*args) gives, as plain data: its result's repr, or the error."""
    try:
        r = func(*args)
    except Exception as e:
        return ('raised', type(e).__name__, str(e))
    return ('ok', type(r).__name__, repr(r))


def fields(m):
    v = m.Vec(1.5, -2, 'a')
    out = [attempt(lambda: (v.hits, v.serial, v.tag, v.history))]
    out.append(attempt(v.coords))
    out.append(attempt(lambda: v.hits))
    v.hits = 41
    v.tag = [1]
    out.append(attempt(lambda: (v.hits, v.tag)))
    out.append(attempt(setattr, v, 'hits', 'x'))
    out.append(attempt(setattr, v, 'hits', 2**40))
    out.append(attempt(setattr, v, 'history', 3))
    out.append(attempt(delattr, v, 'tag'))
    out.append(attempt(lambda: v.tag))
    out.append(attempt(delattr, v, 'hits'))
    out.append(attempt(getattr, v, 'x'))
    out.append(attempt(getattr, v, 'hidden'))
    v.set_hidden((1, 2))
    out.append(attempt(v.get_hidden))
    out.append(attempt(m.read_fields, v))
    out.append(attempt(m.write_fields, v, 9.25, 'w'))
    out.append(attempt(m.read_fields, v))
    out.append(attempt(m.make, 3, 4))
    out.append(attempt(lambda: m.read_fields(m.make(3, 4))))
    return out


def construction(m):
    return [
        attempt(m.Vec, 1, 2),
        attempt(m.Vec, 1),
        attempt(m.Vec, 1, 2, 3, 4),
        attempt(m.Vec, 'x', 2),
        attempt(lambda: m.Vec(y=2, x=1, tag='kw')),
        attempt(lambda: m.Vec(1, 2, tag='kw').tag),
        attempt(lambda: m.Vec(1, z=2)),
        attempt(lambda: m.Counter().value()),
        attempt(m.counter_value),
        attempt(m.Counter, 1),
        attempt(lambda: type(m.Vec(1, 2)).__name__),
        attempt(lambda: type(m.Vec(1, 2)).__module__),
        attempt(lambda: m.Vec.__doc__),
    ]


def arithmetic(m):
    a, b = m.Vec(1, 2), m.Vec(10, 20)
    return [
        attempt(lambda: a + b), attempt(lambda: a - b), attempt(lambda: a * 3),
        attempt(lambda: 3 * a), attempt(lambda: -a), attempt(lambda: a + 1),
        attempt(lambda: 0 + a), attempt(lambda: sum([a, b])), attempt(lambda: a - 1),
        attempt(lambda: 1 - a), attempt(lambda: a == m.Vec(1, 2)), attempt(lambda: a != b),
        attempt(lambda: a == 5), attempt(lambda: a != 5), attempt(lambda: a < b),
        attempt(repr, a), attempt(str, a), attempt(m.sum_vectors, [a, b, a]),
        attempt(m.sum_vectors, [a, 1]),
    ]


def typing(m):
    return [
        attempt(m.typed_assign, m.Vec(4, 5)), attempt(m.typed_assign, None),
        attempt(m.typed_assign, 3), attempt(m.typed_assign, m.Counter()),
        attempt(m.typed_assign, m.Vec3(1, 2, 3)), attempt(m.read_fields, 'x'),
        attempt(lambda: m.Vec(1, 2).dot_with(m.Vec(3, 4))),
        attempt(lambda: m.Vec(1, 2).dot_with(5)),
    ]


def inheritance(m):
    v = m.Vec3(1, 2, 3)
    return [
        attempt(v.coords3), attempt(v.coords), attempt(lambda: v.z),
        attempt(lambda: isinstance(v, m.Vec)), attempt(m.inherit, 4.5),
        attempt(lambda: v + m.Vec(1, 1)), attempt(repr, v),
        attempt(lambda: [c.__name__ for c in type(v).__mro__]),
    ]


@pytest.mark.parametrize('scenario', [fields, construction, arithmetic, typing, inheritance])
def test_same_as_cython(tmp_path, hpy_abi, scenario):
    mine = scenario(ours('classes', tmp_path, hpy_abi))
    expected = scenario(reference('classes'))
    assert mine == expected


def test_python_subclass(tmp_path, hpy_abi):
    m = ours('classes', tmp_path, hpy_abi)

    class Named(m.Vec):
        def __repr__(self):
            return 'Named' + str(self.coords())

    n = Named(1, 2)
    assert repr(n) == 'Named(1.0, 2.0)'
    assert n.hits == 1
    assert m.read_fields(n) == (1.0, 2.0, 1, 7, None, [1.0, 2.0])
    assert (n + m.Vec(1, 1)).coords() == (2.0, 3.0)
    with pytest.raises(TypeError) as info:
        m.Vec(1, 2).dot_with(object())
    assert str(info.value) == \
        "Argument 'other' has incorrect type (expected classes.Vec, got object)"


def test_none_has_no_fields(tmp_path, hpy_abi):
    # stock Cython (without nonecheck) reads through a NULL struct here and crashes
    m = ours('classes', tmp_path, hpy_abi)
    for call in (m.field_of_none, lambda: m.read_fields(None)):
        with pytest.raises(AttributeError) as info:
            call()
        assert str(info.value) == "'NoneType' object has no attribute 'x'"


def test_readonly_c_attribute_is_a_member(tmp_path, hpy_abi):
    # an HPyDef_MEMBER: CPython's message for writing it, not a property's
    m = ours('classes', tmp_path, hpy_abi)
    v = m.Vec(1, 2)
    assert v.serial == 7
    with pytest.raises(AttributeError, match='readonly attribute'):
        v.serial = 3


def test_gc_collects_cycles(tmp_path, hpy_abi):
    m = ours('classes', tmp_path, hpy_abi)
    gc.collect()
    before = m.live()
    m.make_cycle(5)
    assert m.live() == before + 10
    gc.collect()
    assert m.live() == before


def test_types_have_gc_only_with_object_fields(tmp_path, hpy_abi):
    m = ours('classes', tmp_path, hpy_abi)
    have_gc = 1 << 14
    assert m.Vec.__flags__ & have_gc
    assert m.Node.__flags__ & have_gc
    assert not m.Counter.__flags__ & have_gc


def test_c_text(tmp_path):
    text = cs.hpy_c_text(cs.os.path.join(cs.PYX_DIR, 'classes.pyx'), 'classes')
    assert 'Python.h' not in text
    assert 'HPyType_FromSpec' in text
    assert 'HPyField history;' in text and 'double x;' in text
    assert 'HPy_tp_traverse' in text and 'HPy_tp_destroy' in text
