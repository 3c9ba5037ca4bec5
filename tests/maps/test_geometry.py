"""Display simplification and British National Grid detection / reprojection."""

from __future__ import annotations

import math

import pytest
import shapely
from shapely.geometry import mapping, shape

from maps.geometry import looks_like_bng, round_geometry, simplify_geometry, to_wgs84


def wiggly_circle(lon: float = -2.3, lat: float = 53.8, radius: float = 0.2) -> dict:
    """A 2,000-vertex circle whose edge wiggles by 0.00005 degrees, well under the tolerance."""
    ring = []
    for i in range(2000):
        theta = 2 * math.pi * i / 2000
        r = radius + 0.00005 * math.sin(97 * theta)
        ring.append([lon + r * math.cos(theta), lat + r * math.sin(theta)])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def square(x: float, y: float, half: float) -> dict:
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def vertex_count(geometry: dict) -> int:
    return len(shapely.get_coordinates(shape(geometry)))


def test_simplify_reduces_vertices_and_keeps_shape():
    original = wiggly_circle()
    simplified = simplify_geometry(original)
    assert simplified["type"] == "Polygon"
    assert vertex_count(simplified) < vertex_count(original) / 4
    geom = shape(simplified)
    assert geom.is_valid
    # Douglas-Peucker keeps vertices on the curve, so the loss is at most about
    # (4/3) * tolerance / radius = 0.33 % of the area for this circle.
    assert geom.area == pytest.approx(shape(original).area, rel=0.01)
    # and it is the same place, not merely the same size
    assert geom.symmetric_difference(shape(original)).area < 0.01 * geom.area


def test_simplified_coordinates_have_five_decimals():
    coords = shapely.get_coordinates(shape(simplify_geometry(wiggly_circle())))
    scaled = coords * 1e5
    assert abs(scaled - scaled.round()).max() < 1e-3


def test_rounding_that_would_break_validity_is_repaired():
    # A square with a slit 8e-6 wide: rounding to 1e-5 makes the slit's sides coincide.
    slit = {
        "type": "Polygon",
        "coordinates": [
            [
                [0, 0],
                [1, 0],
                [1, 1],
                [0.500004, 1],
                [0.500004, 0.2],
                [0.499996, 0.2],
                [0.499996, 1],
                [0, 1],
                [0, 0],
            ]
        ],
    }
    naive = shapely.transform(shape(slit), lambda xy: xy.round(5))
    assert not naive.is_valid  # the case this test is about
    result = shape(simplify_geometry(slit, tolerance=0.0))
    assert result.is_valid and not result.is_empty
    assert result.geom_type in ("Polygon", "MultiPolygon")
    assert result.area == pytest.approx(shape(slit).area, rel=1e-4)


def test_a_polygon_smaller_than_the_grid_is_kept_not_emptied():
    tiny = square(-2.3, 53.8, 0.000001)  # 2e-6 degrees across: rounds away at 5 decimals
    result = simplify_geometry(tiny)
    geom = shape(result)
    assert not geom.is_empty
    assert geom.equals(shape(tiny))


def test_simplify_keeps_every_part_of_a_multipolygon():
    multi = shapely.MultiPolygon(
        [shape(wiggly_circle(-2.3, 53.8)), shape(wiggly_circle(-1.5, 53.8))]
    )
    result = simplify_geometry(mapping(multi))
    assert result["type"] == "MultiPolygon"
    assert len(result["coordinates"]) == 2
    assert shape(result).is_valid


def test_round_geometry_rounds_and_stays_valid():
    result = round_geometry(wiggly_circle(), decimals=3)
    coords = shapely.get_coordinates(shape(result)) * 1e3
    assert abs(coords - coords.round()).max() < 1e-6
    assert shape(result).is_valid


# A 1 km square centred on easting 350000, northing 430000 (grid square SD 50 30, west Preston).
BNG_SQUARE = square(350000, 430000, 500)


def test_looks_like_bng():
    assert looks_like_bng(BNG_SQUARE)
    assert not looks_like_bng(square(-2.76, 53.76, 0.01))
    # Web Mercator metres for the same area: northing beyond the whole of Great Britain
    assert not looks_like_bng(square(-307000, 7_120_000, 500))
    assert not looks_like_bng({"type": "Polygon", "coordinates": []})


def test_bng_square_near_preston_reprojects_to_lon_lat():
    result = to_wgs84(BNG_SQUARE)
    geom = shape(result)
    assert geom.is_valid
    centre = geom.centroid
    # Independent estimate: the grid's central meridian is 2°W at easting 400000, so
    # 50 km west is 50 / (111.32 * cos 53.76°) = 0.76° further west: about 2.76°W;
    # northing 430000 is 530 km north of the 49°N true origin: about 53.76°N.
    assert centre.x == pytest.approx(-2.76, abs=0.01)
    assert centre.y == pytest.approx(53.764, abs=0.01)
    # 1 km is about 0.0152° of longitude and 0.0090° of latitude at this latitude
    minx, miny, maxx, maxy = geom.bounds
    assert maxx - minx == pytest.approx(0.0152, abs=0.0005)
    assert maxy - miny == pytest.approx(0.0090, abs=0.0005)


def test_bng_reprojection_matches_the_ordnance_survey_worked_example():
    # OS "A guide to coordinate systems in Great Britain": E 651409.903, N 313177.270 is
    # 52°39'27.2531"N 1°43'4.5177"E on OSGB36; WGS84 differs from OSGB36 by under 0.003°.
    point = {"type": "Point", "coordinates": [651409.903, 313177.270]}
    lon, lat = to_wgs84(point)["coordinates"]
    assert lon == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=0.003)
    assert lat == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=0.003)


def test_to_wgs84_leaves_lon_lat_alone():
    lonlat = square(-2.76, 53.76, 0.01)
    assert shape(to_wgs84(lonlat)).equals_exact(shape(lonlat), 0)


def test_to_wgs84_refuses_an_unknown_projection():
    with pytest.raises(ValueError, match="British National Grid"):
        to_wgs84(square(-307000, 7_120_000, 500))
