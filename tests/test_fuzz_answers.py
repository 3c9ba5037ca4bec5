"""The web form and the paper import accept and refuse the same answers, and store the same.

For every question type in the registry (instruments/answers.py), hypothesis draws
answers (options by id and label in any case, numbers with commas, signs, exponents and
other scripts' digits, postcodes with and without spaces, long and multi-line text,
formulas, junk) and sends each one both ways:
- web: the page's own form class (`section_form`) is filled from a posted form,
  checked, and read with `stored_values`: the functions the section view calls;
- paper: the real template (`write_template`) is filled with openpyxl, one answer per
  row, saved, and read back with `read_paper_workbook`, as an upload is.
A value accepted one way and refused the other, or stored differently, fails.
Cells hold text as typed (a leading '=' stays text, as an apostrophe makes it in Excel);
the characters a workbook cannot hold (control characters other than tab and line
breaks) are left out, and a null byte is refused by the web before any form is read.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from exports.paper import FIRST_ANSWER_ROW, FIXED, RESPONSES, read_paper_workbook, write_template
from instruments import Option, Question, Section, load_instrument
from instruments.answers import TYPES, text_limit
from survey.journey.forms import section_form
from survey.journey.pages import stored_values

MINI = Path(__file__).parent / "instruments" / "valid" / "mini-1.yaml"
AREAS = [("E05013714", "Ulverston West"), ("fz-2", "Fuzz Town"), ("X1", "Ten")]


def _question(id, type, **kwargs) -> Question:
    return Question(id=id, type=type, text=f"Question {id}?", source="test", **kwargs)


QUESTIONS = (
    _question(
        "pick",
        "single",
        allow_dont_know=True,
        options=(
            Option("word", "By word of mouth"),
            Option("email", "By email lists"),
            Option("Live", "A LIVE listing"),
        ),
    ),
    _question("agree", "likert", allow_not_applicable=True),
    _question("yn", "yesno"),
    _question(
        "ticks",
        "multiple",
        options=(
            Option("befriending", "Befriending"),
            Option("garden", "Gardening and nature"),
            Option("food", "Food, cooking & lunch clubs"),
        ),
    ),
    _question("count", "number", min_value=0, max_value=10000),
    _question("any_number", "number"),
    _question("small", "number", min_value=-5, max_value=5, suffix="people"),
    _question("notes", "text", max_length=30),
    _question("story", "text"),
    _question("postcode", "postcode"),
    _question("area", "area"),
)
BY_ID = {q.id: q for q in QUESTIONS}

# What a cell can hold: no surrogates, no XML-illegal characters; ';' separates ticks.
CELL_SAFE = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32)])) + "\ufffe\uffff",
)
JUNK = st.text(CELL_SAFE, max_size=40)
TRICKY = st.sampled_from(
    [
        "",
        "   ",
        "  12 ",
        "12",
        "-0",
        "+5",
        "1e3",
        "12.5",
        "1,000",
        "10,001",
        "١٢",  # Arabic-Indic digits
        "１２",  # full-width digits
        "²",
        "\u00a05\u00a0",
        "999999999",
        "1000000000",
        "-5",
        "-6",
        "=1+1",
        '=HYPERLINK("http://x","y")',
        "'12",
        "la14yw",
        " sw1a  1aa ",
        "EC1A 1BB",
        "AA1 1AA1",
        "name+tag@example.org",
        "x" * 2001,
        " " + "x" * 2000 + "  ",
        "x" * 30,
        "x" * 31,
        "line one\r\nline two",
        "yes",
        " NO ",
        "Strongly Agree",
        "dont_know",
        "Don't know",
        "does not apply to us",
        "fz-2",
        "FZ-2 ",
        "e05013714",
        "Fuzz Town",
    ]
)


def _cased(text: str):
    """The text in its own case, upper, lower or title case, maybe padded with spaces."""
    return st.tuples(
        st.sampled_from([str, str.upper, str.lower, str.title]),
        st.sampled_from(["", " ", "  "]),
        st.sampled_from(["", " ", "\t"]),
    ).map(lambda t: t[1] + t[0](text) + t[2])


def _options(question: Question):
    names = [name for pair in question.choices for name in pair]
    return st.sampled_from(names).flatmap(_cased)


NUMBERS = st.one_of(
    st.integers(-(10**10), 10**10).map(str),
    st.integers(-10, 10_010).map(lambda n: f"{n:,}"),
    st.integers(-10, 10).map(lambda n: f" {n} "),
)
POSTCODES = st.from_regex(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]? {0,2}[0-9][A-Za-z]{2}", fullmatch=True)
PADDING = st.sampled_from(["", " ", "  ", "\n", "\r\n", "\u00a0"])


def _near_limit(question: Question):
    """Text around the question's length limit, padded, some with a line break inside."""
    limit = text_limit(question)
    return st.tuples(
        st.integers(limit - 3, limit + 2), st.sampled_from(["", "\r\n", "\n"]), PADDING, PADDING
    ).map(lambda t: t[2] + "y" * (t[0] // 2) + t[1] + "y" * (t[0] - t[0] // 2) + t[3])


def _single_value(question: Question):
    own = {
        "number": NUMBERS,
        "postcode": POSTCODES,
        "area": st.sampled_from([c for pair in AREAS for c in pair]).flatmap(_cased),
        "text": st.one_of(JUNK, _near_limit(question)),
    }.get(question.type)
    if own is None:
        own = _options(question)
    return st.one_of(own, own, TRICKY, JUNK)


def _value(question: Question):
    """One answer as typed: text, or for "tick all that apply" the ticked parts."""
    if TYPES[question.type].many:
        part = st.one_of(_options(question), TRICKY, JUNK).filter(lambda p: ";" not in p)
        return st.lists(part, max_size=4)
    return _single_value(question)


ANSWER = st.sampled_from(QUESTIONS).flatmap(lambda q: st.tuples(st.just(q.id), _value(q)))


@pytest.fixture(scope="module")
def instrument():
    mini, errors = load_instrument(MINI)
    assert not errors
    return replace(mini, sections=(Section(id="all", title="All", questions=QUESTIONS),))


@pytest.fixture(scope="module")
def web():
    """A bare app for the journey's form classes: no database is read to check a page."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    return app


def web_outcome(app, question: Question, value) -> tuple[bool, object]:
    """(accepted, stored) as the section page checks and stores the posted answer."""
    posted = (
        [(question.id, v) for v in value] if isinstance(value, list) else [(question.id, value)]
    )
    with app.test_request_context("/", method="POST", data=MultiDict([*posted, ("version", "0")])):
        form = section_form([question], enforce_required=False, area_choices=AREAS)()
        form.validate()
        if form[question.id].errors:
            return False, None
        return True, stored_values(form, [question], AREAS)[question.id]


def paper_outcomes(instrument, answers: list[tuple[str, object]]) -> list[tuple[bool, object]]:
    """(accepted, stored) for each answer, one per row of a filled template read back."""
    template = io.BytesIO()
    groups = [(number, f"Group {number}") for number in range(1, len(answers) + 1)]
    write_template(instrument, groups, template)
    book = openpyxl.load_workbook(io.BytesIO(template.getvalue()))
    sheet = book[RESPONSES]
    columns = {q.id: i for i, q in enumerate(instrument.questions, start=len(FIXED) + 1)}
    for row, (qid, value) in enumerate(answers, start=FIRST_ANSWER_ROW):
        text = "; ".join(value) if isinstance(value, list) else value
        cell = sheet.cell(row=row, column=columns[qid], value=text)
        cell.data_type = "s"  # text as typed, even when it starts with '='
    filled = io.BytesIO()
    book.save(filled)
    codes = {code for code, _ in AREAS}
    result = read_paper_workbook(
        filled.getvalue(), "answers.xlsx", instrument, group_ids={n for n, _ in groups},
        area_codes=codes,
    )  # fmt: skip
    refused = {int(re.match(r"row (\d+),", e).group(1)) for e in result.errors}
    stored = {r.row: r.answers for r in result.rows}
    return [
        (False, None) if row in refused else (True, stored.get(row, {}).get(qid))
        for row, (qid, _) in enumerate(answers, start=FIRST_ANSWER_ROW)
    ]


def test_every_registered_type_is_drawn():
    assert {q.type for q in QUESTIONS} == set(TYPES)


def test_web_and_paper_accept_refuse_and_store_alike(instrument, web):
    tally = {"answers": 0, "accepted": 0, "blank": 0}
    by_type = {name: [0, 0] for name in TYPES}  # [answers, accepted]

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,  # the same examples in CI and on every machine
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(ANSWER, min_size=4, max_size=16))
    def check(answers):
        on_paper = paper_outcomes(instrument, answers)
        for (qid, value), paper in zip(answers, on_paper, strict=True):
            online = web_outcome(web, BY_ID[qid], value)
            assert online == paper, (qid, value, online, paper)
            tally["answers"] += 1
            tally["accepted"] += online[0]
            tally["blank"] += online == (True, None)
            by_type[BY_ID[qid].type][0] += 1
            by_type[BY_ID[qid].type][1] += online[0]

    check()
    share = tally["accepted"] / tally["answers"]
    print(
        f"{tally['answers']} answers both ways, {share:.0%} accepted "
        f"({tally['blank']} blank); by type [answers, accepted]: {by_type}"
    )
    # Both outcomes are well represented, for every type.
    assert 0.2 < share < 0.8
    for name, (drawn, accepted) in by_type.items():
        assert drawn >= 20 and 0 < accepted < drawn, (name, drawn, accepted)
