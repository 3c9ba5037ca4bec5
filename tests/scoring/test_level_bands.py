"""The real instruments' level bands, pinned, and hand-worked scores at and around each boundary.

Every instrument scores items 1..5 and cuts that range into five equal bands
of width (5 - 1) / 5 = 0.8, so the levels start at 1.0, 1.8, 2.6, 3.4 and 4.2
(instruments/FORMAT.md). A score on a boundary belongs to the level above it.
The expected levels below come from that table and from exact fractions worked
out here, never from the code's own ``band``.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pandas as pd
import pytest

from instruments import DEFINITIONS_DIR, load_registry
from scoring import score_frame, score_response
from scoring.response import option_scores, routed_out

STARTS = (Fraction(1), Fraction(9, 5), Fraction(13, 5), Fraction(17, 5), Fraction(21, 5))


def level_of(score: Fraction) -> int:
    """The pinned table: the highest level whose start is at or below the score."""
    return max(level for level, start in enumerate(STARTS, 1) if score >= start)


INSTRUMENTS = list(load_registry(DEFINITIONS_DIR).all())


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
def test_level_bands_are_five_equal_bands_over_one_to_five(instrument):
    starts = [(lv.level, Fraction(lv.min_score).limit_denominator(100)) for lv in instrument.levels]
    assert starts == list(enumerate(STARTS, 1))


def _exact_domain_score(domain, answers, scores_of) -> Fraction:
    """The rule by hand: weighted mean of the answered items' scores, reversed ones turned round."""
    total = weights = Fraction(0)
    for item in domain.items:
        score = scores_of[item.question][answers[item.question]]
        if item.reverse:
            score = 6 - score
        weight = Fraction(item.weight).limit_denominator(100)
        total += weight * score
        weights += weight
    return total / weights


def _boundary_cases(instrument, draws: int = 1500):
    """Answer sets (every scored item answered, nothing routed out) whose exact domain or
    overall score lands on a level boundary or on the nearest value below one."""
    rng = random.Random(f"bands-{instrument.id}")
    items = [i.question for d in instrument.domains for i in d.items]
    scores_of = {
        q: {
            v: Fraction(s).limit_denominator(100)
            for v, s in option_scores(instrument.question(q)).items()
        }
        for q in items
    }
    choices = {q: sorted(values) for q, values in scores_of.items()}
    routed = [
        q for q in items if instrument.question(q).skip_if or instrument.section_of(q).skip_if
    ]
    found: dict[tuple[str, str], tuple[Fraction, dict]] = {}
    for _ in range(draws):
        answers = {q: rng.choice(values) for q, values in choices.items()}
        if any(routed_out(instrument, q, answers) for q in routed):
            continue
        scores = {d.id: _exact_domain_score(d, answers, scores_of) for d in instrument.domains}
        if instrument.overall.method == "minimum":
            continue
        weights = dict(instrument.overall.weights)
        w = {d: Fraction(weights.get(d, 1.0)).limit_denominator(100) for d in scores}
        scores["overall"] = sum(w[d] * s for d, s in scores.items()) / sum(w.values())
        for key, score in scores.items():
            for start in STARTS[1:]:
                if score == start:
                    found.setdefault((key, f"at {start}"), (score, answers))
                elif start - Fraction(1, 5) <= score < start:
                    best = found.get((key, f"under {start}"))
                    if best is None or score > best[0]:
                        found[(key, f"under {start}")] = (score, answers)
    return found


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
def test_scores_at_and_just_under_each_boundary_get_the_pinned_level(instrument):
    cases = _boundary_cases(instrument)
    # Every boundary has a case just under it (a score exactly on one is drawn where the
    # number of items allows it; its float may come out a hair under, and still reaches it).
    under = {label for _, label in cases if label.startswith("under")}
    assert under == {f"under {start}" for start in STARTS[1:]}
    rows = [answers for _, answers in cases.values()]
    frame = score_frame(instrument, pd.DataFrame(rows))
    for i, ((key, label), (exact, answers)) in enumerate(cases.items()):
        expected = level_of(exact)
        one = score_response(instrument, answers)
        if key == "overall":
            got_one, got_batch = one.overall_level, frame.iloc[i]["overall.level"]
        else:
            got_one, got_batch = one.domain(key).level, frame.iloc[i][f"{key}.level"]
        assert got_one == expected, (key, label, exact)
        assert got_batch == expected, (key, label, exact)
