"""The directory's state token: the database renews it with every write a listing, its
membership or an area filter is read from, and only then (migration 0010's triggers).
The API reuses what a filter matched only under an unchanged token, so these tests
write with plain SQL on a connection of its own, as another process would."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from exports.oruk import oruk_id
from survey import directory
from survey.extensions import db
from survey.models import DirectoryEntry

from .. import factories

# Each write the token must follow: (what it is, SQL). :org is a listed group with an
# entry and an area membership, :spare a group with neither, :area and :other areas.
RENEWING = [
    (
        "a group added",
        "INSERT INTO organisation (name, area_given, consent_broker, "
        "consent_area_lead, consent_directory, created_at) VALUES ('New', false, false, false, "
        "false, '2026-01-01')",
    ),  # fmt: skip
    ("a group renamed", "UPDATE organisation SET name = 'Renamed' WHERE id = :org"),
    (
        "a group's profile",
        'UPDATE organisation SET profile = \'{"activity": "choir"}\' WHERE id = :org',
    ),  # fmt: skip
    ("a group moved", "UPDATE organisation SET area_id = :other WHERE id = :org"),
    ("consent withdrawn", "UPDATE organisation SET consent_directory = false WHERE id = :org"),
    ("a group erased", "DELETE FROM organisation WHERE id = :spare"),
    (
        "an entry made",
        "INSERT INTO directory_entry (organisation_id, details) VALUES (:spare, '{}')",
    ),  # fmt: skip
    (
        "an entry's details",
        'UPDATE directory_entry SET details = \'{"times": "Fridays"}\' '
        "WHERE organisation_id = :org",
    ),  # fmt: skip
    (
        "still right",
        "UPDATE directory_entry SET confirmed_at = '2026-12-01' WHERE organisation_id = :org",
    ),  # fmt: skip
    (
        "a venue's place",
        "UPDATE directory_entry SET venue_lat = 54.2, venue_lon = -2.8 "
        "WHERE organisation_id = :org",
    ),  # fmt: skip
    ("an entry deleted", "DELETE FROM directory_entry WHERE organisation_id = :org"),
    ("an area added", "INSERT INTO area (code, name, type) VALUES ('T-NEW', 'New', 'ward')"),
    ("an area renamed", "UPDATE area SET name = 'Renamed Ward' WHERE id = :area"),
    ("an area's centre", "UPDATE area SET centroid_lat = 54.1 WHERE id = :area"),
    ("an area deleted", "DELETE FROM area WHERE id = :other"),
    (
        "a membership added",
        "INSERT INTO organisation_area (organisation_id, area_id) VALUES (:org, :other)",
    ),  # fmt: skip
    ("a membership removed", "DELETE FROM organisation_area WHERE organisation_id = :org"),
]
# Writes no listing reads: they must not renew it (they would empty the caches and
# queue behind the token's row for nothing).
KEEPING = [
    ("a group's email", "UPDATE organisation SET email = 'x@example.org' WHERE id = :org"),
    ("a group's own postcode", "UPDATE organisation SET postcode = 'LA1 1AA' WHERE id = :org"),
    (
        "reminders stopped",
        "UPDATE organisation SET reminders_stopped_at = '2026-12-01' WHERE id = :org",
    ),  # fmt: skip
    (
        "an entry's draft",
        'UPDATE directory_entry SET draft = \'{"times": "Sundays"}\' WHERE organisation_id = :org',
    ),  # fmt: skip
    (
        "an entry's email sent",
        "UPDATE directory_entry SET stale_emailed_at = '2026-12-01' WHERE organisation_id = :org",
    ),  # fmt: skip
    (
        "an audit event",
        "INSERT INTO audit_event (actor, action, at) VALUES ('cli', 'sign-in', '2026-12-01')",
    ),  # fmt: skip
]


def _setting() -> dict[str, int]:
    area = factories.area(code="T-MILL", name="Mill Ward")
    other = factories.area(code="T-DALE", name="Dale Ward")
    org = factories.organisation(name="Mill Singers", area=area, consent_directory=True)
    spare = factories.organisation(name="Spare", area=area)
    db.session.flush()
    db.session.add(DirectoryEntry(organisation_id=org.id, details={"times": "Mondays"}))
    db.session.execute(
        sa.text("INSERT INTO organisation_area (organisation_id, area_id) VALUES (:o, :a)"),
        {"o": org.id, "a": area.id},
    )
    db.session.commit()
    return {"org": org.id, "spare": spare.id, "area": area.id, "other": other.id}


def _token_after(sql: str, values: dict[str, int]) -> tuple[str, str]:
    """The token before and after one write, made and committed on a connection of its own."""
    before = directory.state_token()
    db.session.commit()  # end this session's snapshot
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), {k: v for k, v in values.items() if f":{k}" in sql})
    return before, directory.state_token()


@pytest.mark.parametrize("what, sql", RENEWING, ids=[w for w, _ in RENEWING])
def test_every_write_a_listing_is_read_from_renews_the_token(app, what, sql):
    values = _setting()
    before, after = _token_after(sql, values)
    assert before is not None and after is not None
    assert len(after) % 32 == 0 and int(after, 16) >= 0  # 16 random bytes a row, in hex
    assert after != before, what


@pytest.mark.parametrize("what, sql", KEEPING, ids=[w for w, _ in KEEPING])
def test_writes_no_listing_reads_leave_the_token_alone(app, what, sql):
    values = _setting()
    before, after = _token_after(sql, values)
    assert before is not None and after == before, what


def test_a_token_row_deleted_by_hand_comes_back_new_with_the_next_write(app):
    """Emptying every table (a reset) removes the row: nothing is reused without it
    (no token), and the next watched write puts a new one back."""
    values = _setting()
    old = directory.state_token()
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM directory_state"))
    assert directory.state_token() is None
    db.session.commit()
    _, after = _token_after("UPDATE organisation SET name = 'Back' WHERE id = :org", values)
    assert after is not None and after != old


def test_a_cached_filter_loses_a_group_withdrawn_by_another_process_at_once(app, client):
    """A search, an activity and an area page, each read twice (the second from the
    cache), then one group's consent withdrawn by plain SQL elsewhere: the very next
    reply of each leaves it out, counts included, and its own address is gone."""
    hood = factories.area(code="T-WELL", name="Well Ward")
    groups = [
        factories.organisation(
            name=f"Well Choir {n}", area=hood, consent_directory=True, profile={"activity": "choir"}
        )
        for n in range(3)
    ]
    db.session.commit()
    gone, gone_id = groups[1], groups[1].id  # read now: a read later would open a snapshot
    term = oruk_id("taxonomy-term", "choir")
    reads = [
        "/oruk/services?search=choir",
        f"/oruk/services?taxonomy_term_id={term}",
        "/oruk/services?area_code=T-WELL",
    ]

    def names(path: str) -> tuple[int, list[str]]:
        reply = client.get(path).get_json()
        return reply["total_items"], sorted(s["name"] for s in reply["contents"])

    every = sorted(g.name for g in groups)
    for path in reads:
        assert names(path) == names(path) == (3, every)
    assert len(directory._MATCHES) == len(reads)  # each filter's matches kept once
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE organisation SET consent_directory = false WHERE id = :id"),
            {"id": gone_id},
        )
    left = sorted(g.name for g in groups if g is not gone)
    for path in reads:
        assert names(path) == (2, left), path
    assert client.get(f"/oruk/services/{oruk_id('service', str(gone_id))}").status_code == 404
    assert "Well Choir 1" not in client.get("/directory/T-WELL").get_data(as_text=True)


def test_a_page_read_under_a_stale_token_still_asks_consent_of_the_database(app, client):
    """Belt and braces: even a match list kept under a token the database no longer
    has (a trigger dropped by a faulty migration, say) cannot publish a withdrawn group,
    because each page's listings are read through the consent query."""
    hood = factories.area(code="T-BRACE", name="Brace Ward")
    groups = [
        factories.organisation(name=f"Brace Club {n}", area=hood, consent_directory=True)
        for n in range(2)
    ]
    db.session.commit()
    first = groups[0].id
    assert client.get("/oruk/services?search=brace").get_json()["total_items"] == 2
    rows = db.session.execute(sa.text("SELECT id, token FROM directory_state")).all()
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE organisation SET consent_directory = false WHERE id = :id"),
            {"id": first},
        )
        for row_id, token in rows:  # the tokens put back as they were
            conn.execute(
                sa.text("UPDATE directory_state SET token = :t WHERE id = :id"),
                {"t": token, "id": row_id},
            )
    reply = client.get("/oruk/services?search=brace").get_json()
    assert [s["name"] for s in reply["contents"]] == ["Brace Club 1"]


