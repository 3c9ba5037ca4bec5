"""The board pack from the database: every instrument run more than once, for one area."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app

from exports.board_pack import (
    DomainFigures,
    InstrumentPack,
    RoundFigures,
    rounds_in_words,
    write_board_pack,
)
from scoring.disclosure import bands_text
from scoring.paired import NOT_SHOWN, PairedChange

from .. import audit
from ..aggregates import area_aggregates, derived_figures
from ..derived_sets import BELOW, PAIRED, TARGET, previous_round
from ..extensions import db
from ..instruments_store import instrument_for, registry
from ..models import Area, Round
from ..publication import publish
from ..readiness import area_readiness
from .method import (
    NAMED_RESULTS,
    disclosure_lines,
    exported_lines,
    instrument_in_words,
    scoring_in_words,
)


def repeated_rounds(today: dt.date | None = None) -> dict[str, list[Round]]:
    """Instrument id -> its rounds that have opened, oldest first, for instruments run twice or more."""
    today = today or dt.date.today()
    by_instrument: dict[str, list[Round]] = defaultdict(list)
    for round_ in db.session.scalars(
        sa.select(Round).where(Round.opens_on <= today).order_by(Round.opens_on, Round.id)
    ):
        by_instrument[round_.instrument_id].append(round_)
    return {k: v for k, v in by_instrument.items() if len(v) >= 2}


def _change(figure) -> PairedChange:
    if figure is None:
        return NOT_SHOWN
    return PairedChange(figure.n, figure.mean, figure.ci_low, figure.ci_high, False)


def round_figures(
    area: Area, round_: Round, previous: Round | None, threshold: int
) -> RoundFigures:
    """One round's figures for the area, as published."""
    published = publish(round_, moderated=False, threshold=threshold)  # once for every figure
    aggregates = area_aggregates(round_, [area], threshold=threshold, published=published)
    derived = derived_figures(
        round_, [area], moderated=False, threshold=threshold, published=published
    )
    domains = []
    for agg in aggregates:
        s = agg.summary
        at = derived.get((area.id, agg.domain_id + TARGET))
        below = derived.get((area.id, agg.domain_id + BELOW))
        domains.append(
            DomainFigures(
                domain_id=agg.domain_id,
                name=agg.domain_name,
                n=None if agg.suppressed else s.n,
                mean=s.mean,
                ci_low=s.ci_low,
                ci_high=s.ci_high,
                level=agg.level,
                bands=bands_text(s.level_bands),
                at_target=(at.n, at.n + below.n) if at is not None and below is not None else None,
                change=None
                if previous is None
                else _change(derived.get((area.id, agg.domain_id + PAIRED))),
            )
        )
    first = aggregates[0] if aggregates else None
    return RoundFigures(
        slug=round_.slug,
        title=round_.title,
        year=str(round_.opens_on.year),
        version=round_.instrument_version,
        invited=first.invited if first else None,
        responded=first.responded if first else None,
        target_level=round_.target_level,
        previous_title=previous.title if previous is not None else None,
        domains=tuple(domains),
        readiness=area_readiness(round_, [area], threshold=threshold, published=published).get(
            area.id
        ),
    )


def board_packs(area: Area, *, threshold: int | None = None) -> list[InstrumentPack]:
    """Every instrument with two or more rounds, each round's figures for the area."""
    threshold = threshold or current_app.config["DISCLOSURE_THRESHOLD"]
    packs = []
    for instrument_id, rounds in sorted(repeated_rounds().items()):
        # the previous round as the paired figures take it (survey.derived_sets)
        figures = [round_figures(area, r, previous_round(r), threshold) for r in rounds]
        title = instrument_for(rounds[-1]).title
        packs.append(InstrumentPack(instrument_id, title, tuple(figures)))
    return packs


# how the pack's own figures are made, after each instrument's rules
BOARD_RULES: list[tuple[str, object]] = [
    (
        "Change among the same groups",
        "For each group that answered both rounds, its score in the later round minus "
        "its score in the earlier one; the mean of these differences with a 95% "
        "t-interval. 'Real change' when the interval does not include zero, otherwise "
        "'no real change'. Published like every figure: from at least the threshold of "
        "groups, never a few groups apart from another figure.",
    ),
    (
        "Share at or above target",
        "Groups whose level is at or above the round's target level, of the groups "
        "scored; shown only when at least the threshold of groups are at or above and "
        "at least the threshold are below.",
    ),
    (
        "Referral readiness",
        "Receiving referrals: groups answering yes to having had people sent by a link "
        "worker, GP or other professional. Involved and supported: groups that have had "
        "referrals and agree they feel supported to welcome them (of all groups answering). "
        "Places a month: the sum of what groups say they could take. Care-navigation "
        "levels and help wanted: groups ticking each. Each share is shown only when at "
        "least the threshold of groups said yes and at least the threshold said no.",
    ),
]


def board_method(area: Area, packs: list[InstrumentPack], actor: str) -> list:
    """The method sheet: each instrument in the pack with its rounds, targets and scoring rule."""
    lines: list[tuple[str, object]] = [
        ("Area", f"{area.name} ({area.code})"),
        ("Level shown", "self-assessed levels (groups' own answers)"),
    ]
    instruments = []
    for pack in packs:
        # the scoring rule of the version the pack's title comes from (its latest round)
        instrument = registry().get(pack.instrument_id, pack.rounds[-1].version)
        instruments.append(instrument)
        lines += [
            ("Instrument", instrument_in_words(instrument)),
            ("Rounds and target levels", rounds_in_words(pack)),
            ("Scoring rule", scoring_in_words(instrument)),
            *([NAMED_RESULTS] if instrument.named_results else []),
        ]
    if not packs:
        lines.append(("Surveys", "none run twice yet"))
    if not instruments or any(not i.named_results for i in instruments):
        lines += disclosure_lines(current_app.config["DISCLOSURE_THRESHOLD"])
    return lines + exported_lines(actor) + BOARD_RULES


def board_pack_workbook(area: Area, *, actor: str) -> bytes:
    """The board pack workbook's bytes; the export is recorded in the audit log."""
    packs = board_packs(area)
    out = io.BytesIO()
    write_board_pack(out, area_name=area.name, packs=packs, method=board_method(area, packs, actor))
    audit.record(actor, "export-board-pack", area.code)
    db.session.commit()
    return out.getvalue()
