"""Score tables for analysts (CSV and JSON), with columns that stay put across versions.

Columns are keyed by question id and domain id, never by position or wording,
and a wide table takes its columns from every version of the instrument at
once (oldest first, a new question appended at the end), so a 2025 and a
2026 download line up column for column. Each row records the instrument
version it was answered on. CSV cells that a spreadsheet would run as a
formula are written as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from instruments import OVERALL, Instrument
from instruments.registry import version_key

from .formula import looks_like_formula
from .kept import Kept

CSV_TEXTS_KEPT = 20_000  # distinct texts a CSV download keeps the cell of (iter_csv)
CSV_ROWS_A_PIECE = 500  # rows a streamed CSV sends at a time

META_COLUMNS = (
    "response_id",
    "round",
    "instrument_id",
    "instrument_version",
    "organisation_id",
    "area_code",
    "source",
    "submitted_at",
)
LONG_COLUMNS = (*META_COLUMNS, "kind", "key", "value", "score", "level")
AGGREGATE_COLUMNS = (
    "round",
    "instrument_id",
    "instrument_version",
    "area_code",
    "area_name",
    "area_type",
    "domain_id",
    "domain_name",
    "suppressed",
    "n",
    "mean",
    "median",
    "ci_low",
    "ci_high",
    "level",
    "level_bands",
    "invited",
    "responded",
    "coverage",
    "target_level",
    "gap",
    "ambition",
    "ambition_gap",
)


@dataclass(frozen=True)
class ResponseRecord:
    """One submitted response as the tables take it: answers and stored scores."""

    response_id: int
    round: str
    instrument_id: str
    instrument_version: str
    organisation_id: int | None = None
    area_code: str | None = None
    source: str = "web"
    submitted_at: dt.datetime | None = None
    answers: Mapping[str, object] = field(default_factory=dict)
    scores: Mapping[str, tuple[float | None, int | None]] = field(default_factory=dict)


def stable_keys(versions: Iterable[Instrument]) -> tuple[list[str], list[str]]:
    """(question ids, domain ids) over every version, oldest first, each id once, then overall.

    No domain is called "overall": the instrument checker reserves the id for the overall score.
    """
    questions: dict[str, None] = {}
    domains: dict[str, None] = {}
    for instrument in sorted(versions, key=lambda i: version_key(i.version)):
        questions.update(dict.fromkeys(q.id for q in instrument.questions))
        domains.update(dict.fromkeys(d.id for d in instrument.domains))
    return list(questions), [*domains, OVERALL]


def wide_columns(versions: Iterable[Instrument]) -> list[str]:
    """Meta columns, then answer.<question>, then score.<domain> and level.<domain>."""
    questions, domains = stable_keys(versions)
    return [
        *META_COLUMNS,
        *(f"answer.{q}" for q in questions),
        *(f"{part}.{d}" for d in domains for part in ("score", "level")),
    ]


def _meta(record: ResponseRecord) -> tuple:
    """The META_COLUMNS of a record, in their order."""
    submitted = record.submitted_at.isoformat() if record.submitted_at else None
    return (
        record.response_id,
        record.round,
        record.instrument_id,
        record.instrument_version,
        record.organisation_id,
        record.area_code,
        record.source,
        submitted,
    )


def wide_rows(records: Iterable[ResponseRecord], versions: Sequence[Instrument]) -> list[dict]:
    """One row per response with every column of ``wide_columns`` (None where not asked)."""
    return list(iter_wide_rows(records, versions))


def iter_wide_values(
    records: Iterable[ResponseRecord], versions: Sequence[Instrument]
) -> Iterator[list]:
    """Each response's row as a list in ``wide_columns`` order (None where not asked),
    one at a time as the records come: what a download streams, with no dict per row."""
    columns = wide_columns(versions)
    at = {column: i for i, column in enumerate(columns)}
    answer_at = {c.removeprefix("answer."): i for c, i in at.items() if c.startswith("answer.")}
    score_at = {
        c.removeprefix("score."): (i, at["level." + c.removeprefix("score.")])
        for c, i in at.items()
        if c.startswith("score.")
    }
    blank = [None] * (len(columns) - len(META_COLUMNS))
    for record in records:
        row = [*_meta(record), *blank]
        for question_id, value in record.answers.items():
            i = answer_at.get(question_id)
            if i is not None:
                row[i] = value
        for domain_id, (score, level) in record.scores.items():
            found = score_at.get(domain_id)
            if found is not None:
                row[found[0]], row[found[1]] = score, level
        yield row


def iter_wide_rows(
    records: Iterable[ResponseRecord], versions: Sequence[Instrument]
) -> Iterator[dict]:
    """``wide_rows`` one at a time, as the records come."""
    columns = wide_columns(versions)
    for values in iter_wide_values(records, versions):
        yield dict(zip(columns, values, strict=True))


def long_rows(records: Iterable[ResponseRecord]) -> list[dict]:
    """One row per answer and per domain score: the same columns for every instrument."""
    return list(iter_long_rows(records))


def iter_long_rows(records: Iterable[ResponseRecord]) -> Iterator[dict]:
    """``long_rows`` one at a time, as the records come."""
    for lead, rest in iter_long_led(records):
        yield dict(zip(LONG_COLUMNS, (*lead, *rest), strict=True))


class Led(NamedTuple):
    """A row as its first values, the same object for the rows of one response (its
    META_COLUMNS), and the rest: ``iter_csv`` writes a lead's cells once for its rows."""

    lead: tuple
    rest: list


