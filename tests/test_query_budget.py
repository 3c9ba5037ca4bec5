"""Staff pages at scale: a fixed number of SQL statements whatever the number of groups,
boundaries read only by the maps, and (on PostgreSQL) no sequential scan of the scores.

Each page is requested once to publish the round's figures, then once counted; with
three times the groups the same pages must issue exactly as many statements.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask import g

from survey.api.tokens import issue_token
from survey.extensions import db
from survey.models import Area, Broker, Organisation, Round
from tests import factories
from tests.areas.conftest import add_responses, square

BUDGET = 60  # statements per page, with any number of groups
SLUG = "confidence-q2"
MAPS = {"map (level)", "map (change)"}
# a boundary column in what a statement reads (a test of it being present is not a read)
READS_SHAPE = re.compile(r"area\.(display_)?geometry(?!\s+IS)")
READS_FULL_SHAPE = re.compile(r"area\.geometry(?!\s+IS)")


def _pages(token: str) -> dict[str, tuple[str, dict]]:
    auth = {"Authorization": f"Bearer {token}"}
    broker = db.session.scalar(sa.select(Broker.id).where(Broker.name == "Q broker"))
    return {
        "portfolio": (f"/portfolio/{SLUG}?broker={broker}", {}),
        "support plans": (f"/portfolio/{SLUG}/support-plans.xlsx?broker={broker}", {}),
        "map (level)": (f"/areas/map?round={SLUG}&type=neighbourhood", {}),
        "map (change)": (f"/areas/map?round={SLUG}&type=neighbourhood&measure=change", {}),
        "area page (ICS)": (f"/areas/Q-ICS?round={SLUG}", {}),
        "area page (place)": (f"/areas/Q-P1?round={SLUG}", {}),
        "compare": (f"/areas/compare?round={SLUG}&type=place&area=Q-P1&area=Q-P2", {}),
        "trends": ("/areas/Q-ICS/trends", {}),
        "board pack": ("/areas/Q-ICS/board-pack", {}),
        "board pack (xlsx)": ("/areas/Q-ICS/board-pack.xlsx", {}),
        "roadmap": (f"/areas/Q-ICS/rounds/{SLUG}/roadmap.xlsx", {}),
        "API aggregates": (f"/api/rounds/{SLUG}/aggregates?area_type=neighbourhood", auth),
        "admin scores CSV": (f"/rounds/{SLUG}/scores.csv", {}),
        "admin CSV (long)": (f"/rounds/{SLUG}/scores.csv?layout=long", {}),
        "admin scores JSON": (f"/rounds/{SLUG}/scores.json", {}),
        "ORUK services": ("/oruk/services", {}),
    }


def _geography() -> list[Area]:
    ics = factories.area("Q-ICS", type="ics", geometry=square(1.0, 52.0, 0.8))
    hoods = []
    for p in (1, 2):
        place = factories.area(f"Q-P{p}", type="place", parent=ics, geometry=square(p, 52.0))
        for h in (1, 2):
            shape = square(p + 0.1 * h, 52.0)
            hoods.append(
                factories.area(f"Q-N{p}{h}", parent=place, geometry=shape, display_geometry=shape)
            )
    for year in (2025, 2026):
        factories.survey_round(
            slug=f"confidence-q{year - 2024}",
            opens_on=dt.date(year, 5, 1),
            closes_on=dt.date(year, 7, 31),
            target_level=3,
        )
    return hoods


def _add_groups(hoods: list[Area], per_hood: int) -> None:
    """per_hood more groups in each neighbourhood, answering both rounds; as many more
    invited to both and not answering (half with an email address, so some are due a
    reminder); every group in the broker's portfolio, half sharing their answers."""
    broker = db.session.scalar(sa.select(Broker).where(Broker.name == "Q broker"))
    broker = broker or factories.broker("Q broker")
    rounds = list(db.session.scalars(sa.select(Round)))
    for round_ in rounds:
        for i, hood in enumerate(hoods):
            add_responses(round_, hood, [1.0 + (i + k) % 5 for k in range(per_hood)])
    for hood in hoods:
        for k in range(per_hood):
            org = factories.organisation(area=hood, email="q@example.org" if k % 2 else None)
            for round_ in rounds:
                factories.invitation(round_, org)
    for k, org in enumerate(db.session.scalars(sa.select(Organisation))):
        org.broker_id, org.consent_broker = broker.id, k % 2 == 0
    db.session.commit()


def _statements(app, client, pages) -> dict[str, list[tuple[str, object]]]:
    """Label -> the (statement, parameters) the page's counted request issued."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    out = {}
    for label, (path, headers) in pages.items():
        assert client.get(path, headers=headers).status_code == 200, label  # publishes
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            reply = client.get(path, headers=headers)
            reply.get_data()  # a streamed download reads as it is sent
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert reply.status_code == 200, label
        out[label], seen[:] = list(seen), []
        g.pop("api_token", None)  # the test's app context outlives the request, unlike a server's
    return out


def test_staff_pages_issue_as_many_statements_for_three_times_the_groups(app, client, login):
    hoods = _geography()
    _add_groups(hoods, 2)
    login("admin")
    _, token = issue_token("budget", actor="test")
    db.session.commit()
    pages = _pages(token)
    small = _statements(app, client, pages)
    _add_groups(hoods, 4)  # 8 groups, then 24
    large = _statements(app, client, pages)
    counts = {label: (len(small[label]), len(large[label])) for label in pages}
    assert all(a == b <= BUDGET for a, b in counts.values()), counts
    for label, statements in large.items():
        shapes = READS_FULL_SHAPE if label in MAPS else READS_SHAPE
        assert not [s for s, _ in statements if shapes.search(s)], label
    assert any(READS_SHAPE.search(s) for s, _ in large["map (level)"])  # the map draws


def test_no_staff_page_scans_the_whole_score_table_on_postgresql(pg_app):
    client = pg_app.test_client()
    hoods = _geography()
    _add_groups(hoods, 3)
    user = factories.user(role="admin")
    _, token = issue_token("explain", actor="test")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    statements = _statements(pg_app, client, _pages(token))
    on_scores = {
        (statement, repr(parameters)): parameters
        for page in statements.values()
        for statement, parameters in page
        if "domain_score" in statement and statement.lstrip().upper().startswith("SELECT")
    }
    assert on_scores  # the pages do read the scores
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("SET enable_seqscan = off")
        scans = []
        for (statement, _), parameters in on_scores.items():
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            if "Seq Scan on domain_score" in plan:
                scans.append(f"{statement}\n{plan}")
    assert scans == [], "\n\n".join(scans)


def test_postgresql_connections_compile_no_jit_even_after_a_rollback(pg_app):
    """JIT compiling cost staff statements more than it saved (see extensions): each new
    connection of the app's turns it off, as a setting that a rolled-back transaction
    does not undo. The server's default is on (a connection made without SQLAlchemy)."""
    import psycopg

    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
    db.session.rollback()
    db.session.remove()
    db.engine.dispose()  # a new connection
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
    plain = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as outside:
        assert outside.execute("SHOW jit").fetchone() == ("on",)
