"""Benchmark: /oruk/services paged and filtered over 20,000 listed groups, in-process.

Not a test. Seeds a throwaway migrated SQLite file with an ICS, 12 places, 60
neighbourhoods and N listed groups (plus a tenth as many unlisted), each with one
to three activities, then times requests through the Flask test client: plain
pages, an area filter, an activity (taxonomy term) filter, a text search and
single services. The baseline, in the same run, is the plain JSON export of the
same records (``survey.directory.write_feed``, written once) served a page at a
time by a bare Flask route: the cost of JSON over HTTP in-process with no query.
Each listing's record is made once per version of its group and kept in the process
(survey.directory._LISTINGS), and which groups match a filter once per state of the
directory (survey.directory._MATCHES, under the token the database renews on every
write a listing is read from). One scenario empties both before every request, as a
first read after a restart would find them; two rename one listed group before every
request (outside the timing), as a directory being edited all the time would see.
Targets: at least 200 pages a second, p99 under 100 ms.

    .venv/bin/python bench/directory.py [--groups 20000] [--seed 1] [--seconds 4]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES_PER_SECOND_TARGET, P99_TARGET_MS = 200.0, 100.0
ACTIVITIES = ["arts_creative", "physical_activity", "social_group", "befriending",
              "gardening_nature", "learning_skills", "advice", "peer_support"]  # fmt: skip
WORDS = ["Lunch Club", "Walking Group", "Choir", "Men's Shed", "Garden", "Youth Club"]


def seed(groups: int, seed_: int):
    """A migrated SQLite database of listed groups; returns the app (context pushed)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db
    from survey.models import Area, Organisation, OrganisationArea

    folder = tempfile.mkdtemp(prefix="bench-directory-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"})
    app.app_context().push()
    upgrade()
    rng = random.Random(seed_)
    ics = Area(code="B-ICS", name="Bench ICS", type="ics")
    places = [Area(code=f"B-P{i:02d}", name=f"Place {i}", type="place", parent=ics)
              for i in range(12)]  # fmt: skip
    hoods = [Area(code=f"B-N{i:02d}", name=f"Neighbourhood {i}", type="neighbourhood",
                  parent=places[i % 12], centroid_lat=53.5 + i / 100, centroid_lon=-2.7)
             for i in range(60)]  # fmt: skip
    db.session.add_all([ics, *places, *hoods])
    db.session.flush()
    total = groups + groups // 10
    rows, members = [], []
    for i in range(total):
        hood = hoods[i % 60]
        activities = rng.sample(ACTIVITIES, rng.randint(1, 3))
        rows.append({"id": i + 1, "name": f"{hood.name} {rng.choice(WORDS)} {i}",
                     "area_id": hood.id, "consent_directory": i < groups,
                     "email": f"group{i}@example.org", "postcode": "ZZ1 1AA",
                     "lat": 53.7, "lon": -2.7, "profile": {"activity_types": activities}})  # fmt: skip
        members += [{"organisation_id": i + 1, "area_id": a}
                    for a in (ics.id, hood.parent_id, hood.id)]  # fmt: skip
    db.session.execute(sa.insert(Organisation), rows)
    db.session.execute(sa.insert(OrganisationArea), members)
    db.session.commit()
    return app


