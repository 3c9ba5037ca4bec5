"""`survey users add` and `survey users list`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from survey.commands.main import main
from survey.extensions import db
from survey.models import AuditEvent, User

from .. import factories


@pytest.fixture
def cli(app, monkeypatch):
    """Run `survey ...` against the test's database."""
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("SURVEY_PASSWORD", "a long enough password")

    def invoke(*args, input=None):
        db.session.remove()
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def test_add_an_area_lead_then_list(cli):
    place = factories.area(code="P1", type="place")
    factories.area(code="N1", parent=place)
    db.session.commit()
    result = cli("users", "add", "Lead@Example.org", "--role", "area-lead", "--area", "P1")
    assert result.exit_code == 0, result.output
    assert result.output == "Added lead@example.org (area-lead).\n"
    user = db.session.scalar(sa.select(User))
    assert user.check_password("a long enough password")
    assert [a.code for a in user.areas] == ["P1"]
    event = db.session.scalar(sa.select(AuditEvent))
    assert (event.actor, event.action) == ("cli", "user-added")
    listed = cli("users", "list")
    assert listed.output == "lead@example.org\tarea-lead\tP1\tactive\n"


def test_add_a_broker_by_id_with_the_password_from_a_prompt(cli, monkeypatch):
    broker = factories.broker(name="Northvale CVS")
    db.session.commit()
    monkeypatch.delenv("SURVEY_PASSWORD")
    secret = "typed twice at the prompt"
    result = cli(
        "users",
        "add",
        "b@example.org",
        "--role",
        "broker",
        "--broker",
        str(broker.id),
        input=f"{secret}\n{secret}\n",
    )
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    user = db.session.scalar(sa.select(User))
    assert user.broker_id == broker.id and user.check_password(secret)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--role", "wizard"],
            "Error: --role: 'wizard' is not one of admin, broker, area-lead, board",
        ),
        (
            ["--role", "area-lead", "--area", "NOPE"],
            "Error: --area: no area with code 'NOPE'",
        ),
        (["--role", "area-lead"], "Error: --area: an area lead needs at least one area"),
        (["--role", "broker", "--broker", "999"], "Error: --broker: there is no broker '999'"),
        (["--role", "broker"], "Error: --broker: a broker needs --broker ID"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(cli, args, message):
    result = cli("users", "add", "x@example.org", *args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [message]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_a_short_password_or_a_taken_email_is_refused(cli, monkeypatch):
    factories.user(email="taken@example.org")
    db.session.commit()
    taken = cli("users", "add", "taken@example.org", "--role", "board")
    assert taken.exit_code == 1
    assert "already a user" in taken.output
    monkeypatch.setenv("SURVEY_PASSWORD", "short")
    short = cli("users", "add", "new@example.org", "--role", "board")
    assert short.exit_code == 1
    assert (
        short.output.strip() == "Error: password: Password must be between 12 and 1024 characters"
    )
