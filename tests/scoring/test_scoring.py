"""Scoring one response by hand-worked examples, and many at once against one at a time.

The expected numbers come from the rule in instruments/FORMAT.md applied by hand
to tests/instruments/valid/mini-1.yaml (levels start at 1.0, 1.8, 2.6, 3.4, 4.2;
"online" = 2 x directory + web_updates + reversed online_worry, over their weights).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instruments import DEFINITIONS_DIR, DONT_KNOW, NOT_APPLICABLE, load_all, load_registry
from scoring import band, score_frame, score_response
from scoring.response import score_domain

VALID = Path(__file__).parent.parent / "instruments" / "valid"


@pytest.fixture(scope="module")
def mini():
    registry, errors = load_all([VALID])
    assert errors == []
    return registry.get("mini", "1")


def test_weighted_reverse_coded_domain(mini):
    # directory kept = 4 (weight 2), agree = 4, strongly agree reversed = 6 - 5 = 1
    # (2*4 + 4 + 1) / 4 = 3.25: at least 2.6, below 3.4, so level 3
    result = score_response(
        mini,
        {
            "has_website": "yes",
            "directory": "kept",
            "web_updates": "agree",
            "online_worry": "strongly_agree",
        },
    ).domain("online")
    assert result.score == pytest.approx(3.25)
    assert (result.level, result.level_name) == (3, "Developing")
    assert (result.answered, result.applicable) == (3, 3)
    assert result.explanation == (
        "Being online: 3 of 3 questions answered, average 3.2, level 3 Developing."
    )


def test_not_applicable_and_routed_out_items_do_not_count(mini):
    # no website: web_updates is skipped; online_worry does not apply; only directory counts
    result = score_response(
        mini,
        {
            "has_website": "no",
            "directory": "listing",
            "web_updates": "strongly_agree",
            "online_worry": NOT_APPLICABLE,
        },
    ).domain("online")
    assert (result.score, result.level, result.answered, result.applicable) == (3.0, 3, 1, 1)
    # the question is quoted in its own words, without its closing full stop
    assert "‘Being online worries our volunteers’ does not apply to you" in result.explanation


def test_a_question_is_skipped_only_when_its_routing_question_was_answered_so(mini):
    # FORMAT.md: skip_if holds when the earlier answer is one of its values. An unanswered
    # routing question skips nothing: web_updates still counts, in both paths
    rows = [
        {"has_website": "no", "directory": "listing", "web_updates": "agree"},
        {"directory": "listing", "web_updates": "agree"},  # has_website not answered
    ]
    frame = score_frame(mini, pd.DataFrame(rows))
    # skipped: directory "listing" alone is 3; kept: (2 * 3 + agree 4) / 3
    expected = [(3.0, 1), (10 / 3, 2)]
    for row, (score, answered) in zip(rows, expected, strict=True):
        one = score_response(mini, row).domain("online")
        assert (one.score, one.answered) == (pytest.approx(score), answered)
    assert list(frame["online.score"]) == pytest.approx([s for s, _ in expected])
    assert list(frame["online.answered"]) == [a for _, a in expected]
    # the column missing altogether (nobody answered it) skips nothing either
    alone = score_frame(mini, pd.DataFrame(rows[1:]))
    assert list(alone["online.answered"]) == [2]


def test_dont_know_is_left_out_or_counts_lowest_as_the_domain_says(mini):
    answers = {
        "has_website": "yes",
        "directory": DONT_KNOW,
        "web_updates": "strongly_agree",
        "online_worry": "disagree",
        "referral_ready": DONT_KNOW,
    }
    result = score_response(mini, answers)
    online = result.domain("online")
    # online excludes don't know: (5 + (6 - 2)) / 2 = 4.5, 2 of 3 answered
    assert (online.score, online.level, online.answered, online.applicable) == (4.5, 5, 2, 3)
    assert "don't know" in online.explanation
    # referrals says dont_know: lowest, so it scores 1, and the group is told so
    referrals = result.domain("referrals")
    assert referrals.score == 1.0
    assert referrals.notes == (
        "You said you don't know for ‘Could you take a referral from a link worker next month’:"
        " it counts as 1.",
    )


def test_a_domain_with_no_minimum_share_still_needs_one_answer(mini):
    """min_answered 0 (allowed: a share from 0 to 1) asks for no share of the questions, but
    a level is an average of answers: with none there is nothing to average."""
    online = next(d for d in mini.domains if d.id == "online")
    lenient = dataclasses.replace(online, min_answered=0.0)
    result = score_domain(mini, lenient, {"has_website": "yes"})
    assert (result.score, result.level, result.answered, result.applicable) == (None, None, 0, 3)
    assert score_domain(mini, lenient, {"has_website": "yes", "web_updates": "agree"}).score == 4


def test_too_few_answers_is_not_scored_rather_than_guessed(mini):
    # 1 of 3 answered < min_answered 0.5
    result = score_response(mini, {"has_website": "yes", "web_updates": "agree"})
    online = result.domain("online")
    assert online.level is None and online.score is None
    assert online.explanation.startswith("Being online: 1 of 3 questions answered, not enough")
    assert "was not answered" in online.explanation


def test_overall_is_the_weighted_mean_of_scored_domains(mini):
    # online 3.25 (weight 3), referrals yes = 5 (weight 1): (9.75 + 5) / 4 = 3.6875, level 4
    result = score_response(
        mini,
        {
            "has_website": "yes",
            "directory": "kept",
            "web_updates": "agree",
            "online_worry": "strongly_agree",
            "referral_ready": "yes",
        },
    )
    assert result.overall_score == pytest.approx(3.6875)
    assert (result.overall_level, result.overall_level_name) == (4, "Established")


def test_overall_by_the_minimum_method_is_the_lowest_scored_domain(mini):
    # FORMAT.md: "minimum" takes the weakest domain, so one gap is not averaged away.
    # online 3.25 (level 3), referrals yes = 5 (level 5): overall is online's 3.25, level 3.
    lowest = dataclasses.replace(mini, overall=dataclasses.replace(mini.overall, method="minimum"))
    answers = {
        "has_website": "yes",
        "directory": "kept",
        "web_updates": "agree",
        "online_worry": "strongly_agree",
        "referral_ready": "yes",
    }
    result = score_response(lowest, answers)
    assert (result.overall_score, result.overall_level) == (pytest.approx(3.25), 3)
    row = score_frame(lowest, pd.DataFrame([answers])).iloc[0]
    assert (row["overall.score"], row["overall.level"]) == (pytest.approx(3.25), 3)
    # in a batch each response's own lowest: a second one with online at 5 (every answer
    # the best) and referrals "no" (1) has overall 1, and the first keeps 3.25
    best = {"has_website": "yes", "directory": "kept", "web_updates": "strongly_agree",
            "online_worry": "strongly_disagree", "referral_ready": "no"}  # fmt: skip
    frame = score_frame(lowest, pd.DataFrame([answers, best]))
    assert list(frame["overall.score"]) == [pytest.approx(3.25), pytest.approx(1.0)]


def test_overall_not_scored_when_too_few_domains_are(mini):
    # neither domain has enough answers: 0 of 2 scored < min_domains 0.5
    result = score_response(mini, {"has_website": "yes"})
    assert result.overall_level is None and result.overall_score is None
    # nor with no domain scored, whatever the settings: even a min_domains of 0 gives no
    # overall made of nothing, by either method, one at a time or in a batch
    for method in ("mean", "minimum"):
        lax = dataclasses.replace(
            mini, overall=dataclasses.replace(mini.overall, min_domains=0.0, method=method)
        )
        assert score_response(lax, {"has_website": "yes"}).overall_score is None
        row = score_frame(lax, pd.DataFrame([{"has_website": "yes"}])).iloc[0]
        assert pd.isna(row["overall.score"]) and pd.isna(row["overall.level"]), method


@pytest.mark.parametrize("instrument_id", ["confidence", "dmi-organisation", "vcse-readiness"])
def test_an_overall_level_needs_at_least_half_the_domains_scored_one_or_many(instrument_id):
    """Every question of the first k domains answered (any scored option), the rest left
    blank: with k at half the domains the overall is scored, with one fewer it is not
    (min_domains 0.5 in each real instrument), by one response's scorer and by the batch."""
    from scoring.response import option_scores

    instrument = load_registry(DEFINITIONS_DIR).latest(instrument_id)
    assert instrument.overall.min_domains == 0.5
    half = -(-len(instrument.domains) // 2)  # at least half: 3 of 6, 4 of 7

    def answered(k):
        return {
            item.question: next(iter(option_scores(instrument.question(item.question))))
            for domain in instrument.domains[:k]
            for item in domain.items
        }

    rows = [answered(half), answered(half - 1), answered(1)]
    frame = score_frame(instrument, pd.DataFrame(rows))
    for i, answers in enumerate(rows):
        one = score_response(instrument, answers)
        scored = sum(d.level is not None for d in one.domains)
        assert scored == [half, half - 1, 1][i]
        assert (one.overall_level is not None) == (i == 0)
        assert pd.notna(frame.iloc[i]["overall.level"]) == (i == 0)


def test_the_batch_keeps_each_rows_index_and_counts_in_whole_numbers(mini):
    """Rows come back under the index they were given (callers match them by it), and the
    questions answered and applicable are counts, whole numbers as stored, not 2.0. Online's
    items are directory, web_updates and online_worry: the first row answers two of them."""
    answers = {"has_website": "yes", "directory": "kept", "web_updates": "agree"}
    frame = score_frame(mini, pd.DataFrame([answers, {}], index=[17, 4]))
    assert list(frame.index) == [17, 4]
    for column in ("online.answered", "online.applicable", "referrals.answered"):
        assert pd.api.types.is_integer_dtype(frame[column]), column
    assert (frame.loc[17, "online.answered"], frame.loc[4, "online.answered"]) == (2, 0)


def test_a_score_on_a_threshold_up_to_float_noise_reaches_that_level(mini):
    assert band(mini, 2.6) == 3
    assert band(mini, 2.6 - 1e-12) == 3  # 2.6 as a sum of fractions may come out a hair under
    assert band(mini, 2.6 - 1e-6) == 2
    assert band(mini, 1.0) == 1 and band(mini, 5.0) == 5


def test_ambition_is_the_plan_level(mini):
    result = score_response(mini, {"online_plan": "l4", "directory": "word"})
    assert result.domain("online").ambition == 4


def test_an_answer_that_is_not_an_option_is_not_scored(mini):
    result = score_response(
        mini,
        {
            "has_website": "yes",
            "directory": "telepathy",
            "web_updates": ["agree"],
            "online_worry": "agree",
        },
    )
    online = result.domain("online")
    assert (online.answered, online.applicable) == (1, 3)


def _valid_value(question):
    """A strategy of answers a real respondent could give to this question."""
    if question.type == "likert":
        return st.sampled_from(
            ["strongly_disagree", "disagree", "neither", "agree", "strongly_agree"]
        )
    if question.type == "yesno":
        return st.sampled_from(["yes", "no"])
    values = [o.value for o in question.options]
    if question.type == "multiple" and values:
        return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)
    if values:
        return st.sampled_from(values)
    return st.sampled_from(["12", "Walking group", "LA1 1AA"])


