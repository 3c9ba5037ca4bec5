"""An admin downloads everything held about a group, or erases it; aggregates follow."""

from __future__ import annotations

import json

import sqlalchemy as sa

from survey.extensions import db
from survey.models import (
    Answer,
    AuditEvent,
    DomainScore,
    Invitation,
    Organisation,
    OrganisationArea,
    Response,
)

from .. import factories
from .seed import open_round, submitted


def _setup():
    area = factories.area(code="N1")
    round_ = open_round("confidence", "confidence-test")
    keep = factories.organisation(name="Lunch club", area=area)
    gone = factories.organisation(name="Walking group", area=area, email="walk@example.org")
    db.session.add(OrganisationArea(organisation_id=gone.id, area_id=area.id))
    submitted(round_, keep, {"q1": "kept answer"}, score=2.0, level=2)
    first = submitted(round_, gone, {"q1": "first answer"}, score=4.0, level=4)
    first.is_current = False
    second = submitted(round_, gone, {"q1": "secret answer", "q2": 3}, score=5.0, level=5)
    second.supersedes_id = first.id
    db.session.commit()
    return round_, keep, gone


def _count(model, **where):
    query = sa.select(sa.func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_the_download_holds_the_groups_answers_but_no_keys(client, login):
    admin = login("admin")
    _round, _keep, gone = _setup()
    page = client.get(f"/staff/groups/{gone.id}/data.json")
    assert page.status_code == 200
    assert "attachment" in page.headers["Content-Disposition"]
    held = json.loads(page.get_data(as_text=True))
    tables = held["tables"]
    assert tables["organisation"][0]["email"] == "walk@example.org"
    assert sorted(a["value"] for a in tables["answer"] if a["question_id"] == "q1") == [
        "first answer",
        "secret answer",
    ]
    assert len(tables["response"]) == 2
    assert len(tables["domain_score"]) == 2
    assert len(tables["organisation_area"]) == 1
    assert {i["token"] for i in tables["invitation"]} == {"(withheld: it is a key)"}
    assert "kept answer" not in page.get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "group-exported"))
    assert (event.actor, event.target) == (admin.email, f"organisation:{gone.id}")


def test_the_privacy_page_counts_what_is_held(client, login):
    login("admin")
    _round, _keep, gone = _setup()
    html = client.get(f"/staff/groups/{gone.id}").get_data(as_text=True)
    assert "<li>answer: 3</li>" in html
    assert "<li>response: 2</li>" in html
    found = client.get("/staff/groups?q=walk").get_data(as_text=True)
    assert "Walking group" in found and "Lunch club" not in found
    assert client.get("/staff/groups?q=%25_%5C").status_code == 200


def test_erasure_needs_confirming(no_csrf, client, login):
    login("admin")
    _round, _keep, gone = _setup()
    page = client.post(f"/staff/groups/{gone.id}/erase", data={})
    assert page.status_code == 400
    assert "Confirm that you want to erase this group" in page.get_data(as_text=True)
    assert _count(Response, organisation_id=gone.id) == 2


def test_erasure_removes_everything_held_and_the_totals_follow(no_csrf, client, login):
    admin = login("admin")
    round_, keep, gone = _setup()
    gone_id = gone.id
    submitted_count = sa.select(sa.func.count()).where(
        Response.round_id == round_.id, Response.status == "submitted", Response.is_current
    )
    mean_score = (
        sa.select(sa.func.avg(DomainScore.score))
        .join(Response)
        .where(Response.round_id == round_.id, Response.is_current)
    )
    assert db.session.scalar(submitted_count) == 2
    assert db.session.scalar(mean_score) == 3.5
    page = client.post(f"/staff/groups/{gone_id}/erase", data={"confirm": "y"})
    assert page.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, gone_id) is None
    assert _count(Response, organisation_id=gone_id) == 0
    assert _count(Invitation, organisation_id=gone_id) == 0
    assert _count(OrganisationArea, organisation_id=gone_id) == 0
    assert _count(Answer) == 1, "only the other group's answer is left"
    assert _count(DomainScore) == 1
    assert db.session.scalar(submitted_count) == 1
    assert db.session.scalar(mean_score) == 2.0
    assert db.session.get(Organisation, keep.id).name == "Lunch club"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "group-erased"))
    assert (event.actor, event.target) == (admin.email, f"organisation:{gone_id}")
    assert event.detail["rows"]["answer"] == 3
    assert "Walking group" not in json.dumps(event.detail)
    assert client.get(f"/staff/groups/{gone_id}").status_code == 404


def test_only_admins_see_or_erase_group_data(no_csrf, client, login):
    _round, _keep, gone = _setup()
    login("broker", broker=factories.broker())
    assert client.get(f"/staff/groups/{gone.id}/data.json").status_code == 403
    assert client.post(f"/staff/groups/{gone.id}/erase", data={"confirm": "y"}).status_code == 403
    assert _count(Response, organisation_id=gone.id) == 2
