"""Remembered widget HTML is the design system's HTML, and changes with the field's state."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import Form, RadioField

from survey.journey import widgets


def _form(widget, data=None):
    class One(Form):
        choice = RadioField("Pick one", choices=[("a", "A"), ("b", "B")], widget=widget)

    return One(data=data or {})


def test_remembered_radios_render_exactly_as_the_design_system(app):
    with app.test_request_context():
        plain = str(_form(GovRadioInput()).choice())
        widgets._remembered.clear()
        first = str(_form(widgets.RadioInput()).choice())
        again = str(_form(widgets.RadioInput()).choice())
    assert first == plain == again
    assert len(widgets._remembered) == 1


def test_a_different_state_is_a_different_rendering(app):
    with app.test_request_context():
        widgets._remembered.clear()
        empty = str(_form(widgets.RadioInput()).choice())
        picked = str(_form(widgets.RadioInput(), {"choice": "b"}).choice())
        form = _form(widgets.RadioInput())
        form.choice.errors = ["Select an answer"]
        wrong = str(form.choice())
    assert 'value="b" checked' in picked and "checked" not in empty
    assert "Select an answer" in wrong and "Select an answer" not in empty
    assert len(widgets._remembered) == 3
