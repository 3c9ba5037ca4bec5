"""Aggregates per area, round and domain: the one place that says which privacy rule applies.

Two rules, chosen by who answers the round's instrument (``respondents``):

- Groups (``respondents: groups``): the small-numbers rule. Scores are stored
  per response and domain, so an aggregate is a query and a summary, never a
  re-score. What is shown is what survey.publication has published for the
  round: a figure changes only when enough groups have changed, and never so
  that two figures (any areas, any moments) differ by a few groups; parents
  minus their children are checked too, and level counts are shown only in
  bands.
- Localities (``respondents: localities``): named results. A PCN's or place's
  own self-assessment is a public body's statement about its system, shown by
  name at its own area: its levels as it scored them, not a mean of one, and
  nothing at an area that did not answer for itself (its sub-areas' own
  assessments are on their own rows). No group's answers are in such a round.

Either way an area's figure is the same on every page, map, workbook and API
response, because they all read it from here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from scoring import band
from scoring.aggregate import EMPTY, SUPPRESSED, Summary
from scoring.disclosure import LevelBand

from .derived_sets import is_derived
from .extensions import db
from .instruments_store import instrument_for
from .models import (
    OVERALL,
    Area,
    DomainScore,
    Invitation,
    Publication,
    Response,
    Round,
    current_submissions,
)
from .publication import RESPONDED, Current, ShownFigure, ambition_of, publish, shown_figures


@dataclass(frozen=True)
class AreaAggregate:
    """One area's figures for one domain (or "overall") in one round."""

    area: Area
    domain_id: str
    domain_name: str
    summary: Summary
    invited: int
    responded: int | None  # None when the count may not be shown
    coverage: float | None
    target_level: int | None
    gap: float | None
    suppressed: bool
    level: int | None  # the band of the mean (named: the area's own level); None when not shown
    named: bool = False  # the area's own named assessment (a locality round), not an aggregate
    ambition: float | None = None  # where the area plans to be in a year (named: its own answer)

    @property
    def ambition_gap(self) -> float | None:
        """Levels from where the area is to where it plans to be (None when either is unknown)."""
        if self.ambition is None or self.summary.mean is None or self.suppressed:
            return None
        return self.ambition - (self.level if self.named else self.summary.mean)


def _summary(figure: ShownFigure) -> Summary:
    bands = tuple(LevelBand(*b) for b in figure.level_bands) if figure.level_bands else None
    return Summary(
        figure.n, figure.mean, figure.median, figure.ci_low, figure.ci_high, bands, False
    )


def area_aggregates(
    round_: Round,
    areas: list[Area],
    *,
    moderated: bool = False,
    threshold: int | None = None,
    published: tuple[Publication, Current] | None = None,
    domain_ids: Collection[str] | None = None,
) -> list[AreaAggregate]:
    """One aggregate per (area, domain), domains in instrument order then "overall".

    Reading may publish: the round's figures are refreshed first when its
    groups have changed (survey.publication). ``published``: what ``publish``
    returned for this round and view, when the caller reads several kinds of figure.
    ``domain_ids``: only these domains (a map shows one): each figure is what it is
    among all of them, since what may be shown was settled when it was published.
    """
    threshold = threshold or current_app.config["DISCLOSURE_THRESHOLD"]
    instrument = instrument_for(round_)
    if instrument.named_results:
        named = named_aggregates(round_, areas, moderated=moderated)
        return [a for a in named if domain_ids is None or a.domain_id in domain_ids]
    publication, state = published or publish(round_, moderated=moderated, threshold=threshold)
    shown = shown_figures(publication, [a.id for a in areas])
    domains = [(d.id, d.name) for d in instrument.domains] + [(OVERALL, "Overall")]
    if domain_ids is not None:
        domains = [(d, name) for d, name in domains if d in domain_ids]
    hidden = {(a, d) for a, d in publication.hidden or []}
    target = round_.target_level
    result = []
    for area in areas:
        area_id = area.id  # an ORM attribute: read once, not once per domain
        counted = shown.get((area_id, RESPONDED))
        live_invited = state.invited.get(area_id, 0)
        if counted is not None and counted.n >= threshold:
            n_invited, n_responded = counted.invited or 0, counted.n
        elif not state.has_members(RESPONDED, area_id):
            n_invited, n_responded = live_invited, 0
        else:  # responses, but no count that may be shown
            n_invited, n_responded = live_invited, None
        for domain_id, domain_name in domains:
            figure = shown.get((area_id, domain_id))
            if figure is not None and figure.n >= threshold:
                summary = _summary(figure)
            elif (area_id, domain_id) in hidden or state.has_members(domain_id, area_id):
                summary = SUPPRESSED
            else:
                summary = EMPTY
            responded = None if summary.suppressed else n_responded
            planned = shown.get((area_id, ambition_of(domain_id)))
            ambition = (
                planned.mean
                if planned is not None and planned.n >= threshold and not summary.suppressed
                else None
            )
            result.append(
                AreaAggregate(
                    area=area,
                    domain_id=domain_id,
                    domain_name=domain_name,
                    summary=summary,
                    invited=n_invited,
                    responded=responded,
                    coverage=(responded / n_invited)
                    if n_invited and responded is not None
                    else None,
                    target_level=target,
                    gap=(target - summary.mean)
                    if target is not None and summary.mean is not None
                    else None,
                    suppressed=summary.suppressed,
                    level=band(instrument, summary.mean),
                    ambition=ambition,
                )
            )
    return result


