"""A group's one-page plan: levels, ambition, actions with owners, statuses and dates."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from exports.support_plans import offer_key
from survey.extensions import db
from survey.instruments_store import instrument_for
from survey.models import OVERALL, AuditEvent
from tests import factories

from ..journey.test_help_requests import staff_client
from .conftest import respond
from .test_caseload import help_request


def test_a_brokers_one_page_plan_for_a_group(app):
    broker = factories.broker("Northvale CVS")
    round_ = factories.survey_round(slug="confidence-2034", target_level=3)
    org = factories.organisation(
        "Lunch club", area=factories.area(name="Millbrook"), broker=broker, consent_broker=True
    )
    response = respond(round_, org, 2)  # level 2 everywhere, target 3: every domain has a gap
    instrument = instrument_for(round_)
    first, second = instrument.domains[0], instrument.domains[1]
    for score in response.scores:
        if score.domain_id == first.id:
            score.ambition = 4
        if score.domain_id == second.id:
            score.moderated_level, score.moderation_note = 3, "Seen their policy"
    ann = factories.user("broker", email="ann@northvale.example", broker=broker)
    # The group asked about one offer of its first domain's plan, and about something else.
    offer_id = next(o for step in first.level(2).next_steps for o in step.offers)
    agreed = help_request(
        round_, org, offer_key(offer_id), "An offer", status="in_progress",
        owner_id=ann.id, due_on=dt.date(2034, 3, 14),
    )  # fmt: skip
    asked = help_request(round_, org, "offer:elsewhere", "Help with a minibus", status="done")
    outsider = factories.user("broker", broker=factories.broker())
    db.session.commit()

    browser = staff_client(app, ann)
    page = browser.get(f"/portfolio/confidence-2034/groups/{org.id}/plan")
    assert page.status_code == 200
    html = page.text
    assert "Lunch club: our plan" in html and "reports/plan.css" in html
    assert 'href="/portfolio/confidence-2034"' in html  # the link back
    levels = re.search(r'id="plan-levels">(.*?)</table>', html, re.S).group(1)
    assert f'data-domain="{first.id}"' in levels
    row = re.search(rf'data-domain="{first.id}">(.*?)</tr>', levels, re.S).group(1)
    assert 'data-level="2"' in row and 'data-ambition="4"' in row
    row = re.search(rf'data-domain="{second.id}">(.*?)</tr>', levels, re.S).group(1)
    assert 'data-level="3"' in row and "(moderated; self-assessed 2)" in row
    assert 'data-ambition=""' in row and "not given" in row
    assert OVERALL not in re.findall(r'data-domain="([^"]+)"', levels)
    actions = re.search(r'id="plan-actions">(.*?)</table>', html, re.S).group(1)
    tracked = re.search(rf'data-help-request="{agreed.id}">(.*?)</tr>', actions, re.S).group(1)
    assert "ann@northvale.example" in tracked and "14 Mar 2034" in tracked
    assert 'data-status="in progress"' in tracked
    steps = sum(max(1, len(s.offers)) for d in instrument.domains for s in d.level(2).next_steps)
    steps -= sum(max(1, len(s.offers)) for s in second.level(2).next_steps)  # moderated to 3
    assert actions.count('<tr class="govuk-table__row"') == steps + 1  # and the header row
    others = re.search(r'id="plan-requests">(.*?)</table>', html, re.S).group(1)
    assert f'data-help-request="{asked.id}"' in others and "Help with a minibus" in others
    reads = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "group-plan-read", AuditEvent.target == f"organisation:{org.id}"
        )
    )
    assert reads == 1
    assert (
        staff_client(app, outsider)
        .get(f"/portfolio/confidence-2034/groups/{org.id}/plan")
        .status_code
        == 403
    )
    org.consent_broker = False  # the group stops sharing: its own broker no longer sees it
    db.session.commit()
    assert browser.get(f"/portfolio/confidence-2034/groups/{org.id}/plan").status_code == 403
