"""Fixtures for the staff account tests."""

import functools

import pytest
from werkzeug.security import generate_password_hash

CHEAP_HASH = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")


def cheap_password_hashing(monkeypatch) -> None:
    """Hash test passwords cheaply: scrypt's cost is the point in production, not in tests."""
    import survey.accounts.views
    import survey.models

    monkeypatch.setattr(survey.models, "generate_password_hash", CHEAP_HASH)
    monkeypatch.setattr(survey.accounts.views, "_unknown_user_hash", [CHEAP_HASH("dummy")])


@pytest.fixture(autouse=True)
def _cheap_hashes(request, monkeypatch):
    if "modern_hash" not in request.node.name:  # that test checks the real thing
        cheap_password_hashing(monkeypatch)


@pytest.fixture
def no_csrf(app, monkeypatch):
    """Forms without their CSRF token (the app is shared on PostgreSQL: restored after)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return app
