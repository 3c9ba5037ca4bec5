"""A group's result against its own past and its peers: last round, ambition, similar groups.

- Last time: the same group's (or, for a locality form, the same area's)
  current submission in the previous round of the same instrument (any
  version: domains are matched by id), level per domain.
- Peers: groups of the same size and the same kind of activity when at least
  the disclosure threshold of them (not counting this group) had first sent their
  answers to the round before this group first sent its own, counted in whole
  steps of the threshold (see ``_similar_groups``); otherwise the group's
  area as published (survey.aggregates, the small-numbers rule); otherwise
  none. The page says which was used. Only groups that answered before it
  count, so a group's comparison does not move each time one more similar
  group answers (which would tell it something about that group).
- A locality's own named assessment has no peers here: it is compared with
  other areas on the staff pages, by name.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import (
    OVERALL,
    Area,
    DomainScore,
    Organisation,
    Response,
    ResponseStatus,
    Round,
    current_submissions,
)
from .respondent import Respondent

BY_SIZE_AND_TYPE = "size and type"
BY_AREA = "area"


@dataclass
class Earlier:
    """The group's levels in the previous round of the same instrument."""

    round_title: str
    levels: dict[str, int | None]  # domain id (and "overall") -> level then


@dataclass
class Peers:
    """Who the group is compared with, how many, and their median level per domain."""

    basis: str | None  # BY_SIZE_AND_TYPE, BY_AREA or None (no comparison)
    description: str
    count: int = 0
    medians: dict[str, float] = field(default_factory=dict)


def change_text(before: int | None, now: int | None) -> str | None:
    """'up from 2 to 3', 'down from 4 to 3', 'the same as last time (3)'; None if unknown."""
    if before is None or now is None:
        return None
    if now > before:
        return f"up from {before} to {now}"
    if now < before:
        return f"down from {before} to {now}"
    return f"the same as last time ({now})"


def _previous_round(round_: Round) -> Round | None:
    return db.session.scalar(
        sa.select(Round)
        .where(Round.instrument_id == round_.instrument_id, Round.opens_on < round_.opens_on)
        .order_by(Round.opens_on.desc(), Round.id.desc())
        .limit(1)
    )


def earlier_levels(respondent: Respondent) -> Earlier | None:
    """The group's own levels in the previous round of this instrument, if it answered it."""
    before = _previous_round(respondent.round)
    if before is None:
        return None
    inv = respondent.invitation
    mine = (
        Response.organisation_id == inv.organisation_id
        if inv.organisation_id is not None
        else sa.and_(Response.organisation_id.is_(None), Response.area_id == inv.area_id)
    )
    response_id = db.session.scalar(
        sa.select(Response.id)
        .where(
            *current_submissions(before.id),
            mine,
        )
        .order_by(Response.id.desc())
        .limit(1)
    )
    if response_id is None:
        return None
    levels = dict(
        db.session.execute(
            sa.select(DomainScore.domain_id, DomainScore.level).where(
                DomainScore.response_id == response_id
            )
        ).all()
    )
    return Earlier(before.title, levels)


def _profile_key(org: Organisation | None) -> tuple[str, str] | None:
    profile = org.profile if org is not None and isinstance(org.profile, dict) else {}
    size, activity = profile.get("size"), profile.get("activity")
    return (str(size), str(activity)) if size and activity else None


def _similar_groups(
    respondent: Respondent, key: tuple[str, str], step: int
) -> dict[str, list[int]]:
    """Levels per domain of the round's other groups of the same size and activity
    that first sent answers before this group first did.

    The set moves only in whole steps of the disclosure threshold: the groups are
    taken in the order they first answered, and only the first multiple of ``step``
    of them count. Any two comparisons a group (or two groups together) can see then
    differ by at least ``step`` groups or not at all, the rule the publication ledger
    keeps for area figures; and since a group's place in the order is its first
    submission, amending (its own or a peer's) does not move anyone in or out.
    """
    own = respondent.invitation.organisation_id
    round_id = respondent.round.id
    first = (
        sa.select(Response.organisation_id, sa.func.min(Response.submitted_at).label("first_at"))
        .where(
            Response.round_id == round_id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.organisation_id.is_not(None),
        )
        .group_by(Response.organisation_id)
        .subquery()
    )
    own_first = db.session.scalar(sa.select(first.c.first_at).where(first.c.organisation_id == own))
    if own_first is None:
        return {}
    earlier = db.session.execute(
        sa.select(Organisation.id, Organisation.profile)
        .join(first, first.c.organisation_id == Organisation.id)
        .where(Organisation.id != own, first.c.first_at < own_first)
        .order_by(first.c.first_at, Organisation.id)
    ).all()
    similar = [
        org_id
        for org_id, profile in earlier
        if isinstance(profile, dict)
        and (str(profile.get("size")), str(profile.get("activity"))) == key
    ]
    counted = similar[: len(similar) // step * step]
    if not counted:
        return {}
    rows = db.session.execute(
        sa.select(DomainScore.domain_id, DomainScore.level)
        .join(Response, DomainScore.response_id == Response.id)
        .where(
            *current_submissions(round_id),
            DomainScore.round_id == round_id,
            Response.organisation_id.in_(counted),
            DomainScore.level.is_not(None),
        )
    ).all()
    levels: dict[str, list[int]] = defaultdict(list)
    for domain_id, level in rows:
        levels[domain_id].append(level)
    return levels


def _area_peers(respondent: Respondent, response: Response, needed: int) -> Peers | None:
    """The group's area as published to staff (never worked out live from other groups)."""
    from ..aggregates import area_aggregates

    area = db.session.get(Area, response.area_id) if response.area_id else None
    if area is None:
        return None
    shown = {
        a.domain_id: a.summary
        for a in area_aggregates(respondent.round, [area])
        if not a.suppressed and a.summary.n
    }
    overall = shown.get(OVERALL)
    if overall is None or overall.n < needed:
        return None
    return Peers(
        BY_AREA,
        f"groups in {area.name}",
        overall.n,
        {d: s.median for d, s in shown.items() if s.median is not None},
    )


def peer_comparison(respondent: Respondent, response: Response) -> Peers:
    """Similar groups by size and type if enough, else the group's area, else none."""
    needed = int(current_app.config.get("DISCLOSURE_THRESHOLD", 5))
    if respondent.is_locality:
        return Peers(None, "A locality's own assessment is compared with other areas by name.")
    org = respondent.invitation.organisation
    key = _profile_key(org)
    if key is not None:
        levels = _similar_groups(respondent, key, needed)
        count = len(levels.get(OVERALL, []))
        if count >= needed:
            size, activity = key
            return Peers(
                BY_SIZE_AND_TYPE,
                f"{size} groups whose main activity is {activity.replace('_', ' ')} "
                "that had answered before you",
                count,
                {d: float(statistics.median(v)) for d, v in levels.items() if len(v) >= needed},
            )
    by_area = _area_peers(respondent, response, needed)
    if by_area is not None:
        return by_area
    return Peers(
        None,
        f"There are not enough similar groups, or groups in your area, to compare with yet "
        f"(we need at least {needed}, so that no group can be picked out).",
    )
