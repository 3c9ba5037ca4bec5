"""Benchmark: the postcode directory import and placing groups into LSOAs.

In the same run:

- import of the real 60,605-row Code-Point Open file for Lancashire and South
  Cumbria (`survey import postcodes`, SQLite, one transaction) - target < 3 s;
- placement of 100,000 synthetic groups at random LSC postcodes into the 1,049
  LSC LSOAs: the spatial index (STRtree, one vectorised query) against a plain
  per-point loop over every polygon with shapely `contains` (the loop is timed
  on a sample and scaled, it would take hours whole) - target >= 50x; and the
  same groups placed end to end through the database (locate by postcode,
  then every containing area and the areas above);
- a synthetic 1-million-row Code-Point file imported in a child process, with
  its time and peak memory (and a 250,000-row one, to show memory does not grow
  with the file), projected to the 2.7 million rows of the national file.

Not a test:
    .venv/bin/python bench/geography.py [--groups 100000] [--big 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import string
import sys
import tempfile
import time
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
CODEPOINT = DATA / "postcodes" / "codepoint_open_2025_lsc.csv"
LSOAS = DATA / "geo" / "lsc_lsoa_2011.geojson"
NATIONAL_ROWS = 2_700_000


def app_for(folder: Path):
    """A migrated SQLite app in folder, its context pushed."""
    from flask_migrate import upgrade

    from survey import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}"})
    app.app_context().push()
    upgrade()
    return app


def import_real(folder: Path) -> float:
    from survey.areas.places import import_postcodes

    start, cpu = time.perf_counter(), time.process_time()
    summary = import_postcodes(CODEPOINT)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"import {CODEPOINT.name}: {took:.2f} s wall, {cpu:.2f} s CPU ({summary.split('.')[0]})")
    return took


def lsoa_shapes() -> tuple[list[str], list]:
    data = json.loads(LSOAS.read_text())
    features = data["features"]
    shapes = [shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in features]
    return [f["properties"]["LSOA11CD"] for f in features], shapes


def placement_core(groups: int, seed: int) -> tuple[list[str], float]:
    """STRtree against the per-point loop, on the same random postcode points."""
    from maps.placement import AreaLocator

    rng = random.Random(seed)
    codes, shapes = lsoa_shapes()
    with CODEPOINT.open() as handle:
        next(handle)
        rows = [line.split(",") for line in handle]
    # LSC postcodes: the file also covers Cumberland and Eden, outside the ICS's LSOAs.
    inside, _ = shapely.STRtree(shapes).query(
        shapely.points([(float(r[4]), float(r[3])) for r in rows]), predicate="intersects"
    )
    rows = [rows[i] for i in sorted(set(inside.tolist()))]
    chosen = [rows[rng.randrange(len(rows))] for _ in range(groups)]
    points = [(float(r[4]), float(r[3])) for r in chosen]
    geometries = [shapely.geometry.mapping(s) for s in shapes]

    start = time.perf_counter()
    locator = AreaLocator(zip(codes, geometries, strict=True))
    built = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    found = locator.containing_many(points)
    ours, ours_cpu = time.perf_counter() - start, time.process_time() - cpu

    sample = points[: max(1, groups // 200)]
    start, cpu = time.perf_counter(), time.process_time()
    loop_found = []
    for lon, lat in sample:
        point = shapely.Point(lon, lat)
        loop_found.append([c for c, s in zip(codes, shapes, strict=True) if s.contains(point)])
    per_point = (time.perf_counter() - start) / len(sample)
    loop = per_point * groups
    loop_cpu = (time.process_time() - cpu) / len(sample) * groups
    agree = sum(a == b for a, b in zip(found, loop_found, strict=False)) / len(sample)
    placed = sum(1 for f in found if f)
    print(
        f"placement of {groups:,} points into {len(codes):,} LSOAs: STRtree {ours:.2f} s "
        f"(+ {built:.2f} s to build the index, once per import); per-point loop with "
        f"contains {loop:.0f} s "
        f"(timed on {len(sample):,} points, scaled); ratio {loop / ours:.0f}x "
        f"(target >= 50x: {'met' if loop >= 50 * ours else 'NOT met'}; "
        f"{loop / (ours + built):.0f}x counting the index; CPU time {ours_cpu:.2f} s against "
        f"{loop_cpu:.0f} s, {loop_cpu / ours_cpu:.0f}x); "
        f"{placed:,} placed, answers agree on {agree:.1%} of the sample"
    )
    return [r[0] for r in chosen], ours


def placement_database(postcodes: list[str]) -> None:
    """The same groups through the database: located by postcode, placed in every area."""
    import sqlalchemy as sa

    from survey.areas.imports import import_boundaries
    from survey.areas.places import locate_organisations
    from survey.areas.placing import Placer, place
    from survey.extensions import db
    from survey.models import Organisation

    import_boundaries(LSOAS, "lsoa", "LSOA11CD", "LSOA11NM")
    db.session.execute(
        sa.insert(Organisation),
        [{"name": f"Group {i}", "postcode": pc} for i, pc in enumerate(postcodes)],
    )
    db.session.commit()
    organisations = list(db.session.scalars(sa.select(Organisation)))
    start, cpu = time.perf_counter(), time.process_time()
    located = locate_organisations(organisations)
    db.session.flush()
    rows = place(organisations, Placer())
    db.session.commit()
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"end to end through SQLite: {len(organisations):,} groups located by postcode "
        f"({located:,}) and placed ({rows:,} memberships) in {took:.1f} s wall, {cpu:.1f} s CPU"
    )


def synthetic_file(path: Path, rows: int, seed: int) -> None:
    """A Code-Point-layout file of unique, well-formed postcodes across Great Britain, in
    postcode order as OS and ONS ship theirs."""
    rng = random.Random(seed)
    letters = string.ascii_uppercase
    codes = sorted(
        f"{letters[n % 26]}{letters[(n // 26) % 26]}{(n // 676) % 100} "
        f"{(n // 67_600) % 10}{letters[(n // 676_000) % 26]}{letters[rng.randrange(26)]}"
        for n in range(rows)
    )
    with path.open("w") as handle:
        handle.write("postcode,easting,northing,lat,lon,pqi,county_code,district_code,ward_code\n")
        for code in codes:
            east, north = rng.randrange(100_000, 650_000), rng.randrange(10_000, 1_200_000)
            handle.write(
                f"{code},{east},{north},{50 + north / 111_000:.6f},{-6 + east / 70_000:.6f},"
                "10,E1,E2,E05000001\n"
            )


def _child(path: str, folder: str, queue) -> None:
    app_for(Path(folder))
    from survey.areas.places import import_postcodes

    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # start the peak (VmHWM) again from here
    start, cpu = time.perf_counter(), time.process_time()
    import_postcodes(Path(path))
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    queue.put((took, cpu, before, _status("VmHWM")))


def _status(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def big_import(rows: int, seed: int, folder: Path) -> tuple[float, float, float, float]:
    """Time and peak memory (MB) of importing a synthetic file, in a fresh process."""
    path = folder / f"synthetic_{rows}.csv"
    synthetic_file(path, rows, seed)
    work = folder / f"db_{rows}"
    work.mkdir()
    queue = multiprocessing.get_context("spawn").Queue()
    child = multiprocessing.get_context("spawn").Process(
        target=_child, args=(str(path), str(work), queue)
    )
    child.start()
    result = queue.get()
    child.join()
    path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app_for(folder)
        took = import_real(folder)
        print(f"  target < 3 s: {'met' if took < 3 else 'NOT met'}")
        postcodes, _ = placement_core(args.groups, args.seed)
        placement_database(postcodes)

        small = max(1, args.big // 4)
        results = {}
        for rows in (small, args.big):
            took, cpu, before, peak = big_import(rows, args.seed, folder)
            results[rows] = (took, peak, cpu)
            print(
                f"synthetic {rows:,}-row import: {took:.1f} s wall, {cpu:.1f} s CPU "
                f"({rows / took:,.0f} rows/s), "
                f"peak RSS {peak:.0f} MB ({peak - before:.0f} MB above the {before:.0f} MB "
                "of the app at rest)"
            )
        took, peak, cpu = results[args.big]
        scale = NATIONAL_ROWS / args.big
        print(
            f"projection for the national file ({NATIONAL_ROWS:,} rows): "
            f"about {took * scale:.0f} s wall here ({cpu * scale:.0f} s CPU); memory stays about "
            f"{peak:.0f} MB (the {small:,}-row file peaked at {results[small][1]:.0f} MB: "
            "the import streams in batches of 5,000 rows)"
        )


if __name__ == "__main__":
    main()
