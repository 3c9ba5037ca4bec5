"""Real places: the postcode directory, locations from postcodes, PCN and neighbourhood
footprints built from imported building blocks (LSOAs, MSOAs or wards).

Each command checks what it is given and writes in one transaction; any problem raises
InputError (one line naming the file, row or field) and nothing changes. The geometry
work is in maps/ (postcodes.py, footprints.py); this module reads and writes the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import shapely
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from instruments.answers import normalise_postcode
from maps.boundaries import geojson
from maps.footprints import (
    PracticePoint,
    dissolve,
    most_registered_pcns,
    nearest_practice_pcns,
    practices_outside,
)
from maps.postcodes import COLUMNS as POSTCODE_COLUMNS
from maps.postcodes import PostcodeError, PostcodeFile
from maps.topology import simplify_shared

from ..errors import InputError
from ..extensions import db
from ..models import Area, Organisation, Postcode, Practice
from .imports import _header_key, read_csv_rows, refuse_loops
from .placing import Placer, place, place_everyone

BLOCK_TYPES = ("lsoa", "msoa", "ward")
BLOCK_NAMES = {"lsoa": "LSOAs", "msoa": "MSOAs", "ward": "wards"}
DISPLAY_TOLERANCE = 0.0002  # as boundary imports simplify their display copies
LIST_AT_MOST = 12  # codes named in a report line before "and N more"


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:LIST_AT_MOST])
    return shown + (f" and {len(items) - LIST_AT_MOST} more" if len(items) > LIST_AT_MOST else "")


# ---- the postcode directory ----------------------------------------------------------


def import_postcodes(path: Path, batch_size: int = 5000) -> str:
    """Replace the postcode directory with this file's rows, then locate practices and groups."""
    count = terminated = 0
    lines: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            directory = PostcodeFile(handle, batch_size)
            db.session.execute(sa.delete(Postcode))
            insert = _insert_statement()
            for batch in directory.batches():
                lines = {}
                for record in batch:
                    if record.postcode in lines:
                        raise PostcodeError(
                            f"line {record.line}: postcode {record.postcode} is also on "
                            f"line {lines[record.postcode]}"
                        )
                    lines[record.postcode] = record.line
                    terminated += record.terminated
                db.session.connection().exec_driver_sql(insert, [r.row() for r in batch])
                count += len(batch)
        if count == 0:
            raise PostcodeError("the file has a header but no rows")
        located = locate_everything()
        db.session.commit()
    except PostcodeError as error:
        db.session.rollback()
        raise InputError(f"{path.name}: {error}") from None
    except UnicodeDecodeError as error:
        db.session.rollback()
        raise InputError(f"{path.name}: not UTF-8 text (byte {error.start})") from None
    except IntegrityError:
        db.session.rollback()
        raise InputError(f"{path.name}: {_repeated(path, lines)}") from None
    except Exception:
        db.session.rollback()
        raise
    return (
        f"Imported {count:,} postcodes from a {directory.layout.name} file "
        f"({terminated:,} terminated, kept and marked). {located}"
    )


def _insert_statement() -> str:
    """A plain INSERT for the driver's executemany (much faster than per-row parameters)."""
    mark = "?" if db.session.get_bind().dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO postcode ({', '.join(POSTCODE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(POSTCODE_COLUMNS))})"
    )


def _repeated(path: Path, batch: dict[str, int]) -> str:
    """Which postcode of the batch that failed was already earlier in the file (read again,
    holding only that batch's postcodes)."""
    first = min(batch.values(), default=0)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for records in PostcodeFile(handle).batches():
            for record in records:
                if record.line >= first:
                    break
                if record.postcode in batch:
                    return (
                        f"line {batch[record.postcode]}: postcode {record.postcode} "
                        f"appears earlier in the file (line {record.line})"
                    )
    return "a postcode appears more than once in the file"


def postcode_points(postcodes: set[str]) -> dict[str, tuple[float, float]]:
    """Normalised postcode -> (lon, lat) for those in the directory with a location."""
    found: dict[str, tuple[float, float]] = {}
    wanted = sorted(postcodes)
    mark = "?" if db.session.get_bind().dialect.paramstyle == "qmark" else "%s"
    connection = db.session.connection()
    for start in range(0, len(wanted), 900):  # under SQLite's oldest limit of bound values
        chunk = wanted[start : start + 900]
        rows = connection.exec_driver_sql(
            "SELECT postcode, lon, lat FROM postcode WHERE lat IS NOT NULL AND postcode IN "
            f"({', '.join([mark] * len(chunk))})",
            tuple(chunk),
        )
        for code, lon, lat in rows:
            found[code] = (lon, lat)
    return found


