"""Bring GP practices in: the practice -> PCN lookup, with PCN areas made as named.

All rows are checked first and written in one transaction; any problem raises
InputError (one line naming the file and row) and nothing changes. Practices are then
located from the postcode directory (places.py) when one has been imported.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ..errors import InputError
from ..extensions import db
from ..models import Area, Practice
from .imports import read_csv_rows, refuse_long
from .places import practice_report
from .placing import place_everyone

PRACTICE_COLUMNS = {
    "code": ("practice_code", "code"),
    "name": ("practice_name", "name"),
    "postcode": ("practice_postcode", "postcode"),
    "pcn_code": ("pcn_code",),
    "pcn_name": ("pcn_name",),
    "parent_code": ("ons_sub_icb_location_code", "parent_code"),
}
UNALLOCATED = {"", "U", "UNALLOCATED"}


def _column(path: Path, header: list[str], names: tuple[str, ...], required: bool) -> str | None:
    """The first of these column names the header has."""
    for name in names:
        if name in header:
            return name
    if required:
        raise InputError(f"{path.name}: no '{names[0]}' column (columns: {', '.join(header)})")
    return None


def import_practices(path: Path, max_mb: float = 100, icb: str | None = None) -> str:
    """Create or update GP practices and the PCN areas they name; returns a summary.

    icb: keep only the rows whose ICB_CODE (or ONS_ICB_CODE) is this code.
    """
    header, rows = read_csv_rows(path, max_mb)
    if icb:
        rows = _only_icb(path, header, rows, icb)
    cols = {
        key: _column(path, header, names, required=key in ("code", "name", "pcn_code"))
        for key, names in PRACTICE_COLUMNS.items()
    }
    areas = {a.code: a for a in db.session.scalars(sa.select(Area))}
    seen: dict[str, int] = {}
    checked = []
    for number, row in enumerate(rows, start=2):

        def value(key: str, row=row) -> str:
            return row.get(cols[key] or "", "") if cols[key] else ""

        where = f"{path.name}: row {number}"
        code, name = value("code"), value("name")
        if not code:
            raise InputError(f"{where}: '{cols['code']}' is blank")
        if not name:
            raise InputError(f"{where}: '{cols['name']}' is blank")
        if code in seen:
            raise InputError(f"{where}: practice {code} is also on row {seen[code]}")
        seen[code] = number
        refuse_long(
            where,
            [
                (cols["code"], code, Practice.__table__.c.code),
                (cols["pcn_code"], value("pcn_code"), Practice.__table__.c.pcn_code),
            ],
        )
        pcn_code, pcn_name = value("pcn_code"), value("pcn_name") or value("pcn_code")
        if pcn_code.upper() in UNALLOCATED:
            pcn_code = pcn_name = ""
        elif pcn_code in areas and areas[pcn_code].type != "pcn":
            raise InputError(
                f"{where}: PCN code {pcn_code} is already a {areas[pcn_code].type} area"
            )
        checked.append(
            (code, name, value("postcode")[:10], pcn_code, pcn_name, value("parent_code"))
        )
    try:
        summary = f"{_store_practices(checked, areas)} {practice_report()}"
        place_everyone()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return summary


def _only_icb(path: Path, header: list[str], rows: list[dict], icb: str) -> list[dict]:
    """The rows of one ICB; an error when the file has no ICB column or no such ICB."""
    columns = [c for c in ("icb_code", "ons_icb_code") if c in header]
    if not columns:
        raise InputError(f"{path.name}: --icb needs an 'ICB_CODE' column (columns: {', '.join(header)})")  # fmt: skip
    kept = [row for row in rows if any(row.get(c, "").upper() == icb.upper() for c in columns)]
    if not kept:
        raise InputError(f"{path.name}: no practice has ICB code '{icb}'")
    return kept


def _store_practices(checked, areas: dict[str, Area]) -> str:
    practices = {p.code: p for p in db.session.scalars(sa.select(Practice))}
    new_pcns = 0
    for code, name, postcode, pcn_code, pcn_name, parent_code in checked:
        practice = practices.get(code) or Practice(code=code)
        practice.name, practice.postcode = name[:200], postcode or None
        practice.pcn_code, practice.pcn_name = pcn_code or None, pcn_name[:200] or None
        db.session.add(practice)
        if not pcn_code:
            continue
        pcn = areas.get(pcn_code)
        if pcn is None:
            pcn = Area(code=pcn_code, name=pcn_name[:200], type="pcn", source="practices")
            db.session.add(pcn)
            areas[pcn_code] = pcn
            new_pcns += 1
        parent = areas.get(parent_code)
        if pcn.parent is None and parent is not None and parent is not pcn:
            pcn.parent = parent
    db.session.flush()
    unallocated = sum(1 for row in checked if not row[3])
    return (
        f"Imported {len(checked)} practices ({unallocated} not in a PCN); {new_pcns} new PCN areas."
    )
