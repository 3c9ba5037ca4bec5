"""The ledger of published figures: refreshed only when groups change, once when two read at once."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import sqlalchemy as sa

from survey.aggregates import area_aggregates
from survey.extensions import db
from survey.models import OVERALL, OrganisationArea, Publication, PublishedFigure, Round

from .. import factories


def _seed(count: int):
    hood = factories.area(code="P-N", type="neighbourhood")
    round_ = factories.survey_round("confidence", slug="confidence-pub")
    factories.scored_groups(round_, hood, count)
    db.session.commit()
    return round_.id, hood.id


def _publications() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Publication))


def test_reading_again_without_changes_publishes_nothing_new(app):
    round_id, hood_id = _seed(6)
    round_ = db.session.get(Round, round_id)
    hood = db.session.get(factories.Area, hood_id)
    first = area_aggregates(round_, [hood])
    assert _publications() == 1
    again = area_aggregates(round_, [hood])
    assert _publications() == 1
    assert [a.summary for a in first] == [a.summary for a in again]


def test_a_publications_figures_are_read_once_until_a_newer_one_is_the_latest(app):
    """Six groups, welcoming at 1, 2, 3, 4, 5, 1: mean 16/6 = 2.67. Read again, the same
    figures come without asking the database for them. Five more groups at 5 make a new
    publication (a change of five, so it may be shown): mean 41/11 = 3.73, read afresh."""
    round_id, hood_id = _seed(6)
    round_ = db.session.get(Round, round_id)
    hood = db.session.get(factories.Area, hood_id)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def welcoming():
        [figure] = [a for a in area_aggregates(round_, [hood]) if a.domain_id == "welcoming"]
        return round(figure.summary.mean, 2)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert welcoming() == 2.67
        read_first = sum("FROM published_figure" in s for s in statements)
        statements.clear()
        assert welcoming() == 2.67
        assert sum("FROM published_figure" in s for s in statements) == 0 < read_first
        for _ in range(5):
            org = factories.organisation(area=hood)
            factories.submitted_response(round_, org, {"welcoming": 5, OVERALL: 3}, areas=[hood])
        db.session.commit()
        statements.clear()
        assert welcoming() == 3.73
        assert sum("FROM published_figure" in s for s in statements) > 0
        assert _publications() == 2
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_two_readers_at_once_publish_once(app):
    round_id, hood_id = _seed(6)
    barrier = threading.Barrier(4)
    seen, errors = [], []

    def read():
        with app.app_context():
            try:
                round_ = db.session.get(Round, round_id)
                hood = db.session.get(factories.Area, hood_id)
                barrier.wait()
                aggs = area_aggregates(round_, [hood])
                seen.append(next(a.summary.n for a in aggs if a.domain_id == OVERALL))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and seen == [6, 6, 6, 6]
    db.session.rollback()  # end this thread's read, to see what the others wrote
    assert _publications() == 1
    figures = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PublishedFigure)
        .where(PublishedFigure.domain_id == OVERALL)
    )
    assert figures == 1


def test_an_erasure_leaves_the_published_figure_and_no_trace_of_the_group(app):
    from survey.accounts.group_records import erase_group
    from survey.models import Organisation, Response

    round_id, hood_id = _seed(6)
    round_ = db.session.get(Round, round_id)
    hood = db.session.get(factories.Area, hood_id)
    before = {a.domain_id: a.summary for a in area_aggregates(round_, [hood])}
    assert before[OVERALL].n == 6
    gone = db.session.scalar(sa.select(Response).order_by(Response.id).limit(1))
    gone_id = gone.id
    erase_group(db.session.get(Organisation, gone.organisation_id))
    db.session.commit()
    after = {a.domain_id: a.summary for a in area_aggregates(round_, [hood])}
    # 5 groups left, one from the published 6: the published figure stays as it was
    assert after == before
    keys = [
        m for (members,) in db.session.execute(sa.select(PublishedFigure.members)) for m in members
    ]
    assert len(keys) == 6 * 3  # welcoming, overall and the response count: sizes kept
    assert not any(k == str(gone_id) or k.startswith(f"{gone_id}:") for k in keys)


def test_erasing_every_group_of_a_round_leaves_its_published_figures(app):
    """All six groups erased: the round has no groups left in any domain, so its next
    refresh has nothing to publish, and the figures published from the six stay as they
    were (erasure does not unpublish), with six new keys each."""
    from survey.accounts.group_records import erase_group
    from survey.models import Organisation

    round_id, hood_id = _seed(6)
    round_ = db.session.get(Round, round_id)
    hood = db.session.get(factories.Area, hood_id)
    before = {a.domain_id: a.summary for a in area_aggregates(round_, [hood])}
    assert before[OVERALL].n == 6 and round(before["welcoming"].mean, 2) == 2.67
    for org in db.session.scalars(sa.select(Organisation)).all():
        erase_group(org)
    db.session.commit()
    after = {a.domain_id: a.summary for a in area_aggregates(round_, [hood])}
    assert after == before
    assert _publications() == 2  # the refresh after the erasures published no figure
    sizes = [len(m) for (m,) in db.session.execute(sa.select(PublishedFigure.members))]
    assert sizes == [6, 6, 6]


def test_a_refresh_takes_each_slots_latest_figure_after_an_erasure_rewrote_older_ones(app):
    """Eleven groups published (figures of 11), five then withdrawn (figures of 6), and one
    of those five erased, which rewrites the first figures' members only (on PostgreSQL
    their rows then come after the later ones). A group joining elsewhere makes the next
    refresh: the area's set is still its latest figure's six, so it gets no new figure,
    whichever order the figures are read in."""
    from survey.accounts.group_records import erase_group
    from survey.models import Organisation, Response

    round_id, hood_id = _seed(11)
    round_ = db.session.get(Round, round_id)
    hood = db.session.get(factories.Area, hood_id)

    def overall_n(area) -> int:
        [figure] = [a for a in area_aggregates(round_, [area]) if a.domain_id == OVERALL]
        db.session.commit()
        return figure.summary.n

    assert overall_n(hood) == 11
    withdrawn = db.session.scalars(sa.select(Response).order_by(Response.id).limit(5)).all()
    for response in withdrawn:
        response.is_current = False
    db.session.commit()
    assert overall_n(hood) == 6
    erase_group(db.session.get(Organisation, withdrawn[0].organisation_id))
    db.session.commit()
    ward = factories.area(code="P-W", type="ward")
    factories.submitted_response(
        round_, factories.organisation(area=ward), {"welcoming": 2, OVERALL: 3}, areas=[ward]
    )
    db.session.commit()
    assert overall_n(hood) == 6
    assert _publications() == 3
    per_slot = db.session.execute(
        sa.select(PublishedFigure.domain_id, sa.func.count())
        .where(PublishedFigure.area_id == hood_id)
        .group_by(PublishedFigure.domain_id)
    ).all()
    assert per_slot and all(n == 2 for _, n in per_slot)  # 11, then 6: nothing new


def test_erasing_every_member_of_a_figure_leaves_none_of_their_keys(app):
    """All six groups of a published figure erased: every figure they were in (here
    all three) keeps six keys, each a new one that names no response."""
    from survey.models import Response
    from survey.publication import forget_responses

    round_id, hood_id = _seed(6)
    round_ = db.session.get(Round, round_id)
    area_aggregates(round_, [db.session.get(factories.Area, hood_id)])
    db.session.commit()
    ids = list(db.session.scalars(sa.select(Response.id)))
    forget_responses(ids)
    db.session.commit()
    figures = [set(m) for (m,) in db.session.execute(sa.select(PublishedFigure.members))]
    assert len(figures) == 3 and all(len(members) == 6 for members in figures)
    keys = set().union(*figures)
    old = {str(i) for i in ids}
    assert not any(key.split(":", 1)[0] in old for key in keys)
    assert all(key.startswith("gone-") for key in keys)


def test_erasing_a_group_only_in_later_figures_renames_it_there(app):
    """Six groups published, then five more (a change of five: new figures of 11). The
    erased group is one of the five: the first publication's figures, read first, do not
    hold it, and each of the 11-member figures must lose its key all the same."""
    from survey.models import Response
    from survey.publication import forget_responses

    round_id, hood_id = _seed(6)
    round_ = db.session.get(Round, round_id)
    hood = db.session.get(factories.Area, hood_id)
    area_aggregates(round_, [hood])
    for _ in range(5):
        org = factories.organisation(area=hood)
        factories.submitted_response(round_, org, {"welcoming": 5, OVERALL: 3}, areas=[hood])
    db.session.commit()
    assert {a.summary.n for a in area_aggregates(round_, [hood]) if a.domain_id == OVERALL} == {11}
    db.session.commit()
    gone = db.session.scalar(sa.select(sa.func.max(Response.id)))
    forget_responses([gone])
    db.session.commit()
    figures = db.session.execute(
        sa.select(PublishedFigure.id, PublishedFigure.members).order_by(PublishedFigure.id)
    ).all()
    sizes = [len(members) for _, members in figures]
    assert sizes == [6, 6, 6, 11, 11, 11]  # both publications' figures, sizes kept
    keys = [k for _, members in figures for k in members]
    assert not any(k.split(":", 1)[0] == str(gone) for k in keys)
    assert sum(k.startswith("gone-") for k in keys) == 3  # one new key in each later figure


def test_figures_kept_by_the_process_are_told_apart_by_database(tmp_path, sqlite_template):
    """Two databases with the same publication (a copy, as a restored backup is): the
    figures one shows must come from its own rows, not from what the process kept of the
    other's, though publication id, round, fingerprint and time are the same."""
    import shutil

    from survey import create_app
    from survey.publication import publish, shown_figures

    first = tmp_path / "first.db"
    shutil.copy(sqlite_template, first)
    app_one = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{first}", "TESTING": True})
    with app_one.app_context():
        round_id, hood_id = _seed(6)
        made, _ = publish(db.session.get(Round, round_id), moderated=False, threshold=5)
        db.session.commit()
        db.engine.dispose()
    second = tmp_path / "second.db"
    shutil.copy(first, second)
    app_two = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{second}", "TESTING": True})
    with app_two.app_context():
        db.session.execute(
            sa.update(PublishedFigure)
            .where(PublishedFigure.domain_id == "welcoming")
            .values(mean=4.5)
        )
        db.session.commit()
    means = []
    for each in (app_one, app_two):
        with each.app_context():
            made = db.session.scalar(sa.select(Publication))
            means.append(shown_figures(made, [hood_id])[hood_id, "welcoming"].mean)
            db.session.remove()
            db.engine.dispose()
    assert means == [16 / 6, 4.5]


