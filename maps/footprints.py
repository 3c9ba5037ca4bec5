"""Footprints made of building blocks: PCNs from their practices, neighbourhoods from a lookup.

A PCN has no official boundary. Each building block (LSOA, MSOA or ward) is given
to one PCN, by where its practices are or by where their patients live, and the
blocks of each PCN are dissolved into one (multi)polygon. The blocks tile the
ground, so the dissolved pieces meet along the blocks' own borders: a border
between two PCNs is the same line seen from either side. Where a generalised
boundary file lets two blocks overlap a little, the overlap is given to one piece
only, so pieces never overlap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class PracticePoint:
    """A GP practice's location and PCN."""

    code: str
    pcn_code: str
    lon: float
    lat: float


@lru_cache(maxsize=1)
def _to_bng() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _grid(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Lon/lat arrays as British National Grid metres, (n, 2)."""
    x, y = _to_bng().transform(lons, lats)
    return np.column_stack([x, y])


def _grid_points(geoms: list[BaseGeometry]) -> np.ndarray:
    """A point inside each geometry, in grid metres."""
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    coords = shapely.get_coordinates(points)
    return _grid(coords[:, 0], coords[:, 1])


def nearest_practice_pcns(
    blocks: Mapping[str, BaseGeometry], practices: list[PracticePoint]
) -> dict[str, str]:
    """Block code -> PCN code: a block holding practices goes to their PCN (the one with
    most practices there, or one that would otherwise have no block); any other block
    goes to the PCN of the practice nearest a point inside it (in grid metres)."""
    if not practices or not blocks:
        return {}
    codes = list(blocks)
    geoms = [blocks[c] for c in codes]
    points = shapely.points([(p.lon, p.lat) for p in practices])
    tree = shapely.STRtree(geoms)
    practice_index, block_index = tree.query(points, predicate="intersects")
    inside: dict[int, list[int]] = defaultdict(list)
    seen_practice: set[int] = set()
    for p, b in sorted(zip(practice_index.tolist(), block_index.tolist(), strict=True)):
        if p not in seen_practice:  # a practice on a border counts in one block only
            seen_practice.add(p)
            inside[b].append(p)
    assignment: dict[str, str] = {}
    has_block: set[str] = set()
    contested: list[int] = []
    for b, members in sorted(inside.items()):
        pcns = Counter(practices[p].pcn_code for p in members)
        if len(pcns) == 1:
            (pcn,) = pcns
            assignment[codes[b]] = pcn
            has_block.add(pcn)
        else:
            contested.append(b)
    for b in contested:
        pcns = Counter(practices[p].pcn_code for p in inside[b])
        ranked = sorted(pcns, key=lambda pcn: (pcn in has_block, -pcns[pcn], pcn))
        assignment[codes[b]] = ranked[0]
        has_block.add(ranked[0])
    rest = [b for b in range(len(codes)) if codes[b] not in assignment]
    if rest:
        where = _grid_points([geoms[b] for b in rest])
        practice_xy = _grid(
            np.array([p.lon for p in practices]), np.array([p.lat for p in practices])
        )
        practice_tree = shapely.STRtree(shapely.points(practice_xy))
        nearest = practice_tree.query_nearest(shapely.points(where), all_matches=False)
        for i, p in zip(nearest[0].tolist(), nearest[1].tolist(), strict=True):
            assignment[codes[rest[i]]] = practices[p].pcn_code
    return assignment


def most_registered_pcns(
    registrations: Iterable[tuple[str, str, int]], practice_pcn: Mapping[str, str]
) -> dict[str, str]:
    """Block code -> the PCN with most patients registered from it (ties: lower PCN code).

    registrations: (practice code, block code, patients); practices not in a PCN are left out.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    for practice, block, patients in registrations:
        pcn = practice_pcn.get(practice)
        if pcn and patients > 0:
            counts[block][pcn] += patients
    return {block: min(pcns, key=lambda pcn: (-pcns[pcn], pcn)) for block, pcns in counts.items()}


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the areal parts of a geometry (differences can leave lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def dissolve(
    blocks: Mapping[str, BaseGeometry], assignment: Mapping[str, str]
) -> dict[str, BaseGeometry]:
    """Group code -> one (multi)polygon of its blocks; pieces never overlap.

    Blocks not in the assignment are left out. Where blocks of two groups overlap,
    the overlap stays with the group that comes first in code order.
    """
    members: dict[str, list[BaseGeometry]] = defaultdict(list)
    for code, group in assignment.items():
        if code in blocks:
            members[group].append(blocks[code])
    pieces: dict[str, BaseGeometry] = {}
    taken: list[BaseGeometry] = []
    for group in sorted(members):
        piece = shapely.union_all(members[group])
        nearby = [g for g in taken if g.intersects(piece) and g.intersection(piece).area > 0]
        if nearby:
            piece = _polygonal(piece.difference(shapely.union_all(nearby)))
        pieces[group] = piece
        taken.append(piece)
    return pieces


def overlap_area(pieces: Iterable[BaseGeometry]) -> float:
    """Total area (square degrees) where two or more pieces overlap."""
    shapes = list(pieces)
    total = float(sum(shapely.area(shapes)))
    return total - float(shapely.area(shapely.union_all(shapes)))


def practices_outside(
    pieces: Mapping[str, BaseGeometry], practices: list[PracticePoint]
) -> tuple[list[tuple[PracticePoint, str]], list[PracticePoint]]:
    """Practices whose point is not in their own PCN's piece: (practice, PCN whose piece holds
    it) pairs, and those in no piece at all (outside every building block)."""
    codes = list(pieces)
    tree = shapely.STRtree([pieces[c] for c in codes])
    elsewhere, beyond = [], []
    for practice in practices:
        point = shapely.Point(practice.lon, practice.lat)
        hits = [codes[i] for i in tree.query(point, predicate="intersects")]
        if practice.pcn_code in hits:
            continue
        if hits:
            elsewhere.append((practice, sorted(hits)[0]))
        else:
            beyond.append(practice)
    return elsewhere, beyond


POSTCODE_ATTRIBUTION = (
    "Practice locations from postcodes: contains OS data © Crown copyright and database "
    "right 2025; contains Royal Mail data © Royal Mail copyright and database right 2025; "
    "contains National Statistics data © Crown copyright and database right 2025."
)
PRACTICE_ATTRIBUTION = (
    "GP practices and PCNs: contains public sector information licensed under the Open "
    "Government Licence v3.0 (NHS England)."
)


def footprint_notes(methods: Iterable[str | None]) -> list[str]:
    """The map's notes for the footprints drawn: each method once, then the attributions
    of the files a PCN footprint was made from."""
    shown = sorted({m for m in methods if m})
    notes = [f"{m}." for m in shown]
    if any(m.startswith("PCN footprints") for m in shown):
        notes += [PRACTICE_ATTRIBUTION, POSTCODE_ATTRIBUTION]
    return notes
