"""Stores what the scoring core computes, so aggregation is a query, not a re-score."""

from __future__ import annotations

import sqlalchemy as sa

from instruments import Instrument
from scoring import score_response

from .errors import InputError
from .extensions import db
from .instruments_store import instrument_for
from .models import OVERALL, DomainScore, Response, Round


def score_rows(instrument: Instrument, answers: dict) -> list[dict]:
    """DomainScore column values for one response's answers, the overall row last."""
    result = score_response(instrument, answers)
    rows = [
        {
            "domain_id": d.domain_id,
            "score": d.score,
            "level": d.level,
            "answered": d.answered,
            "applicable": d.applicable,
            "ambition": d.ambition,
        }
        for d in result.domains
    ]
    rows.append(
        {
            "domain_id": OVERALL,
            "score": result.overall_score,
            "level": result.overall_level,
            "answered": sum(d.level is not None for d in result.domains),
            "applicable": len(result.domains),
            "ambition": None,
        }
    )
    return rows


def store_scores(response: Response, instrument: Instrument) -> None:
    """Replace a response's stored scores with fresh ones, keeping moderation."""
    moderated = {
        s.domain_id: (s.moderated_level, s.moderation_note)
        for s in response.scores
        if s.moderated_level is not None
    }
    response.scores.clear()
    db.session.flush()
    for row in score_rows(instrument, response.answer_map()):
        level, note = moderated.get(row["domain_id"], (None, None))
        response.scores.append(DomainScore(**row, moderated_level=level, moderation_note=note))


def rescore_round(slug: str) -> int:
    """Recompute the scores of every submitted response in a round; returns the count."""
    round_ = db.session.scalar(sa.select(Round).where(Round.slug == slug))
    if round_ is None:
        raise InputError(f"--round: no round named '{slug}'")
    instrument = instrument_for(round_)
    responses = db.session.scalars(
        sa.select(Response).where(Response.round_id == round_.id, Response.status == "submitted")
    ).all()
    for response in responses:
        store_scores(response, instrument)
    db.session.commit()
    return len(responses)
