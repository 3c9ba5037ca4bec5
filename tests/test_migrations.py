"""Migrations: a database made at the first revision, with data in it, upgrades to the
newest without losing a row; and the models match what the migrations build.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db

from .conftest import ENGINES

FIRST = "0001"

# A round as every revision since the first has its columns (id and slug given).
ROUND_ROW = sa.text(
    "INSERT INTO survey_round (id, slug, title, instrument_id, instrument_version, opens_on, "
    "closes_on, created_at) VALUES (:id, :slug, 'C', 'confidence', '2025.1', '2025-05-01', "
    "'2025-07-31', '2025-01-01')"
)

# A few rows in the tables that hold what groups said, as the first schema has them.
ROWS = {
    "area": [{"id": 1, "code": "E54000048", "name": "Lancashire and South Cumbria", "type": "ics"}],
    "broker": [{"id": 1, "name": "Northvale CVS"}],
    "organisation": [
        {"id": 1, "name": "Lunch club", "area_id": 1, "broker_id": 1, "consent_broker": True}
    ],
    "survey_round": [
        {
            "id": 1,
            "slug": "confidence-2024",
            "title": "Confidence 2024",
            "instrument_id": "confidence",
            "instrument_version": "2025.1",
            "opens_on": dt.date(2024, 5, 1),
            "closes_on": dt.date(2024, 7, 31),
        }
    ],
    "invitation": [{"id": 1, "round_id": 1, "organisation_id": 1, "token": "tok-1"}],
    "response": [
        {"id": 1, "round_id": 1, "invitation_id": 1, "organisation_id": 1, "status": "submitted"}
    ],
    "answer": [{"id": 1, "response_id": 1, "question_id": "wa_welcome", "value": "often"}],
    "domain_score": [{"id": 1, "response_id": 1, "domain_id": "overall", "score": 3.5, "level": 4}],
    "staff_user": [{"id": 1, "email": "admin@example.org", "password_hash": "x", "role": "admin"}],
    "audit_event": [{"id": 1, "actor": "cli", "action": "sign-in"}],
}


def _filler(column: sa.Column):
    """A value for a required column the rows above do not name."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2025, 1, 1)
    if isinstance(kind, sa.Date):
        return dt.date(2025, 1, 1)
    if isinstance(kind, sa.Integer):
        return 1 if column.name == "version" else 0
    if isinstance(kind, sa.Float | sa.Numeric):
        return 0.0
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


@pytest.fixture(params=ENGINES)
def empty_database(request, tmp_path):
    """The URL of a brand-new, empty database (SQLite file, or a fresh PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server_url = request.getfixturevalue("postgres_url")
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield server_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


def test_upgrading_from_the_first_migration_keeps_every_row(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision=FIRST)
        old = sa.MetaData()
        old.reflect(bind=db.engine)
        with db.engine.begin() as conn:
            for name, rows in ROWS.items():
                table = old.tables[name]
                required = [c for c in table.columns if not c.nullable and c.server_default is None]
                for row in rows:
                    full = {c.name: _filler(c) for c in required if c.name not in row} | row
                    conn.execute(table.insert().values(**full))
            if conn.dialect.name == "postgresql":
                for name in ROWS:  # rows were given ids: move the sequences past them
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
        upgrade()
        new = sa.MetaData()
        new.reflect(bind=db.engine)
        with db.engine.connect() as conn:
            head = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            for name, rows in ROWS.items():
                table = new.tables[name]
                for row in rows:
                    stored = conn.execute(sa.select(table).where(table.c.id == row["id"])).one()
                    for column, value in row.items():
                        assert stored._mapping[column] == value, (name, column)
        assert head == _head_revision(app)
        db.engine.dispose()


def _head_revision(app) -> str:
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def test_the_models_match_the_migrations(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], (
        "survey/models.py and the migrations differ: add a migration "
        "(.venv/bin/flask --app survey db migrate -m '...', then read and edit what it wrote)"
    )


def test_places_migration_keeps_groups_and_says_how_they_were_placed(empty_database):
    """0005: typed-in coordinates are marked as given; a group with an area and no
    coordinates had its area named; areas keep their shapes with no footprint method."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO area (id, code, name, type, geometry) "
                    "VALUES (1, 'W1', 'Ward', 'ward', '{}')"
                )
            )
            for id_, area, lon in ((1, 1, -2.7), (2, 1, None), (3, None, None)):
                conn.execute(
                    sa.text(
                        "INSERT INTO organisation (id, name, area_id, lon, lat, consent_broker, "
                        "consent_area_lead, consent_directory, created_at) VALUES (:id, :name, "
                        ":area, :lon, :lat, false, false, false, '2025-01-01')"
                    ),
                    {"id": id_, "name": f"Group {id_}", "area": area, "lon": lon, "lat": lon},
                )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, name, located_by, area_given FROM organisation ORDER BY id")
            ).all()
            area = conn.execute(
                sa.text("SELECT geometry, footprint_method, footprint_on FROM area")
            ).one()
            postcodes = conn.execute(sa.text("SELECT count(*) FROM postcode")).scalar()
        assert [tuple(r) for r in rows] == [
            (1, "Group 1", "given", False),
            (2, "Group 2", None, True),
            (3, "Group 3", None, False),
        ]
        assert tuple(area) == ("{}", None, None)
        assert postcodes == 0
        db.engine.dispose()


