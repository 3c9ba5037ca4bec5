"""The audit log for administrators: a paged table filtered by action, and a CSV export."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa
from flask import Response, render_template, request
from flask_login import current_user

from exports.formula import csv_text

from .. import audit
from ..extensions import db
from ..models import AuditEvent, utcnow
from .forms import is_small_number
from .views import bp

PAGE_SIZE = 50


def _filtered():
    """Events, newest first, with the chosen action only when one is chosen."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    action = request.args.get("action", "")[:80]
    if action:
        query = query.where(AuditEvent.action == action)
    return query, action


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if is_small_number(value) and int(value) > 0 else 1


@bp.get("/staff/audit")
def audit_log():
    """Who did what and when: sign-ins, exports, erasures, changes to roles and consent."""
    query, action = _filtered()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(_page_number(), pages)
    events = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    actions = db.session.scalars(
        sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    ).all()
    return render_template(
        "views/accounts/audit_log.html",
        events=events,
        actions=actions,
        action=action,
        page=page,
        pages=pages,
        total=total,
    )


@bp.get("/staff/audit.csv")
def audit_log_csv():
    """The audit log (with the same filter) as a CSV file."""
    query, action = _filtered()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "actor", "action", "target", "detail"])
    for event in db.session.scalars(query):
        writer.writerow(
            [
                csv_text(v)
                for v in (
                    event.at.isoformat(),
                    event.actor,
                    event.action,
                    event.target,
                    json.dumps(event.detail) if event.detail else None,
                )
            ]
        )
    audit.record(current_user, audit.AUDIT_EXPORTED, None, {"action": action or None})
    db.session.commit()
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
