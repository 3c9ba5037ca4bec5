"""A fictional integrated care system, generated from a seed, for demos and tests.

Two independent tessellations of one irregular region in northern England:
- NHS: many small Voronoi "blocks" are grouped, by growing contiguous clusters
  over the block adjacency graph, into 3 places, each place into 3-4 PCNs and
  each PCN into 2-4 neighbourhoods. Neighbourhoods are unions of blocks; PCNs,
  places and the ICS are unions of neighbourhoods, so the hierarchy nests exactly.
- Council: a second block set grouped into 2-3 local authorities (LADs) and
  each LAD into 8-15 wards; LADs are unions of their wards.
Codes start with "DEMO-" so they never collide with ONS or NHS codes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon, shape
from shapely.geometry.base import BaseGeometry

from .geometry import to_geojson_dict

DECIMALS = 6
GRID = 10.0**-DECIMALS
KM_PER_DEG_LAT = 110.574
NHS_BLOCKS = 360
COUNCIL_BLOCKS = 420

ICS_NAME = "Northvale and Ashby ICS (demo)"
PLACE_STEMS = ["Northvale", "Ashby", "Kirkholme"]
LAD_STEMS = ["Northvale", "Ashby", "Kirkholme"]
NEIGHBOURHOOD_STEMS = [
    "Millbrook", "Ferncliffe", "Oakhurst", "Hollins Green", "Bracken Hill", "Sandyford",
    "Netherby Moor", "Thornlea", "Cobble Bank", "Wyrebridge", "Hawkshaw Vale", "Elmswick",
    "Brantwood Park", "Saltergate", "Harrowby", "Copperfield", "Lowther Bridge", "Gisburn Side",
    "Pendlebrook", "Marsden Heights", "Kestrel Rise", "Alderholme", "Birkacre", "Rookwood",
    "Stonyhurst Lane", "Fellside", "Heatherbank", "Whinmoor Edge", "Clough Foot", "Swinbrook",
    "Ribblesford", "Greystone", "Moorcroft", "Linthorpe Vale", "Calder Mill", "Tarnside",
    "Barrowford Lea", "Holmebeck", "Ashworth Fold", "Cherry Tree", "Langdon Cross",
    "Willowbank", "Fieldhouse", "Kirkby Ings", "Scarth Hill", "Redmire", "Dunsop Green",
    "Hebble End", "Quarry Bank", "Whitebirk", "Longridge Fell", "Nab Wood",
]  # fmt: skip
WARD_NAMES = [
    "Castle Hill", "Brookside", "St Anne's", "Moorside", "Highfield", "Oakwood", "Riverside",
    "Fernlea", "Greenbank", "Low Moor", "Ravensclough", "Abbey", "Bankfield", "Church Green",
    "Deepdale", "Eastfield", "Fairhaven", "Grange", "Harbour", "Ingol Park", "Jubilee",
    "Kingsway", "Larkhill", "Marlfield", "Newlands", "Orchard", "Priory", "Queensgate",
    "Rosegrove", "Sherwood", "Tanhouse", "Upper Vale", "Victoria", "Westcliffe", "Yew Tree",
    "Bowling Green", "Coppice", "Daisyfield", "Elm Grove", "Friargate", "Gorse Hill",
    "Hillcrest", "Ivy Bank", "Mill Hill", "Nethercote", "Old Town", "Parkside", "Tithebarn",
]  # fmt: skip
PRACTICE_SUFFIXES = [
    "Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice",
]  # fmt: skip
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class DemoArea:
    """One generated area: GeoJSON geometry in WGS84 lon/lat, parent by code."""

    code: str
    name: str
    type: str
    parent_code: str | None
    geometry: dict


@dataclass
class _Frame:
    """A local kilometre frame centred on (lon0, lat0), for isotropic geometry."""

    lon0: float
    lat0: float

    @property
    def km_per_deg_lon(self) -> float:
        """Kilometres per degree of longitude at the frame's latitude."""
        return 111.320 * math.cos(math.radians(self.lat0))

    def to_lonlat(self, geoms: np.ndarray) -> np.ndarray:
        """Geometries from km to lon/lat, every vertex rounded to 6 decimals."""
        kx = self.km_per_deg_lon

        def convert(xy: np.ndarray) -> np.ndarray:
            lon = self.lon0 + xy[:, 0] / kx
            lat = self.lat0 + xy[:, 1] / KM_PER_DEG_LAT
            return np.round(np.column_stack([lon, lat]), DECIMALS)

        return shapely.transform(geoms, convert)


