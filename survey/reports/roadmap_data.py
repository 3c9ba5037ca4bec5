"""An area's roadmap from the database: aggregates for it and its children, visible groups."""

from __future__ import annotations

import io
from collections import defaultdict

import sqlalchemy as sa

from exports.roadmap import (
    AreaFigures,
    DomainFigure,
    GroupGap,
    GroupRow,
    LocalityResult,
    Roadmap,
    write_roadmap,
)
from exports.support_plans import MODERATED, SELF_ASSESSED

from .. import audit
from ..access import (
    ADMIN,
    AREA_LEAD,
    BROKER,
    areas_under,
    group_answers_rule,
)
from ..aggregates import AreaAggregate, area_aggregates, derived_figures
from ..derived_sets import BELOW, TARGET
from ..extensions import db
from ..instruments_store import instrument_for, registry
from ..models import (
    OVERALL,
    Area,
    Broker,
    DomainScore,
    Organisation,
    OrganisationArea,
    Response,
    Round,
    current_submissions,
)
from ..readiness import area_readiness
from ..sql import pivoted
from .method import method_lines

BATCH = 5000  # rows read at a time from the database for an area's groups (yield_per)


def area_figures(aggregates: list[AreaAggregate]) -> list[AreaFigures]:
    """Aggregates (area x domain) regrouped as one row per area, order kept."""
    by_area: dict[int, list[AreaAggregate]] = defaultdict(list)
    for agg in aggregates:
        by_area[agg.area.id].append(agg)
    rows = []
    for aggs in by_area.values():
        area = aggs[0].area
        overall = next((a for a in aggs if a.domain_id == OVERALL), aggs[-1])
        rows.append(
            AreaFigures(
                code=area.code,
                name=area.name,
                type=area.type,
                invited=overall.invited,
                responded=overall.responded,
                coverage=overall.coverage,
                figures=tuple(_figure(a) for a in aggs),
            )
        )
    return rows


def _figure(agg: AreaAggregate) -> DomainFigure:
    s = agg.summary
    return DomainFigure(
        domain_id=agg.domain_id,
        domain_name=agg.domain_name,
        n=s.n,
        mean=s.mean,
        ci_low=s.ci_low,
        ci_high=s.ci_high,
        level=agg.level,
        level_bands=s.level_bands,
        target=agg.target_level,
        gap=agg.gap,
        suppressed=agg.suppressed,
        ambition=agg.ambition,
        ambition_gap=agg.ambition_gap,
    )


def groups_in_area(round_: Round, area: Area, *, moderated: bool, viewer) -> list[GroupRow]:
    """Every group in the area (or those the viewer may see), with levels in the round."""
    instrument = instrument_for(round_)
    domain_ids = [d.id for d in instrument.domains] + [OVERALL]
    # Plain rows, not Organisation objects (at 40,000 groups those were 95 MB of the ICS
    # roadmap's peak): a row has what may_see_group_answers reads (broker, area, consents).
    query = (
        sa.select(
            Organisation.id,
            Organisation.name,
            Organisation.area_id,
            Organisation.broker_id,
            Organisation.consent_broker,
            Organisation.consent_area_lead,
            Area.code.label("area_code"),
            Area.name.label("area_name"),
            Broker.name.label("broker_name"),
        )
        .join(OrganisationArea, OrganisationArea.organisation_id == Organisation.id)
        .outerjoin(Area, Area.id == Organisation.area_id)
        .outerjoin(Broker, Broker.id == Organisation.broker_id)
        .where(OrganisationArea.area_id == area.id)
        .order_by(Organisation.name, Organisation.id)
    )
    sees = group_answers_rule(viewer) if viewer is not None else None  # an area lead's areas once
    # One row a group, each domain's score in two columns of it (level, moderated level),
    # read in batches: an ICS's 200,000 score rows, read whole and kept per domain, were
    # 40 MB of its roadmap's peak and most of the time it took to gather them.
    columns = pivoted(
        DomainScore.domain_id, domain_ids, DomainScore.level, DomainScore.moderated_level
    )
    score_query = (
        sa.select(Response.organisation_id, sa.func.max(Response.submitted_at), *columns)
        .join(DomainScore, DomainScore.response_id == Response.id)
        .join(OrganisationArea, OrganisationArea.organisation_id == Response.organisation_id)
        .where(
            OrganisationArea.area_id == area.id,
            *current_submissions(round_.id),
            DomainScore.round_id == round_.id,
        )
        .group_by(Response.organisation_id)
    )
    shown: dict[int, tuple] = {}  # group -> its levels as its row shows them
    submitted: dict[int, object] = {}
    any_moderated: set[int] = set()
    seen: dict[tuple, tuple] = {}  # each distinct set of levels worked out once
    for org_id, at, *pairs in db.session.execute(
        score_query, execution_options={"yield_per": BATCH}
    ):
        key = tuple(pairs)
        if key not in seen:
            levels, moderations = key[0::2], key[1::2]
            seen[key] = (
                tuple(_shown(pair, moderated) for pair in zip(levels, moderations, strict=True)),
                moderated and any(m is not None for m in moderations),
            )
        shown[org_id], by_moderator = seen[key]
        submitted[org_id] = at
        if by_moderator:
            any_moderated.add(org_id)
    no_levels = (None,) * len(domain_ids)
    rows = []
    for org in db.session.execute(query, execution_options={"yield_per": BATCH}):
        if sees is not None and not sees(org):
            continue
        org_id = org.id
        at = submitted.get(org_id)
        rows.append(
            GroupRow(
                org_id=org_id,
                name=org.name,
                area_code=org.area_code or "",
                area_name=org.area_name or "",
                broker=org.broker_name,
                submitted_on=at.date() if at else None,
                levels=shown.get(org_id, no_levels),
                shown_as=MODERATED if org_id in any_moderated else SELF_ASSESSED,
            )
        )
    return rows


