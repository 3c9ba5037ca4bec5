"""The generated demo geography: a clean, nested tiling of one fictional ICS."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict

import pytest
import shapely
from shapely.geometry import Point, shape

from maps.demo_geography import (
    DemoArea,
    demo_practices,
    generate_demo_geography,
    random_point_in,
)
from maps.placement import AreaLocator

SEEDS = [2025, 1, 77]
NESTED = [("place", "ics"), ("pcn", "place"), ("neighbourhood", "pcn"), ("ward", "lad")]


@pytest.fixture(scope="module", params=SEEDS)
def areas(request) -> list[DemoArea]:
    return generate_demo_geography(request.param)


def by_type(areas: list[DemoArea]) -> dict[str, list[DemoArea]]:
    grouped = defaultdict(list)
    for area in areas:
        grouped[area.type].append(area)
    return grouped


def children(areas: list[DemoArea], parent: DemoArea) -> list[DemoArea]:
    return [a for a in areas if a.parent_code == parent.code]


def test_counts_per_level(areas):
    grouped = by_type(areas)
    assert set(grouped) == {"ics", "place", "pcn", "neighbourhood", "lad", "ward"}
    assert len(grouped["ics"]) == 1
    assert len(grouped["place"]) == 3
    for place in grouped["place"]:
        assert 3 <= len(children(areas, place)) <= 4, place.code
    for pcn in grouped["pcn"]:
        assert 2 <= len(children(areas, pcn)) <= 4, pcn.code
    # 3 places x 3-4 PCNs x 2-4 neighbourhoods
    assert 18 <= len(grouped["neighbourhood"]) <= 48
    assert 2 <= len(grouped["lad"]) <= 3
    for lad in grouped["lad"]:
        assert 8 <= len(children(areas, lad)) <= 15, lad.code


def test_parents_form_the_two_hierarchies(areas):
    types = {a.code: a.type for a in areas}
    expected_parent_type = {
        "ics": None,
        "place": "ics",
        "pcn": "place",
        "neighbourhood": "pcn",
        "lad": None,
        "ward": "lad",
    }
    for area in areas:
        parent_type = types[area.parent_code] if area.parent_code else None
        assert parent_type == expected_parent_type[area.type], area.code
    # parents come before their children, so a loader can link them in one pass
    seen = set()
    for area in areas:
        assert area.parent_code is None or area.parent_code in seen
        seen.add(area.code)


def test_codes_are_unique_and_cannot_be_real(areas):
    codes = [a.code for a in areas]
    assert len(set(codes)) == len(codes)
    # Real ONS codes look like E06000009, NHS ones like U12345 / P81001: none start "DEMO-".
    patterns = {
        "ics": r"DEMO-ICS",
        "place": r"DEMO-P\d",
        "pcn": r"DEMO-PCN\d{2}",
        "neighbourhood": r"DEMO-N\d{3}",
        "lad": r"DEMO-LAD\d",
        "ward": r"DEMO-W\d{3}",
    }
    for area in areas:
        assert re.fullmatch(patterns[area.type], area.code), area.code


def test_names_are_fictional_and_neighbourhoods_unique(areas):
    grouped = by_type(areas)
    assert "(demo)" in grouped["ics"][0].name
    neighbourhood_names = [a.name for a in grouped["neighbourhood"]]
    assert len(set(neighbourhood_names)) == len(neighbourhood_names)
    assert all(name.endswith(" Neighbourhood") for name in neighbourhood_names)
    assert all(a.name.endswith(" PCN") for a in grouped["pcn"])
    assert all(a.name.endswith(" Place") for a in grouped["place"])
    ward_names = [a.name for a in grouped["ward"]]
    assert len(set(ward_names)) == len(ward_names)


def test_geometries_are_valid_wgs84_polygons_in_northern_england(areas):
    for area in areas:
        assert area.geometry["type"] in ("Polygon", "MultiPolygon"), area.code
        geom = shape(area.geometry)
        assert geom.is_valid and not geom.is_empty and geom.area > 0, area.code
        minx, miny, maxx, maxy = geom.bounds
        assert -2.6 <= minx < maxx <= -2.0, area.code
        assert 53.6 <= miny < maxy <= 54.0, area.code


def test_coordinates_are_rounded_to_six_decimals(areas):
    for area in areas:
        coords = shapely.get_coordinates(shape(area.geometry))
        scaled = coords * 1e6
        assert abs(scaled - scaled.round()).max() < 1e-3, area.code


def test_geometries_are_plain_json(areas):
    for area in areas[:5]:
        assert json.loads(json.dumps(area.geometry)) == area.geometry


@pytest.mark.parametrize("kind", ["place", "pcn", "neighbourhood", "lad", "ward"])
def test_each_type_tiles_the_ics_without_overlap_or_gap(areas, kind):
    ics = shape(by_type(areas)["ics"][0].geometry)
    geoms = [shape(a.geometry) for a in by_type(areas)[kind]]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left, right, strict=True) if i < j]
    assert pairs, "neighbouring areas should touch"
    for i, j in pairs:
        overlap = geoms[i].intersection(geoms[j]).area
        assert overlap <= 1e-9 * min(geoms[i].area, geoms[j].area), (kind, i, j)
    union = shapely.union_all(geoms)
    assert union.area == pytest.approx(ics.area, rel=1e-3)
    # not just equal areas: the same region (a shifted copy would have equal area)
    assert union.symmetric_difference(ics).area <= 1e-3 * ics.area
    # no overlap at all means the parts' areas add up to the union's
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-9)


@pytest.mark.parametrize(("child", "parent"), NESTED)
def test_each_area_is_exactly_the_union_of_its_children(areas, child, parent):
    grouped = by_type(areas)
    for area in grouped[parent]:
        kids = [shape(a.geometry) for a in children(areas, area) if a.type == child]
        assert kids, area.code
        geom = shape(area.geometry)
        difference = shapely.union_all(kids).symmetric_difference(geom).area
        assert difference <= 1e-9 * geom.area, area.code


def test_areas_are_contiguous(areas):
    # grown over the adjacency graph, so every area is one piece without enclaves
    for area in areas:
        assert area.geometry["type"] == "Polygon", area.code


def test_same_seed_same_geography_other_seed_different():
    first, again, other = (generate_demo_geography(s) for s in (5, 5, 6))
    assert first == again
    assert [a.geometry for a in first] != [a.geometry for a in other]


def test_demo_practices(areas):
    pcns = {a.code: a for a in areas if a.type == "pcn"}
    practices = demo_practices(areas, 2025)
    per_pcn = Counter(p["pcn_code"] for p in practices)
    assert set(per_pcn) == set(pcns)
    assert all(2 <= n <= 4 for n in per_pcn.values())
    codes = [p["code"] for p in practices]
    assert len(set(codes)) == len(codes)
    assert len({p["name"] for p in practices}) == len(practices)
    for p in practices:
        assert set(p) == {"code", "name", "postcode", "pcn_code", "pcn_name", "lon", "lat"}
        assert re.fullmatch(r"DEMO-G\d{3}", p["code"])
        # ZZ is not a UK postcode area; ZZ99 is the NHS pseudo-postcode, so avoid it too
        assert re.fullmatch(r"ZZ[1-9] [1-9][A-Z]{2}", p["postcode"]), p["postcode"]
        assert p["pcn_name"] == pcns[p["pcn_code"]].name
        assert shape(pcns[p["pcn_code"]].geometry).contains(Point(p["lon"], p["lat"])), p
    assert demo_practices(areas, 2025) == practices


def test_a_point_in_a_neighbourhood_falls_in_one_area_of_each_type():
    areas = generate_demo_geography(2025)
    locator = AreaLocator((a.code, a.geometry) for a in areas)
    types = {a.code: a.type for a in areas}
    parents = {a.code: a.parent_code for a in areas}
    rng = random.Random(3)
    for home in [a for a in areas if a.type == "neighbourhood"][:10]:
        lon, lat = random_point_in(home.geometry, rng)
        hits = locator.containing(lon, lat)
        assert Counter(types[c] for c in hits) == {
            "ics": 1,
            "place": 1,
            "pcn": 1,
            "neighbourhood": 1,
            "lad": 1,
            "ward": 1,
        }
        assert home.code in hits and parents[home.code] in hits


L_SHAPE = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]],
}
TWO_SQUARES = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[5, 0], [8, 0], [8, 1], [5, 1], [5, 0]]],
    ],
}


def test_random_point_in_stays_inside_a_non_convex_polygon():
    geom = shape(L_SHAPE)
    rng = random.Random(1)
    points = [random_point_in(L_SHAPE, rng) for _ in range(500)]
    assert all(geom.contains(Point(p)) for p in points)
    # the empty top-right quarter of the bounding box is never used, the rest is
    assert not any(x > 1 and y > 1 for x, y in points)
    assert any(x > 1 for x, _ in points) and any(y > 1 for _, y in points)


def test_random_point_in_is_uniform_over_area():
    rng = random.Random(2)
    points = [random_point_in(TWO_SQUARES, rng) for _ in range(4000)]
    in_big = sum(1 for x, _ in points if x >= 5) / len(points)
    # the big square has 3/4 of the area; 4000 draws give a standard error under 0.007
    assert in_big == pytest.approx(0.75, abs=0.03)


def test_random_point_in_is_deterministic_given_rng_state():
    first = [random_point_in(TWO_SQUARES, random.Random(9)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    rng = random.Random(9)
    assert random_point_in(TWO_SQUARES, rng) == first[0]
    assert random_point_in(TWO_SQUARES, rng) != first[0]


def test_random_point_in_refuses_an_empty_geometry():
    with pytest.raises(ValueError):
        random_point_in({"type": "Polygon", "coordinates": []}, random.Random(0))