def _region(rng: random.Random) -> Polygon:
    """An irregular, star-shaped region (km frame) about 29 by 33 km."""
    harmonics = [(k, rng.uniform(0, 0.12 / k), rng.uniform(0, 2 * math.pi)) for k in range(2, 7)]
    points = []
    for i in range(96):
        theta = 2 * math.pi * i / 96
        wobble = sum(a * math.sin(k * theta + phase) for k, a, phase in harmonics)
        r = 1 + wobble + rng.uniform(-0.02, 0.02)
        points.append((14.5 * r * math.cos(theta), 16.5 * r * math.sin(theta)))
    return Polygon(points)


def _blocks(region: Polygon, count: int, rng: random.Random) -> np.ndarray:
    """Voronoi cells of random points in the region, clipped to it (km frame)."""
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(region, x, y):
            points.append((x, y))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(MultiPoint(points), extend_to=region, ordered=True)
    )
    clipped = shapely.get_parts(shapely.intersection(cells, region))
    keep = (shapely.get_type_id(clipped) == 3) & (shapely.area(clipped) > 0)
    return _merge_slivers(clipped[keep])


def _merge_slivers(pieces: np.ndarray, min_area: float = 0.01) -> np.ndarray:
    """Join pieces under min_area km² (left where the region cuts a cell) to a neighbour."""
    pieces = list(pieces)
    tree = shapely.STRtree(pieces)
    dropped: set[int] = set()
    for i in sorted(range(len(pieces)), key=lambda i: pieces[i].area):
        if pieces[i].area >= min_area:
            break
        borders = [
            (pieces[i].boundary.intersection(pieces[j].boundary).length, int(j))
            for j in tree.query(pieces[i], predicate="intersects")
            if j != i and j not in dropped
        ]
        length, j = max(borders, default=(0.0, -1))
        if length > 0:
            pieces[j] = shapely.union(pieces[j], pieces[i])
            dropped.add(i)
    return np.array([piece for i, piece in enumerate(pieces) if i not in dropped], dtype=object)


def _adjacency(blocks: np.ndarray) -> list[set[int]]:
    """Neighbours of each block: those sharing a border of positive length."""
    tree = shapely.STRtree(blocks)
    left, right = tree.query(blocks, predicate="intersects")
    mask = left < right
    left, right = left[mask], right[mask]
    boundaries = shapely.boundary(blocks)
    shared = shapely.intersection(boundaries[left], boundaries[right], grid_size=GRID)
    touching = shapely.length(shared) > 1e-5  # degrees: about a metre of common border
    neighbours: list[set[int]] = [set() for _ in range(len(blocks))]
    for i, j in zip(left[touching], right[touching], strict=True):
        neighbours[int(i)].add(int(j))
        neighbours[int(j)].add(int(i))
    return neighbours


