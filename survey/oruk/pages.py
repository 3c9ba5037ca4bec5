"""/directory/AREA: the public listing of an area's listed groups, for a link worker.

The same records as the Open Referral UK API and ``survey export oruk`` (survey.directory),
shown as a page: searchable with a plain GET form, no JavaScript needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for

from exports.oruk import listing_rows

from .. import directory
from ..extensions import db
from ..models import Area

bp = Blueprint("directory", __name__, url_prefix="/directory")

PER_PAGE = 20
MAX_SEARCH = 200


@bp.get("/<code>")
def area_listing(code: str):
    """The groups listed in this area (at any level below it), optionally searched."""
    area = db.session.scalar(sa.select(Area).where(Area.code == code[:32]))
    if area is None:
        abort(404)
    search = (request.args.get("search") or "").strip()
    error = None
    if len(search) > MAX_SEARCH or any(ord(c) < 32 for c in search):
        error = f"Search words must be {MAX_SEARCH} characters or fewer, with no control characters"
    page = request.args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and 0 < int(page) <= 100_000 else 1
    if error:
        listing, search = None, search[:MAX_SEARCH]
    else:
        filters = directory.Filters(search=search or None, area_ids=frozenset({area.id}))
        listing = directory.services_page(filters, page, PER_PAGE, shape=listing_rows)

    def page_url(number: int) -> str:
        args = {"code": area.code, "page": number}
        if search and not error:
            args["search"] = search
        return url_for("directory.area_listing", **args)

    return render_template(
        "views/directory/area.html",
        area=area,
        search=search,
        error=error,
        listing=listing,
        page_url=page_url,
    ), (400 if error else 200)
