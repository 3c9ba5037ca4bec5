"""Everything held about one group: gather it for a download, or erase it.

"Everything" is found from the schema itself: every row that points at the group,
directly or through another row (invitations, responses, answers, scores, area
memberships, and any table added later with a foreign key to one of them).
Published area figures keep their numbers (a figure never moves by one group),
but the ledger behind them forgets which responses were the group's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from ..audit import forget_group
from ..extensions import db
from ..models import AuditEvent, Organisation
from ..publication import forget_responses

# Columns that are keys to something (an invitation link, a form): never written out.
WITHHELD = {"token", "private_token", "token_hash", "password_hash", "submission_key"}


def _plain(value: object) -> object:
    """A JSON-able value."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _row(table: sa.Table, row) -> dict:
    return {
        name: "(withheld: it is a key)" if name in WITHHELD and row[name] else _plain(row[name])
        for name in (column.name for column in table.columns)
    }


def _children(table: sa.Table) -> list[tuple[sa.Table, sa.Column]]:
    """(table, column) pairs of every foreign key pointing at ``table``'s id."""
    found = []
    for child in db.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table and fk.column.name == "id":
                found.append((child, fk.parent))
    return found


def _walk(table: sa.Table, ids: set[int], seen: dict[str, set[int]]) -> None:
    """Collect, per table, the ids of rows that belong to these rows (depth first)."""
    fresh = ids - seen.setdefault(table.name, set())
    if not fresh:
        return
    seen[table.name] |= fresh
    for child, column in _children(table):
        if "id" not in child.columns:
            continue  # a link table (group-to-area): nothing points at it
        child_ids = set(db.session.scalars(sa.select(child.c.id).where(column.in_(fresh))))
        if child is table:
            child_ids -= seen[table.name]
        if child_ids:
            _walk(child, child_ids, seen)


def _link_rows(table_ids: dict[str, set[int]]) -> list[tuple[sa.Table, sa.Column, set[int]]]:
    """Link tables (no id of their own) whose rows point at collected rows."""
    links = []
    for name, ids in table_ids.items():
        table = db.metadata.tables[name]
        for child, column in _children(table):
            if "id" not in child.columns and ids:
                links.append((child, column, ids))
    return links


def _collect(organisation_id: int) -> dict[str, set[int]]:
    seen: dict[str, set[int]] = {}
    _walk(Organisation.__table__, {organisation_id}, seen)
    return seen


def held_about(organisation: Organisation) -> dict:
    """Every row held about the group, by table, plus the audit events that name it."""
    collected = _collect(organisation.id)
    tables: dict[str, list[dict]] = {}
    for table in db.metadata.sorted_tables:
        ids = collected.get(table.name)
        if ids:
            rows = db.session.execute(
                sa.select(table).where(table.c.id.in_(ids)).order_by(table.c.id)
            ).mappings()
            tables[table.name] = [_row(table, row) for row in rows]
    for child, column, ids in _link_rows(collected):
        rows = db.session.execute(sa.select(child).where(column.in_(ids))).mappings()
        tables.setdefault(child.name, []).extend(_row(child, row) for row in rows)
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.target == f"organisation:{organisation.id}",
                AuditEvent.actor == f"group:{organisation.id}",
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    audit_table = AuditEvent.__table__
    tables["audit_event"] = [
        {
            name: _plain(getattr(event, name))
            for name in (column.name for column in audit_table.columns)
        }
        for event in events
    ]
    return {
        "organisation_id": organisation.id,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tables": tables,
    }


def counts_held(organisation: Organisation) -> dict[str, int]:
    """How many rows of each kind are held about the group (the group's own row included)."""
    collected = _collect(organisation.id)
    counts = {name: len(ids) for name, ids in collected.items() if ids}
    for child, column, ids in _link_rows(collected):
        n = db.session.scalar(sa.select(sa.func.count()).select_from(child).where(column.in_(ids)))
        if n:
            counts[child.name] = counts.get(child.name, 0) + n
    return counts


def erase_group(organisation: Organisation) -> dict[str, int]:
    """Delete every row held about the group, the group's own row last; returns the counts.

    Earlier audit rows about the group keep their action and date, not its identity.

    The caller commits (with its audit event), so the erasure is all or nothing.
    """
    collected = _collect(organisation.id)
    counts = counts_held(organisation)
    forget_group(organisation.id, collected.get("invitation", ()))
    forget_responses(collected.get("response", set()))
    for child, column, ids in _link_rows(collected):
        db.session.execute(sa.delete(child).where(column.in_(ids)))
    # Pointers between erased rows (a response superseding another) are cleared
    # first, so the deletes below need no particular order.
    for name, ids in collected.items():
        for child, column in _children(db.metadata.tables[name]):
            if "id" in child.columns and column.nullable:
                db.session.execute(
                    sa.update(child).where(column.in_(ids)).values({column.name: None})
                )
    for table in reversed(db.metadata.sorted_tables):
        ids = collected.get(table.name)
        if ids:
            db.session.execute(sa.delete(table).where(table.c.id.in_(ids)))
    db.session.expire_all()
    return counts
