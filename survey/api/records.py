"""Rounds, areas and aggregates as plain records: what the API and the downloads send.

Suppression is applied here, once: a suppressed aggregate goes out with every
figure null, and a response count under the threshold is never sent, so no
caller can leak a small number by forgetting to hide it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import sqlalchemy as sa
from flask import current_app

from exports.tables import ResponseRecord
from instruments import OVERALL
from scoring.disclosure import LevelBand

from ..aggregates import AreaAggregate, area_aggregates
from ..extensions import db
from ..instruments_store import instrument_for
from ..models import Answer, Area, DomainScore, Response, Round, current_submissions
from ..sql import json_object_text, pivoted


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def round_record(round_: Round) -> dict:
    """A round: slug, title, instrument version, dates, target and area codes."""
    instrument = instrument_for(round_)
    return {
        "slug": round_.slug,
        "title": round_.title,
        "instrument_id": round_.instrument_id,
        "instrument_version": round_.instrument_version,
        "instrument_kind": instrument.kind,
        "opens_on": round_.opens_on.isoformat(),
        "closes_on": round_.closes_on.isoformat(),
        "target_level": round_.target_level,
        "area_codes": sorted(a.code for a in round_.areas),
        "domains": [{"id": d.id, "name": d.name} for d in instrument.domains],
    }


def area_record(area: Area) -> dict:
    """An area: code, name, type and its parent's code."""
    return {
        "code": area.code,
        "name": area.name,
        "type": area.type,
        "parent_code": area.parent.code if area.parent is not None else None,
    }


def band_records(bands: tuple[LevelBand, ...] | None) -> list[dict] | None:
    """Level bands as records: lowest and highest level, and how many groups."""
    if not bands:
        return None
    return [{"lowest": b.lowest, "highest": b.highest, "count": b.count} for b in bands]


def aggregate_record(agg: AreaAggregate, threshold: int) -> dict:
    """One (area, domain) aggregate; every figure null when it is suppressed."""
    hidden = agg.suppressed or agg.summary.suppressed
    # a locality's own named assessment (n = 1) is not a count of groups to protect
    count_hidden = (
        hidden or agg.responded is None or (not agg.named and 0 < agg.responded < threshold)
    )
    summary = agg.summary
    return {
        "area_code": agg.area.code,
        "area_name": agg.area.name,
        "area_type": agg.area.type,
        "domain_id": agg.domain_id,
        "domain_name": agg.domain_name,
        "suppressed": hidden,
        "n": None if hidden else summary.n,
        "mean": None if hidden else _rounded(summary.mean),
        "median": None if hidden else _rounded(summary.median),
        "ci_low": None if hidden else _rounded(summary.ci_low),
        "ci_high": None if hidden else _rounded(summary.ci_high),
        "level": None if hidden else agg.level,
        "level_bands": None if hidden else band_records(summary.level_bands),
        "invited": agg.invited,
        "responded": None if count_hidden else agg.responded,
        "coverage": None if count_hidden else _rounded(agg.coverage),
        "target_level": agg.target_level,
        "gap": None if hidden else _rounded(agg.gap),
        "ambition": None if hidden else _rounded(agg.ambition),
        "ambition_gap": None if hidden else _rounded(agg.ambition_gap),
    }


def round_aggregates(round_: Round, areas: list[Area]) -> Iterator[dict]:
    """Suppressed aggregate records for these areas, with the round's identity on each,
    each made when it is asked for: held at once, the small-area reply's records (45,804
    at 40,000 groups) raised its peak by 26 MB more."""
    threshold = current_app.config["DISCLOSURE_THRESHOLD"]
    meta = {
        "round": round_.slug,
        "instrument_id": round_.instrument_id,
        "instrument_version": round_.instrument_version,
    }
    return (
        {**meta, **aggregate_record(agg, threshold)}
        for agg in area_aggregates(round_, areas, threshold=threshold)
    )


RECORDS_CHUNK = 2_000  # rows fetched at a time: a download holds a few chunks, not the round


def count_responses(round_: Round) -> int:
    """How many current submitted responses the round has (one per group or area)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(*current_submissions(round_.id))
    )


def count_long_rows(round_: Round) -> int:
    """How many rows the long layout has: one per stored answer and per stored score."""
    ids = sa.select(Response.id).where(*current_submissions(round_.id))
    answers = sa.select(sa.func.count()).where(Answer.response_id.in_(ids))
    scores = sa.select(sa.func.count()).where(
        DomainScore.round_id == round_.id, DomainScore.response_id.in_(ids)
    )
    return db.session.scalar(answers) + db.session.scalar(scores)


def response_records(round_: Round) -> Iterator[ResponseRecord]:
    """Every current submitted response of a round, with answers and stored scores, in
    response order: one query, one row a response, read RECORDS_CHUNK rows at a time (a
    server-side cursor on PostgreSQL), so a download of 100,000 responses streams in
    constant memory. A response's answers come as one JSON object, decoded once; its
    scores as a column pair a domain of the round's instrument (and overall), with
    whether it has a score row, as the domain's rows were one row each (202,624 rows
    for 28,948 responses, read and merged one by one)."""
    domains = [d.id for d in instrument_for(round_).domains] + [OVERALL]
    answers = (  # one JSON object a response: {question: value}
        sa.select(json_object_text(Answer.question_id, Answer.value))
        .where(Answer.response_id == Response.id)
        .scalar_subquery()
    )
    scores = (
        sa.select(
            DomainScore.response_id,
            *pivoted(
                DomainScore.domain_id, domains, DomainScore.score, DomainScore.level, present=True
            ),
        )
        .where(DomainScore.round_id == round_.id)
        .group_by(DomainScore.response_id)
        .subquery()
    )
    query = (
        sa.select(
            Response.id,
            Response.organisation_id,
            Area.code,
            Response.source,
            Response.submitted_at,
            answers,
            *list(scores.c)[1:],
        )
        .outerjoin(Area, Area.id == Response.area_id)
        .outerjoin(scores, scores.c.response_id == Response.id)
        .where(*current_submissions(round_.id))
        .order_by(Response.id)
        .execution_options(yield_per=RECORDS_CHUNK)
    )
    for (
        response_id,
        organisation_id,
        area_code,
        source,
        submitted_at,
        given,
        *scored,
    ) in db.session.connection().execute(query):
        yield ResponseRecord(
            response_id=response_id,
            round=round_.slug,
            instrument_id=round_.instrument_id,
            instrument_version=round_.instrument_version,
            organisation_id=organisation_id,
            area_code=area_code,
            source=source,
            submitted_at=submitted_at,
            answers=json.loads(given) if given else {},
            scores={
                domain: (score, level)
                for domain, has, score, level in zip(
                    domains, scored[::3], scored[1::3], scored[2::3], strict=True
                )
                if has
            },
        )
