"""The figures' state tokens: the database renews a round's with every write its area
figures are read from, and only then (migration 0011's triggers); round 0's with every
write to the areas or the groups' areas, which every round reads. A page reuses the
member sets it worked out before (survey.publication) only under unchanged tokens, so
these tests write with plain SQL on a connection of their own, as another process would.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey import publication
from survey.extensions import db
from survey.models import OVERALL, Answer, Response, ResponseStatus
from survey.publication_token import EVERY_ROUND, change_token

from .. import factories

# (what, SQL, whose tokens it must renew). :sent is a current submission of this year's
# round with a score, an answer (:answer) and an invitation (:invite); :bare one with
# neither; :draft a draft with an answer (:draft_answer); :old a submission :sent
# replaced, with an answer (:old_answer); :before last year's submission; :ward an area
# with a group in it, :spare an area with none; :other a round of another instrument.
RENEWING = [
    ("a draft submitted", "UPDATE response SET status = 'submitted' WHERE id = :draft", {"this"}),
    ("a submission replaced", "UPDATE response SET is_current = false WHERE id = :sent", {"this"}),
    (
        "a submission amended",
        "UPDATE response SET version = version + 1 WHERE id = :sent",
        {"this"},
    ),  # fmt: skip
    ("a submission's area", "UPDATE response SET area_id = :ward WHERE id = :sent", {"this"}),
    ("a submission erased", "DELETE FROM response WHERE id = :bare", {"this"}),
    (
        "a score added",
        "INSERT INTO domain_score (response_id, round_id, domain_id, score, level, answered, "
        "applicable) VALUES (:bare, :this, 'overall', 2.0, 2, 1, 1)",
        {"this"},
    ),
    ("a score changed", "UPDATE domain_score SET score = 1.5 WHERE response_id = :sent", {"this"}),
    (
        "a level moderated",
        "UPDATE domain_score SET moderated_level = 1 WHERE response_id = :before",
        {"last"},
    ),  # fmt: skip
    ("an ambition", "UPDATE domain_score SET ambition = 5 WHERE response_id = :sent", {"this"}),
    ("a score deleted", "DELETE FROM domain_score WHERE response_id = :sent", {"this"}),
    (
        "an invitation sent",
        "INSERT INTO invitation (round_id, organisation_id, token, created_at) "
        "VALUES (:other, :org, 'tok-new', '2026-01-01')",
        {"other"},
    ),
    (
        "an invitation revoked",
        "UPDATE invitation SET revoked_at = '2026-12-01' WHERE id = :invite",
        {"this"},
    ),  # fmt: skip
    ("an invitation deleted", "DELETE FROM invitation WHERE id = :spare_invite", {"other"}),
    ("a submission's answer", "UPDATE answer SET value = '\"never\"' WHERE id = :answer", {"this"}),
    (
        "an answer added to a submission",
        "INSERT INTO answer (response_id, question_id, value, updated_at) "
        "VALUES (:sent, 'extra', '\"yes\"', '2026-01-01')",
        {"this"},
    ),
    (
        "a group placed",
        "INSERT INTO organisation_area (organisation_id, area_id) VALUES (:org, :spare)",
        {"every"},
    ),  # fmt: skip
    ("a group unplaced", "DELETE FROM organisation_area WHERE area_id = :ward", {"every"}),
    (
        "an area added",
        "INSERT INTO area (code, name, type) VALUES ('T-NEW', 'New', 'ward')",
        {"every"},
    ),  # fmt: skip
    ("an area's parent", "UPDATE area SET parent_id = NULL WHERE id = :ward", {"every"}),
    ("an area deleted", "DELETE FROM area WHERE id = :spare", {"every"}),
]
# Writes no figure reads: they must not renew (each renewal costs the next page the sets
# worked out again, seconds at tens of thousands of groups).
KEEPING = [
    (
        "a draft saved",
        "UPDATE response SET version = version + 1, visited = '[\"a\"]' WHERE id = :draft",
    ),  # fmt: skip
    ("a draft's answer", "UPDATE answer SET value = '\"often\"' WHERE id = :draft_answer"),
    (
        "an answer added to a draft",
        "INSERT INTO answer (response_id, question_id, value, updated_at) "
        "VALUES (:draft, 'extra', '\"yes\"', '2026-01-01')",
    ),
    ("a replaced submission's answer", "UPDATE answer SET value = '\"no\"' WHERE id = :old_answer"),
    (
        "a moderation note",
        "UPDATE domain_score SET moderation_note = 'seen' WHERE response_id = :sent",
    ),
    ("a private link", "UPDATE invitation SET private_token = 'p-1' WHERE id = :invite"),
    ("an area renamed", "UPDATE area SET name = 'Renamed Ward' WHERE id = :ward"),
    (
        "a boundary redrawn",
        "UPDATE area SET geometry = '{}', display_geometry = '{}' WHERE id = :ward",
    ),  # fmt: skip
    ("a group renamed", "UPDATE organisation SET name = 'Renamed' WHERE id = :org"),
    (
        "an audit event",
        "INSERT INTO audit_event (actor, action, at) VALUES ('cli', 'sign-in', '2026-12-01')",
    ),
]


def _setting() -> dict[str, int]:
    ics = factories.area(code="T-ICS", name="Test ICS", type="ics")
    ward = factories.area(code="T-MILL", name="Mill Ward", parent=ics)
    spare = factories.area(code="T-DALE", name="Dale Ward")
    org = factories.organisation(name="Mill Singers", area=ward)
    other_org = factories.organisation(name="Dale Walkers", area=ward)
    third = factories.organisation(name="Tea Room", area=ward)
    last = factories.round_of_year("confidence", 2025, "confidence-2025")
    this = factories.round_of_year("confidence", 2026, "confidence-2026")
    other = factories.survey_round("vcse-readiness")
    before = factories.submitted_response(last, org, {OVERALL: 2}, areas=[ward])
    sent = factories.submitted_response(this, org, {OVERALL: 3}, answers={"q1": "often"})
    old = factories.submitted_response(this, other_org, {}, answers={"q1": "rarely"})
    old.is_current = False
    bare = factories.submitted_response(this, third, {})
    draft = Response(round=this, organisation=other_org, status=ResponseStatus.IN_PROGRESS)
    draft.answers.append(Answer(question_id="q1", value="sometimes"))
    db.session.add(draft)
    spare_invite = factories.invitation(other, organisation=third)
    db.session.commit()
    return {
        "this": this.id,
        "last": last.id,
        "other": other.id,
        "sent": sent.id,
        "bare": bare.id,
        "draft": draft.id,
        "old": old.id,
        "before": before.id,
        "answer": sent.answers[0].id,
        "draft_answer": draft.answers[0].id,
        "old_answer": old.answers[0].id,
        "invite": sent.invitation_id,
        "spare_invite": spare_invite.id,
        "org": org.id,
        "ward": ward.id,
        "spare": spare.id,
    }


def _tokens(values: dict[str, int]) -> dict[str, tuple]:
    """Each named round's committed token rows, read on a connection of their own."""
    names = {"every": EVERY_ROUND, **{k: values[k] for k in ("this", "last", "other")}}
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT round_id, token FROM figures_state ORDER BY round_id, slot")
        ).all()
    return {name: tuple(t for r, t in rows if r == id_) for name, id_ in names.items()}


