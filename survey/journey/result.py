"""A submitted response's result as plain data: levels, meanings, reasons, next steps, peers."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from instruments import HORIZON_LABELS, HORIZONS, SupportOffer
from scoring import score_response

from ..instruments_store import registry
from ..models import OVERALL, Response
from .history import Peers, change_text, earlier_levels, peer_comparison
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
    level_name: str | None  # the domain's own name for the level (or the shared one)
    descriptor: str | None  # what the level means in this domain (never the overall meaning)
    explanation: str
    horizons: list[tuple[str, list[Step]]] = field(default_factory=list)
    offers: list[SupportOffer] = field(default_factory=list)
    peer_median: float | None = None
    before: int | None = None  # the level in the previous round of the same instrument
    change: str | None = None  # "up from 2 to 3"
    ambition: int | None = None  # where the group plans to be in a year

    @property
    def to_ambition(self) -> str | None:
        """How far the ambition is from the level now, in words."""
        if self.ambition is None or self.level is None:
            return None
        gap = self.ambition - self.level
        if gap > 0:
            return f"{gap} level{'s' if gap != 1 else ''} to go"
        return "reached" if gap == 0 else "already beyond it"


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
    peers: Peers
    peers_needed: int
    levels: list[tuple[int, str, str]]
    earlier_round: str | None = None  # the previous round's title, when the group answered it
    overall_before: int | None = None
    overall_change: str | None = None
    named: bool = False  # a locality's own assessment, shown to the ICS by name

    @property
    def enough_peers(self) -> bool:
        """True when there is a comparison to show (similar groups, or the area's figures)."""
        return self.peers.basis is not None

    @property
    def peer_overall(self) -> float | None:
        """The peers' median overall level."""
        return self.peers.medians.get(OVERALL)

    @property
    def has_ambitions(self) -> bool:
        """True when the group said where it plans to be in at least one domain."""
        return any(d.ambition is not None for d in self.domains)


def level_text(value: float | None) -> str:
    """A median level in words: 'level 3' or 'between level 3 and level 4'."""
    if value is None:
        return "not scored"
    if float(value).is_integer():
        return f"level {int(value)}"
    return f"between level {int(value)} and level {int(value) + 1}"


def build_result(respondent: Respondent, response: Response) -> ResultView:
    """Score the answers and gather what each level means and what to do next."""
    instrument = respondent.instrument
    scores = score_response(instrument, response.answer_map())
    offers = registry().offers
    needed = int(current_app.config.get("DISCLOSURE_THRESHOLD", 5))
    peers = peer_comparison(respondent, response)
    earlier = earlier_levels(respondent)
    before = earlier.levels if earlier else {}
    domains = []
    for result in scores.domains:
        domain = instrument.domain(result.domain_id)
        name, descriptor = instrument.level_words(domain.id, result.level) or (None, None)
        view = DomainView(
            id=domain.id,
            name=domain.name,
            description=domain.description,
            level=result.level,
            level_name=name,
            descriptor=descriptor,
            explanation=result.explanation,
            peer_median=peers.medians.get(domain.id),
            before=before.get(domain.id),
            change=change_text(before.get(domain.id), result.level),
            ambition=result.ambition,
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
        levels=[(lv.level, lv.name, lv.description) for lv in instrument.levels],
        earlier_round=earlier.round_title if earlier else None,
        overall_before=before.get(OVERALL),
        overall_change=change_text(before.get(OVERALL), overall),
        named=instrument.named_results,
    )
