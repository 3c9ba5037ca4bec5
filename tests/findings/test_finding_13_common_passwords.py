"""Finding 13: common passwords are refused for staff, on the add-user page and the CLI."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import User

COMMON = ["password1234", "123456789012", "qwertyuiop12"]  # 12 characters, all guessed early
REFUSED = "Password is too easy to guess"


@pytest.mark.parametrize("password", COMMON)
def test_finding_13_common_passwords_are_refused_for_staff(
    app, client, login, cli, monkeypatch, password
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    login("admin")
    form = {"email": "new@example.org", "role": "board", "password": password}
    page = client.post("/staff/users/new", data=form)
    assert page.status_code == 400 and REFUSED in html.unescape(page.get_data(as_text=True))
    monkeypatch.setenv("SURVEY_PASSWORD", password)
    result = cli("users", "add", "cli@example.org", "--role", "board")
    assert result.exit_code == 1 and f"password: {REFUSED}" in result.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1  # the admin

    form["password"] = "lantern orchard pebble"
    assert client.post("/staff/users/new", data=form).status_code == 302
    monkeypatch.setenv("SURVEY_PASSWORD", "lantern orchard pebble")
    assert cli("users", "add", "cli@example.org", "--role", "board").exit_code == 0
