"""Score tables: stable columns across instrument versions, and CSV that cannot run formulas."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.tables import (
    AGGREGATE_COLUMNS,
    LONG_COLUMNS,
    META_COLUMNS,
    Led,
    ResponseRecord,
    csv_cell,
    flat_aggregate,
    iter_csv,
    iter_long_led,
    long_rows,
    stable_keys,
    wide_columns,
    wide_rows,
    write_csv,
)
from instruments import load_registry

VALID = Path(__file__).resolve().parents[1] / "instruments" / "valid"
NEW_QUESTION = """      - id: volunteers
        type: number
        text: How many volunteers help your group?
        source: "000 section 2.3, volunteers and staff"
        required: false
"""


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The mini instrument at version 1 and a version 2 that drops one question and adds one."""
    folder = tmp_path_factory.mktemp("instruments")
    shutil.copy(VALID / "mini-1.yaml", folder)
    shutil.copy(VALID / "support-offers.yaml", folder)
    text = (VALID / "mini-1.yaml").read_text()
    dropped = text.index("      - id: referral_notes")
    text = text[:dropped] + text[text.index("domains:") :]
    anchor = "  - id: online\n    title: Being online\n"
    text = text.replace('version: "1"', 'version: "2"').replace(anchor, NEW_QUESTION + anchor)
    text = text.replace("We keep our website up to date.", "Our website is kept up to date.")
    (folder / "mini-2.yaml").write_text(text)
    registry = load_registry(folder)
    return registry.get("mini", "1"), registry.get("mini", "2")


def _record(version: str, response_id: int, answers: dict, **fields) -> ResponseRecord:
    return ResponseRecord(
        response_id=response_id,
        round=f"mini-{version}",
        instrument_id="mini",
        instrument_version=version,
        organisation_id=7,
        area_code="T-N1",
        submitted_at=dt.datetime(2025, 5, 1, 12, 0),
        answers=answers,
        scores={"online": (3.5, 4), "referrals": (5.0, 5), "overall": (3.9, 4)},
        **fields,
    )


def _csv_header_and_rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def test_the_two_versions_really_differ(versions):
    v1, v2 = versions
    ids1, ids2 = {q.id for q in v1.questions}, {q.id for q in v2.questions}
    assert ids1 - ids2 == {"referral_notes"} and ids2 - ids1 == {"volunteers"}


def test_wide_csv_columns_are_the_same_for_both_versions(versions):
    v1, v2 = versions
    old = wide_rows(
        [_record("1", 1, {"has_website": "yes", "referral_notes": "Call us"})], versions
    )
    new = wide_rows([_record("2", 2, {"has_website": "no", "volunteers": 12})], versions)
    header1, rows1 = _csv_header_and_rows(write_csv(old, wide_columns(versions)))
    header2, rows2 = _csv_header_and_rows(write_csv(new, wide_columns(versions)))
    assert header1 == header2
    # v1's questions keep their places; the new question comes after them.
    assert header1.index("answer.referral_notes") < header1.index("answer.volunteers")
    assert header1[: len(META_COLUMNS)] == list(META_COLUMNS)
    assert rows1[0]["answer.has_website"] == "yes" and rows2[0]["answer.has_website"] == "no"
    assert rows1[0]["answer.volunteers"] == "" and rows2[0]["answer.volunteers"] == "12"
    assert rows2[0]["answer.referral_notes"] == ""
    assert (rows1[0]["instrument_version"], rows2[0]["instrument_version"]) == ("1", "2")
    assert rows1[0]["score.online"] == "3.5" and rows2[0]["level.overall"] == "4"


def test_columns_do_not_depend_on_the_order_versions_are_given(versions):
    v1, v2 = versions
    assert wide_columns([v2, v1]) == wide_columns([v1, v2])
    questions, domains = stable_keys([v2, v1])
    assert questions[0] == "area" and questions[-1] == "volunteers"
    assert domains == ["online", "referrals", "overall"]


