"""Publishing in the background: after a change, a page shows the figures last published
(as they were) and says newer answers are on their way, while a thread publishes them.

The rule these tests hold: a page never waits for a refresh once something is published,
never shows a figure that was not published, and the new figures arrive without another
page having to wait for them. Six groups score welcoming 1, 2, 3, 4, 5, 1 (mean 16/6 =
2.67); five more at 5 make a change of five, which may be shown: 41/11 = 3.73.
"""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from survey import publication
from survey.aggregates import area_aggregates
from survey.config import load_config
from survey.extensions import db
from survey.models import OVERALL, FiguresState, FiguresSummary, Publication, Round

from .. import factories

SLUG = "confidence-bg"
PAGE = f"/areas/P-N?round={SLUG}"
WAITING = "they are being added now"


@pytest.fixture
def background(app):
    app.config["PUBLISH_IN_BACKGROUND"] = True
    yield app
    publication.wait_for_refreshes(30)


def _seed(count: int) -> tuple[int, int]:
    hood = factories.area(code="P-N", type="neighbourhood")
    round_ = factories.survey_round("confidence", slug=SLUG)
    factories.scored_groups(round_, hood, count)
    db.session.commit()
    return round_.id, hood.id


def _five_more_at_five(round_id: int, hood_id: int) -> None:
    round_, hood = db.session.get(Round, round_id), db.session.get(factories.Area, hood_id)
    for _ in range(5):
        org = factories.organisation(area=hood)
        factories.submitted_response(round_, org, {"welcoming": 5, OVERALL: 3}, areas=[hood])
    db.session.commit()


def _welcoming_on_a_page(app, round_id: int, hood_id: int) -> tuple[float, bool]:
    """The welcoming mean a page (a GET) is given, and whether it was told to say that
    newer answers are on their way."""
    with app.test_request_context(PAGE, method="GET"):
        round_, hood = db.session.get(Round, round_id), db.session.get(factories.Area, hood_id)
        [figure] = [a for a in area_aggregates(round_, [hood]) if a.domain_id == "welcoming"]
        refreshing = publication.figures_refreshing()
    db.session.rollback()  # end the read: the thread's writes are seen next time
    return round(figure.summary.mean, 2), refreshing


def _publications() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Publication))


@pytest.fixture
def held(monkeypatch):
    """Background refreshes held until ``release`` is set; ``started`` counts them."""
    release, started = threading.Event(), []
    original = publication._refresh_alone

    def refresh(*args):
        started.append(args)
        release.wait(30)
        original(*args)

    monkeypatch.setattr(publication, "_refresh_alone", refresh)
    yield release, started
    release.set()


def test_a_page_shows_the_last_publication_while_the_new_one_is_published(background, held):
    release, started = held
    round_id, hood_id = _seed(6)
    # nothing published yet: the first page waits for the first figures, and says nothing
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, False)
    assert _publications() == 1 and started == []
    _five_more_at_five(round_id, hood_id)
    # the refresh is held: two pages get the published 2.67 at once, and one refresh starts;
    # each reads the stored summary of the groups once (for the token, then for the figures)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert sum("FROM figures_summary" in s for s in statements) == 1
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
    assert len(started) == 1 and _publications() == 1
    release.set()
    publication.wait_for_refreshes(30)
    assert _publications() == 2
    assert _welcoming_on_a_page(background, round_id, hood_id) == (3.73, False)
    assert len(started) == 1  # the page found the figures up to date: no refresh


def test_a_page_that_reads_a_round_twice_during_a_refresh_is_given_the_same_figures(
    background, held
):
    """A page reads a round's publication once (an area page reads it for two parts): the
    second read in the request gives what the first gave, the last publication with its
    summary, and starts no second refresh."""
    release, started = held
    round_id, hood_id = _seed(6)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, False)
    _five_more_at_five(round_id, hood_id)
    with background.test_request_context(PAGE, method="GET"):
        round_ = db.session.get(Round, round_id)
        first = publication.publish(round_, moderated=False, threshold=5)
        second = publication.publish(round_, moderated=False, threshold=5)
        assert second is first and first[0].seq == 1
        assert publication.figures_refreshing()
    db.session.rollback()
    assert len(started) == 1


