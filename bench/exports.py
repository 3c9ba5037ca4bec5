"""Benchmark: the roadmap workbook for 10,000 groups against pandas.DataFrame.to_excel.

Not a test. Builds the roadmap's content in memory (an ICS, 12 sub-areas and
10,000 groups with a level in each of the DMI's eight domains), writes the
workbook with exports.roadmap (streaming, styled, five sheets, two charts),
then writes the same groups' rows with pandas (openpyxl engine, one plain
sheet) in the same run. Time is measured without tracing; peak memory in a
second run under tracemalloc. Targets: under 5 seconds and under 300 MB.

    .venv/bin/python bench/exports.py [--groups 10000] [--seed 1] [--database]

--database also seeds a throwaway SQLite file and times the whole export
(queries, aggregates with suppression, workbook) against the same query's
rows written by pandas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exports.roadmap import AreaFigures, DomainFigure, GroupRow, Roadmap, write_roadmap  # noqa: E402
from instruments import load_registry  # noqa: E402
from scoring.disclosure import level_bands  # noqa: E402

TIME_TARGET_S, MEMORY_TARGET_MB = 5.0, 300.0


def figures(domains, rng) -> tuple[DomainFigure, ...]:
    """Plausible area figures per domain."""
    out = []
    for domain_id, name in domains:
        mean = rng.uniform(1.8, 3.8)
        out.append(
            DomainFigure(
                domain_id,
                name,
                400,
                mean,
                mean - 0.2,
                mean + 0.2,
                int(mean),
                level_bands((40, 100, 140, 80, 40), 5),
                3,
                3 - mean,
                False,
            )  # fmt: skip
        )
    return tuple(out)


def build(groups: int, seed: int) -> Roadmap:
    """The roadmap content for an ICS with `groups` groups."""
    registry = load_registry()
    instrument = registry.latest("dmi-organisation")
    rng = random.Random(seed)
    domains = [(d.id, d.name) for d in instrument.domains] + [("overall", "Overall")]

    def area(code, name, kind):
        return AreaFigures(code, name, kind, 800, 400, 0.5, figures(domains, rng))

    subs = [area(f"P{i:02d}", f"Place {i}", "place") for i in range(12)]
    rows = [
        GroupRow(
            org_id=i,
            name=f"{rng.choice(['Friends of', 'Community', 'Village'])} group {i}",
            area_code=f"N{i % 60:03d}",
            area_name=f"Neighbourhood {i % 60}",
            broker=rng.choice(["Northvale CVS", "Active Communities", None]),
            submitted_on=dt.date(2026, 6, 1) + dt.timedelta(days=i % 90) if i % 4 else None,
            levels=tuple(rng.randint(1, 5) for _ in domains),
            shown_as="self-assessed",
        )
        for i in range(groups)
    ]
    return Roadmap(
        instrument=instrument,
        offers=registry.offers,
        area=area("ICS", "Demo ICS", "ics"),
        sub_areas=subs,
        groups=rows,
        groups_note="all groups",
        method=[("Exported by", "bench")],
        shown_as="self-assessed",
    )


def frame_of(roadmap: Roadmap) -> pd.DataFrame:
    """The groups sheet's rows as a DataFrame (what pandas would write)."""
    names = [f.domain_name for f in roadmap.area.figures]
    return pd.DataFrame(
        [
            [
                g.org_id,
                g.name,
                g.area_code,
                g.area_name,
                g.broker,
                g.submitted_on,
                *g.levels,
                g.shown_as,
            ]  # fmt: skip
            for g in roadmap.groups
        ],
        columns=[
            "Group id",
            "Group",
            "Area code",
            "Area",
            "Broker",
            "Submitted",
            *names,
            "Level shown",
        ],  # fmt: skip
    )


def ours(roadmap: Roadmap) -> int:
    out = io.BytesIO()
    write_roadmap(out, roadmap)
    return len(out.getvalue())


def theirs(frame: pd.DataFrame) -> int:
    out = io.BytesIO()
    frame.to_excel(out, sheet_name="Groups", index=False, engine="openpyxl")
    return len(out.getvalue())


def timed(fn, *args) -> tuple[float, int]:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    size = fn(*args)
    wall = time.perf_counter() - start
    print(f"    ({fn.__name__}: {wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU)")
    return wall, size


