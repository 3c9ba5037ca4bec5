"""Support plans: each group's gaps (domains below target) matched to support offers.

Pure: the shell passes each group's levels (self-assessed and moderated), the
instrument and the offers catalogue; this returns plan lines and writes the
workbook (plans, levels, and for a broker's portfolio a cohort sheet and the
groups still to chase).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from openpyxl.worksheet.pagebreak import Break

from instruments import HORIZON_LABELS, HORIZONS, Instrument, SupportOffer

from .kept import Kept
from .workbook_style import (
    BOLD,
    SUBHEADER_FILL,
    add_date_check,
    add_filter,
    add_status_choices,
    cell,
    level_cell,
    new_sheet,
    new_workbook,
    save_workbook,
    write_header,
    write_key_values,
    write_row,
)

SELF_ASSESSED, MODERATED = "self-assessed", "moderated"
PLANS = "Support plans"
TAILS_KEPT = 20_000  # distinct lines a sheet keeps made (a few dozen; more with notes)
PLAN_ID = "plan"  # an action no one has tracked yet: plan:<round>:<group id>:<subject key>


def step_key(domain_id: str, text: str) -> str:
    """A next step's key: stable while its wording is (a help request's subject key)."""
    return "step:" + hashlib.sha256(f"{domain_id}\n{text}".encode()).hexdigest()[:32]


def offer_key(offer_id: str) -> str:
    """A support offer's key (a help request's subject key)."""
    return f"offer:{offer_id}"


def offer_words(offer: SupportOffer) -> str:
    """A support offer as a request about it names it: "Cyber basics from Safe Online"."""
    return f"{offer.name} from {offer.provider}"


def request_id(number: int) -> str:
    """The Id column of a tracked action: the help request's number, H12."""
    return f"H{number}"


def plan_id(round_slug: str, org_id: int, key: str) -> str:
    """The Id column of an action not tracked yet: stable while the plan is."""
    return f"{PLAN_ID}:{round_slug}:{org_id}:{key}"


def shown_level(level: int | None, moderated_level: int | None) -> int | None:
    """The level a plan works from: the moderated one when there is one."""
    return moderated_level if moderated_level is not None else level


