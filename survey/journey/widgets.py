"""GOV.UK choice widgets that remember their HTML: the same field in the same state
renders the same, and the design system's macros are most of a page's time.

Only choice widgets (radios, checkboxes, select) are remembered: their state is
which options are ticked and any error, never free text a group typed.
"""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSelect
from markupsafe import Markup

MAX_REMEMBERED = 4096
_remembered: dict[tuple[str, str], Markup] = {}


class _Remembering:
    """Render once per (template, parameters); later calls reuse the HTML."""

    template: str

    def render(self, params: dict) -> Markup:
        """The widget's HTML for these parameters."""
        key = (self.template, repr(params))  # repr keeps Markup and str apart
        html = _remembered.get(key)
        if html is None:
            html = super().render(params)
            if len(_remembered) < MAX_REMEMBERED:
                _remembered[key] = html
        return html


class RadioInput(_Remembering, GovRadioInput):
    """GOV.UK radios."""


class CheckboxesInput(_Remembering, GovCheckboxesInput):
    """GOV.UK checkboxes."""


class SelectInput(_Remembering, GovSelect):
    """GOV.UK select."""
