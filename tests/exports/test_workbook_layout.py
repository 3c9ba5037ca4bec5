"""How every workbook sheet looks once reopened: print layout, header, key/value pages.

Boards print these sheets and volunteers read them in LibreOffice or Excel: each
sheet prints landscape on A4, one page wide and as many pages long as it needs,
without gridlines; its name fits Excel's 31 characters; its header is white bold
text on NHS blue, wrapped; a method sheet's labels are bold and its details wrap.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl

from exports.workbook_style import (
    BOLD,
    add_filter,
    cell,
    new_sheet,
    new_workbook,
    write_header,
    write_key_values,
    write_row,
)

NHS_BLUE = "00005EB8"  # openpyxl reads colours back with their alpha byte first
WHITE = "00FFFFFF"
A4 = 9  # the paper size code of ECMA-376 for A4


def _reopened(workbook) -> openpyxl.Workbook:
    out = io.BytesIO()
    workbook.save(out)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def test_a_sheet_prints_landscape_on_a4_one_page_wide_and_its_name_fits_excel():
    workbook = new_workbook()
    new_sheet(workbook, "Support plans for every group in the portfolio")
    (sheet,) = _reopened(workbook).worksheets
    assert sheet.title == "Support plans for every group i"  # its first 31 characters
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and setup.paperSize == A4
    # fit to one page wide; 0 pages tall means "as many as it takes"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert setup.fitToWidth == 1 and setup.fitToHeight == 0
    assert sheet.print_options.gridLines is False


def test_the_header_is_white_bold_wrapped_on_nhs_blue_and_the_filter_covers_what_was_written():
    workbook = new_workbook()
    ws = new_sheet(workbook, "Groups")
    write_header(ws, ["Group"])
    ws.append([cell(ws, "Hope Café")])
    ws.append([cell(ws, "Riverside Men's Shed")])
    add_filter(ws, 1, 3)  # one column, the header and two rows
    (sheet,) = _reopened(workbook).worksheets
    header = sheet["A1"]
    assert header.value == "Group"
    assert header.fill.fgColor.rgb == NHS_BLUE
    assert header.font.bold and header.font.color.rgb == WHITE
    assert header.alignment.wrap_text
    assert sheet.auto_filter.ref == "A1:A3"


def test_the_same_text_in_two_styles_keeps_each_style():
    """A workbook reuses a cell it made for the same value in the same style: the style
    is part of the same, so a bold name and the same name plain stay as written."""
    workbook = new_workbook()
    ws = new_sheet(workbook, "Names")
    ws.append([cell(ws, "Hope Café", font=BOLD), cell(ws, "Hope Café")])
    ws.append([cell(ws, "Hope Café"), cell(ws, "Hope Café", font=BOLD)])
    (sheet,) = _reopened(workbook).worksheets
    assert [[c.font.bold for c in row] for row in sheet.iter_rows()] == [
        [True, False],
        [False, True],
    ]


def test_a_method_sheet_has_bold_labels_and_wrapped_details():
    workbook = new_workbook()
    ws = new_sheet(workbook, "Method")
    write_key_values(ws, [("Small numbers", "Figures for fewer than five groups are hidden.")])
    (sheet,) = _reopened(workbook).worksheets
    assert [c.value for c in sheet[1]] == ["Item", "Detail"]
    label, detail = sheet["A2"], sheet["B2"]
    assert label.value == "Small numbers" and label.font.bold
    assert detail.alignment.wrap_text and not detail.font.bold


def test_a_row_of_plain_values_is_written_as_cell_writes_them():
    """write_row's fast path (values openpyxl takes as they are) changes nothing written."""
    values = [1.5, None, 3, True, 0.1 + 0.2, "Hope Café", 0]

    def sheet_xml(write) -> bytes:
        workbook = new_workbook()
        write(new_sheet(workbook, "Rows"))
        out = io.BytesIO()
        workbook.save(out)
        return zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")

    fast = sheet_xml(lambda ws: write_row(ws, values))
    assert fast == sheet_xml(lambda ws: ws.append([cell(ws, v) for v in values]))
    assert b"<v>1.5</v>" in fast and b"Hope Caf" in fast  # the values are there
