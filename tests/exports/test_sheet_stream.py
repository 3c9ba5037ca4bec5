"""A streamed sheet writes exactly the bytes openpyxl's own write-only sheet writes.

``StreamedSheet`` replaces one step of openpyxl (how an appended row reaches the file),
so the rule is simple: for the same rows, the sheet's XML must be byte for byte what
openpyxl writes. Then everything openpyxl promises about its files (Excel and
LibreOffice open them; text stays text; styles, dates and numbers read back) holds for
ours too.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.utils.exceptions import IllegalCharacterError

from exports import sheet_stream
from exports.sheet_stream import StreamedSheet, Styled
from exports.workbook_style import (
    BOLD,
    HEADER_FILL,
    cell,
    level_cell,
    new_sheet,
    new_workbook,
    write_header,
    write_row,
)


def _sheets(rows_of) -> tuple[bytes, bytes, bytes]:
    """(openpyxl's sheet XML, ours, our whole file) for rows made by rows_of(ws)."""
    out = []
    for streamed in (False, True):
        wb = Workbook(write_only=True)
        if streamed:
            ws = StreamedSheet(parent=wb, title="Sheet")
            wb._add_sheet(ws)
        else:
            ws = wb.create_sheet("Sheet")
        ws.column_dimensions["A"].width = 20
        ws.freeze_panes = "A2"
        for row in rows_of(ws):
            ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        out.append(buf.getvalue())
    stock, ours = (zipfile.ZipFile(io.BytesIO(b)).read("xl/worksheets/sheet1.xml") for b in out)
    return stock, ours, out[1]


EVERY_KIND = [
    ["plain", "café 😀 – ünïcode", "a\r\nb\tc & <d> \"e\" 'f'", " leading", "trailing ", "   "],
    ["", None, 0, -0.0, 1.5, 10**20, 2**63, 1e-300, 0.1 + 0.2, float("nan"), float("inf")],
    [True, False, Decimal("2.50"), dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 9, 30)],
    ["=SUM(A1:A2)", "=", "#N/A", "#DIV/0!", "x" * 40_000, "+44 1234", "-3", "@me"],
    [],
    [None, None, "after two gaps"],
]


def _styled_rows(ws):
    yield [cell(ws, "Header", fill=HEADER_FILL, font=BOLD, wrap=True), cell(ws, "=1+1")]
    yield [level_cell(ws, n) for n in (1, 2, 3, 4, 5)] + [level_cell(ws, None)]
    yield [level_cell(ws, 3, "3 (moderated)"), cell(ws, dt.date(2026, 1, 2)), cell(ws, 7)]
    yield [cell(ws, None, fill=HEADER_FILL), cell(ws, ""), cell(ws, True), cell(ws, 2.25)]
    yield [cell(ws, "#N/A"), cell(ws, "y" * 40_000, wrap=True), cell(ws, None), cell(ws, "a\x07b")]
    commented = WriteOnlyCell(ws, value="with a note")
    commented.comment = Comment("A note", "Broker")
    linked = WriteOnlyCell(ws, value="a link")
    linked.hyperlink = "https://example.org/"
    yield [commented, linked, cell(ws, dt.datetime(2026, 1, 2, 3, 4, 5))]


def test_every_kind_of_value_is_written_as_openpyxl_writes_it():
    stock, ours, _ = _sheets(lambda ws: EVERY_KIND)
    assert ours == stock
    # and the comparison is not of two empty sheets: the values are in it
    assert b"caf&#233; &#128512;" in ours and b"<f>SUM(A1:A2)</f>" in ours


def test_wide_rows_and_rows_given_as_tuples_ranges_or_generators_are_written_as_openpyxl_does():
    def rows(ws):
        return [
            [f"c{n}" if n % 2 else n for n in range(800)],  # to column ADT, past ZZ
            ("a tuple", 1, None, 2.5),
            range(3),
            (v for v in ["a generator", None, 7]),
            ["short"],
            [None] * 799 + ["last of 800"],
        ]

    stock, ours, _ = _sheets(rows)
    assert ours == stock
    assert b'<c r="ADT1" t="inlineStr"><is><t>c799</t>' in ours
    assert b'<c r="ADT6" t="inlineStr"><is><t>last of 800</t>' in ours
    assert b'<c r="A4" t="inlineStr"><is><t>a generator</t>' in ours


