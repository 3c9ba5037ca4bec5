"""A broker's caseload: the groups' requests for help, with owner, status, due date and log."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import InputError
from ..extensions import db
from ..help_requests import log_contact, may_see_request, owner_choices, update, visible_requests
from ..journey.respondent import EditedElsewhere
from ..models import HELP_OPEN, HelpRequest, HelpStatus
from .views import bp

CONFLICT = (
    "Someone else changed this request after you opened it. Nothing you entered has been"
    " saved: here is the request as it is now. Make your change again if it is still needed."
)


@bp.get("/help-requests")
def caseload():
    """The requests for help this broker may see, newest first, filtered by status."""
    chosen = request.args.get("status", "")
    query = visible_requests(current_user).order_by(HelpRequest.id.desc())
    if chosen == "open":
        query = query.where(HelpRequest.status.in_([s.value for s in HELP_OPEN]))
    elif chosen in {s.value for s in HelpStatus}:
        query = query.where(HelpRequest.status == chosen)
    else:
        chosen = ""
    mine = request.args.get("owner") == "me"
    if mine:
        query = query.where(HelpRequest.owner_id == current_user.id)
    overdue = request.args.get("due") == "overdue"
    if overdue:  # open, with a due date before today
        query = query.where(
            HelpRequest.due_on < dt.date.today(),
            HelpRequest.status.in_([s.value for s in HELP_OPEN]),
        )
    return render_template(
        "views/reports/caseload.html",
        requests=list(db.session.scalars(query.limit(500))),
        statuses=list(HelpStatus),
        chosen=chosen,
        mine=mine,
        overdue=overdue,
        today=dt.date.today(),
    )


def _visible_or_404(request_id: int) -> HelpRequest:
    found = db.session.get(HelpRequest, request_id)
    if found is None or not may_see_request(current_user, found):
        abort(404)  # another broker's request is not there at all, as far as this one knows
    return found


def _page(found: HelpRequest, *, errors=(), notice=None, values=None, status=200):
    return render_template(
        "views/reports/help_request.html",
        h=found,
        owners=owner_choices(current_user, found),
        statuses=list(HelpStatus),
        errors=list(errors),
        notice=notice,
        values=values or {},
    ), status


@bp.route("/help-requests/<int:request_id>", methods=["GET", "POST"])
def help_request(request_id: int):
    """One request: what the group asked, its contact log; change owner, status, due date."""
    found = _visible_or_404(request_id)
    if request.method == "GET":
        return _page(found)
    form = request.form
    try:
        changed = update(
            current_user,
            found,
            status=form.get("status", ""),
            owner_id=form.get("owner", ""),
            due_on=form.get("due_on", ""),
            posted_version=form.get("version", ""),
        )
    except EditedElsewhere:
        db.session.expire_all()
        return _page(_visible_or_404(request_id), notice=CONFLICT, status=409)
    except InputError as error:
        field, _, text = error.message.partition(": ")
        return _page(found, errors=[{"text": text, "href": f"#{field}"}], values=form, status=400)
    flash("Request updated." if changed else "Nothing to change.")
    return redirect(url_for("reports.help_request", request_id=request_id), code=303)


@bp.post("/help-requests/<int:request_id>/contact-log")
def help_request_log(request_id: int):
    """Add a dated line to a request's contact log."""
    found = _visible_or_404(request_id)
    try:
        log_contact(
            current_user,
            found,
            text=request.form.get("text", ""),
            contacted_on=request.form.get("contacted_on", ""),
        )
    except InputError as error:
        field, _, text = error.message.partition(": ")
        errors = [{"text": text, "href": f"#{field}"}]
        return _page(found, errors=errors, values=request.form, status=400)
    flash("Added to the contact log.")
    return redirect(url_for("reports.help_request", request_id=request_id), code=303)
