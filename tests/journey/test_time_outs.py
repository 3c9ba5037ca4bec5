"""Time-outs and two people at once lose nothing."""

from __future__ import annotations

import sqlalchemy as sa

from survey.extensions import db
from survey.journey import messages
from survey.models import Answer, Response

from .conftest import hidden_fields, text_of


def _answers() -> dict:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Answer.question_id, Answer.value)).all())


def test_a_page_without_its_csrf_token_is_refused(walker, invite, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # as in production
    invited = invite("confidence")
    walk = walker(invited)
    about = invited.instrument.sections[0]
    walk.get(invited.section_url(about.id))
    data = walk.section_data(about, invited.plan())
    sent = client.post(invited.section_url(about.id), data={**data, "version": "0"})
    assert sent.status_code == 400
    assert _answers() == {}
    forged = client.post(
        invited.section_url(about.id), data={**data, "version": "0", "csrf_token": "forged"}
    )
    assert forged.status_code == 400 and _answers() == {}


def test_an_expired_session_keeps_what_was_typed_and_asks_to_send_again(walker, invite, client):
    invited = invite("confidence")
    walk = walker(invited)
    sections = invited.instrument.sections
    plan = invited.plan()
    walk.answer_section(sections[0], plan)
    saved = _answers()
    page = walk.get(invited.section_url(sections[1].id)).text
    form = hidden_fields(page)
    client.delete_cookie("session")  # the session ran out while the page was open
    typed = walk.section_data(sections[1], plan)
    sent = client.post(invited.section_url(sections[1].id), data={**form, **typed})
    assert sent.status_code == 400
    assert messages.SESSION_EXPIRED.replace("’", "&#8217;") in sent.text or (
        messages.SESSION_EXPIRED in text_of(sent.text)
    )
    for question_id, value in typed.items():
        assert f'value="{value}" checked' in sent.text, question_id
    assert _answers() == saved, "nothing already saved is lost, nothing half-saved"
    again = {**hidden_fields(sent.text), **typed}
    resent = client.post(invited.section_url(sections[1].id), data=again)
    assert resent.status_code == 302, text_of(resent.text)[:600]
    assert set(typed) <= set(_answers())


def test_the_second_of_two_people_saving_at_once_is_refused(walker, invite, client, app):
    invited = invite("confidence")
    walk = walker(invited)
    sections = invited.instrument.sections
    plan = invited.plan(pick=0)
    walk.answer_section(sections[0], plan)
    # Both open page two.
    page = walk.get(invited.section_url(sections[1].id)).text
    first_form = hidden_fields(page)
    other = app.test_client()
    other_form = hidden_fields(other.get(invited.section_url(sections[1].id)).text)
    first = {**first_form, **walk.section_data(sections[1], invited.plan(pick=0))}
    second_values = {q.id: "strongly_agree" for q in sections[1].questions}
    assert client.post(invited.section_url(sections[1].id), data=first).status_code == 302
    kept = _answers()
    refused = other.post(invited.section_url(sections[1].id), data={**other_form, **second_values})
    assert refused.status_code == 409
    assert "Someone else using your group" in text_of(refused.text)
    assert _answers() == kept
    # The page now shows the first person's answers and the new version: sending again works.
    fresh = hidden_fields(refused.text)
    assert int(fresh["version"]) > int(other_form["version"])
    retry = other.post(
        invited.section_url(sections[1].id), data={**fresh, **second_values, "action": "continue"}
    )
    assert retry.status_code == 302
    assert all(v == "strongly_agree" for k, v in _answers().items() if k in second_values)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