def _shown(pair: tuple | None, moderated: bool) -> int | None:
    if pair is None:
        return None
    level, moderated_level = pair
    return moderated_level if moderated and moderated_level is not None else level


def locality_results(round_: Round, area: Area) -> list[LocalityResult]:
    """The locality self-assessments of the area and the areas within it (a place's PCNs):
    from this round if it is a locality form, else from the latest locality round any of
    them answered. Named, not suppressed: each is a public body's statement, and shown
    as the body made it (brokers moderate groups' levels, never a locality's)."""
    if instrument_for(round_).kind == "locality":
        rounds = [round_]
    else:
        rounds = [
            r
            for r in db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc()))
            if instrument_for(r).kind == "locality"
        ]
    within = areas_under({area.id})  # read by the database, not sent back to it
    for candidate in rounds:
        responses = db.session.scalars(
            sa.select(Response)
            .join(Area, Area.id == Response.area_id)
            .where(
                *current_submissions(candidate.id),
                Response.area_id.in_(within),
                Response.organisation_id.is_(None),
            )
            .order_by(Area.name)
        ).all()
        if not responses:
            continue
        instrument = instrument_for(candidate)
        return [
            LocalityResult(
                response.area.name,
                candidate.title,
                instrument,
                {
                    s.domain_id: s.level
                    for s in response.scores
                    if s.level is not None and s.domain_id != OVERALL
                },
                {
                    s.domain_id: s.ambition
                    for s in response.scores
                    if s.ambition is not None and s.domain_id != OVERALL
                },
            )
            for response in responses
        ]
    return []


def group_gaps(round_: Round, area: Area, figures: AreaFigures, *, moderated: bool) -> list:
    """Per domain, the groups below the round's target, from the published target sets."""
    target = round_.target_level
    if target is None or instrument_for(round_).kind == "locality":
        return []
    shown = derived_figures(round_, [area], moderated=moderated)
    gaps = []
    for figure in figures.figures:
        if figure.domain_id == OVERALL:
            continue
        below = shown.get((area.id, figure.domain_id + BELOW))
        at = shown.get((area.id, figure.domain_id + TARGET))
        if below is None or at is None:
            continue
        gaps.append(
            GroupGap(figure.domain_id, figure.domain_name, below.n, below.n + at.n, target,
                     figure.level, figure.ambition, figure.ambition_gap)
        )  # fmt: skip
    return gaps


ROADMAP_SHEET = (
    "Actions for the system, not for single groups: the area's own locality "
    "self-assessment's next steps (who acts: ICP, PCN or partners), and support "
    "for the domains where most groups are below target (published counts only). "
    "Horizons: next 6 months, 1 to 2 years, 3 to 5 years; within each, the largest "
    "distance to ambition first (a locality's own ambition against its level; "
    "the groups' mean ambition against their mean, published only under the "
    "same rule as the mean). Group-level actions are in each group's result and "
    "the brokers' support-plan workbooks."
)  # the Method sheet's line for the Roadmap sheet


def build_roadmap(round_: Round, area: Area, *, viewer, actor: str, moderated: bool) -> Roadmap:
    """The roadmap's content for an area, as this viewer may see it (None: the CLI, all)."""
    instrument = instrument_for(round_)
    children = sorted(area.children, key=lambda a: a.code)
    rows = area_figures(area_aggregates(round_, [area, *children], moderated=moderated))
    shown = MODERATED if moderated else SELF_ASSESSED
    may_name = viewer is None or viewer.role in (ADMIN, BROKER, AREA_LEAD)
    groups = groups_in_area(round_, area, moderated=moderated, viewer=viewer) if may_name else None
    note = (
        "all groups in the area"
        if viewer is None or viewer.role == ADMIN
        else "only groups that consented to share their results with you"
    )
    if groups is None:
        note = "Your role sees area figures only, not named groups."
    method = method_lines(
        instrument,
        actor=actor,
        shown=f"{shown} levels"
        + (" (a broker's moderated level where there is one)" if moderated else ""),
        round_title=round_.title,
        target=round_.target_level,
        extra=[
            ("Area", f"{area.name} ({area.code}, {area.type}) and its {len(children)} sub-areas"),
            ("Groups sheet", note),
            ("Roadmap sheet", ROADMAP_SHEET),
        ],
    )
    return Roadmap(
        instrument=instrument,
        offers=registry().offers,
        area=rows[0],
        sub_areas=rows[1:],
        groups=groups,
        groups_note=note,
        method=method,
        shown_as=shown,
        localities=locality_results(round_, area),
        gaps=group_gaps(round_, area, rows[0], moderated=moderated),
        readiness=area_readiness(round_, [area]).get(area.id),
    )


def roadmap_workbook(
    area: Area, round_: Round, *, viewer, actor: str, moderated: bool = False
) -> bytes:
    """The roadmap workbook's bytes; the export is recorded in the audit log."""
    roadmap = build_roadmap(round_, area, viewer=viewer, actor=actor, moderated=moderated)
    out = io.BytesIO()
    write_roadmap(out, roadmap)
    audit.record(actor, "export-roadmap", f"{area.code}:{round_.slug}")
    db.session.commit()
    return out.getvalue()