@dataclass(frozen=True, slots=True)
class GroupLevel:
    """One group's level in one domain: as it assessed itself, and as moderated."""

    domain_id: str
    domain_name: str
    level: int | None
    moderated_level: int | None = None
    note: str | None = None
    ambition: int | None = None  # where the group plans to be in a year

    @property
    def shown(self) -> int | None:
        """The level the plan works from: the moderated one when there is one."""
        return shown_level(self.level, self.moderated_level)

    @property
    def shown_as(self) -> str:
        """Which level is shown, in words for the 'Level shown' column."""
        return MODERATED if self.moderated_level is not None else SELF_ASSESSED


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A group's current submitted result in a round."""

    org_id: int
    name: str
    area_code: str
    area_name: str
    submitted_on: dt.date | None
    levels: tuple[GroupLevel, ...]


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One action for one group: a gap, a next step and (when there is one) an offer."""

    org_id: int
    group: str
    area_code: str
    area_name: str
    domain: str
    domain_id: str
    level: int
    shown_as: str
    target: int
    gap: int
    priority: int
    action: str
    horizon: str
    offer_id: str | None
    offer: str | None
    provider: str | None

    @property
    def subject_key(self) -> str:
        """What a request about this line is about: its offer, else its step."""
        return offer_key(self.offer_id) if self.offer_id else step_key(self.domain_id, self.action)

    @property
    def subject_keys(self) -> tuple[str, ...]:
        """What a request about this line may be about: its offer, or the step it is under."""
        step = step_key(self.domain_id, self.action)
        return (offer_key(self.offer_id), step) if self.offer_id else (step,)


@dataclass(frozen=True, slots=True)
class Tracked:
    """An action tracked in the caseload (a help request): what the workbook carries of it."""

    number: int
    version: int
    status: str  # in words, as the caseload shows it: "in progress"
    owner: str  # the owner's email, "" for nobody
    due_on: dt.date | None
    is_open: bool
    org_id: int
    group: str
    area_name: str
    key: str  # the request's subject key
    subject: str


@dataclass(frozen=True, slots=True)
class NotResponded:
    """A group in the portfolio with no submitted answer yet, and its link for chasing."""

    org_id: int
    name: str
    area_name: str
    email: str | None
    link: str | None
    status: str  # "not started" or "draft", as the invitations list says it
    last_reminded: dt.date | None
    broker: str  # the group's broker's name, "" for none


def plan_lines(
    instrument: Instrument,
    offers: Mapping[str, SupportOffer],
    group: GroupResult,
    target: int,
) -> list[PlanLine]:
    """The group's actions: domains below target, biggest gap first (priority 1)."""
    order = {d.id: i for i, d in enumerate(instrument.domains)}
    gaps = [
        lv
        for lv in group.levels
        if lv.domain_id in order and lv.shown is not None and lv.shown < target
    ]
    gaps.sort(key=lambda lv: (-(target - lv.shown), order[lv.domain_id]))
    lines = []
    for priority, lv in enumerate(gaps, start=1):
        steps = instrument.domain(lv.domain_id).level(lv.shown).next_steps
        steps = sorted(steps, key=lambda s: HORIZONS.index(s.horizon))
        for step in steps:
            for offer_id in step.offers or (None,):
                offer = offers.get(offer_id) if offer_id else None
                lines.append(
                    PlanLine(
                        org_id=group.org_id,
                        group=group.name,
                        area_code=group.area_code,
                        area_name=group.area_name,
                        domain=lv.domain_name,
                        domain_id=lv.domain_id,
                        level=lv.shown,
                        shown_as=lv.shown_as,
                        target=target,
                        gap=target - lv.shown,
                        priority=priority,
                        action=step.text,
                        horizon=HORIZON_LABELS[step.horizon],
                        offer_id=offer_id,
                        offer=offer.name if offer else None,
                        provider=offer.provider if offer else None,
                    )
                )
    return lines


def cohort_counts(lines: Sequence[PlanLine]) -> dict[tuple[str, str, str], int]:
    """(offer name, area code, area name) -> how many groups need that offer there (by code
    as well as name: wards of one name lie in many places)."""
    pairs = {(ln.offer, ln.area_code, ln.area_name, ln.org_id) for ln in lines if ln.offer}
    return dict(Counter((offer, code, name) for offer, code, name, _ in pairs))


PLAN_COLUMNS = (
    ("Id", 14),
    ("Group id", 9),
    ("Group", 30),
    ("Area", 22),
    ("Domain", 26),
    ("Level", 8),
    ("Level shown", 14),
    ("Target", 8),
    ("Gap", 6),
    ("Priority", 9),
    ("Next step", 50),
    ("Horizon", 26),
    ("Support offer", 34),
    ("Provider", 30),
    ("Owner", 18),
    ("Due date", 12),
    ("Status", 13),
    ("Version", 8),
)
EDITABLE = ("Owner", "Due date", "Status")  # what an import reads, with Id and Version


# Excel keeps at most 1,023 manual page breaks in a sheet (MS-XLSB 2.4.196) and asks to
# repair a file with more; groups after that many run on without a break.
MAX_PAGE_BREAKS = 1023
BREAKS_NOTE = (
    "One page per group",
    f"Excel allows {MAX_PAGE_BREAKS:,} page breaks in a sheet, so groups after the "
    f"{MAX_PAGE_BREAKS:,}th follow on without one: export one area at a time to print "
    "every group on a page of its own.",
)


