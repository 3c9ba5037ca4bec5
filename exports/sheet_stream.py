"""openpyxl's write-only sheet, with its rows written to the file as text.

openpyxl writes each cell of a write-only sheet through lxml, element by element: about
7 microseconds a cell, so a support-plans workbook for 20,000 groups (some three million
cells) spent most of its 40 seconds there. ``StreamedSheet`` is the same sheet with one
step replaced: each appended row is rendered to the very bytes openpyxl would have
written (a test holds them equal, value by value) and written to the sheet's file
directly. Everything else in the sheet (widths, frozen panes, filters, drop-downs, page
set-up, breaks) and the workbook around it is still openpyxl's own.

Rows hold what ``ws.append`` takes: plain values (nothing, numbers, text) and cells.
Anything less common (a formula, an error code, a date given bare, a cell with a
comment or a link) is handed to openpyxl's own cell writer, so the output is the same.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import NamedTuple

from lxml.etree import xmlfile
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell._writer import lxml_write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS

from .kept import Kept

MAX_TEXT = 32767  # characters in a cell; openpyxl cuts text there
TEXTS_KEPT = 20_000  # distinct texts a sheet keeps written (row_xml): a few MB


def _escaped(text: str) -> str:
    """Text as libxml2 writes it: these four escaped, the rest of non-ASCII as &#N; on
    encoding (openpyxl's sheets are written without a declaration, so in ASCII).
    Chained replaces: several times faster than str.translate on short text."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _plain_text(value: str) -> bool:
    """Text openpyxl keeps as it is: no formula or error code, nothing to cut or refuse."""
    return (
        value[:1] != "="
        and value not in ERROR_CODES
        and len(value) <= MAX_TEXT
        and not ILLEGAL_CHARACTERS_RE.search(value)
    )


def _text(ref: str, style: str, value: str) -> str:
    return f'<c r="{ref}"{_text_tail(style, value)}'


def _text_tail(style: str, value: str) -> str:
    """A text cell after its reference: the same for each cell of the same text and style."""
    if not value:
        return f'{style} t="inlineStr"></c>'
    space = ' xml:space="preserve"' if value != value.strip() else ""
    text = _escaped(value)
    return f'{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _openpyxl_cell(ws, cell: Cell) -> str:
    """The cell as openpyxl's own writer writes it (comments and links recorded as it does)."""
    if cell._comment is not None:
        ws._comments.append(CommentRecord.from_cell(cell))
    out = io.BytesIO()
    with xmlfile(out) as xf:
        lxml_write_cell(xf, ws, cell, cell.has_style)
    return out.getvalue().decode("ascii")


def _styled(ws, cell: Cell, ref: str) -> str:
    """A cell object: the common kinds written as their ``Styled`` is, the rest (formulas,
    error codes, rich text, comments, links, dates in ISO form) by openpyxl."""
    value, kind = cell._value, cell.data_type
    common = (kind == "s" and type(value) is str) or (
        kind in ("n", "b", "d") and type(value) is not str and Styled.holds(value)
    )
    if common and cell._comment is None and cell.hyperlink is None and not ws.parent.iso_dates:
        return Styled(value, cell.style_id if cell.has_style else None).xml(ws, ref) or ""
    return _openpyxl_cell(ws, cell)


class Styled(NamedTuple):
    """A value and the id of its style in the workbook (None for none), written as an
    openpyxl cell holding them would be; text is text whatever it starts with. Made by
    ``workbook_style.cell`` for a streamed sheet: a cell object each costs more than the
    writing."""

    value: object
    style_id: int | None

    @staticmethod
    def holds(value: object) -> bool:
        """True for the values written here (others need a cell object)."""
        kind = type(value)
        if kind in (str, int, float, bool) or value is None:
            return True
        return kind in (dt.date, dt.datetime) and getattr(value, "tzinfo", None) is None

    def xml(self, ws, ref: str) -> str | None:
        value, kind = self.value, type(self.value)
        style = "" if self.style_id is None else f' s="{self.style_id}"'
        if kind is str:
            return _text(ref, style, value)
        if value is None:
            return f'<c r="{ref}"{style} t="n"></c>' if style else None
        if kind is bool:
            return f'<c r="{ref}"{style} t="b"><v>{safe_string(value)}</v></c>'
        if kind is not int and kind is not float:
            value = to_excel(value, ws.parent.epoch)
        return f'<c r="{ref}"{style} t="n"><v>{safe_string(value)}</v></c>'


_CELL_STARTS: list[str] = ['<c r="']  # '<c r="' and a column's letters, by column number
_CELL_STARTS_GROWN = threading.Lock()  # two threads growing it at once would misalign it


def _cell_starts(columns: int) -> list[str]:
    """'<c r="A', '<c r="B', ... for columns 1 to ``columns`` at least (index 0 unused)."""
    with _CELL_STARTS_GROWN:
        for column in range(len(_CELL_STARTS), columns + 1):
            _CELL_STARTS.append(f'<c r="{get_column_letter(column)}')
    return _CELL_STARTS


def _number_tail(value: int | float) -> str:
    return f' t="n"><v>{safe_string(value)}</v></c>'


def _text_tail_if_plain(value: str) -> str:
    """A text cell after its reference, "" for text that is not plain (openpyxl reads it)."""
    return _text_tail("", value) if _plain_text(value) else ""


def _styled_tail(ws, value: Styled) -> str:
    """A ``Styled``'s cell after its reference ("" for one that writes no cell)."""
    xml = value.xml(ws, "")
    return "" if xml is None else xml[len('<c r=""') :]


def row_xml(ws, values, row: int) -> bytes:
    """One appended row as the bytes openpyxl's writer would put in the sheet.

    A cell is its reference and a tail that is the same for each cell of the same value:
    a support plans workbook writes 1.8 million cells, most of them repeats (a group's
    name on each of its lines, a domain's name, a level and its words). So the tail of
    each distinct value is worked out once a sheet and kept, at most TEXTS_KEPT of each
    kind (the first a sheet meets: an Id column's values are each met once):
    - text by its value ("" for text that is not plain: openpyxl's own reading, below);
    - an int by its value (only ints are looked up there: True and 1 are equal keys);
    - a ``Styled`` by its id, with the object held in its entry so the id is not reused
      while kept. Not by value, as ``Kept`` keeps: equal ones may be written
      differently (1, 1.0 and True; 0.0 and -0.0), and ``cell`` gives the same object
      for the same value and style.

    Floats are not kept."""
    memo = ws.__dict__.get("_app_tails")
    if memo is None:
        memo = ws.__dict__["_app_tails"] = (
            Kept(_text_tail_if_plain, TEXTS_KEPT),
            Kept(_number_tail, TEXTS_KEPT),
            {},  # Styled tails by id
        )
    texts, ints, styled = memo
    if type(values) is not list:
        values = list(values)  # a tuple, a range or a generator, as openpyxl takes
    starts = _CELL_STARTS if len(values) < len(_CELL_STARTS) else _cell_starts(len(values))
    at = f'{row}"'
    parts = [f'<row r="{row}">']
    add = parts.append
    for column, value in enumerate(values, start=1):
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            tail = texts[value]
            if tail:
                add(f"{starts[column]}{at}{tail}")
                continue  # text that is not plain: openpyxl's own reading, below
        elif kind is Styled:  # by id, with the object held (see the note above)
            entry = styled.get(id(value))
            if entry is not None and entry[0] is value:
                tail = entry[1]
            else:
                tail = _styled_tail(ws, value)
                if len(styled) < TEXTS_KEPT:
                    styled[id(value)] = (value, tail)
            if tail:
                add(f"{starts[column]}{at}{tail}")
            continue
        elif kind is int:
            add(f"{starts[column]}{at}{ints[value]}")
            continue
        elif kind is float:
            add(f"{starts[column]}{at}{_number_tail(value)}")
            continue
        ref = f"{get_column_letter(column)}{row}"
        if not isinstance(value, Cell):
            value = WriteOnlyCell(ws, value=value)  # openpyxl's own reading of the value
        value.column, value.row = column, row
        if value.hyperlink is not None:
            value.hyperlink.ref = ref
        if value._value is None and not value.has_style and value._comment is None:
            continue  # openpyxl skips an empty, plain cell
        add(_styled(ws, value, ref))
    add("</row>")
    return "".join(parts).encode("ascii", "xmlcharrefreplace")


class _Writer(WorksheetWriter):
    """openpyxl's sheet writer over a file it can also write rows to directly."""

    def get_stream(self):
        with open(self.out, "wb") as raw, xmlfile(raw, buffered=False) as xf:
            self.raw = raw
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        el = yield
                        if el is True:
                            yield xf
                        elif el is not None:
                            xf.write(el)
                except GeneratorExit:
                    pass


class StreamedSheet(WriteOnlyWorksheet):
    """A write-only sheet whose rows go to the file as text (see the module's note)."""

    def _get_writer(self):
        if self._writer is None:
            self._writer = _Writer(self)
            self._writer.write_top()

    def append(self, row):
        """openpyxl's append; a list after the first row goes straight to the writer
        (openpyxl's checks took as long as rendering a short row)."""
        if type(row) is list and self._rows is not None:
            self._rows.send(row)
        else:
            super().append(row)

    def _write_rows(self):
        xf = self._writer.xf.send(True)
        with xf.element("sheetData"):
            xf.flush()  # the start tag is out: rows follow it in the file
            raw = self._writer.raw
            row = 1
            try:
                while True:
                    raw.write(row_xml(self, (yield), row))
                    row += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)
