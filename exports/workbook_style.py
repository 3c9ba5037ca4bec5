"""How every workbook looks and stays safe: headers, level colours, text that is never a formula.

All workbooks are written in openpyxl's write-only mode (rows streamed to disk as
text, see ``sheet_stream``, so 10,000 groups cost little memory); a sheet's widths
and frozen panes must be set before its first row, which is why ``new_sheet`` takes
them up front.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from copy import copy
from pathlib import Path
from typing import IO
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from .formula import looks_like_formula
from .kept import Kept
from .sheet_stream import MAX_TEXT, TEXTS_KEPT, StreamedSheet, Styled

# Same colours as app.css .app-level--N, so a level looks the same on a page and in a sheet.
LEVEL_COLOURS = {1: "D4351C", 2: "F47738", 3: "FFDD00", 4: "85994B", 5: "00703C"}
LEVEL_TEXT = {1: "FFFFFF", 2: "0B0C0C", 3: "0B0C0C", 4: "0B0C0C", 5: "FFFFFF"}
HEADER_FILL = PatternFill("solid", fgColor="005EB8")
HEADER_FONT = Font(bold=True, color="FFFFFF")
SUBHEADER_FILL = PatternFill("solid", fgColor="E8F1F8")
SUPPRESSED_FILL = PatternFill("solid", fgColor="DDDDDD")
BOLD = Font(bold=True)
STATUSES = ("Not started", "In progress", "Done")
DATE_FORMAT = "yyyy-mm-dd"
# zlib's level for the file's parts: 3 takes 0.8 s over a support-plans workbook's 131 MB
# of sheets where openpyxl's (zlib's default, 6) takes 2.1 s; the file is 12.3 MB, not 10.0
COMPRESS_LEVEL = 3


def new_workbook() -> Workbook:
    """A streaming (write-only) workbook with no sheets yet."""
    return Workbook(write_only=True)


def save_workbook(workbook: Workbook, out: str | Path | IO[bytes]) -> None:
    """Write the workbook: as ``Workbook.save`` does, with quicker compression."""
    if not workbook.worksheets:
        workbook.create_sheet()
    archive = ZipFile(out, "w", ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)  # zip64 as needed
    workbook.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    ExcelWriter(workbook, archive).save()


def new_sheet(
    workbook: Workbook,
    title: str,
    widths: Sequence[float] = (),
    freeze: str | None = "A2",
):
    """A sheet with column widths and frozen header set before any row is written.

    Its rows go to the file as text (``StreamedSheet``): the same bytes as openpyxl's,
    several times faster."""
    ws = StreamedSheet(parent=workbook, title=title[:31])
    workbook._add_sheet(ws)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    return ws


def clean_text(value: str) -> str:
    """Text with the control characters Excel refuses removed."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


WRAP = Alignment(wrap_text=True, vertical="top")


def cell(ws, value: object, *, fill=None, font=None, number_format=None, wrap=False):
    """One cell; text is always text (a leading = + - @ never becomes a formula).

    On a streamed sheet the common values come back as a ``Styled`` (the value and its
    style's id), written as this cell would be without building it: a workbook has a
    million of them. And most are repeats (a level, its words, a sub-heading on every
    group's page), so the workbook keeps each ``Styled`` made (immutable) for the next
    time the same value is asked for in the same style."""
    made = ws.__dict__.get("_app_made", False)
    if made is False:
        made = _made_cells(ws)
    asked = None
    if made is not None and type(value) is not float:
        # the type too: 1, 1.0 and True are equal keys, and are written differently; and
        # no float (0.0 and -0.0 are equal keys too)
        asked = (type(value), value, id(fill), id(font), number_format, wrap)
        try:
            known_cell = made.get(asked)
        except TypeError:  # an unhashable value: made afresh
            known_cell, asked = None, None
        if known_cell is not None:
            return known_cell
    if isinstance(value, str):
        value = clean_text(value)[:MAX_TEXT]
    quote = isinstance(value, str) and looks_like_formula(value)  # Excel keeps it text, too
    if isinstance(value, dt.datetime | dt.date) and number_format is None:
        number_format = DATE_FORMAT if type(value) is dt.date else "yyyy-mm-dd hh:mm"
    # Setting a style looks it up in the workbook's lists by hashing it, which is slow;
    # the same combination always gives the same style ids, so keep them per workbook.
    key = (id(fill), id(font), number_format, wrap, quote)
    styles = ws.parent.__dict__.setdefault("_app_styles", {})
    known = styles.get(key)
    if known is None:
        known = styles[key] = _style(ws, fill, font, number_format, wrap, quote)
    array, style_id = known[:2]
    if made is not None and Styled.holds(value):
        # fill and font stay alive in the styles kept above, so their ids in ``asked``
        # name them for as long as the workbook lives
        styled = Styled(value, style_id)
        if asked is not None:
            made[asked] = styled
        return styled
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
    if array is not None:
        c._style = copy(array)
    return c


