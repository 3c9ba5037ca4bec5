"""Headers every response carries, cookies, and a friendly page for an upload too big."""

from __future__ import annotations

import re

from survey.security import CONTENT_SECURITY_POLICY

from .. import factories


def test_pages_carry_the_security_headers_and_no_server_banner(client):
    page = client.get("/")
    policy = page.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self'", "no inline script, no other site"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Server"] == "survey"
    assert "Werkzeug" not in str(page.headers) and "Python" not in str(page.headers)


def test_error_pages_carry_them_too(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in page.headers


def _inline_scripts(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]


def test_staff_pages_have_no_inline_script(client, login):
    login("admin")
    for url in ("/", "/sign-in", "/staff", "/staff/users", "/staff/users/new", "/staff/audit"):
        html = client.get(url).get_data(as_text=True)
        assert "<script" in html
        assert _inline_scripts(html) == [], url
        assert not re.search(r"\son[a-z]+=", html), f"no inline event handlers on {url}"


def test_the_session_cookie_is_secure_httponly_and_lax(app, client, login):
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secure_cookies_can_be_turned_off_for_plain_http_on_one_machine(monkeypatch, tmp_path):
    from survey.config import load_config

    monkeypatch.setenv("SURVEY_SECURE_COOKIES", "0")
    monkeypatch.setenv("SECRET_KEY", "x")
    assert load_config(tmp_path)["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SURVEY_SECURE_COOKIES", "yes")
    assert load_config(tmp_path)["SESSION_COOKIE_SECURE"] is True


def test_a_body_too_big_gets_a_friendly_413_page(app, client, login, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    factories.user(email="lead@example.org")
    page = client.post(
        "/sign-in",
        data={"email": "lead@example.org", "password": "x" * 5000},
    )
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "The file is too big" in html
    assert "<title>" in html and "govuk-template" in html, "the service's own page"


def test_a_null_byte_anywhere_in_a_form_or_address_is_a_clear_400(no_csrf, client):
    page = client.post("/sign-in", data={"email": "a\x00@example.org", "password": "x"})
    assert page.status_code == 400
    assert "characters that cannot be used" in page.get_data(as_text=True)
    assert client.get("/staff/audit?action=a%00b").status_code == 400