def _write(sql: str, values: dict[str, int]) -> None:
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), {k: v for k, v in values.items() if f":{k}" in sql})


@pytest.mark.parametrize("what, sql, renewed", RENEWING, ids=[w for w, _, _ in RENEWING])
def test_every_write_a_figure_is_read_from_renews_its_rounds_token_alone(app, what, sql, renewed):
    values = _setting()
    before = _tokens(values)
    assert all(before.values())  # every round has its rows from its creation
    _write(sql, values)
    after = _tokens(values)
    assert {name for name in before if after[name] != before[name]} == renewed, what


@pytest.mark.parametrize("what, sql", KEEPING, ids=[w for w, _ in KEEPING])
def test_writes_no_figure_reads_leave_every_token_alone(app, what, sql):
    values = _setting()
    before = _tokens(values)
    _write(sql, values)
    assert _tokens(values) == before, what


def test_a_rounds_token_carries_the_previous_rounds_and_the_areas(app):
    """This year's figures include the change since last year, so a moderation of last
    year's changes this year's token; a round of another instrument keeps its own."""
    values = _setting()
    this, other = (db.session.get(publication.Round, values[k]) for k in ("this", "other"))
    tokens = {r.id: change_token(r) for r in (this, other)}
    assert None not in tokens.values()
    _write("UPDATE domain_score SET moderated_level = 1 WHERE response_id = :before", values)
    assert change_token(this) != tokens[this.id]
    assert change_token(other) == tokens[other.id]
    _write("DELETE FROM organisation_area WHERE area_id = :ward", values)
    assert change_token(other) != tokens[other.id]


