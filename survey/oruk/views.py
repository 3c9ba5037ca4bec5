"""Read-only Open Referral UK endpoints: /oruk/, /oruk/services, /oruk/taxonomies.

Every route is PUBLIC: what they serve is only what listed groups agreed to publish,
chosen and built by survey.directory, as ``survey export oruk`` writes it. Replies are
never cached, so a group that withdraws its consent is gone from the next reply.
"""

from __future__ import annotations

import math
import re

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from exports.oruk import API_PROFILE, API_VERSION, taxonomy_record
from exports.oruk import taxonomy_id as activities_taxonomy_id
from instruments.answers import normalise_postcode

from .. import directory
from ..extensions import db
from ..models import Area, Postcode
from .openapi import MAX_PAGE, MAX_PER_PAGE, MAX_PROXIMITY, PER_PAGE, oruk_openapi_document

bp = Blueprint("oruk", __name__, url_prefix="/oruk")

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# The query parameters each address takes; any other is refused, so a typo is not ignored.
QUERY_PARAMETERS = {
    "oruk.services": {
        "page",
        "per_page",
        "search",
        "taxonomy_term_id",
        "taxonomy_id",
        "area_code",
        "postcode",
        "proximity",
    },
    "oruk.taxonomies": {"page", "per_page"},
}


def _error(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    return response


def _json_reply(text: str) -> Response:
    """JSON already written (survey.directory makes each record's text once)."""
    return Response(text, mimetype="application/json")


@bp.before_request
def _check_query():
    allowed = QUERY_PARAMETERS.get(request.endpoint or "", set())
    for name in request.args:
        if name not in allowed:
            takes = ", ".join(sorted(allowed)) or "none"
            abort(400, f"Unknown query parameter '{name[:40]}' (this address takes: {takes}).")
        if len(request.args.getlist(name)) > 1:
            abort(400, f"Give '{name[:40]}' once only.")


@bp.after_request
def _not_cached(response):
    """A listing can be withdrawn at any moment: no proxy keeps a reply."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def _json_error(error: HTTPException):
    """Errors in JSON, never the HTML error page."""
    return _error(error.code or 500, error.description or error.name)


def _text(name: str, max_length: int) -> str | None:
    value = request.args.get(name)
    if value is None or value.strip() == "":
        return None
    if len(value) > max_length or any(ord(c) < 32 for c in value):
        abort(400, f"'{name}' is not a valid value.")
    return value.strip()


def _whole_number(name: str, default: int, highest: int) -> int:
    value = _text(name, 12)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= highest:
        abort(400, f"'{name}' must be a whole number from 1 to {highest}.")
    return int(value)


def _paging() -> tuple[int, int]:
    return _whole_number("page", 1, MAX_PAGE), _whole_number("per_page", PER_PAGE, MAX_PER_PAGE)


def _uuid(name: str) -> str | None:
    value = _text(name, 36)
    if value is not None and not UUID.match(value):
        abort(400, f"'{name}' must be a UUID.")
    return value.lower() if value else None


def _near() -> tuple[float, float, float] | None:
    """(lat, lon, metres) from postcode and proximity, or None when neither is given."""
    given, proximity = _text("postcode", 10), _text("proximity", 12)
    if given is None and proximity is None:
        return None
    if given is None or proximity is None:
        abort(400, "Give postcode and proximity (metres) together.")
    try:
        metres = float(proximity)
    except ValueError:
        metres = math.nan
    if not 0 < metres <= MAX_PROXIMITY:
        abort(400, f"'proximity' must be a distance in metres, above 0 and up to {MAX_PROXIMITY}.")
    postcode = normalise_postcode(given)
    if postcode is None:
        abort(400, "'postcode' is not a UK postcode.")
    found = db.session.get(Postcode, postcode)
    if found is None or found.lat is None or found.lon is None:
        abort(404, f"The postcode '{postcode}' is not in the postcode directory.")
    return found.lat, found.lon, metres


def _area_ids() -> frozenset[int] | None:
    code = _text("area_code", 32)
    if code is None:
        return None
    area = db.session.scalar(sa.select(Area).where(Area.code == code))
    if area is None:
        abort(404, f"No area has the code '{code}'.")
    return frozenset({area.id})


@bp.get("/")
def root():
    """What this API is: the HSDS UK profile version, the profile, its OpenAPI document."""
    return jsonify(
        version=API_VERSION,
        profile=API_PROFILE,
        openapi_url=url_for("oruk.openapi", _external=True),
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of these endpoints, in the profile's form."""
    return jsonify(oruk_openapi_document())


@bp.get("/services")
def services():
    """Listed groups as ORUK services, a page at a time, optionally filtered."""
    page, per_page = _paging()
    term = _uuid("taxonomy_term_id")
    taxonomy = _uuid("taxonomy_id")
    search = _text("search", 200)
    area_ids = _area_ids()
    near = _near()
    if taxonomy is not None and taxonomy != activities_taxonomy_id():
        area_ids = frozenset()  # no term of that taxonomy is used here: nothing matches
    filters = directory.Filters(search=search, taxonomy_term_id=term, area_ids=area_ids, near=near)
    return _json_reply(directory.services_page_json(filters, page, per_page))


@bp.get("/services/<service_id>")
def service(service_id: str):
    """One listed group as a fully nested ORUK service; 404 for anything not listed."""
    found = directory.listed_service(service_id.lower()) if UUID.match(service_id) else None
    if found is None:
        abort(404, "No listed service has that id.")
    return _json_reply(found)


@bp.get("/taxonomies")
def taxonomies():
    """The one taxonomy of activities, with the terms listed groups carry, paged."""
    page, per_page = _paging()
    contents = [taxonomy_record(directory.listed_activities())]
    return jsonify(directory.page_of(contents, page, per_page))


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy_detail(taxonomy_id: str):
    """The activities taxonomy with its terms; 404 for any other id."""
    if taxonomy_id.lower() != activities_taxonomy_id():
        abort(404, "No taxonomy has that id.")
    return jsonify(taxonomy_record(directory.listed_activities()))


@bp.route("/<path:anything>")
def not_found(anything: str):
    """Any other address under /oruk: a JSON 404."""
    abort(404, "There is no such address; see /oruk/openapi.json.")
