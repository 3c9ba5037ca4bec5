"""The shared form check against control characters."""

from __future__ import annotations

import pytest
from wtforms import Form, StringField

from survey.validators import Printable


class One(Form):
    named = StringField("Team name", validators=[Printable()])
    told = StringField(
        "Other", validators=[Printable("The name must not contain control characters")]
    )


@pytest.mark.parametrize("bad", ["tab\there", "bell\x07", "del\x7f"])
def test_control_characters_are_refused_with_the_field_or_given_message(bad):
    form = One(data={"named": bad, "told": bad})
    assert not form.validate()
    assert form.named.errors == ["Team name must not contain control characters"]
    assert form.told.errors == ["The name must not contain control characters"]


def test_ordinary_text_and_accents_pass():
    assert One(data={"named": "Café Ünïcode – ok", "told": ""}).validate()
