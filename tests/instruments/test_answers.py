"""The question-type registry's rules, with expected values worked out by hand."""

from __future__ import annotations

import pytest

from instruments import Option, Question
from instruments.answers import (
    TYPES,
    is_email,
    normalise_postcode,
    parse,
    show,
    written,
)
from instruments.model import QUESTION_TYPES


def _q(type, **kwargs) -> Question:
    return Question(id="q", type=type, text="How many?", source="test", **kwargs)


COUNT = _q("number", min_value=0, max_value=100, suffix="people")
TICKS = _q("multiple", options=(Option("a", "Apples"), Option("b", "Bread"), Option("c", "Cake")))
NOTES = _q("text", max_length=5)
CHOOSE = _q("single", options=(Option("x", "Ex"), Option("y", "Why")), allow_dont_know=True)


def test_every_question_type_of_the_schema_is_registered():
    assert set(TYPES) == set(QUESTION_TYPES)


@pytest.mark.parametrize(
    ("raw", "stored", "code"),
    [
        ("  12 ", 12, None),
        ("1,00", 100, None),
        ("-0", 0, None),
        ("١٢", 12, None),  # digits of another script are digits
        (12.0, 12, None),  # a number cell
        ("1e3", None, "not_a_number"),
        ("12.5", None, "not_a_number"),
        ("+5", None, "not_a_number"),
        ("=1+1", None, "not_a_number"),
        ("²", None, "not_a_number"),
        ("101", None, "out_of_range"),
        ("-1", None, "out_of_range"),
        ("   ", None, None),  # blank: not answered
    ],
)
def test_numbers(raw, stored, code):
    value, refused = parse(COUNT, raw)
    assert value == stored
    assert (refused.code if refused else None) == code


def test_a_number_out_of_range_names_the_number():
    assert parse(COUNT, " 1,000 ")[1].number == 1000


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("la14yw", "LA1 4YW"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("EC1A1BB", "EC1A 1BB"),
        ("M1 1AE", "M1 1AE"),
        ("LA1 4YWX", None),
        ("1LA 4YW", None),
        ("LA1\u00a04YW", "LA1 4YW"),  # a no-break space is white space
        ("", None),
    ],
)
def test_postcodes(raw, stored):
    assert normalise_postcode(raw) == stored
    assert parse(_q("postcode"), raw)[0] == stored


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("name+tag@example.org", True),
        ("a@b.co", True),
        ("a@b", False),
        ("a b@example.org", False),
        ("@example.org", False),
        ("a@@example.org", False),
        ("x" * 245 + "@example.org", False),  # 257 characters
    ],
)
def test_email_addresses(text, ok):
    assert is_email(text) is ok


def test_options_by_id_or_label_in_any_case():
    assert parse(CHOOSE, " WHY ") == ("y", None)
    assert parse(CHOOSE, "x") == ("x", None)
    assert parse(CHOOSE, "don't KNOW") == ("dont_know", None)
    assert parse(CHOOSE, "Zed")[1].code == "not_an_option"


def test_ticks_as_a_list_or_a_cell_are_stored_in_option_order():
    assert parse(TICKS, ["c", "a", "c"]) == (["a", "c"], None)
    assert parse(TICKS, "cake; apples ;") == (["a", "c"], None)
    assert parse(TICKS, " ; ") == (None, None)
    refused = parse(TICKS, "Apples; Pears")[1]
    assert (refused.code, refused.given) == ("not_an_option", "Pears")


def test_text_is_trimmed_and_measured_after_trimming_with_one_character_per_line_break():
    assert parse(NOTES, "  abcde  ") == ("abcde", None)
    assert parse(NOTES, "ab\r\ncd") == ("ab\ncd", None)  # 5 characters, not 6
    assert parse(NOTES, "abcdef")[1].code == "too_long"
    assert parse(_q("text"), "y" * 2000)[0] == "y" * 2000  # the default limit
    assert parse(_q("text"), "y" * 2001)[1].number == 2001


def test_area_codes_in_any_case_are_stored_as_the_service_spells_them():
    area = _q("area")
    assert parse(area, " e05013714 ", {"E05013714"}) == ("E05013714", None)
    assert parse(area, "E05013714", set())[1].code == "not_an_area"


def test_shown_and_written():
    assert show(COUNT, 5) == "5 people"
    assert written(COUNT, 5) == "5"
    assert show(TICKS, ["a", "c"]) == "Apples, Cake"
    assert written(TICKS, ["a", "c"]) == "Apples; Cake"
    assert show(TICKS, []) == "Not answered" and written(TICKS, None) is None
    assert show(_q("area"), "E1", lambda code: {"E1": "Ulverston"}.get(code)) == "Ulverston"
    assert show(_q("area"), "E2", lambda code: None) == "E2"
    # What a workbook shows, the paper import reads back as the same answer.
    assert parse(TICKS, written(TICKS, ["a", "c"])) == (["a", "c"], None)


def test_paper_cell_rules():
    assert TYPES["number"].paper_rule(COUNT, None)["formula2"] == "100"
    assert TYPES["number"].paper_rule(_q("number"), None)["formula1"] == "-1000000000"
    assert TYPES["single"].paper_rule(CHOOSE, "Options!$A$2:$A$4")["formula1"] == (
        "Options!$A$2:$A$4"
    )
    assert TYPES["multiple"].paper_rule(TICKS, "Options!$B$2:$B$4") is None
    assert TYPES["text"].paper_rule(NOTES, None) is None
