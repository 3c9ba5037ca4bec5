"""Reminder emails, sent through a real SMTP server: who gets one, what it carries, the
interval, the unsubscribe link, a failing server, and the lists that say who answered."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import (
    AuditEvent,
    Broker,
    Organisation,
    Reminder,
    Response,
    ResponseStatus,
    Round,
)
from tests import factories
from tests.journey.conftest import hidden_fields, text_of

from .conftest import free_port


@pytest.fixture
def groups(app, monkeypatch):
    """An open round with five groups in every state a reminder has to tell apart."""
    monkeypatch.setenv("SECRET_KEY", app.config["SECRET_KEY"])
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.org")
    app.config["SERVER_URL"] = "https://survey.example.org"
    home = factories.area(type="neighbourhood")
    broker = factories.broker("Northvale CVS")
    other = factories.broker("Southvale CVS")
    round_ = factories.survey_round("confidence", slug="confidence-reminders")
    made = {
        "fresh": factories.organisation("Fresh <b>group</b>", home, email="fresh@example.org"),
        "draft": factories.organisation("Draft group", home, email="draft@example.org"),
        "done": factories.organisation("Done group", home, email="done@example.org"),
        "silent": factories.organisation("No address group", home, email=None),
        "stopped": factories.organisation(
            "Stopped group",
            home,
            email="stopped@example.org",
            reminders_stopped_at=dt.datetime(2026, 1, 1),
        ),
        "elsewhere": factories.organisation(
            "Other broker's group", home, email="other@example.org"
        ),
    }
    for key, org in made.items():
        org.broker = other if key == "elsewhere" else broker
    links = {key: factories.invitation(round_, org) for key, org in made.items()}
    links["draft"].private_token = "private-draft-token"
    db.session.add_all(
        [
            Response(
                round_id=round_.id,
                invitation_id=links["draft"].id,
                organisation_id=made["draft"].id,
                status=ResponseStatus.IN_PROGRESS,
            ),
            Response(
                round_id=round_.id,
                invitation_id=links["done"].id,
                organisation_id=made["done"].id,
                status=ResponseStatus.SUBMITTED,
                submitted_at=dt.datetime(2026, 11, 20, 10, 0),
            ),
        ]
    )
    db.session.commit()
    return Setting(
        round_.slug,
        {key: org.id for key, org in made.items()},
        {key: link.token for key, link in links.items()},
        broker.id,
    )


@dataclass
class Setting:
    """Plain values (the commands end the test's database session)."""

    slug: str
    ids: dict[str, int]
    tokens: dict[str, str]
    broker_id: int


def _sent_to(inbox) -> dict[str, object]:
    return {rcpt[0]: message for rcpt, message in inbox.messages}


def test_reminders_reach_non_responders_with_their_own_links_and_a_way_to_stop(
    cli, smtp, groups, monkeypatch
):
    monkeypatch.setenv("MAIL_FROM", "Northvale surveys <surveys@northvale.example>")
    result = cli("reminders", "send", "--round", groups.slug)
    assert result.exit_code == 0, result.output
    sent = _sent_to(smtp)
    # Not the group that answered, nor the one with no address, nor the one that said stop.
    assert set(sent) == {"fresh@example.org", "draft@example.org", "other@example.org"}
    assert "Sent 3 reminders; 1 asked for no reminders; 1 no email address." in result.output
    # Each comes from the service's configured sender and is addressed to the group itself.
    for address, message in sent.items():
        assert message["From"] == "Northvale surveys <surveys@northvale.example>"
        assert message["To"] == address
    fresh, draft = sent["fresh@example.org"], sent["draft@example.org"]
    body = fresh.get_content()
    assert f"https://survey.example.org/r/{groups.tokens['fresh']}" in body
    assert "Fresh <b>group</b> has been invited" in body  # plain text: nothing to escape
    # A group that has saved a draft carries on from its private link, never the invitation one.
    draft_body = draft.get_content()
    assert "https://survey.example.org/r/private-draft-token" in draft_body
    assert groups.tokens["draft"] not in draft_body
    assert fresh["Subject"] == "Reminder: the Confidence survey of community groups"
    stop = fresh["List-Unsubscribe"].strip().strip("<>")
    assert stop.startswith("https://survey.example.org/reminders/stop/") and stop in body
    assert fresh["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    rows = db.session.scalars(sa.select(Reminder).order_by(Reminder.id)).all()
    assert {(r.organisation_id, r.status, r.sent_by) for r in rows} == {
        (groups.ids["fresh"], "not started", "cli"),
        (groups.ids["draft"], "draft", "cli"),
        (groups.ids["elsewhere"], "not started", "cli"),
    }


def test_a_second_run_within_the_interval_sends_nothing_and_a_later_one_does(cli, smtp, groups):
    assert cli("reminders", "send", "--round", groups.slug).exit_code == 0
    again = cli("reminders", "send", "--round", groups.slug)
    assert again.exit_code == 0 and len(smtp.messages) == 3
    assert "Sent 0 reminders" in again.output and "3 reminded within the interval" in again.output
    # Eight days on (the default interval is seven), the same three are due again.
    for reminder in db.session.scalars(sa.select(Reminder)):
        reminder.sent_at -= dt.timedelta(days=8)
    db.session.commit()
    later = cli("reminders", "send", "--round", groups.slug)
    assert "Sent 3 reminders" in later.output and len(smtp.messages) == 6


def test_the_unsubscribe_link_stops_reminders_for_that_group_only(app, cli, smtp, groups):
    cli("reminders", "send", "--round", groups.slug)
    stop = _sent_to(smtp)["fresh@example.org"]["List-Unsubscribe"].strip().strip("<>")
    path = stop.removeprefix("https://survey.example.org")
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Stop reminder emails" in text_of(page.text)
    assert "Fresh &lt;b&gt;group&lt;/b&gt;" in page.text  # the name is escaped, not markup
    # The one-click form a mail program sends: no session, no CSRF token, just the link.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Reminder emails stopped" in text_of(done.text)
    db.session.expire_all()
    assert db.session.get(Organisation, groups.ids["fresh"]).reminders_stopped_at
    assert (
        db.session.scalar(
            sa.select(AuditEvent.target).where(AuditEvent.action == "reminders-stopped")
        )
        == f"organisation:{groups.ids['fresh']}"
    )
    # A tampered link is not found, and names nobody.
    assert client.get(path[:-3] + "abc").status_code == 404
    for reminder in db.session.scalars(sa.select(Reminder)):
        reminder.sent_at -= dt.timedelta(days=8)
    db.session.commit()
    later = cli("reminders", "send", "--round", groups.slug)
    assert "Sent 2 reminders; 2 asked for no reminders" in later.output
    assert "fresh@example.org" not in {r[0] for r, _ in smtp.messages[3:]}


def test_a_failing_mail_server_is_reported_and_nothing_is_recorded_as_sent(
    cli, groups, monkeypatch
):
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("MAIL_USE_TLS", "0")
    result = cli("reminders", "send", "--round", groups.slug)
    assert result.exit_code != 0
    assert "could not reach the mail server (ConnectionRefusedError" in result.output
    assert "0 reminders sent and recorded, 3 not sent" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Reminder.id))) == 0


