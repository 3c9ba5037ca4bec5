"""Flask extensions, created unbound and attached in create_app."""

import sqlite3

from flask import has_request_context, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()

SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_for_several_writers(dbapi_connection, _record) -> None:
    """SQLite: WAL (readers never block the writer) and wait for a lock instead of failing.

    The driver's own transaction handling is switched off so that ``_sqlite_begin``
    decides how each transaction starts.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_without_jit(dbapi_connection, _record) -> None:
    """PostgreSQL: no JIT compilation. The planner's estimate counts a subquery once a row,
    so a staff page's or export's statements pass JIT's threshold and compile for longer
    than they then run: at 40,000 groups, the admin download took 6.2 s with JIT and 4.3 s
    without, publishing a round's figures after a change 36 s and 26 s (bench/scale.py).
    Set once a connection, as a committed session setting (a rolled-back one would not
    last)."""
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":  # not PostgreSQL's
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("SET jit = off")
    finally:
        dbapi_connection.autocommit = autocommit


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """SQLite: a request that may write (POST, PUT, ...) takes the write lock at once.

    A deferred transaction that reads, then writes after another writer has
    committed, fails at once with "database is locked" (the busy timeout does not
    help it); BEGIN IMMEDIATE makes it wait its turn instead. Reads (GET) and
    commands keep deferred transactions, so they never hold the lock while reading.
    """
    if connection.dialect.name != "sqlite":
        return
    writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
