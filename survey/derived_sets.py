"""Group sets for figures beyond a domain's mean: target shares, paired change, readiness.

Each figure a board reads (the groups at or above the target level, the change
among the groups that answered the previous round too, each referral readiness
flag) is published like a domain's figure, from a set of groups, through
survey.publication and scoring.disclosure: so the same threshold, the same
ledger over time and the same parent-minus-children check apply, with no
second copy of the rule. This module only says which groups are in which set.

Set ids (the publication's "domain" column):
- ``<domain>~target`` / ``<domain>~below``: groups at or above / below the round's target level;
- ``<domain>~paired``: groups with a score in this round and the previous round of
  the same instrument, each member's value the change (later minus earlier);
- ``ready:<flag>`` / ``ready:<flag>~no`` and ``ready:capacity`` (scoring.readiness).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import sqlalchemy as sa

from scoring import readiness

from .extensions import db
from .models import (
    Answer,
    DomainScore,
    Response,
    Round,
    current_submissions,
)
from .sql import streamed

TARGET = "~target"
BELOW = "~below"
PAIRED = "~paired"


def is_derived(set_id: str) -> bool:
    """True for a set that is not a domain's own (its figure has no level bands)."""
    return "~" in set_id or set_id.startswith(readiness.PREFIX)


def target_set(domain_id: str, level: int, target: int | None) -> str | None:
    """Which target set a group at this level belongs to (None when the round has no target)."""
    if target is None:
        return None
    return domain_id + (TARGET if level >= target else BELOW)


def previous_round(round_: Round) -> Round | None:
    """The round of the same instrument that opened before this one."""
    return db.session.scalar(
        sa.select(Round)
        .where(Round.instrument_id == round_.instrument_id, Round.opens_on < round_.opens_on)
        .order_by(Round.opens_on.desc(), Round.id.desc())
        .limit(1)
    )


def _current(round_id: int):
    return (*current_submissions(round_id), Response.organisation_id.is_not(None))


def _group_scores(round_id: int, moderated: bool) -> dict[int, dict[str, float]]:
    """Organisation -> domain -> score in a round (groups' current submissions)."""
    out: dict[int, dict[str, float]] = defaultdict(dict)
    rows = streamed(
        sa.select(
            Response.organisation_id,
            DomainScore.domain_id,
            DomainScore.score,
            DomainScore.moderated_level,
        )
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(
            *_current(round_id), DomainScore.round_id == round_id, DomainScore.level.is_not(None)
        )
    )
    for org_id, domain_id, score, moderated_level in rows:
        if moderated and moderated_level is not None:
            score = float(moderated_level)
        out[org_id][domain_id] = float(score)
    return out


def paired_rows(round_: Round, moderated: bool) -> dict[tuple[int, str], float]:
    """(response in this round, domain) -> change since the previous round, for paired groups."""
    earlier = previous_round(round_)
    if earlier is None:
        return {}
    before = _group_scores(earlier.id, moderated)
    if not before:
        return {}
    response_of = dict(
        db.session.execute(
            sa.select(Response.organisation_id, Response.id).where(*_current(round_.id))
        ).all()
    )
    out = {}
    for org_id, scores in _group_scores(round_.id, moderated).items():
        old = before.get(org_id)
        if not old:
            continue
        for domain_id, score in scores.items():
            if domain_id in old:
                out[(response_of[org_id], domain_id)] = score - old[domain_id]
    return out


def readiness_members(
    round_: Round, instrument
) -> Iterator[tuple[int, str, float]]:  # (response, set id, value)
    """Every group's readiness flags and capacity: the sets its response is in, wherever
    the group lies (survey.publication adds each to the group's areas)."""
    wanted = readiness.question_ids(instrument)
    if not wanted:
        return
    answers: dict[int, dict[str, object]] = defaultdict(dict)
    for response_id, question_id, value in streamed(
        sa.select(Answer.response_id, Answer.question_id, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(*_current(round_.id), Answer.question_id.in_(wanted))
    ):
        answers[response_id][question_id] = value
    for response_id, given in answers.items():
        flags, capacity = readiness.response_flags(instrument, given)
        for flag_id, yes in flags.items():
            yield response_id, flag_id if yes else flag_id + readiness.NO, float(yes)
        if capacity is not None:
            yield response_id, readiness.CAPACITY_ID, capacity
