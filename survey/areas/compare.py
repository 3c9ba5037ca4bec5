"""Comparing localities: a row per domain, a cell per area, and which gaps are beyond doubt.

A difference is called larger than its uncertainty when the two 95% intervals
do not overlap: a conservative reading (non-overlap implies a significant
difference; overlap does not prove there is none), which is said on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from ..aggregates import AreaAggregate
from ..models import OVERALL, Area, Round

MIN_AREAS, MAX_AREAS = 2, 6


@dataclass(frozen=True)
class Cell:
    """One area's figures in one domain."""

    area: Area
    aggregate: AreaAggregate

    @property
    def shown(self) -> bool:
        """True when there is a mean to show (not suppressed, not empty)."""
        s = self.aggregate.summary
        return not self.aggregate.suppressed and s.mean is not None

    @property
    def has_interval(self) -> bool:
        """True when the mean has a 95% interval."""
        s = self.aggregate.summary
        return self.shown and s.ci_low is not None and s.ci_high is not None


@dataclass(frozen=True)
class DomainRow:
    """One domain across the compared areas."""

    domain_id: str
    domain_name: str
    cells: list[Cell]


def compare_rows(
    round_: Round, areas: list[Area], aggregates: list[AreaAggregate]
) -> list[DomainRow]:
    """Overall first, then the instrument's domains, each with one cell per area in order."""
    by_key = {(a.area.id, a.domain_id): a for a in aggregates}
    domain_ids: list[tuple[str, str]] = []
    for a in aggregates:
        if (a.domain_id, a.domain_name) not in domain_ids:
            domain_ids.append((a.domain_id, a.domain_name))
    domain_ids.sort(key=lambda d: d[0] != OVERALL)
    return [
        DomainRow(d, name, [Cell(area, by_key[(area.id, d)]) for area in areas])
        for d, name in domain_ids
    ]


def _fmt(cell: Cell) -> str:
    s = cell.aggregate.summary
    return f"{cell.area.name} ({s.mean:.2f}, 95% interval {s.ci_low:.2f} to {s.ci_high:.2f})"


def differences(rows: list[DomainRow]) -> list[str]:
    """Plain sentences naming each pair of areas whose 95% intervals do not overlap."""
    notes = []
    for row in rows:
        for a, b in combinations([c for c in row.cells if c.has_interval], 2):
            sa, sb = a.aggregate.summary, b.aggregate.summary
            if sa.ci_low > sb.ci_high:
                high, low = a, b
            elif sb.ci_low > sa.ci_high:
                high, low = b, a
            else:
                continue
            notes.append(f"{row.domain_name}: {_fmt(high)} is higher than {_fmt(low)}.")
    return notes
