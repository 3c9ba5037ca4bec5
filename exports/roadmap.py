"""An area's roadmap workbook: levels, gaps, actions by horizon, groups, method, charts.

Pure: the shell passes the area's and sub-areas' figures (already suppressed),
the groups the viewer may see (or None) and the method lines; this writes the
workbook in streaming mode so that 10,000 groups stay cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from instruments import HORIZONS, OVERALL, Instrument, SupportOffer
from scoring.disclosure import LevelBand, bands_text
from scoring.readiness import Readiness

from .readiness import READY_COLUMNS, readiness_cells, readiness_rows
from .workbook_style import (
    SUPPRESSED_FILL,
    add_date_check,
    add_filter,
    add_status_choices,
    cell,
    colour_levels,
    level_cell,
    new_sheet,
    new_workbook,
    save_workbook,
    write_header,
    write_key_values,
    write_row,
)

SUPPRESSED_TEXT = "suppressed"
NO_RESPONSES = "no responses"


@dataclass(frozen=True)
class DomainFigure:
    """An area's figures in one domain (or overall); numbers are None when suppressed."""

    domain_id: str
    domain_name: str
    n: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    level: int | None
    level_bands: tuple[LevelBand, ...] | None  # None: not shown
    target: int | None
    gap: float | None
    suppressed: bool
    ambition: float | None = None  # where the area's groups (or the area) plan to be in a year
    ambition_gap: float | None = None  # levels from here to there; None when either is unknown

    @property
    def label(self) -> str:
        """What a cell without a level says."""
        return SUPPRESSED_TEXT if self.suppressed else NO_RESPONSES


@dataclass(frozen=True)
class AreaFigures:
    """One area's row of the summary: coverage and a figure per domain."""

    code: str
    name: str
    type: str
    invited: int
    responded: int | None  # None when the count itself is suppressed
    coverage: float | None
    figures: tuple[DomainFigure, ...]  # instrument domains in order, then overall


@dataclass(frozen=True)
class GroupRow:
    """One group on the groups sheet."""

    org_id: int
    name: str
    area_code: str
    area_name: str
    broker: str | None
    submitted_on: dt.date | None
    levels: tuple[int | None, ...]  # per instrument domain, then overall
    shown_as: str


@dataclass(frozen=True)
class LocalityResult:
    """A locality's own named self-assessment (a public body's statement): its level per domain."""

    area_name: str
    round_title: str
    instrument: Instrument
    levels: Mapping[str, int]  # domain id -> level (domains it scored)
    ambitions: Mapping[str, int] = field(default_factory=dict)  # domain id -> level it aims for


@dataclass(frozen=True)
class GroupGap:
    """How many of the area's groups are below the target level in a domain, as published."""

    domain_id: str
    domain_name: str
    below: int
    scored: int
    target: int
    level: int | None  # the area's level (band of its mean), when shown
    ambition: float | None = None  # the groups' mean ambition in the domain, when shown
    ambition_gap: float | None = None  # ambition minus the area's mean, when both are shown


@dataclass(frozen=True)
class SystemAction:
    """One row of an area's roadmap: an action for the system, who acts, and why."""

    horizon: str
    owner: str
    domain: str
    text: str
    offers: str
    evidence: str
    to_ambition: float | None = None  # levels between where it is and where it plans to be


@dataclass(frozen=True)
class Roadmap:
    """Everything the workbook shows."""

    instrument: Instrument
    offers: Mapping[str, SupportOffer]
    area: AreaFigures
    sub_areas: Sequence[AreaFigures]
    groups: Sequence[GroupRow] | None  # None: the viewer may not see named groups
    groups_note: str
    method: Sequence[tuple[str, object]]
    shown_as: str
    localities: Sequence[LocalityResult] = ()  # the area's own and those of areas within it
    gaps: Sequence[GroupGap] = ()
    readiness: Readiness | None = None


# A system's roadmap looks further ahead than a group's: the same three horizons, longer.
SYSTEM_HORIZON_LABELS = {
    "near": "Next 6 months",
    "medium": "1 to 2 years",
    "longer": "3 to 5 years",
}
OWNER_LABELS = {
    "icp": "ICP (place partnership)",
    "pcn": "Primary care network",
    "partner": "Partners (CVS, council, voluntary sector)",
}
COMMONEST_GAPS = 3


