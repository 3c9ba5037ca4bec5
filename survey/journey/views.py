"""The pages a group sees through its invitation link: start, sections, consent, check, result."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from exports.oruk import listing_rows
from instruments.answers import answer_type

from .. import directory
from ..models import ResponseStatus
from . import messages
from .forms import ButtonForm, ConsentForm, SubmitForm, section_form
from .links import group_link
from .pages import (
    answer_text,
    applies,
    area_choices,
    field_params,
    form_values,
    page_questions,
    posted_answers,
    routed_out_here,
    section_or_none,
    stored_values,
)
from .respondent import (
    EditedElsewhere,
    Respondent,
    answers_of,
    change_consent,
    find_respondent,
    next_page,
    save_consent,
    save_section,
    section_position,
    shown_answers,
    start_amendment,
    submit,
    unanswered,
)

bp = Blueprint("journey", __name__)


def own_link(respondent: Respondent) -> str:
    """The full address of this respondent's link."""
    return group_link(respondent.token)


def closed_or_none(respondent: Respondent):
    """The start page when the round is not taking answers, else None."""
    if respondent.round.is_open():
        return None
    return redirect(url_for("journey.start", token=respondent.token))


def _date(value) -> str:
    return value.strftime("%-d %B %Y")


@bp.get("/r/<token>")
def start(token: str):
    """What the survey is, how long it takes, what they get and who sees it."""
    respondent = find_respondent(token)
    if not respondent.via_private and respondent.started():
        return private_start(respondent)
    submitted, draft = respondent.submitted(), respondent.draft()
    round_ = respondent.round
    context = {
        "r": respondent,
        "round": round_,
        "submitted": submitted,
        "draft": draft,
        "paper_waiting": respondent.paper_waiting() if respondent.via_private else None,
        "help_requests": _help_requests(respondent),
    }
    if not round_.is_open():
        if round_.opens_on > dt.date.today():
            message = messages.NOT_OPEN_YET.format(date=_date(round_.opens_on))
        else:
            message = messages.CLOSED.format(date=_date(round_.closes_on))
        return render_template("views/journey/closed.html", message=message, **context)
    return render_template("views/journey/start.html", **context)


def _help_requests(respondent: Respondent) -> list:
    """The group's requests for help in the round, for its own link's start page."""
    from ..help_requests import group_requests

    organisation = respondent.invitation.organisation
    if not respondent.via_private or organisation is None:
        return []
    return group_requests(respondent.round, organisation)


def private_start(respondent: Respondent, status: int = 200):
    """The invitation link of a group that has answers: they open only from its own link."""
    from .links import mask_email

    organisation = respondent.invitation.organisation
    email = organisation.email if organisation is not None else None
    return (
        render_template(
            "views/journey/private_start.html",
            r=respondent,
            masked=mask_email(email),
            form=ButtonForm(formdata=None),
        ),
        status,
    )


@bp.get("/r/<token>/continue")
def resume(token: str):
    """Back to the first page still to do (or the answers, once sent)."""
    respondent = find_respondent(token)
    if (closed := closed_or_none(respondent)) is not None:
        return closed
    draft = respondent.draft()
    if draft is None and respondent.submitted() is not None:
        return redirect(url_for("journey.check_answers", token=respondent.token))
    endpoint, section_id = next_page(respondent, draft)
    if section_id:
        return redirect(url_for(endpoint, token=respondent.token, section_id=section_id))
    return redirect(url_for(endpoint, token=respondent.token))


def render_section(respondent, section, form, questions, status=200, notice=None):
    """A section page with its fields, errors, progress and any notice."""
    answers = answers_of(respondent.draft())
    number, total = section_position(respondent.instrument, section, answers)
    errors = [
        {"text": form[q.id].errors[0], "href": f"#{q.id}"} for q in questions if form[q.id].errors
    ]
    return (
        render_template(
            "views/journey/section.html",
            r=respondent,
            section=section,
            form=form,
            questions=questions,
            params={q.id: field_params(section, q) for q in questions},
            errors=errors,
            number=number,
            total=total,
            notice=notice,
            back=_back_link(respondent, section, answers),
            changing=request.args.get("change") == "1",
        ),
        status,
    )


def _back_link(respondent, section, answers) -> str:
    from instruments.routing import neighbours

    previous, _ = neighbours(respondent.instrument, section.id, answers)
    if previous is None:
        return url_for("journey.start", token=respondent.token)
    return url_for("journey.section", token=respondent.token, section_id=previous.id)