def test_help_requests_migration_keeps_groups_and_takes_requests_and_their_log(empty_database):
    """0007: groups, rounds and staff made before it stay; a request and its contact log
    can be stored after it; a second open request about the same thing is refused; and
    it downgrades cleanly to 0006."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO broker (id, name) VALUES (1, 'Northvale CVS')"))
            conn.execute(
                sa.text(
                    "INSERT INTO organisation (id, name, broker_id, consent_broker, "
                    "consent_area_lead, consent_directory, area_given, created_at) VALUES "
                    "(1, 'Lunch club', 1, false, false, false, false, '2025-01-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO survey_round (id, slug, title, instrument_id, "
                    "instrument_version, opens_on, closes_on, created_at) VALUES (1, 'c-2025', "
                    "'C 2025', 'confidence', '2025.1', '2025-05-01', '2025-07-31', '2025-01-01')"
                )
            )
        upgrade()
        insert = sa.text(
            "INSERT INTO help_request (round_id, organisation_id, broker_id, subject_key, "
            "subject, contact_by, contact_detail, status, created_at, updated_at, version) "
            "VALUES (1, 1, 1, 'offer:cyber', 'Cyber basics', 'phone', '01234', :status, "
            "'2025-06-01', '2025-06-01', 1)"
        )
        with db.engine.begin() as conn:
            conn.execute(insert, {"status": "done"})
            conn.execute(insert, {"status": "new"})  # a done one does not count as open
            conn.execute(
                sa.text(
                    "INSERT INTO help_request_note (help_request_id, contacted_on, text, author,"
                    " created_at) VALUES (2, '2025-06-02', 'phoned', 'a@b.example', '2025-06-02')"
                )
            )
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, {"status": "contacted"})  # a second open one: refused
        with db.engine.connect() as conn:
            org = conn.execute(sa.text("SELECT name, broker_id FROM organisation")).one()
            requests = conn.execute(
                sa.text("SELECT id, status FROM help_request ORDER BY id")
            ).all()
            notes = conn.execute(sa.text("SELECT help_request_id, text FROM help_request_note"))
            assert tuple(org) == ("Lunch club", 1)
            assert [tuple(r) for r in requests] == [(1, "done"), (2, "new")]
            assert [tuple(n) for n in notes] == [(2, "phoned")]
        downgrade(revision="0006")
        tables = sa.inspect(db.engine).get_table_names()
        assert "help_request" not in tables and "help_request_note" not in tables
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM organisation")).scalar() == "Lunch club"
        db.engine.dispose()


def test_directory_entry_migration_keeps_groups_and_takes_an_entry(empty_database):
    """0008: a group made before it stays; an entry with its details, venue and freshness
    can be stored after it; it downgrades cleanly."""
    before = "0007"
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision=before)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO organisation (id, name, consent_broker, consent_area_lead, "
                    "consent_directory, area_given, created_at) VALUES "
                    "(1, 'Lunch club', false, false, true, false, '2025-01-01'), "
                    "(2, 'Choir', false, false, false, false, '2025-01-01')"
                )
            )
        upgrade(revision="0008")
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("organisation")}
        assert "ix_organisation_listed" in indexes
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO directory_entry (organisation_id, details, venue_postcode, "
                    "venue_lat, venue_lon, confirmed_at, checked_on) VALUES (1, :details, "
                    "'LA1 4YW', 54.05, -2.8, '2026-01-02 10:00:00', '2026-02-03')"
                ),
                {"details": '{"offers": "Soup on Tuesdays"}'},
            )
            conn.execute(sa.text("DELETE FROM organisation WHERE id = 2"))
        with db.engine.connect() as conn:
            names = conn.execute(sa.text("SELECT name FROM organisation")).scalars().all()
            entry = conn.execute(
                sa.text("SELECT details, venue_postcode, venue_lat FROM directory_entry")
            ).one()
        assert names == ["Lunch club"]
        details = entry[0] if isinstance(entry[0], dict) else json.loads(entry[0])
        assert (details, entry[1], entry[2]) == ({"offers": "Soup on Tuesdays"}, "LA1 4YW", 54.05)
        downgrade(revision=before)
        assert "directory_entry" not in sa.inspect(db.engine).get_table_names()
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("organisation")}
        assert "ix_organisation_listed" not in indexes


def test_score_round_migration_gives_each_score_its_responses_round(empty_database):
    """0009: every stored score gets the round of its response (two rounds, so a wrong
    join would show); a score written after it gets the round from its response; and it
    downgrades cleanly to the revision before."""
    from alembic.script import ScriptDirectory

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        before = ScriptDirectory.from_config(config).get_revision("0009").down_revision
        upgrade(revision=before)
        with db.engine.begin() as conn:
            for round_id, year in ((1, 2024), (2, 2025)):
                conn.execute(
                    ROUND_ROW,
                    {"id": round_id, "slug": f"c-{year}"},
                )
            for response_id, round_id in ((1, 2), (2, 1), (3, 2)):
                conn.execute(
                    sa.text(
                        "INSERT INTO response (id, round_id, status, source, is_current, "
                        "started_at, updated_at, version) VALUES (:id, :round, 'submitted', "
                        "'web', true, '2025-06-01', '2025-06-01', 1)"
                    ),
                    {"id": response_id, "round": round_id},
                )
            for score_id, response_id in ((1, 1), (2, 2), (3, 3), (4, 2)):
                conn.execute(
                    sa.text(
                        "INSERT INTO domain_score (id, response_id, domain_id, score, level, "
                        "answered, applicable) VALUES (:id, :response, :domain, 3.0, 3, 1, 1)"
                    ),
                    {"id": score_id, "response": response_id, "domain": f"d{score_id}"},
                )
        upgrade(revision="0009")
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, response_id, round_id FROM domain_score ORDER BY id")
            ).all()
        # responses 1 and 3 are in round 2, response 2 in round 1
        assert [tuple(r) for r in rows] == [(1, 1, 2), (2, 2, 1), (3, 3, 2), (4, 2, 1)]
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO domain_score (response_id, domain_id, answered, applicable) "
                    "VALUES (1, 'no-round', 0, 0)"
                )
            )
        downgrade(revision=before)
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("domain_score")}
            kept = conn.execute(sa.text("SELECT count(*) FROM domain_score")).scalar()
        assert "round_id" not in columns and kept == 4
        db.engine.dispose()


def test_directory_state_migration_renews_its_token_and_downgrades_cleanly(empty_database):
    """0010: a database with a listed group gets the state row; a rename (plain SQL)
    renews its token and a new email does not; downgrading drops the row's table and
    every trigger, so the groups can still be changed after it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO organisation (id, name, area_given, consent_broker, "
                    "consent_area_lead, consent_directory, created_at) VALUES "
                    "(1, 'Lunch club', false, false, false, true, '2025-01-01')"
                )
            )
        upgrade(revision="0010")

        def token() -> str:
            with db.engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT token FROM directory_state ORDER BY id"))
                return "".join(rows.scalars())

        def write(sql: str) -> None:
            with db.engine.begin() as conn:
                conn.execute(sa.text(sql))

        first = token()
        rows = 16 if db.engine.dialect.name == "postgresql" else 1
        assert len(first) == 32 * rows
        write("UPDATE organisation SET email = 'a@example.org' WHERE id = 1")
        assert token() == first
        write("UPDATE organisation SET name = 'Lunch Club' WHERE id = 1")
        assert token() != first
        downgrade(revision="0009")
        write("UPDATE organisation SET name = 'Lunch club', consent_directory = false")
        with db.engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            kept = conn.execute(sa.text("SELECT name, consent_directory FROM organisation")).one()
        assert "directory_state" not in tables
        assert tuple(kept) == ("Lunch club", False)
        db.engine.dispose()