def test_a_response_count_with_every_link_revoked_has_none_invited(app):
    """Six groups answered and then every link was revoked: the response count published
    is 6 with 0 live invitations (not unknown, not one), so no rate is made from it."""
    import datetime as dt

    from survey.models import Invitation
    from survey.publication import RESPONDED, publish

    round_id, hood_id = _seed(6)
    for invitation in db.session.scalars(sa.select(Invitation)):
        invitation.revoked_at = dt.datetime(2026, 1, 1)
    db.session.commit()
    publish(db.session.get(Round, round_id), moderated=False, threshold=5)
    db.session.commit()
    figure = db.session.execute(
        sa.select(PublishedFigure.n, PublishedFigure.invited).where(
            PublishedFigure.area_id == hood_id, PublishedFigure.domain_id == RESPONDED
        )
    ).one()
    assert tuple(figure) == (6, 0)
    hood = db.session.get(factories.Area, hood_id)
    [shown] = [
        a
        for a in area_aggregates(db.session.get(Round, round_id), [hood])
        if a.domain_id == OVERALL
    ]
    assert (shown.invited, shown.responded) == (0, 6)


def test_a_figure_hidden_later_is_no_longer_shown_though_it_was_published(app):
    """A place P of 18 groups: 6 in neighbourhood A, 7 in B, 5 in no neighbourhood. P, A and
    B are published (18 less 6 and 7 leaves 5). Then a neighbourhood C is drawn round those
    5 and 2 new groups: C (7) is published, but P (now 20) differs from its figure by 2 and
    keeps its 18, and 18 less A, B and C leaves the 2 new groups: so the smallest child, A,
    is hidden. A had a figure; it now shows as suppressed, and the others show theirs. The
    first publication, read again, still shows what it showed: A's 6, and no C."""
    from survey.publication import publish, shown_figures

    round_ = factories.survey_round("confidence")
    place = factories.area(type="place")
    a, b = (factories.area(type="neighbourhood", parent=place) for _ in range(2))

    def group(*areas):
        org = factories.organisation(area=areas[0])
        factories.submitted_response(round_, org, {OVERALL: 3}, areas=areas)
        return org

    for _ in range(6):
        group(a, place)
    for _ in range(7):
        group(b, place)
    unplaced = [group(place) for _ in range(5)]
    db.session.commit()
    first, _ = publish(round_, moderated=False, threshold=5)
    db.session.commit()
    c = factories.area(type="neighbourhood", parent=place)
    for org in unplaced:
        db.session.add(OrganisationArea(organisation_id=org.id, area_id=c.id))
    for _ in range(2):
        group(c, place)
    db.session.commit()
    latest, _ = publish(round_, moderated=False, threshold=5)
    db.session.commit()
    assert latest.id != first.id and [a.id, OVERALL] in latest.hidden
    shown = {
        area.code: next(x for x in area_aggregates(round_, [area]) if x.domain_id == OVERALL)
        for area in (place, a, b, c)
    }
    assert shown[a.code].suppressed and shown[a.code].summary.n is None
    assert [shown[x.code].summary.n for x in (place, b, c)] == [18, 7, 7]
    figures = shown_figures(latest, [place.id, a.id, b.id, c.id])
    assert {key for key in figures if key[1] == OVERALL} == {
        (place.id, OVERALL),
        (b.id, OVERALL),
        (c.id, OVERALL),
    }
    before = shown_figures(first, [place.id, a.id, b.id, c.id])
    assert before[a.id, OVERALL].n == 6 and (c.id, OVERALL) not in before
    assert shown_figures(latest, []) == {}
    # the figures are kept: one text object a domain, not one a figure (each row brings its
    # own; the area and publication ids are below 257 here, which Python shares anyway)
    domains = [figure.domain_id for figure in figures.values()]
    assert len(domains) > len(set(domains)) == len({id(d) for d in domains})


