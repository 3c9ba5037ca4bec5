"""A group completes each questionnaire through its link in a real browser.

On the way: a validation error corrected, a save-and-return in the middle, the
consent page, check answers and the result, whose levels must match what the
scoring core gives for the same answers. axe-core checks each kind of page.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from scoring import score_response
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import Area, Invitation, Organisation, Response, Round
from tests.journey.conftest import valid_value

from .conftest import assert_no_violations

INSTRUMENTS = ["confidence", "dmi-organisation", "dmi-locality", "vcse-readiness"]


def _invite(app, instrument_id: str) -> tuple[str, str]:
    """A group (or a PCN, for the locality form) invited to an open round: (token, area code)."""
    import datetime as dt

    with app.app_context():
        chosen = registry().latest(instrument_id)
        ics = Area(code="B-ICS", name="Browser ICS", type="ics")
        home = Area(code="B-N1", name="Riverside Neighbourhood", type="neighbourhood", parent=ics)
        pcn = Area(code="B-PCN1", name="Riverside PCN", type="pcn", parent=ics)
        today = dt.date.today()
        round_ = Round(
            slug=f"{instrument_id}-browser",
            title=f"{chosen.title} (browser test)",
            instrument_id=chosen.id,
            instrument_version=chosen.version,
            opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=30),
            areas=[ics],
        )
        if chosen.kind == "locality":
            invitation = Invitation(round=round_, area=pcn)
            code = pcn.code
        else:
            group = Organisation(name="Riverside <b>lunch</b> club", area=home)
            invitation = Invitation(round=round_, organisation=group)
            code = home.code
        db.session.add_all([ics, home, pcn, round_, invitation])
        db.session.commit()
        return invitation.token, code


def _fill(page, question, value) -> None:
    if question.type in ("single", "likert", "yesno"):
        page.locator(f'input[name="{question.id}"][value="{value}"]').check()
    elif question.type == "multiple":
        for item in value:
            page.locator(f'input[name="{question.id}"][value="{item}"]').check()
    elif question.type == "area":
        page.locator(f'select[name="{question.id}"]').select_option(value)
    else:
        page.locator(f'[name="{question.id}"]').fill(value)


def _section_id(page) -> str:
    match = re.search(r"/section/([^/?#]+)", page.url)
    assert match, page.url
    return match.group(1)


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_a_group_completes_the_questionnaire_and_sees_its_levels(live_server, page, instrument_id):
    app = live_server.app
    token, area_code = _invite(app, instrument_id)
    with app.app_context():
        instrument = registry().latest(instrument_id)
    plan = {q.id: valid_value(q, area_code, i) for i, q in enumerate(instrument.questions)}
    sections = {s.id: s for s in instrument.sections}

    page.goto(f"{live_server.url}/r/{token}")
    assert page.locator("h1").inner_text() == instrument.title
    assert f"About {instrument.minutes} minutes" in page.inner_text("main")
    assert_no_violations(page, "start")
    page.get_by_role("button", name="Start now").click()

    seen: list[str] = []
    errored = saved_once = False
    middle = len(instrument.sections) // 2
    while "/section/" in page.url:
        section = sections[_section_id(page)]
        assert f"Section {len(seen) + 1} of" in page.locator("#progress").inner_text()
        if not seen:
            assert_no_violations(page, "question page")
        first = section.questions[0]
        if not errored and first.required and first.type != "area":
            # Leave the first question out: an error summary that links to it.
            for q in section.questions[1:]:
                _fill(page, q, plan[q.id])
            page.get_by_role("button", name="Continue").click()
            assert page.title().startswith("Error: ")
            summary = page.locator(".govuk-error-summary")
            summary.locator("a").first.click()
            assert page.evaluate("document.activeElement.name") == first.id
            assert_no_violations(page, "error page")
            errored = True
        held = next(
            (q for q in reversed(section.questions) if q.required and q.skip_if is None), None
        )
        if len(seen) >= middle and not saved_once and held is not None:
            # Part of the page, then "save and come back later" from a new browser session.
            for q in section.questions:
                if q.id != held.id:
                    _fill(page, q, plan[q.id])
            page.get_by_role("button", name="Save and come back later").click()
            link = page.locator("#return-link").get_attribute("href")
            # The group's own link, where its first save took it: not the invitation link.
            own = re.search(r"/r/([^/]+)/", page.url).group(1)
            assert own != token and link.endswith(f"/r/{own}")
            page.context.clear_cookies()
            page.goto(link)
            page.get_by_role("button", name="Continue where you left off").click()
            assert _section_id(page) == section.id, "back on the first unanswered page"
            saved_once = True
        for q in section.questions:
            _fill(page, q, plan[q.id])
        page.get_by_role("button", name="Continue").click()
        seen.append(section.id)
    assert errored and saved_once

    if instrument.kind != "locality":
        assert page.url.endswith("/consent")
        page.locator('input[name="consent_broker"][value="yes"]').check()
        page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/check-answers")
    assert_no_violations(page, "check answers")
    page.get_by_role("button", name="Send your answers").click()
    assert page.url.endswith("/result")
    assert_no_violations(page, "result")

    with app.app_context():
        response = db.session.scalar(sa.select(Response).where(Response.status == "submitted"))
        expected = score_response(registry().latest(instrument_id), response.answer_map())
        if instrument.kind != "locality":
            assert db.session.scalar(sa.select(Organisation.consent_broker)) is True
    shown = {
        row.get_attribute("data-domain"): row.locator("[data-level]").get_attribute("data-level")
        for row in page.locator("#levels tbody tr").all()
    }
    assert shown == {d.domain_id: str(d.level or "") for d in expected.domains}
    overall = page.locator("#overall").inner_text()
    if expected.overall_level:
        assert f"Level {expected.overall_level}" in overall
    assert page.locator("main b").count() == 0
    page.emulate_media(media="print")  # printable: levels and steps, no buttons or links out
    assert page.locator("#levels").is_visible()
    assert not page.locator("#download").is_visible()
    assert not page.locator(".app-header").is_visible()
    page.emulate_media(media="screen")
    # The one page we sent with a mistake answers 400, which Chromium logs; nothing else.
    assert len(page.console_errors) == 1 and "status of 400" in page.console_errors[0]
    assert page.external_requests == []


def test_the_journey_works_without_javascript_on_a_small_screen(live_server, browser):
    app = live_server.app
    token, area_code = _invite(app, "confidence")
    with app.app_context():
        instrument = registry().latest("confidence")
    plan = {q.id: valid_value(q, area_code, i) for i, q in enumerate(instrument.questions)}
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/r/{token}")
        page.get_by_role("button", name="Start now").click()
        while "/section/" in page.url:
            section = next(s for s in instrument.sections if s.id == _section_id(page))
            page.wait_for_load_state("load")
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 320, (section.id, wide)
            for q in section.questions:
                _fill(page, q, plan[q.id])
            page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Continue").click()  # consent: the defaults (no)
        page.get_by_role("button", name="Send your answers").click()
        assert page.url.endswith("/result")
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert page.locator("#levels tbody tr").count() == len(instrument.domains)
    finally:
        context.close()
