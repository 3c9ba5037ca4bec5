"""`survey demo`: a fictional ICS with groups, rounds and answers, from a seed."""

from __future__ import annotations

import datetime as dt
import json
import random

import sqlalchemy as sa
from shapely.geometry import mapping, shape

from maps.demo_geography import demo_practices, generate_demo_geography, random_point_in
from maps.placement import AreaLocator
from maps.topology import simplify_shared

from .demo_data import (
    DemoGroup,
    area_effects,
    demo_answers,
    directory_details,
    fictional_postcode,
    group_name,
    group_profile,
)
from .extensions import db
from .instruments_store import registry
from .models import (
    Answer,
    Area,
    Broker,
    DirectoryEntry,
    DomainScore,
    Invitation,
    Organisation,
    OrganisationArea,
    Postcode,
    Practice,
    Response,
    ResponseStatus,
    Round,
    SupportOffer,
    User,
    new_token,
)
from .scores import score_rows


class DemoExists(Exception):
    """The database already holds data; the demo will not mix with it."""


# (slug, instrument id, opens, closes, year index for trends, target level)
DEMO_ROUNDS = [
    ("confidence-2024", "confidence", dt.date(2024, 5, 1), dt.date(2024, 7, 31), 0, 3),
    ("confidence-2025", "confidence", dt.date(2025, 5, 1), dt.date(2025, 7, 31), 1, 3),
    ("confidence-2026", "confidence", dt.date(2026, 5, 1), dt.date(2026, 7, 31), 2, 3),
    ("dmi-organisation-2026", "dmi-organisation", dt.date(2026, 10, 1), dt.date(2027, 3, 31), 2, 3),
    ("dmi-locality-2026", "dmi-locality", dt.date(2026, 10, 1), dt.date(2027, 3, 31), 2, 4),
    ("vcse-readiness-2026", "vcse-readiness", dt.date(2026, 10, 1), dt.date(2027, 3, 31), 2, 3),
]
# Rounds that used an earlier version of their instrument (the rest use the latest):
# confidence 2026.1 adds "where do you plan to be in a year" to 2025.1's questions.
DEMO_VERSIONS = {"confidence-2024": "2025.1", "confidence-2025": "2025.1"}
DISPLAY_TOLERANCE = 0.0005  # degrees, about 40 m: plenty for a neighbourhood map
BROKERS = ["Northvale Council for Voluntary Service (demo)", "Active Communities Ashby (demo)"]
# Rounds still taking answers, whenever the demo is loaded: their closing date
# moves out so that the demo's invitation links keep working.
STILL_OPEN = {"dmi-organisation-2026", "dmi-locality-2026", "vcse-readiness-2026"}
# Demo staff accounts, one per role; the password is printed by `survey demo`.
DEMO_PASSWORD = "demo-password"
DEMO_STAFF = [
    ("admin@demo.example", "admin", None),
    ("broker@demo.example", "broker", None),
    ("lead@demo.example", "area-lead", "place"),
    ("board@demo.example", "board", None),
]


def _has_data() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Area)) > 0


def reset_database() -> None:
    """Delete every row, children first (the schema stays)."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name != "alembic_version":
            db.session.execute(table.delete())
    db.session.commit()


def sync_support_offers() -> None:
    """Copy the instruments' support offer catalogue into the database."""
    existing = {o.id: o for o in db.session.scalars(sa.select(SupportOffer))}
    for offer in registry().offers.values():
        row = existing.get(offer.id) or SupportOffer(id=offer.id)
        row.name, row.provider, row.description = offer.name, offer.provider, offer.description
        row.url, row.cost = offer.url, offer.cost
        db.session.add(row)


