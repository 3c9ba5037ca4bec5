"""Help requests in Chromium with axe: a group asks for help from its result page, its broker
finds the request, takes it on, logs a call and marks it done, and the group sees that."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    Answer,
    Area,
    Broker,
    DomainScore,
    Invitation,
    Organisation,
    Response,
    Round,
)
from tests import factories
from tests.journey.conftest import valid_value

from .conftest import assert_no_violations

PASSWORD = "correct horse battery"
CALL = "Phoned, booked onto cyber basics session 14 March"


def test_a_group_asks_for_help_and_sees_its_broker_finish_it(live_server, page):
    app = live_server.app
    with app.app_context():
        instrument = registry().latest("confidence")
        ics = Area(code="H-ICS", name="Help ICS", type="ics")
        home = Area(code="H-N1", name="Mill Neighbourhood", type="neighbourhood", parent=ics)
        today = dt.date.today()
        round_ = Round(
            slug="confidence-help",
            title="Confidence (help test)",
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=30),
            areas=[ics],
        )
        broker = Broker(name="Millbrook CVS")
        group = Organisation(
            name="Mill lane lunch club", area=home, broker=broker, consent_broker=True
        )
        invitation = Invitation(round=round_, organisation=group, private_token="help-own-link")
        response = Response(
            round=round_,
            invitation=invitation,
            organisation=group,
            area_id=None,
            status="submitted",
            submitted_at=dt.datetime(2026, 5, 1, 10, 0),
        )
        for i, q in enumerate(instrument.questions):
            response.answers.append(Answer(question_id=q.id, value=_stored(q, home.code, i)))
        response.scores = [DomainScore(domain_id=d.id, score=2.0, level=2, ambition=4)
                           for d in instrument.domains]  # fmt: skip
        db.session.add_all([ics, home, round_, broker, group, invitation, response])
        db.session.flush()
        factories.user("broker", email="ann@millbrook.example", password=PASSWORD, broker=broker)
        db.session.commit()

    own = f"{live_server.url}/r/help-own-link"
    page.goto(f"{own}/result")
    page.get_by_role("button", name="I'd like help with this").first.click()
    page.wait_for_url(lambda url: "/help?about=" in url)
    assert "will not see your answers" in page.locator("#privacy").inner_text()
    assert_no_violations(page, "ask for help")
    page.check("#contact-by-phone")
    page.fill("#contact-detail", "01234 567890")
    page.fill("#note", "Mornings are best")
    page.get_by_role("button", name="Send your request for help").click()
    page.wait_for_url(lambda url: url.endswith("/result#help-requests"))
    expect(page.locator('#help-requests [data-status="new"]')).to_have_count(1)
    assert_no_violations(page, "result with a request")

    staff = page.context.browser.new_context(bypass_csp=True)  # so axe can be injected
    broker_page = staff.new_page()
    broker_page.goto(live_server.url + "/sign-in")
    broker_page.fill("#email", "ann@millbrook.example")
    broker_page.fill("#password", PASSWORD)
    broker_page.get_by_role("button", name="Sign in").click()
    broker_page.wait_for_url(lambda url: "/sign-in" not in url)
    broker_page.get_by_role("link", name="Requests for help from groups").click()
    assert_no_violations(broker_page, "caseload")
    broker_page.get_by_role("link", name="Mill lane lunch club").click()
    assert "Mornings are best" in broker_page.locator("#request").inner_text()
    assert_no_violations(broker_page, "request")
    broker_page.select_option("#status", "contacted")
    broker_page.select_option("#owner", label="ann@millbrook.example")
    broker_page.get_by_role("button", name="Save").click()
    assert broker_page.locator("#current-owner").inner_text() == "ann@millbrook.example"
    broker_page.fill("#text", CALL)
    broker_page.get_by_role("button", name="Add to the contact log").click()
    assert CALL in broker_page.locator("#contact-log").inner_text()
    broker_page.select_option("#status", "done")
    broker_page.get_by_role("button", name="Save").click()
    assert broker_page.locator("#current-status").inner_text() == "done"
    assert_no_violations(broker_page, "request done")
    # A colleague saves the same request while this page is open: this save is refused (409).
    colleague = staff.new_page()
    colleague.goto(broker_page.url)
    colleague.fill("#due_on", "2027-03-14")
    colleague.get_by_role("button", name="Save").click()
    expect(colleague.locator("#current-due")).to_have_text("14 March 2027")
    colleague.close()
    broker_page.select_option("#status", "declined")
    broker_page.get_by_role("button", name="Save").click()
    expect(broker_page.locator("#notice")).to_contain_text("Someone else changed this request")
    assert broker_page.locator("#current-status").inner_text() == "done"
    assert_no_violations(broker_page, "request changed elsewhere")
    broker_page.goto(f"{live_server.url}/portfolio/confidence-help")
    broker_page.get_by_role("link", name="One-page plan for Mill lane lunch club").click()
    broker_page.wait_for_url(lambda url: url.endswith("/plan"))  # count() does not wait for a page
    expect(broker_page.locator('#plan-actions [data-status="done"]').first).to_be_visible()
    assert_no_violations(broker_page, "one-page plan")
    broker_page.goto(f"{live_server.url}/help-requests/support-plans")
    assert_no_violations(broker_page, "support-plans upload")
    notes = {"name": "plans.xlsx", "mimeType": "text/plain", "buffer": b"not a workbook"}
    broker_page.set_input_files("#file", files=[notes])
    broker_page.get_by_role("button", name="Check and bring back").click()
    expect(broker_page.locator("#plans-errors")).to_be_visible()
    assert_no_violations(broker_page, "support-plans upload refused")
    staff.close()

    page.goto(f"{own}/result")
    expect(page.locator('#help-requests [data-status="done"]')).to_have_count(1)
    page.goto(own)
    assert "done" in page.locator("#help-summary").inner_text()
    assert page.console_errors == [] and page.external_requests == []


def _stored(question, area_code: str, i: int):
    """A stored answer value (the form's value; numbers as numbers)."""
    value = valid_value(question, area_code, i)
    if question.type == "number":
        return int(value)
    if question.type == "postcode":
        return "LA1 4YW"
    return value
