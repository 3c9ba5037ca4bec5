"""Paper answers: a workbook template to fill in offline, and reading a filled one back.

Decisions (also written on the template's instructions sheet):
- Answer cells take the option *label* as shown in the drop-down (what a person
  reads on the paper form); the option *value* (the id) is accepted too.
- Row 1 holds the question ids (the machine header, checked on import), row 2
  the question text; answers start on row 3, one row per group.
- "Tick all that apply" questions take labels separated by semicolons.
- A blank cell is an unanswered question, as online; a row with no answers at
  all is a group that has not answered and is skipped.
Reading is pure: the shell passes the valid area codes and group ids and gets
rows of answers or errors naming the row and column.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from instruments import Instrument, Question
from instruments.answers import Refused, answer_type, as_text, parse, text_limit

from .workbook_style import (
    SUBHEADER_FILL,
    cell,
    new_sheet,
    new_workbook,
    save_workbook,
    write_header,
    write_key_values,
    write_row,
)

RESPONSES = "Responses"
OPTIONS = "Options"
INSTRUCTIONS = "Instructions"
FIXED = ("org_id", "org_name")
FIRST_ANSWER_ROW = 3
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


class PaperFileError(Exception):
    """The file as a whole cannot be read as this instrument's paper workbook."""


@dataclass(frozen=True)
class ReadLimits:
    """How much of a workbook is read before it is refused: a hostile file (a zip bomb,
    a million blank rows) must not hold the server's memory or time.

    Sizes are the zip's own record of each part's unpacked size, checked before the
    workbook is opened (Python's zip reader never unpacks more than that record says).
    Parts other than worksheets (shared strings, styles) are read whole, so they get the
    tighter bound; worksheets are read row by row.
    """

    members: int = 300
    unpacked_bytes: int = 32 * 1024 * 1024
    whole_part_bytes: int = 8 * 1024 * 1024
    rows: int = 20_000
    cells: int = 2_000_000
    columns: int = 1_000
    seconds: float = 20.0


# A row or cell element in a worksheet's XML, with or without a namespace prefix.
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")


LIMITS = ReadLimits()