def _offer_names(roadmap: Roadmap, ids: Sequence[str]) -> str:
    return "; ".join(roadmap.offers[o].name for o in ids if o in roadmap.offers)


def _names(names: Sequence[str], most: int = 3) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, C and 2 more'."""
    if len(names) > most:
        return f"{', '.join(names[:most])} and {len(names) - most} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0]


def system_actions(roadmap: Roadmap) -> list[SystemAction]:
    """The area's actions: its localities' own next steps, then support for the commonest gaps.

    Group-level next steps are not here: they belong to each group's result and
    the brokers' support plans. From the groups come only the domains where most
    are below target (how many, which domain, what level), as actions for the
    partners that support groups.

    Within a horizon, actions come in order of the distance between where the
    area is and where it plans to be: a locality's own ambition against its own
    level, the groups' mean ambition against their mean. Actions with no stated
    ambition come after, in the order above.
    """
    actions = []
    at_level: dict[tuple[str, int], list[LocalityResult]] = {}
    for local in roadmap.localities:
        for domain_id, level in local.levels.items():
            at_level.setdefault((domain_id, level), []).append(local)
    for local_instrument in dict.fromkeys(loc.instrument for loc in roadmap.localities):
        for domain in local_instrument.domains:
            for level in range(1, 6):
                who = at_level.get((domain.id, level))
                if not who:
                    continue
                aims = sorted({w.ambitions[domain.id] for w in who if domain.id in w.ambitions})
                evidence = (
                    f"{_names([w.area_name for w in who])}'s own assessment"
                    f"{'s' if len(who) > 1 else ''} ({who[0].round_title}): "
                    f"level {level} in {domain.name.lower()}{_aiming(aims)}"
                )
                to_go = max(aims) - level if aims else None
                for step in domain.level(level).next_steps:
                    actions.append(
                        SystemAction(step.horizon, step.owner or "icp", domain.name, step.text,
                                     _offer_names(roadmap, step.offers), evidence, to_go)
                    )  # fmt: skip
    commonest = sorted(
        (g for g in roadmap.gaps if g.below), key=lambda g: (-g.below / g.scored, g.domain_name)
    )[:COMMONEST_GAPS]
    for gap in commonest:
        domain = roadmap.instrument.domain(gap.domain_id)
        steps = domain.level(gap.level).next_steps if gap.level else ()
        offers = sorted({o for s in steps for o in s.offers})
        horizon = "near" if gap.below * 2 >= gap.scored else "medium"
        level = f"; the area's level is {gap.level}" if gap.level else ""
        aim = (
            f"; its groups aim for {gap.ambition:.1f} on average"
            if gap.ambition is not None
            else ""
        )
        actions.append(
            SystemAction(
                horizon,
                "partner",
                gap.domain_name,
                f"Offer support on {gap.domain_name.lower()} to the groups below level "
                f"{gap.target}, through brokers and the voluntary sector infrastructure.",
                _offer_names(roadmap, offers),
                f"{gap.below} of {gap.scored} groups below target level {gap.target} in "
                f"{gap.domain_name.lower()}{level}{aim}",
                gap.ambition_gap,
            )
        )
    horizon = {h: i for i, h in enumerate(HORIZONS)}
    owners = list(OWNER_LABELS)
    actions.sort(
        key=lambda a: (
            horizon.get(a.horizon, 9),
            a.to_ambition is None,
            -(a.to_ambition or 0.0),
            owners.index(a.owner),
        )
    )
    return actions


def _aiming(aims: Sequence[int]) -> str:
    """'; aiming for level 4', '; aiming for levels 3 to 4', or nothing when none was given."""
    if not aims:
        return ""
    if len(aims) == 1:
        return f"; aiming for level {aims[0]}"
    return f"; aiming for levels {aims[0]} to {aims[-1]}"