def test_with_a_rounds_rows_deleted_by_hand_nothing_is_reused(app, monkeypatch):
    """A table emptied by hand could come back to the same (empty) tokens after a change:
    with a round's rows missing there is no token, and every read works the sets out."""
    values = _setting()
    this = db.session.get(publication.Round, values["this"])
    worked_out = []
    real = publication.current_state
    monkeypatch.setattr(publication, "current_state", lambda *a: worked_out.append(1) or real(*a))

    def read() -> None:
        publication.publish(this, moderated=False, threshold=5)
        db.session.commit()

    read()
    read()
    assert len(worked_out) == 1  # kept between reads
    _write("DELETE FROM figures_state WHERE round_id = :this", values)
    assert change_token(this) is None
    read()
    read()
    assert len(worked_out) == 3
    _write("UPDATE domain_score SET score = 1.5 WHERE response_id = :sent", values)
    assert change_token(this) is not None  # the next write puts a row back
    read()
    read()
    assert len(worked_out) == 4


def test_concurrent_submissions_on_postgresql_do_not_queue_behind_one_token(pg_app):
    """Two transactions each submit in the same round and stay open: the second is not
    made to wait for the first (a lock timeout would end it); once both commit, the
    round's token has moved and two of its rows were renewed."""
    values = _setting()
    before = _tokens(values)["this"]
    with db.engine.connect() as one, db.engine.connect() as two:
        one.begin()
        two.begin()
        one.execute(sa.text("UPDATE response SET status = 'submitted' WHERE id = :id"),
                    {"id": values["draft"]})  # fmt: skip
        two.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        two.execute(sa.text("UPDATE domain_score SET level = 1 WHERE response_id = :id"),
                    {"id": values["sent"]})  # fmt: skip
        one.commit()
        two.commit()
    after = _tokens(values)["this"]
    assert len(after) == len(before) == 16
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 2


def test_a_postgresql_transaction_renews_a_rounds_token_once_and_reuses_nothing_after(pg_app):
    """A bulk write (an import, the demo) renews each round's token once, not once a row,
    and the transaction itself, which may write more before it commits, gets no token."""
    values = _setting()
    this = db.session.get(publication.Round, values["this"])
    assert change_token(this) is not None
    db.session.commit()
    writes = sa.text(
        "SELECT n_tup_ins + n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'figures_state'"
    )
    start = db.session.scalar(writes)
    for n in range(50):
        db.session.execute(
            sa.text(
                "INSERT INTO domain_score (response_id, round_id, domain_id, score, level, "
                "answered, applicable) VALUES (:r, :round, :d, 2.0, 2, 1, 1)"
            ),
            {"r": values["bare"], "round": values["this"], "d": f"d{n}"},
        )
    db.session.execute(
        sa.text("UPDATE domain_score SET ambition = 4 WHERE response_id = :r"),
        {"r": values["before"]},
    )
    assert db.session.scalar(writes) - start == 2  # this year's round once, last year's once
    assert change_token(this) is None
    db.session.commit()
    assert change_token(this) is not None  # a new transaction, which has written nothing


def test_truncating_a_table_on_postgresql_renews_every_token(pg_app):
    values = _setting()
    before = _tokens(values)
    _write("TRUNCATE organisation_area", values)
    after = _tokens(values)
    assert all(after[name] != before[name] for name in before)


def _counting(monkeypatch) -> list:
    worked_out: list = []
    real = publication.current_state
    monkeypatch.setattr(publication, "current_state", lambda *a: worked_out.append(1) or real(*a))
    return worked_out