def peak_mb(fn, *args) -> float:
    gc.collect()
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def seed_database(groups: int, seed: int):
    """A migrated SQLite database holding an ICS, 12 places and `groups` scored groups."""
    import tempfile

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db
    from survey.models import Area, DomainScore, Organisation, OrganisationArea, Response, Round

    folder = tempfile.mkdtemp(prefix="bench-exports-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"})
    context = app.app_context()
    context.push()
    upgrade()
    rng = random.Random(seed)
    instrument = load_registry().latest("dmi-organisation")
    ics = Area(code="B-ICS", name="Bench ICS", type="ics")
    places = [
        Area(code=f"B-P{i:02d}", name=f"Place {i}", type="place", parent=ics) for i in range(12)
    ]
    round_ = Round(slug="bench", title="Bench round", instrument_id=instrument.id,
                   instrument_version=instrument.version, opens_on=dt.date(2026, 1, 1),
                   closes_on=dt.date(2026, 12, 31), target_level=3)  # fmt: skip
    db.session.add_all([ics, *places, round_])
    db.session.flush()
    db.session.execute(
        sa.insert(Organisation),
        [{"id": i + 1, "name": f"Group {i}", "area_id": places[i % 12].id} for i in range(groups)],
    )
    db.session.execute(
        sa.insert(OrganisationArea),
        [{"organisation_id": i + 1, "area_id": a} for i in range(groups)
         for a in (ics.id, places[i % 12].id)],
    )  # fmt: skip
    db.session.execute(
        sa.insert(Response),
        [{"id": i + 1, "round_id": round_.id, "organisation_id": i + 1, "status": "submitted",
          "submitted_at": dt.datetime(2026, 6, 1), "version": 1} for i in range(groups)],
    )  # fmt: skip
    domain_ids = [d.id for d in instrument.domains] + ["overall"]
    rows = []
    for i in range(groups):
        for domain_id in domain_ids:
            level = rng.randint(1, 5)
            rows.append({"response_id": i + 1, "round_id": round_.id, "domain_id": domain_id,
                         "score": float(level),
                         "level": level, "answered": 3, "applicable": 3})  # fmt: skip
    db.session.execute(sa.insert(DomainScore), rows)
    db.session.commit()
    return ics, round_


def database_run(groups: int, seed: int) -> None:
    """End to end: queries, aggregates and the workbook, against pandas of the same rows."""
    from survey.reports.roadmap_data import groups_in_area, roadmap_workbook

    ics, round_ = seed_database(groups, seed)
    our_s, size = timed(lambda: len(roadmap_workbook(ics, round_, viewer=None, actor="bench")))

    def pandas_path() -> int:
        rows = groups_in_area(round_, ics, moderated=False, viewer=None)
        frame = pd.DataFrame([[g.org_id, g.name, g.area_code, g.area_name, g.broker,
                               g.submitted_on, *g.levels, g.shown_as] for g in rows])  # fmt: skip
        return theirs(frame)

    pd_s, pd_bytes = timed(pandas_path)
    our_mb = peak_mb(lambda: roadmap_workbook(ics, round_, viewer=None, actor="bench"))
    pd_mb = peak_mb(pandas_path)
    print(f"from the database (SQLite), {groups:,} groups: queries + aggregates + workbook")
    print(f"  ours (roadmap_workbook):            {our_s:6.2f} s  peak {our_mb:7.1f} MB  "
          f"{size / 1e6:5.2f} MB file")  # fmt: skip
    print(f"  same query + pandas to_excel:       {pd_s:6.2f} s  peak {pd_mb:7.1f} MB  "
          f"{pd_bytes / 1e6:5.2f} MB file")  # fmt: skip
    print(f"  ratio ours/pandas: time {our_s / pd_s:.2f}x, peak memory {our_mb / pd_mb:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database", action="store_true", help="Also run end to end from a seeded SQLite file."
    )
    args = parser.parse_args()
    roadmap = build(args.groups, args.seed)
    frame = frame_of(roadmap)
    our_s, our_bytes = timed(ours, roadmap)
    pd_s, pd_bytes = timed(theirs, frame)
    our_mb, pd_mb = peak_mb(ours, roadmap), peak_mb(theirs, frame)
    print(f"roadmap workbook, {args.groups:,} groups, {len(frame.columns)} columns in Groups")
    print(f"  ours (5 sheets, styled, 2 charts):  {our_s:6.2f} s  peak {our_mb:7.1f} MB  "
          f"{our_bytes / 1e6:5.2f} MB file")  # fmt: skip
    print(f"  pandas to_excel (1 plain sheet):    {pd_s:6.2f} s  peak {pd_mb:7.1f} MB  "
          f"{pd_bytes / 1e6:5.2f} MB file")  # fmt: skip
    print(f"  ratio ours/pandas: time {our_s / pd_s:.2f}x, peak memory {our_mb / pd_mb:.2f}x")
    ok = our_s < TIME_TARGET_S and our_mb < MEMORY_TARGET_MB
    print(f"  targets (< {TIME_TARGET_S:g} s, < {MEMORY_TARGET_MB:g} MB): "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    print(
        f"  process peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
    )
    if args.database:
        database_run(args.groups, args.seed)


if __name__ == "__main__":
    main()