def test_a_localitys_row_is_copied_to_every_area_above_it_once(app):
    """A neighbourhood in a place in an ICS: its row is also the place's and the ICS's. An
    area whose parents loop back to it (bad boundary data) still ends: each area once."""
    from survey.publication import up_the_tree

    ics = factories.area(type="ics")
    place = factories.area(type="place", parent=ics)
    hood = factories.area(type="neighbourhood", parent=place)
    ring_a = factories.area(type="ward")
    ring_b = factories.area(type="ward", parent=ring_a)
    db.session.execute(  # by SQL: the ORM refuses to write a loop
        sa.update(factories.Area).where(factories.Area.id == ring_a.id).values(parent_id=ring_b.id)
    )
    db.session.commit()
    assert up_the_tree([(hood.id, "x", 1)]) == [
        (hood.id, "x", 1),
        (place.id, "x", 1),
        (ics.id, "x", 1),
    ]
    assert up_the_tree([(ring_a.id, "y")]) == [(ring_a.id, "y"), (ring_b.id, "y")]
    assert up_the_tree([]) == []


def test_live_invitations_are_counted_in_every_area_and_localities_up_the_tree(app):
    """An ICS, a place in it, neighbourhoods A and B in the place. Groups lie in their
    neighbourhood and the place, and each group's link names its neighbourhood (as
    `survey invitations` makes them): two invited in A, one in A whose link was revoked, one
    invited in B, one in B invited only to another round. Localities: A's own link and the
    place's; B's link was revoked, and B has one for another round. So A has 2 groups' links
    + its own = 3; B 1; the place 3 groups' links + A's and its own = 5; the ICS, where no
    group lies, the 2 locality links."""
    import datetime as dt

    from survey.publication import invited_counts

    ics = factories.area(type="ics")
    place = factories.area(type="place", parent=ics)
    a = factories.area(type="neighbourhood", parent=place)
    b = factories.area(type="neighbourhood", parent=place)
    round_ = factories.survey_round("confidence")
    other = factories.survey_round("confidence")

    def group(hood):
        org = factories.organisation(area=hood)
        for area in (hood, place):
            db.session.add(OrganisationArea(organisation_id=org.id, area_id=area.id))
        return org

    revoked = dt.datetime(2026, 1, 1)
    factories.invitation(round_, group(a), area=a)
    factories.invitation(round_, group(a), area=a)
    factories.invitation(round_, group(a), area=a).revoked_at = revoked
    factories.invitation(round_, group(b), area=b)
    factories.invitation(other, group(b), area=b)
    factories.invitation(round_, area=a)
    factories.invitation(round_, area=place)
    factories.invitation(round_, area=b).revoked_at = revoked
    factories.invitation(other, area=b)
    db.session.commit()
    assert invited_counts(round_) == {a.id: 3, b.id: 1, place.id: 5, ics.id: 2}