def write_roadmap(out: str | Path | IO[bytes], roadmap: Roadmap) -> None:
    """The roadmap workbook: Summary, Gaps, Roadmap, Groups, Method."""
    wb = new_workbook()
    _summary_sheet(wb, roadmap)
    _gaps_sheet(wb, roadmap)
    _roadmap_sheet(wb, roadmap)
    _groups_sheet(wb, roadmap)
    if roadmap.readiness is not None:
        _readiness_sheet(wb, roadmap.readiness)
    ws = new_sheet(wb, "Method", widths=(24, 110), freeze=None)
    write_key_values(ws, roadmap.method)
    save_workbook(wb, out)


def _domains(roadmap: Roadmap) -> list[tuple[str, str]]:
    return [(f.domain_id, f.domain_name) for f in roadmap.area.figures]


def _summary_sheet(wb, roadmap: Roadmap) -> None:
    domains = _domains(roadmap)
    widths = (14, 30, 14, 9, 10, 10, *[16, 6] * len(domains), 14)
    ws = new_sheet(wb, "Summary", widths=widths, freeze="C2")
    header = ["Area code", "Area", "Type", "Invited", "Responded", "Coverage"]
    for _, name in domains:
        header += [f"{name}: level", f"{name}: n"]
    header.append("Level shown")
    write_header(ws, header)
    rows = [roadmap.area, *roadmap.sub_areas]
    for area in rows:
        values = [
            area.code,
            area.name,
            area.type,
            area.invited,
            area.responded if area.responded is not None else SUPPRESSED_TEXT,
            cell(ws, area.coverage, number_format="0%")
            if area.coverage is not None
            else cell(ws, SUPPRESSED_TEXT if area.responded is None else "", fill=SUPPRESSED_FILL),
        ]
        for figure in area.figures:
            values.append(level_cell(ws, figure.level, None if figure.level else figure.label))
            values.append(figure.n if figure.n is not None else SUPPRESSED_TEXT)
        values.append(roadmap.shown_as)
        write_row(ws, values)
    add_filter(ws, len(header), len(rows) + 1)
    ws.print_title_rows = "1:1"


GAP_HEADER = (
    "Area code", "Area", "Domain", "n", "Mean score", "95% CI low", "95% CI high", "Level",
    "Target level", "Gap (target - mean)", "Ambition (mean)", "Gap to ambition",
    "Groups by level", "Level shown", "What the level means",
)  # fmt: skip
NOT_SHOWN = "not shown"


def _gaps_sheet(wb, roadmap: Roadmap) -> None:
    ws = new_sheet(wb, "Gaps", widths=(14, 28, 30, 6, 11, 11, 11, 12, 9, 12, 11, 11, 36, 14, 70))
    write_header(ws, GAP_HEADER)
    count = 0
    for area in (roadmap.area, *roadmap.sub_areas):
        for f in area.figures:
            shown = (lambda v: v) if not f.suppressed else (lambda v: SUPPRESSED_TEXT)
            if f.suppressed:
                groups = SUPPRESSED_TEXT
            else:
                groups = bands_text(f.level_bands) or (NOT_SHOWN if f.n else "")
            write_row(
                ws,
                [
                    area.code,
                    area.name,
                    f.domain_name,
                    shown(f.n),
                    _number(ws, f.mean, f),
                    _number(ws, f.ci_low, f),
                    _number(ws, f.ci_high, f),
                    level_cell(ws, f.level, None if f.level else f.label),
                    f.target,
                    _number(ws, f.gap, f),
                    _number(ws, f.ambition, f),
                    _number(ws, f.ambition_gap, f),
                    groups,
                    roadmap.shown_as,
                    _meaning(roadmap.instrument, f),
                ],
            )
            count += 1
    add_filter(ws, len(GAP_HEADER), count + 1)
    ws.print_title_rows = "1:1"
    own = len([f for f in roadmap.area.figures if f.domain_id != OVERALL])
    if own:
        _gap_charts(ws, own)


def _meaning(instrument: Instrument, figure: DomainFigure) -> str:
    """The domain's own descriptor of the level shown (the overall one only for "Overall")."""
    words = instrument.level_words(figure.domain_id, figure.level)
    return f"{words[0]}: {words[1]}" if words else ""


