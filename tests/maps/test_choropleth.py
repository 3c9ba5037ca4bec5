"""The choropleth's data and its PNG: classes, colours, suppression, escaping."""

from __future__ import annotations

import io
import json

import matplotlib.image
import numpy as np
import pytest

from maps.choropleth import (
    CHANGE,
    COVERAGE,
    GAP,
    LEVELS,
    SEQUENTIAL,
    SUPPRESSED_COLOUR,
    MapArea,
    map_data,
    map_json,
)
from maps.static_map import render_png


def square(x: float, y: float, size: float = 0.1) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize(
    "scale,value,expected",
    [
        (LEVELS, 1.0, 0),
        (LEVELS, 1.49, 0),
        (LEVELS, 1.5, 1),
        (LEVELS, 4.5, 4),
        (GAP, 2.0, 0),  # two below target: the worst class
        (GAP, 1.5, 1),
        (GAP, 0.3, 3),
        (GAP, 0.0, 4),  # at target
        (GAP, -0.7, 4),  # above target
        (COVERAGE, 0.0, 0),
        (COVERAGE, 0.2, 1),
        (COVERAGE, 1.0, 4),
        (CHANGE, -0.6, 0),
        (CHANGE, 0.0, 2),
        (CHANGE, 0.5, 4),
        (LEVELS, None, None),
    ],
)
def test_values_fall_in_the_right_class(scale, value, expected):
    assert scale.classify(value) == expected


def test_the_palettes_have_five_distinct_colours():
    for scale in (LEVELS, GAP, COVERAGE, CHANGE):
        assert len(set(scale.colours)) == 5 == len(scale.labels)
        assert SUPPRESSED_COLOUR not in scale.colours


def areas():
    return [
        MapArea("A", "Alpha", square(0, 0), 3.4, "3.40 (level 3)", 12, False, "/areas/A", 2),
        MapArea(
            "B", "Beta", square(0.1, 0), None, "fewer than 5 responses", None, True, "/areas/B"
        ),
        MapArea("C", "Gamma", square(0.2, 0), None, "no responses", 0, False, "/areas/C"),
        MapArea("D", "No boundary", None, 2.0, "2.00 (level 2)", 7, False, "/areas/D", 1),
    ]


def test_map_data_colours_each_area_and_says_what_it_is():
    data = map_data(areas(), LEVELS, threshold=5, title="t")
    props = {f["properties"]["code"]: f["properties"] for f in data["areas"]["features"]}
    assert set(props) == {"A", "B", "C"}  # D has no boundary to draw
    assert props["A"]["fill"] == SEQUENTIAL[2] and props["A"]["state"] == "value"
    assert props["A"]["tip"] == "Alpha: 3.40 (level 3) (n = 12)"
    assert props["A"]["url"] == "/areas/A"
    assert props["B"]["fill"] == SUPPRESSED_COLOUR and props["B"]["state"] == "suppressed"
    assert props["B"]["tip"] == "Beta: fewer than 5 responses"
    assert props["C"]["state"] == "none"
    labels = [row["label"] for row in data["legend"]]
    assert labels[:5] == [f"Level {k}" for k in range(1, 6)]
    assert labels[5] == "Fewer than 5 responses"


def test_embedded_json_cannot_close_its_script_element():
    hostile = MapArea(
        "X", "</script><script>alert(1)</script>", square(0, 0), 3.0, "3.00", 9, False, None, 2
    )
    text = map_json([hostile], LEVELS, 5)
    assert "</script>" not in text and "<" not in text
    assert json.loads(text)["areas"]["features"][0]["properties"]["tip"].startswith("</script>")


def count(png: bytes, colour: str) -> int:
    """How many pixels of the PNG are exactly this colour."""
    image = matplotlib.image.imread(io.BytesIO(png))
    rgb = (image[:, :, :3] * 255).round().astype(int)
    return int(np.all(rgb == hex_rgb(colour), axis=2).sum())


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_the_png_draws_the_same_colours():
    png = render_png(areas(), LEVELS, 5, title="Test map", attribution="Source: test")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # without area A, level 3's colour is left only in its legend swatch
    without_a = render_png(areas()[1:], LEVELS, 5)
    assert count(png, SEQUENTIAL[2]) > 10 * count(without_a, SEQUENTIAL[2]) > 0
    # area B is hatched grey: grey pixels, but fewer than a solid square of its size
    assert count(png, SUPPRESSED_COLOUR) > 0