def test_an_area_with_one_group_says_too_few_and_one_with_none_says_none(app):
    """One group answered in neighbourhood A: A's figure is suppressed (fewer than 5), not
    empty; neighbourhood B, where no group answered, is empty."""
    round_ = factories.survey_round("confidence")
    a, b = factories.area(type="neighbourhood"), factories.area(type="neighbourhood")
    factories.submitted_response(round_, factories.organisation(area=a), {OVERALL: 3}, areas=[a])
    db.session.commit()
    shown = {x.area.id: x for x in area_aggregates(round_, [a, b]) if x.domain_id == OVERALL}
    assert shown[a.id].suppressed and shown[a.id].summary.n is None
    assert not shown[b.id].suppressed and shown[b.id].summary.n == 0


def test_a_refresh_that_keeps_clashing_gives_up_after_its_attempts_with_the_clash(app, monkeypatch):
    """Each clash (another refresh got the round's next number first) starts the refresh
    again, ATTEMPTS times in all, waiting a little longer each time (0.05 s more: the
    other refresh is committing); the last clash is then raised as it is, not hidden."""
    from sqlalchemy.exc import IntegrityError

    from survey import publication

    round_id, _ = _seed(6)
    tries = []

    def clash(*args):
        tries.append(1)
        raise IntegrityError("INSERT INTO publication", {}, Exception("duplicate seq"))

    monkeypatch.setattr(publication, "_refresh", clash)
    waits = []
    monkeypatch.setattr(publication.time, "sleep", waits.append)
    with pytest.raises(IntegrityError, match="duplicate seq"):
        publication.publish(db.session.get(Round, round_id), moderated=False, threshold=5)
    assert len(tries) == publication.ATTEMPTS == 5
    assert [round(w, 2) for w in waits] == [0.05, 0.1, 0.15, 0.2]  # none after the last


