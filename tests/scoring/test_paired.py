"""Paired change: the mean of later minus earlier scores, a 95% t-interval and a plain verdict."""

from __future__ import annotations

import pytest

from scoring.paired import NO_PAIRS, NOT_REAL, NOT_SHOWN, REAL, paired_change


def test_a_change_worked_by_hand():
    # differences 0.5, 0.5, 0, 0.5, 1.0: mean 2.5 / 5 = 0.5; deviations 0, 0, -0.5, 0, 0.5,
    # sum of squares 0.5, variance 0.5 / 4 = 0.125, sd 0.353553, se 0.353553 / sqrt(5)
    # = 0.158114; t(4) = 2.776, half-width 0.438924: 0.0611 to 0.9389, above zero
    change = paired_change([0.5, 0.5, 0.0, 0.5, 1.0], threshold=5)
    assert change.n == 5 and change.mean == pytest.approx(0.5)
    assert change.ci_low == pytest.approx(0.0611, abs=1e-4)
    assert change.ci_high == pytest.approx(0.9389, abs=1e-4)
    assert change.real is True and change.flag == REAL


def test_an_interval_across_zero_is_no_real_change():
    # differences -1, 1, -1, 1, 0.5: mean 0.1; the interval runs from below to above zero
    change = paired_change([-1.0, 1.0, -1.0, 1.0, 0.5], threshold=5)
    assert change.ci_low < 0 < change.ci_high
    assert change.real is False and change.flag == NOT_REAL


def test_a_fall_is_real_too_and_the_interval_is_not_clipped_to_the_scale():
    change = paired_change([-2.0, -2.5, -2.0, -3.0, -2.5], threshold=5)
    assert change.ci_high < 0 and change.flag == REAL
    assert change.ci_low < -2.5  # a difference, not a score: no 1 to 5 clipping


def test_too_few_pairs_show_nothing_and_none_say_so():
    assert paired_change([0.5] * 4, threshold=5) == NOT_SHOWN
    assert NOT_SHOWN.flag == "" and NOT_SHOWN.mean is None
    assert paired_change([], threshold=5) == NO_PAIRS
