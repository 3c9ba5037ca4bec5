"""Freshness: a broker sees its groups' listings, the ones unconfirmed for six months
first; emails those groups their own link (at most once a month); marks one checked; and
the group's "still right" from the emailed link makes it fresh again."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, DirectoryEntry, Organisation, utcnow

from .. import factories
from ..journey.conftest import hidden_fields, per_request_globals, text_of  # noqa: F401

ENTRY = {"offers": "Walks by the river", "venue_public": "no"}


def _entry(org, days_ago: int | None):
    confirmed = utcnow() - dt.timedelta(days=days_ago) if days_ago is not None else None
    db.session.add(DirectoryEntry(organisation_id=org.id, details=ENTRY, confirmed_at=confirmed))


def test_a_broker_keeps_its_groups_listings_fresh(app, client, login, smtp):
    round_ = factories.survey_round()
    ours, theirs = factories.broker("Northvale CVS"), factories.broker("Other CVS")
    groups = {
        "Fresh Walkers": (ours, 10, "fresh@example.org"),
        "Stale Singers": (ours, 200, "stale@example.org"),
        "Stale No Email": (ours, 400, None),
        "Never Confirmed": (ours, None, "never@example.org"),
        "Other Stale": (theirs, 300, "other@example.org"),
    }
    made = {}
    for name, (broker, days, email) in groups.items():
        org = factories.organisation(name=name, broker=broker, email=email, consent_directory=True)
        factories.invitation(round_, org)
        db.session.flush()
        _entry(org, days)
        made[name] = org.id
    factories.organisation(name="No Listing Yet", broker=ours)
    db.session.commit()
    login("broker", broker=ours)

    page = client.get("/directory-entries")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    # 200 and 400 days, and never: three of our four listings are out of date.
    assert "3 listings are out of date" in text
    order = [text.index(n) for n in ("Never Confirmed", "Stale No Email", "Stale Singers")]
    assert order == sorted(order) and max(order) < text.index("Fresh Walkers")
    assert "Other Stale" not in text and "No listing yet" in text
    assert "Walks by the river" in text  # the listings themselves

    form = hidden_fields(page.get_data(as_text=True))
    assert client.post("/directory-entries/email-stale", data=form).status_code == 302
    sent = {rcpt[0]: message for rcpt, message in smtp.messages}
    # The two stale groups with an address; never the fresh one, nor another broker's.
    assert set(sent) == {"stale@example.org", "never@example.org"}
    body = sent["stale@example.org"].get_content()
    link = re.search(r"http\S+/r/(\S+)/listing", body)
    assert link and "Stale Singers" in body
    again = hidden_fields(client.get("/directory-entries").get_data(as_text=True))
    client.post("/directory-entries/email-stale", data=again)
    assert len(smtp.messages) == 2  # at most one a month each

    checked = f"/directory-entries/{made['Fresh Walkers']}/checked"
    assert client.post(checked, data=again).status_code == 302
    assert (
        client.post(f"/directory-entries/{made['Other Stale']}/checked", data=again).status_code
        == 404
    )
    text = text_of(client.get("/directory-entries").get_data(as_text=True))
    assert f"Checked on {dt.date.today():%-d %B %Y}" in text

    # The group follows its link and says "still right" in one click.
    with client.session_transaction() as session:
        session.clear()
    own = f"/r/{link.group(1)}/listing"
    page = client.get(own)
    assert "more than six months ago" in text_of(page.get_data(as_text=True))
    form = hidden_fields(page.get_data(as_text=True))
    assert client.post(f"{own}/still-right", data=form).status_code == 302
    login("broker", broker=ours, email="second@example.org")
    assert "2 listings are out of date" in text_of(
        client.get("/directory-entries").get_data(as_text=True)
    )
    db.session.remove()
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("directory-%"))
    ).all()
    assert sorted(actions) == sorted(
        ["directory-entries-read"] * 4
        + ["directory-entry-stale-emailed"] * 2
        + ["directory-entry-checked", "directory-entry-confirmed"]
    )


def test_the_daily_command_asks_stale_groups_once_a_month_never_one_that_said_stop(app, cli, smtp):
    round_ = factories.survey_round()
    groups = {
        "Stale Singers": (200, "stale@example.org", None),
        "Fresh Walkers": (10, "fresh@example.org", None),
        "Stopped Stitchers": (300, "stopped@example.org", utcnow() - dt.timedelta(days=5)),
        "Never Confirmed": (None, "never@example.org", None),
    }
    ids = {}
    for name, (days, email, stopped) in groups.items():
        org = factories.organisation(name=name, email=email, reminders_stopped_at=stopped)
        factories.invitation(round_, org)
        db.session.flush()
        _entry(org, days)
        ids[name] = org.id
    db.session.commit()

    dry = cli("reminders", "listings", "--dry-run")
    assert dry.exit_code == 0, dry.output
    # Three listings are stale (200 days, 300 days, never); the stopped group is not asked.
    assert "Would ask 2 of 3 stale listings." in dry.output
    assert f"would ask: {ids['Stale Singers']}\tStale Singers" in dry.output
    assert "Stopped Stitchers" not in dry.output and smtp.messages == []

    sent = cli("reminders", "listings")
    assert sent.exit_code == 0, sent.output
    assert "Asked 2 groups" in sent.output
    to = {rcpt[0]: message for rcpt, message in smtp.messages}
    assert set(to) == {"stale@example.org", "never@example.org"}
    body = to["stale@example.org"].get_content()
    stop = to["stale@example.org"]["List-Unsubscribe"].strip().strip("<>")
    assert "/reminders/stop/" in stop and stop in body and "/listing" in body
    assert cli("reminders", "listings").output.startswith("Asked 0 groups")  # a month apart

    # The stop link in the listing email stops these emails too.
    client = app.test_client()
    path = "/" + stop.split("/", 3)[3]
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.session.execute(sa.update(DirectoryEntry).values(stale_emailed_at=None))
    db.session.commit()
    assert "Would ask 1 of 3" in cli("reminders", "listings", "--dry-run").output


def test_a_server_that_refuses_part_way_is_reported_and_only_what_went_is_recorded(app, cli, smtp):
    """A real server that takes one message and then answers 554: the command exits
    non-zero with the server's words and the counts, exactly the group whose email went
    is marked asked, and the next run (the server taking mail again) asks the other two."""
    round_ = factories.survey_round()
    emails = ["one@example.org", "two@example.org", "three@example.org"]
    for n, email in enumerate(emails):
        org = factories.organisation(name=f"Stale group {n}", email=email)
        factories.invitation(round_, org)
        db.session.flush()
        _entry(org, 200)
    db.session.commit()

    smtp.accept = 1
    refused = cli("reminders", "listings")
    assert refused.exit_code == 1
    assert (
        "the mail server answered 554 5.7.1 Sending limit reached, try later: "
        "1 email sent and recorded, 2 not sent; run the command again later for the rest"
        in refused.output
    )
    assert "Traceback" not in refused.output and "SMTPDataError" not in refused.output
    [first] = [rcpt[0] for rcpt, _ in smtp.messages]
    assert len(smtp.refused) == 1  # the server refused the second; the run stopped there
    asked = db.session.scalars(
        sa.select(Organisation.email)
        .join(DirectoryEntry, DirectoryEntry.organisation_id == Organisation.id)
        .where(DirectoryEntry.stale_emailed_at.is_not(None))
    ).all()
    assert asked == [first]

    smtp.accept = None
    again = cli("reminders", "listings")
    assert again.exit_code == 0 and "Asked 2 groups" in again.output
    assert sorted(rcpt[0] for rcpt, _ in smtp.messages) == sorted(emails)
