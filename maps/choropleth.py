"""Choropleth maps from plain data: areas, their display geometry, a value class and n.

The map is drawn in the browser by a small script over vendored Leaflet (no
tiles, nothing fetched from the internet). This module builds what it draws:
a compact GeoJSON FeatureCollection with each area's colour, tooltip text and
link, plus the legend, as JSON that is safe to embed in an HTML page.
Suppressed areas carry no value and no n at all, only the words that say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# ColorBrewer 5-class YlGnBu (sequential) and PuOr (diverging): both colour-blind safe.
SEQUENTIAL = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
DIVERGING = ("#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99")
SUPPRESSED_COLOUR = "#b1b4b6"
NO_DATA_COLOUR = "#ffffff"
# The hatching suppressed areas are filled with (map.css: fill: url(#app-hatch)): an
# SVG <defs> block that the in-app page and the map file both put in the page once.
HATCH_DEFS = (
    '<defs><pattern id="app-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
    ' patternTransform="rotate(45)"><rect width="6" height="6" fill="'
    + SUPPRESSED_COLOUR
    + '"></rect><line x1="0" y1="0" x2="0" y2="6" stroke="#505a5f" stroke-width="2">'
    "</line></pattern></defs>"
)
# How every area is drawn, and drawn while pointed at: the in-app script reads these from
# the map's data, the map file gives them to folium.
AREA_STYLE = {"fillOpacity": 0.85, "color": "#505a5f", "weight": 0.8}
HIGHLIGHT_STYLE = {"weight": 3, "color": "#0b0c0c"}
STYLE = {"area": AREA_STYLE, "highlight": HIGHLIGHT_STYLE, "class": "app-map__area"}


@dataclass(frozen=True)
class Scale:
    """Five classes of a measure, worst first: labels, colours and upper bounds."""

    title: str
    labels: tuple[str, ...]
    colours: tuple[str, ...] = SEQUENTIAL
    upper: tuple[float, ...] = ()  # upper bound of classes 1..4 (class 5 is open)
    descending: bool = False  # True when a bigger value is worse (a gap)

    def classify(self, value: float | None) -> int | None:
        """The class (0..4) a value falls in, or None for no value."""
        if value is None:
            return None
        if self.descending:
            value = -value
        for index, bound in enumerate(self.upper):
            if value < bound:
                return index
        return len(self.labels) - 1


LEVELS = Scale("Level", tuple(f"Level {k}" for k in range(1, 6)), upper=(1.5, 2.5, 3.5, 4.5))
GAP = Scale(
    "Gap to target",
    (
        "More than 1.5 below target",
        "1 to 1.5 below target",
        "0.5 to 1 below target",
        "Up to 0.5 below target",
        "At or above target",
    ),
    upper=(-1.5, -1.0, -0.5, -1e-9),
    descending=True,
)
COVERAGE = Scale(
    "Response rate",
    ("Under 20%", "20% to 40%", "40% to 60%", "60% to 80%", "80% or more"),
    upper=(0.2, 0.4, 0.6, 0.8),
)
CHANGE = Scale(
    "Change since the last round",
    (
        "Fell by 0.5 or more",
        "Fell by 0.2 to 0.5",
        "Little change (under 0.2)",
        "Rose by 0.2 to 0.5",
        "Rose by 0.5 or more",
    ),
    colours=DIVERGING,
    upper=(-0.5, -0.2, 0.2, 0.5),
)
AMBITION_GAP = Scale(
    "Gap to ambition",
    (
        "More than 1.5 levels to go",
        "1 to 1.5 levels to go",
        "0.5 to 1 level to go",
        "Up to 0.5 level to go",
        "At or beyond its ambition",
    ),
    upper=(-1.5, -1.0, -0.5, -1e-9),
    descending=True,
)
SCALES = {
    "level": LEVELS,
    "gap": GAP,
    "ambition": AMBITION_GAP,
    "coverage": COVERAGE,
    "change": CHANGE,
}

# Referral readiness: shares of groups, and places a month (survey.areas.measures)
SHARE = ("Under 20%", "20% to 40%", "40% to 60%", "60% to 80%", "80% or more")
SCALES["receiving"] = Scale("Groups receiving referrals", SHARE, upper=(0.2, 0.4, 0.6, 0.8))
SCALES["supported"] = Scale(
    "Groups involved and supported to receive referrals", SHARE, upper=(0.2, 0.4, 0.6, 0.8)
)
SCALES["capacity"] = Scale(
    "Extra places a month",
    ("Under 10", "10 to 25", "25 to 50", "50 to 100", "100 or more"),
    upper=(10, 25, 50, 100),
)


@dataclass(frozen=True)
class MapArea:
    """One area on a map: what to draw, what to say, where a click goes."""

    code: str
    name: str
    geometry: dict | str | None  # display geometry, WGS84 (a dict, or GeoJSON text as stored)
    value: float | None  # None when suppressed or no responses
    label: str  # the value as people read it ("3.4 (level 3)", "fewer than 5 responses")
    n: int | None
    suppressed: bool
    url: str | None = None
    level: int | None = None  # the class to colour by, when not from value (0..4)
    groups: int | None = None  # groups the service knows in the area (not a survey figure)


def colour_of(area: MapArea, scale: Scale) -> tuple[str, str]:
    """(fill colour, state) for an area: state is 'value', 'suppressed' or 'none'."""
    if area.suppressed:
        return SUPPRESSED_COLOUR, "suppressed"
    klass = area.level if area.level is not None else scale.classify(area.value)
    if klass is None:
        return NO_DATA_COLOUR, "none"
    return scale.colours[klass], "value"


def area_style(properties: dict) -> dict:
    """The Leaflet path style of one area from its properties (as the in-app script makes it)."""
    css = STYLE["class"]
    return {
        **AREA_STYLE,
        "fillColor": properties["fill"],
        "className": f"{css} {css}--{properties['state']}",
    }


def legend(scale: Scale, threshold: int) -> list[dict]:
    """The legend rows: five classes, then suppressed and no responses."""
    rows = [
        {"label": label, "colour": colour, "state": "value"}
        for label, colour in zip(scale.labels, scale.colours, strict=True)
    ]
    rows.append(
        {
            "label": f"Fewer than {threshold} responses",
            "colour": SUPPRESSED_COLOUR,
            "state": "suppressed",
        }
    )
    rows.append({"label": "No responses", "colour": NO_DATA_COLOUR, "state": "none"})
    return rows


def _tooltip(area: MapArea) -> str:
    """Name, value, n and groups known in one line of plain text (set as text, not HTML)."""
    if area.suppressed or area.n is None:
        tip = f"{area.name}: {area.label}"
    else:
        tip = f"{area.name}: {area.label} (n = {area.n})"
    if area.groups is not None:
        tip += f"; {groups_known(area.groups)}"
    return tip


def groups_known(count: int) -> str:
    """'1 group known here', '12 groups known here'."""
    return f"{count} group{'' if count == 1 else 's'} known here"


def _properties(area: MapArea, scale: Scale) -> dict:
    """What the script needs about one area besides its shape."""
    colour, state = colour_of(area, scale)
    return {
        "code": area.code,
        "tip": _tooltip(area),
        "fill": colour,
        "state": state,
        "url": area.url,
    }


def map_data(areas: Iterable[MapArea], scale: Scale, threshold: int, title: str = "") -> dict:
    """The FeatureCollection and legend the page's script draws."""
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(area.geometry)
            if isinstance(area.geometry, str)
            else area.geometry,
            "properties": _properties(area, scale),
        }
        for area in areas
        if area.geometry
    ]
    return {
        "title": title,
        "legend": legend(scale, threshold),
        "style": STYLE,
        "areas": {"type": "FeatureCollection", "features": features},
    }


def to_embedded_json(data: object) -> str:
    """JSON that can sit inside <script type="application/json"> without closing it."""
    return to_embedded_json_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


def to_embedded_json_text(text: str) -> str:
    """JSON text made safe inside <script>: no <, > or & (escaped as \\u003c ...)."""
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def map_json(areas: Sequence[MapArea], scale: Scale, threshold: int, title: str = "") -> str:
    """The map's data (as map_data gives it) as embeddable JSON text.

    Geometries given as GeoJSON text (as stored) are spliced in without being
    parsed and written again: for thousands of areas that is most of the work.
    """
    encode = _COMPACT.encode  # one encoder, not one a call to json.dumps with options
    features = []
    for area in areas:
        if not area.geometry:
            continue
        geometry = area.geometry
        if not isinstance(geometry, str):
            geometry = encode(geometry)
        properties = encode(_properties(area, scale))
        features.append(f'{{"type":"Feature","geometry":{geometry},"properties":{properties}}}')
    head = encode({"title": title, "legend": legend(scale, threshold), "style": STYLE})
    text = (
        head[:-1] + ',"areas":{"type":"FeatureCollection","features":[' + ",".join(features) + "]}}"
    )
    return to_embedded_json_text(text)
