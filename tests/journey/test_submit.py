"""Consent, check answers, sending once, amending, and the result a group gets back."""

from __future__ import annotations

import io
import statistics

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from instruments import HORIZON_LABELS
from scoring import score_response
from survey.extensions import db
from survey.models import (
    OVERALL,
    Answer,
    AuditEvent,
    DomainScore,
    Organisation,
    OrganisationArea,
    Response,
)
from tests import factories

from .conftest import hidden_fields, text_of


def _responses() -> list[Response]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Response).order_by(Response.id)))


def test_consent_defaults_to_no_and_is_saved(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    page = walk.get(f"{invited.url}/consent").text
    for name in ("consent_broker", "consent_area_lead", "consent_directory"):
        assert f'name="{name}" type="radio" value="no" checked' in page
    missing = walk.post_page(f"{invited.url}/consent", {"consent_broker": ""}, status=400)
    assert "Select yes or no" in text_of(missing.text)
    choices = {"consent_broker": "yes", "consent_area_lead": "no", "consent_directory": "yes"}
    walk.post_page(f"{invited.url}/consent", choices, status=302)
    db.session.expire_all()
    org = db.session.get(Organisation, invited.organisation.id)
    assert (org.consent_broker, org.consent_area_lead, org.consent_directory) == (
        True,
        False,
        True,
    )
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "consent-changed")
    )
    assert (event.actor, event.target) == (f"group:{org.id}", f"organisation:{org.id}")
    assert event.detail["after"] == {
        "consent_broker": True,
        "consent_area_lead": False,
        "consent_directory": True,
    }


def test_check_answers_lists_every_answer_with_a_change_link(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    plan = invited.plan(overrides={"had_referrals": "yes"})
    walk.complete(plan, submit=False)
    page = walk.get(f"{invited.url}/check-answers").text
    assert "govuk-summary-list" in page
    text = text_of(page)
    for question in invited.instrument.questions:
        assert question.text in text, question.id
        link = f"/r/{invited.token}/section/{invited.instrument.section_of(question.id).id}"
        assert f'href="{link}?change=1#{question.id}"' in page
    assert "Strongly disagree" in text or "Agree" in text  # labels, not stored values
    assert f'href="/r/{invited.token}/consent"' in page
    # A change goes back to check answers, not on through the pages.
    about = invited.instrument.sections[0]
    url = invited.section_url(about.id) + "?change=1"
    data = {**walk.section_data(about, plan), "group_postcode": "ZZ9 9ZZ"}
    changed = walk.post_page(url, data, status=302)
    assert changed.location.endswith("/check-answers")
    assert "ZZ9 9ZZ" in walk.get(changed.location).text


def test_sending_twice_makes_one_submission(walker, invite, client):
    invited = invite("confidence")
    walk = walker(invited)
    walk.complete(invited.plan(), submit=False)
    page = walk.get(f"{invited.url}/check-answers").text
    form = hidden_fields(page)
    assert form["submission_key"]
    first = client.post(f"{invited.url}/check-answers", data=form)
    second = client.post(f"{invited.url}/check-answers", data=form)
    assert first.status_code == second.status_code == 303
    assert first.location.endswith("/result") and second.location.endswith("/result")
    responses = _responses()
    assert [r.status for r in responses] == ["submitted"]
    overall = db.session.scalar(
        sa.select(DomainScore).where(
            DomainScore.response_id == responses[0].id, DomainScore.domain_id == OVERALL
        )
    )
    assert overall is not None and overall.level is not None


def test_answers_are_read_only_after_sending(walker, invite, client):
    invited = invite("confidence")
    walk = walker(invited)
    walk.complete(invited.plan())
    about = invited.instrument.sections[0]
    assert walk.get(invited.section_url(about.id), status=302).location.endswith("/check-answers")
    page = walk.get(f"{invited.url}/check-answers").text
    assert "?change=1" not in page
    assert "Change your answers and send them again" in page


def test_amending_keeps_the_earlier_submission_in_the_history(walker, invite, client):
    invited = invite("confidence")
    walk = walker(invited)
    walk.complete(invited.plan(pick=0))
    (first,) = _responses()
    walk.post_from(f"{invited.url}/check-answers", f"{invited.url}/amend", {}, status=302)
    draft = _responses()[-1]
    assert draft.status == "in_progress" and draft.supersedes_id == first.id
    assert not draft.is_current and _responses()[0].is_current, "old one counts until resent"
    welcoming = invited.instrument.sections[1]
    changed = {q.id: "strongly_agree" for q in welcoming.questions if q.type == "likert"}
    url = invited.section_url(welcoming.id) + "?change=1"
    walk.post_page(url, {**walk.section_data(welcoming, invited.plan(0)), **changed}, 302)
    walk.post_page(f"{invited.url}/check-answers", {}, status=303)
    old, new = _responses()
    assert (old.status, old.is_current) == ("submitted", False)
    assert (new.status, new.is_current, new.supersedes_id) == ("submitted", True, old.id)
    old_answers = {a.question_id: a.value for a in old.answers}
    new_answers = {a.question_id: a.value for a in new.answers}
    assert set(old_answers) == set(new_answers)
    assert all(new_answers[q] == "strongly_agree" for q in changed)
    assert any(old_answers[q] != "strongly_agree" for q in changed)
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(DomainScore).where(DomainScore.response_id == old.id)
    ), "the earlier scores stay with the earlier submission"


