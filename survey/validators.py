"""Form checks shared by the staff forms."""

from __future__ import annotations

from wtforms.validators import ValidationError


class Printable:
    """No control characters (tabs, escapes, DEL) in a text field."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data):
            raise ValidationError(
                self.message or f"{field.label.text} must not contain control characters"
            )
