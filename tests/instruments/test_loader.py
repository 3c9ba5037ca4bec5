"""Instrument files: the valid fixture loads, each invalid one gives exactly its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from instruments import DEFINITIONS_DIR, InstrumentError, check, load_all, load_registry

HERE = Path(__file__).parent
VALID = HERE / "valid"
INVALID = HERE / "invalid"

# Each invalid fixture and the exact lines `survey instruments check` must print for it.
EXPECTED = {
    "typo-key-1.yaml": ["sections[0].questions[0]: unknown key 'hnit' (a typo?)"],
    "missing-level-1.yaml": [
        "domains[0].levels: domain 'online' has no level 4: "
        "every level needs its descriptor and next steps"
    ],
    "missing-descriptor-1.yaml": [
        "domains[1].levels[2]: domain 'referrals' level 3 has no descriptor "
        "(what this level means in this domain)"
    ],
    "routing-loop-1.yaml": [
        "sections[0].questions[1].skip_if.question: routing refers to 'web_updates', which "
        "comes later: routing may only look back, or it could loop"
    ],
    "unknown-item-1.yaml": [
        "domains[0].items[1].question: scoring refers to 'web_update', which is not a question here"
    ],
    "unscored-item-1.yaml": [
        "domains[1].items[1].question: 'referral_notes' is a text question and cannot be scored"
    ],
    "duplicate-id-1.yaml": [
        "sections: question id 'web_updates' is used more than once",
        # the renamed question's old id is gone, so the rule naming it is wrong too
        "domains[0].items[2].question: scoring refers to 'online_worry', which is not a question here",
    ],
    "unknown-offer-1.yaml": [
        "domains[0].levels[0].next_steps[0].offers[0]: 'champion' is not in the support offers catalogue",
        "domains[1].levels[0].next_steps[0].offers[0]: 'champion' is not in the support offers catalogue",
    ],
    "bad-levels-1.yaml": [
        "levels: level 5 is missing",
        "levels[2].min_score: must be higher than the level before's (1.8)",
    ],
    "bad-routing-value-1.yaml": [
        "sections[1].questions[1].skip_if.values: 'nope' is not an answer to 'has_website'"
    ],
    "reserved-domain-1.yaml": ["domains[1].id: 'overall' is reserved for the overall score"],
    "not-yaml-1.yaml": ["line 5: not valid YAML: expected ',' or '}', but got '<stream end>'"],
    "empty-1.yaml": ["(file): the file is empty"],
    "wrong-type-1.yaml": [
        "(top level): 'domains' is a required property",
        "minutes: 'ten' is not of type 'integer'",
        "respondents: 'person' is not one of ['groups', 'localities']",
    ],
}


def invalid_fixtures() -> list[Path]:
    return sorted(p for p in INVALID.glob("*.yaml") if p.name != "support-offers.yaml")


def test_every_invalid_fixture_has_its_expected_errors():
    assert {p.name for p in invalid_fixtures()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_fixture_gives_exactly_its_errors(name):
    assert check([INVALID / name]) == [f"{name}: {line}" for line in EXPECTED[name]]


def test_valid_fixture_loads_with_its_catalogue():
    registry, errors = load_all([VALID])
    assert errors == []
    mini = registry.get("mini", "1")
    assert [s.id for s in mini.sections] == ["about", "online", "referrals"]
    assert mini.domain("online").ambition_question == "online_plan"
    assert set(registry.offers) == {"champions", "grants"}


def test_loaded_instruments_cannot_be_changed():
    registry, _ = load_all([VALID])
    mini = registry.get("mini", "1")
    with pytest.raises(AttributeError):
        mini.title = "Changed"  # type: ignore[misc]


def test_shipped_instruments_are_valid_and_traceable():
    registry = load_registry(DEFINITIONS_DIR)
    ids = {i.id for i in registry.all()}
    assert {"confidence", "dmi-organisation", "dmi-locality", "vcse-readiness"} <= ids
    for instrument in registry.all():
        for question in instrument.questions:
            # every question names the seed report it comes from (000 to 004)
            assert question.source[:3] in {"000", "001", "002", "003", "004"}, question.id
        for domain in instrument.domains:
            assert [lv.level for lv in domain.levels] == [1, 2, 3, 4, 5]


def test_confidence_survey_scores_the_five_quality_principles():
    confidence = load_registry(DEFINITIONS_DIR).latest("confidence")
    names = " ".join(d.name.lower() for d in confidence.domains)
    for principle in ("welcoming", "safe", "governed", "grow", "wellbeing"):
        assert principle in names


def test_the_same_id_and_version_twice_is_an_error(tmp_path):
    for name in ("mini-1.yaml", "support-offers.yaml"):
        (tmp_path / name).write_text((VALID / name).read_text())
    copy = tmp_path / "sub"
    copy.mkdir()
    (copy / "mini-1.yaml").write_text((VALID / "mini-1.yaml").read_text())
    errors = check([tmp_path, copy / "mini-1.yaml"])
    assert errors == ["mini-1.yaml: (file): mini version 1 is already defined in mini-1.yaml"]


def test_a_file_named_for_another_version_is_an_error(tmp_path):
    (tmp_path / "support-offers.yaml").write_text((VALID / "support-offers.yaml").read_text())
    (tmp_path / "mini-2.yaml").write_text((VALID / "mini-1.yaml").read_text())
    assert check([tmp_path]) == [
        "mini-2.yaml: (file): the file must be named 'mini-1.yaml' after its id and version"
    ]


def test_a_key_given_twice_is_an_error(tmp_path):
    (tmp_path / "support-offers.yaml").write_text((VALID / "support-offers.yaml").read_text())
    text = (VALID / "mini-1.yaml").read_text().replace("minutes: 2", "minutes: 2\nminutes: 3")
    (tmp_path / "mini-1.yaml").write_text(text)
    [error] = check([tmp_path])
    assert error.startswith("mini-1.yaml: line ") and "key 'minutes' is given twice" in error


def test_load_registry_refuses_a_folder_with_an_invalid_file(tmp_path):
    for name in ("mini-1.yaml", "support-offers.yaml"):
        (tmp_path / name).write_text((VALID / name).read_text())
    (tmp_path / "typo-key-1.yaml").write_text((INVALID / "typo-key-1.yaml").read_text())
    with pytest.raises(InstrumentError) as raised:
        load_registry(tmp_path)
    assert raised.value.errors == [
        "typo-key-1.yaml: sections[0].questions[0]: unknown key 'hnit' (a typo?)"
    ]


def test_every_question_lists_what_a_person_can_pick():
    registry, _ = load_all([VALID])
    mini = registry.get("mini", "1")
    assert mini.question("has_website").choices == [("yes", "Yes"), ("no", "No")]
    directory = [value for value, _ in mini.question("directory").choices]
    assert directory == ["word", "email", "listing", "kept", "live", "dont_know"]  # special last
    worry = mini.question("online_worry").choices
    assert worry[0] == ("strongly_disagree", "Strongly disagree")
    assert worry[-1] == ("not_applicable", "Does not apply to us")
    assert len(worry) == 6