def test_each_round_has_its_own_background_refresh(background, held):
    """One refresh at a time for a round's view, not one for the whole service: while
    one round's is under way, a page of another round that changed starts that round's."""
    release, started = held
    round_id, hood_id = _seed(6)
    other = factories.survey_round("confidence", slug="confidence-bg-other")
    factories.scored_groups(other, db.session.get(factories.Area, hood_id), 6)
    db.session.commit()
    other_id = other.id  # read now: reading it later would start a read before the refresh
    for changed in (round_id, other_id):
        assert _welcoming_on_a_page(background, changed, hood_id) == (2.67, False)
        _five_more_at_five(changed, hood_id)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)  # under way
    assert _welcoming_on_a_page(background, other_id, hood_id) == (2.67, True)
    assert [args[1] for args in started] == [round_id, other_id]
    release.set()
    publication.wait_for_refreshes(30)
    for changed in (round_id, other_id):
        assert _welcoming_on_a_page(background, changed, hood_id) == (3.73, False)


def test_a_head_request_is_a_page_too(background, held, client, login):
    """A HEAD (a link checker, a browser's prefetch) gets the page without its body: it
    does not wait for a refresh either, and starts one in the background."""
    release, started = held
    login("admin")
    round_id, hood_id = _seed(6)
    assert client.get(PAGE).status_code == 200  # the first publication
    _five_more_at_five(round_id, hood_id)
    assert client.head(PAGE).status_code == 200
    assert len(started) == 1 and _publications() == 1  # not published while it waited
    release.set()
    publication.wait_for_refreshes(30)
    assert _publications() == 2


def test_without_change_tokens_a_page_still_shows_the_stored_summarys_publication(background, held):
    """If the change tokens' rows are gone (emptied by hand), a page cannot tell what is
    current, so it remembers nothing; but the summary stored with the latest publication
    still says which figures that publication was made from, and the page shows it while
    a refresh works the figures out again."""
    release, started = held
    round_id, hood_id = _seed(6)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, False)
    _five_more_at_five(round_id, hood_id)
    db.session.execute(sa.delete(FiguresState))  # after the writes that renew them
    db.session.commit()
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
    assert len(started) == 1 and _publications() == 1
    release.set()
    publication.wait_for_refreshes(30)
    assert _publications() == 2


def test_a_summary_of_another_moment_is_never_shown_with_the_publication(background, held):
    """The counts and flags shown beside published figures must be those of the same
    moment: if the stored summary is not the one the latest publication was made from
    (its fingerprint differs), the page does not show the two together; it publishes
    and waits, as with nothing published."""
    _, started = held
    round_id, hood_id = _seed(6)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, False)
    db.session.execute(sa.update(FiguresSummary).values(fingerprint="another moment"))
    db.session.commit()
    _five_more_at_five(round_id, hood_id)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (3.73, False)
    assert started == [] and _publications() == 2


def test_the_page_says_newer_answers_are_on_their_way_only_while_they_are(
    background, held, client, login
):
    release, _ = held
    login("admin")
    round_id, hood_id = _seed(6)
    first = client.get(PAGE)
    assert first.status_code == 200 and WAITING not in first.get_data(as_text=True)
    _five_more_at_five(round_id, hood_id)
    page = client.get(PAGE)
    assert page.status_code == 200 and WAITING in page.get_data(as_text=True)
    release.set()
    publication.wait_for_refreshes(30)
    assert WAITING not in client.get(PAGE).get_data(as_text=True)


def test_without_a_request_or_with_the_setting_off_reading_waits_for_the_refresh(app, held):
    """A command, an export job or a POST has no page to show old figures on; nor has a
    service that turned the setting off: each publishes and waits, as before."""
    _, started = held
    round_id, hood_id = _seed(6)
    assert _welcoming_on_a_page(app, round_id, hood_id) == (2.67, False)
    _five_more_at_five(round_id, hood_id)
    app.config["PUBLISH_IN_BACKGROUND"] = False
    assert _welcoming_on_a_page(app, round_id, hood_id) == (3.73, False)
    _five_more_at_five(round_id, hood_id)  # 16 groups: 66/16 = 4.125
    app.config["PUBLISH_IN_BACKGROUND"] = True
    round_, hood = db.session.get(Round, round_id), db.session.get(factories.Area, hood_id)
    [figure] = [a for a in area_aggregates(round_, [hood]) if a.domain_id == "welcoming"]
    assert figure.summary.mean == 4.125
    _five_more_at_five(round_id, hood_id)
    latest = publication.latest_publication(round_id, False)
    with app.test_request_context(PAGE, method="POST"):
        assert publication._shown_while_refreshing(round_id, False, 5, latest) is None
    assert started == []


