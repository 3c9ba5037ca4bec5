"""Reminders in Chromium with axe: a broker's portfolio with its reminders form and "last
reminded", the button that sends them, and the page a group reaches from the email's link
that stops them.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path

from playwright.sync_api import expect

from survey.extensions import db
from survey.models import Broker, Reminder, utcnow
from tests import factories

from .conftest import assert_no_violations

PASSWORD = "correct horse battery"


def test_a_broker_reminds_its_groups_and_a_group_stops_them(live_server, page, monkeypatch):
    app = live_server.app
    with app.app_context():
        home = factories.area(code="R-N1", name="Canal Neighbourhood", type="neighbourhood")
        round_ = factories.survey_round("confidence", slug="confidence-chase")
        broker = Broker(name="Canalside CVS")
        walkers = factories.organisation(
            "Canal walkers", home, broker=broker, email="walkers@example.org"
        )
        choir = factories.organisation(
            "Chapel choir", home, broker=broker, email="choir@example.org"
        )
        for group in (walkers, choir):
            factories.invitation(round_, group)
        reminded_on = utcnow() - dt.timedelta(days=2)  # within the week: not due again yet
        db.session.add(
            Reminder(
                round_id=round_.id,
                organisation_id=walkers.id,
                sent_at=reminded_on,
                sent_by="cli",
                template="reminder-1",
                status="not started",
            )
        )
        factories.user("broker", email="bea@canalside.example", password=PASSWORD, broker=broker)
        db.session.commit()
        ids = {"walkers": walkers.id, "choir": choir.id}

    staff = page.context.browser.new_context(bypass_csp=True)  # so axe can be injected
    broker_page = staff.new_page()
    broker_page.goto(live_server.url + "/sign-in")
    broker_page.fill("#email", "bea@canalside.example")
    broker_page.fill("#password", PASSWORD)
    broker_page.get_by_role("button", name="Sign in").click()
    broker_page.wait_for_url(lambda url: "/sign-in" not in url)
    broker_page.goto(f"{live_server.url}/portfolio/confidence-chase")
    chase = broker_page.locator("#portfolio-chase")
    walkers_row = chase.locator(f'[data-org="{ids["walkers"]}"]')
    expect(walkers_row.locator("[data-reminded]")).to_have_text(reminded_on.strftime("%-d %b %Y"))
    expect(walkers_row.locator("[data-status]")).to_have_text("not started")
    expect(broker_page.locator("#reminders-due")).to_contain_text(
        "1 group can be sent a reminder with their own link now."
    )
    assert_no_violations(broker_page, "portfolio with its reminders form")
    broker_page.get_by_role("button", name="Email reminders to 1 group").click()
    expect(broker_page.get_by_text("Reminders sent to 1 group.")).to_be_visible()
    choir_row = chase.locator(f'[data-org="{ids["choir"]}"]')
    expect(choir_row.locator("[data-reminded]")).to_have_text(dt.date.today().strftime("%-d %b %Y"))
    assert_no_violations(broker_page, "portfolio after sending reminders")
    # one row a page: both lists come a page at a time, with GOV.UK pagination
    from survey.reports import portfolio

    monkeypatch.setattr(portfolio, "PORTFOLIO_PAGE", 1)
    broker_page.goto(f"{live_server.url}/portfolio/confidence-chase")
    groups_nav = broker_page.get_by_role("navigation", name="Pages of groups", exact=True)
    expect(groups_nav).to_contain_text("Page 1 of 2")
    first = broker_page.locator("#portfolio-groups [data-org]").get_attribute("data-org")
    assert_no_violations(broker_page, "portfolio a page at a time")
    groups_nav.get_by_role("link", name="Next page").click()
    expect(groups_nav).to_contain_text("Page 2 of 2")
    second = broker_page.locator("#portfolio-groups [data-org]").get_attribute("data-org")
    assert {first, second} == {str(ids["walkers"]), str(ids["choir"])}
    staff.close()

    # The choir follows the email's link to stop reminders (no session: the link is the key).
    (mail,) = Path(app.config["MAIL_FOLDER"]).glob("*.eml")
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert message["To"] == "choir@example.org"
    page.goto(message["List-Unsubscribe"].strip().strip("<>"))
    expect(page.get_by_role("heading", name="Stop reminder emails")).to_be_visible()
    assert_no_violations(page, "stop reminders")
    page.get_by_role("button", name="Stop reminder emails").click()
    expect(page.locator("#stopped")).to_contain_text("Chapel choir")
    assert_no_violations(page, "reminders stopped")
    assert page.console_errors == [] and page.external_requests == []
