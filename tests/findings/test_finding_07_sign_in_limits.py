"""Finding 7: sign-in limits that hold under parallel guesses, on PostgreSQL.

At most ``SIGN_IN_ATTEMPTS`` of 40 wrong passwords sent at once are checked; five
wrong passwords from one address do not keep the right person out from another;
one guess each at many accounts from one address is limited; many addresses
guessing at one account are slowed, but not the person's own browser.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

import survey.accounts.views
from survey.extensions import db
from survey.models import AuditEvent
from tests import factories
from tests.accounts.conftest import cheap_password_hashing
from tests.conftest import _empty_postgres

PASSWORD = "correct horse battery"
PARALLEL = 40


@pytest.fixture
def pg(postgres_app, monkeypatch):
    """The app on PostgreSQL, emptied before and after; forms without CSRF, cheap hashes."""
    _empty_postgres(postgres_app)
    monkeypatch.setitem(postgres_app.config, "WTF_CSRF_ENABLED", False)
    cheap_password_hashing(monkeypatch)
    with postgres_app.app_context():
        yield postgres_app
        db.session.remove()
    _empty_postgres(postgres_app)


@pytest.fixture
def checked(monkeypatch) -> Counter:
    """Counts every password actually checked (a lock: threads call it)."""
    seen, lock = Counter(), threading.Lock()
    real = survey.accounts.views._password_matches

    def counting(user, password):
        with lock:
            seen["checked"] += 1
        return real(user, password)

    monkeypatch.setattr(survey.accounts.views, "_password_matches", counting)
    return seen


def _sign_in(client, email: str, password: str, address: str = "192.0.2.1"):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _failures() -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "sign-in-failed")
    )


def test_finding_07_forty_parallel_wrong_passwords_check_at_most_the_limit(pg, checked):
    factories.user(email="lead@example.org")
    db.session.commit()
    limit = pg.config["SIGN_IN_ATTEMPTS"]
    assert limit == 5
    barrier = threading.Barrier(PARALLEL)
    statuses: list = []

    def guess(n: int) -> None:
        client = pg.test_client()
        barrier.wait()
        try:
            statuses.append(_sign_in(client, "lead@example.org", f"guess {n}").status_code)
        except BaseException as error:  # noqa: BLE001 - counted as a 500 below
            statuses.append(error)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == PARALLEL
    assert Counter(statuses) == {401: limit, 429: PARALLEL - limit}, Counter(map(str, statuses))
    assert checked["checked"] == limit, "only the guesses that got a place were checked"
    assert _failures() == limit


def test_finding_07_failures_from_one_address_do_not_keep_the_right_person_out(pg, checked):
    factories.user(email="lead@example.org")
    db.session.commit()
    attacker, person = pg.test_client(), pg.test_client()
    for n in range(5):
        assert (
            _sign_in(attacker, "lead@example.org", f"guess {n}", "203.0.113.9").status_code == 401
        )
    refused = _sign_in(attacker, "lead@example.org", PASSWORD, "203.0.113.9")
    assert refused.status_code == 429, "the guessing address waits, even with the right password"
    assert int(refused.headers["Retry-After"]) > 0
    assert "Wait 15 seconds, then try again" in refused.get_data(as_text=True)
    assert _sign_in(person, "lead@example.org", PASSWORD, "198.51.100.7").status_code == 302


def test_finding_07_one_guess_each_at_many_accounts_is_limited_per_address(pg, checked):
    limit = pg.config.get("SIGN_IN_ADDRESS_ATTEMPTS", 20)
    assert limit == 20
    for n in range(28):
        factories.user(email=f"staff{n}@example.org")
    db.session.commit()
    client = pg.test_client()
    statuses = [
        _sign_in(client, f"staff{n}@example.org", "Summer2026!").status_code for n in range(28)
    ]
    assert statuses == [401] * limit + [429] * (28 - limit)
    assert checked["checked"] == limit
    other = _sign_in(pg.test_client(), "staff0@example.org", PASSWORD, "198.51.100.7")
    assert other.status_code == 302, "another address is not affected"


def test_finding_07_many_addresses_at_one_account_slow_strangers_not_the_persons_browser(
    pg, checked
):
    limit = pg.config.get("SIGN_IN_ACCOUNT_ATTEMPTS", 20)
    factories.user(email="lead@example.org")
    db.session.commit()
    own_browser = pg.test_client()
    home = "198.51.100.7"
    assert _sign_in(own_browser, "lead@example.org", PASSWORD, home).status_code == 302
    own_browser.post("/sign-out")
    statuses = [
        _sign_in(pg.test_client(), "lead@example.org", f"guess {n}", f"203.0.113.{n}").status_code
        for n in range(limit + 5)
    ]
    assert statuses == [401] * limit + [429] * 5, "guesses from many addresses are slowed"
    stranger = _sign_in(pg.test_client(), "lead@example.org", PASSWORD, "203.0.113.200")
    assert stranger.status_code == 429, "a new browser on a new network waits, like the attacker"
    travelling = _sign_in(own_browser, "lead@example.org", PASSWORD, "192.0.2.77")
    assert travelling.status_code == 302, "the person's own browser, even on another network"
    own_browser.post("/sign-out")
    at_home = _sign_in(pg.test_client(), "lead@example.org", PASSWORD, home)
    assert at_home.status_code == 302, "a new browser at an address they have signed in from"