def _made_cells(ws) -> dict | None:
    """The ``Styled`` values ``cell`` has made in the sheet's workbook, by what was asked
    (None for a sheet that is not streamed), noted on the sheet for its next cells."""
    streamed = isinstance(ws, StreamedSheet) and not ws.parent.iso_dates
    made = ws.parent.__dict__.setdefault("_app_cells", {}) if streamed else None
    ws.__dict__["_app_made"] = made
    return made


def _style(ws, fill, font, number_format, wrap: bool, quote: bool) -> tuple:
    """(openpyxl's style array, its id in the workbook, fill, font) for a combination;
    (None, None, ...) for no style. Holding fill and font keeps their ids (the key) unique."""
    if fill is None and font is None and number_format is None and not wrap and not quote:
        return (None, None, fill, font)
    c = WriteOnlyCell(ws)
    if fill is not None:
        c.fill = fill
    if font is not None:
        c.font = font
    if number_format is not None:
        c.number_format = number_format
    if wrap:
        c.alignment = WRAP
    if quote:
        c.quotePrefix = True
    return (copy(c._style), c.style_id, fill, font)


LEVEL_FILLS = {n: PatternFill("solid", fgColor=c) for n, c in LEVEL_COLOURS.items()}
LEVEL_FONTS = {n: Font(bold=True, color=c) for n, c in LEVEL_TEXT.items()}


def level_cell(ws, level: int | None, text: object | None = None):
    """A cell coloured by level (1..5); grey (with the text given, if any) when there is none."""
    if level is None:
        return cell(ws, text if text is not None else "", fill=SUPPRESSED_FILL)
    value = text if text is not None else level
    return cell(ws, value, fill=LEVEL_FILLS[level], font=LEVEL_FONTS[level])


def colour_levels(ws, cells: str) -> None:
    """Colour numbers 1..5 in a range by level with conditional formatting (no per-cell style)."""
    for level in LEVEL_COLOURS:
        rule = CellIsRule(
            operator="equal", formula=[str(level)], fill=LEVEL_FILLS[level], font=LEVEL_FONTS[level]
        )
        ws.conditional_formatting.add(cells, rule)


def write_header(ws, names: Sequence[str]) -> None:
    """The bold, coloured header row."""
    ws.append([cell(ws, n, fill=HEADER_FILL, font=HEADER_FONT, wrap=True) for n in names])


def plain(text: str) -> bool:
    """True for text openpyxl writes as it is, just as ``cell`` would: no formula start, no
    control character, and not an error code (which openpyxl would store as an error).
    Other text goes through ``cell``; write_row passes numbers and None as they are."""
    return (
        not looks_like_formula(text)
        and text not in ERROR_CODES
        and not ILLEGAL_CHARACTERS_RE.search(text)
    )


_AS_THEY_ARE = frozenset({type(None), int, float, bool, Styled})  # plain, or made by cell


def write_row(ws, values: Iterable[object]) -> None:
    """A row of values, text kept as text. Plain values go to openpyxl as they are: a
    styled cell object for each of a workbook's million values was most of its cost.
    Whether a text is plain is worked out once a sheet for each distinct text (at most
    TEXTS_KEPT kept): most of a big workbook's texts are repeats."""
    known = ws.__dict__.get("_app_plain")
    if known is None:
        known = ws.__dict__["_app_plain"] = Kept(plain, TEXTS_KEPT)
    ws.append(
        [
            value
            if (kind := type(value)) in _AS_THEY_ARE
            or (known[value] if kind is str else isinstance(value, Cell))
            else cell(ws, value)  # text that is not plain; a date, a str or int subclass
            for value in values
        ]
    )


def add_filter(ws, columns: int, rows: int, first_row: int = 1) -> None:
    """Filter buttons on the header row over the written range."""
    last = get_column_letter(max(columns, 1))
    ws.auto_filter.ref = f"A{first_row}:{last}{max(rows, first_row)}"


def add_status_choices(
    ws, column: str, first_row: int, last_row: int, choices: Sequence[str] = ()
) -> DataValidation:
    """A drop-down of statuses on a column (Not started / In progress / Done by default)."""
    choices = tuple(choices) or STATUSES
    rule = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error=f"Choose {', '.join(choices[:-1])} or {choices[-1]}.",
    )
    rule.add(f"{column}{first_row}:{column}{max(last_row, first_row)}")
    ws.data_validations.append(rule)
    return rule


def add_date_check(ws, column: str, first_row: int, last_row: int) -> DataValidation:
    """Only dates (from 2020 on) in a column."""
    rule = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="DATE(2020,1,1)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Date",
        error="Enter a date, for example 2026-03-31.",
    )
    rule.add(f"{column}{first_row}:{column}{max(last_row, first_row)}")
    ws.data_validations.append(rule)
    return rule


def write_key_values(ws, pairs: Iterable[tuple[str, object]]) -> None:
    """Two columns under an Item / Detail header: the method and instructions sheets."""
    write_header(ws, ["Item", "Detail"])
    for label, value in pairs:
        ws.append([cell(ws, label, font=BOLD), cell(ws, value, wrap=True)])
