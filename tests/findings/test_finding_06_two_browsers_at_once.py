"""Finding 6: two browsers using one group's link at the same moment, on PostgreSQL.

Each race runs two real threads (one test client each, as two browsers) that wait
at a barrier and then send the same kind of request together: the first page of a
new response, "change my answers", or "send". Every answer that got a 302 must be
in the database, the other browser gets a clear 409 page, never a 500; there is at
most one draft and exactly one current submission afterwards.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import g, request_started

from survey.extensions import db
from survey.models import Response
from tests import factories
from tests.conftest import _empty_postgres
from tests.journey.conftest import Invited, Walker, hidden_fields, instrument, make_round

RUNS = 20
CONFLICT = "Someone else using your group’s link"


def _fresh_csrf_cache(sender, **extra) -> None:
    g.pop("csrf_token", None)


@pytest.fixture
def pg(postgres_app):
    """The app on PostgreSQL (this finding is about PostgreSQL), emptied before and after."""
    _empty_postgres(postgres_app)
    request_started.connect(_fresh_csrf_cache, postgres_app)
    with postgres_app.app_context():
        yield postgres_app
        db.session.remove()
    request_started.disconnect(_fresh_csrf_cache, postgres_app)
    _empty_postgres(postgres_app)


def _invited(app) -> Invited:
    ics = factories.area(type="ics")
    area = factories.area(type="neighbourhood", parent=ics)
    chosen = instrument("confidence")
    round_ = make_round(chosen, [ics])
    group = factories.organisation(area=area)
    invitation = factories.invitation(round_, organisation=group)
    db.session.commit()
    return Invited(invitation.token, round_, group, area, chosen)


def _together(app, requests: list) -> list:
    """Each (page, action, data) from its own thread and client: both browsers open the
    page (for its CSRF token, version and submission key), then send at the same moment."""
    barrier = threading.Barrier(len(requests))
    pages: list = [None] * len(requests)

    def browser(n: int) -> None:
        client = app.test_client()
        page_url, action, data = requests[n]
        try:
            opened = client.get(page_url)
            assert opened.status_code == 200, (page_url, opened.status_code)
            form = {**hidden_fields(opened.get_data(as_text=True)), **data}
        finally:
            barrier.wait()
        try:
            pages[n] = client.post(action, data=form)
        except BaseException as error:  # noqa: BLE001 - an exception is a 500 here
            pages[n] = error

    threads = [threading.Thread(target=browser, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return pages


def _responses(invited: Invited) -> list[Response]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Response)
            .where(Response.organisation_id == invited.organisation.id)
            .order_by(Response.id)
        )
    )


def _status(page) -> int:
    return page.status_code if hasattr(page, "status_code") else 500


def _same(stored, sent) -> bool:
    """A stored value and the form value it came from ("la1 4yw" -> "LA1 4YW", "3" -> 3)."""
    return str(stored).upper().replace(" ", "") == str(sent).upper().replace(" ", "")


def _check_conflict_page(page) -> None:
    assert page.status_code == 409
    assert CONFLICT in page.get_data(as_text=True), "a clear message, not a bare error"


def test_finding_06_simultaneous_first_saves_keep_one_draft_and_lose_no_answer(pg):
    outcomes = []
    for run in range(RUNS):
        invited = _invited(pg)
        walk = Walker(pg.test_client(), invited)
        section = invited.instrument.sections[0]
        plans = [invited.plan(pick=0), invited.plan(pick=1)]
        sent = [walk.section_data(section, p) for p in plans]
        assert sent[0] != sent[1], "the two browsers give different answers"
        url = invited.section_url(section.id)
        pages = _together(pg, [(url, url, s) for s in sent])
        statuses = sorted(_status(p) for p in pages)
        outcomes.append(statuses)
        assert 500 not in statuses, (run, pages)
        # Together, the second gets the 409 page. On a busy machine one request can
        # finish before the other starts: the link has been used by then, so the later
        # one is sent to the link's start page (303), with nothing of its saved.
        assert statuses in ([302, 409], [302, 303]), (run, statuses)
        [draft] = [r for r in _responses(invited) if r.status == "in_progress"]
        saved = next(s for s, p in zip(sent, pages, strict=True) if p.status_code == 302)
        stored = draft.answer_map()
        assert stored, run
        for question_id, value in stored.items():  # the 302's answers, as the page stores them
            assert _same(value, saved[question_id]), (run, question_id, value)
        if statuses == [302, 409]:
            _check_conflict_page(next(p for p in pages if p.status_code == 409))
        else:
            # back to the link that browser came in on, not the group's private link (which
            # the first save has made by now, and which this browser was never given)
            later = next(p for p in pages if p.status_code == 303)
            location = later.headers["Location"]
            assert location.endswith(invited.invitation_url), (run, later.headers)
            assert invited.token != invited.invitation_token, run  # the private one exists
            assert invited.token not in location, (run, later.headers)
    assert len(outcomes) == RUNS
    assert outcomes.count([302, 409]) >= RUNS // 2, outcomes  # the race itself, mostly


def test_finding_06_simultaneous_amends_make_one_draft_and_keep_the_submission(pg):
    for run in range(RUNS):
        invited = _invited(pg)
        walk = Walker(pg.test_client(), invited)
        walk.complete(invited.plan())
        [sent] = _responses(invited)
        answers = sent.answer_map()
        check = f"{invited.url}/check-answers"
        pages = _together(pg, [(check, f"{invited.url}/amend", {})] * 2)
        assert [_status(p) for p in pages] == [302, 302], run
        responses = _responses(invited)
        drafts = [r for r in responses if r.status == "in_progress"]
        current = [r for r in responses if r.status == "submitted" and r.is_current]
        assert len(drafts) == 1, (run, len(drafts))
        assert [r.id for r in current] == [sent.id], "the submission stays current"
        assert drafts[0].answer_map() == answers, "the draft holds every answer sent"


def test_finding_06_simultaneous_submits_give_one_submission_and_a_409(pg):
    for run in range(RUNS):
        invited = _invited(pg)
        walk = Walker(pg.test_client(), invited)
        walk.complete(invited.plan(), submit=False)
        [draft] = _responses(invited)
        answers = draft.answer_map()
        check = f"{invited.url}/check-answers"
        pages = _together(pg, [(check, check, {})] * 2)
        statuses = sorted(_status(p) for p in pages)
        assert 500 not in statuses, (run, pages)
        assert statuses == [303, 409], (run, statuses)
        _check_conflict_page(next(p for p in pages if p.status_code == 409))
        responses = _responses(invited)
        current = [r for r in responses if r.status == "submitted" and r.is_current]
        assert len(current) == 1, (run, len(current))
        assert [r for r in responses if r.status == "in_progress"] == []
        assert current[0].answer_map() == answers, "every answer was sent"
        assert len(current[0].scores) == len(invited.instrument.domains) + 1
