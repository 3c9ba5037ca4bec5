"""Benchmark: a locality map over 7,000 ward-sized polygons, against folium fed the raw GeoJSON.

Generates a Voronoi tessellation of 7,000 cells over about 130,000 km² (England
has about 7,000 wards), with every shared border wiggled identically on both
sides to 200-500 vertices per polygon and full-precision coordinates, as the
ONS full-resolution files are. Then, in the same run:

- baseline: folium.Map(tiles=None) + folium.GeoJson(raw FeatureCollection) with
  a style function and a tooltip, rendered to HTML;
- this project: the boundary import (shared-border simplification, once per
  file, not per page view), then the map page served by the app (database
  query, aggregates, choropleth JSON, template) for the same 7,000 areas.

Prints page bytes, build times and the ratios. Not a test:
    .venv/bin/python bench/maps.py [--polygons 7000] [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KM_PER_DEG_LAT = 110.574


def _edge_points(a: tuple, b: tuple, per_km: float) -> list[tuple[float, float]]:
    """Wiggly points strictly between a and b, the same whichever side asks."""
    flip = b < a
    p, q = (b, a) if flip else (a, b)
    length = math.dist(p, q)
    count = max(2, int(length * per_km))
    seed = hashlib.blake2b(repr((p, q)).encode(), digest_size=8).digest()
    rng = random.Random(seed)
    waves = [(k, rng.uniform(0, 0.04 / k), rng.uniform(0, 2 * math.pi)) for k in range(1, 6)]
    nx, ny = (q[1] - p[1]) / length, -(q[0] - p[0]) / length
    points = []
    for i in range(1, count):
        t = i / count
        offset = length * sum(
            a * math.sin(k * math.pi * t + ph) * math.sin(math.pi * t) for k, a, ph in waves
        )
        points.append(
            (p[0] + (q[0] - p[0]) * t + nx * offset, p[1] + (q[1] - p[1]) * t + ny * offset)
        )
    return points[::-1] if flip else points


def tessellation(count: int, seed: int) -> list[dict]:
    """count GeoJSON Polygons in WGS84 that tile a region, neighbours sharing exact borders."""
    rng = random.Random(seed)
    side = math.sqrt(count * 19.0)  # km: about 19 km² a cell, as wards in England
    points = MultiPoint([(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(count)])
    box = shapely.box(0, 0, side, side)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=box))
    cells = [shapely.intersection(c, box) for c in cells]
    perimeter = float(np.mean([c.length for c in cells]))
    per_km = 330 / perimeter  # about 330 vertices a polygon on average
    lon0, lat0 = -2.5, 52.0
    kx = 111.320 * math.cos(math.radians(lat0 + side / 2 / KM_PER_DEG_LAT))
    out = []
    for cell in cells:
        ring = [tuple(map(float, xy)) for xy in np.round(np.asarray(cell.exterior.coords), 9)][:-1]
        dense = []
        for i, a in enumerate(ring):
            b = ring[(i + 1) % len(ring)]
            dense.append(a)
            dense.extend(_edge_points(a, b, per_km))
        dense.append(dense[0])
        coords = [[lon0 + x / kx, lat0 + y / KM_PER_DEG_LAT] for x, y in dense]
        out.append({"type": "Polygon", "coordinates": [coords]})
    return out


def raw_collection(geometries: list[dict], values: list[float]) -> dict:
    """The boundary file as ONS would publish it, with a value per area for the baseline."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"WDCD": f"B{i:05d}", "WDNM": f"Ward {i}", "value": round(v, 2)},
                "geometry": g,
            }
            for i, (g, v) in enumerate(zip(geometries, values, strict=True))
        ],
    }


def folium_baseline(collection: dict) -> tuple[int, float]:
    """(page bytes, seconds) for folium fed the raw GeoJSON."""
    import folium

    palette = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
    start = time.perf_counter()
    m = folium.Map(location=[53, -2], zoom_start=7, tiles=None)
    folium.GeoJson(
        collection,
        style_function=lambda f: {
            "fillColor": palette[min(4, int(f["properties"]["value"]) - 1)],
            "color": "#505a5f",
            "weight": 0.8,
            "fillOpacity": 0.85,
        },
        tooltip=folium.GeoJsonTooltip(fields=["WDNM", "value"]),
    ).add_to(m)
    html = m.get_root().render()
    return len(html.encode()), time.perf_counter() - start


