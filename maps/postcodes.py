"""Postcode directories: normalising postcodes and reading the two layouts people have.

Code-Point Open (OS): `postcode`, `easting`, `northing`[, `lat`, `lon`, `ward_code`].
ONS Postcode Directory / NSPL: `pcds` (or `pcd`, `pcd7`, `pcd8`), `lat`, `long`,
`oseast1m`, `osnrth1m`, `doterm`[, `osward`].

Rows are read as a stream and handed out in batches, so a national file (2.7 million
rows) never sits in memory whole. Every problem is a PostcodeError whose message is one
line naming the line of the file and the field.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from pyproj import Transformer

from instruments.answers import POSTCODE, normalise_postcode


class PostcodeError(ValueError):
    """A postcode file that cannot be imported; the message is one line."""


@dataclass(frozen=True)
class Layout:
    """Which columns of a postcode file hold what."""

    name: str
    postcode: str
    easting: str | None
    northing: str | None
    lat: str | None
    lon: str | None
    terminated: str | None
    ward: str | None


def _first(header: list[str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in header), None)


def detect_layout(header: list[str]) -> Layout:
    """The layout named by a (lower-cased) header row, or a PostcodeError naming both."""
    if "postcode" in header and "easting" in header and "northing" in header:
        return Layout(
            "Code-Point Open",
            "postcode",
            "easting",
            "northing",
            _first(header, ("lat", "latitude")),
            _first(header, ("lon", "long", "longitude")),
            None,
            _first(header, ("ward_code", "admin_ward_code")),
        )
    postcode = _first(header, ("pcds", "pcd", "pcd7", "pcd8"))
    if postcode and "lat" in header and "long" in header:
        return Layout(
            "ONS Postcode Directory",
            postcode,
            _first(header, ("oseast1m",)),
            _first(header, ("osnrth1m",)),
            "lat",
            "long",
            _first(header, ("doterm",)),
            _first(header, ("osward", "wd25cd", "wd24cd", "wd23cd", "wd22cd")),
        )
    shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
    raise PostcodeError(
        "unknown layout: expected Code-Point Open columns (postcode, easting, northing) or "
        f"ONS Postcode Directory/NSPL columns (pcds, lat, long, oseast1m, osnrth1m); found {shown}"
    )


class PostcodeRecord(NamedTuple):
    """One postcode's centroid (WGS84 and British National Grid) and status."""

    postcode: str
    lat: float | None
    lon: float | None
    easting: float | None
    northing: float | None
    terminated: bool
    ward_code: str | None
    line: int = 0  # where it is in the file, for error messages

    def row(self) -> tuple:
        """The record as a row of the postcode table, in COLUMNS order."""
        return self[:7]


COLUMNS = ("postcode", "lat", "lon", "easting", "northing", "terminated", "ward_code")


@lru_cache(maxsize=1)
def _bng_to_wgs84() -> Transformer:
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _number(text: str, line: int, field: str | None, low: float, high: float) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise PostcodeError(f"line {line}: '{field}' {text[:30]!r} is not a number") from None
    if not low <= value <= high:
        raise PostcodeError(f"line {line}: '{field}' {value:g} is out of range")
    return value


class _Reader:
    """Turns rows of one layout into records (column positions looked up once)."""

    def __init__(self, layout: Layout, at: dict[str, int]) -> None:
        self.layout = layout
        fields = (layout.postcode, layout.easting, layout.northing, layout.lat, layout.lon)
        self.fields = fields
        self.indexes = [at[f] if f else None for f in fields]
        self.terminated = at[layout.terminated] if layout.terminated else None
        self.ward = at[layout.ward] if layout.ward else None
        self.width = 1 + max(
            i for i in [*self.indexes, self.terminated, self.ward] if i is not None
        )

    def record(self, row: list[str], line: int) -> PostcodeRecord:
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        ip, ie, inn, ila, ilo = self.indexes
        raw = row[ip].strip()
        # Most rows are already as stored ("PR1 2AA"): the one pattern, without normalising.
        postcode = raw if " " in raw and POSTCODE.match(raw) else normalise_postcode(raw)
        if postcode is None:
            raise PostcodeError(
                f"line {line}: '{self.fields[0]}' {raw[:30]!r} is not a UK postcode"
            )
        name = self.fields
        easting = _number(row[ie].strip(), line, name[1], 0, 800_000) if ie is not None else None
        northing = (
            _number(row[inn].strip(), line, name[2], 0, 1_300_000) if inn is not None else None
        )
        lat = _number(row[ila].strip(), line, name[3], -90, 100) if ila is not None else None
        lon = _number(row[ilo].strip(), line, name[4], -180, 180) if ilo is not None else None
        # The ONS directory writes lat 99.999999, long 0 for a postcode with no grid
        # reference; Code-Point writes 0, 0 for the same.
        if lat is not None and lat > 90:
            lat = lon = None
        if not easting and not northing:
            easting = northing = None
        terminated = self.terminated is not None and row[self.terminated].strip() != ""
        ward = row[self.ward].strip()[:12] or None if self.ward is not None else None
        if ward and "\x00" in ward:
            raise PostcodeError(f"line {line}: contains a null character")
        return PostcodeRecord(postcode, lat, lon, easting, northing, terminated, ward, line)


def _fill_lonlat(records: list[PostcodeRecord]) -> list[PostcodeRecord]:
    """Records given only in grid references, with lon/lat computed (one call per batch)."""
    missing = [
        i
        for i, r in enumerate(records)
        if r.lat is None and r.easting is not None and r.northing is not None
    ]
    if not missing:
        return records
    xs = np.array([records[i].easting for i in missing], dtype=float)
    ys = np.array([records[i].northing for i in missing], dtype=float)
    lons, lats = _bng_to_wgs84().transform(xs, ys)
    out = list(records)
    for i, lon, lat in zip(missing, lons.tolist(), lats.tolist(), strict=True):
        r = out[i]
        out[i] = r._replace(lat=round(lat, 6), lon=round(lon, 6))
    return out


class PostcodeFile:
    """A postcode file read as a stream: its layout from the header, then batches of records."""

    def __init__(self, lines: Iterable[str], batch_size: int = 5000) -> None:
        """Read the header row (a PostcodeError if it names neither layout)."""
        self._reader = csv.reader(lines)
        self._batch_size = batch_size
        first = self._next()
        if first is None or not any(cell.strip() for cell in first):
            raise PostcodeError("the file is empty")
        header = [cell.strip().lower().lstrip("\ufeff") for cell in first]
        self.layout = detect_layout(header)
        at = {name: index for index, name in reversed(list(enumerate(header)))}
        self._reader_of = _Reader(self.layout, at)

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader, None)
        except csv.Error as error:
            line = self._reader.line_num
            raise PostcodeError(f"line {line}: not readable as CSV ({error})") from None

    def batches(self) -> Iterator[list[PostcodeRecord]]:
        """Lists of at most batch_size records, in file order."""
        batch: list[PostcodeRecord] = []
        while (row := self._next()) is not None:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            line = self._reader.line_num
            batch.append(self._reader_of.record(row, line))
            if len(batch) >= self._batch_size:
                yield _fill_lonlat(batch)
                batch = []
        if batch:
            yield _fill_lonlat(batch)


EARTH_RADIUS_METRES = 6_371_008.8  # the mean radius (IUGG)


def great_circle_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance between two WGS84 points along the earth's surface (haversine), in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))