def test_another_process_takes_the_summary_stored_under_the_same_token_and_no_other(
    app, monkeypatch
):
    """A process that has not worked out the sets (its memory is empty) takes the summary
    another stored under the token it sees; after a change, the stored one is under the
    old token, so the next process works them out again and stores them in turn."""
    values = _setting()
    this = db.session.get(publication.Round, values["this"])
    worked_out = _counting(monkeypatch)

    def read_in_a_new_process():
        monkeypatch.setattr(publication, "_KNOWN", {})
        _, state = publication.publish(this, moderated=False, threshold=2)
        db.session.commit()
        return state

    first = read_in_a_new_process()
    assert len(worked_out) == 1  # the sets, worked out here
    # the caller is given their summary, the one this process remembers, not the sets
    assert not first.sets and first.members is None and first.present is not None
    [(_, remembered)] = publication._KNOWN.values()
    assert remembered is first
    second = read_in_a_new_process()
    assert len(worked_out) == 1 and not second.sets  # the stored summary, no sets
    assert second is not first  # read from the store, by a process that knew nothing
    assert (second.fingerprint, second.invited, second.present) == (
        first.fingerprint,
        first.invited,
        first.present,
    )
    # and remembered by that process under the view and token: its next read asks the
    # store nothing, and is given the same summary
    [(key, (token, remembered))] = publication._KNOWN.items()
    assert key == (str(db.engine.url), this.id, False, 2) and remembered is second
    assert token == change_token(this)
    stored_reads = []
    real_row = publication._summary_row
    monkeypatch.setattr(
        publication, "_summary_row", lambda *a: stored_reads.append(1) or real_row(*a)
    )
    _, third = publication.publish(this, moderated=False, threshold=2)
    db.session.commit()
    assert third is second and stored_reads == [] and len(worked_out) == 1
    monkeypatch.setattr(publication, "_summary_row", real_row)
    assert second.has_members(OVERALL, values["ward"])
    _write("UPDATE domain_score SET score = 1.5 WHERE response_id = :sent", values)
    read_in_a_new_process()
    assert len(worked_out) == 2
    read_in_a_new_process()
    assert len(worked_out) == 2


def test_a_request_that_may_write_stores_no_summary(app, monkeypatch):
    """Storing commits: never inside a request that may have writes of its own pending (a
    POST), but from a page that only reads (GET, HEAD) or from no request at all."""
    values = _setting()
    this = db.session.get(publication.Round, values["this"])
    for method, stores in (("POST", 0), ("HEAD", 1), ("GET", 1), (None, 1)):
        db.session.execute(sa.text("DELETE FROM figures_summary"))
        db.session.commit()
        monkeypatch.setattr(publication, "_KNOWN", {})  # a process that knows nothing yet
        if method is None:
            publication.publish(this, moderated=False, threshold=2)
        else:
            with app.test_request_context("/", method=method):
                publication.publish(this, moderated=False, threshold=2)
        db.session.commit()
        stored = db.session.scalar(sa.text("SELECT count(*) FROM figures_summary"))
        assert stored == stores, method


def test_a_rounds_token_is_its_rows_in_slot_order_however_they_are_stored(pg_app):
    """On PostgreSQL a round has 16 token rows (slots 1 to 16), and a renewed row is stored
    after the others (an update writes a new row version at the end). The token still
    lists them by slot: the same rows give the same token however the table happens to
    be stored and read."""
    values = _setting()
    this = db.session.get(publication.Round, values["this"])
    db.session.commit()
    _write("UPDATE figures_state SET token = 'renewed-first' WHERE round_id = :this AND slot = 1",
           values)  # fmt: skip
    for scan in ("indexscan", "indexonlyscan", "bitmapscan"):  # read as stored, not by index
        db.session.execute(sa.text(f"SET LOCAL enable_{scan} = off"))
    stored = (
        db.session.execute(  # in the table's stored order: the renewed row last
            sa.text("SELECT slot FROM figures_state WHERE round_id = :this"), values
        )
        .scalars()
        .all()
    )
    assert stored[-1] == 1
    token = change_token(this)
    assert token is not None and _tokens(values)["this"][0] == "renewed-first"
    assert dict(token[-1])[values["this"]] == _tokens(values)["this"]  # by slot


def test_the_stored_summarys_ids_go_as_parameters_not_in_the_statement(app):
    """SQLAlchemy keeps each shape of statement it compiles, with the first statement of
    that shape: the summary's ids (280,000 at 40,000 groups) must not be in it."""
    summary = publication.Current(
        invited={7: 3},
        fingerprint="f",
        present={OVERALL: publication.AreaBits.of([9, 2])},
    )
    statement, values = publication._summary_upsert(1, False, 5, ("t",), summary)
    assert values["present"] == {OVERALL: [2, 9]} and values["invited"] == {"7": 3}
    compiled = statement.compile(dialect=db.session.get_bind().dialect)
    assert all(value is None for value in compiled.params.values())
