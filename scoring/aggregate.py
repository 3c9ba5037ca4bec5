"""Summaries of many scores (n, mean, median, interval, level counts) and small-number suppression.

Pure functions over plain numbers; the shell decides which scores belong to
which area. A summary under the disclosure threshold carries no numbers at
all, so that nothing downstream (page, map, workbook, API) can show one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Two-sided 95% critical values of Student's t for 1..30 degrees of freedom.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


_Z975 = 1.959963984540054  # the normal distribution's 97.5th percentile


def t95(df: int) -> float:
    """The 97.5th percentile of Student's t with df degrees of freedom."""
    if df < 1:
        raise ValueError("a t interval needs at least two values")
    if df <= len(_T95):
        return _T95[df - 1]
    # Beyond 30, the Cornish-Fisher expansion around the normal quantile z to 1/df^4
    # (Abramowitz and Stegun 26.7.5) agrees with published tables to 4 decimals.
    z = _Z975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4)
    )


@dataclass(frozen=True)
class Summary:
    """What can be said about a set of scores; all None when suppressed."""

    n: int | None
    mean: float | None
    median: float | None
    ci_low: float | None
    ci_high: float | None
    level_counts: tuple[int, ...] | None  # responses at levels 1..5
    suppressed: bool

    @property
    def empty(self) -> bool:
        """True when there is nothing at all (n = 0), which reveals nothing."""
        return self.n == 0


SUPPRESSED = Summary(None, None, None, None, None, None, True)
EMPTY = Summary(0, None, None, None, None, (0, 0, 0, 0, 0), False)


def summarise(scores: Sequence[float], levels: Sequence[int], threshold: int) -> Summary:
    """n, mean, median, 95% t-interval and level counts; suppressed when 0 < n < threshold."""
    n = len(scores)
    if n == 0:
        return EMPTY
    if n < threshold:
        return SUPPRESSED
    mean = statistics.fmean(scores)
    if n > 1:
        half = t95(n - 1) * statistics.stdev(scores) / math.sqrt(n)
        low, high = max(1.0, mean - half), min(5.0, mean + half)
    else:
        low = high = None
    counts = tuple(sum(1 for lv in levels if lv == k) for k in range(1, 6))
    return Summary(n, mean, statistics.median(scores), low, high, counts, False)


def secondary_suppression(
    counts: Mapping[str, int], children: Mapping[str, Iterable[str]], threshold: int
) -> set[str]:
    """Areas to suppress so no small count can be worked out by subtraction.

    ``counts`` is n per area, ``children`` lists each parent's child areas.
    An area is suppressed when 0 < n < threshold. Then, while some shown parent
    has exactly one suppressed child with responses, its smallest shown child
    with responses is suppressed too (parent minus the others would give it).
    """
    suppressed = {a for a, n in counts.items() if 0 < n < threshold}
    changed = True
    while changed:
        changed = False
        for parent, kids in children.items():
            if parent in suppressed or counts.get(parent, 0) == 0:
                continue
            with_responses = [k for k in kids if counts.get(k, 0) > 0]
            hidden = [k for k in with_responses if k in suppressed]
            shown = [k for k in with_responses if k not in suppressed]
            if len(hidden) == 1 and shown:
                suppressed.add(min(shown, key=lambda k: (counts[k], k)))
                changed = True
    return suppressed
