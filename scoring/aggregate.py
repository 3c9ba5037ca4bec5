"""Summaries of many scores (n, mean, median, interval, level bands) with small-number suppression.

Pure functions over plain numbers; the shell decides which scores belong to
which area. A summary under the disclosure threshold carries no numbers at
all, so that nothing downstream (page, map, workbook, API) can show one; which
figures may be published across areas and over time is scoring.disclosure's.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .disclosure import LevelBand, level_bands

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
    # Beyond 30, the Cornish-Fisher expansion around the normal quantile z to 1/df^3
    # (Abramowitz and Stegun 26.7.5) agrees with published tables to 4 decimals (the next
    # term adds under 0.000002 at df 31).
    z = _Z975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


@dataclass(frozen=True)
class Summary:
    """What can be said about a set of scores; all None when suppressed."""

    n: int | None
    mean: float | None
    median: float | None
    ci_low: float | None
    ci_high: float | None
    level_bands: tuple[LevelBand, ...] | None  # groups by level, in bands (None: not shown)
    suppressed: bool

    @property
    def empty(self) -> bool:
        """True when there is nothing at all (n = 0), which reveals nothing."""
        return self.n == 0


SUPPRESSED = Summary(None, None, None, None, None, None, True)
EMPTY = Summary(0, None, None, None, None, None, False)


def summarise(scores: Sequence[float], levels: Sequence[int], threshold: int) -> Summary:
    """n, mean, median, 95% t-interval and level bands; suppressed when 0 < n < threshold.

    Level counts are never given as they are: only bands of at least ``threshold``
    groups, and none when every group would be in one band.
    """
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
    bands = level_bands(counts, threshold)
    return Summary(n, mean, statistics.median(scores), low, high, bands, False)
