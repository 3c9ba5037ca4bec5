"""The result pages: levels, meanings, reasons, next steps, and the workbook download."""

from __future__ import annotations

from flask import abort, redirect, render_template, send_file, url_for
from flask_login import current_user

from ..help_requests import group_requests, step_key
from .forms import ButtonForm
from .respondent import find_respondent
from .result import build_result
from .views import bp
from .workbook import result_workbook


@bp.get("/r/<token>/result")
def result(token: str):
    """Levels per domain with what they mean, why, next steps, offers and how others compare."""
    respondent = find_respondent(token)
    submitted = respondent.submitted()
    if submitted is None:
        return redirect(url_for("journey.resume", token=respondent.token))
    organisation = respondent.invitation.organisation
    requests = group_requests(respondent.round, organisation) if organisation else []
    return render_template(
        "views/journey/result.html",
        help_requests=requests,
        asked={h.subject_key: h for h in reversed(requests) if h.is_open},
        can_ask=organisation is not None and not current_user.is_authenticated,
        step_key=step_key,
        r=respondent,
        response=submitted,
        result=build_result(respondent, submitted),
        amend_form=ButtonForm(formdata=None),
        can_amend=respondent.round.is_open() and respondent.draft() is None,
        has_draft=respondent.draft() is not None,
    )


@bp.get("/r/<token>/result.xlsx")
def result_download(token: str):
    """The result as a workbook: levels and next steps."""
    respondent = find_respondent(token)
    submitted = respondent.submitted()
    if submitted is None:
        abort(404)
    data = result_workbook(build_result(respondent, submitted))
    return send_file(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{respondent.round.slug}-result.xlsx",
    )
