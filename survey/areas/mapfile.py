"""The shareable map file from the database: the in-app map's figures, drawn by maps.mapfile.

The page (`/areas/map.html`) and the command (`survey export map`) both come here, so the
file holds what the map page shows: the same figures (survey.areas.measures), the same
title and the same attribution.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app

from maps.mapfile import Assets, map_file

from ..errors import InputError
from ..models import AREA_TYPES, Area, Round
from .measures import (
    ATTRIBUTION,
    MEASURES,
    AreaFigure,
    domain_choices,
    figures,
    map_places,
    map_title,
    scale_for,
)

STATIC = Path(__file__).resolve().parents[1] / "static"


@lru_cache(maxsize=1)
def vendored_assets() -> Assets:
    """The files the in-app map page serves, as text to embed."""

    def read(name: str) -> str:
        return (STATIC / name).read_text(encoding="utf-8")

    return Assets(
        leaflet_js=read("leaflet/leaflet.js"),
        leaflet_css=read("leaflet/leaflet.css"),
        map_css=read("areas/map.css"),
        leaflet_licence=read("leaflet/LICENSE"),
    )


def map_file_html(
    rows: list[AreaFigure], measure: str, threshold: int, title: str, attribution: str
) -> str:
    """The figures as the self-contained page (no links: the area pages are not in the file)."""
    areas = [row.map_area(None, row.area.display_geometry, row.area.groups) for row in rows]
    return map_file(
        areas,
        scale_for(measure),
        threshold,
        title=title,
        measure_name=MEASURES[measure],
        attribution=attribution,
        assets=vendored_assets(),
    )


def export_map(round_: Round, area_type: str, measure: str, domain: str) -> str:
    """`survey export map`: every area of a type (an administrator's tool), as the page."""
    if area_type not in AREA_TYPES:
        raise InputError(f"--type: '{area_type}' is not one of {', '.join(AREA_TYPES)}")
    if measure not in MEASURES:
        raise InputError(f"--measure: '{measure}' is not one of {', '.join(MEASURES)}")
    domains = domain_choices(round_)
    if domain not in dict(domains):
        raise InputError(f"--domain: '{domain}' is not one of {', '.join(d for d, _ in domains)}")
    areas = map_places(Area.type == area_type)
    if not areas:
        raise InputError(f"--type: no {area_type} areas have been imported")
    threshold = int(current_app.config["DISCLOSURE_THRESHOLD"])
    rows = figures(round_, areas, measure, domain, threshold)
    choice = {
        "round": round_,
        "area_type": area_type,
        "measure": measure,
        "domains": domains,
        "domain": domain,
        "within": None,
    }
    return map_file_html(rows, measure, threshold, map_title(choice), ATTRIBUTION)
