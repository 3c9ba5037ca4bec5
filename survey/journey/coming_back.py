"""Stopping and coming back: the saved page and its email, time-outs, no stale copies."""

from __future__ import annotations

import smtplib

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from instruments.answers import answer_type

from ..mail import send_mail
from ..views import error_page
from . import messages
from .forms import ConsentForm, EmailLinkForm, section_form
from .pages import area_choices, page_questions
from .respondent import answers_of, find_respondent
from .views import (
    bp,
    closed_or_none,
    own_link,
    render_check,
    render_consent,
    render_section,
    section_setup,
)


@bp.route("/r/<token>/saved", methods=["GET", "POST"])
def saved(token: str):
    """Saved: the link to come back with, and a way to email it."""
    respondent = find_respondent(token)
    organisation = respondent.invitation.organisation
    form = EmailLinkForm(data={"email": organisation.email if organisation else ""})
    status = 200
    if request.method == "POST":
        form = EmailLinkForm()
        if form.validate():
            email = form.email.data.strip()
            body = render_template(
                "views/journey/link_email.txt", r=respondent, link=own_link(respondent)
            )
            try:
                send_mail(email, f"Your link to the {respondent.instrument.title}", body)
            except (OSError, smtplib.SMTPException):
                form.email.errors.append(messages.MAIL_FAILED)
            else:
                flash(messages.LINK_SENT.format(email=email))
                return redirect(url_for("journey.saved", token=respondent.token))
        status = 400
    return (
        render_template(
            "views/journey/saved.html", r=respondent, form=form, link=own_link(respondent)
        ),
        status,
    )


@bp.after_request
def not_cached(response):
    """Pages hold a group's answers and the save version: never keep them in a cache.

    The browser's Back button then fetches the page afresh, with the current
    version, instead of showing a stale copy that a save would refuse.
    """
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def session_expired(error: CSRFError):
    """A page sent after the session or its token ran out: show what was typed, ask again."""
    g.pop("csrf_token", None)  # never hand back a token cached before the session changed
    try:
        return _session_expired()
    except HTTPException as problem:  # a bad link or page: the usual error page
        return error_page(problem)


def _session_expired():
    args = request.view_args or {}
    token = args.get("token", "")
    if not token or (request.endpoint or "").startswith("journey.listing"):
        abort(400)  # the directory entry's pages: nothing saved, the usual error page
    if (closed := closed_or_none(find_respondent(token))) is not None:
        return closed
    if request.endpoint == "journey.section":
        respondent, section = section_setup(token, args.get("section_id", ""))
        answers = answers_of(respondent.draft())
        questions = page_questions(section, answers)
        choices = (
            area_choices(respondent) if any(answer_type(q).picks_area for q in questions) else ()
        )
        form = section_form(questions, enforce_required=True, area_choices=choices)()
        return render_section(
            respondent, section, form, questions, status=400, notice=messages.SESSION_EXPIRED
        )
    if request.endpoint == "journey.consent":
        respondent = find_respondent(token)
        if not respondent.is_locality:
            return render_consent(
                respondent, ConsentForm(), status=400, notice=messages.SESSION_EXPIRED
            )
    if request.endpoint == "journey.saved":
        respondent = find_respondent(token)
        html = render_template(
            "views/journey/saved.html",
            r=respondent,
            form=EmailLinkForm(),
            link=own_link(respondent),
            notice=messages.SESSION_EXPIRED,
        )
        return html, 400
    if token:
        respondent = find_respondent(token)
        return render_check(
            respondent,
            respondent.draft() or respondent.submitted(),
            status=400,
            notice=messages.SESSION_EXPIRED,
        )
    abort(400)