def write_support_plans(
    out: str | Path | IO[bytes],
    *,
    instrument: Instrument,
    offers: Mapping[str, SupportOffer],
    groups: Sequence[GroupResult],
    target: int,
    method: Sequence[tuple[str, object]],
    not_responded: Sequence[NotResponded] | None = None,
    round_slug: str = "",
    tracked: Sequence[Tracked] = (),
    statuses: Sequence[str] = (),
) -> list[PlanLine]:
    """The support plans workbook; a cohort and a chasing sheet when not_responded is given.

    Each plan line carries its action's Id, owner, due date, status and version: the
    tracked help request about the same subject when there is one (``tracked``; its
    open request first, else its latest), else a plan Id naming the round, group and
    subject. Tracked requests no plan line is about get rows of their own. ``statuses``
    are the caseload's, in words, for the Status column's drop-down.
    """
    lines = [ln for g in groups for ln in plan_lines(instrument, offers, g, target)]
    paired = with_tracking(lines, tracked)  # both sheets' actions: worked out once
    wb = new_workbook()
    _plans_sheet(wb, paired, round_slug, statuses)
    _levels_sheet(wb, instrument, groups)
    _group_pages_sheet(wb, instrument, groups, paired)
    if not_responded is not None:
        _cohort_sheet(wb, lines)
        _chase_sheet(wb, not_responded)
    ws = new_sheet(wb, "Method", widths=(28, 100), freeze=None)
    write_key_values(ws, [*method, BREAKS_NOTE] if len(groups) > MAX_PAGE_BREAKS else method)
    save_workbook(wb, out)
    return lines


def with_tracking(
    lines: Sequence[PlanLine], tracked: Sequence[Tracked]
) -> tuple[list[tuple[PlanLine, Tracked | None]], list[Tracked]]:
    """Each plan line with the request about its offer, else about its step (the open one
    first, else the latest), and the requests no line is about, by group and number."""
    by_subject: dict[tuple[int, str], Tracked] = {}
    for t in sorted(tracked, key=lambda t: (not t.is_open, -t.number)):
        by_subject.setdefault((t.org_id, t.key), t)
    pairs = [
        (ln, next((by_subject[k] for k in keys if k in by_subject), None))
        for ln in lines
        for keys in [[(ln.org_id, key) for key in ln.subject_keys]]
    ]
    used = {t.number for _, t in pairs if t is not None}
    others = [t for t in tracked if t.number not in used]
    return pairs, sorted(others, key=lambda t: (t.group, t.org_id, t.number))


def _plans_sheet(wb, paired, round_slug: str, statuses) -> None:
    """Each plan line with its tracking, then the tracked requests no line is about
    (``paired``: ``with_tracking``'s)."""
    ws = new_sheet(wb, PLANS, widths=[w for _, w in PLAN_COLUMNS])
    ws.column_dimensions["R"].hidden = True  # Version: the optimistic lock, not for editing
    write_header(ws, [name for name, _ in PLAN_COLUMNS])
    pairs, others = paired
    for ln, t in pairs:
        write_row(
            ws,
            [
                request_id(t.number) if t else plan_id(round_slug, ln.org_id, ln.subject_key),
                ln.org_id,
                ln.group,
                ln.area_name,
                ln.domain,
                level_cell(ws, ln.level),
                ln.shown_as,
                ln.target,
                ln.gap,
                ln.priority,
                cell(ws, ln.action, wrap=True),
                ln.horizon,
                ln.offer or "",
                ln.provider or "",
                *_tracking(t),
            ],
        )
    for t in others:
        row = [request_id(t.number), t.org_id, t.group, t.area_name]
        row += [None] * 6 + [cell(ws, t.subject, wrap=True), None, None, None]
        write_row(ws, [*row, *_tracking(t)])
    last = len(pairs) + len(others) + 1
    add_filter(ws, len(PLAN_COLUMNS), last)
    add_date_check(ws, "P", 2, max(last, 2))
    add_status_choices(ws, "Q", 2, max(last, 2), statuses)
    ws.print_title_rows = "1:1"


def _tracking(t: Tracked | None) -> list:
    """Owner, due date, status and version: blank for an action not tracked yet."""
    if t is None:
        return [None, None, None, None]
    return [t.owner or None, t.due_on, t.status, t.version]


