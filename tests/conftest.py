"""Fixtures shared by the whole suite: the app on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import settings

from survey import create_app
from survey.commands.main import main
from survey.extensions import db

from .postgres import PostgresServer

ENGINES = ["sqlite", "postgresql"]

# No deadline for any property test: Hypothesis's default (200 ms an example) is a timed
# assertion, and one failed mutation testing's test mapping on a loaded machine (304 ms,
# then 0.8 ms when run again). Speed is measured in bench/, not asserted in tests.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

# Pages wait for the figures they show to be published: the rules of publication are
# tested on what a page shows right after a change. Publishing in the background (the
# service's default) has tests of its own (tests/survey/test_publish_in_background.py);
# servers the tests start inherit this.
os.environ["SURVEY_PUBLISH_IN_BACKGROUND"] = "0"


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server for the session, or a database of this session's own on the
    server SURVEY_TEST_POSTGRES_URL names (scripts/mutation gives one server to the test
    runs of mutants it runs side by side: in one database, each run's emptying of the
    tables failed the other's tests, which counted as kills)."""
    given = os.environ.get("SURVEY_TEST_POSTGRES_URL")
    if given:
        with _own_database(given) as url:
            yield url
        return
    server = PostgresServer()
    url = server.start()
    yield url
    server.stop()


@contextlib.contextmanager
def _own_database(server_url: str):
    """A new database on that server for as long as the block runs, then dropped."""
    name = f"survey_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrated_app(url: str):
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    app = _migrated_app(f"sqlite:///{path}")
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_app(postgres_url):
    """One migrated PostgreSQL database for the session, emptied after each test."""
    return _migrated_app(postgres_url)


def _empty_postgres(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_app(postgres_app):
    """The app on PostgreSQL alone (for what only PostgreSQL has: EXPLAIN, concurrent
    writers), emptied before and after."""
    _empty_postgres(postgres_app)
    with postgres_app.app_context():
        yield postgres_app
        db.session.remove()
    _empty_postgres(postgres_app)


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    """The app on a fresh, migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    else:
        app = request.getfixturevalue("postgres_app")
        _empty_postgres(app)
        config = dict(app.config)  # the app is shared: a test's config change must not leak
        with app.app_context():
            yield app
            db.session.remove()
        app.config.clear()
        app.config.update(config)
        _empty_postgres(app)


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def login(client):
    """Sign a member of staff in (a session as Flask-Login makes it); returns the user."""
    from . import factories

    def sign_in(role: str = "admin", **fields):
        user = factories.user(role=role, **fields)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return user

    return sign_in


@pytest.fixture
def cli(app, monkeypatch):
    """Run `survey ...` against the test's database; returns the click result."""
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    runner = CliRunner()

    def invoke(*args):
        db.session.remove()
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
