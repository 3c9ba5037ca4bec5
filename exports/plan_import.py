"""Reading an edited support-plans workbook back: each row's Id, owner, due date and status.

Pure: this checks what can be checked from the file alone (a workbook, the columns,
a status in the list, a real date, no formula) and returns rows or errors naming the
row and column; the shell checks ids, versions, owners and who may see each group.
Only Id, Version, Owner, Due date and Status are read: the other columns are for
reading, and whatever is typed in them is never stored.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from instruments.answers import as_text

from .formula import looks_like_formula
from .paper import (
    LIMITS,
    PaperFileError,
    ReadLimits,
    bounded_rows,
    check_workbook_file,
    check_workbook_size,
)
from .support_plans import EDITABLE, PLANS

READ = ("Id", "Version", *EDITABLE)


@dataclass(frozen=True)
class PlanRow:
    """One row as typed: its Id, the version it was exported at, owner, due date, status."""

    row: int
    id: str
    version: int | None
    owner: str  # an email, "" for nobody
    due_on: dt.date | None
    status: str  # the caseload's value ("in_progress"), "" when blank

    @property
    def is_blank(self) -> bool:
        """True for a row whose action nobody has taken up (no owner, date or status)."""
        return not (self.owner or self.due_on or self.status)


@dataclass
class PlanRows:
    """The rows read, or the problems found, each naming its row and column."""

    rows: list[PlanRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_plan_workbook(
    data: bytes, name: str, statuses: Mapping[str, str], *, limits: ReadLimits = LIMITS
) -> PlanRows:
    """Every row of the support-plans sheet; file problems raise PaperFileError.

    ``statuses``: each status in words ("in progress") -> its stored value.
    """
    deadline = time.monotonic() + limits.seconds
    check_workbook_file(data, name)
    check_workbook_size(data, name, limits)
    try:  # not data_only: a formula must be seen as one, not as its cached result
        wb = load_workbook(io.BytesIO(data), read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise PaperFileError(f"{name}: not an Excel workbook that can be read ({error})") from None
    except Exception:  # broken XML inside the zip, and the like: still the file's fault
        raise PaperFileError(f"{name}: not an Excel workbook that can be read") from None
    try:
        if PLANS not in wb.sheetnames:
            raise PaperFileError(
                f"{name}: no sheet called '{PLANS}'; export the support plans and edit that file"
            )
        rows = wb[PLANS].iter_rows(max_col=limits.columns, values_only=True)
        header = [as_text(v) for v in next(rows, ())]
        missing = [c for c in READ if c not in header]
        if missing:
            raise PaperFileError(
                f"{name}: sheet '{PLANS}' row 1: no column {', '.join(missing)}; "
                "export the support plans again and edit that file"
            )
        where = {c: header.index(c) for c in READ}
        found = PlanRows()
        for number, values in enumerate(
            bounded_rows(rows, name, limits, deadline, sheet=PLANS), start=2
        ):
            values = dict(zip(header, values, strict=False))
            if not any(as_text(values.get(c)) for c in READ):
                continue  # an empty row
            row, errors = _read_row(number, {c: values.get(c) for c in where}, statuses)
            found.errors += errors
            if row is not None:
                found.rows.append(row)
        return found
    except PaperFileError:
        raise
    except Exception:  # a sheet whose XML cannot be parsed
        raise PaperFileError(
            f"{name}: part of the workbook cannot be read; is it damaged?"
        ) from None
    finally:
        wb.close()


def _read_row(number: int, values: dict, statuses: Mapping[str, str]):
    errors = []

    def problem(column: str, text: str) -> None:
        errors.append(f"row {number}, column {column}: {text}")

    for column, value in values.items():
        if looks_like_formula(value):
            problem(column, "a formula is not accepted here; type the value itself")
    if errors:
        return None, errors
    ident = as_text(values["Id"])
    if not ident:
        problem("Id", "blank; every row keeps the Id it was exported with")
    version = None
    raw_version = as_text(values["Version"])
    if raw_version:
        if raw_version.isdigit():
            version = int(raw_version)
        else:
            problem("Version", f"'{raw_version[:40]}' is not the number the export wrote")
    status = as_text(values["Status"])
    if status:
        value = statuses.get(status.lower().replace("_", " "))
        if value is None:
            words = list(statuses)
            problem(
                "Status",
                f"'{status[:40]}' is not a status; use {', '.join(words[:-1])} or {words[-1]}",
            )
        status = value or ""
    due = _date(values["Due date"])
    if due is False:
        problem("Due date", f"'{as_text(values['Due date'])[:40]}' is not a date, like 2027-03-14")
    owner = as_text(values["Owner"]).lower()
    if errors:
        return None, errors
    return PlanRow(number, ident, version, owner, due or None, status), []


def _date(value) -> dt.date | None | bool:
    """A cell as a date; None when blank, False when it is not a date."""
    if value is None or as_text(value) == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(as_text(value))
    except ValueError:
        return False
