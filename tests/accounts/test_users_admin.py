"""Administrators add staff, change roles and areas, and stop accounts: all audited."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, User

from .. import factories


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _errors(html):
    return re.findall(r'<a href="#(\w+)">([^<]+)</a>', html)


def test_admin_adds_an_area_lead_with_areas(no_csrf, client, login):
    admin = login("admin")
    place = factories.area(code="P1", type="place")
    pcn = factories.area(code="N1", type="pcn", parent=place)
    db.session.commit()
    page = client.post(
        "/staff/users/new",
        data={
            "email": "Lead@Example.org",
            "password": "a long enough password",
            "role": "area-lead",
            "areas": "P1, N1",
            "broker": "",
        },
    )
    assert page.status_code == 302
    lead = _user("lead@example.org")
    assert lead.role == "area-lead"
    assert {a.code for a in lead.areas} == {place.code, pcn.code}
    assert lead.check_password("a long enough password")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user-added"))
    assert (event.actor, event.target) == (admin.email, f"user:{lead.id}")
    assert event.detail["areas"] == ["N1", "P1"]
    assert "lead@example.org" in client.get("/staff/users").get_data(as_text=True)


def test_adding_a_user_shows_every_problem_and_saves_nothing(no_csrf, client, login):
    login("admin", email="me@example.org")
    page = client.post(
        "/staff/users/new",
        data={"email": "not-an-email", "password": "short", "role": "area-lead", "areas": "NOPE"},
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "<title>Error: Add a member of staff" in html
    assert dict(_errors(html)) == {
        "email": "Enter an email address in the correct format, like name@example.org",
        "password": "Password must be between 12 and 1024 characters",
        "areas": "There is no area with the code NOPE",
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_a_broker_needs_a_broker_and_an_area_lead_an_area(no_csrf, client, login):
    login("admin")
    for role, field, message in [
        ("broker", "broker", "Select the broker this person works for"),
        ("area-lead", "areas", "Enter at least one area code for an area lead"),
    ]:
        page = client.post(
            "/staff/users/new",
            data={"email": "x@example.org", "password": "a long enough password", "role": role},
        )
        assert page.status_code == 400
        assert (field, message) in _errors(page.get_data(as_text=True))
    page = client.post(
        "/staff/users/new",
        data={"email": "x@example.org", "password": "a long enough password", "role": "wizard"},
    )
    assert page.status_code == 400
    assert _user("x@example.org") is None


def test_an_email_can_only_be_used_once(no_csrf, client, login):
    login("admin")
    factories.user(email="taken@example.org", role="board")
    db.session.commit()
    page = client.post(
        "/staff/users/new",
        data={"email": "TAKEN@example.org", "password": "a long enough password", "role": "board"},
    )
    assert ("email", "There is already a user with this email address") in _errors(
        page.get_data(as_text=True)
    )


def test_changing_a_role_is_audited_with_before_and_after(no_csrf, client, login):
    login("admin")
    broker = factories.broker()
    person = factories.user(email="p@example.org", role="board")
    db.session.commit()
    form = client.get(f"/staff/users/{person.id}")
    assert form.status_code == 200
    page = client.post(
        f"/staff/users/{person.id}",
        data={"role": "broker", "broker": str(broker.id), "active": "y"},
    )
    assert page.status_code == 302
    db.session.refresh(person)
    assert (person.role, person.broker_id) == ("broker", broker.id)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user-changed"))
    assert event.detail["from"]["role"] == "board"
    assert event.detail["to"] == {
        "role": "broker",
        "areas": [],
        "broker": broker.id,
        "active": True,
    }


def test_deactivating_stops_sign_in(no_csrf, client, login, app):
    login("admin")
    person = factories.user(email="p@example.org", role="board")
    db.session.commit()
    client.post(f"/staff/users/{person.id}", data={"role": "board"})  # active unticked
    db.session.refresh(person)
    assert person.active is False
    other = app.test_client()
    page = other.post(
        "/sign-in", data={"email": "p@example.org", "password": "correct horse battery"}
    )
    assert page.status_code == 401


def test_an_admin_cannot_lock_themselves_out(no_csrf, client, login):
    me = login("admin")
    page = client.post(f"/staff/users/{me.id}", data={"role": "board", "active": "y"})
    assert page.status_code == 400
    assert "You cannot take away your own administrator access" in page.get_data(as_text=True)
    db.session.refresh(me)
    assert me.role == "admin"


def test_an_unknown_user_is_a_404(client, login):
    login("admin")
    assert client.get("/staff/users/999999").status_code == 404


def test_only_admins_manage_users(client, login):
    login("board")
    assert client.get("/staff/users").status_code == 403
    assert client.get("/staff/users/new").status_code == 403


def test_staff_home_links_only_to_what_the_role_may_open(client, login):
    login("admin")
    html = client.get("/staff").get_data(as_text=True)
    assert 'href="/staff/users"' in html and 'href="/staff/audit"' in html
    db.session.remove()
    client.post("/sign-out")


def test_board_home_has_no_admin_links(client, login):
    login("board")
    html = client.get("/staff").get_data(as_text=True)
    assert 'href="/staff/users"' not in html and 'href="/staff/audit"' not in html
