"""Board trends: the yearly survey's results year by year, as a chart, a table and a workbook.

Pure: the shell passes one point per (round, domain), already suppressed; this
draws the chart (matplotlib, no pyplot state), words its alt text and writes
the workbook with the chart embedded as a picture next to the numbers.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from matplotlib.figure import Figure
from openpyxl.drawing.image import Image

from instruments import OVERALL

from .workbook_style import (
    SUPPRESSED_FILL,
    add_filter,
    cell,
    level_cell,
    new_sheet,
    new_workbook,
    save_workbook,
    write_header,
    write_key_values,
    write_row,
)


@dataclass(frozen=True)
class TrendPoint:
    """One domain's figures in one year's round; numbers None when suppressed or empty."""

    year: str
    round_title: str
    version: str
    domain_id: str
    domain_name: str
    n: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    level: int | None
    suppressed: bool

    @property
    def status(self) -> str:
        """What a cell without numbers says."""
        if self.suppressed:
            return "suppressed"
        return "no responses" if not self.n else ""


def years(points: Sequence[TrendPoint]) -> list[str]:
    """The years in order of first appearance (the shell passes them oldest first)."""
    return list(dict.fromkeys(p.year for p in points))


def domains(points: Sequence[TrendPoint]) -> list[tuple[str, str]]:
    """(id, name) of the domains in order, overall last."""
    found = dict.fromkeys((p.domain_id, p.domain_name) for p in points)
    ordered = [d for d in found if d[0] != OVERALL]
    return ordered + [d for d in found if d[0] == OVERALL]


def change_sentences(points: Sequence[TrendPoint]) -> list[str]:
    """One plain sentence per domain: latest mean, n, and the change from the year before."""
    out = []
    for domain_id, name in domains(points):
        series = [p for p in points if p.domain_id == domain_id and p.mean is not None]
        if not series:
            out.append(f"{name}: no figures can be shown (too few responses).")
            continue
        last = series[-1]
        text = f"{name}: {last.mean:.2f} in {last.year} (n={last.n})"
        if len(series) > 1:
            before = series[-2]
            diff = last.mean - before.mean
            way = "up" if diff > 0.005 else "down" if diff < -0.005 else "no change"
            text += (
                f", {way} {abs(diff):.2f} from {before.year}"
                if way != "no change"
                else f", the same as {before.year}"
            )
        out.append(text + ".")
    return out


def chart_alt_text(area_name: str, points: Sequence[TrendPoint]) -> str:
    """A text alternative for the chart: what it shows and the latest figures."""
    span = years(points)
    head = (
        f"Line chart of mean scores (1 to 5) for {area_name}, "
        f"{span[0]} to {span[-1]}, one line per principle and overall, "
        "with 95% confidence intervals. "
        if span
        else f"No figures for {area_name}. "
    )
    return head + " ".join(change_sentences(points))


def trend_chart_png(area_name: str, points: Sequence[TrendPoint]) -> bytes:
    """The chart as PNG bytes: mean by year per domain, intervals as error bars.

    Drawing takes about 0.2 s whatever the number of groups, and the figures change only
    when a round does, so the last charts drawn are kept by their area name and points.
    """
    return _chart(area_name, tuple(points))


@functools.lru_cache(maxsize=64)
def _chart(area_name: str, points: tuple[TrendPoint, ...]) -> bytes:
    labels = years(points)
    figure = Figure(figsize=(9, 4.6), dpi=100)
    axes = figure.add_subplot()
    spread = 0.08
    names = domains(points)
    for i, (domain_id, name) in enumerate(names):
        series = [p for p in points if p.domain_id == domain_id and p.mean is not None]
        if not series:
            continue
        offset = (i - (len(names) - 1) / 2) * spread
        xs = [labels.index(p.year) + offset for p in series]
        ys = [p.mean for p in series]
        low = [p.mean - (p.ci_low if p.ci_low is not None else p.mean) for p in series]
        high = [(p.ci_high if p.ci_high is not None else p.mean) - p.mean for p in series]
        overall = domain_id == OVERALL
        axes.errorbar(
            xs,
            ys,
            yerr=[low, high],
            label=name,
            marker="o",
            capsize=3,
            linewidth=3 if overall else 1.5,
            color="#0b0c0c" if overall else None,
        )
    axes.set_xticks(range(len(labels)), labels)
    axes.set_ylim(1, 5)
    axes.set_ylabel("Mean score (1 to 5)")
    axes.set_title(f"{area_name}: year on year")
    axes.grid(axis="y", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    else:
        axes.text(0.5, 0.5, "Too few responses to show", ha="center", transform=axes.transAxes)
    figure.subplots_adjust(left=0.08, right=0.68, top=0.9, bottom=0.1)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


TABLE_HEADER = ("Year", "Round", "Instrument version", "Principle", "n", "Mean score",
                "95% CI low", "95% CI high", "Level", "Level shown")  # fmt: skip


def write_trends(
    out: str | Path | IO[bytes],
    *,
    area_name: str,
    points: Sequence[TrendPoint],
    method: Sequence[tuple[str, object]],
    png: bytes | None = None,
) -> None:
    """The trends workbook: a chart sheet, a table by year, a wide table, the method."""
    png = png if png is not None else trend_chart_png(area_name, points)
    wb = new_workbook()
    ws = new_sheet(wb, "Chart", widths=(120,), freeze=None)
    write_row(ws, [cell(ws, f"{area_name}: year on year", wrap=True)])
    write_row(ws, [cell(ws, chart_alt_text(area_name, points), wrap=True)])
    picture = Image(io.BytesIO(png))
    ws.add_image(picture, "A4")
    _table_sheet(wb, points)
    _wide_sheet(wb, points)
    sheet = new_sheet(wb, "Method", widths=(24, 110), freeze=None)
    write_key_values(sheet, method)
    save_workbook(wb, out)


def _number(ws, value: float | None, point: TrendPoint):
    if value is None:
        return cell(ws, point.status, fill=SUPPRESSED_FILL)
    return cell(ws, round(value, 2), number_format="0.00")


def _table_sheet(wb, points: Sequence[TrendPoint]) -> None:
    ws = new_sheet(wb, "By year", widths=(8, 40, 12, 34, 8, 11, 11, 11, 10, 14))
    write_header(ws, TABLE_HEADER)
    for p in points:
        write_row(
            ws,
            [
                p.year,
                p.round_title,
                p.version,
                p.domain_name,
                p.n if p.n is not None else p.status,
                _number(ws, p.mean, p),
                _number(ws, p.ci_low, p),
                _number(ws, p.ci_high, p),
                level_cell(ws, p.level, None if p.level else p.status),
                "self-assessed",
            ],
        )
    add_filter(ws, len(TABLE_HEADER), len(points) + 1)
    ws.print_title_rows = "1:1"


def _wide_sheet(wb, points: Sequence[TrendPoint]) -> None:
    span = years(points)
    ws = new_sheet(wb, "By principle", widths=(34, *[10] * (2 * len(span))), freeze="B2")
    write_header(ws, ["Principle", *(f"{y} {what}" for y in span for what in ("mean", "n"))])
    index = {(p.domain_id, p.year): p for p in points}
    for domain_id, name in domains(points):
        row: list = [name]
        for y in span:
            p = index.get((domain_id, y))
            if p is None:
                row += ["", ""]
                continue
            row += [_number(ws, p.mean, p), p.n if p.n is not None else p.status]
        write_row(ws, row)
