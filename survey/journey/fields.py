"""One handler per question type: the GOV.UK field it renders and that field's options.

What a type accepts, stores and shows is the core's (instruments/answers.py, the
question-type registry); a handler here is only the widget. Adding a question type
means a registry entry there, a handler here, and a template only for a new widget.
"""

from __future__ import annotations

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
from instruments.answers import is_blank, parse, text_limit

from . import messages
from .widgets import CheckboxesInput, RadioInput, SelectInput


def field_choices(pairs) -> list:
    """(value, label) pairs as the form library wants its choices declared."""
    return [SelectChoice(value, label) for value, label in pairs]


class Required:
    """Stop with the question's own message when nothing was given (and one is needed)."""

    def __init__(self, question: Question, enforce: bool) -> None:
        self.question, self.enforce = question, enforce
        self.field_flags = {"required": True} if enforce else {}

    def __call__(self, form, field: Field) -> None:
        if is_blank(field.data):
            field.errors[:] = []
            if self.enforce:
                raise StopValidation(required_message(self.question))
            raise StopValidation()


class Accepted:
    """The registry's rule for the question's type: the same the paper import applies."""

    def __init__(self, question: Question, area_codes: set[str]) -> None:
        self.question, self.area_codes = question, area_codes

    def __call__(self, form, field: Field) -> None:
        _, refused = parse(self.question, field.data, self.area_codes)
        if refused is not None:
            raise ValidationError(messages.refused(self.question, refused))


@dataclass(frozen=True)
class Handler:
    """How one question type is shown as a GOV.UK field."""

    make_field: Callable[[Question, str, list, list], Field]
    params: Callable[[Question, dict | None], dict]
    ask: str = "enter"  # how the required message asks (messages.REQUIRED)


def _radio(question, label, validators, area_choices):
    return RadioField(
        label,
        choices=field_choices(question.choices),
        validate_choice=False,
        validators=validators,
        widget=RadioInput(),
        description=question.hint or "",
    )


def _checkboxes(question, label, validators, area_choices):
    return SelectMultipleField(
        label,
        choices=field_choices(question.choices),
        validate_choice=False,
        validators=validators,
        widget=CheckboxesInput(),
        description=question.hint or "",
    )


def _input(question, label, validators, area_choices):
    return StringField(
        label, validators=validators, widget=GovTextInput(), description=question.hint or ""
    )


def _textarea(question, label, validators, area_choices):
    return TextAreaField(
        label, validators=validators, widget=GovCharacterCount(), description=question.hint or ""
    )


def _select(question, label, validators, area_choices):
    return SelectField(
        label,
        choices=field_choices([("", "Choose an area"), *area_choices]),
        validate_choice=False,
        validators=validators,
        widget=SelectInput(),
        description=question.hint or "",
    )


def _fieldset(question, hint):
    params = {
        "fieldset": {"legend": {"text": question.text, "classes": "govuk-fieldset__legend--s"}},
        "hint": hint,
    }
    option_hints = {o.value: o.hint for o in question.all_options if o.hint}
    if option_hints:
        params["items"] = [
            {"hint": {"text": option_hints[value]}} if value in option_hints else {}
            for value, _ in question.choices
        ]
    return params


def _label(question, hint):
    return {"label": {"text": question.text, "classes": "govuk-label--s"}, "hint": hint}


def _number_params(question, hint):
    params = _label(question, hint)
    params.update({"classes": "govuk-input--width-5", "inputmode": "numeric", "spellcheck": False})
    if question.suffix:
        params["suffix"] = {"text": question.suffix}
    return params


def _postcode_params(question, hint):
    params = _label(question, hint)
    params.update(
        {"classes": "govuk-input--width-10", "autocomplete": "postal-code", "spellcheck": False}
    )
    return params


def _text_params(question, hint):
    return {**_label(question, hint), "maxlength": text_limit(question), "rows": 4}


def question_field(question: Question, validators: list, area_choices=()) -> Field:
    """The question's form field, checked by the registry's rule for its type."""
    codes = {code for code, _ in area_choices}
    checks = [*validators, Accepted(question, codes)]
    return HANDLERS[question.type].make_field(question, question.text, checks, area_choices)


def required_message(question: Question) -> str:
    """What to say when a required question was left blank."""
    return messages.required(question, HANDLERS[question.type].ask)


def to_form(value: object) -> object:
    """A stored answer as its field takes it: ticked values stay a list, the rest text."""
    return value if isinstance(value, list) else str(value)


HANDLERS: dict[str, Handler] = {
    "single": Handler(_radio, _fieldset, "select"),
    "likert": Handler(_radio, _fieldset, "select"),
    "yesno": Handler(_radio, _fieldset, "select"),
    "multiple": Handler(_checkboxes, _fieldset, "tick"),
    "number": Handler(_input, _number_params),
    "text": Handler(_textarea, _text_params),
    "postcode": Handler(_input, _postcode_params),
    "area": Handler(_select, _label, "choose"),
}
