"""The audit log: others write to it with record(); admins page, filter and export it."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from survey import audit
from survey.extensions import db
from survey.models import AuditEvent

from .. import factories


def test_record_names_actor_and_target_and_joins_the_callers_transaction(app):
    user = factories.user(email="a@example.org")
    group = factories.organisation()
    audit.record(user, "consent-changed", group, {"consent_broker": True})
    audit.record("cli", "exported", "roadmap:P1")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    user = factories.user(email="b@example.org")
    group = factories.organisation()
    audit.record(user, "consent-changed", group, {"consent_broker": True})
    audit.record(group, "downloaded-result", None)
    db.session.commit()
    rows = db.session.execute(
        sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target).order_by(AuditEvent.id)
    ).all()
    assert rows == [
        ("b@example.org", "consent-changed", f"organisation:{group.id}"),
        (f"group:{group.id}", "downloaded-result", None),
    ]


def _add_events(n, action):
    for i in range(n):
        db.session.add(AuditEvent(actor=f"user{i}@example.org", action=action, target=f"t{i}"))
    db.session.commit()


def test_the_log_is_paged_newest_first_and_filtered_by_action(client, login):
    login("admin")
    _add_events(60, "sign-in")
    _add_events(3, "group-exported")
    html = client.get("/staff/audit").get_data(as_text=True)
    assert "63 events" in html
    assert html.count('<tr class="govuk-table__row">') == 1 + 50
    assert 'href="/staff/audit?page=2"' in html
    second = client.get("/staff/audit?page=2").get_data(as_text=True)
    assert second.count('<tr class="govuk-table__row">') == 1 + 13
    filtered = client.get("/staff/audit?action=group-exported").get_data(as_text=True)
    assert "3 events with the action group-exported" in filtered
    assert filtered.count('<td class="govuk-table__cell">group-exported</td>') == 3
    assert client.get("/staff/audit?page=banana").status_code == 200
    assert client.get("/staff/audit?page=99999999999").status_code == 200


def test_the_csv_export_has_every_event_cannot_run_formulas_and_is_audited(client, login):
    admin = login("admin")
    db.session.add(AuditEvent(actor='=HYPERLINK("x")', action="sign-in-failed", target="@x"))
    _add_events(2, "sign-in")
    page = client.get("/staff/audit.csv")
    assert page.status_code == 200
    assert page.mimetype == "text/csv"
    assert "attachment" in page.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(page.get_data(as_text=True))))
    assert len(rows) == 3
    hostile = next(r for r in rows if r["action"] == "sign-in-failed")
    assert hostile["actor"] == '\'=HYPERLINK("x")'
    assert hostile["target"] == "'@x"
    only = client.get("/staff/audit.csv?action=sign-in").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(only)))) == 2
    exports = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "audit-exported")
    ).all()
    assert [e.actor for e in exports] == [admin.email, admin.email]


def test_only_admins_read_the_log(client, login):
    login("area-lead", areas=[factories.area()])
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/audit.csv").status_code == 403
