"""The board pack: what a board asks of every survey run more than once, for one area.

Pure: the shell passes each instrument's rounds with their figures already as
published (suppressed figures are None). This words the one-page summary and
writes the workbook: response rate per round; mean and level spread with
intervals; change among the same groups from one round to the next (paired,
with an interval and a plain "real change" / "no real change"); the share of
groups at or above the target level; referral readiness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from instruments import OVERALL
from scoring.paired import PairedChange
from scoring.readiness import Readiness

from .readiness import READY_COLUMNS, readiness_cells, readiness_rows
from .workbook_style import (
    SUPPRESSED_FILL,
    add_filter,
    cell,
    level_cell,
    new_sheet,
    new_workbook,
    save_workbook,
    write_header,
    write_key_values,
    write_row,
)

NOT_SHOWN = "not shown"


@dataclass(frozen=True)
class DomainFigures:
    """One domain (or overall) in one round for the area; numbers None when not shown."""

    domain_id: str
    name: str
    n: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    level: int | None
    bands: str  # groups by level in bands ("" when not shown)
    at_target: tuple[int, int] | None  # (groups at or above the target, groups scored)
    change: PairedChange | None  # since the previous round (None in the first round)

    @property
    def target_share(self) -> float | None:
        """Share of groups at or above the target level."""
        if self.at_target is None or not self.at_target[1]:
            return None
        return self.at_target[0] / self.at_target[1]


@dataclass(frozen=True)
class RoundFigures:
    """One round of an instrument for the area."""

    slug: str
    title: str
    year: str
    version: str
    invited: int | None
    responded: int | None  # None when the count may not be shown
    target_level: int | None
    previous_title: str | None
    domains: tuple[DomainFigures, ...]
    readiness: Readiness | None

    @property
    def rate(self) -> float | None:
        """Responses as a share of invitations."""
        if self.responded is None or not self.invited:
            return None
        return self.responded / self.invited

    def domain(self, domain_id: str) -> DomainFigures | None:
        """One domain's figures, if the round has it."""
        return next((d for d in self.domains if d.domain_id == domain_id), None)


@dataclass(frozen=True)
class InstrumentPack:
    """An instrument run more than once, with its rounds oldest first."""

    instrument_id: str
    title: str
    rounds: tuple[RoundFigures, ...]


def percent(share: float | None) -> str:
    """A share as a whole percentage ('' when none)."""
    return "" if share is None else f"{share:.0%}"


def change_text(change: PairedChange | None) -> str:
    """'+0.40 (0.12 to 0.68), real change, 14 groups' or why there is none."""
    if change is None:
        return "first round"
    if change.suppressed:
        return "not shown (too few groups answered both rounds)"
    if not change.n:
        return "no group answered both rounds"
    if change.ci_low is None:
        return f"{change.mean:+.2f}, {change.n} groups"
    return (
        f"{change.mean:+.2f} ({change.ci_low:+.2f} to {change.ci_high:+.2f}), "
        f"{change.flag}, {change.n} groups"
    )


def rounds_in_words(pack: InstrumentPack) -> str:
    """Each round oldest first with its year, version and target level, for the method sheet."""
    return "; ".join(
        f"{r.title}, {r.year} (version {r.version}): "
        + (f"target level {r.target_level}" if r.target_level is not None else "no target set")
        for r in pack.rounds
    )


def summary_lines(pack: InstrumentPack) -> list[str]:
    """The one-page summary for an instrument: its latest round against the one before."""
    last = pack.rounds[-1]
    lines = []
    rate = percent(last.rate)
    lines.append(
        f"{last.title}: {last.responded} of {last.invited} invited groups answered ({rate})."
        if rate
        else f"{last.title}: response rate not shown."
    )
    overall = last.domain(OVERALL)
    if overall is not None and overall.mean is not None:
        text = f"Overall mean {overall.mean:.2f}"
        if overall.ci_low is not None:
            text += f" (95% interval {overall.ci_low:.2f} to {overall.ci_high:.2f})"
        lines.append(text + f", n={overall.n}.")
    else:
        lines.append("Overall mean not shown (too few groups).")
    if overall is not None and overall.change is not None:
        lines.append(
            f"Change among the same groups since {last.previous_title}: "
            f"{change_text(overall.change)}."
        )
    if overall is not None and last.target_level is not None:
        share = percent(overall.target_share)
        lines.append(
            f"At or above target level {last.target_level}: {share} of groups "
            f"({overall.at_target[0]} of {overall.at_target[1]})."
            if share
            else f"Share at or above target level {last.target_level}: not shown."
        )
    ready = last.readiness
    if ready is not None and ready.anything:
        bits = []
        if ready.receiving and ready.receiving.shown:
            bits.append(f"{percent(ready.receiving.share)} of groups receive referrals")
        if ready.supported and ready.supported.shown:
            bits.append(f"{percent(ready.supported.share)} feel involved and supported")
        if ready.capacity_total is not None:
            bits.append(f"{ready.capacity_total:,.0f} extra places a month")
        if bits:
            lines.append("Referral readiness: " + "; ".join(bits) + ".")
    return lines


def _num(ws, value: float | None, fmt: str = "0.00"):
    if value is None:
        return cell(ws, NOT_SHOWN, fill=SUPPRESSED_FILL)
    return cell(ws, round(value, 4), number_format=fmt)


def _int(ws, value: int | None):
    return cell(ws, NOT_SHOWN, fill=SUPPRESSED_FILL) if value is None else value


