"""Small pieces of SQL that several queries share."""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

from .extensions import db


def streamed(statement: sa.Executable) -> sa.CursorResult:
    """A big read's rows, made as they are iterated: executed on the session's connection
    (in its transaction), not by the session, which makes every row first (a round's
    174,000 score rows at 40,000 groups: 50 MB of objects at once, where this holds one
    row; the driver holds the rest as they came, in its own memory)."""
    return db.session.connection().execute(statement)


def ids_in(column, ids: Iterable[int] | sa.Select):
    """``column IN (ids)`` with the ids sent as one value, not one bound parameter each:
    for the 7,634 areas of a national small-area map, binding took 0.1 to 0.25 s of the
    query (on PostgreSQL), and writing them into the statement as numbers still 0.05 s
    (0.07 s for a portfolio's 5,521 groups not answered, in two statements). Only whole
    numbers are taken.

    On PostgreSQL the value is an integer array (``column = ANY(ids)``), elsewhere JSON
    text read back by ``json_each`` (SQLite), so no engine's limit on parameters applies.

    ``ids`` may instead be a query of one column of ids (a broker's groups): the database
    reads them itself."""
    if isinstance(ids, sa.Select):
        return column.in_(ids)
    numbers = [int(i) for i in ids]
    return in_ids(column, sa.bindparam("ids", numbers, type_=IdList(), unique=True))


class IdList(TypeDecorator):
    """A list of whole numbers as one bound parameter: an integer array on PostgreSQL,
    JSON text elsewhere."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.Integer))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value, dialect):
        return value if dialect.name == "postgresql" else json.dumps(value)


class in_ids(FunctionElement):  # noqa: N801 (used as a SQL function)
    """``column`` is one of a list of ids given as one IdList parameter (see ids_in)."""

    type = sa.Boolean()
    inherit_cache = True
    name = "in_ids"


@compiles(in_ids)
def _in_ids(element, compiler, **kw) -> str:
    column, ids = (compiler.process(c, **kw) for c in element.clauses)
    return f"{column} IN (SELECT value FROM json_each({ids}))"


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element, compiler, **kw) -> str:
    column, ids = (compiler.process(c, **kw) for c in element.clauses)
    return f"{column} = ANY({ids})"


def pivoted(key, keys: Iterable, *values, present: bool = False) -> list:
    """Aggregate columns that turn rows of (key, values) into one row, each key's values
    in columns of their own: for each key in order, how many rows it has (with
    ``present``), then the largest of each value in its rows (None for none). Group the
    query by what the row is of: a group's score rows, one column pair a domain, were one
    row each a domain (100,000 rows for a portfolio of 14,479 answered groups)."""
    columns = []
    for wanted in keys:
        mine = key == wanted
        if present:
            columns.append(sa.func.count(sa.case((mine, 1))))
        columns += [sa.func.max(sa.case((mine, value))) for value in values]
    return columns


class json_object_text(FunctionElement):  # noqa: N801 (used as a SQL function)
    """An aggregate of (key, JSON value) rows as one JSON object's text: ``{"key": value,
    ...}`` (keys in order on PostgreSQL), or NULL (PostgreSQL) / ``{}`` (SQLite) for no
    rows. Each value is written as it is stored, so decoding the object gives what
    decoding each value would (SQLite stores a number as a REAL and writes it with 15
    significant digits, as it did when each value was read as text). A download of
    28,948 responses read 848,238 answer rows one by one; as one object a response, it
    reads 28,948."""

    type = sa.Text()
    inherit_cache = True
    name = "json_object_text"


@compiles(json_object_text)
def _json_object_text(element, compiler, **kw) -> str:
    # SQLite: json() reads the stored text as JSON (else it would go in as a string)
    key, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"json_group_object({key}, json({value}))"


@compiles(json_object_text, "postgresql")
def _json_object_text_postgresql(element, compiler, **kw) -> str:
    key, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(json_object_agg({key}, {value} ORDER BY {key}) AS TEXT)"