def test_adding_a_version_only_appends_columns(versions):
    v1, _ = versions
    before = wide_columns([v1])
    after = wide_columns(versions)
    assert [c for c in after if c in before] == before
    assert set(after) - set(before) == {"answer.volunteers"}


def test_long_rows_have_fixed_columns_and_record_the_version(versions):
    rows = long_rows(
        [
            _record("1", 1, {"has_website": "yes", "referral_notes": "x"}),
            _record("2", 2, {"volunteers": 3}),
        ]
    )
    # every row, answer or domain, has exactly the long columns (the JSON download too)
    assert {tuple(sorted(row)) for row in rows} == {tuple(sorted(LONG_COLUMNS))}
    header, parsed = _csv_header_and_rows(write_csv(rows, LONG_COLUMNS))
    assert header == list(LONG_COLUMNS)
    answers = [
        (r["instrument_version"], r["key"], r["value"]) for r in parsed if r["kind"] == "answer"
    ]
    assert answers == [
        ("1", "has_website", "yes"),
        ("1", "referral_notes", "x"),
        ("2", "volunteers", "3"),
    ]
    domains = [r for r in parsed if r["kind"] == "domain" and r["response_id"] == "2"]
    assert [(r["key"], r["score"], r["level"]) for r in domains] == [
        ("online", "3.5", "4"),
        ("referrals", "5.0", "5"),
        ("overall", "3.9", "4"),
    ]


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("Lunch = fun", "Lunch = fun"),
        (-1.5, -1.5),
        (None, ""),
        (True, "true"),
        (["arts", "=x"], "arts; =x"),
        (["=x", "arts"], "'=x; arts"),
    ],
)
def test_csv_cells_never_become_formulas(given, written):
    assert csv_cell(given) == written


def test_formula_text_survives_a_csv_round_trip_as_text():
    text = write_csv([{"key": '=HYPERLINK("http://x")', "value": "<b>hi</b>"}], ["key", "value"])
    _, rows = _csv_header_and_rows(text)
    assert rows[0]["key"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["value"] == "<b>hi</b>"


@pytest.mark.parametrize("kept", [0, 1, 1000])
def test_texts_met_again_are_written_as_the_first_time(kept, monkeypatch):
    """A CSV keeps each distinct text's cell once worked out (up to CSV_TEXTS_KEPT): a
    formula met again is quoted again, and keeping none, one or all gives the same file,
    cell for cell what csv_cell says, with True not taken for the 1 met before it."""
    import exports.tables

    monkeypatch.setattr(exports.tables, "CSV_TEXTS_KEPT", kept)
    rows = [
        ["=1+1", "agree", 1, None],
        ["agree", "=1+1", True, 1.0],
        ["=1+1", ["=x", "arts"], -0.0, "-2"],
        ["-2", "agree", False, ["arts", "=x"]],
    ]
    written = list(csv.reader(io.StringIO(write_csv(rows, ["a", "b", "c", "d"]))))
    assert written[1:] == [
        ["'=1+1", "agree", "1", ""],
        ["agree", "'=1+1", "true", "1.0"],
        ["'=1+1", "'=x; arts", "-0.0", "'-2"],
        ["'-2", "agree", "false", "arts; =x"],
    ]
    assert written[1:] == [[str(csv_cell(v)) for v in row] for row in rows]


_cell_value = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "=1+1", "-2", "a,b", 'say "hi"', "two\r\nlines", "plain"]),
    st.text(max_size=6),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.sampled_from(["arts", "=x", ""]), max_size=2),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.lists(_cell_value, max_size=3).map(tuple),  # a lead, shared by some rows
            st.lists(st.lists(_cell_value, max_size=4), max_size=3),  # their rests
        ),
        max_size=5,
    ),
    st.sampled_from([1, 2, 500]),
    st.sampled_from([0, 1000]),
)
def test_led_rows_are_written_as_the_same_rows_written_whole(groups, piece, kept):
    """A Led row's lead is written once for the rows that share it (the same tuple), and
    the file is the one its rows written whole make: any lead (none, one empty cell,
    quotes, commas, line breaks, formulas) and any rest (none, one cell, several)."""
    import exports.tables

    exports.tables.CSV_ROWS_A_PIECE, was_piece = piece, exports.tables.CSV_ROWS_A_PIECE
    exports.tables.CSV_TEXTS_KEPT, was_kept = kept, exports.tables.CSV_TEXTS_KEPT
    try:
        led = [Led(lead, rest) for lead, rests in groups for rest in rests]
        whole = [[*lead, *rest] for lead, rests in groups for rest in rests]
        columns = ["a", "b"]
        assert "".join(iter_csv(led, columns)) == "".join(iter_csv(whole, columns))
    finally:
        exports.tables.CSV_ROWS_A_PIECE, exports.tables.CSV_TEXTS_KEPT = was_piece, was_kept


