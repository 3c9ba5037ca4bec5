"""The question-type registry: what each type of question accepts, stores and shows.

For every question type, once: how a raw answer (the text of a form field or of a
spreadsheet cell; a list of ticked values for "tick all that apply") is read and
checked (`parse`), how a stored answer reads as text on the check-answers page
(`show`) and in a workbook cell (`written`, which the paper import reads back),
and how the paper template checks the cell as it is typed (`paper_rule`, the
arguments of an openpyxl DataValidation). The web form (survey/journey/fields.py),
the paper import (exports/paper.py) and the staff workbooks all call it, so the
web and paper routes cannot disagree (tests/instruments/test_answers_agree.py).

Pure: no Flask, no database. Area names and codes come from the caller.

Adding a question type touches three places:
1. here: a class with `parse`, `show`, `written` (and `paper_rule` if the template
   can check the cell), added to TYPES, and its name in model.QUESTION_TYPES and
   the instrument schema;
2. survey/journey/fields.py: one Handler (the GOV.UK field and its options);
3. one template, only when the type needs a widget the design system's macros do
   not already give (templates/components/).
A refusal is a `Refused` with a code; the web (survey/journey/messages.py) and the
paper import (exports/paper.py) each word the codes for their readers.

Also here, because they are rules about what people type: the one email pattern
and the one postcode pattern (with `normalise_postcode`), used by the accounts,
group import and link pages too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from .model import Question

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 254
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
WHOLE_NUMBER = re.compile(r"-?\d{1,9}")  # nine digits fit a database integer
NUMBER_LIMIT = 10**9  # the paper template's range when a question gives none
TEXT_LIMIT = 2000  # characters, when a question gives no max_length
SEPARATOR = ";"  # between the answers of "tick all that apply" in a cell
NOT_ANSWERED = "Not answered"


def is_email(text: str) -> bool:
    """Shaped like an email address (something@something.something), at most 254 long."""
    return len(text) <= EMAIL_MAX and EMAIL.match(text) is not None


def normalise_postcode(text: str | None) -> str | None:
    """'zz1 4ab' or 'zz14ab' -> 'ZZ1 4AB'; None if it is not shaped like a UK postcode.

    The one rule for the form, the paper import, group imports and postcode directories.
    """
    match = POSTCODE.match(re.sub(r"\s+", " ", (text or "").strip().upper()))
    return f"{match.group(1)} {match.group(2)}" if match else None


@dataclass(frozen=True)
class Refused:
    """Why an answer was not accepted: a code the callers word, and what was given."""

    code: str  # not_an_option, not_a_number, out_of_range, too_long, not_a_postcode, not_an_area
    given: str  # the offending text (one part of a "tick all that apply" answer)
    number: int | None = None  # the number out of range, or the length over the limit


def as_text(raw: object) -> str:
    """A form value or a cell as text: 12.0 from a number cell reads as "12"."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def is_blank(raw: object) -> bool:
    """True for an answer that says nothing: nothing, spaces, no boxes ticked."""
    if isinstance(raw, (list, tuple)):
        return all(is_blank(part) for part in raw)
    return as_text(raw) == ""


def text_limit(question: Question) -> int:
    """The most characters a free-text answer may have."""
    return question.max_length or TEXT_LIMIT


def _labels(question: Question) -> dict[str, str]:
    return dict(question.choices)


class Choice:
    """One option (single, likert, yes/no): its id or its label, any case."""

    many = False  # the answer is a list
    listed = True  # the options go on the paper template's options sheet
    picks_area = False  # the shell passes the round's area codes and names
    paper_note = ""

    def parse(self, question: Question, raw: object, areas: Collection[str]):
        """(stored value, None) or (None, Refused)."""
        text = as_text(raw)
        value = _option(question, text)
        if value is None:
            return None, Refused("not_an_option", text)
        return value, None

    def show(self, question: Question, value: object, area_name: Callable) -> str:
        """The answer as the check-answers page shows it."""
        return _labels(question).get(str(value), str(value))

    def written(self, question: Question, value: object) -> str:
        """The answer in a workbook cell (what the paper import reads back)."""
        return _labels(question).get(str(value), str(value))

    def paper_rule(self, question: Question, options: str | None) -> dict | None:
        """openpyxl DataValidation arguments for the answer cells (options: a sheet range)."""
        return {
            "type": "list",
            "formula1": options,
            "allow_blank": True,
            "showErrorMessage": True,
            "errorTitle": "Not one of the answers",
            "error": "Choose one of the answers in the list.",
        }


