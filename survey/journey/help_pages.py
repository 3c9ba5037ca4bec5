"""A group asks its broker for help with a next step or a support offer on its result."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..errors import InputError
from ..help_requests import ask, open_request, subjects_of
from ..models import CONTACT_WAYS
from .respondent import find_respondent
from .result import build_result
from .views import bp

FIELDS = {"contact_by": "contact-by", "contact_detail": "contact-detail", "note": "note"}


@bp.route("/r/<token>/help", methods=["GET", "POST"])
def ask_for_help(token: str):
    """'I'd like help with this': a note and how to be contacted, sent to the group's broker."""
    respondent = find_respondent(token)
    organisation = respondent.invitation.organisation
    submitted = respondent.submitted()
    if organisation is None or submitted is None:
        abort(404)
    subjects = subjects_of(build_result(respondent, submitted))
    subject = subjects.get(request.values.get("about", ""))
    if subject is None:
        abort(404)
    back = url_for("journey.result", token=respondent.token)
    already = open_request(respondent.round, organisation, subject.key)
    errors, values, status = [], {}, 200
    if request.method == "POST":  # CSRFProtect has checked the form's token
        values = {name: request.form.get(name, "") for name in FIELDS}
        try:
            _, new = ask(
                respondent.round,
                organisation,
                subject,
                note=values["note"],
                contact_by=values["contact_by"],
                detail=values["contact_detail"],
            )
        except InputError as error:
            field, _, text = error.message.partition(": ")
            errors = [{"text": text[:1].upper() + text[1:], "href": f"#{FIELDS.get(field, field)}"}]
            status = 400
        else:
            flash(
                "Your request for help has been sent. Your broker will contact you."
                if new
                else "You have already asked for help with this. We have not sent it twice."
            )
            return redirect(back + "#help-requests", code=303)
    return render_template(
        "views/journey/ask_for_help.html",
        r=respondent,
        subject=subject,
        already=already,
        errors=errors,
        values=values,
        ways=CONTACT_WAYS,
        email=organisation.email or "",
        back=back,
        has_broker=organisation.broker_id is not None,
    ), status