def _number(ws, value: float | None, figure: DomainFigure):
    if value is None:
        return cell(ws, SUPPRESSED_TEXT if figure.suppressed else "", fill=SUPPRESSED_FILL)
    return cell(ws, round(value, 2), number_format="0.00")


def _gap_charts(ws, rows: int) -> None:
    """Mean against target per domain.

    Level counts are not charted: they are shown only in bands that differ
    from area to area (scoring.disclosure.level_bands), which no stacked bar
    could line up.
    """
    last = rows + 1
    domains = Reference(ws, min_col=3, min_row=2, max_row=last)
    bars = BarChart()
    bars.type = "bar"
    bars.title = "Mean score and target by domain"
    bars.y_axis.title = "Score (1 to 5)"
    bars.y_axis.scaling.min, bars.y_axis.scaling.max = 1, 5
    bars.add_data(Reference(ws, min_col=5, min_row=1, max_row=last), titles_from_data=True)
    bars.add_data(Reference(ws, min_col=9, min_row=1, max_row=last), titles_from_data=True)
    bars.set_categories(domains)
    bars.height, bars.width = 9, 18
    ws.add_chart(bars, "Q2")


ROADMAP_HEADER = ("Horizon", "Who acts", "Domain", "Action", "Evidence",
                  "Levels to ambition", "Support offers", "Lead (name)", "Target date",
                  "Status")  # fmt: skip


def _roadmap_sheet(wb, roadmap: Roadmap) -> None:
    ws = new_sheet(wb, "Roadmap", widths=(16, 26, 28, 60, 50, 11, 40, 20, 13, 14))
    write_header(ws, ROADMAP_HEADER)
    actions = system_actions(roadmap)
    for a in actions:
        write_row(
            ws,
            [
                SYSTEM_HORIZON_LABELS.get(a.horizon, ""),
                OWNER_LABELS.get(a.owner, a.owner),
                a.domain,
                cell(ws, a.text, wrap=True),
                cell(ws, a.evidence, wrap=True),
                cell(ws, round(a.to_ambition, 2), number_format="0.00")
                if a.to_ambition is not None
                else "not given",
                cell(ws, a.offers, wrap=True),
                None,
                None,
                "Not started",
            ],
        )
    if not actions:
        write_row(
            ws,
            ["", "", "", cell(ws, "No actions yet: no locality assessment for this area, and "
                               "no published count of groups below target.", wrap=True)],
        )  # fmt: skip
    last = max(len(actions) + 1, 2)
    add_filter(ws, len(ROADMAP_HEADER), last)
    add_date_check(ws, "I", 2, last)
    add_status_choices(ws, "J", 2, last)
    ws.print_title_rows = "1:1"


def _readiness_sheet(wb, ready: Readiness) -> None:
    ws = new_sheet(wb, "Referral readiness", widths=(60, 10, 10, 9, 10))
    write_header(ws, READY_COLUMNS)
    rows = readiness_rows(ready)
    for row in rows:
        write_row(ws, readiness_cells(ws, row))
    add_filter(ws, len(READY_COLUMNS), len(rows) + 1)


def _groups_sheet(wb, roadmap: Roadmap) -> None:
    domains = _domains(roadmap)
    header = ["Group id", "Group", "Area code", "Area", "Broker", "Submitted"]
    header += [name for _, name in domains] + ["Level shown"]
    ws = new_sheet(wb, "Groups", widths=(9, 34, 14, 26, 26, 12, *[12] * len(domains), 14))
    write_header(ws, header)
    if roadmap.groups is None:
        write_row(ws, ["", roadmap.groups_note])
        return
    # Levels are plain numbers coloured by conditional formatting: per-cell fills would cost
    # a style per cell on a sheet that may hold 40,000 groups.
    for g in roadmap.groups:
        write_row(
            ws,
            [
                g.org_id,
                g.name,
                g.area_code,
                g.area_name,
                g.broker or "",
                g.submitted_on or "not yet",
                *g.levels,
                g.shown_as,
            ],
        )
    last = len(roadmap.groups) + 1
    add_filter(ws, len(header), last)
    first_level, last_level = get_column_letter(7), get_column_letter(6 + len(domains))
    colour_levels(ws, f"{first_level}2:{last_level}{max(last, 2)}")
