"""Each character that can start a spreadsheet formula, through each writer that makes a file.

The characters come from the attack, not from the code: = + - @ start a formula
in Excel and LibreOffice, and a leading tab or carriage return can hide one
(OWASP, "CSV injection"). CSV writers put a ' in front; workbook writers store
the text as a string with Excel's quote prefix. Plain text is left alone.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from exports.formula import csv_text
from exports.tables import write_csv
from exports.workbook_style import new_sheet, new_workbook, write_row
from survey.models import AuditEvent

STARTS = ["=", "+", "-", "@", "\t", "\r"]
HOSTILE = [f"{c}HYPERLINK(1)" for c in STARTS]


def _named(value: str) -> str:
    """A test id naming the start in words: ids holding a backslash escape ('\\r') are
    not found again when pytest is run twice in one process, as mutmut runs it."""
    return {"\t": "tab", "\r": "carriage-return", "\n": "line-feed"}.get(
        value[0], value[0]
    ) + value[1:]


def _csv_cells(text: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(text, newline=""))]


def test_formula_guard_leaves_plain_text_and_gaps_alone():
    assert csv_text(None) == ""
    assert csv_text("Walkers - every Tuesday = fun") == "Walkers - every Tuesday = fun"
    assert csv_text(12) == "12"
    assert csv_text(-3) == "'-3"  # a negative number is text here, so it stays text


@pytest.mark.parametrize("value", HOSTILE, ids=_named)
def test_formula_guard_score_table_csv_quotes_each_formula_start(value):
    out = write_csv([{"name": value}, {"name": "Walkers"}], ["name"])
    assert _csv_cells(out, "name") == ["'" + value, "Walkers"]


@pytest.mark.parametrize("value", HOSTILE, ids=_named)
def test_formula_guard_workbook_cells_keep_each_formula_start_as_text(value):
    wb = new_workbook()
    ws = new_sheet(wb, "Sheet")
    write_row(ws, [value])
    write_row(ws, ["Walkers"])
    data = io.BytesIO()
    wb.save(data)
    back = openpyxl.load_workbook(io.BytesIO(data.getvalue()))["Sheet"]
    hostile, plain = back["A1"], back["A2"]
    assert hostile.data_type == "s" and hostile.quotePrefix is True
    assert hostile.value.lstrip("\t\r\n") == value.lstrip("\t\r\n")
    assert plain.quotePrefix is False


@pytest.mark.parametrize("value", HOSTILE, ids=_named)
def test_formula_guard_result_workbook_stores_each_formula_start_as_text(value):
    from survey.journey.workbook import _put

    wb = openpyxl.Workbook()
    _put(wb.active, 1, [value, "Walkers"])
    data = io.BytesIO()
    wb.save(data)
    back = openpyxl.load_workbook(io.BytesIO(data.getvalue())).active
    assert back["A1"].data_type == "s"
    assert back["A1"].value.lstrip("\t\r\n") == value.lstrip("\t\r\n")


def test_formula_guard_audit_csv_quotes_each_formula_start(client, login):
    from survey.extensions import db

    login("admin")
    for value in HOSTILE:
        db.session.add(AuditEvent(actor="cli", action="sign-in-failed", target=value))
    db.session.commit()
    page = client.get("/staff/audit.csv?action=sign-in-failed")
    targets = _csv_cells(page.get_data(as_text=True), "target")
    assert sorted(targets) == sorted("'" + v for v in HOSTILE)


def test_formula_guard_invitations_csv_quotes_each_formula_start(app):
    from survey.journey.invitations import InvitationRow, invitations_csv
    from survey.models import Invitation

    rows = [
        InvitationRow(Invitation(token=f"t{i}"), i, value, value, "not started")
        for i, value in enumerate([*HOSTILE, "Walkers"])
    ]
    with app.test_request_context():
        out = invitations_csv(rows)
    assert _csv_cells(out, "name") == ["'" + v for v in HOSTILE] + ["Walkers"]
    assert _csv_cells(out, "area code") == ["'" + v for v in HOSTILE] + ["Walkers"]