def _load_areas(seed: int) -> dict[str, Area]:
    demo_areas = generate_demo_geography(seed)
    by_code: dict[str, Area] = {}
    display = _display_geometries(demo_areas)
    for item in demo_areas:
        geom = shape(item.geometry)
        centre = geom.representative_point()
        area = Area(
            code=item.code,
            name=item.name,
            type=item.type,
            geometry=json.dumps(item.geometry),
            display_geometry=json.dumps(display[item.code]),
            centroid_lon=round(centre.x, 6),
            centroid_lat=round(centre.y, 6),
            source="demo",
        )
        by_code[item.code] = area
        db.session.add(area)
    db.session.flush()
    for item in demo_areas:
        if item.parent_code:
            by_code[item.code].parent_id = by_code[item.parent_code].id
    for practice in demo_practices(demo_areas, seed):
        db.session.add(
            Practice(
                code=practice["code"],
                name=practice["name"],
                postcode=practice["postcode"],
                pcn_code=practice["pcn_code"],
                pcn_name=practice["pcn_name"],
                lon=practice["lon"],
                lat=practice["lat"],
            )
        )
    db.session.flush()
    return by_code


def _display_geometries(demo_areas) -> dict[str, dict]:
    """Simplified outlines, each type's areas together so neighbours share their borders."""
    display: dict[str, dict] = {}
    for kind in sorted({item.type for item in demo_areas}):
        items = [item for item in demo_areas if item.type == kind]
        shown = simplify_shared([shape(item.geometry) for item in items], DISPLAY_TOLERANCE)
        display.update({item.code: mapping(geom) for item, geom in zip(items, shown, strict=True)})
    return display


def _make_groups(rng: random.Random, areas: dict[str, Area], count: int) -> list[DemoGroup]:
    neighbourhoods = [a for a in areas.values() if a.type == "neighbourhood"]
    groups = []
    for _ in range(count):
        home = rng.choice(neighbourhoods)
        lon, lat = random_point_in(json.loads(home.geometry), rng)
        name, kind = group_name(rng, home.name.split(" (")[0])
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
        groups.append(
            DemoGroup(
                name=name,
                neighbourhood=home.code,
                lon=lon,
                lat=lat,
                postcode=fictional_postcode(rng),
                profile=group_profile(rng, kind),
                maturity=min(4.6, max(1.4, rng.gauss(2.9, 0.6))),
                email=f"{slug}@example.org",
                charity_number=str(rng.randint(1_000_000, 1_199_999))
                if rng.random() < 0.4
                else None,
            )
        )
    return groups


def _place_groups(groups: list[DemoGroup], areas: dict[str, Area]) -> list[Organisation]:
    locator = AreaLocator((a.code, json.loads(a.geometry)) for a in areas.values())
    brokers = [Broker(name=name) for name in BROKERS]
    db.session.add_all(brokers)
    practices = db.session.scalars(sa.select(Practice)).all()
    organisations = []
    for i, group in enumerate(groups):
        nearest = min(practices, key=lambda p: (p.lon - group.lon) ** 2 + (p.lat - group.lat) ** 2)
        org = Organisation(
            name=group.name,
            postcode=group.postcode,
            area_id=areas[group.neighbourhood].id,
            email=group.email,
            charity_number=group.charity_number,
            broker=brokers[i % len(brokers)],
            practice_code=nearest.code,
            lon=group.lon,
            lat=group.lat,
            profile=group.profile,
            consent_broker=i % 5 != 0,
            consent_area_lead=i % 3 != 0,
            consent_directory=i % 4 != 0,
        )
        organisations.append(org)
    db.session.add_all(organisations)
    db.session.flush()
    memberships = [
        {"organisation_id": org.id, "area_id": areas[code].id}
        for org, group in zip(organisations, groups, strict=True)
        for code in locator.containing(group.lon, group.lat)
    ]
    db.session.execute(sa.insert(OrganisationArea), memberships)
    return organisations


def _submitted_at(rng: random.Random, round_: Round) -> dt.datetime:
    last = min(round_.closes_on, dt.date.today())
    span = max(1, (last - round_.opens_on).days)
    day = round_.opens_on + dt.timedelta(days=rng.randrange(span))
    return dt.datetime.combine(day, dt.time(rng.randint(8, 20), rng.randrange(60)))


