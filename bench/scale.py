"""Benchmark: every staff page and export in-process, against a pandas group-by floor.

Not a test. For each database given (the demo at N groups: built here with --build N
when the database is empty, else reused), signs in as the demo admin and requests
each page once (which publishes the round's figures), then three timed times; prints
the median, the SQL statements one request issued, and the ratio to the floor: a
pandas group-by (count, mean, median, standard deviation per area and domain) over
the same score rows, read in the same run. With two databases, the growth exponent
from the smaller to the larger (time ~ groups^k) is printed for each page.

    .venv/bin/python bench/scale.py --database sqlite:////tmp/a.db --build 1000 \
        --database sqlite:////tmp/b.db --build 3000
    (or postgresql+psycopg://... ; targets, from issue 14: each page <= 3x the floor
    and under 1 s at 40,000 groups)
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey import create_app  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import (  # noqa: E402
    Area,
    Broker,
    DomainScore,
    Organisation,
    OrganisationArea,
    Response,
    Round,
    User,
)


def pages(ics: str, places: list[str], slug: str, token: str, broker: int) -> dict:
    """Label -> (path, headers) of each page timed."""
    compare = "&".join(f"area={c}" for c in places[:4])
    auth = {"Authorization": f"Bearer {token}"}
    return {
        "map (level)": (f"/areas/map?round={slug}&type=neighbourhood", {}),
        "map (change)": (f"/areas/map?round={slug}&type=neighbourhood&measure=change", {}),
        "area page (ICS)": (f"/areas/{ics}?round={slug}", {}),
        "area page (place)": (f"/areas/{places[0]}?round={slug}", {}),
        "compare": (f"/areas/compare?round={slug}&type=place&{compare}", {}),
        "trends": (f"/areas/{ics}/trends", {}),
        "board pack": (f"/areas/{ics}/board-pack", {}),
        "roadmap": (f"/areas/{ics}/rounds/{slug}/roadmap.xlsx", {}),
        "API aggregates": (f"/api/rounds/{slug}/aggregates?area_type=place", auth),
        "admin scores CSV": (f"/rounds/{slug}/scores.csv", {}),
        "support plans": (f"/portfolio/{slug}/support-plans.xlsx?broker={broker}", {}),
        "ORUK services": ("/oruk/services", {}),
    }


def floor(round_id: int) -> float:
    """Seconds for pandas to group the round's score rows by area and domain (median of 3)."""
    query = (
        sa.select(OrganisationArea.area_id, DomainScore.domain_id, DomainScore.score)
        .join(Response, Response.organisation_id == OrganisationArea.organisation_id)
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(Response.round_id == round_id, DomainScore.level.is_not(None))
    )
    frame = pd.DataFrame(db.session.execute(query).all(), columns=["area", "domain", "score"])
    times = []
    for _ in range(3):
        start = time.perf_counter()
        frame.groupby(["area", "domain"])["score"].agg(["count", "mean", "median", "std"])
        times.append(time.perf_counter() - start)
    print(f"  floor: {len(frame):,} score rows, pandas group-by {statistics.median(times):.3f} s")
    return statistics.median(times)


def run(url: str, build: int | None, repeat: int) -> tuple[int, dict[str, float]]:
    """Times per page for one database; returns its number of groups and the times."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    app = create_app()
    statements: list[int] = []
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        if build and not db.session.scalar(sa.select(sa.func.count()).select_from(Area)):
            from survey.demo import load_demo

            start = time.perf_counter()
            load_demo(groups=build)
            print(f"  built the demo at {build:,} groups in {time.perf_counter() - start:.0f} s")
        groups = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        ics = db.session.scalar(sa.select(Area.code).where(Area.type == "ics"))
        places = list(db.session.scalars(sa.select(Area.code).where(Area.type == "place")))
        round_ = db.session.scalar(
            sa.select(Round)
            .where(Round.instrument_id == "confidence")
            .order_by(Round.opens_on.desc())
        )
        admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
        broker = db.session.scalar(sa.select(Broker.id).order_by(Broker.id))
        from survey.api.tokens import issue_token

        _, token = issue_token("bench", "bench", admin.id)
        db.session.commit()
        admin_id, slug = admin.id, round_.slug
        base = floor(round_.id)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin_id)
        session["_fresh"] = True
    print(f"  {'page':<20} {'median s':>9} {'x floor':>8} {'queries':>8} {'bytes':>11}")
    out = {}
    for label, (path, headers) in pages(ics, places, slug, token, broker).items():
        reply = client.get(path, headers=headers)
        assert reply.status_code == 200, (label, reply.status_code, reply.data[:300])
        reply.get_data()  # a streamed download is read to its end, as a server would
        times = []
        for _ in range(repeat):
            statements.clear()
            start = time.perf_counter()
            reply = client.get(path, headers=headers)
            size = len(reply.get_data())
            times.append(time.perf_counter() - start)
        out[label] = statistics.median(times)
        print(
            f"  {label:<20} {out[label]:>9.3f} {out[label] / base:>8.1f} "
            f"{len(statements):>8} {size:>11,}"
        )
    with app.app_context():
        db.engine.dispose()
    return groups, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", required=True, help="a database URL")
    parser.add_argument("--build", action="append", type=int, help="groups, per --database")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    builds = (args.build or []) + [None] * len(args.database)
    results = []
    for url, build in zip(args.database, builds, strict=False):
        print(url)
        results.append(run(url, build, args.repeat))
    if len(results) >= 2:
        (g1, t1), (g2, t2) = results[0], results[-1]
        print(f"growth exponent from {g1:,} to {g2:,} groups (time ~ groups^k):")
        for label in t1:
            k = math.log(t2[label] / t1[label]) / math.log(g2 / g1)
            print(f"  {label:<20} {k:>5.2f}")


if __name__ == "__main__":
    main()
