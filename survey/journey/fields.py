"""One handler per question type: the form field it renders and the value it stores.

Adding a question type means adding a handler here (and its type to the
instrument schema); the section template renders every field the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovTextInput,
)
from wtforms import Field, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from instruments import Question

from . import messages
from .widgets import CheckboxesInput, RadioInput, SelectInput

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise_postcode(text: str) -> str | None:
    """'zz1 4ab' -> 'ZZ1 4AB'; None if it is not shaped like a UK postcode."""
    match = POSTCODE.match(re.sub(r"\s+", " ", text.strip().upper()))
    return f"{match.group(1)} {match.group(2)}" if match else None


def field_choices(pairs) -> list:
    """(value, label) pairs as the form library wants its choices declared."""
    return [SelectChoice(value, label) for value, label in pairs]


class Required:
    """Stop with the question's own message when nothing was given (and one is needed)."""

    def __init__(self, question: Question, enforce: bool) -> None:
        self.question, self.enforce = question, enforce
        self.field_flags = {"required": True} if enforce else {}

    def __call__(self, form, field: Field) -> None:
        empty = field.data in (None, "", [], ())
        if empty:
            field.errors[:] = []
            if self.enforce:
                raise StopValidation(messages.required(self.question))
            raise StopValidation()


class OneOf:
    """An answer must be one of the question's own options: nothing else is stored."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.allowed = {value for value, _ in question.choices}

    def __call__(self, form, field: Field) -> None:
        given = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in self.allowed for value in given):
            raise ValidationError(messages.not_an_option(self.question))


@dataclass(frozen=True)
class Handler:
    """How one question type becomes a field and a stored value."""

    make_field: Callable[[Question, str, list], Field]
    to_store: Callable[[Question, object], object]
    to_form: Callable[[Question, object], object]


def _radio(question, label, validators):
    return RadioField(
        label,
        choices=field_choices(question.choices),
        validate_choice=False,
        validators=[*validators, OneOf(question)],
        widget=RadioInput(),
        description=question.hint or "",
    )


def _checkboxes(question, label, validators):
    return SelectMultipleField(
        label,
        choices=field_choices(question.choices),
        validate_choice=False,
        validators=[*validators, OneOf(question)],
        widget=CheckboxesInput(),
        description=question.hint or "",
    )


class NumberCheck:
    """A whole number within the question's range."""

    def __init__(self, question: Question) -> None:
        self.question = question

    def __call__(self, form, field: Field) -> None:
        text = (field.data or "").strip().replace(",", "")
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise ValidationError(messages.not_a_number(self.question))
        value = int(text)
        low, high = self.question.min_value, self.question.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValidationError(messages.out_of_range(self.question))


def _number(question, label, validators):
    return StringField(
        label,
        validators=[*validators, NumberCheck(question)],
        widget=GovTextInput(),
        description=question.hint or "",
    )


class LengthCheck:
    """Free text no longer than the question allows."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.limit = question.max_length or 2000

    def __call__(self, form, field: Field) -> None:
        if len(field.data or "") > self.limit:
            raise ValidationError(messages.too_long(self.question, self.limit))


def _text(question, label, validators):
    return TextAreaField(
        label,
        validators=[*validators, LengthCheck(question)],
        widget=GovCharacterCount(),
        description=question.hint or "",
    )


class PostcodeCheck:
    """Shaped like a UK postcode."""

    def __init__(self, question: Question) -> None:
        self.question = question

    def __call__(self, form, field: Field) -> None:
        if normalise_postcode(field.data or "") is None:
            raise ValidationError(messages.bad_postcode(self.question))


def _postcode(question, label, validators):
    return StringField(
        label,
        validators=[*validators, PostcodeCheck(question)],
        widget=GovTextInput(),
        description=question.hint or "",
    )


def _area(question, label, validators, area_choices=()):
    return SelectField(
        label,
        choices=field_choices([("", "Choose an area"), *area_choices]),
        validate_choice=False,
        validators=[*validators, AreaCheck(question, {code for code, _ in area_choices})],
        widget=SelectInput(),
        description=question.hint or "",
    )


class AreaCheck:
    """One of the round's areas."""

    def __init__(self, question: Question, codes: set[str]) -> None:
        self.question, self.codes = question, codes

    def __call__(self, form, field: Field) -> None:
        if field.data not in self.codes:
            raise ValidationError(messages.not_an_option(self.question))


def _same(question, value):
    return value


def _stripped(question, value):
    return (value or "").strip() or None


def _number_store(question, value):
    return int(str(value).strip().replace(",", ""))


def _number_form(question, value):
    return "" if value is None else str(value)


def _postcode_store(question, value):
    return normalise_postcode(value or "")


def _list_store(question, value):
    order = [v for v, _ in question.choices]
    return sorted(set(value or []), key=order.index)


HANDLERS: dict[str, Handler] = {
    "single": Handler(_radio, _same, _same),
    "likert": Handler(_radio, _same, _same),
    "yesno": Handler(_radio, _same, _same),
    "multiple": Handler(_checkboxes, _list_store, _same),
    "number": Handler(_number, _number_store, _number_form),
    "text": Handler(_text, _stripped, _same),
    "postcode": Handler(_postcode, _postcode_store, _same),
    "area": Handler(_area, _same, _same),
}


def is_empty(value: object) -> bool:
    """True for an answer that says nothing (blank, no boxes ticked)."""
    return value is None or value == "" or value == [] or value == ()