def _junk_value(question):
    """What a respondent, a paper import or an old version may also leave: gaps and junk."""
    values = [o.value for o in question.options] or ["x"]
    return st.one_of(
        st.none(),
        st.sampled_from([DONT_KNOW, NOT_APPLICABLE, "junk"]),
        st.lists(st.sampled_from(values), max_size=2),
        st.integers(0, 9),
    )


def _random_answers(instrument):
    """A strategy of answers: mostly what a real respondent gives (so that domains and the
    overall level are scored), with one answer in ten left out, don't know, or junk."""
    per_question = {}
    for question in instrument.questions:
        valid, junk = _valid_value(question), _junk_value(question)
        per_question[question.id] = st.integers(0, 9).flatmap(
            lambda k, valid=valid, junk=junk: junk if k == 0 else valid
        )
    return st.fixed_dictionaries(per_question)


def _instruments():
    registry = load_registry(DEFINITIONS_DIR)
    mini_registry, _ = load_all([VALID])
    return [*registry.all(), mini_registry.get("mini", "1")]


@pytest.mark.parametrize("instrument", _instruments(), ids=lambda i: i.id)
def test_batch_scores_equal_one_at_a_time(instrument):
    drawn = {"responses": 0, "overall": 0}

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,  # the same examples in CI and on every machine
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(_random_answers(instrument), min_size=1, max_size=20))
    def check(rows):
        frame = score_frame(instrument, pd.DataFrame(rows))
        for i, answers in enumerate(rows):
            one = score_response(instrument, answers)
            row = frame.iloc[i]
            for d in one.domains:
                assert _same(row[f"{d.domain_id}.score"], d.score)
                assert _same(row[f"{d.domain_id}.level"], d.level)
                assert row[f"{d.domain_id}.answered"] == d.answered
                assert row[f"{d.domain_id}.applicable"] == d.applicable
                assert _same(row[f"{d.domain_id}.ambition"], d.ambition)
            assert _same(row["overall.score"], one.overall_score)
            assert _same(row["overall.level"], one.overall_level)
            drawn["responses"] += 1
            drawn["overall"] += one.overall_level is not None

    check()
    share = drawn["overall"] / drawn["responses"]
    print(f"{instrument.id}: {drawn['overall']} of {drawn['responses']} drawn responses scored")
    # Junk must stay a minority, or the test compares two ways of saying "not scored".
    assert share >= 0.8, f"only {share:.0%} of drawn responses got an overall level"


def _same(batch_value, one_value) -> bool:
    """Equal, bit for bit, with the batch's NaN / NA standing for None."""
    if one_value is None:
        return pd.isna(batch_value)
    return not pd.isna(batch_value) and batch_value == one_value
