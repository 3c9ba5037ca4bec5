"""The home and sign-in pages in a real browser: no errors, nothing fetched from outside, accessible."""

from __future__ import annotations

from .conftest import axe_violations


def test_home_page_loads_locally_and_is_accessible(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Community groups and social prescribing"
    assert page.console_errors == []
    assert page.external_requests == []
    assert axe_violations(page) == []


def test_sign_in_error_summary_links_to_the_field(live_server, page):
    page.goto(live_server.url + "/sign-in")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter your email address" in summary.inner_text()
    assert page.title().startswith("Error: ")
    summary.get_by_role("link", name="Enter your email address").click()
    assert page.evaluate("document.activeElement.id") == "email"
    assert axe_violations(page) == []


def test_the_accessibility_check_does_find_problems(page):
    # A page with an unlabelled image and no language: axe must report both, or the
    # zero-violation checks elsewhere would prove nothing.
    page.set_content("<html><body><img src='data:,'><p>Hello</p></body></html>")
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "html-has-lang"} <= found
