"""Referral readiness flags from one group's answers, and the view from published counts."""

from __future__ import annotations

import pytest

from instruments import load_registry
from scoring.readiness import NO, readiness_view, response_flags


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_readiness_survey_answers_become_flags_and_capacity(registry):
    instrument = registry.latest("vcse-readiness")
    flags, capacity = response_flags(
        instrument,
        {
            "sw_had_referrals": "no",
            "referral_capacity": 4,
            "support_levels": ["level_2_guidance"],
            "sd_help_wanted": ["website", "none"],
        },
    )
    assert flags["ready:receiving"] is False
    assert capacity == 4.0
    assert flags["ready:nav:level_2_guidance"] is True
    assert flags["ready:nav:level_1_information"] is False
    assert flags["ready:help:sd_help_wanted:website"] is True
    assert "ready:help:sd_help_wanted:none" not in flags  # "we don't need help" is no kind
    assert not any(k.startswith("ready:help:ss_help_wanted") for k in flags)  # not answered
    assert "ready:supported" not in flags  # the readiness survey does not ask it


def test_supported_needs_referrals_and_agreement(registry):
    instrument = registry.latest("confidence")
    yes = response_flags(instrument, {"had_referrals": "yes", "supported_for_referrals": "agree"})[
        0
    ]
    unsure = response_flags(
        instrument, {"had_referrals": "yes", "supported_for_referrals": "dont_know"}
    )[0]
    none_yet = response_flags(instrument, {"had_referrals": "no"})[0]
    assert yes == {"ready:receiving": True, "ready:supported": True}
    assert unsure["ready:supported"] is False
    assert none_yet == {"ready:receiving": False, "ready:supported": False}
    assert response_flags(instrument, {})[0] == {}


def test_a_share_needs_both_its_yes_and_its_no_set_published(registry):
    instrument = registry.latest("vcse-readiness")
    view = readiness_view(
        instrument,
        {"ready:receiving": 6, "ready:receiving" + NO: 9, "ready:nav:level_1_information": 12},
        (15, 2.4),
    )
    assert (view.receiving.yes, view.receiving.answered) == (6, 15)
    assert view.receiving.share == pytest.approx(0.4)
    level_1 = next(s for s in view.navigation if s.id == "ready:nav:level_1_information")
    assert not level_1.shown and level_1.share is None  # its "no" set is not published
    assert level_1.kind == "navigation"  # still listed with its kind, as not shown
    assert view.capacity_total == pytest.approx(36.0) and view.capacity_groups == 15
    assert view.supported is None and view.top_help == ()


def test_an_answer_given_as_one_choice_counts_as_that_choice(registry):
    """A ticks question answered with a single value (a paper import, an older answer)
    is that one choice, not nothing."""
    instrument = registry.latest("vcse-readiness")
    flags, _ = response_flags(
        instrument, {"support_levels": "level_2_guidance", "sd_help_wanted": "website"}
    )
    assert flags["ready:nav:level_2_guidance"] is True
    assert flags["ready:nav:level_1_information"] is False
    assert flags["ready:help:sd_help_wanted:website"] is True


def test_supported_is_left_out_unless_had_referrals_is_yes_or_no(registry):
    """'Not sure' whether the group has had referrals answers neither way: no flag."""
    instrument = registry.latest("confidence")
    flags, _ = response_flags(
        instrument, {"had_referrals": "not_sure", "supported_for_referrals": "agree"}
    )
    assert "ready:supported" not in flags


@pytest.mark.parametrize(
    "given, expected",
    [(12, 12.0), (2.5, 2.5), ("7", 7.0), ("about ten", None), (None, None), (True, None)],
)
def test_capacity_is_a_number_or_nothing(registry, given, expected):
    """A number (or digits) is the capacity; words, a tick or no answer give none
    (never a crash, never text in a sum)."""
    instrument = registry.latest("vcse-readiness")
    answers = {} if given is None else {"referral_capacity": given}
    _, capacity = response_flags(instrument, answers)
    assert capacity == expected and (expected is None) == (capacity is None)
    assert capacity is None or type(capacity) is float


def _without(instrument, question_id: str):
    """The instrument with one question taken out."""
    import dataclasses

    sections = tuple(
        dataclasses.replace(s, questions=tuple(q for q in s.questions if q.id != question_id))
        for s in instrument.sections
    )
    return dataclasses.replace(instrument, sections=sections)


def test_involved_and_supported_is_offered_only_when_both_its_questions_are_asked(registry):
    """ "Involved and supported" is a group that has had referrals and agrees it was
    supported: an instrument asking only one of the two cannot give it."""
    from scoring.readiness import SUPPORTED_ID, flags

    confidence = registry.latest("confidence")
    assert SUPPORTED_ID in {f.id for f in flags(confidence)}
    for question_id in ("had_referrals", "supported_for_referrals"):
        assert SUPPORTED_ID not in {f.id for f in flags(_without(confidence, question_id))}


def test_each_navigation_and_help_figure_is_named_by_its_answers_words(registry):
    from scoring.readiness import flags

    instrument = registry.latest("vcse-readiness")
    named = {f.id: f.label for f in flags(instrument)}
    for option in instrument.question("support_levels").options:
        assert named[f"ready:nav:{option.value}"] == option.label
    for option in instrument.question("sd_help_wanted").options:
        if option.value != "none":
            assert named[f"ready:help:sd_help_wanted:{option.value}"] == option.label


def test_the_capacity_total_keeps_its_half_places():
    """Two groups could take 2.5 and 3 more people a month: a published mean of 2.75 over
    2 groups is a total of 5.5, not rounded to 6."""
    instrument = load_registry().latest("vcse-readiness")
    view = readiness_view(instrument, {}, (2, 2.75))
    assert view.capacity_total == 5.5 and view.capacity_groups == 2


def test_the_readiness_figures_read_only_the_questions_that_ask_them(registry):
    """The confidence survey asks two of them (had referrals; supported to receive them),
    the readiness survey five; none of their other questions is read for these figures."""
    from scoring.readiness import question_ids

    assert question_ids(registry.latest("confidence")) == {
        "had_referrals",
        "supported_for_referrals",
    }
    assert question_ids(registry.latest("vcse-readiness")) == {
        "sw_had_referrals",
        "referral_capacity",
        "support_levels",
        "sd_help_wanted",
        "ss_help_wanted",
    }
