"""Test data made directly and cheaply: responses with answers and scores, staff, rounds."""

from __future__ import annotations

import datetime as dt

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    OVERALL,
    Answer,
    DomainScore,
    Organisation,
    Response,
    Round,
    User,
    utcnow,
)

from .. import factories


def submitted(
    round_: Round,
    organisation: Organisation,
    answers: dict | None = None,
    score: float = 3.0,
    level: int = 3,
) -> Response:
    """A submitted response from the group, with an invitation, answers and an overall score."""
    invitation = factories.invitation(round_, organisation)
    response = Response(
        round=round_,
        invitation=invitation,
        organisation=organisation,
        area_id=organisation.area_id,
        status="submitted",
        submitted_at=utcnow(),
    )
    db.session.add(response)
    db.session.flush()
    for question_id, value in (answers or {"q1": "yes"}).items():
        db.session.add(Answer(response_id=response.id, question_id=question_id, value=value))
    db.session.add(
        DomainScore(response_id=response.id, domain_id=OVERALL, score=score, level=level)
    )
    db.session.flush()
    return response


def staff(role: str, email: str, **fields) -> User:
    """A member of staff who signs in through the test session only (no password hashing)."""
    areas = fields.pop("areas", [])
    user = User(email=email, role=role, password_hash="!", **fields)
    user.areas = areas
    db.session.add(user)
    db.session.flush()
    return user


def open_round(instrument_id: str, slug: str, areas=()) -> Round:
    """A round of the app's own copy of a shipped instrument, open today."""
    instrument = registry().latest(instrument_id)
    today = dt.date.today()
    made = Round(
        slug=slug,
        title=f"{instrument.title} (test)",
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        opens_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=30),
        areas=list(areas),
    )
    db.session.add(made)
    db.session.flush()
    return made
