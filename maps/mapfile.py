"""The shareable map file: the choropleth as one self-contained HTML page, built with folium.

An ICP lead can email the file or open it offline. Leaflet, its style sheet and the
map's own styles are embedded from the vendored copies the in-app page serves; folium's
default links to CDNs are switched off, there are no tiles and no fonts, and the page is
checked for anything it would fetch before it is returned. What is drawn comes from
maps.choropleth, as on the in-app page: the same colours, legend, hatching, tooltips and
suppression (a suppressed area carries words, never a number). The page also holds the
legend, the attribution and a table of the same figures, so it reads without JavaScript.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

import folium
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from .choropleth import HATCH_DEFS, HIGHLIGHT_STYLE, MapArea, Scale, area_style, legend, map_data

MAP_HEIGHT = "100%"  # of its box: .app-map in map.css sets the height

# The tooltip is set as text, never HTML (names are whatever an import said they were).
TOOLTIP_AS_TEXT = JsCode(
    """function (feature, layer) {
        var tip = document.createElement("span");
        tip.textContent = feature.properties.tip;
        layer.bindTooltip(tip, {sticky: true});
    }"""
)

# The page around the map: plain system fonts (nothing to fetch), GOV.UK-like spacing.
PAGE_CSS = """
html body { width: auto; height: auto; max-width: 960px; margin: 0 auto; padding: 0 15px 30px;
  font-family: arial, sans-serif; font-size: 16px; line-height: 1.4; color: #0b0c0c; }
h1 { font-size: 2rem; margin: 30px 0 10px; }
h2 { font-size: 1.2rem; margin: 25px 0 10px; }
.app-file__title { font-size: 1.2rem; margin: 0 0 20px; }
.app-legend { list-style: none; padding: 0; margin: 0 0 15px; }
.app-legend__row { margin-bottom: 5px; }
.app-file__table { border-collapse: collapse; width: 100%; margin-top: 10px; }
.app-file__table caption { text-align: left; font-weight: bold; font-size: 1.2rem; padding: 10px 0; }
.app-file__table th, .app-file__table td { text-align: left; border-bottom: 1px solid #b1b4b6;
  padding: 8px 10px 8px 0; }
.app-file__table .app-numeric { text-align: right; }
.app-file__note { font-size: 0.9rem; color: #505a5f; }
"""

# url(...) in a style sheet that is neither a fragment (#app-hatch) nor inline data: the
# vendored leaflet.css names marker and layer-control images the map never uses.
_FETCHED_URL = re.compile(r"url\(\s*(?![\"']?(?:#|data:))[^)]*\)", re.I)
_SCRIPT_BODY = re.compile(r"(<script\b[^>]*>).*?(</script\s*>)", re.I | re.S)
_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
# What a page may point at without fetching anything: a place in itself, or inline data.
_LOCAL = re.compile(r"\s*(#|data:|$)", re.I)
_CSS_URL = re.compile(r"url\(\s*[\"']?([^)\"']*)|@import\s+[\"']([^\"']*)", re.I)


class _References(HTMLParser):
    """Every src, href and CSS url() in a page that is not a fragment or inline data."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def _css(self, text: str) -> None:
        for url, imported in _CSS_URL.findall(text):
            if imported or not _LOCAL.match(url):
                self.found.append(imported or url)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "action", "data") and value:
                if not _LOCAL.match(value):
                    self.found.append(value)
            elif name == "style" and value:
                self._css(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data)


@dataclass(frozen=True)
class Assets:
    """The vendored files the page embeds (text): Leaflet's script and styles, the map's styles."""

    leaflet_js: str
    leaflet_css: str
    map_css: str
    leaflet_licence: str = ""  # kept with the copy, as Leaflet's BSD licence asks


class _Raw(Element):
    """Text put in the page as it is: never read as a template (Leaflet's code is not Jinja)."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self._name = "Raw"
        self.text = text


class _Markup(MacroElement):
    """A piece of the page's body, in the order it is added to the figure, put in as text.

    (folium would read a macro's output as a Jinja template a second time: a name with
    "{{" or "{#" in it would be run or would break the page.)
    """

    def __init__(self, markup: str):
        super().__init__()
        self._name = "Markup"
        self.markup = markup

    def render(self, **kwargs):
        self.get_root().html.add_child(_Raw(self.markup), name=self.get_name())


# folium reads the layer's script, data included, as a Jinja template a second time, so
# braces in names and codes travel as private-use characters (JSON-escaped as \ue000 and
# \ue001) and become JSON's own escapes for "{" and "}" once the page is made.
_OPEN, _CLOSE = "\ue000", "\ue001"


def _shield(text: str) -> str:
    text = text.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd")
    return text.replace("{", _OPEN).replace("}", _CLOSE)


_SHIELDED = re.compile(r"(?<!\\)((?:\\\\)*)\\ue00([01])")  # \ue000, not \\ue000 (text)


def _unshield(page: str) -> str:
    """Braces back, in the scripts after the body only (where folium put the data)."""
    body, end, scripts = page.rpartition("</body>")
    scripts = _SHIELDED.sub(lambda m: m[1] + ("\\u007b" if m[2] == "0" else "\\u007d"), scripts)
    return body + end + scripts


def _inline(tag: str, text: str) -> str:
    """Text inside <script> or <style> that cannot close the element early."""
    safe = re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.I)
    return f"<{tag}>{safe}</{tag}>"


def local_css(text: str) -> str:
    """A style sheet with every url() to another file replaced by `none`."""
    return _FETCHED_URL.sub("none", text)


def references(page: str) -> list[str]:
    """Everything in the page that a browser would load from elsewhere (empty when self-contained)."""
    parser = _References()
    parser.feed(_SCRIPT_BODY.sub(r"\1\2", page))  # code loads nothing by being there
    parser.close()
    return parser.found


def _bounds(collection: dict) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the areas' outer rings (folium's own walk is slow)."""
    west = south = math.inf
    east = north = -math.inf
    for feature in collection["features"]:
        geometry = feature["geometry"]
        kind, coordinates = geometry["type"], geometry["coordinates"]
        polygons = (
            [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
        )
        for polygon in polygons:
            if not polygon:
                continue
            xs, ys = zip(*((point[0], point[1]) for point in polygon[0]), strict=True)
            west, east = min(west, *xs), max(east, *xs)
            south, north = min(south, *ys), max(north, *ys)
    return None if west == math.inf else [[south, west], [north, east]]


def _legend_html(scale: Scale, threshold: int) -> str:
    rows = "".join(
        f'<li class="app-legend__row"><span class="app-swatch app-swatch--{row["state"]}"'
        f' style="background-color: {row["colour"]}"></span>{html.escape(row["label"])}</li>'
        for row in legend(scale, threshold)
    )
    return (
        f'<h2 id="legend-title">{html.escape(scale.title)}</h2>'
        f'<ul class="app-legend" aria-labelledby="legend-title">{rows}</ul>'
    )


def _table_html(areas: Sequence[MapArea], measure_name: str) -> str:
    """The same figures as the map, one row per area, as the in-app table shows them."""
    rows = []
    counted = any(area.groups is not None for area in areas)
    for area in sorted(areas, key=lambda a: a.name.lower()):
        n = "–" if area.n is None or area.suppressed else str(area.n)
        groups = f'<td class="app-numeric">{area.groups}</td>' if counted else ""
        rows.append(
            f'<tr data-code="{html.escape(area.code)}"><td>{html.escape(area.name)}</td>'
            f'<td class="app-numeric">{html.escape(area.label)}</td>'
            f'<td class="app-numeric">{n}</td>{groups}</tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="4">No areas of this type.</td></tr>')
    known = '<th scope="col" class="app-numeric">Groups known</th>' if counted else ""
    return (
        '<table class="app-file__table" id="map-table"><caption>The figures on the map</caption>'
        '<thead><tr><th scope="col">Area</th>'
        f'<th scope="col" class="app-numeric">{html.escape(measure_name)}</th>'
        f'<th scope="col" class="app-numeric">Responses</th>{known}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def map_file(
    areas: Sequence[MapArea],
    scale: Scale,
    threshold: int,
    *,
    title: str,
    measure_name: str,
    attribution: str,
    assets: Assets,
) -> str:
    """The choropleth as one HTML page that fetches nothing: folium over embedded Leaflet."""
    data = map_data(areas, scale, threshold, title)
    collection = data["areas"]
    for feature in collection["features"]:
        properties = feature["properties"]
        properties.pop("url", None)  # the in-app pages are not in the file
        for key, value in properties.items():
            if isinstance(value, str):
                properties[key] = _shield(value)

    figure = folium.Figure(title=html.escape(title))
    if assets.leaflet_licence:
        notice = assets.leaflet_licence.replace("--", "- -")  # cannot end the comment
        figure.header.add_child(_Raw(f"<!-- Leaflet:\n{notice}\n-->"))
    figure.header.add_child(_Raw(_inline("style", local_css(assets.leaflet_css))))
    figure.header.add_child(_Raw(_inline("style", local_css(assets.map_css))))
    figure.header.add_child(_Raw(_inline("style", PAGE_CSS)))
    figure.header.add_child(_Raw(_inline("script", assets.leaflet_js)))

    drawn = len(collection["features"])
    fallback = (
        ""
        if drawn
        else '<p class="app-map__fallback">None of these areas has a boundary to draw. '
        "The table below has their figures.</p>"
    )
    figure.add_child(
        _Markup(
            '<main class="app-file">'
            '<h1>Map of areas</h1><p class="app-file__title" id="map-title">'
            f"{html.escape(title)}</p>"
            f'<svg class="app-hatch-defs" aria-hidden="true" focusable="false">{HATCH_DEFS}</svg>'
            f'<div class="app-map" id="app-map" role="region" data-areas="{drawn}" aria-label="Map: '
            f'{html.escape(title)}. The table below gives the same figures.">{fallback}'
        )
    )
    fmap = folium.Map(
        location=None,
        tiles=None,
        height=MAP_HEIGHT,
        attribution_control=False,
        zoom_snap=0.25,
    )
    # folium links Leaflet, jQuery, Bootstrap and fonts from CDNs by default: none of them
    # (Leaflet is embedded above; nothing here needs the rest).
    fmap.default_js = []
    fmap.default_css = []
    if drawn:
        layer = folium.GeoJson(
            collection,
            style_function=lambda feature: area_style(feature["properties"]),
            highlight_function=lambda feature: HIGHLIGHT_STYLE,
            on_each_feature=TOOLTIP_AS_TEXT,
            control=False,
        )
        layer.add_to(fmap)
        bounds = _bounds(collection)
        if bounds is not None:
            fmap.fit_bounds(bounds, padding=(8, 8))
    figure.add_child(fmap)
    figure.add_child(
        _Markup(
            "</div>"
            f'<p class="app-file__note app-map__attribution">{html.escape(attribution)}</p>'
            f"{_legend_html(scale, threshold)}{_table_html(areas, measure_name)}</main>"
        )
    )
    page = _unshield(figure.render()).replace("<html>", '<html lang="en">', 1)
    # folium's viewport forbids zooming the page (user-scalable=no): people who need to, can
    page = _VIEWPORT.sub(
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">', page, count=1
    )
    found = references(page)
    if found:  # a new folium that links something again must fail here, not in an inbox
        raise ValueError(f"the map file would fetch {found[0]}")
    return page