def measure(
    client, paths: list[str], seconds: float, before=None
) -> tuple[int, float, float, float]:
    """(requests, requests per second, median ms, p99 ms) over the paths, cycled;
    ``before`` runs ahead of each request, outside the timing."""
    times, started, i = [], time.perf_counter(), 0
    while i < 20 or (time.perf_counter() - started < seconds and i < 5000):
        path = paths[i % len(paths)]
        if before is not None:
            before()
        t0 = time.perf_counter()
        reply = client.get(path)
        times.append(time.perf_counter() - t0)
        assert reply.status_code == 200, (path, reply.status_code)
        i += 1
    elapsed = sum(times)
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return len(times), len(times) / elapsed, statistics.median(times) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=4.0, help="time per scenario")
    args = parser.parse_args()

    from flask import Response

    from exports.oruk import oruk_id
    from survey.directory import write_feed

    t0 = time.perf_counter()
    app = seed(args.groups, args.seed)
    print(f"seeded {args.groups:,} listed groups (+{args.groups // 10:,} unlisted) "
          f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    import io
    import json
    import tracemalloc

    import sqlalchemy as sa

    t0 = time.perf_counter()
    out = io.BytesIO()
    write_feed(out)
    print(f"survey export oruk's file (all {args.groups:,} records): "
          f"{time.perf_counter() - t0:.2f} s, {out.tell() / 1e6:.1f} MB")  # fmt: skip
    tracemalloc.start()
    with open(os.devnull, "wb") as sink:  # peak Python memory while writing, file apart
        write_feed(sink)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  peak Python memory while writing (a second run, traced): {peak / 1e6:.1f} MB")
    feed = json.loads(out.getvalue())
    records = [json.dumps(s) for s in feed["contents"]]

    def plain(page: int):  # the baseline: the export's records, a page at a time
        chunk = records[(page - 1) * 50 : page * 50]
        return Response("[" + ",".join(chunk) + "]", mimetype="application/json")

    app.add_url_rule("/bench-plain/<int:page>", "bench_plain", plain)
    from survey.access import PERMISSIONS, PUBLIC

    PERMISSIONS["bench_plain"] = PUBLIC
    client = app.test_client()
    rng = random.Random(args.seed)
    pages = max(1, args.groups // 50)
    term = client.get("/oruk/taxonomies").get_json()["contents"][0]["taxonomy_terms"][0]["id"]
    scenarios = {
        "plain JSON export, paged (baseline)": [
            f"/bench-plain/{rng.randint(1, pages)}" for _ in range(200)
        ],
        "/oruk/services?page=N&per_page=50": [
            f"/oruk/services?page={rng.randint(1, pages)}&per_page=50" for _ in range(200)
        ],
        "/oruk/services?page=N&per_page=50, nothing cached": [
            f"/oruk/services?page={rng.randint(1, pages)}&per_page=50" for _ in range(200)
        ],
        "/oruk/services?area_code=NEIGHBOURHOOD&page=N": [
            f"/oruk/services?area_code=B-N{rng.randint(0, 59):02d}&page={rng.randint(1, 6)}"
            for _ in range(200)
        ],
        "/oruk/services?area_code=PLACE&page=N": [
            f"/oruk/services?area_code=B-P{rng.randint(0, 11):02d}&page={rng.randint(1, 30)}"
            for _ in range(200)
        ],
        "/oruk/services/{id}": [
            f"/oruk/services/{oruk_id('service', str(rng.randint(1, args.groups)))}"
            for _ in range(200)
        ],
        "/oruk/services?taxonomy_term_id=T&page=N": [
            f"/oruk/services?taxonomy_term_id={term}&page={rng.randint(1, 20)}" for _ in range(20)
        ],
        "/oruk/services?search=WORD&page=N": [
            f"/oruk/services?search=choir&page={rng.randint(1, 20)}" for _ in range(20)
        ],
        "/oruk/services?taxonomy_term_id=T, after a write": [
            f"/oruk/services?taxonomy_term_id={term}&page={rng.randint(1, 20)}" for _ in range(20)
        ],
        "/oruk/services?search=WORD, after a write": [
            f"/oruk/services?search=choir&page={rng.randint(1, 20)}" for _ in range(20)
        ],
    }
    print(f"\n{'scenario':<48} {'requests':>8} {'req/s':>8} {'median ms':>10} {'p99 ms':>8}")
    baseline = None
    from survey import directory

    renamed = iter(range(10**9))

    def cold():  # a fresh process: nothing kept
        directory._LISTINGS.clear()
        directory._MATCHES.clear()

    def write():  # one listed group renamed (a new state token, one listing to make again)
        from survey.extensions import db

        group = 1 + next(renamed) % args.groups
        db.session.execute(
            sa.text("UPDATE organisation SET name = :name WHERE id = :id"),
            {"name": f"Renamed group {group} {next(renamed)}", "id": group},
        )
        db.session.commit()

    for name, paths in scenarios.items():
        before = {"nothing cached": cold, "after a write": write}.get(name.rsplit(", ", 1)[-1])
        n, rate, median, p99 = measure(client, paths, args.seconds, before=before)
        baseline = baseline or rate
        ok = "" if name.startswith("plain") else (
            "  ok" if rate >= PAGES_PER_SECOND_TARGET and p99 < P99_TARGET_MS else "  BELOW TARGET"
        )  # fmt: skip
        print(f"{name:<48} {n:>8} {rate:>8.1f} {median:>10.1f} {p99:>8.1f}"
              f"  ({rate / baseline:.2f}x baseline){ok}")  # fmt: skip
    print(f"\ntargets: >= {PAGES_PER_SECOND_TARGET:.0f} pages/s, p99 < {P99_TARGET_MS:.0f} ms")


if __name__ == "__main__":
    main()