def section_setup(token: str, section_id: str):
    """The respondent and the section the address names (404 if either is unknown)."""
    respondent = find_respondent(token)
    section = section_or_none(respondent, section_id)
    if section is None:
        abort(404)
    return respondent, section


@bp.route("/r/<token>/section/<section_id>", methods=["GET", "POST"])
def section(token: str, section_id: str):
    """One page of questions; every continue saves it."""
    respondent, section = section_setup(token, section_id)
    if (closed := closed_or_none(respondent)) is not None:
        return closed
    draft = respondent.draft()
    if draft is None and respondent.submitted() is not None:
        flash(messages.SUBMITTED_ALREADY)
        return redirect(url_for("journey.check_answers", token=respondent.token))
    answers = answers_of(draft)
    if not applies(section, answers):
        return redirect(url_for("journey.resume", token=respondent.token))
    questions = page_questions(section, answers)
    choices = _area_choices(respondent, questions)
    save_later = request.form.get("action") == "save_later"
    form_class = section_form(questions, enforce_required=not save_later, area_choices=choices)
    if request.method == "GET":
        form = form_class(data=_defaults(respondent, section, questions, answers, choices))
        form.version.data = str(draft.version) if draft else "0"
        return render_section(respondent, section, form, questions)

    form = form_class()
    form.validate()
    routed = routed_out_here(section, questions, posted_answers(section, answers))
    for question_id in routed:
        form[question_id].errors = []
    if any(form[q.id].errors for q in questions) or form.errors.get("csrf_token"):
        return render_section(respondent, section, form, questions, status=400)
    values = stored_values(form, [q for q in questions if q.id not in routed], choices)
    try:
        draft = save_section(respondent, section, values, form.version.data)
    except EditedElsewhere:
        return _edited_elsewhere(respondent, section)
    if save_later:
        return redirect(url_for("journey.saved", token=respondent.token))
    if request.args.get("change") == "1":
        return redirect(url_for("journey.check_answers", token=respondent.token))
    return redirect(url_for("journey.resume", token=respondent.token))


def _area_choices(respondent, questions) -> list:
    """The areas to pick from, when the page has a question that picks one."""
    return area_choices(respondent) if any(answer_type(q).picks_area for q in questions) else []


def _defaults(respondent, section, questions, answers, choices) -> dict:
    values = form_values(section, questions, answers)
    organisation = respondent.invitation.organisation
    home = organisation.area if organisation is not None else respondent.invitation.area
    codes = {code for code, _ in choices}
    for q in questions:
        if (
            answer_type(q).picks_area
            and q.id not in values
            and home is not None
            and home.code in codes
        ):
            values[q.id] = home.code
    return values


def _edited_elsewhere(respondent, section):
    answers = answers_of(respondent.draft())
    questions = page_questions(section, answers)
    choices = _area_choices(respondent, questions)
    form_class = section_form(questions, enforce_required=True, area_choices=choices)
    form = form_class(formdata=None, data=form_values(section, questions, answers))
    draft = respondent.draft()
    form.version.data = str(draft.version) if draft else "0"
    return render_section(
        respondent, section, form, questions, status=409, notice=messages.EDITED_ELSEWHERE
    )


@bp.route("/r/<token>/consent", methods=["GET", "POST"])
def consent(token: str):
    """Who may see the group's named answers, and the public directory listing.

    While the group answers, the page is a step of the journey. Once the answers
    are sent, or the round is closed, it changes only the consent, at any time,
    without opening the answers again.
    """
    respondent = find_respondent(token)
    if respondent.is_locality:
        return redirect(url_for("journey.check_answers", token=respondent.token))
    draft = respondent.draft()
    in_journey = respondent.round.is_open() and (
        draft is not None or respondent.submitted() is None
    )
    if not in_journey and not respondent.via_private:
        return redirect(url_for("journey.start", token=respondent.token))
    organisation = respondent.invitation.organisation
    if request.method == "GET":
        form = ConsentForm(
            data={
                key: "yes" if getattr(organisation, key) else "no"
                for key in ("consent_broker", "consent_area_lead", "consent_directory")
            }
        )
        form.version.data = str(draft.version) if draft else "0"
        return render_consent(respondent, form, in_journey=in_journey)
    form = ConsentForm()
    if not form.validate():
        return render_consent(respondent, form, status=400, in_journey=in_journey)
    choices = {
        key: form[key].data == "yes"
        for key in ("consent_broker", "consent_area_lead", "consent_directory")
    }
    if not in_journey:
        change_consent(respondent, choices)
        flash(messages.CONSENT_SAVED)
        if respondent.submitted() is not None:
            return redirect(url_for("journey.check_answers", token=respondent.token))
        return redirect(url_for("journey.start", token=respondent.token))
    try:
        save_consent(respondent, choices, form.version.data)
    except EditedElsewhere:
        fresh = ConsentForm(formdata=None, data={k: form[k].data for k in choices})
        draft = respondent.draft()
        fresh.version.data = str(draft.version) if draft else "0"
        return render_consent(respondent, fresh, status=409, notice=messages.EDITED_ELSEWHERE)
    return redirect(url_for("journey.check_answers", token=respondent.token))


