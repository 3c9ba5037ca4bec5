"""Change among the same groups from one round to the next: a paired mean with its interval.

Pure. The shell pairs each group's score in a domain in the earlier round with
its score in the later one; the change is the mean of the differences, with a
95% t-interval (the t quantile is scoring.aggregate's). A change is "real"
when the interval does not include zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .aggregate import t95

REAL = "real change"
NOT_REAL = "no real change"


@dataclass(frozen=True)
class PairedChange:
    """Mean change among the groups that answered both rounds; all None when not shown."""

    n: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool

    @property
    def real(self) -> bool | None:
        """True when the 95% interval excludes zero (None when there is no interval)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def flag(self) -> str:
        """'real change', 'no real change', or '' when nothing can be said."""
        if self.real is None:
            return ""
        return REAL if self.real else NOT_REAL


NOT_SHOWN = PairedChange(None, None, None, None, True)
NO_PAIRS = PairedChange(0, None, None, None, False)


def paired_change(differences: Sequence[float], threshold: int) -> PairedChange:
    """Mean of later minus earlier scores, 95% t-interval; not shown when 0 < n < threshold."""
    n = len(differences)
    if n == 0:
        return NO_PAIRS
    if n < threshold:
        return NOT_SHOWN
    mean = statistics.fmean(differences)
    if n < 2:
        return PairedChange(n, mean, None, None, False)
    half = t95(n - 1) * statistics.stdev(differences) / math.sqrt(n)
    return PairedChange(n, mean, mean - half, mean + half, False)
