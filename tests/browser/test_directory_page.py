"""The public directory page in a real browser: search without JavaScript, accessible."""

from __future__ import annotations

from survey.extensions import db

from .. import factories
from .conftest import axe_violations


def test_directory_page_searches_and_is_accessible(live_server, page):
    with live_server.app.app_context():
        hood = factories.area(code="T-DIR", name="Riverside")
        factories.organisation(
            name="Riverside Lunch Club", area=hood, consent_directory=True,
            profile={"activity": "social_group"},
        )  # fmt: skip
        factories.organisation(name="Riverside Choir", area=hood, consent_directory=True)
        factories.organisation(name="Quiet Knitters", area=hood, consent_directory=False)
        db.session.commit()
        db.session.remove()
    page.goto(live_server.url + "/directory/T-DIR")
    assert page.locator("h1").inner_text() == "Community groups in Riverside"
    body = page.locator("main").inner_text()
    assert "Riverside Lunch Club" in body and "Riverside Choir" in body
    assert "Quiet Knitters" not in body
    assert axe_violations(page) == []
    page.get_by_label("Search groups").fill("lunch")
    page.get_by_role("button", name="Search").click()
    body = page.locator("main").inner_text()
    assert "1 group matching ‘lunch’" in body
    assert "Riverside Lunch Club" in body and "Riverside Choir" not in body
    assert page.url.endswith("/directory/T-DIR?search=lunch")
    assert page.console_errors == [] and page.external_requests == []
    assert axe_violations(page) == []
    page.get_by_label("Search groups").fill("x" * 201)
    page.get_by_role("button", name="Search").click()
    assert page.title().startswith("Error: ")
    assert axe_violations(page) == []


def test_directory_page_works_without_javascript(live_server, browser):
    with live_server.app.app_context():
        hood = factories.area(code="T-NOJS", name="Hillside")
        factories.organisation(name="Hillside Walkers", area=hood, consent_directory=True)
        factories.organisation(name="Hillside Choir", area=hood, consent_directory=True)
        db.session.commit()
        db.session.remove()
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(live_server.url + "/directory/T-NOJS")
        tab.get_by_label("Search groups").fill("walkers")
        tab.get_by_role("button", name="Search").click()
        body = tab.locator("main").inner_text()
        assert "Hillside Walkers" in body and "Hillside Choir" not in body
    finally:
        context.close()
