"""Text a spreadsheet must never run as a formula: the one rule for every CSV and workbook cell.

A cell starting with = + - or @ is a formula to Excel and LibreOffice, and a
leading tab or carriage return can hide one (OWASP, "CSV injection").
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    """True for text a spreadsheet would run (or could be led to run) as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value: object) -> str:
    """A value as CSV text, with a leading quote where a spreadsheet would see a formula."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text
