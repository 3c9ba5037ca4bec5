"""Simplify neighbouring areas together, so shared borders stay shared.

Simplifying each polygon on its own moves a border differently on its two
sides and leaves slivers and gaps between neighbours. Here every ring is cut
into arcs at junctions (points where the set of neighbours changes, as in
TopoJSON); each arc is simplified once (Douglas-Peucker, end points kept) and
rounded to 5 decimals (about 1 m), and both neighbours reuse the same result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .geometry import reduce_precision

Point = tuple[float, float]
DECIMALS = 5


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    """The polygons of a Polygon or MultiPolygon."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    return [part for part in getattr(geom, "geoms", []) if isinstance(part, Polygon)]


def _open_ring(ring) -> list[Point]:
    """A ring's points without the closing repeat and without consecutive duplicates."""
    points = list(map(tuple, shapely.get_coordinates(ring)[:-1].tolist()))
    return [p for i, p in enumerate(points) if p != points[i - 1]] or points


def _junctions(rings: list[list[Point]]) -> set[Point]:
    """Points whose neighbours differ between the rings that pass through them."""
    rows = []
    for ring in rings:
        points = np.asarray(ring, dtype=float)
        rows.append(np.hstack([points, np.roll(points, 1, axis=0), np.roll(points, -1, axis=0)]))
    if not rows:
        return set()
    table = np.vstack(rows)  # x, y, previous x, y, next x, y
    a, b = table[:, 2:4], table[:, 4:6]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    first = np.where(swap[:, None], b, a)
    second = np.where(swap[:, None], a, b)
    distinct = np.unique(np.hstack([table[:, :2], first, second]), axis=0)
    points, counts = np.unique(distinct[:, :2], axis=0, return_counts=True)
    return set(map(tuple, points[counts > 1].tolist()))


class _ArcSimplifier:
    """Douglas-Peucker on arcs, cached by the arc's direction-free form."""

    def __init__(self, tolerance: float) -> None:
        self.tolerance = tolerance
        self.done: dict[tuple[Point, ...], list[Point]] = {}

    def arc(self, points: list[Point]) -> list[Point]:
        """The simplified, rounded arc, in the direction given."""
        flip = points[-1] < points[0] or (points[-1] == points[0] and points[-2] < points[1])
        key = tuple(reversed(points)) if flip else tuple(points)
        result = self.done.get(key)
        if result is None:
            result = self._simplify(list(key))
            self.done[key] = result
        return list(reversed(result)) if flip else list(result)

    def _simplify(self, points: list[Point]) -> list[Point]:
        if len(points) > 2:
            line = shapely.simplify(LineString(points), self.tolerance, preserve_topology=False)
            coords = shapely.get_coordinates(line)
        else:
            coords = np.array(points)
        rounded = [(float(x), float(y)) for x, y in np.round(coords, DECIMALS)]
        return [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]


def _ring(points: list[Point], junctions: set[Point], arcs: _ArcSimplifier) -> list[Point]:
    """A closed ring rebuilt from its simplified arcs."""
    cuts = [i for i, p in enumerate(points) if p in junctions]
    if not cuts:
        start = points.index(min(points))  # a closed ring shared whole (an enclave)
        rotated = points[start:] + points[:start]
        return arcs.arc([*rotated, rotated[0]])
    first = cuts[0]
    rotated = points[first:] + points[:first]
    cuts = [i - first for i in cuts] + [len(points)]
    rotated.append(rotated[0])
    out: list[Point] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        part = arcs.arc(rotated[a : b + 1])
        out.extend(part if not out else part[1:])
    return out


def _polygon(shell: list[Point], holes: list[list[Point]], original: Polygon) -> Polygon | None:
    """A polygon from simplified rings; rings that collapsed are dropped or kept whole."""
    if len(set(shell)) < 3:
        shell = [
            (float(x), float(y))
            for x, y in np.round(np.asarray(original.exterior.coords), DECIMALS)
        ]
    kept = [shapely.linearrings(hole) for hole in holes if len(set(hole)) >= 3]
    return shapely.polygons(shapely.linearrings(shell), holes=kept or None)


def simplify_shared(geoms: Sequence[BaseGeometry], tolerance: float) -> list[BaseGeometry]:
    """Display copies of neighbouring (Multi)Polygons, simplified without gaps between them."""
    shapes = [[(poly, _open_ring(poly.exterior), [_open_ring(r) for r in poly.interiors]) for poly in _polygons(g)] for g in geoms]  # fmt: skip
    rings = [ring for polys in shapes for _, shell, holes in polys for ring in (shell, *holes)]
    junctions = _junctions(rings)
    arcs = _ArcSimplifier(tolerance)
    out: list[BaseGeometry] = []
    for geom, polys in zip(geoms, shapes, strict=True):
        parts = [
            _polygon(
                _ring(shell, junctions, arcs), [_ring(h, junctions, arcs) for h in holes], poly
            )
            for poly, shell, holes in polys
        ]
        shown: BaseGeometry = parts[0] if len(parts) == 1 else MultiPolygon(parts)
        if not shown.is_valid:
            shown = reduce_precision(shown, DECIMALS)
        if shown.is_empty:
            shown = reduce_precision(geom, DECIMALS)
        out.append(shown)
    return out
