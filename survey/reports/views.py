"""Pages for ICPs and boards: roadmap workbooks and year-on-year trends."""

from __future__ import annotations

import base64
import io
from typing import IO

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wsgi import FileWrapper

from exports.trends import change_sentences, chart_alt_text, domains, trend_chart_png, years

from ..access import signed_in_user, visible_area_ids
from ..extensions import db
from ..instruments_store import registry
from ..lookups import round_or_404
from ..models import Area, Round
from .roadmap_data import roadmap_workbook
from .trends_data import trend_points, trends_workbook

bp = Blueprint("reports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEND_PIECE = 64 * 1024  # bytes of a workbook file sent at a time
CHOOSABLE_TYPES = ("ics", "place", "pcn", "lad")
YEARLY = "confidence"


def xlsx_download(data: bytes | IO[bytes], filename: str) -> Response:
    """A workbook as a download that is never cached.

    ``data``: the workbook's bytes, or a file it was written to, sent from its start in
    pieces (SEND_PIECE) and closed once sent: a large workbook is not held in memory."""
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    if isinstance(data, bytes):
        reply = Response(data, mimetype=XLSX, headers=headers)
    else:
        headers["Content-Length"] = str(data.seek(0, io.SEEK_END))
        data.seek(0)
        # not direct_passthrough: werkzeug would then never call the reply's close
        reply = Response(FileWrapper(data, SEND_PIECE), mimetype=XLSX, headers=headers)
    return reply


def actor() -> str:
    """Who to name in the audit log and on the method sheet."""
    return current_user.email


def area_for_viewer(code: str) -> Area:
    """The area, if it exists (404) and this viewer may see its figures (403)."""
    area = db.session.scalar(sa.select(Area).where(Area.code == code))
    if area is None:
        abort(404)
    allowed = visible_area_ids(current_user)
    if allowed is not None and area.id not in allowed:
        abort(403)
    return area


def choosable_areas() -> list[Area]:
    """Areas a viewer can pick for a report: the larger ones they may see."""
    query = sa.select(Area).where(Area.type.in_(CHOOSABLE_TYPES)).order_by(Area.type, Area.name)
    allowed = visible_area_ids(current_user)
    if allowed is not None:
        query = query.where(Area.id.in_(allowed))
    return list(db.session.scalars(query))


def round_by_slug(slug: str) -> Round:
    """The round with this slug (404 if none)."""
    return round_or_404(slug)


@bp.get("/roadmaps")
def roadmaps():
    """Choose an area and a round, then download its roadmap workbook."""
    code, slug = request.args.get("area"), request.args.get("round")
    if code and slug:
        return redirect(url_for(".roadmap_download", code=code, slug=slug))
    rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc())).all()
    return render_template("views/reports/roadmaps.html", areas=choosable_areas(), rounds=rounds)


@bp.get("/areas/<code>/rounds/<slug>/roadmap.xlsx")
def roadmap_download(code: str, slug: str):
    """An area's roadmap workbook (groups sheet only with the groups' consent)."""
    area = area_for_viewer(code)
    round_ = round_by_slug(slug)
    moderated = request.args.get("moderated") == "1"
    data = roadmap_workbook(
        area, round_, viewer=signed_in_user(), actor=actor(), moderated=moderated
    )
    return xlsx_download(data, f"roadmap-{area.code}-{round_.slug}.xlsx")


@bp.get("/trends")
def trends_home():
    """Choose an area for the board's year-on-year view."""
    return render_template("views/reports/trends_home.html", areas=choosable_areas())


def _instrument_id() -> str:
    chosen = request.args.get("instrument", YEARLY)
    if not any(i.id == chosen for i in registry().all()):
        abort(404)
    return chosen


@bp.get("/areas/<code>/trends")
def trends(code: str):
    """The board page: the yearly survey year by year, chart and numbers, printable."""
    area = area_for_viewer(code)
    instrument_id = _instrument_id()
    points = trend_points(area, instrument_id)
    chart = base64.b64encode(trend_chart_png(area.name, points)).decode() if points else None
    table = {(p.domain_id, p.year): p for p in points}
    return render_template(
        "views/reports/trends.html",
        area=area,
        instrument=registry().latest(instrument_id),
        points=points,
        years=years(points),
        domains=domains(points),
        table=table,
        sentences=change_sentences(points),
        chart=chart,
        alt=chart_alt_text(area.name, points),
        versions=sorted({p.version for p in points}),
        threshold=current_app.config["DISCLOSURE_THRESHOLD"],
    )


@bp.get("/areas/<code>/trends.xlsx")
def trends_download(code: str):
    """The board trends workbook for an area."""
    area = area_for_viewer(code)
    data = trends_workbook(area, _instrument_id(), actor=actor())
    return xlsx_download(data, f"trends-{area.code}.xlsx")
