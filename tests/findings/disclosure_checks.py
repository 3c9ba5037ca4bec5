"""Group sets worked out from the raw rows, independently of survey.publication, and checks on them."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import sqlalchemy as sa

from survey.extensions import db
from survey.models import Area, DomainScore, OrganisationArea, Response

THRESHOLD = 5


def group_sets(round_) -> dict[tuple[str, int], dict[int, float]]:
    """(domain, area id) -> {response id: score} from Response, DomainScore and memberships."""
    parents = dict(db.session.execute(sa.select(Area.id, Area.parent_id)).all())
    rows = db.session.execute(
        sa.select(
            Response.id,
            Response.organisation_id,
            Response.area_id,
            DomainScore.domain_id,
            DomainScore.score,
        )
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(
            Response.round_id == round_.id,
            Response.status == "submitted",
            Response.is_current.is_(True),
            DomainScore.level.is_not(None),
        )
    ).all()
    member_of: dict[int, set[int]] = defaultdict(set)
    for org_id, area_id in db.session.execute(
        sa.select(OrganisationArea.organisation_id, OrganisationArea.area_id)
    ):
        member_of[org_id].add(area_id)
    sets: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    for response_id, org_id, area_id, domain_id, score in rows:
        if org_id is not None:
            areas = member_of[org_id]
        else:  # a locality's answer counts in its area and every area above it
            areas, node = set(), area_id
            while node is not None and node not in areas:
                areas.add(node)
                node = parents.get(node)
        for area in areas:
            sets[(domain_id, area)][response_id] = score
    return sets


def responded_sets(round_) -> dict[int, set[int]]:
    """Area id -> ids of the current submissions counted in it (groups' areas, localities' tree)."""
    parents = dict(db.session.execute(sa.select(Area.id, Area.parent_id)).all())
    member_of: dict[int, set[int]] = defaultdict(set)
    for org_id, area_id in db.session.execute(
        sa.select(OrganisationArea.organisation_id, OrganisationArea.area_id)
    ):
        member_of[org_id].add(area_id)
    out: dict[int, set[int]] = defaultdict(set)
    for response_id, org_id, area_id in db.session.execute(
        sa.select(Response.id, Response.organisation_id, Response.area_id).where(
            Response.round_id == round_.id,
            Response.status == "submitted",
            Response.is_current.is_(True),
        )
    ):
        if org_id is not None:
            areas = member_of[org_id]
        else:
            areas, node = set(), area_id
            while node is not None and node not in areas:
                areas.add(node)
                node = parents.get(node)
        for area in areas:
            out[area].add(response_id)
    return out


def few_apart(figures: list[tuple[object, frozenset]]) -> list[tuple[object, object, int]]:
    """Pairs of (label, set) whose sets differ by 1 to THRESHOLD - 1 members."""
    found = []
    for (label_a, a), (label_b, b) in combinations(figures, 2):
        if 0 < len(a ^ b) < THRESHOLD:
            found.append((label_a, label_b, len(a ^ b)))
    return found


def shown_figures(round_, aggregates, sets) -> dict[str, list[tuple[object, frozenset]]]:
    """Domain -> (label, group set) of every figure with numbers, checked against its set.

    A figure's set is taken from the raw rows at the moment it is read; its n and
    mean must be those of that set, or the figure is not what the test thinks it is.
    """
    out: dict[str, list] = defaultdict(list)
    for agg in aggregates:
        s = agg.summary
        if agg.suppressed or not s.n:
            continue
        members = sets.get((agg.domain_id, agg.area.id), {})
        assert s.n == len(members), (agg.area.code, agg.domain_id, s.n, len(members))
        mean = sum(members.values()) / len(members)
        assert abs(s.mean - mean) < 1e-9, (agg.area.code, agg.domain_id)
        out[agg.domain_id].append(((round_.slug, agg.area.code), frozenset(members)))
    return out
