"""Finding 8: after sign-in the app only ever sends a person to a page of its own."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.accounts.views import safe_next
from survey.extensions import db
from tests import factories
from tests.accounts.conftest import cheap_password_hashing

SITE = "https://survey.example"

HOSTILE = [
    "/\t/evil.example",  # the finding: a tab that browsers drop, leaving //evil.example
    "/\n/evil.example/x",  # the finding: a newline, a 500 after signing in
    "/\r\n/evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/staff",
    "http:evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    " //evil.example",
    "\x00/staff",
    "/ /evil.example",
    "/\x0b/evil.example",
    "/\u3000/evil.example",
    "evil.example",
    "@evil.example",
    "//user@evil.example/",
    "/staff\nSet-Cookie: x=1",
]


def browser_destination(location: str) -> str:
    """The host a browser would go to for this Location (it drops tabs and newlines,
    trims spaces and control characters, and reads a backslash as a slash)."""
    cleaned = location.strip("".join(map(chr, range(33))))
    cleaned = "".join(c for c in cleaned if c not in "\t\n\r").replace("\\", "/")
    return urlsplit(urljoin(f"{SITE}/sign-in", cleaned)).netloc


@pytest.mark.parametrize("target", HOSTILE)
def test_finding_08_hostile_next_values_are_refused(target):
    assert safe_next(target) is None


@given(st.text(max_size=60))
@settings(max_examples=500, deadline=None)
def test_finding_08_any_next_value_stays_on_this_site(target):
    chosen = safe_next(target)
    if chosen is not None:
        assert chosen.startswith("/") and not chosen.startswith("//")
        assert browser_destination(chosen) == "survey.example", chosen
        assert all(33 <= ord(c) < 127 for c in chosen)


@given(st.sampled_from(["//", "/\\", "\\", "/\t/", "https:", "/%09/", " /"]), st.text(max_size=20))
@settings(max_examples=300, deadline=None)
def test_finding_08_next_values_that_start_like_another_site_are_refused(prefix, rest):
    chosen = safe_next(prefix + "evil.example" + rest)
    assert chosen is None or browser_destination(chosen) == "survey.example"


def test_finding_08_local_paths_are_kept():
    for target in ("/staff/users", "/areas/E54000048?round=confidence-2025", "/a/b%2Fc"):
        assert safe_next(target) == target


def test_finding_08_sign_in_never_redirects_off_site_nor_fails(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    cheap_password_hashing(monkeypatch)
    factories.user(email="lead@example.org")
    db.session.commit()
    for target in [*HOSTILE, "/staff/users"]:
        client = app.test_client()
        page = client.post(
            "/sign-in",
            query_string="next=" + quote(target, safe=""),
            data={"email": "lead@example.org", "password": "correct horse battery"},
        )
        if "\x00" in target:  # refused for every form and address before sign-in
            assert page.status_code == 400
            continue
        assert page.status_code == 302, (target, page.status_code)
        location = page.headers["Location"]
        assert browser_destination(location) in ("", "survey.example", "localhost"), location
        assert location == (target if target == "/staff/users" else "/staff"), (target, location)
