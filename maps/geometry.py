"""GeoJSON geometry helpers: rounding, display simplification, British National Grid."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

# British National Grid (EPSG:27700) covers Great Britain and its islands with
# eastings 0..700 km and northings 0..1250 km; a little slack for offshore parts.
BNG_MAX_EASTING = 800_000.0
BNG_MAX_NORTHING = 1_300_000.0
BNG_MIN = -10_000.0

_POLYGONAL = ("Polygon", "MultiPolygon")


def _coordinates(geometry: dict) -> np.ndarray:
    """Every (x, y) pair of a GeoJSON geometry as an (n, 2) array."""
    coords = shapely.get_coordinates(shape(geometry))
    return coords.reshape(-1, 2)


def _nested_lists(value: Any, decimals: int | None) -> Any:
    """GeoJSON coordinates as nested lists of floats (tuples become lists), maybe rounded."""
    if isinstance(value, (int, float)):
        return float(value) if decimals is None else round(float(value), decimals)
    return [_nested_lists(item, decimals) for item in value]


def to_geojson_dict(geom: BaseGeometry, decimals: int | None = 6) -> dict:
    """A shapely geometry as a plain GeoJSON geometry dict (coordinates rounded unless None)."""
    data = mapping(geom)
    if data["type"] == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [to_geojson_dict(part, decimals) for part in geom.geoms],
        }
    return {"type": data["type"], "coordinates": _nested_lists(data["coordinates"], decimals)}


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry, dropping points and lines a repair may leave behind."""
    if geom.geom_type in _POLYGONAL or geom.is_empty:
        return geom
    polygons = [
        part for part in shapely.get_parts(geom) if part.geom_type in _POLYGONAL and part.area > 0
    ]
    if not polygons:
        return shapely.Polygon()
    return shapely.union_all(polygons)


def reduce_precision(geom: BaseGeometry, decimals: int) -> BaseGeometry:
    """A valid copy of a geometry with every vertex on a 10**-decimals grid."""
    was_polygonal = geom.geom_type in _POLYGONAL
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    reduced = shapely.set_precision(geom, 10.0**-decimals)
    if not reduced.is_valid:
        reduced = shapely.make_valid(reduced)
    if was_polygonal:
        reduced = _polygonal_part(reduced)
        if not reduced.is_valid:
            reduced = reduced.buffer(0)
    return reduced


def round_geometry(geometry: dict, decimals: int = 6) -> dict:
    """A valid copy of a GeoJSON geometry with coordinates rounded to `decimals` places."""
    return to_geojson_dict(reduce_precision(shape(geometry), decimals), decimals)


def simplify_geometry(geometry: dict, tolerance: float = 0.0005) -> dict:
    """A simplified, valid display copy of a GeoJSON geometry, rounded to 5 decimals."""
    original = shape(geometry)
    if original.is_empty:
        return to_geojson_dict(original, 5)
    simplified = reduce_precision(original.simplify(tolerance, preserve_topology=True), 5)
    if simplified.is_empty:
        simplified = reduce_precision(original, 5)
    if simplified.is_empty:
        # Smaller than the 5-decimal grid: keep it exactly as it came.
        return to_geojson_dict(original, None)
    return to_geojson_dict(simplified, 5)


def looks_like_bng(geometry: dict) -> bool:
    """Whether coordinates are British National Grid eastings/northings, not lon/lat."""
    coords = _coordinates(geometry)
    if coords.size == 0:
        return False
    x, y = coords[:, 0], coords[:, 1]
    if np.all((np.abs(x) <= 180) & (np.abs(y) <= 90)):
        return False
    return bool(
        np.all((x >= BNG_MIN) & (x <= BNG_MAX_EASTING) & (y >= BNG_MIN) & (y <= BNG_MAX_NORTHING))
    )


@lru_cache(maxsize=1)
def _bng_to_wgs84() -> Transformer:
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def to_wgs84(geometry: dict) -> dict:
    """The geometry in WGS84 lon/lat: reprojected from British National Grid if needed."""
    coords = _coordinates(geometry)
    if coords.size == 0 or np.all((np.abs(coords[:, 0]) <= 180) & (np.abs(coords[:, 1]) <= 90)):
        return to_geojson_dict(shape(geometry), None)
    if not looks_like_bng(geometry):
        raise ValueError(
            "coordinates are neither WGS84 longitude/latitude nor British National Grid "
            f"eastings/northings (x {coords[:, 0].min():.0f}..{coords[:, 0].max():.0f}, "
            f"y {coords[:, 1].min():.0f}..{coords[:, 1].max():.0f})"
        )
    transformer = _bng_to_wgs84()

    def reproject(xy: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return to_geojson_dict(shapely.transform(shape(geometry), reproject), None)
