"""Referral readiness as workbook rows, the same in the board pack and the area roadmap."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.readiness import Readiness

from .workbook_style import SUPPRESSED_FILL, cell

READY_COLUMNS = ("Figure", "Groups saying yes", "Groups answering", "Share", "Places a month")
NOT_SHOWN = "not shown"


@dataclass(frozen=True)
class ReadinessRow:
    """One readiness figure: a share (yes of answering) or a total of places a month."""

    label: str
    yes: int | None
    answering: int | None
    share: float | None
    places: float | None
    is_total: bool = False


def readiness_rows(ready: Readiness) -> list[ReadinessRow]:
    """One row per figure, in the order the pages show them; numbers None where not shown."""
    rows = []
    for s in (ready.receiving, ready.supported):
        if s is not None:
            rows.append(ReadinessRow(s.label, s.yes, s.answered, s.share, None))
    for s in ready.navigation:
        rows.append(
            ReadinessRow(f"Care navigation offered: {s.label}", s.yes, s.answered, s.share, None)
        )
    for s in ready.top_help:
        rows.append(ReadinessRow(f"Help wanted: {s.label}", s.yes, s.answered, s.share, None))
    if ready.asks_capacity:
        rows.append(
            ReadinessRow(
                "Extra people groups could take a month",
                None,
                ready.capacity_groups,
                None,
                ready.capacity_total,
                is_total=True,
            )
        )
    return rows


def readiness_cells(ws, row: ReadinessRow) -> list:
    """The row's cells under READY_COLUMNS; 'not shown' (grey) where a figure is withheld."""

    def shown(value, fmt=None):
        if value is None:
            return cell(ws, NOT_SHOWN, fill=SUPPRESSED_FILL)
        return cell(ws, value, number_format=fmt) if fmt else value

    if row.is_total:
        return [row.label, "", shown(row.answering), "", shown(row.places, "#,##0")]
    return [row.label, shown(row.yes), shown(row.answering), shown(row.share, "0%"), ""]