def test_a_refresh_queues_other_refreshes_of_its_round_but_not_its_submissions(pg_app, monkeypatch):
    """On PostgreSQL a refresh holds its round's row (FOR NO KEY UPDATE) until it commits:
    a second refresh of the round waits, and a submission, whose reference to the round
    takes only a key share of that row, does not."""
    from sqlalchemy.exc import OperationalError

    from survey import publication

    round_id, _ = _seed(6)
    inside, release, errors = threading.Event(), threading.Event(), []
    original = publication._refresh

    def held(*args):
        inside.set()
        release.wait(30)
        return original(*args)

    monkeypatch.setattr(publication, "_refresh", held)

    def refresh():
        with pg_app.app_context():
            try:
                publication.publish(db.session.get(Round, round_id), moderated=False, threshold=5)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=refresh)
    thread.start()
    try:
        assert inside.wait(30)
        with db.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '1s'")
            other.commit()
            with other.begin():  # as a submission's insert checks its round
                got = other.execute(
                    sa.select(Round.id)
                    .where(Round.id == round_id)
                    .with_for_update(read=True, key_share=True)
                ).scalar()
            assert got == round_id
            with pytest.raises(OperationalError, match="lock"), other.begin():
                other.execute(  # as a second refresh would
                    sa.select(Round.id)
                    .where(Round.id == round_id)
                    .with_for_update(key_share=True, nowait=True)
                ).all()
    finally:
        release.set()
        thread.join(30)
    assert errors == []
    assert _publications() == 1


def test_a_process_store_keeps_the_latest_few_and_a_key_kept_again_is_the_newest():
    """The stores a process keeps between requests (summaries, figures read) hold at most
    their limit, forgetting the oldest first; keeping a key again makes it the newest."""
    from survey import publication

    store, lock = {}, threading.Lock()
    for key in "abc":
        publication._keep(store, lock, 3, key, key)
    publication._keep(store, lock, 3, "b", "b again")  # full, but b is kept: none goes
    assert list(store.items()) == [("a", "a"), ("c", "c"), ("b", "b again")]
    publication._keep(store, lock, 3, "d", "d")  # a is the oldest: it goes
    assert list(store.items()) == [("c", "c"), ("b", "b again"), ("d", "d")]