def test_sending_with_questions_missing_is_refused(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    walk.answer_section(invited.instrument.sections[0], invited.plan())
    page = walk.get(f"{invited.url}/check-answers").text
    assert "Continue answering" in page and "Send your answers" not in page
    form = hidden_fields(page)
    form["submission_key"] = "made-up-key"
    sent = walk.client.post(f"{invited.url}/check-answers", data=form)
    assert sent.status_code == 400
    assert [r.status for r in _responses()] == ["in_progress"]


def test_the_result_shows_levels_meanings_reasons_steps_and_offers(walker, invite):
    invited = invite("confidence")
    walk = walker(invited)
    sent = walk.complete(invited.plan(pick=2))
    page = walk.get(sent.location).text
    text = text_of(page)
    (response,) = _responses()
    expected = score_response(invited.instrument, response.answer_map())
    assert expected.overall_level is not None
    assert f"Overall: Level {expected.overall_level} {expected.overall_level_name}" in text
    for domain_result in expected.domains:
        domain = invited.instrument.domain(domain_result.domain_id)
        row = page.split(f'data-domain="{domain.id}"', 1)[1].split("</tr>", 1)[0]
        assert f'data-level="{domain_result.level}"' in row
        assert domain_result.explanation.replace("'", "&#39;") in page
        guidance = domain.level(domain_result.level)
        assert guidance.descriptor.replace("'", "&#39;") in page
        for step in guidance.next_steps:
            assert HORIZON_LABELS[step.horizon] in text
    assert "There are not enough similar groups, or groups in your area, to compare" in text
    assert f'href="/r/{invited.token}/result.xlsx"' in page


def test_the_result_compares_with_the_areas_published_figures(walker, invite, app, client):
    invited = invite("confidence")
    # Five other groups in the same area, same round, with known overall levels (score = level).
    levels = [1, 2, 3, 4, 4]
    for level in levels:
        other = factories.organisation(area=invited.area)
        db.session.add(OrganisationArea(organisation_id=other.id, area_id=invited.area.id))
        response = Response(
            round_id=invited.round.id,
            organisation_id=other.id,
            area_id=invited.area.id,
            status="submitted",
        )
        response.scores = [
            DomainScore(domain_id=OVERALL, score=float(level), level=level),
            DomainScore(domain_id="welcoming", score=float(level), level=level),
        ]
        db.session.add(response)
    db.session.commit()
    walk = walker(invited)
    sent = walk.complete(invited.plan())
    text = text_of(walk.get(sent.location).text)
    # The comparison is the area's figure as staff see it: the five groups placed in the
    # area (the invited group has no membership row in this fixture), median level 3.
    assert statistics.median(levels) == 3
    # The group has no size or kind on file, so the area's figures are the comparison,
    # and the page says so.
    assert f"We compare you with groups in {invited.area.name}" in text
    assert "5 groups that have answered this round" in text
    assert "Their median overall level is level 3" in text


def test_the_result_downloads_as_a_workbook(walker, invite):
    invited = invite("confidence", name="=HYPERLINK(1) club")
    walk = walker(invited)
    walk.complete(invited.plan(pick=1))
    download = walk.get(f"{invited.url}/result.xlsx")
    assert download.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(download.data)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[1][:2] == ("Group", "=HYPERLINK(1) club")
    assert set(cells[1][2:]) == {None}
    assert sheet["B2"].data_type == "s", "a name that looks like a formula stays text"
    (response,) = _responses()
    expected = score_response(invited.instrument, response.answer_map())
    levels = {}
    for row in cells:  # the levels table comes first, the next steps after it
        levels.setdefault(row[0], row[1])
    for domain_result in expected.domains:
        assert levels[domain_result.name] == domain_result.level
    assert any(row[1] in HORIZON_LABELS.values() for row in cells if len(row) > 1)


@pytest.mark.parametrize("instrument_id", ["dmi-locality"])
def test_a_locality_form_is_answered_by_the_area_without_consent(walker, invite, instrument_id):
    invited = invite(instrument_id)
    walk = walker(invited)
    sent = walk.complete(invited.plan())
    assert sent.location.endswith("/result")
    (response,) = _responses()
    assert response.organisation_id is None and response.area_id == invited.area.id
    assert response.status == "submitted"
    page = walk.get(f"{invited.url}/check-answers").text
    assert "Who can see your answers" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) > 10


def test_a_group_is_placed_in_the_area_it_picks(walker, invite):
    invited = invite("confidence")
    ics = invited.area.parent
    other = factories.area(type="neighbourhood", parent=ics, name="Riverside (picked)")
    db.session.commit()
    walk = walker(invited)
    walk.complete(invited.plan(overrides={"group_area": other.code}))
    db.session.expire_all()
    org = db.session.get(Organisation, invited.organisation.id)
    assert org.area_id == other.id
    placed = set(
        db.session.scalars(
            sa.select(OrganisationArea.area_id).where(OrganisationArea.organisation_id == org.id)
        )
    )
    assert placed == {other.id, ics.id}  # the picked area and everything above it


def test_a_locality_is_told_before_it_starts_that_its_answers_are_shown_by_name(walker, invite):
    locality = invite("dmi-locality")
    start = text_of(walker(locality).get(locality.url).text)
    assert "Your answers will be shown to the integrated care system by name" in start
    assert start.index("shown to the integrated care system by name") < start.index("Start now")
    group = invite("confidence")
    start = text_of(walker(group).get(group.url).text)
    assert "by name" not in start
    assert "never for fewer than 5 groups" in start


def test_a_localitys_result_says_it_is_named_not_compared_with_similar_groups(walker, invite):
    invited = invite("dmi-locality")
    walk = walker(invited)
    sent = walk.complete(invited.plan())
    text = text_of(walk.get(sent.location).text)
    assert "This is your area's own assessment. It is shown by name" in text
    assert "similar groups" not in text and "groups in your area" not in text.lower()
