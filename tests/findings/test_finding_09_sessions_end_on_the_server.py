"""Finding 9: a copied session cookie stops working once the session is ended on the server.

Sign-out, an administrator changing the person's role, and a new password each end
every session the person had: a cookie copied before then, replayed, is sent to sign-in.
"""

from __future__ import annotations

import pytest

from survey.extensions import db
from survey.models import User
from tests import factories
from tests.accounts.conftest import cheap_password_hashing

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app, monkeypatch):
    """A broker who signs in with a password, and an administrator's signed-in client."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    cheap_password_hashing(monkeypatch)
    broker = factories.user(role="broker", email="broker@example.org", broker=factories.broker())
    admin = factories.user(role="admin", email="admin@example.org")
    db.session.commit()
    admin_client = app.test_client()
    assert _sign_in(admin_client, admin.email).status_code == 302
    return broker, admin_client


def _sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def _copied_session(app, email: str) -> tuple:
    """Sign in; returns (the browser, a copy of its session cookie)."""
    browser = app.test_client()
    assert _sign_in(browser, email).status_code == 302
    assert browser.get("/staff").status_code == 200
    return browser, browser.get_cookie("session").value


def _replay(app, cookie: str):
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/staff")


def _change(admin_client, user: User, **fields):
    form = {"role": user.role, "areas": "", "broker": str(user.broker_id or ""), "active": "y"}
    page = admin_client.post(f"/staff/users/{user.id}", data={**form, **fields})
    assert page.status_code == 302, page.get_data(as_text=True)[:2000]


def test_finding_09_a_cookie_copied_before_sign_out_no_longer_works(app, people):
    broker, _ = people
    browser, cookie = _copied_session(app, broker.email)
    assert _replay(app, cookie).status_code == 200, "the copy works while the session is live"
    assert browser.post("/sign-out").status_code == 302
    replayed = _replay(app, cookie)
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/sign-in")


def test_finding_09_a_role_change_ends_the_persons_sessions(app, people):
    broker, admin_client = people
    _, cookie = _copied_session(app, broker.email)
    _change(admin_client, broker, role="board", broker="")
    replayed = _replay(app, cookie)
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/sign-in")
    browser = app.test_client()
    assert _sign_in(browser, broker.email).status_code == 302, "they sign in again as board"
    assert browser.get("/staff").status_code == 200


def test_finding_09_a_new_password_ends_the_persons_sessions(app, people):
    broker, admin_client = people
    _, cookie = _copied_session(app, broker.email)
    _change(admin_client, broker, new_password="a brand new passphrase")
    replayed = _replay(app, cookie)
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/sign-in")
    assert _sign_in(app.test_client(), broker.email).status_code == 401, "old password"
    assert _sign_in(app.test_client(), broker.email, "a brand new passphrase").status_code == 302


def test_finding_09_an_unchanged_save_and_other_peoples_sign_outs_leave_a_session_alone(
    app, people
):
    broker, admin_client = people
    _, cookie = _copied_session(app, broker.email)
    _change(admin_client, broker)  # saved with nothing changed
    other, _ = _copied_session(app, "admin@example.org")
    other.post("/sign-out")
    assert _replay(app, cookie).status_code == 200
    assert admin_client.get("/staff").status_code == 302, "the admin's own sign-out ended theirs"
