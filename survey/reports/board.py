"""The board pack pages: every survey run more than once, for one area, as a page, print and workbook."""

from __future__ import annotations

from flask import current_app, render_template

from exports.board_pack import change_text, percent, summary_lines

from .board_data import board_pack_workbook, board_packs
from .views import actor, area_for_viewer, bp, xlsx_download


def _context(code: str) -> dict:
    area = area_for_viewer(code)
    packs = board_packs(area)
    return {
        "area": area,
        "packs": packs,
        "summaries": [(p, summary_lines(p)) for p in packs],
        "change_text": change_text,
        "percent": percent,
        "threshold": current_app.config["DISCLOSURE_THRESHOLD"],
    }


@bp.get("/areas/<code>/board-pack")
def board_pack(code: str):
    """The board pack: response rates, levels, paired change, target and readiness, by survey."""
    return render_template("views/reports/board_pack.html", **_context(code))


@bp.get("/areas/<code>/board-pack/print")
def board_pack_print(code: str):
    """The board pack's one-page summary, laid out for an A4 page."""
    return render_template("views/reports/board_pack_print.html", **_context(code))


@bp.get("/areas/<code>/board-pack.xlsx")
def board_pack_download(code: str):
    """The board pack workbook for an area."""
    area = area_for_viewer(code)
    return xlsx_download(board_pack_workbook(area, actor=actor()), f"board-pack-{area.code}.xlsx")
