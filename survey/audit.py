"""The audit log: who signed in, exported, downloaded, erased or changed roles and consent.

Any part of the service calls ``record(actor, action, target, detail)``; the event
joins the caller's transaction and is saved by the caller's commit, so a change
and its audit line are written together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, Organisation, User, utcnow

# Actions the service writes (others may add their own: the log page lists what it finds).
SIGN_IN = "sign-in"
SIGN_IN_FAILED = "sign-in-failed"
SIGN_IN_REFUSED = "sign-in-refused"  # too many failures: the password was not checked
SIGN_OUT = "sign-out"
USER_ADDED = "user-added"
USER_CHANGED = "user-changed"
GROUP_EXPORTED = "group-exported"
GROUP_ERASED = "group-erased"
AUDIT_EXPORTED = "audit-exported"
CONSENT_CHANGED = "consent-changed"

# Staff and API reads of groups' answers, links, portfolios and area figures: each page
# or download below, answered 200 to a GET, leaves one row (actor, action, target).
# (The support-plans workbook and the links CSV record their own export rows.)
READS = {
    "reports.moderate": "group-answers-read",
    "reports.group_plan": "group-plan-read",  # levels, ambition and actions of one group
    "reports.portfolio_home": "portfolio-read",
    "reports.portfolio_page": "portfolio-read",
    "reports.paper_template_download": "paper-template-downloaded",
    "rounds.invitations": "invitations-read",
    "accounts.group_privacy": "group-privacy-read",
    "areas.area_page": "area-read",
    "reports.caseload": "caseload-read",  # groups' names and what they asked for
    "reports.help_request": "help-request-read",
    "reports.directory_entries_page": "directory-entries-read",  # a group's request, note and contact
    "api.rounds": "api-read",
    "api.round_detail": "api-read",
    "api.areas": "api-read",
    "api.aggregates": "api-read",
}
# How a read's target is named from the address: the most particular argument wins.
_TARGETS = (
    ("org_id", "organisation"),
    ("request_id", "help-request"),
    ("code", "area"),
    ("slug", "round"),
)


def actor_name(actor: object = None) -> str:
    """How the log names who acted: a staff email, "group:<id>", "cli", "api:<name>"."""
    if isinstance(actor, User):
        return actor.email
    if isinstance(actor, Organisation):
        return f"group:{actor.id}"
    if isinstance(actor, str) and actor:
        return actor[:254]
    if has_request_context() and current_user.is_authenticated:
        return current_user.email
    return "anonymous"


def target_name(target: object) -> str | None:
    """A short name for what was acted on: "user:3", "organisation:12", or the text given."""
    if target is None:
        return None
    if isinstance(target, User):
        return f"user:{target.id}"
    if isinstance(target, Organisation):
        return f"organisation:{target.id}"
    return str(target)[:300]


def record(
    actor: object, action: str, target: object = None, detail: dict | None = None
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits).

    actor: a User, an Organisation, a string ("cli", "api:<name>") or None for
    whoever is signed in. target: a User, an Organisation or a string.
    detail: a small JSON-able dict; never answers or passwords.
    """
    event = AuditEvent(
        actor=actor_name(actor), action=action[:80], target=target_name(target), detail=detail
    )
    db.session.add(event)
    return event


def recent(action: str, target: object, *, hours: float) -> int:
    """How many times ``action`` was recorded against ``target`` in the last ``hours``.

    The limits on emails to a group (its own link, a link sent by staff) count these rows,
    so every app server sees the same count.
    """
    since = utcnow() - dt.timedelta(hours=hours)
    return db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == action,
            AuditEvent.target == target_name(target),
            AuditEvent.at >= since,
        )
    )


ERASED = "erased group"


def forget_group(organisation_id: int, invitation_ids: Iterable[int] = ()) -> int:
    """Take an erased group's identity out of earlier audit rows; returns how many changed.

    Rows done by the group or about it (its consent history, its moderated levels, reads
    and exports of its data, re-issues of its links) keep their action and date; who or
    what they name becomes "erased group" and their detail goes.
    """
    references = [
        AuditEvent.actor == f"group:{organisation_id}",
        AuditEvent.target == f"organisation:{organisation_id}",
        AuditEvent.target.like(f"%:org {organisation_id}"),  # moderation: "<round>:org <id>"
    ]
    links = [f"invitation:{i}" for i in invitation_ids]
    if links:
        references.append(AuditEvent.target.in_(links))
    events = db.session.scalars(sa.select(AuditEvent).where(sa.or_(*references))).all()
    for event in events:
        if event.actor == f"group:{organisation_id}":
            event.actor = ERASED
        event.target, event.detail = ERASED, None
    return len(events)


def _read_target() -> str:
    """organisation:<id>, area:<code> or round:<slug> from the address, else its path."""
    args = request.view_args or {}
    for name, kind in _TARGETS:
        if name in args:
            return f"{kind}:{args[name]}"
    return request.path


def _record_read(response):
    """One audit row for a successful GET of a page or download in READS."""
    action = READS.get(request.endpoint or "")
    if action is None or request.method != "GET" or response.status_code != 200:
        return response
    token = g.get("api_token")
    actor = f"api:{token.name}" if token is not None else None
    query = request.query_string.decode("utf-8", "replace")[:200]
    record(actor, action, _read_target(), {"query": query} if query else None)
    db.session.commit()
    return response


def init_app(app: Flask) -> None:
    """Record the reads in READS after each request."""
    app.after_request(_record_read)
