"""Point layers drawn over a choropleth: GP practices over the PCN layer.

Practices are public places, so each is a point with its name. Groups are never
points: a group's location is used for placement and area figures only, and is
shown only for a group that agreed to be listed and said its meeting place is a
public venue. The platform does not record the second yet, so no group is drawn;
groups are only counted inside their areas, under the disclosure rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PracticeMarker:
    """A GP practice to draw: where it is and what to call it."""

    code: str
    name: str
    pcn_name: str
    lon: float
    lat: float


def practice_layer(practices: Iterable[PracticeMarker]) -> dict:
    """A GeoJSON FeatureCollection of practice points, each with its tooltip text."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(p.lon, 5), round(p.lat, 5)]},
                "properties": {"tip": f"{p.name} ({p.code}), {p.pcn_name}"},
            }
            for p in sorted(practices, key=lambda p: p.code)
        ],
    }
