"""The result as a one-sheet workbook: levels per domain, then the next steps."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from exports.formula import looks_like_formula

from .result import ResultView, level_text


def _put(sheet, row: int, values: list, bold: bool = False) -> None:
    """Write a row; text that a spreadsheet would run as a formula stays text."""
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        if looks_like_formula(value):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)


def result_workbook(result: ResultView) -> io.BytesIO:
    """An .xlsx file in memory with the result's levels and next steps."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Result"
    rows = [
        [result.instrument_title],
        ["Group", result.respondent_name],
        ["Round", result.round_title],
        ["Sent on", result.submitted_on],
        ["Overall level", result.overall_level, result.overall_name, result.overall_meaning],
        [],
    ]
    row = 1
    for values in rows:
        _put(sheet, row, values, bold=row == 1)
        row += 1
    header = ["Domain", "Level", "Level name", "What it means", "Why", "Ambition"]
    if result.earlier_round:
        header.append(f"Since {result.earlier_round}")
    _put(sheet, row, header, bold=True)
    row += 1
    for d in result.domains:
        values = [d.name, d.level, d.level_name or "Not scored", d.descriptor, d.explanation]
        values.append(f"level {d.ambition} ({d.to_ambition})" if d.ambition else "not given")
        if result.earlier_round:
            values.append(d.change or "")
        _put(sheet, row, values)
        row += 1
    row += 1
    _put(sheet, row, ["Domain", "When", "Next step", "Support offers"], bold=True)
    row += 1
    for d in result.domains:
        for horizon, steps in d.horizons:
            for step in steps:
                offers = "; ".join(f"{o.name} ({o.provider})" for o in step.offers)
                _put(sheet, row, [d.name, horizon, step.text, offers])
                row += 1
    if result.enough_peers:
        row += 1
        _put(
            sheet,
            row,
            [f"Compared with {result.peers.description} (median)", result.peers.count],
            bold=True,
        )
        row += 1
        for d in result.domains:
            _put(sheet, row, [d.name, level_text(d.peer_median)])
            row += 1
    for column, width in zip("ABCDE", (34, 22, 60, 50, 60), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out
