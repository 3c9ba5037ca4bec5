"""Bring geography in: boundaries (practices: practices.py; groups: groups_import.py).

Each import checks everything first and writes in one transaction; any
problem raises InputError (one line naming the file, feature or row) and
nothing changes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import shapely
import sqlalchemy as sa
from shapely.geometry import Point, shape
from sqlalchemy.orm import aliased

from maps.boundaries import BoundaryError, BoundaryFeature, read_boundaries

from ..errors import InputError
from ..extensions import db
from ..models import AREA_TYPES, Area
from .placing import place_everyone

# The type a new area's parent usually has, for linking by containment.
PARENT_TYPE = {
    "place": "ics",
    "pcn": "place",
    "neighbourhood": "pcn",
    "ward": "lad",
    "msoa": "lad",
    "lsoa": "msoa",
}


def read_limited(path: Path, max_mb: float) -> bytes:
    """The file's bytes, refusing before reading when it is bigger than max_mb."""
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise InputError(
            f"{path.name}: the file is {size / 1024 / 1024:.0f} MB, over the {max_mb:g} MB limit "
            "(raise it with --max-mb)"
        )
    return path.read_bytes()


def too_long(field: str, value: str | None, column: sa.Column) -> str | None:
    """A problem when the value is longer than its database column allows, else None.

    PostgreSQL would refuse it mid-write; SQLite would keep it whole. Either way the
    person importing is told which field, before anything is written.
    """
    limit = column.type.length
    if value is None or limit is None or len(value) <= limit:
        return None
    return f"'{field}' is {len(value):,} characters long; the most allowed is {limit}"


def refuse_long(where: str, checks: list[tuple[str, str | None, sa.Column]]) -> None:
    """InputError naming the place and field of the first over-long value."""
    for field, value, column in checks:
        problem = too_long(field, value, column)
        if problem:
            raise InputError(f"{where}: {problem}")


@dataclass
class BoundaryImport:
    """What an import of boundaries did, for the console."""

    created: int
    updated: int
    with_parent: int
    area_type: str

    def __str__(self) -> str:
        return (
            f"Imported {self.created + self.updated} {self.area_type} areas "
            f"({self.created} new, {self.updated} updated, {self.with_parent} with a parent)."
        )


def import_boundaries(
    path: Path,
    area_type: str,
    code_field: str,
    name_field: str,
    parent_field: str | None = None,
    parent_type: str | None = None,
    max_mb: float = 100,
) -> BoundaryImport:
    """Create or update areas from a GeoJSON file; parents by code field or by containment."""
    if area_type not in AREA_TYPES:
        raise InputError(f"--type: '{area_type}' is not one of {', '.join(AREA_TYPES)}")
    if parent_type is not None and parent_type not in AREA_TYPES:
        raise InputError(f"--parent-type: '{parent_type}' is not one of {', '.join(AREA_TYPES)}")
    data = read_limited(path, max_mb)
    try:
        features = read_boundaries(data, code_field, name_field, parent_field)
    except BoundaryError as error:
        raise InputError(f"{path.name}: {error}") from None
    for number, feature in enumerate(features, start=1):
        refuse_long(
            f"{path.name}: feature {number}",
            [
                (code_field, feature.code, Area.__table__.c.code),
                (name_field, feature.name, Area.__table__.c.name),
                (parent_field or "", feature.parent_code, Area.__table__.c.code),
            ],
        )
    try:
        result = _store_boundaries(path, features, area_type, parent_field, parent_type)
        place_everyone()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _store_boundaries(path, features, area_type, parent_field, parent_type) -> BoundaryImport:
    existing = {a.code: a for a in db.session.scalars(sa.select(Area))}
    for feature in features:
        area = existing.get(feature.code)
        if area is not None and area.type != area_type:
            raise InputError(
                f"{path.name}: {feature.code} already exists as a {area.type} area, not {area_type}"
            )
    parents = (
        _parents_by_field(path, features, existing, parent_field)
        if parent_field
        else _parents_by_containment(features, parent_type or PARENT_TYPE.get(area_type))
    )
    refuse_loops(path.name, {code: parent for code, parent in parents.items() if parent})
    created = updated = 0
    for feature in features:
        area = existing.get(feature.code)
        if area is None:
            area = Area(code=feature.code, type=area_type)
            db.session.add(area)
            existing[feature.code] = area
            created += 1
        else:
            updated += 1
        area.name = feature.name
        area.geometry = json.dumps(feature.geometry, separators=(",", ":"))
        area.display_geometry = json.dumps(feature.display_geometry, separators=(",", ":"))
        area.centroid_lon, area.centroid_lat = feature.point
        area.source = path.name[:200]
    db.session.flush()
    linked = 0
    for feature in features:
        parent_code = parents.get(feature.code)
        if parent_code is not None:
            existing[feature.code].parent_id = existing[parent_code].id
            linked += 1
    db.session.flush()
    return BoundaryImport(created, updated, linked, area_type)


