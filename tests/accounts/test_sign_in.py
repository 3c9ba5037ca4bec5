"""Staff sign in and out: hashed passwords, a limit on failures, audited, short-lived sessions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, SignInThrottle, User

from .. import factories

PASSWORD = "correct horse battery"


def _sign_in(client, email, password=PASSWORD, next_=None):
    url = "/sign-in" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password})


def _events(action):
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def test_password_is_stored_as_a_salted_modern_hash(app):
    one = factories.user(email="one@example.org")
    two = factories.user(email="two@example.org")
    assert one.password_hash.startswith("scrypt:")
    assert PASSWORD not in one.password_hash
    assert one.password_hash != two.password_hash, "salted: same password, different hash"


def test_sign_in_starts_a_session_that_expires_with_safe_cookie_flags(no_csrf, client):
    app = no_csrf
    factories.user(email="lead@example.org", role="board")
    db.session.commit()
    page = _sign_in(client, "Lead@Example.org ")
    assert page.status_code == 302
    assert page.headers["Location"] == "/staff"
    cookie = page.headers["Set-Cookie"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Expires="):
        assert flag in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=8)
    assert client.get("/staff").status_code == 200
    [event] = _events("sign-in")
    assert event.actor == "lead@example.org"


def test_a_wrong_password_is_refused_and_audited_without_the_password(no_csrf, client):
    factories.user(email="lead@example.org")
    db.session.commit()
    page = _sign_in(client, "lead@example.org", "wrong password")
    assert page.status_code == 401
    html = page.get_data(as_text=True)
    assert "<title>Error: Sign in" in html
    assert "Enter a correct email address and password" in html
    [event] = _events("sign-in-failed")
    assert event.target == "lead@example.org"
    assert "wrong password" not in str(event.detail)
    assert client.get("/staff").status_code == 302


def test_five_failures_from_one_address_make_it_wait_even_with_the_right_password(no_csrf, client):
    factories.user(email="lead@example.org")
    db.session.commit()
    for _ in range(5):
        assert _sign_in(client, "lead@example.org", "guess").status_code == 401
    page = _sign_in(client, "lead@example.org")
    assert page.status_code == 429
    assert "Too many attempts to sign in" in page.get_data(as_text=True)
    assert client.get("/staff").status_code == 302, "not signed in"
    assert len(_events("sign-in-refused")) == 1


def test_the_limit_holds_across_web_servers_because_it_is_kept_in_the_database(no_csrf):
    app = no_csrf
    """Two clients stand for two servers sharing one database."""
    factories.user(email="lead@example.org")
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    for n in range(5):
        assert _sign_in(first if n % 2 else second, "lead@example.org", "guess").status_code == 401
    assert _sign_in(first, "lead@example.org").status_code == 429
    assert _sign_in(second, "lead@example.org").status_code == 429


def test_old_failures_and_other_emails_do_not_count(no_csrf, client):
    factories.user(email="lead@example.org")
    db.session.commit()
    for _ in range(5):
        assert _sign_in(client, "lead@example.org", "guess").status_code == 401
        assert _sign_in(client, "other@example.org", "guess").status_code == 401
    assert _sign_in(client, "lead@example.org").status_code == 429
    long_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=16)
    db.session.execute(sa.update(SignInThrottle).values(last_at=long_ago, window_start=long_ago))
    db.session.commit()
    assert _sign_in(client, "lead@example.org").status_code == 302


def test_unknown_emails_are_limited_too_so_the_limit_reveals_nothing(no_csrf, client):
    for _ in range(5):
        assert _sign_in(client, "nobody@example.org", "guess").status_code == 401
    assert _sign_in(client, "nobody@example.org", "guess").status_code == 429


def test_a_deactivated_account_cannot_sign_in_and_its_session_ends(no_csrf, client):
    user = factories.user(email="gone@example.org")
    db.session.commit()
    assert _sign_in(client, "gone@example.org").status_code == 302
    user.active = False
    db.session.commit()
    assert client.get("/staff").status_code == 302, "the open session no longer counts"
    assert _sign_in(client, "gone@example.org").status_code == 401


def test_sign_in_only_follows_next_within_this_site(no_csrf, client):
    factories.user(email="lead@example.org")
    db.session.commit()
    page = _sign_in(client, "lead@example.org", next_="//evil.example/x")
    assert page.headers["Location"] == "/staff"
    client.post("/sign-out")
    page = _sign_in(client, "lead@example.org", next_="/staff/users")
    assert page.headers["Location"] == "/staff/users"


def test_sign_out_is_audited_and_ends_the_session(no_csrf, client, login):
    user = login("broker", broker=factories.broker())
    page = client.post("/sign-out")
    assert page.status_code == 302
    [event] = _events("sign-out")
    assert event.actor == user.email
    assert client.get("/staff").status_code == 302


def test_sign_in_needs_a_csrf_token(client):
    factories.user(email="lead@example.org")
    db.session.commit()
    page = _sign_in(client, "lead@example.org")
    assert page.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert _events("sign-in") == []


def test_empty_sign_in_shows_each_error_linked_to_its_field(no_csrf, client):
    page = client.post("/sign-in", data={"email": "", "password": ""})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert '<a href="#email">Enter your email address</a>' in html
    assert '<a href="#password">Enter your password</a>' in html


def _session_cookie(app, user, age_hours: float, monkeypatch) -> str:
    """A signed session cookie for the user, as if issued age_hours ago."""
    import time

    from itsdangerous.timed import TimestampSigner

    serializer = app.session_interface.get_signing_serializer(app)
    issued = int(time.time() - age_hours * 3600)
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
        return serializer.dumps({"_user_id": str(user.id), "_fresh": True, "_permanent": True})


def test_a_session_older_than_its_lifetime_no_longer_signs_anyone_in(app, monkeypatch):
    user = factories.user(email="lead@example.org")
    db.session.commit()
    fresh, stale = app.test_client(), app.test_client()
    fresh.set_cookie("session", _session_cookie(app, user, 7.5, monkeypatch))
    stale.set_cookie("session", _session_cookie(app, user, 8.5, monkeypatch))
    assert fresh.get("/staff").status_code == 200
    assert stale.get("/staff").status_code == 302