def _answer_round(rng, round_, instrument, respondents, effects, year) -> tuple[int, int]:
    """Invite every respondent, answer for most; returns (invited, submitted)."""
    is_open = round_.is_open()
    submitted = 0
    answer_rows, score_rows_all = [], []
    for key, group, area in respondents:
        invitation = Invitation(round=round_, token=new_token(), **key)
        db.session.add(invitation)
        offset, trend = effects.get(area.code, (0.0, 0.0))
        coverage = 0.75 + offset * 0.25 - (0.25 if is_open else 0)
        if rng.random() > coverage:
            continue
        complete = not is_open or rng.random() < 0.8
        invitation.private_token = new_token()  # the group's own link, as its first save makes
        latent = group.maturity + offset + trend * year
        answers = demo_answers(instrument, group, latent, area.code, rng, complete=complete)
        response = Response(
            round=round_,
            invitation=invitation,
            status=ResponseStatus.SUBMITTED if complete else ResponseStatus.IN_PROGRESS,
            source="demo",
            submitted_at=_submitted_at(rng, round_) if complete else None,
            **key,
        )
        db.session.add(response)
        db.session.flush()
        answer_rows += [
            {"response_id": response.id, "question_id": q, "value": v} for q, v in answers.items()
        ]
        if complete:
            submitted += 1
            score_rows_all += [
                {"response_id": response.id, "round_id": round_.id, **row}
                for row in score_rows(instrument, answers)
            ]
    if answer_rows:
        db.session.execute(sa.insert(Answer), answer_rows)
    if score_rows_all:
        db.session.execute(sa.insert(DomainScore), score_rows_all)
    return len(respondents), submitted


def load_demo(seed: int = 2025, groups: int = 400, reset: bool = False) -> str:
    """Seed the whole demo in one transaction; returns a summary for the console."""
    if _has_data():
        if not reset:
            raise DemoExists("The database already has data.")
        reset_database()
    rng = random.Random(seed)
    sync_support_offers()
    areas = _load_areas(seed)
    demo_groups = _make_groups(rng, areas, groups)
    organisations = _place_groups(demo_groups, areas)
    effects = area_effects(rng, sorted(c for c, a in areas.items() if a.type == "neighbourhood"))
    lines = [f"Demo ICS loaded (seed {seed}): {len(areas)} areas, {len(organisations)} groups."]
    pcns = sorted((a for a in areas.values() if a.type == "pcn"), key=lambda a: a.code)
    places = sorted((a for a in areas.values() if a.type == "place"), key=lambda a: a.code)
    for slug, instrument_id, opens, closes, year, target in DEMO_ROUNDS:
        instrument = (
            registry().get(instrument_id, DEMO_VERSIONS[slug])
            if slug in DEMO_VERSIONS
            else registry().latest(instrument_id)
        )
        if slug in STILL_OPEN:
            closes = max(closes, dt.date.today() + dt.timedelta(days=90))
        round_ = Round(
            slug=slug,
            title=f"{instrument.title} {slug.rsplit('-', 1)[1]}",
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            opens_on=opens,
            closes_on=closes,
            target_level=target,
            areas=[a for a in areas.values() if a.type == "ics"],
        )
        db.session.add(round_)
        # Each round draws from its own generator, so that a question added to one
        # round's instrument leaves every other round's answers as they were.
        round_rng = random.Random(f"{seed}:{slug}")
        if instrument.named_results:
            # every PCN and every place is asked for its own (named) assessment
            respondents = [
                ({"area_id": area.id}, _locality_group(round_rng, area), area)
                for area in pcns + places
            ]
        else:
            respondents = [
                (
                    {"organisation_id": org.id, "area_id": org.area_id},
                    group,
                    areas[group.neighbourhood],
                )
                for org, group in zip(organisations, demo_groups, strict=True)
            ]
        invited, submitted = _answer_round(
            round_rng, round_, instrument, respondents, effects, year
        )
        lines.append(f"  {slug}: {invited} invited, {submitted} submitted")
    lines.append(_add_directory_entries(seed, organisations, areas))
    lines += _add_staff(areas)
    db.session.commit()
    return "\n".join(lines)


