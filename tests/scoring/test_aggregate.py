"""Summaries and suppression, checked against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from scoring.aggregate import summarise, t95
from scoring.disclosure import LevelBand, residual_suppression


def test_summary_of_five_scores():
    s = summarise([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], threshold=5)
    # mean 3, sd sqrt(2.5), half-width t(4) * sd / sqrt(5) = 2.776 * 0.7071 = 1.963
    assert (s.n, s.mean, s.median) == (5, 3, 3)
    assert s.ci_low == pytest.approx(3 - 2.776 * math.sqrt(2.5) / math.sqrt(5))
    assert s.ci_high == pytest.approx(3 + 2.776 * math.sqrt(2.5) / math.sqrt(5))
    assert s.suppressed is False  # the API publishes it as a JSON boolean, never null
    # one group at each level: no band of 5 can be made but the whole, which says nothing
    assert s.level_bands is None


def test_one_value_has_no_interval_and_two_have_one():
    """With a threshold of 1 or 2 (SURVEY_DISCLOSURE_THRESHOLD can be set so), one score
    has no spread to give an interval from; two, 2 and 4, have: mean 3, sd sqrt(2),
    half-width t(1) * sqrt(2) / sqrt(2) = 12.706, kept inside the scale as 1 to 5."""
    one = summarise([3.0], [3], threshold=1)
    assert (one.n, one.mean, one.median, one.ci_low, one.ci_high) == (1, 3, 3, None, None)
    two = summarise([2.0, 4.0], [2, 4], threshold=2)
    assert (two.n, two.mean, two.ci_low, two.ci_high) == (2, 3, 1.0, 5.0)
    wide = summarise([2.0, 2.2], [2, 2], threshold=2)  # half-width 12.706 * 0.1 = 1.27
    assert wide.ci_low == 1.0 and wide.ci_high == pytest.approx(2.1 + 12.706 * 0.1, abs=1e-3)


def test_interval_is_kept_inside_the_scale():
    s = summarise([1, 1, 1, 1, 5], [1, 1, 1, 1, 5], threshold=5)
    assert s.ci_low == 1.0  # the raw interval would go below 1


def test_under_the_threshold_nothing_is_given():
    s = summarise([2.0, 3.0, 4.0, 4.0], [2, 3, 4, 4], threshold=5)
    assert s.suppressed
    assert (s.n, s.mean, s.median, s.ci_low, s.level_bands) == (None, None, None, None, None)


def test_level_counts_come_only_in_bands_of_the_threshold():
    # levels 1,1,2,2,2,3,4,4,5,5: 1-2 holds 5, 3-5 holds 5
    s = summarise([1, 1, 2, 2, 2, 3, 4, 4, 5, 5], [1, 1, 2, 2, 2, 3, 4, 4, 5, 5], threshold=5)
    assert s.level_bands == (LevelBand(1, 2, 5), LevelBand(3, 5, 5))


def test_no_responses_is_empty_not_suppressed():
    s = summarise([], [], threshold=5)
    assert s.n == 0 and not s.suppressed and s.mean is None


# Two-sided 95% critical values of Student's t as published in statistical tables
# (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), to the tables' own decimals.
PUBLISHED_T95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 5: 2.571, 10: 2.228, 20: 2.086, 29: 2.045, 30: 2.042,
    31: 2.0395, 35: 2.0301, 40: 2.0211, 50: 2.0086, 60: 2.0003, 80: 1.9901,
    100: 1.9840, 120: 1.9799, 1000: 1.9623,
}  # fmt: skip


@pytest.mark.parametrize(("df", "value"), sorted(PUBLISHED_T95.items()))
def test_t_values_match_published_tables_at_small_and_moderate_df(df, value):
    decimals = len(str(value).split(".")[1])
    assert t95(df) == pytest.approx(value, abs=0.5 * 10**-decimals)


def test_t_values_need_two_values():
    with pytest.raises(ValueError, match="^a t interval needs at least two values$"):
        t95(0)


def _two_sided(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with df degrees of freedom, by the closed forms of
    Abramowitz and Stegun 26.7.3 (odd df) and 26.7.4 (even df), theta = atan(t / sqrt(df))."""
    theta = math.atan(t / math.sqrt(df))
    c2, sin = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:
        if df == 1:
            return 2 * theta / math.pi
        term = total = math.cos(theta)
        for k in range(1, (df - 3) // 2 + 1):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return 2 / math.pi * (theta + sin * total)
    term = total = 1.0
    for k in range(1, (df - 2) // 2 + 1):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return sin * total


def _exact_t95(df: int) -> float:
    low, high = 0.0, 20.0
    for _ in range(100):  # bisection: P(|T| <= t) = 0.95
        middle = (low + high) / 2
        low, high = (middle, high) if _two_sided(middle, df) < 0.95 else (low, middle)
    return low


def test_the_t_values_agree_with_the_exact_quantiles():
    """Against quantiles worked out from Student's distribution itself (closed forms, not
    tables): to 1 to 30 df the stored table, given to 3 decimals, is within half of its last
    decimal; beyond 30 the expansion is within 0.000002, as its note says."""
    assert _exact_t95(1) == pytest.approx(12.7062047, abs=1e-7)  # the oracle, by the tables
    assert _exact_t95(30) == pytest.approx(2.0422725, abs=1e-7)
    for df in range(1, 31):
        assert abs(t95(df) - _exact_t95(df)) <= 0.0005, df
    for df in (31, 32, 33, 35, 40, 50, 60, 80, 120, 1000):
        assert abs(t95(df) - _exact_t95(df)) < 0.000002, df


def _sets(**sizes: int) -> dict[str, frozenset]:
    """Disjoint member sets of the given sizes, one per area."""
    return {name: frozenset(f"{name}{k}" for k in range(n)) for name, n in sizes.items()}


def _with_parent(parent: str, children: dict[str, frozenset], extra: int = 0) -> dict:
    union = frozenset().union(*children.values()) | {f"{parent}x{k}" for k in range(extra)}
    return {parent: union, **children}


def test_one_small_child_makes_its_smallest_sibling_hidden_too():
    # parent P = 3 + 6 + 9: with only A (3, not shown) hidden, P - B - C would give A's 3
    sets = _with_parent("P", _sets(A=3, B=6, C=9))
    shown = {k: v for k, v in sets.items() if k != "A"}
    assert residual_suppression(shown, {"P": ["A", "B", "C"]}, 5, hidden={"A"}) == {"A", "B"}


def test_two_small_children_need_nothing_more():
    # P - C leaves A and B together: 7 groups
    sets = _with_parent("P", _sets(A=3, B=4, C=10))
    shown = {"P": sets["P"], "C": sets["C"]}
    assert residual_suppression(shown, {"P": ["A", "B", "C"]}, 5) == set()


def test_children_with_no_responses_do_not_count_as_hidden():
    sets = _with_parent("P", _sets(B=9))
    shown = {"P": sets["P"], "A": frozenset(), "B": sets["B"], "C": frozenset()}
    assert residual_suppression(shown, {"P": ["A", "B", "C"]}, 5) == set()


def test_groups_in_the_parent_but_in_no_child_count_in_what_is_left():
    # P holds A (3, hidden), B (10) and 4 groups in no child: P - B leaves 7, not A's 3
    sets = _with_parent("P", _sets(A=3, B=10), extra=4)
    shown = {"P": sets["P"], "B": sets["B"]}
    assert residual_suppression(shown, {"P": ["A", "B"]}, 5) == set()


def test_suppression_carries_down_the_tree():
    # G = P1 + P2: P1 (3) is small, so P2 is hidden too. X (2) is small; its parent P2
    # is hidden, so P2 - Y cannot be worked out and Y can stay.
    lower = _with_parent("P2", _sets(X=2, Y=15))
    sets = _with_parent("G", {"P1": _sets(P1=3)["P1"], "P2": lower["P2"]})
    shown = {"G": sets["G"], "P2": lower["P2"], "Y": lower["Y"]}
    children = {"G": ["P1", "P2"], "P2": ["X", "Y"]}
    assert residual_suppression(shown, children, 5) == {"P2"}