def parent_loop(links: dict[str, str], starts: Iterable[str]) -> list[str] | None:
    """The codes of a loop of parents met going up from starts (A, B, A), or None.

    links: code -> parent code.
    """
    done: set[str] = set()
    for start in starts:
        chain, node = [], start
        while node in links and node not in done:
            if node in chain:
                return [*chain[chain.index(node) :], node]
            chain.append(node)
            node = links[node]
        done.update(chain)
    return None


def refuse_loops(where: str, new_links: dict[str, str]) -> None:
    """InputError naming the codes when the new parents, with those stored, make a loop."""
    parent = aliased(Area)
    stored = {
        code: parent_code
        for code, parent_code in db.session.execute(
            sa.select(Area.code, parent.code).join(parent, Area.parent)
        )
    }
    loop = parent_loop({**stored, **new_links}, new_links)
    if loop:
        raise InputError(
            f"{where}: parents go round in a loop ({' → '.join(loop)}); nothing was imported"
        )


def _parents_by_field(path, features, existing, field) -> dict[str, str | None]:
    """Parent codes from a property; each must be an imported area or in this file."""
    codes = {f.code for f in features}
    parents: dict[str, str | None] = {}
    for number, feature in enumerate(features, start=1):
        code = feature.parent_code
        if code is not None and code not in existing and code not in codes:
            raise InputError(
                f"{path.name}: feature {number} ({feature.code}): parent '{code}' in '{field}' "
                "is not an imported area; import the parent boundaries first"
            )
        if code == feature.code:
            raise InputError(
                f"{path.name}: feature {number} ({feature.code}) names itself as its parent"
            )
        parents[feature.code] = code
    return parents


def _parents_by_containment(
    features: list[BoundaryFeature], parent_type: str | None
) -> dict[str, str | None]:
    """Each feature's parent: the area of parent_type containing a point inside it."""
    if parent_type is None:
        return {}
    candidates = db.session.execute(
        sa.select(Area.code, Area.geometry).where(
            Area.type == parent_type, Area.geometry.is_not(None)
        )
    ).all()
    if not candidates:
        return {}
    codes = [code for code, _ in candidates]
    geoms = [shape(json.loads(geometry)) for _, geometry in candidates]
    tree = shapely.STRtree(geoms)
    parents: dict[str, str | None] = {}
    for feature in features:
        hits = tree.query(Point(feature.point), predicate="intersects")
        parents[feature.code] = codes[min(hits)] if len(hits) else None
    return parents


# ---- GP practices -------------------------------------------------------------------


# Column names as NHS England publishes them, and as the design names them.
def _header_key(name: str) -> str:
    """A column name folded to lower_snake_case ("PCN Code" -> "pcn_code")."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def read_csv_rows(path: Path, max_mb: float) -> tuple[list[str], list[dict[str, str]]]:
    """The header (folded) and rows of a CSV file, as text."""
    data = read_limited(path, max_mb)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{path.name}: not UTF-8 text (byte {error.start})") from None
    if not text.strip():
        raise InputError(f"{path.name}: the file is empty")
    if "\x00" in text:  # never meant in a CSV file, and PostgreSQL cannot store it
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(f"{path.name}: line {line} contains a null character")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [_header_key(h) for h in next(reader)]
        rows = [
            dict(zip(header, (cell.strip() for cell in row), strict=False))
            for row in reader
            if any(cell.strip() for cell in row)
        ]
    except csv.Error as error:
        raise InputError(f"{path.name}: not a readable CSV file ({error})") from None
    return header, rows