def _centres(
    members: list[int], k: int, xy: np.ndarray, w: np.ndarray, rng: random.Random
) -> np.ndarray:
    """k well-spread centres for a set of blocks (farthest-point start, then k-means)."""
    pts, weights = xy[members], w[members]
    chosen = [rng.randrange(len(members))]
    for _ in range(1, k):
        dist = np.min(((pts[:, None, :] - pts[chosen][None, :, :]) ** 2).sum(axis=2), axis=1)
        chosen.append(int(np.argmax(dist)))
    centres = pts[chosen].copy()
    for _ in range(8):
        labels = np.argmin(((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        for c in range(k):
            mine = labels == c
            if mine.any():
                centres[c] = np.average(pts[mine], axis=0, weights=weights[mine])
    return centres


def _grow(
    members: list[int],
    k: int,
    neighbours: list[set[int]],
    xy: np.ndarray,
    area: np.ndarray,
    rng: random.Random,
) -> list[list[int]]:
    """Split connected blocks into k contiguous clusters of broadly similar area."""
    members = sorted(members)
    k = max(1, min(k, len(members)))
    centres = _centres(members, k, xy, area, rng)
    allowed = set(members)
    owner: dict[int, int] = {}
    clusters: list[list[int]] = [[] for _ in range(k)]
    frontiers: list[set[int]] = [set() for _ in range(k)]
    sizes = [0.0] * k
    appetite = [rng.uniform(0.75, 1.25) for _ in range(k)]
    distance = [((xy - centre) ** 2).sum(axis=1).tolist() for centre in centres]

    def take(c: int, b: int) -> None:
        owner[b] = c
        clusters[c].append(b)
        sizes[c] += float(area[b])
        for f in frontiers:
            f.discard(b)
        frontiers[c].update(n for n in neighbours[b] if n in allowed and n not in owner)

    for c in range(k):
        free = [b for b in members if b not in owner]
        nearest = min(free, key=lambda b: (distance[c][b], b))
        take(c, nearest)
    while len(owner) < len(members):
        open_clusters = [c for c in range(k) if frontiers[c]]
        if not open_clusters:  # disconnected leftovers: join the nearest centre
            for b in (b for b in members if b not in owner):
                c = int(np.argmin(((centres - xy[b]) ** 2).sum(axis=1)))
                owner[b] = c
                clusters[c].append(b)
            break
        c = min(open_clusters, key=lambda c: (sizes[c] / appetite[c], c))
        b = min(frontiers[c], key=lambda b: (distance[c][b], b))
        take(c, b)
    return [sorted(cluster) for cluster in clusters]


def _union(geoms: list[BaseGeometry]) -> BaseGeometry:
    """Union of pieces that share edges exactly, so no new vertices: it stays on the grid."""
    union = shapely.union_all(geoms)
    return union if union.is_valid else shapely.make_valid(union)


def _order(groups: list[BaseGeometry]) -> list[int]:
    """Indices ordered north to south, then west to east (by representative point)."""
    points = [g.representative_point() for g in groups]
    return sorted(range(len(groups)), key=lambda i: (-round(points[i].y, 3), points[i].x))


def _nearest(geoms: list[BaseGeometry], target: BaseGeometry) -> int:
    """Index of the geometry whose representative point is nearest the target's centroid."""
    centre = target.centroid
    return min(range(len(geoms)), key=lambda i: geoms[i].representative_point().distance(centre))


def _tessellation(
    region: Polygon, count: int, frame: _Frame, rng: random.Random
) -> tuple[np.ndarray, list[set[int]], np.ndarray, np.ndarray]:
    """Blocks in lon/lat on the grid, with adjacency, km centroids and km areas."""
    km_blocks = _blocks(region, count, rng)
    # Rounding vertices (not snap-rounding each block) keeps shared edges identical.
    blocks = frame.to_lonlat(km_blocks)
    invalid = ~shapely.is_valid(blocks)
    blocks[invalid] = shapely.make_valid(blocks[invalid])
    xy = shapely.get_coordinates(shapely.centroid(km_blocks))
    return blocks, _adjacency(blocks), xy, shapely.area(km_blocks)


def _area(code: str, name: str, kind: str, parent: str | None, geom: BaseGeometry) -> DemoArea:
    """A DemoArea with its geometry as a 6-decimal GeoJSON dict."""
    return DemoArea(code, name, kind, parent, to_geojson_dict(geom, DECIMALS))


def _nhs_areas(region: Polygon, frame: _Frame, rng: random.Random) -> list[DemoArea]:
    """ICS, places, PCNs and neighbourhoods, coded and named in north-to-south order."""
    blocks, neighbours, xy, area = _tessellation(region, NHS_BLOCKS, frame, rng)
    stems = rng.sample(NEIGHBOURHOOD_STEMS, len(NEIGHBOURHOOD_STEMS))
    # places -> pcns -> neighbourhoods, each level a list of block-index lists
    places = [
        [
            _grow(pcn, rng.choice([2, 3, 3, 4]), neighbours, xy, area, rng)
            for pcn in _grow(place, rng.choice([3, 4]), neighbours, xy, area, rng)
        ]
        for place in _grow(list(range(len(blocks))), 3, neighbours, xy, area, rng)
    ]
    place_geoms = []
    tree = []  # (place geom, [(pcn geom, [neighbourhood geoms])])
    for place in places:
        pcn_parts = []
        for pcn in place:
            nbhd_geoms = [_union(list(blocks[cell])) for cell in pcn]
            pcn_parts.append((_union(nbhd_geoms), nbhd_geoms))
        place_geom = _union([geom for geom, _ in pcn_parts])
        place_geoms.append(place_geom)
        tree.append((place_geom, pcn_parts))
    ics = _union(place_geoms)

    out = [_area("DEMO-ICS", ICS_NAME, "ics", None, ics)]
    pcns: list[DemoArea] = []
    nbhds: list[DemoArea] = []
    for p_no, p in enumerate(_order(place_geoms), start=1):
        place_geom, pcn_parts = tree[p]
        place_code = f"DEMO-P{p_no}"
        stem = PLACE_STEMS[p_no - 1]
        out.append(_area(place_code, f"{stem} Place", "place", "DEMO-ICS", place_geom))
        all_nbhds = [g for _, geoms in pcn_parts for g in geoms]
        central = all_nbhds[_nearest(all_nbhds, place_geom)]
        for q in _order([geom for geom, _ in pcn_parts]):
            pcn_geom, nbhd_geoms = pcn_parts[q]
            pcn_code = f"DEMO-PCN{len(pcns) + 1:02d}"
            names = [f"{stem} Central" if g is central else stems.pop() for g in nbhd_geoms]
            for n in _order(nbhd_geoms):
                code = f"DEMO-N{len(nbhds) + 1:03d}"
                name = f"{names[n]} Neighbourhood"
                nbhds.append(_area(code, name, "neighbourhood", pcn_code, nbhd_geoms[n]))
            lead = names[_nearest(nbhd_geoms, pcn_geom)]
            pcns.append(_area(pcn_code, f"{lead} PCN", "pcn", place_code, pcn_geom))
    return out + pcns + nbhds


def _council_areas(region: Polygon, frame: _Frame, rng: random.Random) -> list[DemoArea]:
    """Local authorities and their wards, from a second, independent block set."""
    blocks, neighbours, xy, area = _tessellation(region, COUNCIL_BLOCKS, frame, rng)
    names = rng.sample(WARD_NAMES, len(WARD_NAMES))
    lads = []
    for lad in _grow(list(range(len(blocks))), rng.choice([2, 3]), neighbours, xy, area, rng):
        wards = _grow(lad, rng.randint(8, 15), neighbours, xy, area, rng)
        ward_geoms = [_union(list(blocks[cell])) for cell in wards]
        lads.append((_union(ward_geoms), ward_geoms))
    out: list[DemoArea] = []
    wards_out: list[DemoArea] = []
    for l_no, i in enumerate(_order([geom for geom, _ in lads]), start=1):
        lad_geom, ward_geoms = lads[i]
        lad_code = f"DEMO-LAD{l_no}"
        out.append(_area(lad_code, f"{LAD_STEMS[l_no - 1]} Borough", "lad", None, lad_geom))
        for w in _order(ward_geoms):
            code = f"DEMO-W{len(wards_out) + 1:03d}"
            wards_out.append(_area(code, names.pop(), "ward", lad_code, ward_geoms[w]))
    return out + wards_out


def generate_demo_geography(seed: int) -> list[DemoArea]:
    """The fictional ICS's areas (NHS and council hierarchies), parents before children."""
    rng = random.Random(f"demo-geography:{seed}")
    frame = _Frame(lon0=-2.3 + rng.uniform(-0.02, 0.02), lat0=53.8 + rng.uniform(-0.015, 0.015))
    region = _region(rng)
    return _nhs_areas(region, frame, rng) + _council_areas(region, frame, rng)


def random_point_in(geometry: dict, rng: random.Random) -> tuple[float, float]:
    """A uniformly random (lon, lat) inside a GeoJSON (Multi)Polygon, rounded to 6 decimals."""
    geom = shape(geometry)
    if geom.is_empty or geom.area <= 0:
        raise ValueError("cannot pick a point inside an empty or zero-area geometry")
    shapely.prepare(geom)
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(100_000):
        x = round(rng.uniform(minx, maxx), DECIMALS)
        y = round(rng.uniform(miny, maxy), DECIMALS)
        if shapely.contains_xy(geom, x, y):
            return x, y
    point = geom.representative_point()  # only for slivers far thinner than their bounds
    return point.x, point.y


def _postcode(rng: random.Random, district: int, used: set[str]) -> str:
    """A fictional postcode in the non-existent ZZ area (never ZZ99, the NHS pseudo-postcodes)."""
    while True:
        inward = f"{rng.randint(1, 9)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
        postcode = f"ZZ{district} {inward}"
        if postcode not in used:
            used.add(postcode)
            return postcode


def demo_practices(areas: list[DemoArea], seed: int) -> list[dict]:
    """2-4 fictional GP practices per PCN, each at a random point inside its PCN."""
    rng = random.Random(f"demo-practices:{seed}")
    by_code = {area.code: area for area in areas}
    places = sorted(a.code for a in areas if a.type == "place")
    used_names: set[str] = set()
    used_postcodes: set[str] = set()
    practices: list[dict] = []
    for pcn in sorted((a for a in areas if a.type == "pcn"), key=lambda a: a.code):
        homes = [a for a in areas if a.type == "neighbourhood" and a.parent_code == pcn.code]
        homes = rng.sample(homes, len(homes)) or [pcn]
        district = places.index(pcn.parent_code) + 1 if pcn.parent_code in places else 9
        for i in range(rng.randint(2, 4)):
            home = homes[i % len(homes)]
            stem = home.name.removesuffix(" Neighbourhood").removesuffix(" PCN")
            suffixes = rng.sample(PRACTICE_SUFFIXES, len(PRACTICE_SUFFIXES))
            candidates = [f"{stem} {s}" for s in suffixes] + [f"{stem} Road {s}" for s in suffixes]
            name = next(n for n in candidates if n not in used_names)
            used_names.add(name)
            lon, lat = random_point_in(by_code[home.code].geometry, rng)
            practices.append(
                {
                    "code": f"DEMO-G{len(practices) + 1:03d}",
                    "name": name,
                    "postcode": _postcode(rng, district, used_postcodes),
                    "pcn_code": pcn.code,
                    "pcn_name": pcn.name,
                    "lon": lon,
                    "lat": lat,
                }
            )
    return practices