@pytest.mark.parametrize("kept", [0, 3, 1000])
def test_texts_met_again_are_written_as_the_first_time(kept, monkeypatch):
    """Each distinct text is checked and escaped once a sheet (at most TEXTS_KEPT kept):
    a text met again, a formula or error code met again (not plain: openpyxl writes it),
    and texts past the number kept are all written as openpyxl writes them."""
    monkeypatch.setattr(sheet_stream, "TEXTS_KEPT", kept)
    rows = [["a & b", "=1+2", "#N/A", " x", "a & b"], ["=1+2", "a & b", "new", "#N/A", " x"]]
    # equal values written differently: 1, 1.0 and True; 0.0 and -0.0; and the same as
    # styled cells, none of which may be written as the one before it
    rows.append([1, 1.0, True, 0.0, -0.0, 0, -0.0, 0.0, 1, True])

    def made(ws):
        styled = [cell(ws, v, wrap=True) for v in (1, 1.0, True, 0.0, -0.0, "1", -0.0)]
        return [*rows, styled, styled[::-1]] * 3

    stock, ours, _ = _sheets(made)
    assert ours == stock
    assert ours.count(b"<f>1+2</f>") == 6 and ours.count(b"a &amp; b") == 9
    assert ours.count(b"<v>-0</v>") == 3 * 6  # a copy: twice plain, twice in each styled row


def test_styled_cells_dates_comments_and_links_are_written_as_openpyxl_writes_them():
    stock, ours, whole = _sheets(_styled_rows)
    assert ours == stock
    sheet = load_workbook(io.BytesIO(whole))["Sheet"]
    assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb == "00005EB8"
    assert sheet["A1"].alignment.wrap_text and sheet["A1"].alignment.vertical == "top"
    assert not sheet["B1"].alignment.wrap_text  # not asked for
    assert sheet["B1"].value == "=1+1" and sheet["B1"].data_type == "s"  # text, not a formula
    assert (
        sheet["B3"].value == dt.datetime(2026, 1, 2) and sheet["B3"].number_format == "yyyy-mm-dd"
    )
    assert sheet["A5"].value == "#N/A" and sheet["A5"].data_type == "s"  # text, not an error
    assert len(sheet["B5"].value) == 32_767 and sheet["D5"].value == "ab"
    assert sheet["A6"].comment.text == "A note"
    assert sheet["B6"].hyperlink.target == "https://example.org/"


def test_a_streamed_sheets_cells_are_written_without_cell_objects():
    wb = new_workbook()
    ws = new_sheet(wb, "Sheet")
    values = ["text", "=1+1", 3, 2.5, True, None, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2)]
    assert all(isinstance(cell(ws, v, wrap=True), Styled) for v in values)
    assert isinstance(cell(ws, Decimal("1.5")), Cell)  # the rare kinds as openpyxl's
    # the same style for the same combination, and none for a plain one
    assert cell(ws, "a", fill=HEADER_FILL).style_id == cell(ws, 7, fill=HEADER_FILL).style_id
    assert cell(ws, "plain").style_id is None


@pytest.mark.parametrize("value", [["a list"], {"a": "dict"}, {"a set"}])
def test_a_value_no_cell_can_hold_is_refused_as_openpyxl_refuses_it(value):
    """A list, dict or set cannot be a key of the workbook's cells made (unhashable): it is
    handed to openpyxl, which says what is wrong, on a streamed sheet as on its own."""
    for ws in (Workbook(write_only=True).create_sheet("Sheet"), new_sheet(new_workbook(), "S")):
        with pytest.raises(ValueError, match="Cannot convert"):
            cell(ws, value, wrap=True)


def test_text_openpyxl_refuses_is_refused_the_same_way():
    with pytest.raises(IllegalCharacterError):
        _sheets(lambda ws: [["bell \x07"]])


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_value = st.one_of(
    st.none(),
    _text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1)),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.lists(_value, max_size=8), max_size=6))
def test_any_rows_openpyxl_accepts_are_written_as_it_writes_them(rows):
    try:
        stock, ours, _ = _sheets(lambda ws: rows)
    except IllegalCharacterError:
        # openpyxl refuses control characters; so must the streamed sheet, on its own
        with pytest.raises(IllegalCharacterError):
            wb = new_workbook()
            ws = new_sheet(wb, "Sheet")
            for row in rows:
                ws.append(row)
        return
    assert ours == stock


def test_the_workbooks_sheets_are_streamed_and_read_back():
    wb = new_workbook()
    ws = new_sheet(wb, "Plans", widths=(10, 30))
    assert isinstance(ws, StreamedSheet)
    write_header(ws, ["Id", "Action"])
    write_row(ws, [1, '=HYPERLINK("http://evil")'])
    write_row(ws, [2, "Plan the next step"])
    buf = io.BytesIO()
    wb.save(buf)
    sheet = load_workbook(io.BytesIO(buf.getvalue()))["Plans"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows == [["Id", "Action"], [1, '=HYPERLINK("http://evil")'], [2, "Plan the next step"]]
    assert sheet["B2"].data_type == "s" and sheet["B2"].quotePrefix
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width == 30