def _reminded() -> dict[int, int]:
    """Group id -> how many reminders are recorded for it."""
    return dict(
        db.session.execute(
            sa.select(Reminder.organisation_id, sa.func.count(Reminder.id)).group_by(
                Reminder.organisation_id
            )
        ).all()
    )


def test_a_server_that_refuses_part_way_leaves_a_true_record_and_a_later_run_sends_the_rest(
    cli, smtp, groups
):
    by_address = {
        "fresh@example.org": groups.ids["fresh"],
        "draft@example.org": groups.ids["draft"],
        "other@example.org": groups.ids["elsewhere"],
    }
    smtp.accept = 1  # the relay takes one message, then refuses each one after it
    result = cli("reminders", "send", "--round", groups.slug)
    assert result.exit_code != 0
    accepted = [rcpt[0] for rcpt, _ in smtp.messages]
    refused = [rcpt[0] for rcpt in smtp.refused]
    assert len(accepted) == 1 and refused and set(accepted).isdisjoint(refused)
    # One line says what the server answered, how many went and how many did not.
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: mail: the mail server answered 554 5.7.1 Sending limit reached, try later: "
        "1 reminder sent and recorded, 2 not sent; run the command again later for the rest"
    ]
    # The record holds the one the server took, and not the one it refused.
    assert _reminded() == {by_address[accepted[0]]: 1}
    # The server takes mail again: the next run reaches exactly the two still waiting.
    smtp.accept = None
    later = cli("reminders", "send", "--round", groups.slug)
    assert later.exit_code == 0, later.output
    assert "Sent 2 reminders" in later.output and "1 reminded within the interval" in later.output
    assert sorted(rcpt[0] for rcpt, _ in smtp.messages[1:]) == sorted(
        set(by_address) - set(accepted)
    )
    assert _reminded() == {group_id: 1 for group_id in by_address.values()}


def test_a_dry_run_lists_who_would_be_reminded_and_sends_nothing(cli, smtp, groups):
    result = cli("reminders", "send", "--round", groups.slug, "--dry-run")
    assert result.exit_code == 0
    assert f"would remind: {groups.ids['draft']}\tDraft group\tdraft" in result.output
    assert "Would send 3 reminders" in result.output
    assert smtp.messages == [] and db.session.scalar(sa.select(sa.func.count(Reminder.id))) == 0


