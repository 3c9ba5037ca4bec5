"""Bring community groups in from a CSV file, placed in every area they lie in.

Every row is checked first; with any problem, every row's problems are
reported and nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from instruments.answers import is_email, normalise_postcode

from ..errors import InputError
from ..extensions import db
from ..models import Area, Broker, Organisation
from .imports import read_csv_rows, too_long
from .places import locate_organisations, postcode_points
from .placing import Placer, place

ORGANISATION_COLUMNS = (
    "name", "postcode", "area_code", "charity_number", "email", "broker", "practice_code",
    "longitude", "latitude",
)  # fmt: skip


def _float(text: str, low: float, high: float) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if low <= number <= high else None


def _check_organisation(
    row: dict[str, str], areas, placer: Placer, located: set[str]
) -> tuple[dict, list[str]]:
    """The row's field values and a list of what is wrong with it.

    located: the postcodes the postcode directory can place.
    """
    problems = []
    name, given = row.get("name", ""), re.sub(r"\s+", " ", row.get("postcode", "").upper())
    postcode = normalise_postcode(given)
    if not name:
        problems.append("'name' is blank")
    elif len(name) > 200:
        problems.append("'name' is longer than 200 characters")
    if not given.strip():
        problems.append("'postcode' is blank")
    elif postcode is None:
        problems.append(f"'postcode' {given[:60]!r} is not a UK postcode")
    area_code, practice_code = row.get("area_code", ""), row.get("practice_code", "")
    if area_code and area_code not in areas:
        problems.append(f"'area_code' {area_code[:60]!r} is not an imported area")
    if practice_code and placer.practice_area(practice_code) is None:
        problems.append(f"'practice_code' {practice_code[:60]!r} is not a practice in a known PCN")
    lon_text, lat_text = row.get("longitude", ""), row.get("latitude", "")
    lon = _float(lon_text, -180, 180) if lon_text else None
    lat = _float(lat_text, -90, 90) if lat_text else None
    if (lon_text and lon is None) or (lat_text and lat is None) or bool(lon_text) != bool(lat_text):
        problems.append("'longitude' and 'latitude' must both be numbers in range")
    placeable = area_code or practice_code or lon is not None or postcode in located
    if postcode and not placeable:
        problems.append(
            "give an 'area_code', a 'practice_code' or coordinates to place the group "
            f"(its postcode {postcode} is not in the postcode directory: survey import postcodes)"
        )
    email = row.get("email", "")
    if long := too_long("email", email, Organisation.__table__.c.email):
        problems.append(long)  # say how long first: "not an address" would puzzle
    elif email and not is_email(email):
        problems.append(f"'email' {email[:60]!r} is not an email address")
    charity = row.get("charity_number", "")
    if len(charity) > 20:
        problems.append("'charity_number' is longer than 20 characters")
    values = {
        "name": name,
        "postcode": postcode,
        "area_id": areas[area_code].id if area_code in areas else None,
        "charity_number": charity or None,
        "email": email or None,
        "practice_code": practice_code or None,
        "lon": lon,
        "lat": lat,
        "located_by": "given" if lon is not None else None,
        "area_given": bool(area_code),
        "broker": row.get("broker", "")[:200],
    }
    return values, problems


def import_organisations(path: Path, max_mb: float = 100) -> tuple[str, list[str]]:
    """Create or update groups (matched on name and postcode) and place them in their areas.

    Returns (summary, row errors); with any row error nothing is written.
    """
    header, rows = read_csv_rows(path, max_mb)
    missing = [c for c in ("name", "postcode") if c not in header]
    if missing:
        raise InputError(f"{path.name}: no '{missing[0]}' column (columns: {', '.join(header)})")
    if not rows:
        raise InputError(f"{path.name}: the file has a header but no rows")
    areas = {a.code: a for a in db.session.scalars(sa.select(Area))}
    placer = Placer()
    located = set(postcode_points({normalise_postcode(r.get("postcode", "")) or "" for r in rows}))
    errors, checked, seen = [], [], {}
    for number, row in enumerate(rows, start=2):
        values, problems = _check_organisation(row, areas, placer, located)
        key = (values["name"].lower(), values["postcode"])
        if key in seen and not problems:
            problems.append(f"the same name and postcode as row {seen[key]}")
        seen.setdefault(key, number)
        errors += [f"{path.name}: row {number}: {p}" for p in problems]
        checked.append(values)
    if errors:
        return "", errors
    try:
        summary = _store_organisations(checked, placer)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return summary, []


def _store_organisations(checked: list[dict], placer: Placer) -> str:
    existing = {
        (o.name.lower(), normalise_postcode(o.postcode) or (o.postcode or "").upper()): o
        for o in db.session.scalars(sa.select(Organisation))
    }
    brokers = {b.name: b for b in db.session.scalars(sa.select(Broker))}
    touched, created = [], 0
    for values in checked:
        broker_name = values.pop("broker")
        org = existing.get((values["name"].lower(), values["postcode"]))
        if org is None:
            org = Organisation()
            db.session.add(org)
            created += 1
        for field, value in values.items():
            setattr(org, field, value)
        if broker_name:
            if broker_name not in brokers:
                brokers[broker_name] = Broker(name=broker_name)
                db.session.add(brokers[broker_name])
            org.broker = brokers[broker_name]
        touched.append(org)
    located = locate_organisations(touched)
    for org in touched:
        org.area_id = placer.home_area(org)
    db.session.flush()
    rows = place(touched, placer)
    return (
        f"Imported {len(touched)} groups ({created} new, {len(touched) - created} updated), "
        f"placed in {rows} area memberships ({located} located by coordinates or postcode)."
    )