def test_the_taxonomy_follows_a_change_of_activity_made_elsewhere(app, client):
    hood = factories.area(code="T-TAX", name="Tax Ward")
    org = factories.organisation(
        name="Tax Garden", area=hood, consent_directory=True, profile={"activity": "advice"}
    )
    db.session.commit()
    org_id = org.id

    def terms() -> list[str]:
        reply = client.get("/oruk/taxonomies").get_json()
        return [t["name"] for t in reply["contents"][0]["taxonomy_terms"]]

    assert terms() == terms() == ["advice"]
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE organisation SET profile = :p WHERE id = :id"),
            {"p": json.dumps({"activity": "gardening_nature"}), "id": org_id},
        )
    assert terms() == ["gardening nature"]


def test_concurrent_writers_on_postgresql_do_not_queue_behind_one_token(pg_app):
    """Two transactions each rename a group and stay open: the second is not made to
    wait for the first (a lock timeout would end it), each renews a token row of its
    own, and once both commit the state has moved."""
    values = _setting()
    before = directory.state_token()
    db.session.commit()

    def renewed(conn) -> str:
        return conn.execute(sa.text("SELECT current_setting('directory_state.row', true)")).scalar()

    with db.engine.connect() as one, db.engine.connect() as two:
        one.begin()
        two.begin()
        one.execute(
            sa.text("UPDATE organisation SET name = 'One' WHERE id = :id"), {"id": values["org"]}
        )
        two.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        two.execute(sa.text("UPDATE organisation SET name = 'Two' WHERE id = :id"),
                    {"id": values["spare"]})  # fmt: skip
        rows = {renewed(one), renewed(two)}
        one.commit()
        two.commit()
    assert len(rows) == 2 and None not in rows
    assert directory.state_token() != before