def locate_practices() -> tuple[int, list[str]]:
    """Set every practice's location from its postcode; (how many located, 'CODE (POSTCODE)'
    of those whose postcode is not in the directory)."""
    practices = list(db.session.scalars(sa.select(Practice).order_by(Practice.code)))
    points = postcode_points({normalise_postcode(p.postcode) or "" for p in practices} - {""})
    missing = []
    for practice in practices:
        point = points.get(normalise_postcode(practice.postcode) or "")
        practice.lon, practice.lat = point if point else (None, None)
        if point is None:
            missing.append(f"{practice.code} ({practice.postcode or 'no postcode'})")
    return len(practices) - len(missing), missing


def _typed_in(org: Organisation) -> bool:
    """Whether the group's coordinates were typed in (or set before postcodes were used)."""
    return org.located_by == "given" or (org.located_by is None and org.lon is not None)


def locate_organisations(organisations: list[Organisation]) -> int:
    """Give groups without typed-in coordinates their postcode's location; how many have one.

    Stored groups are updated in one executemany (not one UPDATE each through the session).
    """
    points = postcode_points(
        {normalise_postcode(o.postcode) or "" for o in organisations if not _typed_in(o)} - {""}
    )
    located, changes = 0, []
    for org in organisations:
        if _typed_in(org):
            located += 1
            continue
        point = points.get(normalise_postcode(org.postcode) or "")
        lon, lat = point if point else (None, None)
        values = {"lon": lon, "lat": lat, "located_by": "postcode" if point else None}
        located += point is not None
        if (org.lon, org.lat, org.located_by) == (lon, lat, values["located_by"]):
            continue
        state = sa.inspect(org)
        if state.persistent and not state.modified:
            for field, value in values.items():
                set_committed_value(org, field, value)
            changes.append((lon, lat, values["located_by"], org.id))
        else:
            for field, value in values.items():
                setattr(org, field, value)
    if changes:
        mark = "?" if db.session.get_bind().dialect.paramstyle == "qmark" else "%s"
        db.session.connection().exec_driver_sql(
            f"UPDATE organisation SET lon = {mark}, lat = {mark}, located_by = {mark} "
            f"WHERE id = {mark}",
            changes,
        )
    return located


def directory_size() -> int:
    """How many postcodes the directory holds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Postcode)) or 0


def practice_report() -> str:
    """Locate practices and say how many were found (naming those that were not)."""
    if directory_size() == 0:
        return (
            "No postcode directory yet: import one (survey import postcodes) to locate practices."
        )
    located, missing = locate_practices()
    line = f"{located} practices located by postcode."
    if missing:
        line += f" {len(missing)} not in the postcode directory: {_listed(missing)}."
    return line


def locate_everything() -> str:
    """Locate every practice and group from the directory and re-place every group."""
    organisations = list(db.session.scalars(sa.select(Organisation)))
    moving = [o for o in organisations if not o.area_given and not _typed_in(o)]
    located = locate_organisations(organisations)
    report = practice_report()
    db.session.flush()
    placer = Placer()
    for org in moving:  # their own area follows their postcode
        org.area_id = None
        org.area_id = placer.home_area(org)
    place(organisations, placer)
    return f"{report} {located} of {len(organisations)} groups have a location."


# ---- footprints ----------------------------------------------------------------------


def _blocks(block_type: str) -> tuple[dict[str, object], str]:
    """The imported building blocks of a type (code -> shapely geometry) and their source."""
    if block_type not in BLOCK_TYPES:
        raise InputError(f"--from: '{block_type}' is not one of {', '.join(BLOCK_TYPES)}")
    rows = db.session.execute(
        sa.select(Area.code, Area.geometry, Area.source).where(
            Area.type == block_type, Area.geometry.is_not(None)
        )
    ).all()
    if not rows:
        raise InputError(
            f"--from {block_type}: no {block_type} boundaries have been imported; import them "
            f"first (survey import boundaries FILE --type {block_type} ...)"
        )
    sources = sorted({source for *_, source in rows if source})
    blocks = {code: shapely.from_geojson(geometry) for code, geometry, _ in rows}
    return blocks, ", ".join(sources) or "imported boundaries"


def _store_footprints(
    pieces: dict[str, object], areas: dict[str, Area], method: str, today: dt.date
) -> None:
    """Write each piece as its area's geometry, with a display copy that keeps shared borders."""
    codes = sorted(pieces)
    shown = simplify_shared([pieces[c] for c in codes], DISPLAY_TOLERANCE)
    for code, display in zip(codes, shown, strict=True):
        area, piece = areas[code], pieces[code]
        point = piece.representative_point()
        area.geometry = json.dumps(geojson(piece, 6), separators=(",", ":"))
        area.display_geometry = json.dumps(geojson(display, 5), separators=(",", ":"))
        area.centroid_lon, area.centroid_lat = round(point.x, 6), round(point.y, 6)
        area.footprint_method = method[:300]
        area.footprint_on = today


