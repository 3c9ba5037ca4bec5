"""Small-multiple charts for the comparison page (matplotlib, no pyplot state)."""

from __future__ import annotations

import io
import math

from matplotlib.figure import Figure

from maps.static_map import plain

from .compare import DomainRow

COLOUR = "#1d70b8"


def compare_png(rows: list[DomainRow], names: list[str]) -> bytes:
    """One panel per domain: each area's mean as a dot with its 95% interval as a line.

    Suppressed or empty areas have no dot and the words "not shown" instead.
    """
    columns = 2 if len(rows) > 1 else 1
    lines = math.ceil(len(rows) / columns)
    height = max(2.0, 0.28 * len(names) + 0.9)
    figure = Figure(figsize=(10, lines * height), dpi=100, layout="constrained")
    panels = figure.subplots(lines, columns, squeeze=False)
    for index, axes in enumerate(panels.flat):
        if index >= len(rows):
            axes.set_axis_off()
            continue
        row = rows[index]
        axes.set_title(plain(row.domain_name), fontsize=10, loc="left")
        axes.set_xlim(1, 5)
        axes.set_xticks([1, 2, 3, 4, 5])
        axes.set_ylim(-0.7, len(names) - 0.3)
        axes.set_yticks(range(len(names)))
        labels = [plain(n) for n in names] if index % columns == 0 else [""] * len(names)
        axes.set_yticklabels(labels, fontsize=8)
        axes.invert_yaxis()
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
        for y, cell in enumerate(row.cells):
            if not cell.shown:
                axes.text(1.05, y, "not shown", va="center", fontsize=7, color="#505a5f")
                continue
            s = cell.aggregate.summary
            if cell.has_interval:
                axes.plot([s.ci_low, s.ci_high], [y, y], color=COLOUR, linewidth=2)
            axes.plot([s.mean], [y], "o", color="#0b0c0c", markersize=5)
    figure.supxlabel("Mean score (1 to 5), with 95% interval", fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
