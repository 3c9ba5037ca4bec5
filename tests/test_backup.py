"""The README's backup and restore commands, run as written: back up, change, restore, check."""

from __future__ import annotations

import subprocess
import sys
import uuid

import sqlalchemy as sa
from flask_migrate import upgrade

from survey import create_app
from survey.extensions import db
from survey.models import Organisation

from .postgres import _bin

# The README's commands, with the file names as placeholders.
SQLITE_BACKUP = (
    "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))"
)


def _names(app) -> list[str]:
    with app.app_context():
        names = db.session.scalars(sa.select(Organisation.name).order_by(Organisation.name)).all()
        db.session.remove()
        db.engine.dispose()  # the service is stopped while restoring
        return names


def _seed(app) -> None:
    with app.app_context():
        upgrade()
        db.session.add_all([Organisation(name="Lunch club"), Organisation(name="Walking group")])
        db.session.commit()


def _change(app) -> None:
    with app.app_context():
        db.session.execute(sa.delete(Organisation).where(Organisation.name == "Lunch club"))
        db.session.add(Organisation(name="Added after the backup"))
        db.session.commit()


def test_sqlite_backup_and_restore(tmp_path):
    live, backup = tmp_path / "survey.db", tmp_path / "backup.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}", "TESTING": True})
    _seed(app)
    assert _names(app) == ["Lunch club", "Walking group"]
    # Back up while the service runs (the backup API copies a consistent snapshot).
    subprocess.run([sys.executable, "-c", SQLITE_BACKUP, str(live), str(backup)], check=True)
    _change(app)
    assert _names(app) == ["Added after the backup", "Walking group"]
    subprocess.run([sys.executable, "-c", SQLITE_BACKUP, str(backup), str(live)], check=True)
    assert _names(app) == ["Lunch club", "Walking group"]


def test_postgresql_backup_and_restore(postgres_url, tmp_path):
    name = f"backup_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://")
    dump = tmp_path / "survey.dump"
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        _seed(app)
        assert _names(app) == ["Lunch club", "Walking group"]
        subprocess.run(
            [_bin("pg_dump"), "--format=custom", f"--file={dump}", libpq_url],
            check=True,
            capture_output=True,
        )
        _change(app)
        assert _names(app) == ["Added after the backup", "Walking group"]
        subprocess.run(
            [
                _bin("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                f"--dbname={libpq_url}",
                str(dump),
            ],
            check=True,
            capture_output=True,
        )
        assert _names(app) == ["Lunch club", "Walking group"]
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()
