"""A group answers through its link: start page, section pages, routing, checks, saving."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from survey.extensions import db
from survey.journey import messages
from survey.journey.fields import required_message
from survey.models import Answer, Invitation, Response, utcnow

from .conftest import hidden_fields, text_of


def _answers() -> dict:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Answer.question_id, Answer.value)).all())


def test_start_page_says_what_how_long_what_back_and_who_sees(client, invite):
    invited = invite("confidence")
    page = client.get(invited.url)
    assert page.status_code == 200
    text = text_of(page.text)
    assert invited.instrument.title in text
    assert f"About {invited.instrument.minutes} minutes" in text
    assert "What you get back" in text and "Who will see your answers" in text
    assert "only see your group's own answers if you say they may" in text
    assert f'href="/r/{invited.token}/continue"' in page.text


def test_each_page_saves_on_continue_and_shows_progress(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    plan = invited.plan()
    sections = invited.instrument.sections
    first = walk.get(walk.next_location())
    assert f"Section 1 of {len(sections)}" in text_of(first.text)
    walk.answer_section(sections[0], plan)
    saved = _answers()
    for q in sections[0].questions:
        if q.skip_if is None:
            assert q.id in saved, q.id
    assert saved["group_postcode"] == "LA1 4YW"  # stored normalised
    assert walk.next_location().endswith(f"/section/{sections[1].id}")
    second = walk.get(walk.next_location())
    assert f"Section 2 of {len(sections)}" in text_of(second.text)
    walk.answer_section(sections[1], plan)
    assert {q.id for q in sections[1].questions} <= set(_answers())


def test_routing_leaves_out_a_question_the_earlier_answer_skips(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    about = invited.instrument.sections[0]
    skipped = next(q for q in about.questions if q.skip_if)
    assert skipped.skip_if.question == "had_referrals"
    plan = invited.plan(overrides={"had_referrals": "no"})
    data = {k: v for k, v in walk.section_data(about, plan).items() if k != skipped.id}
    walk.post_page(invited.section_url(about.id), {**data, "action": "continue"}, status=302)
    saved = _answers()
    assert saved["had_referrals"] == "no" and skipped.id not in saved
    # With "yes" the follow-up is required again.
    plan = invited.plan(overrides={"had_referrals": "yes"})
    data = {k: v for k, v in walk.section_data(about, plan).items() if k != skipped.id}
    page = walk.post_page(invited.section_url(about.id), data, status=400)
    assert required_message(skipped) in text_of(page.text)


def test_a_validation_error_links_to_the_field_and_keeps_what_was_typed(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    about = invited.instrument.sections[0]
    plan = invited.plan(overrides={"group_postcode": "not a postcode"})
    page = walk.post_page(invited.section_url(about.id), walk.section_data(about, plan), 400)
    html = page.text
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert 'href="#group_postcode"' in html and 'id="group_postcode"' in html
    assert 'value="not a postcode"' in html
    assert _answers() == {}, "nothing on an invalid page is saved"
    fixed = invited.plan()
    walk.post_page(invited.section_url(about.id), walk.section_data(about, fixed), 302)
    assert _answers()["group_postcode"] == "LA1 4YW"


def test_a_value_not_among_the_options_is_refused_and_saved_answers_stay(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    about, welcoming = invited.instrument.sections[:2]
    plan = invited.plan()
    walk.answer_section(about, plan)
    walk.answer_section(welcoming, plan)
    before = _answers()
    question = welcoming.questions[0]
    forged = {**walk.section_data(welcoming, plan), question.id: "extremely_agree"}
    page = walk.post_page(invited.section_url(welcoming.id), forged, status=400)
    assert messages.not_an_option(question) in text_of(page.text)
    assert _answers() == before


def test_save_and_come_back_later_lands_on_the_first_unanswered_page(walker, invite, client):
    invited = invite("confidence")
    walk = walker(invited)
    sections = invited.instrument.sections
    plan = invited.plan()
    walk.answer_section(sections[0], plan)
    # Half of the second page, then "save and come back later".
    partial = dict(list(walk.section_data(sections[1], plan).items())[:1])
    sent = walk.post_page(
        invited.section_url(sections[1].id), {**partial, "action": "save_later"}, 302
    )
    assert sent.location.endswith("/saved")
    saved_page = walk.get(sent.location)
    assert f"/r/{invited.token}" in saved_page.text
    assert list(partial)[0] in _answers()
    # A new browser (no cookies) with the same link goes back to page two.
    client.delete_cookie("session")
    assert walk.next_location().endswith(f"/section/{sections[1].id}")
    again = walk.get(walk.next_location())
    assert f'value="{partial[list(partial)[0]]}" checked' in again.text


def test_save_later_emails_the_link(walker, invite, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    invited = invite("confidence")
    walk = walker(invited)
    bad = walk.post_page(f"{invited.url}/saved", {"email": "not-an-address"}, status=400)
    assert "Enter an email address in the correct format" in text_of(bad.text)
    assert not (tmp_path / "mail").exists()
    walk.post_page(f"{invited.url}/saved", {"email": "someone@example.org"}, status=302)
    (mail,) = list((tmp_path / "mail").glob("*.eml"))
    body = mail.read_text()
    assert "To: someone@example.org" in body
    assert f"/r/{invited.token}" in body


def test_script_in_an_answer_and_in_a_group_name_is_shown_as_text(walker, invite):
    invited = invite("vcse-readiness", name="<script>alert('name')</script> club")
    walk = walker(invited)
    text_question = next(q for q in invited.instrument.questions if q.type == "text")
    section = invited.instrument.section_of(text_question.id)
    plan = invited.plan(overrides={text_question.id: "<script>alert('answer')</script>"})
    for earlier in invited.instrument.sections:
        walk.answer_section(earlier, plan)
        if earlier.id == section.id:
            break
    assert _answers()[text_question.id] == "<script>alert('answer')</script>"
    no = {"consent_broker": "no", "consent_area_lead": "no", "consent_directory": "no"}
    walk.post_page(f"{invited.url}/consent", no, status=302)
    for url in (invited.url, invited.section_url(section.id), f"{invited.url}/check-answers"):
        html = walk.get(url).text
        assert "<script>alert(" not in html, url
    check = walk.get(f"{invited.url}/check-answers").text
    assert "&lt;script&gt;alert(&#39;answer&#39;)&lt;/script&gt;" in check
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; club" in check


def test_a_forged_or_revoked_link_is_a_404_in_the_service_style(client, invite):
    invited = invite("confidence")
    for url in ("/r/not-a-real-token", "/r/x" * 40, "/r/not-a-real-token/section/about_group"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "Page not found" in page.text and 'href="/"' in page.text
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token == invited.token))
    invitation.revoked_at = utcnow()
    db.session.commit()
    assert client.get(invited.url).status_code == 404
    assert client.get(f"{invited.url}/continue").status_code == 404
    assert client.post(invited.section_url("about_group"), data={}).status_code in (400, 404)


def test_an_unknown_section_is_a_404(client, invite):
    invited = invite("confidence")
    assert client.get(invited.section_url("no_such_page")).status_code == 404


def test_a_closed_round_shows_the_result_link_not_the_questions(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    walk.complete(invited.plan())
    invited.round.closes_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    start = walk.get(invited.url)
    assert messages.CLOSED.format(date=invited.round.closes_on.strftime("%-d %B %Y")) in (
        text_of(start.text)
    )
    assert f'href="/r/{invited.token}/result"' in start.text
    first = invited.instrument.sections[0]
    assert walk.get(invited.section_url(first.id), status=302).location.endswith(invited.url)
    assert walk.get(f"{invited.url}/result").status_code == 200
    sent_answers = walk.get(f"{invited.url}/check-answers")
    assert "You sent these answers on" in text_of(sent_answers.text)
    assert "?change=1" not in sent_answers.text
    sent = walk.client.post(
        invited.section_url(first.id),
        data={**hidden_fields(start.text), "group_postcode": "ZZ1 1ZZ"},
    )
    assert sent.status_code == 302
    assert _answers()["group_postcode"] == "LA1 4YW", "a closed round takes no answers"


def test_a_round_not_yet_open_says_when_it_opens(client, invite):
    today = dt.date.today()
    invited = invite(
        "confidence", opens_on=today + dt.timedelta(days=5), closes_on=today + dt.timedelta(30)
    )
    text = text_of(client.get(invited.url).text)
    assert "This survey opens on" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_journey_pages_are_never_cached(client, invite):
    invited = invite("confidence")
    assert client.get(invited.url).headers["Cache-Control"] == "no-store"
    assert client.get(invited.section_url("about_group")).headers["Cache-Control"] == "no-store"


def test_a_draft_left_when_the_round_closes_is_not_shown_as_sent(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    walk.answer_section(invited.instrument.sections[0], invited.plan())
    invited.round.closes_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    page = walk.get(f"{invited.url}/check-answers", status=302)
    assert page.location.endswith(invited.url)
    closed = text_of(walk.get(invited.url).text)
    assert "did not send answers in this round" in closed
    assert walk.get(f"{invited.url}/result", status=302).location.endswith("/continue")


def test_typed_answers_are_read_by_the_registry_rule(walker, invite):
    invited = invite("vcse-readiness")
    walk = walker(invited)
    profile = invited.instrument.sections[0]
    staff = next(q for q in profile.questions if q.id == "staff_number")
    data = walk.section_data(profile, invited.plan())
    typed = {"volunteers_number": "  1,200 ", "group_postcode": "la14yw", "staff_number": "1e3"}
    page = walk.post_page(invited.section_url(profile.id), {**data, **typed}, status=400)
    assert messages.not_a_number(staff) in text_of(page.text)  # 1e3 is not a whole number
    assert _answers() == {}
    walk.post_page(
        invited.section_url(profile.id), {**data, **typed, "staff_number": "-0"}, status=302
    )
    saved = _answers()
    assert (saved["volunteers_number"], saved["staff_number"]) == (1200, 0)
    assert saved["group_postcode"] == "LA1 4YW"