def test_a_long_csvs_rows_share_their_responses_lead_and_read_back_whole():
    """Each response's rows share one lead (its META_COLUMNS), written once a response; read
    back, each row has every column, a formula-looking answer kept as text."""
    records = [
        ResponseRecord(
            response_id=n,
            round="r,1",
            instrument_id="mini",
            instrument_version="1",
            organisation_id=10 + n,
            area_code='E0"1',
            source="=web",
            submitted_at=None,
            answers={"q2": "=1+1", "q1": "yes"},
            scores={"d1": (2.5, 2)},
        )
        for n in (1, 2)
    ]
    led = list(iter_long_led(records))
    assert [row.lead for row in led] == [led[0].lead] * 3 + [led[3].lead] * 3
    assert led[0].lead is led[2].lead and led[3].lead is led[5].lead
    header, rows = _csv_header_and_rows("".join(iter_csv(led, LONG_COLUMNS)))
    assert header == list(LONG_COLUMNS)
    assert [(r["response_id"], r["kind"], r["key"], r["value"], r["score"]) for r in rows] == [
        ("1", "answer", "q1", "yes", ""),
        ("1", "answer", "q2", "'=1+1", ""),
        ("1", "domain", "d1", "", "2.5"),
        ("2", "answer", "q1", "yes", ""),
        ("2", "answer", "q2", "'=1+1", ""),
        ("2", "domain", "d1", "", "2.5"),
    ]
    assert {(r["round"], r["area_code"], r["source"]) for r in rows} == {("r,1", 'E0"1', "'=web")}


def test_flat_aggregate_writes_level_bands_and_keeps_suppressed_cells_empty():
    bands = [
        {"lowest": 1, "highest": 2, "count": 7},
        {"lowest": 3, "highest": 3, "count": 5},
        {"lowest": 4, "highest": 5, "count": 6},
    ]
    shown = flat_aggregate({"area_code": "A", "n": 18, "level_bands": bands})
    hidden = flat_aggregate({"area_code": "B", "suppressed": True, "n": None, "level_bands": None})
    assert list(shown) == list(AGGREGATE_COLUMNS)
    assert shown["level_bands"] == "levels 1-2: 7; level 3: 5; levels 4-5: 6"
    assert all(hidden[c] is None for c in ("n", "mean", "level_bands", "responded"))


def test_each_row_says_when_its_response_was_submitted_in_iso_form(versions):
    """12:00 on 1 May 2025 is written 2025-05-01T12:00:00 in both layouts; a response
    with no submission time (a paper import without one) has an empty cell, not "None"."""
    sent = _record("2", 1, {"has_website": "yes"})
    unsent = dataclasses.replace(_record("2", 2, {"has_website": "no"}), submitted_at=None)
    wide = wide_rows([sent, unsent], versions)
    assert [r["submitted_at"] for r in wide] == ["2025-05-01T12:00:00", None]
    long = long_rows([sent, unsent])
    assert {r["submitted_at"] for r in long if r["response_id"] == 1} == {"2025-05-01T12:00:00"}
    assert {r["submitted_at"] for r in long if r["response_id"] == 2} == {None}
    _, parsed = _csv_header_and_rows(write_csv(wide, wide_columns(versions)))
    assert [r["submitted_at"] for r in parsed] == ["2025-05-01T12:00:00", ""]
