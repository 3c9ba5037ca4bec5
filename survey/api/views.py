"""The read-only JSON API: rounds, areas and suppressed aggregates, for a bearer token.

Every route is PUBLIC in the permission table because it does not use the
staff session: the token check below is its gate, and it answers 401 in JSON.
"""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from ..extensions import csrf, db
from ..instruments_store import instrument_for
from ..lookups import round_with_slug
from ..models import AREA_TYPES, Area, Round, utcnow
from ..publication import kept_reply, publish
from .downloads import iter_json
from .openapi import openapi_document
from .records import area_record, round_aggregates, round_record
from .tokens import token_from_header

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

OPEN = {"api.openapi"}
LAST_USED_EVERY = dt.timedelta(minutes=1)  # how often a token's last use is written


def _error(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


# The query parameters each address takes; any other is refused, so a typo is not ignored.
QUERY_PARAMETERS = {"api.areas": {"type"}, "api.aggregates": {"area_type", "area"}}


def _check_query() -> None:
    allowed = QUERY_PARAMETERS.get(request.endpoint or "", set())
    for name in request.args:
        if name not in allowed:
            takes = ", ".join(sorted(allowed)) or "none"
            abort(400, f"Unknown query parameter '{name[:40]}' (this address takes: {takes}).")
        if len(request.args.getlist(name)) > 1:
            abort(400, f"Give '{name}' once only.")


@bp.before_request
def _check_token():
    """A live token, or 401 (the document describing the API needs none); known parameters."""
    if request.endpoint in OPEN:
        _check_query()
        return None
    token = token_from_header(request.headers.get("Authorization"))
    if token is None:
        return _error(401, "Send a valid API token: Authorization: Bearer <token>.")
    g.api_token = token
    _check_query()
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        token.last_used_at = now
        db.session.commit()
    return None


@bp.after_request
def _not_cached(response):
    """Figures change as groups answer; nothing from the API is kept by a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def _json_error(error: HTTPException):
    """Errors from the API in JSON, never the HTML error page."""
    return _error(error.code or 500, error.description or error.name)


def _text_arg(name: str, max_length: int) -> str | None:
    """A query parameter as text, refusing control characters and overlong values."""
    value = request.args.get(name)
    if value is None:
        return None
    if len(value) > max_length or any(ord(c) < 32 for c in value):
        abort(400, f"'{name}' is not a valid value.")
    return value


def _area_type(name: str) -> str | None:
    value = _text_arg(name, 20)
    if value is not None and value not in AREA_TYPES:
        abort(400, f"'{name}' must be one of {', '.join(AREA_TYPES)}.")
    return value


def _round(slug: str) -> Round:
    if len(slug) > 80 or any(ord(c) < 32 for c in slug):
        abort(404, "No round has that slug.")
    found = round_with_slug(slug, with_areas=True)
    if found is None:
        abort(404, f"No round has the slug '{slug}'.")
    return found


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API."""
    return jsonify(openapi_document())


@bp.get("/rounds")
def rounds():
    """Every round, newest first."""
    found = db.session.scalars(
        sa.select(Round)
        .order_by(Round.opens_on.desc(), Round.slug)
        .options(selectinload(Round.areas))
    )
    return jsonify(rounds=[round_record(r) for r in found])


@bp.get("/rounds/<slug>")
def round_detail(slug: str):
    """One round."""
    return jsonify(round_record(_round(slug)))


@bp.get("/areas")
def areas():
    """Every area, or those of one type."""
    area_type = _area_type("type")
    query = sa.select(Area).order_by(Area.type, Area.code).options(selectinload(Area.parent))
    if area_type:
        query = query.where(Area.type == area_type)
    return jsonify(areas=[area_record(a) for a in db.session.scalars(query)])


@bp.get("/rounds/<slug>/aggregates")
def aggregates(slug: str):
    """Aggregates per area and domain for a round, small numbers suppressed."""
    round_ = _round(slug)
    area_type = _area_type("area_type")
    code = _text_arg("area", 32)
    if area_type and code:
        abort(400, "Give area_type or area, not both.")
    if code:
        area = db.session.scalar(sa.select(Area).where(Area.code == code))
        if area is None:
            abort(404, f"No area has the code '{code}'.")
        chosen = [area]
    elif area_type:
        chosen = list(
            db.session.scalars(sa.select(Area).where(Area.type == area_type).order_by(Area.code))
        )
    else:
        chosen = sorted(round_.areas, key=lambda a: a.code)
    threshold = current_app.config["DISCLOSURE_THRESHOLD"]

    def reply() -> bytes:  # what jsonify(round=…, threshold=…, aggregates=[…]) would send
        records = round_aggregates(round_, chosen)  # each made as it is written
        head = {"round": round_.slug, "threshold": threshold}
        # written as bytes piece by piece, given back as they are (BytesIO does not copy
        # them): text joined, then encoded, held the 21 MB small-area reply three times
        written = io.BytesIO()
        for piece in iter_json(head, [], records, key="aggregates"):
            written.write(piece.encode())
        return written.getvalue()

    if instrument_for(round_).named_results:  # each area's own answers, read as they stand
        body = reply()
    else:
        # the same figures for the same question: a small-area reply is 21 MB of JSON
        question = (
            round_.slug,
            round_.instrument_id,
            round_.instrument_version,
            round_.target_level,
            tuple((a.id, a.code, a.name, a.type) for a in chosen),
        )
        published = publish(round_, moderated=False, threshold=threshold)
        body = kept_reply(published, threshold, question, reply)
    return current_app.response_class(body, mimetype="application/json")


@bp.route("/<path:anything>")
def not_found(anything: str):
    """Any other address under /api: a JSON 404 (after the token check)."""
    abort(404, "There is no such API address; see /api/openapi.json.")