def render_consent(respondent, form, status=200, notice=None, in_journey=True):
    """The consent page with its errors and any notice."""
    errors = [
        {"text": form[k].errors[0], "href": f"#{k}"}
        for k in ("consent_broker", "consent_area_lead", "consent_directory")
        if form[k].errors
    ]
    return (
        render_template(
            "views/journey/consent.html",
            r=respondent,
            form=form,
            errors=errors,
            notice=notice,
            in_journey=in_journey,
            listing_rows=listing_rows(directory.listing_of(respondent.invitation.organisation)),
            listing_url=url_for("journey.listing", token=respondent.token),
            back=url_for("journey.resume", token=respondent.token)
            if in_journey
            else url_for("journey.start", token=respondent.token),
        ),
        status,
    )


@bp.route("/r/<token>/check-answers", methods=["GET", "POST"])
def check_answers(token: str):
    """Every answer with a change link; sending them scores the response."""
    respondent = find_respondent(token)
    draft, submitted = respondent.draft(), respondent.submitted()
    if request.method == "POST":
        form = SubmitForm()
        if not form.validate():
            abort(400)
        if not respondent.round.is_open():
            return closed_or_none(respondent)
        if respondent.by_submission_key(form.submission_key.data) is not None:
            return redirect(url_for("journey.result", token=respondent.token), code=303)
        if draft is not None and next_page(respondent, draft)[0] != "journey.check_answers":
            return render_check(respondent, draft, status=400, notice=messages.INCOMPLETE)
        try:
            submit(respondent, form.submission_key.data, form.version.data)
        except EditedElsewhere:
            draft = respondent.draft()
            if draft is None and (sent := respondent.submitted()) is not None:
                return render_check(respondent, sent, status=409, notice=messages.SENT_ELSEWHERE)
            return render_check(respondent, draft, status=409, notice=messages.EDITED_ELSEWHERE)
        return redirect(url_for("journey.result", token=respondent.token), code=303)
    if not respondent.round.is_open():
        # Closed: the answers that were sent can still be read; a draft never will be.
        if submitted is None:
            return closed_or_none(respondent)
        return render_check(respondent, submitted)
    if draft is None and submitted is None:
        return redirect(url_for("journey.resume", token=respondent.token))
    return render_check(respondent, draft or submitted)


def render_check(respondent, response, status=200, notice=None):
    """The answers to check (or, once sent, to read), with the send or amend button."""
    if response is None:
        return redirect(url_for("journey.resume", token=respondent.token))
    editable = response.status != ResponseStatus.SUBMITTED and respondent.round.is_open()
    form = SubmitForm(formdata=None)
    form.version.data = str(response.version)
    form.submission_key.data = secrets.token_urlsafe(24)
    answers = answers_of(response)
    pages = [
        (section, [(q, answer_text(q, value)) for q, value in rows])
        for section, rows in shown_answers(respondent, answers)
    ]
    missing = unanswered(respondent, response) if editable else []
    return (
        render_template(
            "views/journey/check_answers.html",
            r=respondent,
            response=response,
            pages=pages,
            editable=editable,
            missing=missing,
            form=form,
            amend_form=ButtonForm(formdata=None),
            notice=notice,
            organisation=respondent.invitation.organisation,
            paper_waiting=respondent.paper_waiting(),
            can_amend=not editable
            and respondent.round.is_open()
            and respondent.draft() is None
            and response.status == ResponseStatus.SUBMITTED,
        ),
        status,
    )


@bp.post("/r/<token>/amend")
def amend(token: str):
    """Open the sent answers for changes; the earlier submission stays in the history."""
    respondent = find_respondent(token)
    if not ButtonForm().validate():
        abort(400)
    if (closed := closed_or_none(respondent)) is not None:
        return closed
    try:
        start_amendment(respondent)
    except EditedElsewhere:  # another browser sent or amended at the same moment
        flash(messages.EDITED_ELSEWHERE)
    return redirect(url_for("journey.check_answers", token=respondent.token))
