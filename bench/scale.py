"""Benchmark: every staff page and export in-process, against a pandas group-by floor.

Not a test. For each database given (the demo at N groups: built here with --build N
when the database is empty, else reused), signs in as the demo admin and requests
each page once ("first s": the first request publishes the round's figures), then
three timed times; prints the median, the SQL statements one request issued, and the
ratio to the floor: a pandas group-by (count, mean, median, standard deviation per area
and domain) over the same score rows, read in the same run (after the pages). With two
databases, the growth exponent from the smaller to the larger (time ~ groups^k) is
printed for each page.

--national adds (once per database) a national-shaped small-area layer under the
demo's neighbourhoods (at least 7,500 LSOAs in MSOAs, see add_national) and times
the LSOA map and API aggregates too. Each request's peak resident memory is taken
from Linux's VmHWM (reset before it): "peak MB" is the process's high-water mark
during the request (the first one included), ">idle" that less the resident size
before the first page, "+MB" that less the size just before the request. --profile
LABEL prints a cProfile of that page (cumulative and own time); --json keeps the figures.
"map after a change" is the neighbourhood map requested just after one score of the
round was changed (by SQL, as a submission or a moderation would): its time is
publishing the round's figures again. "support plans (last)" is the support-plans export
again after every other page: a worker's memory at its fullest.
Before the first page the bench does what a gunicorn worker does once it has loaded the
app (survey.memory.settle_worker).

    .venv/bin/python bench/scale.py --database sqlite:////tmp/a.db --build 1000 \
        --database sqlite:////tmp/b.db --build 3000
    .venv/bin/python bench/scale.py --national --profile trends \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/a --build 4000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/b --build 40000
    (targets, from issue 14: each page <= 3x the floor and under 1 s at 40,000 groups)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey import create_app  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.memory import settle_worker  # noqa: E402
from survey.models import (  # noqa: E402
    Area,
    Broker,
    DomainScore,
    Invitation,
    Organisation,
    OrganisationArea,
    Response,
    Round,
    User,
)
from survey.publication import wait_for_refreshes  # noqa: E402


def pages(ics: str, places: list[str], slug: str, token: str, broker: int, national: bool) -> dict:
    """Label -> (path, headers) of each page timed."""
    compare = "&".join(f"area={c}" for c in places[:4])
    auth = {"Authorization": f"Bearer {token}"}
    small = {  # with --national: the same pages over every small area
        "map (LSOA)": (f"/areas/map?round={slug}&type=lsoa", {}),
        "API aggregates LSOA": (f"/api/rounds/{slug}/aggregates?area_type=lsoa", auth),
    }
    plans = (f"/portfolio/{slug}/support-plans.xlsx?broker={broker}", {})
    return (
        {
            "map (level)": (f"/areas/map?round={slug}&type=neighbourhood", {}),
            "map (change)": (f"/areas/map?round={slug}&type=neighbourhood&measure=change", {}),
            "area page (ICS)": (f"/areas/{ics}?round={slug}", {}),
            "area page (place)": (f"/areas/{places[0]}?round={slug}", {}),
            "compare": (f"/areas/compare?round={slug}&type=place&{compare}", {}),
            "trends": (f"/areas/{ics}/trends", {}),
            "board pack": (f"/areas/{ics}/board-pack", {}),
            "board pack (xlsx)": (f"/areas/{ics}/board-pack.xlsx", {}),
            "roadmap": (f"/areas/{ics}/rounds/{slug}/roadmap.xlsx", {}),
            "API aggregates": (f"/api/rounds/{slug}/aggregates?area_type=place", auth),
            "admin scores CSV": (f"/rounds/{slug}/scores.csv", {}),
            "admin CSV (long)": (f"/rounds/{slug}/scores.csv?layout=long", {}),
            "admin scores JSON": (f"/rounds/{slug}/scores.json", {}),
            "support plans": plans,
            "portfolio": (f"/portfolio/{slug}?broker={broker}", {}),
            "ORUK services": ("/oruk/services", {}),
            AFTER_A_CHANGE: (f"/areas/map?round={slug}&type=neighbourhood", {}),
        }
        | (small if national else {})
        | {LAST_EXPORT: plans}
    )


# Timed after one score of the round is changed by SQL (as a submission or a moderation
# changes one): the map shows the figures last published while a thread publishes the
# round's figures again (SURVEY_PUBLISH_IN_BACKGROUND=0: the map waits for them).
# REFRESH_BEHIND: from the request to the new figures published.
AFTER_A_CHANGE = "map after a change"
# The largest export again, last: in a worker that has published the figures again (and,
# with --national, drawn every small area): its memory's worst case here
LAST_EXPORT = "support plans (last)"
REFRESH_BEHIND = "figures after a change"


def change_one_score(round_id: int, nth: int) -> None:
    """Move one submitted score of the round up a level (5 wraps to 1), the nth one."""
    db.session.execute(
        sa.text(
            "UPDATE domain_score SET level = 1 + level % 5, score = 1 + level % 5 "
            "WHERE id = (SELECT id FROM domain_score WHERE round_id = :round AND level IS "
            "NOT NULL ORDER BY id LIMIT 1 OFFSET :nth)"
        ),
        {"round": round_id, "nth": nth},
    )
    db.session.commit()


def add_national(lsoas: int) -> str:
    """Add a national-shaped small-area layer under the demo's neighbourhoods (once).

    England has about 33,000 LSOAs in 7,000 MSOAs; the demo ICS has a few dozen
    neighbourhoods. A square grid is laid over them, its side chosen so that at least
    ``lsoas`` cells overlap a neighbourhood; each (neighbourhood, cell) is an LSOA
    (a cell on a border is one LSOA on each side, as a real boundary splits it),
    each neighbourhood's 3 x 3 blocks of cells an MSOA: neighbourhood > MSOA > LSOA,
    squares as GeoJSON with centroids. Each group joins the LSOA and MSOA containing
    its point (OrganisationArea) and records the LSOA as its own area (the deepest,
    as the app's placer would), as do its invitations and responses.
    """
    if db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(Area.type == "lsoa")):
        return "national geography: reused"
    start = time.perf_counter()
    hoods = db.session.execute(
        sa.select(Area.id, Area.name, Area.geometry)
        .where(Area.type == "neighbourhood")
        .order_by(Area.code)
    ).all()
    outlines = [shapely.from_geojson(h.geometry) for h in hoods]
    for outline in outlines:
        shapely.prepare(outline)
    minx, miny, maxx, maxy = shapely.total_bounds(outlines)
    side = math.sqrt(sum(o.area for o in outlines) / lsoas)
    for tries in range(31):
        nx, ny = math.ceil((maxx - minx) / side), math.ceil((maxy - miny) / side)
        ix, iy = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny)))
        boxes = shapely.box(
            minx + ix * side, miny + iy * side, minx + (ix + 1) * side, miny + (iy + 1) * side
        )
        cells = [
            (h, int(ix[k]), int(iy[k]))
            for h, outline in enumerate(outlines)
            for k in np.flatnonzero(
                shapely.intersects(boxes, outline) & ~shapely.touches(boxes, outline)
            )
        ]
        if lsoas <= len(cells) <= lsoas * 1.03 or tries == 30:
            break
        side *= math.sqrt(len(cells) / lsoas) * (0.99 if len(cells) < lsoas else 1)

    def square(x0: int, y0: int, x1: int, y1: int) -> str:
        corners = [
            (minx + x * side, miny + y * side)
            for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
        ]
        ring = [[round(x, 6), round(y, 6)] for x, y in corners]
        return json.dumps({"type": "Polygon", "coordinates": [ring]})

    def row(code, name, kind, x0, y0, x1, y1) -> dict:
        geometry = square(x0, y0, x1, y1)
        return {
            "code": code,
            "name": name,
            "type": kind,
            "geometry": geometry,
            "display_geometry": geometry,
            "source": "bench/scale.py --national",
            "centroid_lon": round(minx + (x0 + x1) / 2 * side, 6),
            "centroid_lat": round(miny + (y0 + y1) / 2 * side, 6),
        }

    msoas: dict[tuple[int, int, int], dict] = {}
    lsoa_rows = []
    for n, (h, x, y) in enumerate(sorted(cells), start=1):
        stem = hoods[h].name.split(" (")[0]
        key = (h, x // 3, y // 3)
        if key not in msoas:
            msoas[key] = row(
                f"DEMO-M{len(msoas) + 1:05d}",
                f"{stem} {len(msoas) + 1:03d}",
                "msoa",
                key[1] * 3,
                key[2] * 3,
                key[1] * 3 + 3,
                key[2] * 3 + 3,
            )
            msoas[key]["parent_id"] = hoods[h].id
        lsoa = row(f"DEMO-L{n:05d}", f"{stem} {n:05d}", "lsoa", x, y, x + 1, y + 1)
        lsoa["msoa"] = key
        lsoa_rows.append(lsoa)
    db.session.execute(sa.insert(Area), list(msoas.values()))
    ids = dict(db.session.execute(sa.select(Area.code, Area.id).where(Area.type == "msoa")).all())
    for lsoa in lsoa_rows:
        lsoa["parent_id"] = ids[msoas[lsoa.pop("msoa")]["code"]]
    db.session.execute(sa.insert(Area), lsoa_rows)
    ids = dict(db.session.execute(sa.select(Area.code, Area.id).where(Area.type == "lsoa")).all())
    cell_of = {
        cell: (ids[lsoa["code"]], lsoa["parent_id"])
        for cell, lsoa in zip(sorted(cells), lsoa_rows, strict=True)
    }
    by_hood: dict[int, list] = {}
    for h, x, y in cell_of:
        by_hood.setdefault(h, []).append((x, y))
    hood_index = {hood.id: h for h, hood in enumerate(hoods)}
    groups = db.session.execute(
        sa.select(Organisation.id, Organisation.area_id, Organisation.lon, Organisation.lat).where(
            Organisation.area_id.in_(hood_index)
        )
    ).all()
    memberships, homes = [], []
    for org_id, area_id, lon, lat in groups:
        h = hood_index[area_id]
        x, y = math.floor((lon - minx) / side), math.floor((lat - miny) / side)
        if (h, x, y) not in cell_of:  # on a cell's edge: the nearest of its neighbourhood's
            x, y = min(
                by_hood[h],
                key=lambda c: (
                    (c[0] + 0.5 - (lon - minx) / side) ** 2
                    + (c[1] + 0.5 - (lat - miny) / side) ** 2
                ),
            )
        lsoa_id, msoa_id = cell_of[h, x, y]
        memberships += [
            {"organisation_id": org_id, "area_id": lsoa_id},
            {"organisation_id": org_id, "area_id": msoa_id},
        ]
        homes.append({"id": org_id, "area_id": lsoa_id})
    for chunk in range(0, len(memberships), 20_000):
        db.session.execute(sa.insert(OrganisationArea), memberships[chunk : chunk + 20_000])
    db.session.execute(sa.update(Organisation), homes)
    for table in (Invitation, Response):
        db.session.execute(
            sa.update(table)
            .where(table.organisation_id.is_not(None))
            .values(
                area_id=sa.select(Organisation.area_id)
                .where(Organisation.id == table.organisation_id)
                .scalar_subquery()
            )
        )
    db.session.commit()
    return (
        f"national geography: {len(lsoa_rows):,} LSOAs in {len(msoas):,} MSOAs under "
        f"{len(hoods)} neighbourhoods, {len(groups):,} groups placed, "
        f"in {time.perf_counter() - start:.0f} s"
    )


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


def _peak_reset() -> bool:
    """Reset this process's peak resident set (Linux: VmHWM); False where it cannot be."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss(field: str) -> float:
    """VmRSS or VmHWM of this process in MB (Linux /proc), NaN elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


def run(
    url: str,
    build: int | None,
    repeat: int,
    national: int | None,
    profile: list[str],
    only: list[str],
) -> tuple[int, dict[str, dict]]:
    """Times per page for one database; returns its number of groups and each page's figures."""
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
        if national:
            print(f"  {add_national(national)}")
        groups = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
        counts = dict(
            db.session.execute(sa.select(Area.type, sa.func.count()).group_by(Area.type)).all()
        )
        print(f"  {groups:,} groups; areas: {', '.join(f'{n:,} {t}' for t, n in counts.items())}")
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
        round_id = round_.id
    gc.collect()
    settle_worker()  # as a gunicorn worker does once it has loaded the app
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin_id)
        session["_fresh"] = True
    peaks = _peak_reset()
    idle = _rss("VmRSS")
    print(f"  resident before the first page: {idle:.0f} MB")
    out = {}
    timed = pages(ics, places, slug, token, broker, bool(national))
    if only:
        # the refresh behind a change is timed with the map after it
        asked = list(dict.fromkeys(AFTER_A_CHANGE if o == REFRESH_BEHIND else o for o in only))
        unknown = [label for label in asked if label not in timed]
        if unknown:
            raise SystemExit(
                f"scale.py: no page called {', '.join(map(repr, unknown))}; the pages: "
                + ", ".join(timed)
            )
        timed = {label: timed[label] for label in asked}
    for label, (path, headers) in timed.items():
        times, peak, grown, behind = [], 0.0, 0.0, []
        for attempt in range(repeat + 1):  # the first publishes the figures: not timed
            if label == AFTER_A_CHANGE:
                with app.app_context():
                    change_one_score(round_id, attempt)
            statements.clear()
            before = _rss("VmRSS")
            _peak_reset()
            start = time.perf_counter()
            reply = client.get(path, headers=headers)
            assert reply.status_code == 200, (label, reply.status_code, reply.get_data()[:300])
            # read to its end piece by piece, as a server sends a streamed download (the
            # whole body held at once would count in the peak: 121 MB for the long CSV)
            size = sum(len(piece) for piece in reply.iter_encoded())
            reply.close()
            times.append(time.perf_counter() - start)
            if label == AFTER_A_CHANGE:  # and until the new figures are published
                wait_for_refreshes()
                behind.append(time.perf_counter() - start)
            high = _rss("VmHWM") if peaks else math.nan
            peak, grown = max(peak, high), max(grown, high - before)
        if behind:
            out[REFRESH_BEHIND] = {
                "first": behind[0],
                "median": statistics.median(behind[1:]),
                "queries": math.nan,
                "bytes": 0,
                "peak_rss_mb": peak,
                "over_idle_mb": peak - idle,
                "rss_growth_mb": grown,
            }
        out[label] = {
            "first": times[0],
            "median": statistics.median(times[1:]),
            "queries": len(statements),
            "bytes": size,
            "peak_rss_mb": peak,
            "over_idle_mb": peak - idle,
            "rss_growth_mb": grown,
        }
        print(f"  {label:<20} {out[label]['median']:>7.3f} s", flush=True)
    with app.app_context():
        base = floor(round_id)  # after the pages, so that its rows are not in their memory
    print(
        f"  {'page':<20} {'median s':>9} {'x floor':>8} {'first s':>8} {'queries':>8} "
        f"{'bytes':>11} {'peak MB':>8} {'>idle':>6} {'+MB':>6}"
    )
    for label, row in out.items():
        row["x_floor"] = row["median"] / base
        print(
            f"  {label:<20} {row['median']:>9.3f} {row['x_floor']:>8.1f} {row['first']:>8.3f} "
            f"{row['queries']:>8} {row['bytes']:>11,} {row['peak_rss_mb']:>8.0f} "
            f"{row['over_idle_mb']:>6.0f} {row['rss_growth_mb']:>6.0f}"
        )
    out["pandas floor"] = {"median": base}
    for label in profile:
        path, headers = pages(ics, places, slug, token, broker, bool(national))[label]
        profiler = cProfile.Profile()
        profiler.runcall(lambda p=path, h=headers: client.get(p, headers=h).get_data())
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
        print(f"  profile of {label}:\n{text.getvalue()}")
    with app.app_context():
        db.engine.dispose()
    return groups, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", required=True, help="a database URL")
    parser.add_argument("--build", action="append", type=int, help="groups, per --database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--national",
        type=int,
        nargs="?",
        const=7500,
        help="add (once) at least this many LSOAs in MSOAs under the neighbourhoods "
        "(default 7,500) and time the LSOA map and API too",
    )
    parser.add_argument(
        "--profile", action="append", default=[], help="a page's label: cProfile it (each db)"
    )
    parser.add_argument(
        "--page", action="append", default=[], help="a page's label: time only these"
    )
    parser.add_argument("--json", help="write every page's figures to this file")
    args = parser.parse_args()
    builds = (args.build or []) + [None] * len(args.database)
    results = []
    for url, build in zip(args.database, builds, strict=False):
        print(url)
        results.append(run(url, build, args.repeat, args.national, args.profile, args.page))
    growth = {}
    if len(results) >= 2:
        (g1, t1), (g2, t2) = results[0], results[-1]
        print(f"growth exponent from {g1:,} to {g2:,} groups (time ~ groups^k):")
        for label in t1:
            k = math.log(t2[label]["median"] / t1[label]["median"]) / math.log(g2 / g1)
            growth[label] = k
            print(f"  {label:<20} {k:>5.2f}")
    if args.json:
        figures = {"runs": [{"groups": g, "pages": t} for g, t in results], "growth": growth}
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
