"""The directory entry a group keeps: its pages, one thing each, and the rule for each field.

Pure functions (no Flask, no database): ``read_step`` turns what a page posted into the
stored values, or a message per field. Text is stored as typed (trimmed, line endings
as ``\\n``): a script tag or a formula is kept as text and shown as text everywhere
(HTML escaped, JSON strings), never run. Refused, with a message: more than a field's
limit, control characters, an email, phone, website or postcode not shaped like one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from instruments.answers import is_email, normalise_postcode

from .oruk import CATEGORIES

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
PHONE = re.compile(r"^\+?[0-9 ()-]+$")
URL_MAX = 300


@dataclass(frozen=True)
class Field:
    """One field of a page: ``kind`` is text, long (a text area), url, email, phone,
    postcode, yesno or categories."""

    name: str
    label: str
    kind: str = "text"
    limit: int = 200
    required: bool = False
    hint: str = ""
    short: str = ""  # how messages name it, when the label is a question

    @property
    def called(self) -> str:
        """The field's name in a message: "What you offer", "Postcode"."""
        return self.short or self.label


@dataclass(frozen=True)
class Step:
    """One page of the entry: its address, heading and fields."""

    slug: str
    title: str
    fields: tuple[Field, ...]
    intro: str = ""


STEPS: tuple[Step, ...] = (
    Step(
        "offers",
        "What does your group offer?",
        (
            Field(
                "offers",
                "What does your group offer?",
                "long",
                1000,
                True,
                "What happens at your group, in a few sentences, for someone deciding "
                "whether to come. For example, ‘A friendly lunch club with soup, a quiz "
                "and a chat’.",
                short="What your group offers",
            ),
        ),
    ),
    Step(
        "eligibility",
        "Who is it for?",
        (
            Field(
                "eligibility",
                "Who is it for?",
                "long",
                500,
                hint="For example, ‘Anyone over 60’ or ‘Parents of children under 5’. "
                "Leave it empty if anyone can come.",
                short="Who it is for",
            ),
        ),
    ),
    Step(
        "times",
        "When does your group meet?",
        (
            Field(
                "times",
                "When does your group meet?",
                "long",
                500,
                hint="For example, ‘Tuesdays, 12pm to 2pm, not in August’.",
                short="When your group meets",
            ),
        ),
    ),
    Step(
        "where",
        "Where does your group meet?",
        (
            Field(
                "venue_public",
                "Can we publish where your group meets?",
                "yesno",
                required=True,
                hint="Only name a public place, like a community centre or library, "
                "never someone’s home. If you say no, the directory shows only your "
                "area and ‘Contact the group for details’.",
            ),
        ),
    ),
    Step(
        "venue",
        "Your public venue",
        (
            Field(
                "venue_name",
                "Name of the venue",
                required=True,
                limit=120,
                short="The venue’s name",
            ),
            Field(
                "venue_address",
                "Street address",
                required=True,
                limit=200,
                short="The street address",
            ),
            Field("venue_town", "Town or city", required=True, limit=80, short="The town or city"),
            Field("venue_postcode", "Postcode", "postcode", 10, True, short="The postcode"),
        ),
    ),
    Step(
        "cost",
        "Does it cost anything?",
        (
            Field(
                "cost",
                "Does it cost anything?",
                limit=200,
                hint="For example, ‘Free’ or ‘£2 a session, first visit free’.",
                short="The cost",
            ),
        ),
    ),
    Step(
        "accessibility",
        "Accessibility",
        (
            Field(
                "accessibility",
                "How accessible is your group?",
                "long",
                500,
                hint="For example, step-free access, an accessible toilet, a hearing "
                "loop, or help for people who do not speak English.",
                short="Accessibility",
            ),
        ),
    ),
    Step(
        "contact",
        "How can people contact your group?",
        (
            Field(
                "email",
                "Public email address",
                "email",
                254,
                hint="This will be published. Leave it empty to show none.",
            ),
            Field("phone", "Public phone number", "phone", 20, hint="This will be published."),
            Field(
                "website",
                "Website",
                "url",
                URL_MAX,
                hint="The full address, starting https://",
            ),
        ),
        intro="Give only contact details you are happy for anyone to see.",
    ),
    Step(
        "categories",
        "What kinds of activity do you run?",
        (
            Field(
                "categories",
                "What kinds of activity do you run?",
                "categories",
                hint="Select all that apply. Link workers search by these.",
            ),
        ),
    ),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}
CATEGORY_VALUES = {value for value, _ in CATEGORIES}


def steps_for(values: Mapping) -> list[Step]:
    """The pages that apply: the venue's page only when the group will name a public venue."""
    return [s for s in STEPS if s.slug != "venue" or values.get("venue_public") == "yes"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _text_error(field: Field, text: str) -> str | None:
    if len(text) > field.limit:
        return f"{field.called} must be {field.limit:,} characters or fewer"
    if CONTROL.search(text):
        return f"{field.called} must not contain control characters"
    if field.required and not text:
        return "Select yes or no" if field.kind == "yesno" else f"Enter {field.called.lower()}"
    return None


def _check(field: Field, raw) -> tuple[object, str | None]:
    """(stored value, message) for one field's posted value."""
    if field.kind == "categories":
        chosen = [v for v in (raw or []) if isinstance(v, str)]
        if any(v not in CATEGORY_VALUES for v in chosen):
            return [], "Select from the categories shown"
        return [v for v, _ in CATEGORIES if v in chosen], None
    text = (raw if isinstance(raw, str) else "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if field.kind != "long":
        text = _one_line(text)
    error = _text_error(field, text)
    if error or not text:
        return text, error
    if field.kind == "yesno" and text not in ("yes", "no"):
        return "", "Select yes or no"
    if field.kind == "email" and not is_email(text):
        return text, "Enter an email address in the correct format, like name@example.org"
    if field.kind == "phone" and not (
        PHONE.match(text) and 7 <= sum(c.isdigit() for c in text) <= 15
    ):
        return text, "Enter a phone number, like 01632 960 001 or +44 7700 900 982"
    if field.kind == "url":
        parts = urlsplit(text) if " " not in text else None
        host = parts.hostname if parts else None
        if not parts or parts.scheme not in ("http", "https") or not host or "." not in host:
            return text, "Enter a website address in the correct format, like https://example.org"
    if field.kind == "postcode":
        postcode = normalise_postcode(text)
        if postcode is None:
            return text, "Enter a real postcode, like LA1 4YW"
        return postcode, None
    return text, None


def read_step(step: Step, posted: Mapping) -> tuple[dict, dict[str, str]]:
    """The stored values of a page's fields, and a message for each field refused.

    ``posted`` maps a field's name to its text (or, for categories, a list of values).
    """
    values, errors = {}, {}
    for field in step.fields:
        value, error = _check(field, posted.get(field.name))
        values[field.name] = value
        if error:
            errors[field.name] = error
    return values, errors