def named_aggregates(
    round_: Round, areas: list[Area], *, moderated: bool = False
) -> list[AreaAggregate]:
    """Each area's own assessment in a locality round, by name: its score, level and ambition.

    Not under the small-numbers rule (see the module's docstring): the figure
    is the area's own current submission, n = 1, with no interval or bands.
    """
    instrument = instrument_for(round_)
    ids = [a.id for a in areas] or [-1]
    rows = db.session.execute(
        sa.select(
            Response.area_id,
            DomainScore.domain_id,
            DomainScore.score,
            DomainScore.level,
            DomainScore.moderated_level,
            DomainScore.ambition,
        )
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(
            *current_submissions(round_.id),
            DomainScore.round_id == round_.id,
            Response.organisation_id.is_(None),
            Response.area_id.in_(ids),
        )
    ).all()
    scores = {(r.area_id, r.domain_id): r for r in rows}
    answered = {r.area_id for r in rows}
    invited = set(
        db.session.scalars(
            sa.select(Invitation.area_id).where(
                Invitation.round_id == round_.id,
                Invitation.organisation_id.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.area_id.in_(ids),
            )
        )
    )
    domains = [(d.id, d.name) for d in instrument.domains] + [(OVERALL, "Overall")]
    target = round_.target_level
    result = []
    for area in areas:
        n_invited = int(area.id in invited or area.id in answered)
        n_responded = int(area.id in answered)
        for domain_id, domain_name in domains:
            row = scores.get((area.id, domain_id))
            level = score = None
            if row is not None and row.level is not None:
                score, level = float(row.score), row.level
                if moderated and row.moderated_level is not None:
                    score, level = float(row.moderated_level), row.moderated_level
            summary = (
                Summary(1, score, score, None, None, None, False)
                if level is not None
                else EMPTY  # did not answer for itself, or this domain is not scored
            )
            result.append(
                AreaAggregate(
                    area=area,
                    domain_id=domain_id,
                    domain_name=domain_name,
                    summary=summary,
                    invited=n_invited,
                    responded=n_responded,
                    coverage=(n_responded / n_invited) if n_invited else None,
                    target_level=target,
                    gap=(target - level) if target is not None and level is not None else None,
                    suppressed=False,
                    level=level,
                    named=True,
                    ambition=float(row.ambition)
                    if row is not None and row.ambition is not None
                    else None,
                )
            )
    return result


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


def derived_figures(
    round_: Round,
    areas: list[Area],
    *,
    moderated: bool,
    threshold: int | None = None,
    published: tuple[Publication, Current] | None = None,
) -> dict[tuple[int, str], ShownFigure]:
    """(area, set id) -> the published figure of each derived set (survey.derived_sets) shown.

    ``moderated``: which view's publication (every caller says which); unused when
    ``published`` is given.

    The same publication as the domain figures: a set hidden there, or never
    published (too few groups, or a few apart from another), is left out.
    """
    threshold = threshold or current_app.config["DISCLOSURE_THRESHOLD"]
    publication, _ = published or publish(round_, moderated=moderated, threshold=threshold)
    return {
        key: figure
        for key, figure in shown_figures(publication, [a.id for a in areas]).items()
        if is_derived(key[1]) and figure.n >= threshold
    }
