"""A submitted response's result as plain data: levels, meanings, reasons, next steps, peers."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from instruments import HORIZON_LABELS, HORIZONS, SupportOffer
from scoring import score_response

from ..extensions import db
from ..instruments_store import registry
from ..models import OVERALL, Area, Response
from .respondent import Respondent


@dataclass
class Step:
    """One next step and the offers that help with it."""

    text: str
    offers: list[SupportOffer]


@dataclass
class DomainView:
    """One domain's result as the page and the workbook show it."""

    id: str
    name: str
    description: str
    level: int | None
    level_name: str | None
    level_meaning: str | None
    descriptor: str | None
    explanation: str
    horizons: list[tuple[str, list[Step]]] = field(default_factory=list)
    offers: list[SupportOffer] = field(default_factory=list)
    peer_median: float | None = None


@dataclass
class ResultView:
    """Everything the result page, its print view and the workbook need."""

    respondent_name: str
    instrument_title: str
    round_title: str
    submitted_on: str
    overall_level: int | None
    overall_name: str | None
    overall_meaning: str | None
    domains: list[DomainView]
    peers: int
    peers_needed: int
    peer_overall: float | None
    levels: list[tuple[int, str, str]]

    @property
    def enough_peers(self) -> bool:
        """True when the area's figures are published (enough groups to name none)."""
        return self.peers >= self.peers_needed


def level_text(value: float | None) -> str:
    """A median level in words: 'level 3' or 'between level 3 and level 4'."""
    if value is None:
        return "not scored"
    if float(value).is_integer():
        return f"level {int(value)}"
    return f"between level {int(value)} and level {int(value) + 1}"


def _published_peers(respondent: Respondent, response: Response) -> tuple[int, dict[str, float]]:
    """(groups, median score per domain) of the area's figures as published to staff.

    Not worked out live from the other groups: the same figures, a submission
    apart, would give away something of the new group's levels. A group is
    compared with its own area; a locality with the area above it.
    """
    from ..aggregates import area_aggregates

    area = db.session.get(Area, response.area_id) if response.area_id else None
    if area is not None and respondent.is_locality:
        area = area.parent
    if area is None:
        return 0, {}
    shown = {
        a.domain_id: a.summary
        for a in area_aggregates(respondent.round, [area])
        if not a.suppressed and a.summary.n
    }
    overall = shown.get(OVERALL)
    return (overall.n if overall else 0), {d: s.median for d, s in shown.items()}


def build_result(respondent: Respondent, response: Response) -> ResultView:
    """Score the answers and gather what each level means and what to do next."""
    instrument = respondent.instrument
    scores = score_response(instrument, response.answer_map())
    offers = registry().offers
    needed = int(current_app.config.get("DISCLOSURE_THRESHOLD", 5))
    peers, medians = _published_peers(respondent, response)
    if peers < needed:
        peers, medians = 0, {}
    domains = []
    for result in scores.domains:
        domain = instrument.domain(result.domain_id)
        view = DomainView(
            id=domain.id,
            name=domain.name,
            description=domain.description,
            level=result.level,
            level_name=result.level_name,
            level_meaning=instrument.level(result.level).description if result.level else None,
            descriptor=domain.level(result.level).descriptor if result.level else None,
            explanation=result.explanation,
            peer_median=medians.get(domain.id),
        )
        # Not scored: the first level's steps are where to start.
        steps = domain.level(result.level or 1).next_steps
        seen: set[str] = set()
        for horizon in HORIZONS:
            chosen = [
                Step(s.text, [offers[o] for o in s.offers if o in offers])
                for s in steps
                if s.horizon == horizon
            ]
            if chosen:
                view.horizons.append((HORIZON_LABELS[horizon], chosen))
            for step in chosen:
                for offer in step.offers:
                    if offer.id not in seen:
                        seen.add(offer.id)
                        view.offers.append(offer)
        domains.append(view)
    overall = scores.overall_level
    return ResultView(
        respondent_name=respondent.name,
        instrument_title=instrument.title,
        round_title=respondent.round.title,
        submitted_on=response.submitted_at.strftime("%-d %B %Y") if response.submitted_at else "",
        overall_level=overall,
        overall_name=scores.overall_level_name,
        overall_meaning=instrument.level(overall).description if overall else None,
        domains=domains,
        peers=peers,
        peers_needed=needed,
        peer_overall=medians.get(OVERALL),
        levels=[(lv.level, lv.name, lv.description) for lv in instrument.levels],
    )
