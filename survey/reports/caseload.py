"""A broker's caseload: the groups' requests for help, with owner, status, due date and log."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import InputError
from ..extensions import db
from ..help_requests import log_contact, may_see_request, owner_choices, update, visible_requests
from ..journey.respondent import EditedElsewhere
from ..models import HELP_OPEN, Area, HelpRequest, HelpStatus, User
from .plans_import import import_support_plans
from .views import bp

CONFLICT = (
    "Someone else changed this request after you opened it. Nothing you entered has been"
    " saved: here is the request as it is now. Make your change again if it is still needed."
)


@bp.get("/help-requests")
def caseload():
    """The requests for help this broker may see, newest first, filtered as asked.

    Filters narrow ``visible_requests`` and their choices come from it, so no filter
    (or typed-in address) shows a request, subject, area or owner from outside the
    broker's own caseload.
    """
    visible = visible_requests(current_user)
    choices = filter_choices(visible)
    args = request.args
    chosen = args.get("status", "")
    query = visible.order_by(HelpRequest.id.desc())
    if chosen == "open":
        query = query.where(HelpRequest.status.in_([s.value for s in HELP_OPEN]))
    elif chosen in {s.value for s in HelpStatus}:
        query = query.where(HelpRequest.status == chosen)
    else:
        chosen = ""
    about = args.get("about", "")
    if about in choices["about"]:
        query = query.where(HelpRequest.subject_key == about)
    else:
        about = ""
    area = args.get("area", "")
    if area in choices["area"]:
        query = query.where(HelpRequest.area_id == choices["area"][area][0])
    else:
        area = ""
    owner = args.get("owner", "")
    if owner == "me":
        query = query.where(HelpRequest.owner_id == current_user.id)
    elif owner == "nobody":
        query = query.where(HelpRequest.owner_id.is_(None))
    elif owner in choices["owner"]:
        query = query.where(HelpRequest.owner_id == int(owner))
    else:
        owner = ""
    overdue = args.get("due") == "overdue"
    if overdue:  # open, with a due date before today
        query = query.where(
            HelpRequest.due_on < dt.date.today(),
            HelpRequest.status.in_([s.value for s in HELP_OPEN]),
        )
    return render_template(
        "views/reports/caseload.html",
        requests=list(db.session.scalars(query.limit(500))),
        statuses=list(HelpStatus),
        choices=choices,
        chosen=chosen,
        about=about,
        area=area,
        owner=owner,
        overdue=overdue,
        filtered=bool(chosen or about or area or owner or overdue),
        today=dt.date.today(),
    )


def filter_choices(visible) -> dict[str, dict[str, tuple]]:
    """The subjects, areas and owners found in these requests, for the filter's lists.

    about: subject key -> (text,); area: area code -> (area id, name); owner: user id ->
    (email,). Each is sorted by what it shows.
    """
    ids = visible.with_only_columns(HelpRequest.id).scalar_subquery()
    of_these = sa.select(HelpRequest).where(HelpRequest.id.in_(ids)).subquery()
    subjects = db.session.execute(
        sa.select(of_these.c.subject_key, sa.func.min(of_these.c.subject))
        .group_by(of_these.c.subject_key)
        .order_by(sa.func.min(of_these.c.subject))
    ).all()
    areas = db.session.execute(
        sa.select(Area.code, Area.id, Area.name)
        .where(Area.id.in_(sa.select(of_these.c.area_id)))
        .order_by(Area.name, Area.code)
    ).all()
    owners = db.session.execute(
        sa.select(User.id, User.email)
        .where(User.id.in_(sa.select(of_these.c.owner_id)))
        .order_by(User.email)
    ).all()
    return {
        "about": {key: (text,) for key, text in subjects},
        "area": {code: (area_id, name) for code, area_id, name in areas},
        "owner": {str(user_id): (email,) for user_id, email in owners},
    }


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


@bp.route("/help-requests/support-plans", methods=["GET", "POST"])
def support_plans_upload():
    """Bring back an edited support-plans workbook: every row checked, all changed or none."""
    outcome, problem = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problem = "Choose the edited support-plans workbook to upload"
        else:
            try:
                outcome = import_support_plans(
                    upload.read(), upload.filename, user=current_user, actor=current_user
                )
            except InputError as error:
                problem = error.message
    status = 400 if problem or (outcome and outcome.errors) else 200
    return render_template(
        "views/reports/plans_upload.html", outcome=outcome, problem=problem
    ), status
