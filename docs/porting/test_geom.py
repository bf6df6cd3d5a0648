"""The tests of geom, unchanged through every step of docs/porting.md: run them from the folder
holding the built module (python -m pytest ../test_geom.py). Under HPY=debug (steps 1 to 3) each
test also fails if it leaves an HPy handle open."""
import os

import pytest

import geom


@pytest.fixture(autouse=True)
def no_leaked_handles():
    if os.environ.get('HPY') != 'debug':
        yield
        return
    from hpy.debug import LeakDetector
    with LeakDetector():
        yield


def test_point():
    p = geom.Point(3, y=4.5)
    assert (p.x, p.y) == (3.0, 4.5)
    assert repr(p) == 'Point(3.0, 4.5)'
    assert repr(geom.Point()) == 'Point(0.0, 0.0)'
    with pytest.raises(AttributeError):
        p.x = 1
    with pytest.raises(TypeError):
        geom.Point('a')


def test_methods():
    p = geom.Point(3, 4)
    assert p.distance(geom.Point()) == 5.0
    assert repr(p.scaled(2)) == 'Point(6.0, 8.0)'
    assert p.scaled(1) is p
    with pytest.raises(TypeError, match='distance\\(\\) needs a Point'):
        p.distance((0, 0))


def test_subclass():
    class Named(geom.Point):
        pass
    n = Named(1, 2)
    assert type(n.scaled(3)) is Named and repr(n.scaled(3)) == 'Point(3.0, 6.0)'


def test_centroid():
    points = [geom.Point(0, 0), geom.Point(4, 0), geom.Point(4, 4)]
    c = geom.centroid(points)
    assert type(c) is geom.Point
    assert (c.x, c.y) == pytest.approx((8 / 3, 4 / 3))
    c = geom.centroid(points, weights=[1, 0, 1])
    assert (c.x, c.y) == (2.0, 2.0)
    assert geom.centroid(tuple(points[:1])).x == 0.0


def test_centroid_errors():
    assert issubclass(geom.GeometryError, ValueError)
    with pytest.raises(geom.GeometryError, match='centroid\\(\\) of no points'):
        geom.centroid([])
    with pytest.raises(geom.GeometryError, match='1 weights for 2 points'):
        geom.centroid([geom.Point(), geom.Point()], weights=[1])
    with pytest.raises(geom.GeometryError, match='the weights add up to zero'):
        geom.centroid([geom.Point(), geom.Point(1, 1)], weights=[1, -1])
    with pytest.raises(TypeError, match="centroid\\(\\) needs Points, not 'int'"):
        geom.centroid([geom.Point(), 1])
    with pytest.raises(TypeError):
        geom.centroid([geom.Point()], [1])        # weights is keyword-only
