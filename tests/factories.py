"""Small factories for test data: one function per thing, sensible defaults, overrides."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from survey.extensions import db
from survey.models import (
    OVERALL,
    Answer,
    Area,
    Broker,
    DomainScore,
    Invitation,
    Organisation,
    OrganisationArea,
    Response,
    Round,
    User,
)

_ids = itertools.count(1)


def area(
    code: str | None = None,
    type: str = "neighbourhood",
    parent: Area | None = None,
    name: str | None = None,
    **fields,
) -> Area:
    """An area (no geometry unless given)."""
    n = next(_ids)
    made = Area(
        code=code or f"T-A{n}", name=name or f"Test area {n}", type=type, parent=parent, **fields
    )
    db.session.add(made)
    db.session.flush()
    return made


def broker(name: str | None = None) -> Broker:
    """A broker organisation."""
    made = Broker(name=name or f"Test broker {next(_ids)}")
    db.session.add(made)
    db.session.flush()
    return made


def organisation(name: str | None = None, area: Area | None = None, **fields) -> Organisation:
    """A community group."""
    made = Organisation(name=name or f"Test group {next(_ids)}", area=area, **fields)
    db.session.add(made)
    db.session.flush()
    return made


def survey_round(
    instrument_id: str = "confidence",
    slug: str | None = None,
    opens_on: dt.date | None = None,
    closes_on: dt.date | None = None,
    **fields,
) -> Round:
    """A round of one of the app's instruments, open today unless dates are given."""
    from survey.instruments_store import registry

    instrument = registry().latest(instrument_id)
    today = dt.date.today()
    made = Round(
        slug=slug or f"{instrument_id}-t{next(_ids)}",
        title=f"{instrument.title} (test)",
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        opens_on=opens_on or today - dt.timedelta(days=10),
        closes_on=closes_on or today + dt.timedelta(days=30),
        **fields,
    )
    db.session.add(made)
    db.session.flush()
    return made


def round_of_year(instrument_id: str, year: int, slug: str, **fields) -> Round:
    """A round of an instrument open 1 May to 31 July of the year (rounds a year apart)."""
    return survey_round(instrument_id, slug, dt.date(year, 5, 1), dt.date(year, 7, 31), **fields)


def invitation(
    round_: Round, organisation: Organisation | None = None, area: Area | None = None
) -> Invitation:
    """A group's (or an area's) link for a round."""
    made = Invitation(round=round_, organisation=organisation, area=area)
    db.session.add(made)
    db.session.flush()
    return made


def submitted_response(
    round_: Round,
    organisation: Organisation,
    levels: dict[str, int],
    *,
    areas: Iterable[Area] = (),
    answers: dict | None = None,
    submitted_at: dt.datetime | None = None,
) -> Response:
    """A group's submitted response whose stored scores are the given levels (score = level)."""
    response = Response(
        round=round_,
        invitation=invitation(round_, organisation=organisation),
        organisation=organisation,
        area_id=organisation.area_id,
        status="submitted",
        submitted_at=submitted_at,
    )
    for domain_id, level in levels.items():
        response.scores.append(DomainScore(domain_id=domain_id, score=float(level), level=level))
    for question_id, value in (answers or {}).items():
        response.answers.append(Answer(question_id=question_id, value=value))
    db.session.add(response)
    for area in areas:  # every area the group lies in
        db.session.add(OrganisationArea(organisation_id=organisation.id, area_id=area.id))
    db.session.flush()
    return response


def user(
    role: str = "admin",
    email: str | None = None,
    password: str = "correct horse battery",
    areas: list[Area] | None = None,
    broker: Broker | None = None,
) -> User:
    """A member of staff with a known password."""
    made = User(
        email=email or f"user{next(_ids)}@example.org", role=role, broker=broker, password_hash=""
    )
    made.set_password(password)
    made.areas = list(areas or [])
    db.session.add(made)
    db.session.flush()
    return made


def scored_groups(round_: Round, area: Area, count: int) -> None:
    """``count`` groups in one area, each with a submitted response: welcoming at levels
    1, 2, 3, 4, 5, 1, ... in turn and overall at 3."""
    for i in range(count):
        org = organisation(area=area)
        submitted_response(round_, org, {"welcoming": 1 + i % 5, OVERALL: 3}, areas=[area])
