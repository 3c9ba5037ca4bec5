"""The pages about a group's links, in Chromium with axe: the private start page a second
device sees, the "email our link" confirmation, the paper answers waiting for the group's
decision, and the staff invitations page with its email and reissue buttons.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    Answer,
    Area,
    Invitation,
    Organisation,
    Response,
    ResponseStatus,
    Round,
)
from tests import factories
from tests.journey.conftest import valid_value

from .conftest import assert_no_violations

PASSWORD = "correct horse battery"


def test_the_pages_about_a_groups_links_are_accessible(live_server, page):
    app = live_server.app
    with app.app_context():
        instrument = registry().latest("confidence")
        ics = Area(code="L-ICS", name="Links ICS", type="ics")
        home = Area(code="L-N1", name="Harbour Neighbourhood", type="neighbourhood", parent=ics)
        today = dt.date.today()
        round_ = Round(
            slug="confidence-links",
            title="Confidence (links test)",
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=30),
            areas=[ics],
        )
        group = Organisation(name="Harbour walkers", area=home, email="walkers@example.org")
        invitation = Invitation(round=round_, organisation=group)
        db.session.add_all([ics, home, round_, group, invitation])
        factories.user(role="admin", email="admin@example.org", password=PASSWORD)
        db.session.commit()
        token = invitation.token
        first = instrument.sections[0]
        plan = {q.id: valid_value(q, home.code, i) for i, q in enumerate(first.questions)}

    # The group starts and saves its first page: that makes its private link.
    page.goto(f"{live_server.url}/r/{token}")
    page.get_by_role("button", name="Start now").click()
    for q in first.questions:
        if q.type in ("single", "likert", "yesno"):
            page.locator(f'input[name="{q.id}"][value="{plan[q.id]}"]').check()
        elif q.type == "multiple":
            for item in plan[q.id]:
                page.locator(f'input[name="{q.id}"][value="{item}"]').check()
        elif q.type == "area":
            page.locator(f'select[name="{q.id}"]').select_option(plan[q.id])
        else:
            page.locator(f'[name="{q.id}"]').fill(str(plan[q.id]))
    page.get_by_role("button", name="Continue").click()
    assert "/section/" in page.url and f"/r/{token}/" not in page.url  # on its own link now

    # Another device with the invitation link: no answers, a way to have the link emailed.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/r/{token}")
    assert "answers are private" in page.inner_text("main")
    assert_no_violations(page, "private start page")
    # "walkers" masked: its first letter, then a star for each other letter.
    page.get_by_role("button", name="Email our link to w******@example.org").click()
    assert "w******@example.org" in page.inner_text("main")
    assert_no_violations(page, "link emailed")
    mails = list(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))
    assert len(mails) == 1 and "To: walkers@example.org" in mails[0].read_text()

    # A broker typed in paper answers for the group: they wait for its decision.
    with app.app_context():
        invitation = db.session.scalar(sa.select(Invitation))
        private = invitation.private_token
        paper = Response(
            round_id=invitation.round_id,
            invitation_id=invitation.id,
            organisation_id=invitation.organisation_id,
            status=ResponseStatus.PAPER_WAITING,
            source="paper",
            is_current=False,
        )
        paper.answers = [Answer(question_id=q, value=v) for q, v in plan.items()]
        db.session.add(paper)
        db.session.commit()
    page.goto(f"{live_server.url}/r/{private}/paper-answers")
    assert page.locator("h1").count() == 1
    assert_no_violations(page, "paper answers")

    # Staff: the invitations page, with the buttons to email or reissue a link.
    page.context.clear_cookies()
    page.goto(live_server.url + "/sign-in")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    page.goto(f"{live_server.url}/rounds/confidence-links/invitations")
    assert "Harbour walkers" in page.inner_text("main")
    assert_no_violations(page, "invitations page")
    assert page.external_requests == []