def _descriptor(instrument: Instrument, domain_id: str, level: int | None) -> str:
    """The domain's own words for the level ("" when not scored)."""
    words = instrument.level_words(domain_id, level)
    return f"{words[0]}: {words[1]}" if words else ""


def _descriptors(instrument: Instrument):
    """_descriptor, each (domain, level) worked out once: a portfolio's two sheets ask
    for them about 300,000 times."""
    known: dict[tuple[str, int | None], str] = {}

    def words(domain_id: str, level: int | None) -> str:
        key = (domain_id, level)
        if key not in known:
            known[key] = _descriptor(instrument, domain_id, level)
        return known[key]

    return words


def _levels_sheet(wb, instrument: Instrument, groups: Sequence[GroupResult]) -> None:
    domains = [d.id for d in instrument.domains]
    names = {d.id: d.name for d in instrument.domains}
    header = ["Group id", "Group", "Area", "Submitted", "Domain", "Self-assessed level"]
    header += ["Moderated level", "Moderation note", "Level shown", "What this level means here"]
    descriptor = _descriptors(instrument)
    ws = new_sheet(wb, "Levels", widths=(9, 30, 22, 12, 26, 12, 12, 40, 14, 60))
    write_header(ws, header)

    def levels(domain_id: str, level, moderated_level, note) -> list:
        """A line's cells after the group's: the same for each group at the same levels."""
        lv = GroupLevel(domain_id, names[domain_id], level, moderated_level, note)
        return [
            names[domain_id],
            level_cell(ws, lv.level, "" if lv.level is None else None),
            level_cell(ws, lv.moderated_level, "" if lv.moderated_level is None else None),
            cell(ws, lv.note or "", wrap=True),
            lv.shown_as,
            cell(ws, descriptor(domain_id, lv.shown), wrap=True),
        ]

    tails = Kept(lambda key: levels(*key), TAILS_KEPT)
    count = 0
    for g in groups:
        by_domain = {lv.domain_id: lv for lv in g.levels}
        for domain_id in domains:
            lv = by_domain.get(domain_id)
            key = (domain_id, None, None, None) if lv is None else (
                domain_id, lv.level, lv.moderated_level, lv.note or None
            )  # fmt: skip
            write_row(ws, [g.org_id, g.name, g.area_name, g.submitted_on, *tails[key]])
            count += 1
    add_filter(ws, len(header), count + 1)


GROUP_PAGES = "One page per group"