def _registrations(path: Path, blocks: dict, practice_pcn: dict[str, str]) -> dict[str, str]:
    """Block -> PCN with most registered patients, from NHS England's gp-reg-pat-prac-lsoa file."""
    wanted = ("practice_code", "lsoa_code", "number_of_patients")

    def rows():
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [_header_key(h) for h in next(reader, [])]
            missing = [c for c in wanted if c not in header]
            if missing:
                raise InputError(
                    f"{path.name}: no '{missing[0].upper()}' column; expected NHS England's "
                    "gp-reg-pat-prac-lsoa layout (PRACTICE_CODE, LSOA_CODE, NUMBER_OF_PATIENTS)"
                )
            at = [header.index(c) for c in wanted]
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                try:
                    practice, lsoa, patients = (row[i].strip() for i in at)
                    number = int(patients)
                except (IndexError, ValueError):
                    raise InputError(
                        f"{path.name}: row {reader.line_num}: 'NUMBER_OF_PATIENTS' is not a "
                        "whole number"
                    ) from None
                if lsoa in blocks:
                    yield practice, lsoa, number

    try:
        return most_registered_pcns(rows(), practice_pcn)
    except (UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"{path.name}: not a readable UTF-8 CSV file ({error})") from None


def build_pcns(block_type: str, registrations: Path | None = None, today=None) -> list[str]:
    """Give every PCN a footprint made of building blocks; returns the report's lines."""
    try:
        return _build_pcns(block_type, registrations, today)
    except Exception:
        db.session.rollback()
        raise


def _build_pcns(block_type: str, registrations: Path | None, today) -> list[str]:
    if registrations is not None and block_type != "lsoa":
        raise InputError("--registrations: patients are registered by LSOA; use --from lsoa")
    blocks, source = _blocks(block_type)
    pcns = {a.code: a for a in db.session.scalars(sa.select(Area).where(Area.type == "pcn"))}
    if not pcns:
        raise InputError("no PCNs yet: import the practice list first (survey import practices)")
    practices = list(
        db.session.scalars(
            sa.select(Practice).where(Practice.pcn_code.in_(list(pcns))).order_by(Practice.code)
        )
    )
    unlocated = [f"{p.code} ({p.postcode or 'no postcode'})" for p in practices if p.lon is None]
    points = [
        PracticePoint(p.code, p.pcn_code, p.lon, p.lat) for p in practices if p.lon is not None
    ]
    if not points:
        raise InputError(
            "no practice has a location: import a postcode directory that holds their "
            "postcodes (survey import postcodes FILE.csv)"
        )
    tree = shapely.STRtree(list(blocks.values()))
    inside_blocks = tree.query(shapely.points([(p.lon, p.lat) for p in points]), "intersects")
    inside = sorted(set(inside_blocks[0].tolist()))
    beyond = [points[i] for i in range(len(points)) if i not in set(inside)]
    points = [points[i] for i in inside]
    if not points:
        raise InputError(
            f"--from {block_type}: none of the {len(beyond)} located practices lies inside "
            f"the imported {BLOCK_NAMES[block_type]}"
        )
    assignment = nearest_practice_pcns(blocks, points)
    by = "practice locations"
    fallback = 0
    if registrations is not None:
        registered = _registrations(registrations, blocks, {p.code: p.pcn_code for p in practices})
        fallback = sum(1 for code in blocks if code not in registered)
        assignment = {**assignment, **registered}
        by = f"patients registered by LSOA ({registrations.name})"
    today = today or dt.date.today()
    method = (
        f"PCN footprints approximated from {by} over {BLOCK_NAMES[block_type]} "
        f"({source}), {today:%-d %B %Y}"
    )
    pieces = dissolve(blocks, assignment)
    for code, area in pcns.items():  # a footprint built before but not now is stale
        if code not in pieces and area.footprint_method:
            area.geometry = area.display_geometry = None
            area.footprint_method = area.footprint_on = None
    _store_footprints(pieces, pcns, method, today)
    elsewhere, _ = practices_outside(pieces, points)
    db.session.flush()
    place_everyone()
    db.session.commit()
    lines = [f"{len(pieces)} of {len(pcns)} PCNs have a footprint: {method}."]
    if fallback:
        lines.append(f"{fallback} {BLOCK_NAMES[block_type]} with no registered patients went to the nearest practice's PCN.")  # fmt: skip
    without = sorted(set(pcns) - set(pieces))
    if without:
        lines.append(f"{len(without)} PCNs have no practice inside the imported {BLOCK_NAMES[block_type]} and no footprint: {_listed(without)}.")  # fmt: skip
    if beyond:
        lines.append(f"{len(beyond)} practices lie outside the imported {BLOCK_NAMES[block_type]} and were left out: {_listed([f'{p.code} ({p.pcn_code})' for p in beyond])}.")  # fmt: skip
    if elsewhere:
        lines.append(f"{len(elsewhere)} practices lie in another PCN's footprint (their block went to another PCN with practices there): {_listed([f'{p.code} ({p.pcn_code} -> {other})' for p, other in elsewhere])}.")  # fmt: skip
    if unlocated:
        lines.append(f"{len(unlocated)} practices have no location (postcode not in the directory): {_listed(unlocated)}.")  # fmt: skip
    return lines


