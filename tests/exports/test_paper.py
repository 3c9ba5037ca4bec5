"""The paper template and reading a filled one back: pure, no app."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from exports.paper import (
    OPTIONS,
    RESPONSES,
    PaperFileError,
    check_workbook_file,
    parse_answer,
    read_paper_workbook,
    write_template,
)
from instruments import Question, load_registry

from .cfb import encrypted_office_file

GROUPS = [(11, "Lunch club"), (12, '=HYPERLINK("http://x")'), (13, "@Walkers")]


@pytest.fixture(scope="module")
def confidence():
    return load_registry().latest("confidence")


def template(instrument, groups=GROUPS) -> openpyxl.Workbook:
    out = io.BytesIO()
    write_template(instrument, groups, out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def as_bytes(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_template_has_instructions_responses_and_options(confidence):
    wb = template(confidence)
    assert wb.sheetnames == ["Instructions", RESPONSES, OPTIONS]
    ws = wb[RESPONSES]
    ids = [c.value for c in ws[1]]
    assert ids == ["org_id", "org_name", *(q.id for q in confidence.questions)]
    texts = [c.value for c in ws[2]]
    assert (
        texts[2 + ids.index("welcoming_new_people") - 2]
        == confidence.question("welcoming_new_people").text
    )
    assert [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in (3, 4, 5)] == GROUPS
    assert ws.freeze_panes == "C3"
    facts = {r[0]: r[1] for r in wb["Instructions"].iter_rows(values_only=True)}
    assert facts["Instrument id"] == "confidence"
    assert facts["Instrument version"] == confidence.version


def test_group_names_that_look_like_formulas_stay_text(confidence):
    ws = template(confidence)[RESPONSES]
    assert ws["B4"].value == '=HYPERLINK("http://x")' and ws["B4"].data_type == "s"
    assert ws["B5"].value == "@Walkers" and ws["B5"].data_type == "s"
    frame = pd.read_excel(io.BytesIO(as_bytes(ws.parent)), sheet_name=RESPONSES, skiprows=[1])
    assert list(frame["org_name"]) == [name for _, name in GROUPS]


def test_answer_cells_offer_only_the_options(confidence):
    wb = template(confidence)
    ws = wb[RESPONSES]
    column = [c.value for c in ws[1]].index("welcoming_new_people") + 1
    letter = openpyxl.utils.get_column_letter(column)
    rules = [
        dv for dv in ws.data_validations.dataValidation if f"{letter}3" in dv.sqref and dv.type
    ]
    assert len(rules) == 1 and rules[0].type == "list"
    source = rules[0].formula1  # e.g. Options!$B$2:$B$6
    sheet, cells = source.split("!")
    labels = [c.value for row in wb[sheet][cells.replace("$", "")] for c in row]
    assert labels == [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ]
    # a question without fixed answers (a postcode) has no list
    postcode = openpyxl.utils.get_column_letter(
        [c.value for c in ws[1]].index("group_postcode") + 1
    )
    assert not [dv for dv in ws.data_validations.dataValidation if f"{postcode}3" in dv.sqref]


def fill(wb, rows: dict[int, dict[str, object]]) -> bytes:
    ws = wb[RESPONSES]
    header = [c.value for c in ws[1]]
    for row, values in rows.items():
        for qid, value in values.items():
            ws.cell(row, header.index(qid) + 1, value)
    return as_bytes(wb)


def test_a_filled_template_reads_back_as_stored_answers(confidence):
    data = fill(
        template(confidence),
        {
            3: {
                "welcoming_new_people": "Agree",
                "welcoming_easy_to_find": "strongly_agree",  # the id works too
                "activity_types": "Befriending; Gardening and nature",
                "had_referrals": "No",
                "group_postcode": "zz1 4ab",
                "group_area": "N1",
            },
        },
    )
    result = read_paper_workbook(
        data, "f.xlsx", confidence, group_ids={11, 12, 13}, area_codes={"N1"}
    )
    assert result.errors == []
    assert len(result.rows) == 1 and result.rows[0].org_id == 11 and result.rows[0].row == 3
    assert result.rows[0].answers == {
        "group_area": "N1",
        "group_postcode": "ZZ1 4AB",
        "activity_types": ["befriending", "gardening_nature"],
        "had_referrals": "no",
        "welcoming_new_people": "agree",
        "welcoming_easy_to_find": "strongly_agree",
    }
    assert result.skipped_blank == 2  # the two groups with empty rows


def test_every_bad_cell_is_reported_with_row_and_column(confidence):
    data = fill(
        template(confidence),
        {
            3: {"welcoming_new_people": "Maybe"},
            4: {"org_id": "abc", "had_referrals": "Yes"},
            5: {"org_id": 99, "had_referrals": "Yes"},
            6: {"org_id": 11, "had_referrals": "No"},  # group 11 twice
        },
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb[RESPONSES]["C3"] = None
    wb[RESPONSES].cell(3, [c.value for c in wb[RESPONSES][1]].index("had_referrals") + 1, "yes")
    result = read_paper_workbook(as_bytes(wb), "f.xlsx", confidence, group_ids={11, 12, 13})
    assert result.rows[:1] == []
    assert result.errors[0].startswith("row 3, column welcoming_new_people: 'Maybe' is not one")
    assert "row 4, column org_id: give the group's id" in result.errors[1]
    assert "row 5, column org_id: no group with id 99" in result.errors[2]
    assert "row 6, column org_id: group 11 is also on row 3" in result.errors[3]


@pytest.mark.parametrize(
    ("question", "raw", "expected"),
    [
        (Question("n", "number", "How many?", "s", min_value=0, max_value=50), "1,2", (12, "")),
        (Question("n", "number", "How many?", "s", min_value=0, max_value=50), 51.0, None),
        (Question("n", "number", "How many?", "s"), "ten", None),
        (Question("t", "text", "Tell us", "s", max_length=5), "=cmd", ("=cmd", "")),
        (Question("t", "text", "Tell us", "s", max_length=5), "too long", None),
        (Question("p", "postcode", "Where?", "s"), "nowhere", None),
    ],
)
def test_parse_answer_by_type(question, raw, expected):
    value, problem = parse_answer(question, raw)
    if expected is None:
        assert value is None and problem
    else:
        assert (value, problem) == expected


def test_wrong_instrument_is_refused(confidence):
    dmi = load_registry().latest("dmi-organisation")
    data = as_bytes(template(dmi))
    with pytest.raises(PaperFileError) as raised:
        read_paper_workbook(data, "dmi.xlsx", confidence, group_ids={11})
    assert str(raised.value).startswith("dmi.xlsx: the template is for instrument dmi-organisation")


def test_wrong_columns_are_refused(confidence):
    wb = template(confidence)
    wb[RESPONSES]["D1"] = "not_a_question"
    with pytest.raises(PaperFileError) as raised:
        read_paper_workbook(as_bytes(wb), "cols.xlsx", confidence, group_ids={11})
    message = str(raised.value)
    assert message.startswith("cols.xlsx: sheet 'Responses' row 1: missing column(s)")
    assert "\n" not in message


def test_an_encrypted_workbook_is_named_as_such():
    with pytest.raises(PaperFileError) as raised:
        check_workbook_file(encrypted_office_file(), "locked.xlsx")
    assert str(raised.value) == (
        "locked.xlsx: the workbook is password-protected (encrypted); "
        "save it without a password and try again"
    )


def a_zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


NOT_WORKBOOKS = [
    b"name,postcode\nA,B\n",
    b"",
    b"PK\x03\x04broken",
    a_zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}),  # a .docx-like zip
    a_zip({"[Content_Types].xml": "<<<", "xl/workbook.xml": "<not xml"}),  # damaged
]


@pytest.mark.parametrize("data", NOT_WORKBOOKS)
def test_not_a_workbook_is_refused(data, confidence):
    with pytest.raises(PaperFileError) as raised:
        read_paper_workbook(data, "x.xlsx", confidence, group_ids=set())
    assert str(raised.value).startswith("x.xlsx: not an Excel workbook")