def _add_directory_entries(seed: int, organisations: list[Organisation], areas) -> str:
    """Directory entries for about two in three listed groups, one in five of them not
    confirmed for over six months (so a broker has some to chase). A public venue is
    placed near its neighbourhood's centre, with a postcode of its own in the postcode
    directory: never at the group's own point. A generator of its own, so the rest of
    the demo is the same with or without entries."""
    rng = random.Random(f"{seed}:directory")
    by_id = {a.id: a for a in areas.values()}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    entries, postcodes = [], []
    for org in organisations:
        if not org.consent_directory or rng.random() < 1 / 3:
            continue
        area = by_id[org.area_id]
        venue_postcode = _venue_postcode(len(postcodes))
        details = directory_details(rng, org.name, area.name, venue_postcode)
        days = rng.randint(200, 300) if rng.random() < 0.2 else rng.randint(5, 120)
        confirmed = now - dt.timedelta(days=days, minutes=rng.randrange(600))
        entry = {"organisation_id": org.id, "details": details, "updated_at": confirmed,
                 "confirmed_at": confirmed}  # fmt: skip
        if details["venue_public"] == "yes":
            lat = (area.centroid_lat or 0.0) + rng.uniform(-0.004, 0.004)
            lon = (area.centroid_lon or 0.0) + rng.uniform(-0.006, 0.006)
            postcodes.append({"postcode": venue_postcode, "lat": lat, "lon": lon})
            entry |= {"venue_postcode": venue_postcode, "venue_lat": lat, "venue_lon": lon}
        entries.append(entry)
    if postcodes:
        db.session.execute(sa.insert(Postcode), postcodes)
    if entries:
        db.session.execute(sa.insert(DirectoryEntry), entries)
    stale = sum(e["confirmed_at"] < now - dt.timedelta(days=183) for e in entries)
    return (
        f"  directory: {len(entries)} entries ({len(postcodes)} with a public venue, "
        f"{stale} not confirmed for six months)"
    )


def _venue_postcode(n: int) -> str:
    """The n-th demo venue's postcode: ZZ10 0AA, ZZ10 0AB, ... (the groups' own fictional
    postcodes have one-digit districts, so the two never meet)."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    pair = letters[n % 400 // 20] + letters[n % 20]
    return f"ZZ{10 + n // 4000} {n // 400 % 10}{pair}"


def _add_staff(areas: dict[str, Area]) -> list[str]:
    """One demo account per role (the broker for the first broker, the lead for the first place)."""
    broker = db.session.scalar(sa.select(Broker).where(Broker.name == BROKERS[0]))
    place = min((a for a in areas.values() if a.type == "place"), key=lambda a: a.code)
    lines = [f"Demo staff accounts (password '{DEMO_PASSWORD}'; for the demo only):"]
    for email, role, scope in DEMO_STAFF:
        user = User(email=email, role=role, password_hash="")
        user.set_password(DEMO_PASSWORD)
        if role == "broker":
            user.broker = broker
        if scope == "place":
            user.areas = [place]
        db.session.add(user)
        where = (
            f" for {place.name}" if scope else (f" for {broker.name}" if role == "broker" else "")
        )
        lines.append(f"  {email}  {role}{where}")
    return lines


def _locality_group(rng: random.Random, area: Area) -> DemoGroup:
    """A stand-in respondent for an area's social prescribing lead."""
    return DemoGroup(
        name=f"{area.name} social prescribing lead",
        neighbourhood=area.code,
        lon=area.centroid_lon or 0.0,
        lat=area.centroid_lat or 0.0,
        postcode=fictional_postcode(rng),
        profile=group_profile(rng, "advice"),
        maturity=min(4.5, max(1.5, rng.gauss(2.6, 0.5))),
        email="",
        charity_number=None,
    )