def test_a_background_refresh_hands_the_heaps_free_pages_back_when_it_ends(background, monkeypatch):
    """Its member sets are the biggest pass a worker makes (survey.memory.release_memory);
    a page that publishes while it waits does not trim. (Here no reply may: the replies'
    own trims, after one that left the worker grown, are out of reach.)"""
    from survey import memory

    trims: list[int] = []
    monkeypatch.setattr(memory, "_trim", trims.append)
    monkeypatch.setattr(memory, "TRIM_AFTER", 2**60)
    round_id, hood_id = _seed(6)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, False)
    assert trims == []
    _five_more_at_five(round_id, hood_id)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
    publication.wait_for_refreshes(30)
    assert _publications() == 2 and trims == [0]


def test_a_failed_refresh_is_logged_and_the_next_page_starts_another(
    background, monkeypatch, caplog
):
    round_id, hood_id = _seed(6)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, False)
    _five_more_at_five(round_id, hood_id)
    original = publication._publish_once
    calls = []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return original(*args, **kwargs)

    monkeypatch.setattr(publication, "_publish_once", fails_once)
    with caplog.at_level(logging.ERROR):
        assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
        publication.wait_for_refreshes(30)
    assert f"publishing round {round_id} in the background failed" in caplog.text
    assert "the database went away" in caplog.text
    assert _publications() == 1
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
    publication.wait_for_refreshes(30)
    assert _publications() == 2 and len(calls) == 2
    assert _welcoming_on_a_page(background, round_id, hood_id) == (3.73, False)


def test_the_service_publishes_in_the_background_unless_told_not_to(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test")
    monkeypatch.delenv("SURVEY_PUBLISH_IN_BACKGROUND")
    assert load_config(tmp_path)["PUBLISH_IN_BACKGROUND"] is True
    monkeypatch.setenv("SURVEY_PUBLISH_IN_BACKGROUND", "0")
    assert load_config(tmp_path)["PUBLISH_IN_BACKGROUND"] is False


def test_on_postgresql_one_process_at_a_time_refreshes_a_round(pg_app, monkeypatch):
    """Every worker's pages find the figures out of date at once, and a big round's
    refresh holds about a gigabyte: while another process refreshes the round (it holds
    the round's advisory lock), this one's thread skips its own, and its pages keep the
    published figures; once the other is done, the next page starts one that publishes."""
    monkeypatch.setitem(pg_app.config, "PUBLISH_IN_BACKGROUND", True)
    round_id, hood_id = _seed(6)
    assert _welcoming_on_a_page(pg_app, round_id, hood_id) == (2.67, False)
    _five_more_at_five(round_id, hood_id)
    lock = sa.func.pg_try_advisory_lock(publication.REFRESH_LOCKS, round_id * 2)
    with db.engine.connect() as other_process:
        assert other_process.scalar(sa.select(lock)) is True
        other_process.commit()
        for _ in range(2):
            assert _welcoming_on_a_page(pg_app, round_id, hood_id) == (2.67, True)
            publication.wait_for_refreshes(30)
            assert _publications() == 1
        other_process.scalar(
            sa.select(sa.func.pg_advisory_unlock(publication.REFRESH_LOCKS, round_id * 2))
        )
        other_process.commit()
    assert _welcoming_on_a_page(pg_app, round_id, hood_id) == (2.67, True)
    publication.wait_for_refreshes(30)
    assert _publications() == 2
    assert _welcoming_on_a_page(pg_app, round_id, hood_id) == (3.73, False)


def test_waiting_for_the_background_refreshes_gives_up_at_its_limit(background, held):
    """wait_for_refreshes(limit) returns after the limit with a refresh still under way (a
    refresh that hangs must not hang whoever waits for it); without one it waits it out."""
    release, started = held
    round_id, hood_id = _seed(6)
    _welcoming_on_a_page(background, round_id, hood_id)
    _five_more_at_five(round_id, hood_id)
    assert _welcoming_on_a_page(background, round_id, hood_id) == (2.67, True)
    letting_go = threading.Timer(3, release.set)  # else the held refresh would wait 30 s
    letting_go.start()
    try:
        publication.wait_for_refreshes(0.2)
        assert not release.is_set() and _publications() == 1  # still held: not waited for
    finally:
        letting_go.cancel()
        release.set()
    publication.wait_for_refreshes()
    assert len(started) == 1 and _publications() == 2
