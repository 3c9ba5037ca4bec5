"""SURVEY_PROXY_HOPS: behind a reverse proxy, sign-in limits count the client's address."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.extensions import db
from survey.models import AuditEvent

from .. import factories


@pytest.fixture
def app_behind(sqlite_template, tmp_path):
    """An app trusting `hops` proxies, one sign-in attempt per account and address."""
    made = []

    def make(hops: int):
        path = tmp_path / f"hops{hops}.db"
        shutil.copy(sqlite_template, path)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                "TESTING": True,
                "WTF_CSRF_ENABLED": False,
                "PROXY_HOPS": hops,
                "SIGN_IN_ATTEMPTS": 1,
            }
        )
        with app.app_context():
            factories.user(email="lead@example.org")
            db.session.commit()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _attempt(client, forwarded_for: str) -> int:
    return client.post(
        "/sign-in",
        data={"email": "lead@example.org", "password": "wrong password"},
        headers={"X-Forwarded-For": forwarded_for},
    ).status_code


def test_one_proxy_hop_counts_each_client_address_apart(app_behind):
    app = app_behind(1)
    client = app.test_client()
    assert _attempt(client, "203.0.113.7") == 401
    assert _attempt(client, "203.0.113.7") == 429  # that address used its one attempt
    assert _attempt(client, "198.51.100.2") == 401  # another client is not held back
    # A client cannot pick its address: the proxy appends the one it saw, and only that counts.
    assert _attempt(client, "198.51.100.99, 203.0.113.7") == 429
    with app.app_context():
        ips = db.session.scalars(sa.select(AuditEvent.detail).order_by(AuditEvent.id)).all()
    assert [d["ip"] for d in ips] == ["203.0.113.7", "203.0.113.7", "198.51.100.2", "203.0.113.7"]


def test_without_proxy_hops_a_forwarded_header_is_not_believed(app_behind):
    client = app_behind(0).test_client()
    assert _attempt(client, "203.0.113.7") == 401
    assert _attempt(client, "198.51.100.2") == 429  # the same address (the test client's)