def iter_long_led(records: Iterable[ResponseRecord]) -> Iterator[Led]:
    """Each long row (``LONG_COLUMNS``), one at a time as the records come: what a download
    streams. A response's answers by question id, then its domains' scores in the order
    they come, each led by the response's META_COLUMNS (one tuple for all its rows)."""
    for record in records:
        meta = _meta(record)
        for question_id, value in sorted(record.answers.items()):
            yield Led(meta, ["answer", question_id, value, None, None])
        for domain_id, (score, level) in record.scores.items():
            yield Led(meta, ["domain", domain_id, None, score, level])


def flat_aggregate(record: Mapping) -> dict:
    """An aggregate record as one row of ``AGGREGATE_COLUMNS``; level bands as 'levels 1-2: 7'.

    Bands are levels merged so each holds at least the disclosure threshold of
    groups (never a single level count of a few groups); None when not shown.
    """
    row = {column: record.get(column) for column in AGGREGATE_COLUMNS}
    bands = record.get("level_bands")
    row["level_bands"] = "; ".join(_band_text(b) for b in bands) if bands else None
    return row


def _band_text(band: Mapping) -> str:
    low, high, count = band["lowest"], band["highest"], band["count"]
    levels = f"level {low}" if low == high else f"levels {low}-{high}"
    return f"{levels}: {count}"


def csv_cell(value: object) -> object:
    """A value as a CSV cell: lists joined with '; ', text that looks like a formula quoted."""
    if value is None:
        return ""
    if type(value) is int or type(value) is float:  # most cells: a number is never a formula
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if looks_like_formula(value):
        return "'" + value
    return value


def write_csv(rows: Iterable[Mapping], columns: Sequence[str]) -> str:
    """The rows as CSV text with a header row, columns in the given order."""
    return "".join(iter_csv(rows, columns))


def iter_csv(rows: Iterable[Mapping | Sequence | Led], columns: Sequence[str]) -> Iterator[str]:
    """``write_csv`` in pieces of CSV_ROWS_A_PIECE rows (the header first), for a streamed
    download.
    A row is a mapping by column name, a list of values in the columns' order, or a
    ``Led`` row (its lead's cells written once for the rows that share it: a long CSV's
    million rows share 29,000 leads).

    Each distinct text's cell is worked out once (the first CSV_TEXTS_KEPT of them): most
    answers are one of a few options, and a round's download has 1.4 million cells.
    Numbers and None go to the writer as they are (it writes None as an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    texts = Kept(csv_cell, CSV_TEXTS_KEPT)  # text only: True and 1 are equal keys
    lead, lead_text = None, ""
    for i, row in enumerate(rows, 1):
        if type(row) is Led and row.lead and len(row.rest) > 1:  # see _lead_text
            if row.lead is not lead:
                lead, lead_text = row.lead, _lead_text(_csv_cells(row.lead, texts))
            out.write(lead_text)
            values = row.rest
        elif type(row) is Led:
            values = [*row.lead, *row.rest]
        else:
            values = [row.get(c) for c in columns] if isinstance(row, Mapping) else row
        writer.writerow(_csv_cells(values, texts))
        if i % CSV_ROWS_A_PIECE == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _csv_cells(values: Iterable, texts: Kept) -> list:
    """Each value as its CSV cell: text through ``texts`` (csv_cell, kept), numbers and
    None as they are (the writer writes None as an empty cell), the rest by csv_cell."""
    return [
        texts[value]
        if (kind := type(value)) is str
        else value
        if value is None or kind is int or kind is float
        else csv_cell(value)
        for value in values
    ]


def _lead_text(cells: list) -> str:
    """A row's first cells as the CSV writer writes them at the start of a longer row,
    up to the comma before the next. Each cell is quoted as it would be anywhere in a
    row, but for the one case the writer treats apart: a row of one empty cell is written
    '""'. So the cells are written with one more, empty, cell after them (written as
    nothing), and the rest of a row must have two cells or more."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([*cells, ""])
    return out.getvalue().removesuffix("\r\n")