@dataclass(frozen=True)
class PaperRow:
    """One group's answers from one row of the sheet."""

    row: int
    org_id: int
    answers: dict[str, object]

    def content_hash(self, round_slug: str) -> str:
        """The import key: the same round, group and answers give the same key."""
        text = json.dumps([round_slug, self.org_id, self.answers], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class PaperResult:
    """What a filled workbook holds: good rows, and errors with row and column."""

    rows: list[PaperRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped_blank: int = 0


# ---------------------------------------------------------------- template


def write_template(
    instrument: Instrument,
    groups: Iterable[tuple[int, str]],
    path: str | Path | io.BytesIO,
) -> None:
    """The paper template: instructions, one row per group, drop-downs, an options sheet."""
    groups = list(groups)
    questions = instrument.questions
    wb = new_workbook()
    _write_instructions(wb, instrument)
    ws = new_sheet(wb, RESPONSES, widths=(10, 34, *[22] * len(questions)), freeze="C3")
    write_header(ws, [*FIXED, *(q.id for q in questions)])
    write_row(
        ws,
        [
            cell(ws, "Group id", fill=SUBHEADER_FILL, wrap=True),
            cell(ws, "Group name", fill=SUBHEADER_FILL, wrap=True),
            *(cell(ws, _question_text(q), fill=SUBHEADER_FILL, wrap=True) for q in questions),
        ],
    )
    for org_id, name in groups:
        write_row(ws, [org_id, name])
    last = FIRST_ANSWER_ROW + max(len(groups), 200) - 1  # room for groups added by hand
    option_columns = _write_options(wb, questions)
    for index, question in enumerate(questions, start=len(FIXED) + 1):
        letter = get_column_letter(index)
        target = f"{letter}{FIRST_ANSWER_ROW}:{letter}{last}"
        options = None
        if question.id in option_columns:
            source, count = option_columns[question.id]
            options = f"{OPTIONS}!${source}$2:${source}${count + 1}"
        spec = answer_type(question).paper_rule(question, options)
        if spec is None:
            continue
        rule = DataValidation(**spec)
        rule.add(target)
        ws.data_validations.append(rule)
    save_workbook(wb, path)


def _question_text(question: Question) -> str:
    text = question.text + answer_type(question).paper_note
    if not question.required:
        text += " (optional)"
    return text


def _write_instructions(wb, instrument: Instrument) -> None:
    ws = new_sheet(wb, INSTRUCTIONS, widths=(24, 100), freeze=None)
    write_key_values(
        ws,
        [
            ("Instrument id", instrument.id),
            ("Instrument version", instrument.version),
            ("Title", instrument.title),
            (
                "How to fill it in",
                "One row per group on the Responses sheet. Copy each group's "
                "paper answers into its row. Do not change rows 1 and 2 or the org_id column.",
            ),
            (
                "Answers",
                "Pick the answer from the drop-down: it shows the option labels as on "
                "the paper form. The short option ids on the Options sheet are accepted too.",
            ),
            (
                "Tick all that apply",
                "Type the labels separated by a semicolon, e.g. "
                "'Befriending; Gardening and nature'.",
            ),
            (
                "Blank cells",
                "A blank cell is a question not answered. A row with no answers is "
                "a group that has not replied and is left out.",
            ),
            (
                "New groups",
                "Add a row with the group's id from the service; ask an administrator "
                "to add groups that are not listed.",
            ),
            (
                "Importing",
                "survey import responses FILE.xlsx --round ROUND, or the paper upload "
                "page. Every row is checked; if any row has a problem nothing is imported and "
                "the error report names the row and column.",
            ),
        ],
    )


def _write_options(wb, questions: Sequence[Question]) -> dict[str, tuple[str, int]]:
    """The options sheet: per listed question, a column of labels; returns its letter and count."""
    listed = [q for q in questions if answer_type(q).listed]
    ws = new_sheet(wb, OPTIONS, widths=[30] * len(listed), freeze="A2")
    write_header(ws, [q.id for q in listed])
    columns = {q.id: [label for _, label in q.choices] for q in listed}
    depth = max((len(v) for v in columns.values()), default=0)
    for i in range(depth):
        write_row(ws, [columns[q.id][i] if i < len(columns[q.id]) else None for q in listed])
    # the ids too, below a gap, so an analyst can see both
    write_row(ws, [])
    write_row(ws, [f"{q.id} (ids)" for q in listed])
    ids = {q.id: [value for value, _ in q.choices] for q in listed}
    for i in range(depth):
        write_row(ws, [ids[q.id][i] if i < len(ids[q.id]) else None for q in listed])
    return {q.id: (get_column_letter(i), len(columns[q.id])) for i, q in enumerate(listed, start=1)}


# ---------------------------------------------------------------- reading back


def check_workbook_file(data: bytes, name: str) -> None:
    """Raise PaperFileError unless the bytes look like an unencrypted .xlsx workbook."""
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in data:
            raise PaperFileError(
                f"{name}: the workbook is password-protected (encrypted); "
                "save it without a password and try again"
            )
        raise PaperFileError(f"{name}: this is an old .xls file; save it as .xlsx")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise PaperFileError(f"{name}: not an Excel workbook (.xlsx)")


def check_workbook_size(data: bytes, name: str, limits: ReadLimits = LIMITS) -> None:
    """Refuse a workbook whose parts unpack to more than the limits, before opening it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PaperFileError(f"{name}: not an Excel workbook that can be read") from None
    too_big = f"{name}: the workbook is too big to read"
    if len(parts) > limits.members:
        raise PaperFileError(f"{too_big} (it has {len(parts)} parts; at most {limits.members})")
    total = sum(p.file_size for p in parts)
    if total > limits.unpacked_bytes:
        raise PaperFileError(
            f"{too_big}: it unpacks to {total // 2**20} MB, more than "
            f"{limits.unpacked_bytes // 2**20} MB. Use the template and only fill in its rows"
        )
    for part in parts:
        if (
            not part.filename.startswith("xl/worksheets/")
            and part.file_size > limits.whole_part_bytes
        ):
            raise PaperFileError(
                f"{too_big}: its part {part.filename[:60]} unpacks to "
                f"{part.file_size // 2**20} MB, more than {limits.whole_part_bytes // 2**20} MB"
            )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part in parts:
            if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                _count_rows(archive, part, name, limits)


def _count_rows(archive: zipfile.ZipFile, part: zipfile.ZipInfo, name: str, limits) -> None:
    """Refuse a worksheet with too many rows or cells, counted in its raw XML as it unpacks
    (openpyxl would otherwise walk every row of it just to open the workbook)."""
    rows = cells = 0
    tail = b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(1 << 20):
                text = tail + chunk
                cut = text.rfind(b"<")  # an element split across chunks is counted next time
                cut = len(text) if cut < 0 or len(text) - cut > 4096 else cut
                rows += len(_ROW.findall(text, 0, cut))
                cells += len(_CELL.findall(text, 0, cut))
                tail = text[cut:]
                if rows > limits.rows + FIRST_ANSWER_ROW or cells > limits.cells:
                    raise PaperFileError(
                        f"{name}: a sheet has more than {limits.rows:,} rows or "
                        f"{limits.cells:,} cells (empty rows count too); delete the rows "
                        "below your answers and try again"
                    )
            rows += len(_ROW.findall(tail))
            cells += len(_CELL.findall(tail))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise PaperFileError(f"{name}: not an Excel workbook that can be read") from None
    if rows > limits.rows + FIRST_ANSWER_ROW or cells > limits.cells:
        raise PaperFileError(
            f"{name}: a sheet has more than {limits.rows:,} rows or {limits.cells:,} cells "
            "(empty rows count too); delete the rows below your answers and try again"
        )


def read_paper_workbook(
    data: bytes,
    name: str,
    instrument: Instrument,
    *,
    group_ids: set[int],
    area_codes: set[str] = frozenset(),
    limits: ReadLimits = LIMITS,
) -> PaperResult:
    """Every row of a filled template checked against the instrument; file errors raise.

    Bounded: sizes are checked before the workbook is opened, and reading stops with
    a PaperFileError after ``limits.rows`` rows or ``limits.seconds`` seconds.
    """
    deadline = time.monotonic() + limits.seconds
    check_workbook_file(data, name)
    check_workbook_size(data, name, limits)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise PaperFileError(f"{name}: not an Excel workbook that can be read ({error})") from None
    except Exception:  # broken XML inside the zip, and the like: still the file's fault
        raise PaperFileError(f"{name}: not an Excel workbook that can be read") from None
    try:
        _check_instrument(wb, name, instrument)
        if RESPONSES not in wb.sheetnames:
            raise PaperFileError(f"{name}: no sheet called '{RESPONSES}'")
        sheet = wb[RESPONSES]
        first = sheet.iter_rows(max_row=1, max_col=limits.columns, values_only=True)
        header = [as_text(v) for v in next(first, ())]
        columns = _check_columns(header, name, instrument)
        # Answers from row 3 (row 2 is the question text), only the template's columns.
        rows = sheet.iter_rows(min_row=FIRST_ANSWER_ROW, max_col=len(columns), values_only=True)
        bounded = bounded_rows(rows, name, limits, deadline)
        return _read_rows(bounded, columns, instrument, group_ids, area_codes)
    except PaperFileError:
        raise
    except Exception:  # a sheet whose XML cannot be parsed
        raise PaperFileError(
            f"{name}: part of the workbook cannot be read; is it damaged?"
        ) from None
    finally:
        wb.close()


def bounded_rows(rows, name: str, limits: ReadLimits, deadline: float, sheet: str = RESPONSES):
    """The sheet's rows, refused past the row limit or the time limit (blank rows count)."""
    for count, row in enumerate(rows, start=1):
        if count > limits.rows:
            raise PaperFileError(
                f"{name}: sheet '{sheet}' has more than {limits.rows:,} rows (empty rows "
                "count too); delete the rows below your answers and try again"
            )
        if count % 500 == 0 and time.monotonic() > deadline:
            raise PaperFileError(
                f"{name}: the workbook took too long to read; "
                "use the template and only fill in its rows"
            )
        yield row


def _check_instrument(wb, name: str, instrument: Instrument) -> None:
    if INSTRUCTIONS not in wb.sheetnames:
        raise PaperFileError(
            f"{name}: no '{INSTRUCTIONS}' sheet; use the template from "
            "'survey export paper-template'"
        )
    facts = {
        as_text(r[0]): as_text(r[1])
        for r in wb[INSTRUCTIONS].iter_rows(max_row=200, max_col=2, values_only=True)
        if r and r[0]
    }
    made_for = (facts.get("Instrument id"), facts.get("Instrument version"))
    if made_for != instrument.key:
        raise PaperFileError(
            f"{name}: the template is for instrument {made_for[0]} {made_for[1]}, "
            f"but the round uses {instrument.id} {instrument.version}"
        )


def _check_columns(header: list[str], name: str, instrument: Instrument) -> list[str]:
    while header and not header[-1]:
        header.pop()
    expected = [*FIXED, *(q.id for q in instrument.questions)]
    if header == expected:
        return header
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    if missing:
        problem = f"missing column(s) {', '.join(missing[:5])}"
    elif unknown:
        problem = f"unknown column(s) {', '.join(unknown[:5])}"
    else:
        problem = "the columns are not in the template's order"
    raise PaperFileError(f"{name}: sheet '{RESPONSES}' row 1: {problem}")


def _read_rows(rows, columns, instrument, group_ids, area_codes) -> PaperResult:
    result = PaperResult()
    questions = {q.id: q for q in instrument.questions}
    seen: dict[int, int] = {}
    for number, values in enumerate(rows, start=FIRST_ANSWER_ROW):
        values = dict(zip(columns, values, strict=False))
        answers, errors = {}, []
        for qid, question in questions.items():
            value, problem = parse_answer(question, values.get(qid), area_codes)
            if problem:
                errors.append(f"row {number}, column {qid}: {problem}")
            elif value is not None:
                answers[qid] = value
        org_id = _group_id(values.get("org_id"))
        if not answers and not errors:
            if as_text(values.get("org_id")) or as_text(values.get("org_name")):
                result.skipped_blank += 1
            continue
        if org_id is None:
            errors.insert(0, f"row {number}, column org_id: give the group's id (a number)")
        elif org_id not in group_ids:
            errors.insert(0, f"row {number}, column org_id: no group with id {org_id}")
        elif org_id in seen:
            errors.insert(
                0, f"row {number}, column org_id: group {org_id} is also on row {seen[org_id]}"
            )
        if org_id is not None:
            seen.setdefault(org_id, number)
        if errors:
            result.errors.extend(errors)
        else:
            result.rows.append(PaperRow(row=number, org_id=org_id, answers=answers))
    return result


def _group_id(raw: object) -> int | None:
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, int):
        return raw
    text = as_text(raw)
    return int(text) if text.isdigit() else None


def parse_answer(question: Question, raw: object, area_codes=frozenset()) -> tuple[object, str]:
    """A cell's answer as stored online (the registry's rule), or a problem in plain words."""
    value, refused = parse(question, raw, area_codes)
    return (None, _problem(question, refused)) if refused else (value, "")


def _problem(question: Question, refused: Refused) -> str:
    given = f"'{_clip(refused.given)}'"
    if refused.code == "not_an_option":
        return f"{given} is not one of the answers ({_labels(question)})"
    if refused.code == "not_a_number":
        return f"{given} is not a whole number"
    if refused.code == "out_of_range":
        return f"{refused.number} is outside {_range(question)}"
    if refused.code == "not_a_postcode":
        return f"{given} is not a UK postcode"
    if refused.code == "not_an_area":
        return f"{given} is not an area code of this service"
    return f"the answer is {refused.number} characters long; at most {text_limit(question)}"


def _labels(question: Question) -> str:
    labels = [label for _, label in question.choices]
    shown = "; ".join(labels[:6])
    return shown + ("; ..." if len(labels) > 6 else "")


def _range(question: Question) -> str:
    low = "any" if question.min_value is None else int(question.min_value)
    high = "any" if question.max_value is None else int(question.max_value)
    return f"{low} to {high}"


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
