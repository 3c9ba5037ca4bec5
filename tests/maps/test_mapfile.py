"""The map file's core (no database): folium's CDN links gone, styles local, nothing to fetch."""

from __future__ import annotations

import html
import json
import re

import pytest

from maps.choropleth import GAP, LEVELS, MapArea
from maps.mapfile import Assets, local_css, map_file, references

ASSETS = Assets(
    leaflet_js="window.L = window.L || {}; /* a stand-in: the shell embeds the vendored one */",
    leaflet_css=(
        ".leaflet-control-layers-toggle { background-image: url(images/layers.png); }\n"
        ".x { background-image: url('https://cdn.example/x.png'); }\n"
        ".lvml { behavior: url(#default#VML); }"
    ),
    map_css=".app-map__area--suppressed { fill: url(#app-hatch); }",
)


def square(x: float, y: float, size: float = 0.1) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def make(areas, scale=LEVELS) -> str:
    return map_file(
        areas,
        scale,
        7,
        title="Level: test",
        measure_name="Level (mean score)",
        attribution="Boundaries: test attribution",
        assets=ASSETS,
    )


def test_style_sheets_keep_their_fragments_and_lose_every_file():
    css = local_css(ASSETS.leaflet_css + ASSETS.map_css)
    assert "images/layers.png" not in css and "cdn.example" not in css
    assert "url(#default#VML)" in css and "url(#app-hatch)" in css
    assert css.count("background-image: none") == 2


def test_references_finds_what_a_browser_would_load():
    page = (
        '<link rel="stylesheet" href="https://cdn.example/a.css">'
        '<script src="b.js"></script><a href="#top">top</a>'
        '<div style="background: url(&quot;c.png&quot;)"></div>'
        "<style>@import 'e.css'; .x { background: url(d.png) } .y { fill: url(#hatch) }</style>"
        "<script>var s = '<img src=\"https://not-a-tag.example\">';</script>"
    )
    assert references(page) == ["https://cdn.example/a.css", "b.js", "c.png", "e.css", "d.png"]


def test_the_page_holds_the_colours_legend_and_words_and_fetches_nothing():
    areas = [
        MapArea("A", "Alpha", square(0, 52), 3.0, "3.00 (level 3)", 9, False, "/x", level=2),
        MapArea("B", "Beta", square(0.1, 52), None, "fewer than 7 responses", None, True),
        MapArea("C", "Gamma", None, 4.5, "4.50 (level 5)", 8, False, level=4),  # no shape
    ]
    page = make(areas)
    assert references(page) == []
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "user-scalable" not in page
    assert "cdn" not in page.lower() and "bootstrap" not in page.lower()
    start = re.search(r"geo_json_\w+_add\(", page).end()
    collection, _ = json.JSONDecoder().raw_decode(page, start)
    props = {f["properties"]["code"]: f["properties"] for f in collection["features"]}
    assert set(props) == {"A", "B"}  # Gamma has no boundary: in the table only
    assert props["A"] == {
        "code": "A",
        "tip": "Alpha: 3.00 (level 3) (n = 9)",
        "fill": "#41b6c4",
        "state": "value",
    }  # no link: the in-app pages are not in the file
    assert props["B"]["tip"] == "Beta: fewer than 7 responses" and props["B"]["fill"] == "#b1b4b6"
    assert '"className": "app-map__area app-map__area--suppressed"' in page
    assert '<pattern id="app-hatch"' in page
    assert "Fewer than 7 responses</li>" in page and "Boundaries: test attribution" in page
    assert '<td>Gamma</td><td class="app-numeric">4.50 (level 5)</td>' in page
    assert '<td>Beta</td><td class="app-numeric">fewer than 7 responses</td>' in page


def test_no_areas_is_a_page_that_says_so():
    page = make([], scale=GAP)
    assert references(page) == []
    assert "geo_json_" not in page and "No areas of this type." in page
    assert "None of these areas has a boundary to draw" in page
    assert "Gap to target" in page


def test_a_page_that_would_fetch_something_is_refused(monkeypatch):
    import folium

    real = folium.Map.render

    def render_with_a_cdn(self, **kwargs):
        self.default_js = [("leaflet", "https://cdn.example/leaflet.js")]
        return real(self, **kwargs)

    monkeypatch.setattr(folium.Map, "render", render_with_a_cdn)
    with pytest.raises(ValueError, match="https://cdn.example/leaflet.js"):
        make([MapArea("A", "Alpha", square(0, 52), 3.0, "3.00", 9, False, level=2)])


@pytest.mark.parametrize(
    "name",
    [
        "Alpha {{ 7*7 }} {% if %}",
        "Beta {# not a comment",
        '</script><b>"x" & {y}</b>',
        "Delta \\ue000 {x} \ue001",  # the text of an escape, and a private-use character
    ],
)
def test_names_are_text_not_templates_or_markup(name):
    """folium reads its output as a Jinja template a second time: names must not be read."""
    page = make([MapArea("{A}", name, square(0, 52), 3.0, "3.00", 9, False, level=2)])
    start = re.search(r"geo_json_\w+_add\(", page).end()
    collection, _ = json.JSONDecoder().raw_decode(page, start)
    [feature] = collection["features"]
    assert feature["properties"]["tip"] == f"{name.replace(chr(0xE001), chr(0xFFFD))}: 3.00 (n = 9)"
    assert feature["properties"]["code"] == "{A}"
    assert f"<td>{html.escape(name)}</td>" in page  # as written, not run: no "49"
    assert "<b>" not in page.split("<body>")[1]