def test_an_unknown_or_closed_round_is_one_clear_line(cli, smtp, groups):
    unknown = cli("reminders", "send", "--round", "no-such-round")
    assert unknown.exit_code != 0 and "no round named 'no-such-round'" in unknown.output
    round_ = db.session.scalar(sa.select(Round).where(Round.slug == groups.slug))
    round_.closes_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    closed = cli("reminders", "send", "--round", groups.slug)
    assert closed.exit_code != 0 and "is not open" in closed.output
    assert smtp.messages == []


def _chase_rows(page: str) -> dict[int, dict[str, str]]:
    """The portfolio's "Not yet responded" table: group id -> what each column shows."""
    table = page.split('id="portfolio-chase"', 1)[1].split("</table>", 1)[0]
    headings = [text_of(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    cells = {
        org_id: [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for org_id, row in re.findall(r'<tr[^>]*data-org="(\d+)"[^>]*>(.*?)</tr>', table, re.S)
    }
    return {int(org_id): dict(zip(headings, shown, strict=True)) for org_id, shown in cells.items()}


def test_a_broker_reminds_its_own_portfolio_from_the_page(app, client, login, smtp, groups):
    login("broker", broker=db.session.get(Broker, groups.broker_id))
    page = client.get(f"/portfolio/{groups.slug}")
    text = text_of(page.text)
    # The chase list: the broker's four groups still waiting, each with its status in the
    # invitations list's words and its broker; the one that answered is not there.
    chase = _chase_rows(page.text)
    shown = {org_id: (r["Status"], r["Broker"], r["Last reminded"]) for org_id, r in chase.items()}
    assert shown == {
        groups.ids["fresh"]: ("not started", "Northvale CVS", "never"),
        groups.ids["draft"]: ("draft", "Northvale CVS", "never"),
        groups.ids["silent"]: ("not started", "Northvale CVS", "never"),
        groups.ids["stopped"]: ("not started", "Northvale CVS", "asked for no reminders"),
    }
    # Its five groups: two due, one answered, one without an address, one that said stop.
    assert "2 groups can be sent a reminder with their own link now." in text
    assert "1 asked for no reminders." in text and "1 no email address." in text
    sent = client.post(
        f"/portfolio/{groups.slug}/reminders", data=hidden_fields(page.text), follow_redirects=True
    )
    assert "Reminders sent to 2 groups." in text_of(sent.text)
    assert set(_sent_to(smtp)) == {"fresh@example.org", "draft@example.org"}  # not the other's
    after = client.get(f"/portfolio/{groups.slug}")
    today = dt.date.today().strftime("%-d %b %Y")
    reminded = {org_id: r["Last reminded"] for org_id, r in _chase_rows(after.text).items()}
    assert reminded[groups.ids["fresh"]] == reminded[groups.ids["draft"]] == today
    assert reminded[groups.ids["silent"]] == "never"
    assert "No group can be sent a reminder now." in text_of(after.text)
    # A double-clicked button sends nothing more.
    client.post(f"/portfolio/{groups.slug}/reminders", data=hidden_fields(page.text))
    assert len(smtp.messages) == 2


def test_a_refusing_mail_server_is_said_on_the_portfolio_page_and_nothing_recorded(
    app, client, login, smtp, groups
):
    login("broker", broker=db.session.get(Broker, groups.broker_id))
    page = client.get(f"/portfolio/{groups.slug}")
    smtp.accept = 0  # the server refuses every message
    sent = client.post(
        f"/portfolio/{groups.slug}/reminders", data=hidden_fields(page.text), follow_redirects=True
    )
    assert sent.status_code == 200
    assert (
        "Reminders could not all be sent: the mail server answered 554 5.7.1 Sending limit "
        "reached, try later: 0 reminders sent and recorded, 2 not sent; try again later to "
        "send the rest." in text_of(sent.text)
    )
    assert smtp.messages == [] and len(smtp.refused) == 1  # it stopped at the first refusal
    assert db.session.scalar(sa.select(sa.func.count(Reminder.id))) == 0
    # Nothing was recorded, so both groups can still be sent their reminder.
    assert "2 groups can be sent a reminder with their own link now." in text_of(sent.text)


def test_the_links_list_says_who_has_answered_and_when_last_reminded(cli, smtp, groups, tmp_path):
    cli("reminders", "send", "--round", groups.slug)
    out = tmp_path / "links.csv"
    assert cli("invitations", groups.slug, "-o", out).exit_code == 0
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    today = dt.date.today().isoformat()
    assert rows["Done group"]["status"] == "submitted"
    assert rows["Done group"]["submitted on"] == "2026-11-20"
    assert (
        rows["Draft group"]["status"] == "draft" and rows["Draft group"]["last reminded"] == today
    )
    assert rows["Fresh <b>group</b>"]["status"] == "not started"
    assert rows["Stopped group"]["last reminded"] == ""
    assert rows["Other broker's group"]["broker"] == "Southvale CVS"
    assert cli("invitations", groups.slug, "-o", out, "--not-answered").exit_code == 0
    waiting = {r["name"] for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert waiting == set(rows) - {"Done group"}
