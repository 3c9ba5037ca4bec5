"""Read boundary files (GeoJSON, or TopoJSON, as ONS and councils publish them) into features.

Property names differ by year (LAD13CD, WD22NM, ...), so the caller names the
code, name and optional parent fields. Coordinates in British National Grid
are detected and reprojected to WGS84. Every problem is a BoundaryError whose
message is one line naming the feature and field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon

from .geometry import looks_like_bng, reduce_precision, to_wgs84
from .topology import simplify_shared

POLYGONAL = ("Polygon", "MultiPolygon")


class BoundaryError(ValueError):
    """A boundary file that cannot be imported; the message is one line."""


@dataclass(frozen=True)
class BoundaryFeature:
    """One area from a boundary file: WGS84 geometry, a display copy and a point inside."""

    code: str
    name: str
    parent_code: str | None
    geometry: dict
    display_geometry: dict
    point: tuple[float, float]


def _load_json(data: bytes | str) -> object:
    """The parsed JSON, or a one-line error for an empty or malformed file."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise BoundaryError(f"not UTF-8 text (byte {error.start})") from None
    if not data.strip():
        raise BoundaryError("the file is empty")
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        raise BoundaryError(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise BoundaryError("the JSON is nested too deeply to be a boundary file") from None
    except ValueError:  # a number of thousands of digits
        raise BoundaryError("the JSON holds a number too long to be a coordinate") from None


def _features(document: object) -> list[dict]:
    """The features of a FeatureCollection (or a lone Feature)."""
    if not isinstance(document, dict):
        raise BoundaryError("not GeoJSON: expected an object with a 'type'")
    kind = document.get("type")
    if kind == "Topology":
        return topology_features(document)
    if kind == "Feature":
        return [document]
    if kind != "FeatureCollection":
        raise BoundaryError(f"not a GeoJSON FeatureCollection (type is {kind!r})")
    features = document.get("features")
    if not isinstance(features, list):
        raise BoundaryError("the FeatureCollection has no 'features' list")
    if not features:
        raise BoundaryError("the FeatureCollection has no features")
    return features


def _pair(value: object) -> bool:
    """Two numbers (not booleans), as a transform's scale and translate are."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _arcs(topology: dict) -> list[list[list[float]]]:
    """The topology's arcs as absolute coordinates (undoing quantisation and deltas)."""
    transform = topology.get("transform")
    arcs = topology.get("arcs")
    if not isinstance(arcs, list):
        raise BoundaryError("the TopoJSON has no 'arcs' list")
    if not transform:
        return arcs
    if not (
        isinstance(transform, dict)
        and _pair(transform.get("scale"))
        and _pair(transform.get("translate"))
    ):
        raise BoundaryError(
            "the TopoJSON 'transform' must have a 'scale' and a 'translate' of two numbers each"
        )
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    out = []
    for number, arc in enumerate(arcs, start=1):
        x = y = 0
        points = []
        try:
            for dx, dy, *_ in arc:
                x, y = x + dx, y + dy
                points.append([x * sx + tx, y * sy + ty])
        except (TypeError, ValueError):
            raise BoundaryError(
                f"TopoJSON arc {number} is not a list of [x, y] number pairs"
            ) from None
        out.append(points)
    return out


def _ring(indexes: list[int], arcs: list) -> list[list[float]]:
    """A ring stitched from arcs (a negative index ~i is arc i reversed)."""
    ring: list[list[float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return ring


def _topology_geometry(item: dict, arcs: list) -> dict:
    """One TopoJSON geometry as GeoJSON."""
    kind, parts = item.get("type"), item.get("arcs")
    if kind == "Polygon":
        return {"type": kind, "coordinates": [_ring(r, arcs) for r in parts]}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [[_ring(r, arcs) for r in p] for p in parts]}
    return {"type": kind}


def topology_features(topology: dict) -> list[dict]:
    """The GeoJSON features of a TopoJSON file's single object (as ONS files have)."""
    objects = topology.get("objects")
    if not isinstance(objects, dict) or len(objects) != 1:
        names = ", ".join(objects) if isinstance(objects, dict) else "none"
        raise BoundaryError(f"the TopoJSON must hold exactly one object (it has: {names})")
    (layer,) = objects.values()
    geometries = layer.get("geometries", [layer]) if isinstance(layer, dict) else None
    if not isinstance(geometries, list):
        raise BoundaryError("the TopoJSON object is not a geometry or a list of geometries")
    arcs = _arcs(topology)
    features = []
    for number, item in enumerate(geometries, start=1):
        try:
            geometry = _topology_geometry(item, arcs)
        except (TypeError, IndexError, KeyError, ValueError, AttributeError):
            raise BoundaryError(
                f"TopoJSON geometry {number} refers to arcs that are not there"
            ) from None
        properties = item.get("properties") or {}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    if not features:
        raise BoundaryError("the TopoJSON object has no geometries")
    return features


def _text(properties: dict, field: str, where: str, required: bool = True) -> str | None:
    """A property as stripped text; missing or blank is an error when required."""
    value = properties.get(field)
    if value is None or str(value).strip() == "":
        if not required:
            return None
        available = ", ".join(sorted(properties)) or "none"
        problem = "has no property" if field not in properties else "has a blank"
        raise BoundaryError(f"{where} {problem} '{field}' (properties: {available})")
    if "\x00" in str(value):
        raise BoundaryError(f"{where} has a null character in '{field}'")
    return str(value).strip()


def _geometry(raw: object, where: str):
    """The feature's geometry, parsed, if it is a non-empty (Multi)Polygon."""
    if not isinstance(raw, dict) or raw.get("type") not in POLYGONAL:
        kind = raw.get("type") if isinstance(raw, dict) else raw
        raise BoundaryError(f"{where} geometry is {kind!r}, not a Polygon or MultiPolygon")
    try:
        geom = _shape(raw)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError):
        raise BoundaryError(f"{where} has malformed coordinates") from None
    if geom.is_empty:
        raise BoundaryError(f"{where} has an empty geometry")
    return geom


def read_boundaries(
    data: bytes | str,
    code_field: str,
    name_field: str,
    parent_field: str | None = None,
    tolerance: float = 0.0002,
) -> list[BoundaryFeature]:
    """Features of a GeoJSON boundary file, in WGS84, with simplified display copies."""
    features = _features(_load_json(data))
    rows: list[tuple] = []  # (code, name, parent code, shapely geometry)
    seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        where = f"feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise BoundaryError(f"{where} is not a GeoJSON Feature")
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise BoundaryError(f"{where} has no properties object")
        code = _text(properties, code_field, where)
        where = f"feature {number} ({code})"
        if code in seen:
            raise BoundaryError(f"{where} repeats the code of feature {seen[code]}")
        seen[code] = number
        name = _text(properties, name_field, where)
        parent = _text(properties, parent_field, where, required=False) if parent_field else None
        rows.append((code, name, parent, _geometry(feature.get("geometry"), where)))

    geoms = [geom for *_, geom in rows]
    if any(_beyond_lonlat(geom) for geom in geoms):
        geoms = [
            _reproject(geom, f"feature ({code})")
            for (code, *_), geom in zip(rows, geoms, strict=True)
        ]
    geoms = [_valid(geom) for geom in geoms]
    for number, ((code, *_), geom) in enumerate(zip(rows, geoms, strict=True), start=1):
        if geom.is_empty:  # every ring a line or a point: nothing to draw or place
            raise BoundaryError(f"feature {number} ({code}) has no area: its rings enclose nothing")
    display = simplify_shared(geoms, tolerance)
    out = []
    for (code, name, parent, _), geom, shown in zip(rows, geoms, display, strict=True):
        point = geom.representative_point()
        out.append(
            BoundaryFeature(
                code=code,
                name=name,
                parent_code=parent,
                geometry=geojson(geom, 6),
                display_geometry=geojson(shown, 5),
                point=(round(point.x, 6), round(point.y, 6)),
            )
        )
    return out


def _shape(geometry: dict):
    """A shapely geometry from a GeoJSON dict, parsed by GEOS (much faster than shape())."""
    return shapely.from_geojson(json.dumps(geometry))


def _beyond_lonlat(geom) -> bool:
    """True when some coordinate is outside longitude/latitude ranges."""
    coords = shapely.get_coordinates(geom)
    return bool(coords.size) and bool(
        (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any()
    )


def _reproject(geom, where: str):
    """A British National Grid geometry in WGS84 (lon/lat ones are left as they are)."""
    geometry = shapely.geometry.mapping(geom)
    if not _beyond_lonlat(geom) and not looks_like_bng(geometry):
        return geom
    if not looks_like_bng(geometry):
        raise BoundaryError(
            f"{where}: coordinates are neither longitude/latitude nor British National Grid"
        )
    return _shape(to_wgs84(geometry))


def _valid(geom):
    """A valid polygonal geometry on a 6-decimal grid (about 10 cm).

    Self-intersecting rings are common in generalised files; the "structure"
    repair (rings as areas, no collapsed lines) is four times faster than the
    default one and always returns polygons.
    """
    if not geom.is_valid:
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    return reduce_precision(geom, 6)


def _rings(polygon: Polygon, decimals: int) -> list:
    rings = [polygon.exterior, *polygon.interiors]
    return [np.round(np.asarray(r.coords)[:, :2], decimals).tolist() for r in rings]


def geojson(geom, decimals: int) -> dict:
    """A (Multi)Polygon as a GeoJSON geometry dict, coordinates rounded (fast, via numpy)."""
    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(geom, decimals)}
    parts = [p for p in getattr(geom, "geoms", []) if p.geom_type == "Polygon" and not p.is_empty]
    return {"type": "MultiPolygon", "coordinates": [_rings(p, decimals) for p in parts]}