def test_figures_state_migration_gives_each_round_its_tokens_and_downgrades_cleanly(empty_database):
    """0011: a database with a round and a submission gets token rows for the round and
    for every round's shared part; moderating the submission (plain SQL) renews the
    round's and a draft's answer renews none; a round made after it gets its rows; and
    downgrading drops the table and every trigger, so scores can still be changed."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0010")

        def write(sql: str) -> None:
            with db.engine.begin() as conn:
                conn.execute(sa.text(sql))

        round_sql = (
            "INSERT INTO survey_round (id, slug, title, instrument_id, instrument_version, "
            "opens_on, closes_on, created_at) VALUES ({id}, 'c-{id}', 'C', 'confidence', "
            "'2025.1', '2025-05-01', '2025-07-31', '2025-01-01')"
        )
        write(round_sql.format(id=7))
        for response_id, status in ((1, "submitted"), (2, "in_progress")):
            write(
                "INSERT INTO response (id, round_id, status, source, is_current, started_at, "
                f"updated_at, version) VALUES ({response_id}, 7, '{status}', 'web', true, "
                "'2025-06-01', '2025-06-01', 1)"
            )
        write(
            "INSERT INTO domain_score (id, response_id, round_id, domain_id, score, level, "
            "answered, applicable) VALUES (1, 1, 7, 'overall', 3.0, 3, 1, 1)"
        )
        write(
            "INSERT INTO answer (id, response_id, question_id, value, updated_at) "
            "VALUES (1, 2, 'q1', '\"often\"', '2025-06-01')"
        )
        upgrade(revision="0011")

        def tokens() -> dict[int, list[str]]:
            with db.engine.connect() as conn:
                rows = conn.execute(
                    sa.text("SELECT round_id, token FROM figures_state ORDER BY round_id, slot")
                ).all()
            kept: dict[int, list[str]] = {}
            for round_id, token in rows:
                kept.setdefault(round_id, []).append(token)
            return kept

        slots = 16 if db.engine.dialect.name == "postgresql" else 1
        first = tokens()
        assert sorted(first) == [0, 7] and all(len(t) == slots for t in first.values())
        write("UPDATE answer SET value = '\"rarely\"' WHERE id = 1")
        assert tokens() == first
        write("UPDATE domain_score SET moderated_level = 2 WHERE id = 1")
        moderated = tokens()
        assert moderated[0] == first[0] and moderated[7] != first[7]
        write(round_sql.format(id=8))
        assert len(tokens()[8]) == slots
        downgrade(revision="0010")
        write("UPDATE domain_score SET moderated_level = 1 WHERE id = 1")
        write(round_sql.format(id=9))
        with db.engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            kept = conn.execute(sa.text("SELECT moderated_level FROM domain_score")).scalar()
        assert "figures_state" not in tables and kept == 1
        db.engine.dispose()


def test_figures_summary_migration_keeps_rounds_and_downgrades_cleanly(empty_database):
    """0012: a database with a round gets the (empty) summary table, which takes one
    summary per round, view and threshold; downgrading drops it and keeps the round."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0011")
        with db.engine.begin() as conn:
            conn.execute(ROUND_ROW, {"id": 3, "slug": "c-3"})
        upgrade(revision="0012")
        row = (
            "INSERT INTO figures_summary (round_id, moderated, threshold, token, fingerprint, "
            "present, invited) VALUES (3, false, 5, 't', 'f', '{\"overall\": [1]}', '{}')"
        )
        with db.engine.begin() as conn:
            conn.execute(sa.text(row))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text(row))  # one per round, view and threshold
        with db.engine.connect() as conn:
            present = conn.execute(sa.text("SELECT present FROM figures_summary")).scalar()
        present = json.loads(present) if isinstance(present, str) else present
        assert present == {"overall": [1]}
        downgrade(revision="0011")
        with db.engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            rounds = conn.execute(sa.text("SELECT count(*) FROM survey_round")).scalar()
        assert "figures_summary" not in tables and rounds == 1
        db.engine.dispose()


