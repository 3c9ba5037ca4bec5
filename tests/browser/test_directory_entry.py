"""A group fills in its directory entry in a real browser, corrects a mistake, later
changes it, and the public listing follows; every page is accessible."""

from __future__ import annotations

from survey.extensions import db

from .. import factories
from .conftest import axe_violations


def test_a_group_fills_in_and_later_updates_its_entry(live_server, page):
    with live_server.app.app_context():
        hood = factories.area(code="T-ENTRY", name="Riverside")
        org = factories.organisation(name="Riverside Soup", area=hood, consent_directory=True)
        invitation = factories.invitation(factories.survey_round(), org)
        invitation.private_token = "browser-entry-private-token"
        db.session.commit()
        db.session.remove()
    page.goto(f"{live_server.url}/r/browser-entry-private-token/listing")
    page.get_by_label("What does your group offer?").fill("Soup and a chat")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # who it is for: anyone
    page.get_by_label("When does your group meet?").fill("Tuesdays 12 to 2pm")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("No, show only our area").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # cost
    page.get_by_role("button", name="Continue").click()  # accessibility
    page.get_by_label("Website").fill("soup dot example")
    page.get_by_role("button", name="Continue").click()
    assert page.title().startswith("Error: ")
    assert "Enter a website address in the correct format" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Website").fill("https://soup.example.org")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Befriending").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Check your directory listing"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save your listing").click()
    assert "Your listing is saved" in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/directory/T-ENTRY")
    body = page.locator("main").inner_text()
    assert "Tuesdays 12 to 2pm" in body and "https://soup.example.org" in body

    page.goto(f"{live_server.url}/r/browser-entry-private-token/listing")
    page.get_by_role("link", name="Change When does your group meet?").click()
    page.get_by_label("When does your group meet?").fill("Fridays 10am")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save your listing").click()
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/directory/T-ENTRY")
    body = page.locator("main").inner_text()
    assert "Fridays 10am" in body and "Tuesdays" not in body
    # The one refused page (400) is the only thing the browser reports.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]
    assert page.external_requests == []
