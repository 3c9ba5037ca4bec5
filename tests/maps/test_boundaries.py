"""Reading boundary files: the real ONS files, British National Grid, holes, shared borders, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, mapping, shape

from maps.boundaries import BoundaryError, read_boundaries
from maps.topology import simplify_shared

GEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "geo"

# (file, code field, name field, features, a code and its name), counts from data/README.md
REAL_FILES = [
    ("lsc_wards_2013.geojson", "WD13CD", "WD13NM", 360, ("E05001620", "Audley")),
    ("lsc_msoa_2011.geojson", "MSOA11CD", "MSOA11NM", 215, None),
    ("lsc_lsoa_2011.geojson", "LSOA11CD", "LSOA11NM", 1049, None),
    ("lewisham_wards_2022.geojson", "WD22CD", "WD22NM", 19, ("E05013714", "Bellingham")),
    ("lewisham_msoa_2021.geojson", "MSOA21CD", "MSOA21NM", 37, None),
    ("lewisham_lsoa_2021.geojson", "LSOA21CD", "LSOA21NM", 175, None),
    ("lewisham_lad_boundary_2022.geojson", "LAD22CD", "LAD22NM", 1, ("E09000023", "Lewisham")),
    ("england_ccg_2021.geojson", "CCG21CD", "CCG21NM", 106, ("E38000227", None)),
    ("by_lad/E07000123_preston_wards_2013.geojson", "WD13CD", "WD13NM", 22, None),
    ("by_lad/E07000123_preston_msoas_2011.geojson", "MSOA11CD", "MSOA11NM", 17, None),
    ("by_lad/E07000118_chorley_wards_2013.geojson", "WD13CD", "WD13NM", 20, None),
    ("by_lad/E06000008_blackburn_with_darwen_wards_2013.geojson", "WD13CD", "WD13NM", 23, None),
]


@pytest.mark.parametrize(
    "name,code_field,name_field,count,example", REAL_FILES, ids=lambda v: str(v)
)
def test_each_real_file_reads_with_its_feature_count(name, code_field, name_field, count, example):
    raw = json.loads((GEO / name).read_bytes())
    features = read_boundaries((GEO / name).read_bytes(), code_field, name_field)
    assert len(features) == count
    assert [f.code for f in features] == [f["properties"][code_field] for f in raw["features"]]
    assert [f.name for f in features] == [f["properties"][name_field] for f in raw["features"]]
    for feature in features[:: max(1, count // 25)]:  # a sample: the geometry checks are slow
        geom, shown = shape(feature.geometry), shape(feature.display_geometry)
        assert geom.is_valid and shown.is_valid and not shown.is_empty
        # the display copy is the same place: no vertex moved more than the tolerance
        # (0.0002 degrees), so what differs is at most a band that wide along the edge
        assert shown.symmetric_difference(geom).area <= geom.length * 0.0002
        lon, lat = feature.point
        assert geom.buffer(1e-6).contains(shapely.Point(lon, lat))
        assert -7 < lon < 2 and 49 < lat < 56  # England, in WGS84
    if example:
        code, expected_name = example
        found = next(f for f in features if f.code == code)
        assert expected_name is None or found.name == expected_name


def test_topojson_reads_the_same_as_the_geojson_made_from_it():
    # data/README.md: the .geojson was converted from the .topo.json (6 decimals, same properties)
    topo = read_boundaries((GEO / "england_lad_2013.topo.json").read_bytes(), "LAD13CD", "LAD13NM")
    raw = json.loads((GEO / "england_lad_2013.geojson").read_bytes())["features"]
    assert len(topo) == 326
    assert [f.code for f in topo] == [f["properties"]["LAD13CD"] for f in raw]
    barrow = next(f for f in topo if f.code == "E07000027")
    assert barrow.name == "Barrow-in-Furness"
    expected = shape(next(f for f in raw if f["properties"]["LAD13CD"] == "E07000027")["geometry"])
    got = shape(barrow.geometry)
    assert got.symmetric_difference(expected.buffer(0)).area < 1e-4 * expected.area


def test_parent_codes_come_from_the_named_field():
    features = read_boundaries(
        (GEO / "lewisham_wards_2022.geojson").read_bytes(), "WD22CD", "WD22NM", "LAD22CD"
    )
    assert {f.parent_code for f in features} == {"E09000023"}


def _to_bng(geometry: dict) -> dict:
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

    def convert(xy):
        x, y = to_bng.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return mapping(shapely.transform(shape(geometry), convert))


def test_british_national_grid_is_detected_and_reprojected():
    source = json.loads((GEO / "by_lad/E07000117_burnley_wards_2013.geojson").read_bytes())
    bng = {
        "type": "FeatureCollection",
        "features": [
            {**f, "geometry": json.loads(json.dumps(_to_bng(f["geometry"])))}
            for f in source["features"]
        ],
    }
    first = shapely.get_coordinates(shape(bng["features"][0]["geometry"]))[0]
    assert first[0] > 300_000 and first[1] > 400_000  # eastings and northings, metres
    features = read_boundaries(json.dumps(bng), "WD13CD", "WD13NM")
    assert len(features) == 15
    for feature, original in zip(features, source["features"], strict=True):
        back, before = shape(feature.geometry), shape(original["geometry"])
        # the round trip lands within about a metre: the areas overlap almost exactly
        assert back.symmetric_difference(before).area < 0.001 * before.area


def ring(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(code, geometry, **props):
    return {
        "type": "Feature",
        "properties": {"CD": code, "NM": f"Area {code}", **props},
        "geometry": geometry,
    }


def test_multipolygons_and_holes_survive():
    # A with a hole where B (an enclave) sits, plus an island; B exactly fills the hole.
    a = {
        "type": "MultiPolygon",
        "coordinates": [
            [ring(-2.0, 53.0, -1.9, 53.1), ring(-1.97, 53.03, -1.93, 53.07)],
            [ring(-1.85, 53.0, -1.84, 53.01)],
        ],
    }
    b = {"type": "Polygon", "coordinates": [ring(-1.97, 53.03, -1.93, 53.07)]}
    out = read_boundaries(collection(feature("A", a), feature("B", b)), "CD", "NM")
    shown_a, shown_b = shape(out[0].display_geometry), shape(out[1].display_geometry)
    assert shown_a.geom_type == "MultiPolygon" and len(shown_a.geoms) == 2
    assert len(shown_a.geoms[0].interiors) == 1
    assert shown_a.area == pytest.approx(0.1 * 0.1 - 0.04 * 0.04 + 0.01 * 0.01, rel=1e-6)
    assert shown_a.intersection(shown_b).area == pytest.approx(0, abs=1e-12)
    # the representative point of A is inside A, not in its hole
    assert not shape(b).contains(shapely.Point(out[0].point))


def wiggly_border(n=2000):
    """Two rectangles sharing a border that wiggles by 0.00005 degrees, far below the tolerance."""
    border = [(-2.0 + 0.00005 * math.sin(i / 7), 53.0 + 0.2 * i / n) for i in range(n + 1)]
    west = [*border, (-2.2, 53.2), (-2.2, 53.0), border[0]]
    east = [*border, (-1.8, 53.2), (-1.8, 53.0), border[0]]
    return Polygon(west), Polygon(east)


def test_shared_borders_stay_shared_after_simplification():
    west, east = wiggly_border()
    assert west.is_valid and east.is_valid
    shown_w, shown_e = simplify_shared([west, east], 0.0002)
    vertices = len(shapely.get_coordinates(shown_w)) + len(shapely.get_coordinates(shown_e))
    assert vertices < 50  # from over 4,000
    # no overlap and no gap: the two display shapes tile the same square
    assert shown_w.intersection(shown_e).area == pytest.approx(0, abs=1e-12)
    union = shapely.union_all([shown_w, shown_e])
    assert union.geom_type == "Polygon" and not union.interiors
    assert union.area == pytest.approx(0.4 * 0.2, rel=1e-4)
    # and both sides use the very same vertices along the border
    border_w = {p for p in map(tuple, shapely.get_coordinates(shown_w)) if -2.1 < p[0] < -1.9}
    border_e = {p for p in map(tuple, shapely.get_coordinates(shown_e)) if -2.1 < p[0] < -1.9}
    assert border_w == border_e and len(border_w) >= 2


def test_display_coordinates_are_rounded_to_five_decimals():
    west, _ = wiggly_border()
    out = read_boundaries(collection(feature("W", mapping(west))), "CD", "NM")
    coords = shapely.get_coordinates(shape(out[0].display_geometry)) * 1e5
    assert abs(coords - coords.round()).max() < 1e-6


BAD = [
    (b"", "the file is empty"),
    (b"   \n", "the file is empty"),
    (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
    (b"[1, 2]", "not GeoJSON"),
    (b'{"type": "Topology", "objects": {}, "arcs": []}', "exactly one object"),
    (
        b'{"type": "Topology", "arcs": [], "objects": {"a": {"type": "GeometryCollection", '
        b'"geometries": [{"type": "Polygon", "arcs": [[0]], "properties": {"CD": "A"}}]}}}',
        "TopoJSON geometry 1 refers to arcs that are not there",
    ),
    (b'{"type": "FeatureCollection", "features": []}', "no features"),
    (
        collection(feature("A", {"type": "Point", "coordinates": [0, 0]})).encode(),
        "feature 1 (A) geometry is 'Point'",
    ),
    (
        collection(feature("A", {"type": "Polygon", "coordinates": [ring(0, 0, 1, 1)]}), feature("A", {"type": "Polygon", "coordinates": [ring(1, 0, 2, 1)]})).encode(),
        "feature 2 (A) repeats the code of feature 1",
    ),
    (
        collection(feature("A", {"type": "Polygon", "coordinates": [ring(0, 0, 1, 1)]}, NM=None)).encode(),
        "feature 1 (A) has a blank 'NM'",
    ),
    (
        collection(feature("A", {"type": "Polygon", "coordinates": [ring(2e6, 2e6, 2.1e6, 2.1e6)]})).encode(),
        "neither",
    ),
    (b"\xff\xfe\x00", "not UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize("data,message", BAD, ids=range(len(BAD)))
def test_bad_files_give_one_line_errors(data, message):
    with pytest.raises(BoundaryError) as raised:
        read_boundaries(data, "CD", "NM")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_missing_property_names_the_field_and_what_there_is():
    data = (GEO / "lewisham_wards_2022.geojson").read_bytes()
    with pytest.raises(BoundaryError) as raised:
        read_boundaries(data, "WD22CD", "WD13NM")
    message = str(raised.value)
    assert message.startswith("feature 1 (E05013714) has no property 'WD13NM'")
    assert "WD22NM" in message  # lists the properties the file does have
