"""Hostile input to every staff form and the group's question pages: never a 500,
and a request the service refuses (4xx) changes nothing that is stored.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import Answer, Response, User, user_area

from . import factories
from .accounts.conftest import cheap_password_hashing
from .accounts.seed import open_round

HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "\x00",
        "a\x00b",
        "' OR 1=1 --",
        "😀" * 60,
        "x" * 3000,
        "-1",
        "0",
        "99999999999999999999999",
        "1e309",
        "NaN",
        "[]",
        "{}",
        "true",
        "../../etc/passwd",
        '=HYPERLINK("http://x")',
        "admin",
        "area-lead",
        "",
        " ",
    ]
)
VALUE = st.one_of(HOSTILE, st.text(max_size=200), st.integers().map(str))
FIELD_VALUE = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))  # a list: wrong type
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    cheap_password_hashing(monkeypatch)


def _form(names: list[str]):
    """Some of the form's own fields, plus strangers, each with a hostile value."""
    known = st.dictionaries(st.sampled_from(names), FIELD_VALUE, max_size=len(names))
    extra = st.dictionaries(st.text(min_size=1, max_size=20), VALUE, max_size=2)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


def _users_state():
    db.session.expire_all()
    users = db.session.execute(
        sa.select(
            User.id, User.email, User.role, User.active, User.broker_id, User.password_hash
        ).order_by(User.id)
    ).all()
    areas = db.session.execute(sa.select(user_area).order_by(*user_area.c)).all()
    return users, areas


def _answers_state():
    db.session.expire_all()
    answers = db.session.execute(
        sa.select(Answer.response_id, Answer.question_id, Answer.value).order_by(Answer.id)
    ).all()
    responses = db.session.execute(
        sa.select(Response.id, Response.status, Response.version).order_by(Response.id)
    ).all()
    return [tuple(map(repr, a)) for a in answers], responses


def _post(client, path, data):
    page = client.post(path, data=data)
    assert page.status_code < 500, f"POST {path} {data!r}: {page.status_code}"
    return page


@pytest.fixture
def admin_client(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    place = factories.area(code="P1", type="place")
    broker = factories.broker()
    admin = factories.user("admin", email="admin@example.org")
    other = factories.user("area-lead", email="lead@example.org", areas=[place])
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin.id)
    return client, other, broker


@FUZZ
@given(data=_form(["email", "password"]))
def test_sign_in_survives_anything(app, client, monkeypatch, data):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    before = _users_state()
    page = _post(client, "/sign-in", data)
    assert page.status_code in (400, 401, 429), "no random input signs anyone in"
    assert _users_state() == before


@FUZZ
@given(data=_form(["email", "password", "role", "areas", "broker"]))
def test_adding_a_user_survives_anything(admin_client, data):
    client, _other, _broker = admin_client
    before = _users_state()
    page = _post(client, "/staff/users/new", data)
    if page.status_code >= 400:
        assert _users_state() == before
    else:
        added = db.session.scalar(sa.select(User).order_by(User.id.desc()))
        assert "\x00" not in added.email and len(added.email) <= 254


@FUZZ
@given(data=_form(["role", "areas", "broker", "active"]))
def test_changing_a_user_survives_anything(admin_client, data):
    client, other, _broker = admin_client
    before = _users_state()
    page = _post(client, f"/staff/users/{other.id}", data)
    if page.status_code >= 400:
        assert _users_state() == before


@FUZZ
@given(data=_form(["confirm_typo", "q"]))
def test_erasing_without_confirming_erases_nothing(admin_client, data):
    client, _other, _broker = admin_client
    group = factories.organisation()
    db.session.commit()
    page = _post(client, f"/staff/groups/{group.id}/erase", data)
    assert page.status_code == 400
    assert db.session.get(type(group), group.id) is not None


@pytest.fixture
def invited(app, client, monkeypatch):
    """A group's link to an open round of the readiness survey (the longest questionnaire)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    round_ = open_round("vcse-readiness", "readiness-fuzz")
    invitation = factories.invitation(round_, factories.organisation())
    db.session.commit()
    instrument = registry().get(round_.instrument_id, round_.instrument_version)
    return client, invitation.token, instrument


@FUZZ
@given(data=st.data())
def test_question_pages_survive_anything(invited, data):
    client, token, instrument = invited
    if not any(r.endpoint == "journey.section" for r in client.application.url_map.iter_rules()):
        pytest.fail("the journey's question pages are missing")
    section = data.draw(st.sampled_from(instrument.sections), label="section")
    names = [q.id for q in section.questions] + ["version", "action"]
    form = data.draw(_form(names), label="form")
    before = _answers_state()
    page = _post(client, f"/r/{token}/section/{section.id}", form)
    if page.status_code >= 400:
        assert _answers_state() == before, f"a refused page ({page.status_code}) changed answers"
