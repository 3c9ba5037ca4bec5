"""Issue 9, finding 15: a group could not withdraw consent in a closed round (the consent
page needed an amendment, and a closed round allows none).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, Organisation, Response
from tests.journey.conftest import (
    hidden_fields,
    per_request_globals,  # noqa: F401 (autouse)
)

YES = {"consent_broker": "yes", "consent_area_lead": "yes", "consent_directory": "yes"}


def test_finding_15_a_group_withdraws_consent_in_a_closed_round(client, invite, walker):
    invited = invite("confidence")
    sent = walker(invited).complete(invited.plan(), YES)
    own = "/r/" + sent.location.split("/r/", 1)[1].split("/", 1)[0]  # the group's link
    org_id = invited.organisation.id
    invited.round.closes_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    submitted = [tuple(r) for r in db.session.execute(sa.select(Response.id, Response.version))]

    page = client.get(f"{own}/consent")
    assert page.status_code == 200 and 'name="consent_broker"' in page.text
    saved = client.post(
        f"{own}/consent",
        data={**hidden_fields(page.text), **YES, "consent_broker": "no", "consent_area_lead": "no"},
    )
    assert saved.status_code == 302

    db.session.expire_all()
    org = db.session.get(Organisation, org_id)
    assert (org.consent_broker, org.consent_area_lead, org.consent_directory) == (
        False,
        False,
        True,
    )
    event = db.session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "consent-changed")
        .order_by(AuditEvent.id.desc())
    )
    assert event.actor == f"group:{org_id}" and event.target == f"organisation:{org_id}"
    assert event.detail["before"]["consent_broker"] is True
    assert event.detail["after"] == {
        "consent_broker": False,
        "consent_area_lead": False,
        "consent_directory": True,
    }
    # The answers were not reopened: the same one submission, no new draft, same version.
    assert [
        tuple(r) for r in db.session.execute(sa.select(Response.id, Response.version))
    ] == submitted
    assert client.get(f"{own}/check-answers").status_code == 200
    # The closed round's start page says where to change it.
    closed = client.get(own)
    assert closed.status_code == 200 and f'href="{own}/consent"' in closed.text
