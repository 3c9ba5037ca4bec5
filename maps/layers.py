"""Point layers drawn over a choropleth: GP practices, and groups' public venues.

Practices are public places, so each is a point with its name. A group is a point
only where it agreed to be listed and named its meeting place a public venue: the
point is that venue (what its directory listing already publishes), with the
listing's name and activities. A group's own postcode is used for placement and
area figures only and is never drawn; other groups are only counted in their areas.
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


@dataclass(frozen=True)
class VenueMarker:
    """A listed group's public venue: where it meets and what its listing calls it."""

    key: str
    name: str
    activities: tuple[str, ...]
    lon: float
    lat: float


def venue_layer(venues: Iterable[VenueMarker]) -> dict:
    """A GeoJSON FeatureCollection of listed groups' public venues, with tooltip text."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(v.lon, 5), round(v.lat, 5)]},
                "properties": {
                    "tip": v.name + (f": {', '.join(v.activities)}" if v.activities else "")
                },
            }
            for v in sorted(venues, key=lambda v: (v.name, v.key))
        ],
    }