def test_two_rounds_and_two_views_read_in_turn_publish_once_each(app):
    """Each round's view has its own latest publication: reading round A, round B, A's
    moderated view and then all three again publishes three times in all, not again each
    time another round's or view's publication is newer."""
    from survey.publication import publish

    round_a, _ = _seed(6)
    hood = db.session.scalar(sa.select(factories.Area))
    round_b = factories.survey_round("confidence", slug="confidence-other")
    factories.scored_groups(round_b, hood, 6)
    db.session.commit()
    round_b = round_b.id
    reads = [(round_a, False), (round_b, False), (round_a, True)]
    for round_id, moderated in reads + reads:
        publish(db.session.get(Round, round_id), moderated=moderated, threshold=5)
        db.session.commit()
    assert _publications() == 3


def test_a_page_reads_a_rounds_figures_once_and_the_next_works_nothing_out_again(app, monkeypatch):
    """The first page publishes the round's figures. On the next, with nothing changed,
    two parts show the same round's figures: its latest publication is read once, and the
    groups' sets are taken as this process kept them (current_state is not run again, and
    the copy stored for other processes is not read)."""
    import re

    from survey import publication

    round_id, hood_id = _seed(6)
    worked_out, statements = [], []
    real = publication.current_state

    def current_state(*args):
        worked_out.append(args[1:])
        return real(*args)

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    monkeypatch.setattr(publication, "current_state", current_state)

    def page() -> int:
        statements.clear()
        with app.test_request_context(f"/areas/P-N?round={round_id}", method="GET"):
            round_, hood = db.session.get(Round, round_id), db.session.get(factories.Area, hood_id)
            area_aggregates(round_, [hood])
            area_aggregates(round_, [hood])
        db.session.rollback()
        return sum(bool(re.search(r"FROM publication\b", s)) for s in statements)

    def summaries_read() -> int:  # the sets' summary another process may have stored
        return sum("FROM figures_summary" in s for s in statements)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        page()  # the first publishes
        assert worked_out == [(False, 5)]
        assert page() == 1 and worked_out == [(False, 5)]
        assert summaries_read() == 0  # kept by this process: not even the stored copy read
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_shown_figures_give_back_each_figure_as_it_was_read(app):
    """Held as columns: each figure comes back with its Nones (not 0 or NaN), its zeros
    (not None), its level bands and its keys; a key not held is a KeyError."""
    from survey.publication import ShownFigure, ShownFigures

    b7 = ShownFigure(3, 7, "b", 5, 2.5, None, 0.0, 4.0, [[1, 2, 5]], None)
    a0 = ShownFigure(4, 0, "a", 6, None, 3.0, None, None, None, 0)
    figures = ShownFigures(
        ["b", "a"],
        np.array([0 << 32 | 7, 1 << 32 | 0]),  # (domain's place, area), ascending
        np.array([[3, 5, -1], [4, 6, 0]]),
        np.array([[2.5, np.nan, 0.0, 4.0], [np.nan, 3.0, np.nan, np.nan]]),
        np.array([[False, True, False, False], [True, False, True, True]]),
        {0: [[1, 2, 5]]},
    )
    assert dict(figures) == {(7, "b"): b7, (0, "a"): a0} and len(figures) == 2
    assert list(figures) == [(7, "b"), (0, "a")] and list(figures.items()) == [
        ((7, "b"), b7),
        ((0, "a"), a0),
    ]
    # (2**32, "b") would be (0, "a")'s number, and (9, "a") comes after every figure's
    for missing in [(0, "b"), (7, "c"), (-1, "b"), (8, "b"), (9, "a"), (2**32, "b")]:
        assert missing not in figures and figures.get(missing) is None
        with pytest.raises(
            KeyError, match=f"^{missing!r}$".replace("(", r"\(").replace(")", r"\)")
        ):
            figures[missing]