class Multiple(Choice):
    """Tick all that apply: ticked values, or labels separated by ';' in a cell."""

    many = True
    paper_note = " (tick all that apply: answers separated by ;)"

    def parse(self, question, raw, areas):
        parts = raw if isinstance(raw, (list, tuple)) else as_text(raw).split(SEPARATOR)
        picked = []
        for part in (as_text(p) for p in parts):
            if not part:
                continue
            value = _option(question, part)
            if value is None:
                return None, Refused("not_an_option", part)
            picked.append(value)
        order = [v for v, _ in question.choices]
        return sorted(set(picked), key=order.index) or None, None

    def show(self, question, value, area_name):
        labels = _labels(question)
        return ", ".join(labels.get(v, str(v)) for v in value)

    def written(self, question, value):
        labels = _labels(question)
        return f"{SEPARATOR} ".join(labels.get(v, str(v)) for v in value)

    def paper_rule(self, question, options):
        return None  # a list of labels cannot be checked by a drop-down


class Number:
    """A whole number (commas allowed) within the question's range."""

    many = listed = picks_area = False
    paper_note = ""

    def parse(self, question, raw, areas):
        text = as_text(raw)
        digits = text.replace(",", "")
        if not WHOLE_NUMBER.fullmatch(digits):
            return None, Refused("not_a_number", text)
        value = int(digits)
        low, high = question.min_value, question.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            return None, Refused("out_of_range", text, value)
        return value, None

    def show(self, question, value, area_name):
        return f"{value} {question.suffix}" if question.suffix else str(value)

    def written(self, question, value):
        return str(value)

    def paper_rule(self, question, options):
        low, high = number_range(question)
        return {
            "type": "whole",
            "operator": "between",
            "formula1": str(low),
            "formula2": str(high),
            "allow_blank": True,
            "showErrorMessage": True,
            "error": f"Enter a whole number from {low} to {high}.",
        }


def number_range(question: Question) -> tuple[int, int]:
    """The range a number question accepts, with the default bounds filled in."""
    low = int(question.min_value) if question.min_value is not None else -NUMBER_LIMIT
    high = int(question.max_value) if question.max_value is not None else NUMBER_LIMIT
    return low, high


class Text:
    """Free text, spaces at either end removed, line breaks as one "\\n" (a browser sends
    "\\r\\n", a workbook cell holds "\\n"), no longer than the question allows."""

    many = listed = picks_area = False
    paper_note = ""

    def parse(self, question, raw, areas):
        text = as_text(raw).replace("\r\n", "\n").replace("\r", "\n")
        if len(text) > text_limit(question):
            return None, Refused("too_long", text, len(text))
        return text, None

    def show(self, question, value, area_name):
        return str(value)

    def written(self, question, value):
        return str(value)

    def paper_rule(self, question, options):
        return None


class Postcode(Text):
    """A UK postcode, stored upper case with one space: 'la14yw' -> 'LA1 4YW'."""

    def parse(self, question, raw, areas):
        text = as_text(raw)
        value = normalise_postcode(text)
        if value is None:
            return None, Refused("not_a_postcode", text)
        return value, None


class Area(Text):
    """One of the round's area codes, any case; shown by the area's name."""

    picks_area = True

    def parse(self, question, raw, areas):
        text = as_text(raw)
        codes = {code.upper(): code for code in areas}
        if text.upper() not in codes:
            return None, Refused("not_an_area", text)
        return codes[text.upper()], None

    def show(self, question, value, area_name):
        return area_name(str(value)) or str(value)


TYPES = {
    "single": Choice(),
    "likert": Choice(),
    "yesno": Choice(),
    "multiple": Multiple(),
    "number": Number(),
    "text": Text(),
    "postcode": Postcode(),
    "area": Area(),
}


def answer_type(question: Question):
    """The registry entry for a question's type."""
    return TYPES[question.type]


def parse(question: Question, raw: object, areas: Collection[str] = ()):
    """A raw answer as stored, or why not: (value, None) or (None, Refused).

    Blank (nothing, spaces, nothing ticked) is (None, None): not answered.
    """
    if is_blank(raw):
        return None, None
    return answer_type(question).parse(question, raw, areas)


def show(question: Question, value: object, area_name: Callable = lambda code: None) -> str:
    """A stored answer as a person reads it on the check-answers page."""
    if is_blank(value):
        return NOT_ANSWERED
    return answer_type(question).show(question, value, area_name)


def written(question: Question, value: object) -> str | None:
    """A stored answer in a workbook cell, in the form the paper import reads back."""
    if is_blank(value):
        return None
    return answer_type(question).written(question, value)


def _option(question: Question, text: str) -> str | None:
    folded = text.casefold()
    for value, label in question.choices:
        if folded in (value.casefold(), label.casefold()):
            return value
    return None