def _group_pages_sheet(wb, instrument, groups, paired) -> None:
    """Each group's plan as the one-page plan shows it, a page break after each group
    (``paired``: the plan lines with their tracking, ``with_tracking``'s)."""
    ws = new_sheet(wb, GROUP_PAGES, widths=(48, 14, 30, 40, 12, 13), freeze=None)
    ws.page_setup.fitToHeight = False
    pairs, others = paired
    actions_of: dict[int, list] = {}
    for ln, t in pairs:
        actions_of.setdefault(ln.org_id, []).append((ln, t))
    asked_of: dict[int, list[Tracked]] = {}
    for t in others:
        asked_of.setdefault(t.org_id, []).append(t)
    names = {d.id: d.name for d in instrument.domains}
    descriptor = _descriptors(instrument)
    count = 0
    breaks: list[Break] = []

    def add(values) -> None:
        nonlocal count
        write_row(ws, values)
        count += 1

    def level_line(domain_id: str, shown, moderated: bool, ambition) -> list:
        """A domain's line: the same for each group at the same level and ambition."""
        lv = GroupLevel(domain_id, names[domain_id], shown, shown if moderated else None)
        return [
            names[domain_id],
            level_cell(ws, lv.shown, "" if lv.shown is None else None),
            lv.shown_as,
            cell(ws, descriptor(domain_id, lv.shown), wrap=True),
            ambition if ambition is not None else "not given",
        ]

    def action(domain: str, text: str, horizon: str, offer: str | None, provider) -> list:
        """An action's first cells: the same in each group's plan that has it."""
        support = f"{offer} ({provider})" if offer else ""
        return [cell(ws, f"{domain}: {text}", wrap=True), horizon, cell(ws, support, wrap=True)]

    level_lines = Kept(lambda key: level_line(*key), TAILS_KEPT)
    action_cells = Kept(lambda key: action(*key), TAILS_KEPT)
    for g in groups:
        add([cell(ws, g.name, font=BOLD), g.area_name, f"Submitted {g.submitted_on or ''}"])
        add([cell(ws, h, fill=SUBHEADER_FILL) for h in
             ("Area of work", "Level now", "Level shown", "What the level means", "Ambition")])  # fmt: skip
        by_domain = {lv.domain_id: lv for lv in g.levels}
        for domain_id in names:
            lv = by_domain.get(domain_id)
            key = (domain_id, None, False, None) if lv is None else (
                domain_id, lv.shown, lv.moderated_level is not None, lv.ambition
            )  # fmt: skip
            add(level_lines[key])
        add([cell(ws, h, fill=SUBHEADER_FILL) for h in
             ("Agreed action", "When", "Support", "Owner", "Due date", "Status")])  # fmt: skip
        for ln, t in actions_of.get(g.org_id, []):
            add([*action_cells[ln.domain, ln.action, ln.horizon, ln.offer, ln.provider],
                 *_shown_tracking(t)])  # fmt: skip
        for t in asked_of.get(g.org_id, []):
            add([cell(ws, t.subject, wrap=True), "asked by the group", "",
                 *_shown_tracking(t)])  # fmt: skip
        add([])
        if len(breaks) < MAX_PAGE_BREAKS:
            breaks.append(Break(id=count))
    # Set once: openpyxl's append copies and checks the whole list each time (40,000
    # groups took minutes).
    ws.row_breaks.brk = breaks


def _shown_tracking(t: Tracked | None) -> list:
    """Owner, due date and status for reading: "not started" for an untracked action."""
    return [t.owner, t.due_on, t.status] if t else ["", None, "not started"]


NO_AREA = "No area given"  # the Cohort sheet's line for groups without an area
ALL_AREAS = "All areas"  # its last line: each offer's groups, wherever they are


def _cohort_sheet(wb, lines: Sequence[PlanLine]) -> None:
    """Areas down, offers across: a portfolio's groups can lie in thousands of areas (every
    small area of a county), far more than the 16,384 columns a sheet has, but it draws
    on a few dozen offers. The last line, outside the filter so that a sort leaves it
    there, counts each offer's groups once however many areas they are in."""
    counts = cohort_counts(lines)
    offers = sorted({offer for offer, _, _ in counts})
    areas = sorted({(name, code) for _, code, name in counts})
    ws = new_sheet(wb, "Cohort", widths=(30, 12, *[16] * len(offers)), freeze="C2")
    write_header(ws, ["Area", "Area code", *offers])
    for name, code in areas:
        write_row(ws, [name or NO_AREA, code, *(counts.get((o, code, name), 0) for o in offers)])
    groups_per_offer = Counter(o for o, _ in {(ln.offer, ln.org_id) for ln in lines if ln.offer})
    add_filter(ws, len(offers) + 2, len(areas) + 1)
    write_row(ws, [cell(ws, ALL_AREAS, font=BOLD), "", *(groups_per_offer[o] for o in offers)])


CHASE_HEADER = ("Group id", "Group", "Area", "Status", "Last reminded", "Broker", "Email",
                "Invitation link")  # fmt: skip


def _chase_sheet(wb, rows: Sequence[NotResponded]) -> None:
    ws = new_sheet(wb, "Not yet responded", widths=(9, 30, 22, 12, 14, 24, 30, 70))
    write_header(ws, CHASE_HEADER)
    for r in rows:
        write_row(ws, [r.org_id, r.name, r.area_name, r.status, r.last_reminded, r.broker,
                       r.email or "", r.link or "no invitation"])  # fmt: skip
    add_filter(ws, len(CHASE_HEADER), len(rows) + 1)