def test_shown_figures_are_the_ledgers_latest_rows_field_by_field(app):
    """Two publications of one area (five more groups in between): each figure shown is,
    field for field, its slot's row in the latest publication that has one. Level bands
    only where that row has them (the response count has none, the older publication's
    rows are not read as the newer's), and invitations only on the response count."""
    from survey.publication import RESPONDED, ShownFigure, publish, shown_figures

    round_id, hood_id = _seed(12)  # welcoming at 1 to 5 in turn: bands 1-2 and 3-5
    first, _ = publish(db.session.get(Round, round_id), moderated=False, threshold=5)
    db.session.commit()
    round_, hood = db.session.get(Round, round_id), db.session.get(factories.Area, hood_id)
    for _ in range(5):  # five more groups, overall at 1: the 12 at 3 and these in two bands
        org = factories.organisation(area=hood)
        factories.submitted_response(round_, org, {"welcoming": 5, OVERALL: 1}, areas=[hood])
    db.session.commit()
    latest, _ = publish(db.session.get(Round, round_id), moderated=False, threshold=5)
    db.session.commit()
    assert latest.id != first.id and not latest.hidden
    expected: dict[tuple[int, str], PublishedFigure] = {}
    for row in db.session.scalars(sa.select(PublishedFigure).order_by(PublishedFigure.id)):
        if (row.area_id, row.domain_id) not in expected or row.publication_id == latest.id:
            expected[row.area_id, row.domain_id] = row
    assert {row.publication_id for row in expected.values()} == {latest.id}
    older = db.session.scalars(
        sa.select(PublishedFigure).where(PublishedFigure.publication_id == first.id)
    ).all()
    assert {row.domain_id for row in older if row.level_bands} == {"welcoming"}  # not shown
    shown = shown_figures(latest, [hood_id])
    assert dict(shown) == {
        key: ShownFigure(
            row.publication_id,
            row.area_id,
            row.domain_id,
            row.n,
            row.mean,
            row.median,
            row.ci_low,
            row.ci_high,
            row.level_bands,
            row.invited,
        )
        for key, row in expected.items()
    }
    # what makes the comparison telling: bands on the overall figure and welcoming's, none
    # on the response count; 17 groups invited, counted on the response count alone
    assert {d for (_, d), f in shown.items() if f.level_bands} == {OVERALL, "welcoming"}
    assert {(d, f.invited) for (_, d), f in shown.items()} == {
        (OVERALL, None),
        ("welcoming", None),
        (RESPONDED, 17),
    }


def test_a_page_reads_the_change_tokens_rows_once_for_every_round_it_shows(app, monkeypatch):
    """A trends page publishes each of its rounds: the rows behind their change tokens are
    read once for the page (survey.publication_token), not once a round."""
    from survey import publication_token
    from survey.publication import publish

    round_id, _ = _seed(6)
    other = factories.survey_round("confidence", slug="confidence-other")
    db.session.commit()
    reads = []
    real = publication_token._rows
    monkeypatch.setattr(publication_token, "_rows", lambda: reads.append(1) or real())
    with app.test_request_context("/", method="GET"):
        publish(db.session.get(Round, round_id), moderated=False, threshold=5)
        publish(db.session.get(Round, other.id), moderated=False, threshold=5)
    assert len(reads) == 1


def test_publishing_leaves_what_the_caller_loaded_and_its_session_as_they_were(app):
    """A refresh commits its own transaction, but the caller's objects are not expired by
    it (a page's thousands of areas would each be read again) and the session's own
    setting is put back for the caller's later commits."""
    from survey.publication import publish

    round_id, hood_id = _seed(6)
    round_ = db.session.get(Round, round_id)
    hood = db.session.get(factories.Area, hood_id)
    assert db.session().expire_on_commit is True
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    made, _ = publish(round_, moderated=False, threshold=5)  # the first: it refreshes
    assert made.seq == 1
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert (hood.code, round_.slug) == ("P-N", "confidence-pub")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
    assert db.session().expire_on_commit is True


def test_each_threshold_in_turn_gets_a_publication_made_at_it(app):
    """One process, one round, the threshold changed back and forth (a setting changed and
    changed back): each read is given the figures published at the threshold it asks for,
    never those of the other, though the groups have not changed."""
    from survey.publication import publish

    round_id, _ = _seed(6)
    for threshold in (5, 2, 5, 2):
        made, _ = publish(db.session.get(Round, round_id), moderated=False, threshold=threshold)
        db.session.commit()
        assert made.threshold == threshold