def import_neighbourhoods(path: Path, block_type: str, max_mb: float = 100, today=None) -> str:
    """Neighbourhood areas dissolved from the building blocks a lookup file lists."""
    try:
        return _import_neighbourhoods(path, block_type, max_mb, today)
    except Exception:
        db.session.rollback()
        raise


def _import_neighbourhoods(path: Path, block_type: str, max_mb: float, today) -> str:
    blocks, source = _blocks(block_type)
    header, rows = read_csv_rows(path, max_mb)
    if len(header) < 3:
        raise InputError(
            f"{path.name}: expected columns building-block code, neighbourhood code, "
            f"neighbourhood name[, parent code]; the header has {len(header)}"
        )
    if not rows:
        raise InputError(f"{path.name}: the file has a header but no rows")
    areas = {a.code: a for a in db.session.scalars(sa.select(Area))}
    names: dict[str, str] = {}
    parents: dict[str, str] = {}
    assignment: dict[str, str] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        where = f"{path.name}: row {number}"
        block, code, name, parent = (row.get(header[i], "") if i < len(header) else "" for i in range(4))  # fmt: skip
        for field, value in ((header[0], block), (header[1], code), (header[2], name)):
            if not value:
                raise InputError(f"{where}: '{field}' is blank")
        if block not in blocks:
            raise InputError(
                f"{where}: '{header[0]}' {block[:40]!r} is not an imported {block_type} area"
            )
        if block in assignment and assignment[block] != code:
            raise InputError(
                f"{where}: {block} is already in neighbourhood {assignment[block]} "
                f"(row {first_row[block]})"
            )
        if len(code) > 32 or len(name) > 200:
            raise InputError(f"{where}: the neighbourhood code or name is too long")
        existing = areas.get(code)
        if existing is not None and existing.type != "neighbourhood":
            raise InputError(f"{where}: {code} is already a {existing.type} area")
        if parent and parent not in areas:
            raise InputError(f"{where}: parent '{parent[:40]}' is not an imported area")
        if parent == code:
            raise InputError(f"{where}: neighbourhood {code} names itself as its parent")
        assignment[block] = code
        first_row.setdefault(block, number)
        names.setdefault(code, name)
        if parent:
            parents[code] = parent
    refuse_loops(path.name, parents)
    today = today or dt.date.today()
    method = (
        f"Neighbourhoods dissolved from {BLOCK_NAMES[block_type]} ({source}) "
        f"as listed in {path.name}, {today:%-d %B %Y}"
    )
    pieces = dissolve(blocks, assignment)
    created = 0
    for code, name in names.items():
        area = areas.get(code)
        if area is None:
            area = Area(code=code, type="neighbourhood", source=path.name[:200])
            db.session.add(area)
            areas[code] = area
            created += 1
        area.name = name
        if code in parents:
            area.parent = areas[parents[code]]
    _store_footprints(pieces, areas, method, today)
    db.session.flush()
    place_everyone()
    db.session.commit()
    left = len(blocks) - len(assignment)
    return (
        f"{len(pieces)} neighbourhoods ({created} new) from {len(assignment)} "
        f"{BLOCK_NAMES[block_type]}; {left} imported {BLOCK_NAMES[block_type]} are in none."
    )
