"""SQLite with several writers at once: WAL and a busy timeout, so nobody sees "database is locked"."""

from __future__ import annotations

import shutil
import threading

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from survey.models import AuditEvent

THREADS = 8
EACH = 15


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path, monkeypatch):
    """The app on its own SQLite file (this test is about SQLite only)."""
    path = tmp_path / "concurrent.db"
    shutil.copy(sqlite_template, path)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True, "WTF_CSRF_ENABLED": False}
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def _run_together(target) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(n):
        try:
            start.wait()
            target(n)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_connections_use_wal_and_wait_for_the_lock(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_threads_writing_at_once_all_succeed(sqlite_app):
    def write(n):
        for i in range(EACH):
            with sqlite_app.app_context():
                db.session.add(AuditEvent(actor=f"thread-{n}", action="test-write", target=str(i)))
                db.session.commit()

    assert _run_together(write) == []
    with sqlite_app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert count == THREADS * EACH


def test_requests_that_read_then_write_at_once_all_succeed(sqlite_app):
    """Each failed sign-in reads the failure count, then writes a failure: no 500, none lost."""
    statuses: list[int] = []

    def sign_in(n):
        client = sqlite_app.test_client()
        for i in range(3):
            page = client.post(
                "/sign-in",
                data={"email": f"t{n}-{i}@example.org", "password": "wrong"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"},  # under each address's limit
            )
            statuses.append(page.status_code)

    assert _run_together(sign_in) == []
    assert statuses == [401] * (THREADS * 3)
    with sqlite_app.app_context():
        failures = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "sign-in-failed")
        )
    assert failures == THREADS * 3