def test_a_postgresql_transaction_renews_its_token_once_and_reuses_nothing_after(pg_app):
    """A bulk write renews one row once (not once a statement: each update of a row in
    one transaction leaves a version the next steps over, so thousands of them grow
    quadratically), and the transaction itself, which may write more before it commits,
    gets no state token to reuse anything under."""
    values = _setting()
    db.session.commit()
    before = dict(db.session.execute(sa.text("SELECT id, token FROM directory_state")).all())
    db.session.commit()
    writes = sa.text(
        "SELECT n_tup_ins + n_tup_upd FROM pg_stat_xact_user_tables "
        "WHERE relname = 'directory_state'"
    )
    start = db.session.scalar(writes)
    for n in range(50):
        db.session.execute(
            sa.text("UPDATE organisation SET name = :name WHERE id = :id"),
            {"name": f"Renamed {n}", "id": values["org"]},
        )
    assert db.session.scalar(writes) - start == 1  # 50 renames, one write to a token row
    assert directory.state_token() is None
    db.session.commit()
    after = dict(db.session.execute(sa.text("SELECT id, token FROM directory_state")).all())
    changed = [row for row in after if after[row] != before[row]]
    assert len(changed) == 1  # one row renewed, once
    assert directory.state_token() is not None  # a new transaction, which has written nothing