def test_figure_digest_migration_gives_every_figure_its_members_digest(empty_database):
    """0013: every published figure gets the digest of its members: sha256 of the members
    sorted and joined by commas (so ["2:3:3.0", "10:4:4.0"] is hashed as
    "10:4:4.0,2:3:3.0"), the same as scoring.members.members_digest; 2,001 figures, so
    the backfill crosses its batch of 2,000. Downgrading drops the column and the index and
    keeps the figures."""
    import hashlib

    from scoring.members import members_digest

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(ROUND_ROW, {"id": 3, "slug": "c-3"})
            conn.execute(
                sa.text("INSERT INTO area (id, code, name, type) VALUES (1, 'E1', 'Ward', 'ward')")
            )
            conn.execute(
                sa.text(
                    "INSERT INTO publication (id, round_id, seq, moderated, threshold, "
                    "fingerprint, hidden, published_at) "
                    "VALUES (1, 3, 1, false, 5, 'f', '[]', '2025-06-01')"
                )
            )
            figures = [
                {"id": 1, "members": json.dumps(["2:3:3.0", "10:4:4.0"]), "n": 2},
                *(
                    {"id": i, "members": json.dumps([f"{i}:1:1.0", f"{i + 1}:2:2.0"]), "n": 2}
                    for i in range(2, 2002)
                ),
            ]
            conn.execute(
                sa.text(
                    "INSERT INTO published_figure (id, publication_id, round_id, moderated, "
                    "area_id, domain_id, members, n) "
                    "VALUES (:id, 1, 3, false, 1, 'overall', :members, :n)"
                ),
                figures,
            )
        upgrade(revision="0013")
        with db.engine.connect() as conn:
            stored = dict(conn.execute(sa.text("SELECT id, digest FROM published_figure")).all())
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("published_figure")}
            checked = conn.execute(sa.text("SELECT checked FROM publication")).scalar()
        assert checked is None  # nothing checked is known of a publication made before
        assert stored[1] == hashlib.sha256(b"10:4:4.0,2:3:3.0").hexdigest()
        assert stored[1] == members_digest(["2:3:3.0", "10:4:4.0"])
        assert len(stored) == 2001
        assert all(
            stored[i] == members_digest([f"{i}:1:1.0", f"{i + 1}:2:2.0"]) for i in stored if i > 1
        )
        assert "ix_published_figure_round_domain_n" in indexes
        downgrade(revision="0012")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("published_figure")}
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("published_figure")}
            kept = conn.execute(sa.text("SELECT count(*) FROM published_figure")).scalar()
            of_publication = {c["name"] for c in sa.inspect(conn).get_columns("publication")}
        assert "digest" not in columns and kept == 2001
        assert "checked" not in of_publication and "hidden" in of_publication
        assert "ix_published_figure_round_domain_n" not in indexes
        db.engine.dispose()


def test_migrating_leaves_the_loggers_made_before_it_logging(tmp_path):
    """`survey run` upgrades the database in the process that then serves: alembic's
    logging set-up must not silence the app's own logger, made before it (it did: a
    refresh failing in the background, or a consent notice not sent, logged nothing)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.db'}"})
    logger = app.logger
    logger.disabled = False  # as a fresh process has it
    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert logger.disabled is False