RATE_HEADER = ("Survey", "Round", "Year", "Invited", "Responded", "Response rate")
LEVEL_HEADER = ("Survey", "Round", "Domain", "n", "Mean", "95% CI low", "95% CI high",
                "Level", "Groups by level")  # fmt: skip
CHANGE_HEADER = ("Survey", "From round", "To round", "Domain", "Groups in both rounds",
                 "Mean change", "95% CI low", "95% CI high", "Verdict")  # fmt: skip
TARGET_HEADER = ("Survey", "Round", "Domain", "Target level", "Groups at or above target",
                 "Groups scored", "Share at or above target")  # fmt: skip
READY_HEADER = ("Survey", "Round", *READY_COLUMNS)


def write_board_pack(
    out: str | Path | IO[bytes],
    *,
    area_name: str,
    packs: Sequence[InstrumentPack],
    method: Sequence[tuple[str, object]],
) -> None:
    """The board pack workbook: summary, response rates, levels, change, target, readiness."""
    wb = new_workbook()
    ws = new_sheet(wb, "Summary", widths=(120,), freeze=None)
    write_row(ws, [cell(ws, f"{area_name}: board pack", wrap=True)])
    for pack in packs:
        write_row(ws, [cell(ws, pack.title, wrap=True)])
        for line in summary_lines(pack):
            write_row(ws, [cell(ws, line, wrap=True)])
    if not packs:
        write_row(ws, [cell(ws, "No survey has been run more than once yet.", wrap=True)])
    _rates(wb, packs)
    _levels(wb, packs)
    _changes(wb, packs)
    _targets(wb, packs)
    _readiness(wb, packs)
    sheet = new_sheet(wb, "Method", widths=(24, 110), freeze=None)
    write_key_values(sheet, method)
    save_workbook(wb, out)


def _rates(wb, packs) -> None:
    ws = new_sheet(wb, "Response rate", widths=(40, 40, 8, 10, 11, 14))
    write_header(ws, RATE_HEADER)
    rows = 0
    for pack in packs:
        for r in pack.rounds:
            write_row(
                ws,
                [pack.title, r.title, r.year, _int(ws, r.invited), _int(ws, r.responded),
                 _num(ws, r.rate, "0%")],
            )  # fmt: skip
            rows += 1
    add_filter(ws, len(RATE_HEADER), rows + 1)


def _levels(wb, packs) -> None:
    ws = new_sheet(wb, "Levels", widths=(30, 34, 30, 7, 9, 11, 11, 8, 40))
    write_header(ws, LEVEL_HEADER)
    rows = 0
    for pack in packs:
        for r in pack.rounds:
            for d in r.domains:
                write_row(
                    ws,
                    [
                        pack.title,
                        r.title,
                        d.name,
                        _int(ws, d.n),
                        _num(ws, d.mean),
                        _num(ws, d.ci_low),
                        _num(ws, d.ci_high),
                        level_cell(ws, d.level, None if d.level else NOT_SHOWN),
                        d.bands or NOT_SHOWN,
                    ],
                )
                rows += 1
    add_filter(ws, len(LEVEL_HEADER), rows + 1)


def _changes(wb, packs) -> None:
    ws = new_sheet(wb, "Change", widths=(30, 34, 34, 30, 10, 11, 11, 11, 16))
    write_header(ws, CHANGE_HEADER)
    rows = 0
    for pack in packs:
        for r in pack.rounds[1:]:
            for d in r.domains:
                c = d.change
                shown = c is not None and not c.suppressed and bool(c.n)
                write_row(
                    ws,
                    [
                        pack.title,
                        r.previous_title or "",
                        r.title,
                        d.name,
                        _int(ws, c.n if c is not None and not c.suppressed else None),
                        _num(ws, c.mean if shown else None, "+0.00;-0.00;0.00"),
                        _num(ws, c.ci_low if shown else None, "+0.00;-0.00;0.00"),
                        _num(ws, c.ci_high if shown else None, "+0.00;-0.00;0.00"),
                        c.flag if shown and c.flag else change_text(c),
                    ],
                )
                rows += 1
    add_filter(ws, len(CHANGE_HEADER), rows + 1)


def _targets(wb, packs) -> None:
    ws = new_sheet(wb, "At target", widths=(30, 34, 30, 8, 12, 10, 12))
    write_header(ws, TARGET_HEADER)
    rows = 0
    for pack in packs:
        for r in pack.rounds:
            for d in r.domains:
                at = d.at_target
                write_row(
                    ws,
                    [
                        pack.title,
                        r.title,
                        d.name,
                        r.target_level if r.target_level is not None else "none set",
                        _int(ws, at[0] if at else None),
                        _int(ws, at[1] if at else None),
                        _num(ws, d.target_share, "0%"),
                    ],
                )
                rows += 1
    add_filter(ws, len(TARGET_HEADER), rows + 1)


def _readiness(wb, packs) -> None:
    ws = new_sheet(wb, "Referral readiness", widths=(30, 34, 60, 10, 10, 9, 10))
    write_header(ws, READY_HEADER)
    rows = 0
    for pack in packs:
        for r in pack.rounds:
            if r.readiness is None:
                continue
            for row in readiness_rows(r.readiness):
                write_row(ws, [pack.title, r.title, *readiness_cells(ws, row)])
                rows += 1
    add_filter(ws, len(READY_HEADER), rows + 1)