def project_page(collection: dict, values: list[float], workdir: Path) -> dict:
    """Import the boundaries into the app, then time the map page; returns the figures."""
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db
    from survey.models import Area, Round, User

    path = workdir / "wards.geojson"
    path.write_text(json.dumps(collection))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}", "TESTING": True}
    )
    figures: dict = {"raw_bytes": path.stat().st_size}
    with app.app_context():
        upgrade()
        from maps.boundaries import read_boundaries

        start = time.perf_counter()
        features = read_boundaries(path.read_bytes(), "WDCD", "WDNM")
        figures["simplify_s"] = time.perf_counter() - start
        figures["vertices_raw"] = sum(
            len(f["geometry"]["coordinates"][0]) for f in collection["features"]
        )
        figures["vertices_shown"] = int(
            sum(
                len(shapely.get_coordinates(shapely.geometry.shape(f.display_geometry)))
                for f in features
            )
        )
        db.session.execute(
            Area.__table__.insert(),
            [
                {
                    "code": f.code,
                    "name": f.name,
                    "type": "ward",
                    "geometry": json.dumps(f.geometry),
                    "display_geometry": json.dumps(f.display_geometry, separators=(",", ":")),
                    "centroid_lon": f.point[0],
                    "centroid_lat": f.point[1],
                }
                for f in features
            ],
        )
        from tests import factories

        factories.survey_round("confidence", slug="bench")
        user = User(email="bench@example.org", role="admin", password_hash="x")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        assert db.session.query(Round).count() == 1
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    client.get("/areas/map?round=bench&type=ward")  # warm: templates compiled, caches filled
    times = []
    for _ in range(3):
        start = time.perf_counter()
        response = client.get("/areas/map?round=bench&type=ward")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    figures["page_bytes"] = len(response.data)
    figures["page_s"] = min(times)
    assets = ["leaflet/leaflet.js", "leaflet/leaflet.css", "areas/map.js", "areas/map.css"]
    figures["asset_bytes"] = sum((ROOT / "survey" / "static" / a).stat().st_size for a in assets)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polygons", type=int, default=7000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    start = time.perf_counter()
    geometries = tessellation(args.polygons, args.seed)
    rng = random.Random(args.seed)
    values = [rng.uniform(1, 5) for _ in geometries]
    collection = raw_collection(geometries, values)
    counts = [len(g["coordinates"][0]) for g in geometries]
    print(
        f"{len(geometries)} polygons generated in {time.perf_counter() - start:.1f} s; "
        f"vertices per polygon: median {int(np.median(counts))}, "
        f"5th-95th percentile {int(np.percentile(counts, 5))}-{int(np.percentile(counts, 95))}"
    )

    base_bytes, base_s = folium_baseline(collection)
    print(f"folium, raw GeoJSON:  page {base_bytes / 1e6:8.2f} MB, built in {base_s:6.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        ours = project_page(collection, values, Path(tmp))
    print(
        f"boundary import (once per file): {ours['simplify_s']:.2f} s, "
        f"vertices {ours['vertices_raw']:,} -> {ours['vertices_shown']:,}"
    )
    print(
        f"this project's page:  page {ours['page_bytes'] / 1e6:8.2f} MB, built in {ours['page_s']:6.2f} s "
        f"(+ {ours['asset_bytes'] / 1e3:.0f} kB of cached Leaflet and map script/CSS)"
    )
    print(
        f"ratio: {base_bytes / ours['page_bytes']:.1f}x fewer bytes "
        f"({base_bytes / (ours['page_bytes'] + ours['asset_bytes']):.1f}x counting the assets), "
        f"build {base_s / ours['page_s']:.1f}x faster; "
        f"targets: >= 10x fewer bytes, build < 2 s: "
        f"{'met' if base_bytes >= 10 * ours['page_bytes'] and ours['page_s'] < 2 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
