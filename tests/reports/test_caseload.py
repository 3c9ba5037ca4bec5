"""The caseload's filters (subject, area, owner) stay inside the broker's own caseload."""

from __future__ import annotations

from survey.extensions import db
from survey.models import HelpRequest
from tests import factories

from ..journey.test_help_requests import staff_client


def help_request(round_, org, key: str, subject: str, **fields) -> HelpRequest:
    """A group's request as the result page would make it."""
    made = HelpRequest(
        round_id=round_.id,
        organisation_id=org.id,
        broker_id=org.broker_id,
        area_id=org.area_id,
        subject_key=key,
        subject=subject,
        contact_by="phone",
        contact_detail="01234 567890",
        **fields,
    )
    db.session.add(made)
    db.session.flush()
    return made


def shown(page: str, *requests: HelpRequest) -> list[bool]:
    """Which of these requests the caseload page lists."""
    return [f'data-help-request="{r.id}"' in page for r in requests]


def test_filters_by_subject_area_and_owner_and_never_reach_another_broker(app):
    ours, theirs = factories.broker("Ours"), factories.broker("Theirs")
    north, south = factories.area(name="North"), factories.area(name="South")
    far = factories.area(name="Faraway")
    round_ = factories.survey_round()
    a = factories.organisation("A", area=north, broker=ours)
    b = factories.organisation("B", area=south, broker=ours)
    c = factories.organisation("C", area=far, broker=theirs)
    ann = factories.user("broker", email="ann@ours.example", broker=ours)
    bob = factories.user("broker", email="bob@ours.example", broker=ours)
    cat = factories.user("broker", email="cat@theirs.example", broker=theirs)
    cyber_a = help_request(round_, a, "offer:cyber", "Cyber basics", owner_id=ann.id)
    cyber_b = help_request(round_, b, "offer:cyber", "Cyber basics", owner_id=bob.id)
    funds_b = help_request(round_, b, "offer:funds", "Funding clinic")
    secret = help_request(round_, c, "offer:secret", "Secret subject", owner_id=cat.id)
    db.session.commit()
    everything = (cyber_a, cyber_b, funds_b, secret)
    browser = staff_client(app, ann)

    page = browser.get("/help-requests").text
    assert shown(page, *everything) == [True, True, True, False]
    # The lists offer only what is in this broker's caseload.
    assert "Funding clinic" in page and "Cyber basics" in page
    assert "Secret subject" not in page and "Faraway" not in page
    assert "cat@theirs.example" not in page and 'value="offer:secret"' not in page

    page = browser.get("/help-requests?about=offer:cyber").text
    assert shown(page, *everything) == [True, True, False, False]
    assert 'value="offer:cyber" selected' in page
    page = browser.get(f"/help-requests?area={south.code}").text
    assert shown(page, *everything) == [False, True, True, False]
    page = browser.get(f"/help-requests?owner={bob.id}").text
    assert shown(page, *everything) == [False, True, False, False]
    page = browser.get("/help-requests?owner=me").text
    assert shown(page, *everything) == [True, False, False, False]
    page = browser.get("/help-requests?owner=nobody").text
    assert shown(page, *everything) == [False, False, True, False]
    page = browser.get(f"/help-requests?about=offer:cyber&area={north.code}").text
    assert shown(page, *everything) == [True, False, False, False]

    # Another broker's subject, area or owner typed into the address filters nothing in:
    # the filter is ignored and the page still lists only this broker's requests.
    for query in ("about=offer:secret", f"area={far.code}", f"owner={cat.id}"):
        page = browser.get(f"/help-requests?{query}")
        assert page.status_code == 200
        assert shown(page.text, *everything) == [True, True, True, False], query
