"""The same choropleth as a PNG (matplotlib), for reports and workbooks."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from .choropleth import MapArea, Scale, colour_of, legend

HATCH = "///"


def plain(text: str) -> str:
    """Text drawn as it is: matplotlib would read "$...$" in a name as mathematics."""
    return text.replace("$", r"\$")


def _path(geometry: dict | str) -> MplPath | None:
    """A matplotlib path of a (Multi)Polygon, holes included."""
    if isinstance(geometry, str):
        geometry = json.loads(geometry)
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else []
    )
    vertices, codes = [], []
    for rings in polygons:
        for ring in rings:
            if len(ring) < 3:
                continue
            vertices.extend(ring)
            codes.extend(
                [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 2) + [MplPath.CLOSEPOLY]
            )
    return MplPath(vertices, codes) if vertices else None


def render_png(
    areas: Sequence[MapArea],
    scale: Scale,
    threshold: int,
    title: str = "",
    attribution: str = "",
    width_in: float = 8.0,
) -> bytes:
    """The choropleth as PNG bytes: hatched grey for suppressed areas, legend beside it."""
    figure = Figure(figsize=(width_in, width_in * 0.75), dpi=100)
    axes = figure.add_axes((0.02, 0.06, 0.58, 0.86))
    axes.set_axis_off()
    bounds = [math.inf, math.inf, -math.inf, -math.inf]
    for area in areas:
        if not area.geometry:
            continue
        path = _path(area.geometry)
        if path is None:
            continue
        fill, state = colour_of(area, scale)
        axes.add_patch(
            PathPatch(
                path,
                facecolor=fill,
                edgecolor="#505a5f",
                linewidth=0.4,
                hatch=HATCH if state == "suppressed" else None,
            )
        )
        (x0, y0), (x1, y1) = path.get_extents().get_points()
        bounds = [min(bounds[0], x0), min(bounds[1], y0), max(bounds[2], x1), max(bounds[3], y1)]
    if bounds[0] < math.inf:
        axes.set_xlim(bounds[0], bounds[2])
        axes.set_ylim(bounds[1], bounds[3])
        # Degrees of longitude shrink with latitude: keep the shapes true.
        axes.set_aspect(1 / math.cos(math.radians((bounds[1] + bounds[3]) / 2)))
    handles = [
        Patch(
            facecolor=row["colour"],
            edgecolor="#505a5f",
            hatch=HATCH if row["state"] == "suppressed" else None,
            label=plain(row["label"]),
        )
        for row in legend(scale, threshold)
    ]
    figure.legend(
        handles=handles,
        loc="center left",
        bbox_to_anchor=(0.62, 0.5),
        title=plain(scale.title),
        frameon=False,
        fontsize=9,
    )
    if title:
        figure.suptitle(plain(title), fontsize=12, x=0.02, ha="left")
    if attribution:
        figure.text(0.02, 0.01, plain(attribution), fontsize=6, color="#505a5f")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
