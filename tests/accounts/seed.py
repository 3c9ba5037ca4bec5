"""Test data made directly and cheaply: responses with answers and scores, staff, rounds."""

from __future__ import annotations

import datetime as dt

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    OVERALL,
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
    response = factories.submitted_response(
        round_,
        organisation,
        {OVERALL: level},
        answers=answers or {"q1": "yes"},
        submitted_at=utcnow(),
    )
    (overall,) = response.scores
    overall.score = score  # may differ from the level
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
