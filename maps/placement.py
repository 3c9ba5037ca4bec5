"""Place a point (a group's location) in every area that contains it."""

from __future__ import annotations

from collections.abc import Iterable

import shapely
from shapely import STRtree
from shapely.geometry import Point, shape


class AreaLocator:
    """Point-in-polygon lookup over many areas, via a spatial index."""

    def __init__(self, areas: Iterable[tuple[str, dict | str]]) -> None:
        """Take (code, GeoJSON geometry) pairs, as dicts or as GeoJSON text (parsed by GEOS,
        much faster); geometries are the full-resolution ones."""
        pairs = [
            (code, shapely.from_geojson(geometry) if isinstance(geometry, str) else shape(geometry))
            for code, geometry in areas
            if geometry
        ]
        self._codes = [code for code, _ in pairs]
        self._shapes = [geom for _, geom in pairs]
        self._tree = STRtree(self._shapes)

    def containing(self, lon: float, lat: float) -> list[str]:
        """Codes of every area containing the point (boundaries count as inside)."""
        point = Point(lon, lat)
        hits = self._tree.query(point, predicate="intersects")
        return [self._codes[i] for i in sorted(hits)]

    def containing_many(self, points: list[tuple[float, float]]) -> list[list[str]]:
        """Codes of the areas containing each (lon, lat) point, in one vectorised query."""
        found: list[list[str]] = [[] for _ in points]
        if not points or not self._codes:
            return found
        where, hits = self._tree.query(shapely.points(points), predicate="intersects")
        for i, hit in sorted(zip(where.tolist(), hits.tolist(), strict=True)):
            found[i].append(self._codes[hit])
        return found
