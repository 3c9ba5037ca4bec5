"""Aggregates per area, round and domain, from stored scores, with suppression applied.

Scores are stored per response and domain, so an aggregate is a query and a
summary, never a re-score. Suppression is worked out over the whole
geography of the round at once (primary: fewer than the threshold; secondary:
whatever would let a suppressed count be found by subtraction), so an area's
figure is the same on every page, map, workbook and API response.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from scoring import band
from scoring.aggregate import SUPPRESSED, Summary, secondary_suppression, summarise

from .extensions import db
from .instruments_store import instrument_for
from .models import (
    OVERALL,
    Area,
    DomainScore,
    Invitation,
    OrganisationArea,
    Response,
    Round,
)


@dataclass(frozen=True)
class AreaAggregate:
    """One area's figures for one domain (or "overall") in one round."""

    area: Area
    domain_id: str
    domain_name: str
    summary: Summary
    invited: int
    responded: int
    coverage: float | None
    target_level: int | None
    gap: float | None
    suppressed: bool
    level: int | None  # the band of the mean; None when suppressed or empty


def _score_rows(round_: Round, moderated: bool) -> list[tuple[int, str, float, int]]:
    """(area id, domain id, score, level) for every current submitted response in the round.

    An organisation's response counts in every area the group lies in; a
    locality response counts in its own area and, through the parent links,
    in every area above it (added by the caller).
    """
    level = DomainScore.level
    score = DomainScore.score
    if moderated:
        level = sa.func.coalesce(DomainScore.moderated_level, DomainScore.level)
        score = sa.case(
            (
                DomainScore.moderated_level.is_not(None),
                sa.cast(DomainScore.moderated_level, sa.Float),
            ),
            else_=DomainScore.score,
        )
    current = (
        Response.round_id == round_.id,
        Response.status == "submitted",
        Response.is_current.is_(True),
        DomainScore.level.is_not(None),
    )
    by_group = (
        sa.select(OrganisationArea.area_id, DomainScore.domain_id, score, level)
        .join(Response, Response.organisation_id == OrganisationArea.organisation_id)
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(*current)
    )
    by_area = (
        sa.select(Response.area_id, DomainScore.domain_id, score, level)
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(*current, Response.organisation_id.is_(None), Response.area_id.is_not(None))
    )
    return [tuple(r) for r in db.session.execute(by_group)] + _up_the_tree(
        [tuple(r) for r in db.session.execute(by_area)]
    )


def _parents() -> dict[int, int | None]:
    return dict(db.session.execute(sa.select(Area.id, Area.parent_id)).all())


def _up_the_tree(rows: list[tuple]) -> list[tuple]:
    """Copy each locality row to every ancestor of its area."""
    if not rows:
        return rows
    parents = _parents()
    out = []
    for area_id, *rest in rows:
        node, seen = area_id, set()
        while node is not None and node not in seen:
            out.append((node, *rest))
            seen.add(node)
            node = parents.get(node)
    return out


def _invitation_counts(round_: Round) -> tuple[dict[int, int], dict[int, int]]:
    """(invited, responded) per area for the round's organisations."""
    invited = dict(
        db.session.execute(
            sa.select(OrganisationArea.area_id, sa.func.count(sa.distinct(Invitation.id)))
            .join(Invitation, Invitation.organisation_id == OrganisationArea.organisation_id)
            .where(Invitation.round_id == round_.id, Invitation.revoked_at.is_(None))
            .group_by(OrganisationArea.area_id)
        ).all()
    )
    responded = dict(
        db.session.execute(
            sa.select(OrganisationArea.area_id, sa.func.count(sa.distinct(Response.id)))
            .join(Response, Response.organisation_id == OrganisationArea.organisation_id)
            .where(
                Response.round_id == round_.id,
                Response.status == "submitted",
                Response.is_current.is_(True),
            )
            .group_by(OrganisationArea.area_id)
        ).all()
    )
    return invited, responded


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for area_id, parent_id in _parents().items():
        if parent_id is not None:
            children[parent_id].append(area_id)
    return children


def area_aggregates(
    round_: Round,
    areas: list[Area],
    *,
    moderated: bool = False,
    threshold: int | None = None,
) -> list[AreaAggregate]:
    """One aggregate per (area, domain), domains in instrument order then "overall"."""
    threshold = threshold or current_app.config["DISCLOSURE_THRESHOLD"]
    instrument = instrument_for(round_)
    rows = _score_rows(round_, moderated)
    values: dict[tuple[int, str], tuple[list[float], list[int]]] = defaultdict(lambda: ([], []))
    for area_id, domain_id, score, level in rows:
        scores, levels = values[(area_id, domain_id)]
        scores.append(float(score))
        levels.append(int(level))
    invited, responded = _invitation_counts(round_)
    if instrument.kind == "locality":
        invited, responded = _locality_counts(round_)
    domains = [(d.id, d.name) for d in instrument.domains] + [(OVERALL, "Overall")]
    children = _children_by_parent()
    hidden_by_domain = {
        domain_id: secondary_suppression(
            {a: len(v[0]) for (a, d), v in values.items() if d == domain_id}, children, threshold
        )
        for domain_id, _ in domains
    }
    target = round_.target_level
    result = []
    for area in areas:
        for domain_id, domain_name in domains:
            scores, levels = values.get((area.id, domain_id), ([], []))
            hidden = area.id in hidden_by_domain[domain_id]
            summary = SUPPRESSED if hidden else summarise(scores, levels, threshold)
            count_hidden = 0 < responded.get(area.id, 0) < threshold or hidden
            n_invited, n_responded = invited.get(area.id, 0), responded.get(area.id, 0)
            result.append(
                AreaAggregate(
                    area=area,
                    domain_id=domain_id,
                    domain_name=domain_name,
                    summary=summary,
                    invited=n_invited,
                    responded=n_responded,
                    coverage=(n_responded / n_invited) if n_invited and not count_hidden else None,
                    target_level=target,
                    gap=(target - summary.mean)
                    if target is not None and summary.mean is not None
                    else None,
                    suppressed=summary.suppressed,
                    level=band(instrument, summary.mean),
                )
            )
    return result


def _locality_counts(round_: Round) -> tuple[dict[int, int], dict[int, int]]:
    """(invited, responded) per area for a locality round, counted up the tree."""
    invited_rows = db.session.execute(
        sa.select(Invitation.area_id).where(
            Invitation.round_id == round_.id,
            Invitation.revoked_at.is_(None),
            Invitation.area_id.is_not(None),
        )
    ).all()
    responded_rows = db.session.execute(
        sa.select(Response.area_id).where(
            Response.round_id == round_.id,
            Response.status == "submitted",
            Response.is_current.is_(True),
            Response.organisation_id.is_(None),
        )
    ).all()
    invited: dict[int, int] = defaultdict(int)
    responded: dict[int, int] = defaultdict(int)
    for (area_id,) in _up_the_tree(invited_rows):
        invited[area_id] += 1
    for (area_id,) in _up_the_tree(responded_rows):
        responded[area_id] += 1
    return invited, responded


def trend_aggregates(
    instrument_id: str, area: Area, rounds: list[Round] | None = None, **options
) -> list[tuple[Round, list[AreaAggregate]]]:
    """Year on year: each round of the instrument (oldest first) with the area's aggregates."""
    if rounds is None:
        rounds = list(
            db.session.scalars(
                sa.select(Round)
                .where(Round.instrument_id == instrument_id)
                .order_by(Round.opens_on)
            )
        )
    return [(r, area_aggregates(r, [area], **options)) for r in rounds]
