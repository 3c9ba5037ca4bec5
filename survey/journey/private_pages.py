"""Pages about a group's private link and paper answers: email the link, decide on paper."""

from __future__ import annotations

import smtplib

from flask import abort, flash, redirect, render_template, request, url_for

from .. import audit
from ..extensions import db
from ..mail import send_mail
from . import messages
from .forms import ButtonForm
from .links import PRIVATE_LINK_EMAILED, ensure_private_token, group_link, mask_email
from .pages import answer_text
from .respondent import answers_of, find_respondent, settle_paper, shown_answers
from .views import bp, private_start

SENDS_PER_HOUR = 3


@bp.post("/r/<token>/email-link")
def email_link(token: str):
    """Send the group's own link to the organisation's email address on file."""
    respondent = find_respondent(token)
    if not ButtonForm().validate():
        abort(400)
    if respondent.via_private or not respondent.started():
        return redirect(url_for("journey.start", token=respondent.token))
    organisation = respondent.invitation.organisation
    email = (organisation.email or "").strip() if organisation is not None else ""
    if not email:
        flash(messages.PRIVATE_LINK_NO_EMAIL)
        return redirect(url_for("journey.start", token=token))
    masked = mask_email(email)
    if audit.recent(PRIVATE_LINK_EMAILED, organisation, hours=1) >= SENDS_PER_HOUR:
        flash(messages.PRIVATE_LINK_TOO_OFTEN.format(email=masked))
        return redirect(url_for("journey.start", token=token))
    private = ensure_private_token(respondent.invitation)
    link = group_link(private)
    body = render_template("views/journey/link_email.txt", r=respondent, link=link)
    try:
        send_mail(email, f"Your group’s link to the {respondent.instrument.title}", body)
    except (OSError, smtplib.SMTPException):
        db.session.rollback()
        flash(messages.PRIVATE_LINK_MAIL_FAILED)
        return private_start(respondent, status=503)
    audit.record(None, PRIVATE_LINK_EMAILED, organisation, {"round": respondent.round.slug})
    db.session.commit()
    flash(messages.PRIVATE_LINK_SENT.format(email=masked))
    return redirect(url_for("journey.start", token=token))


@bp.route("/r/<token>/paper-answers", methods=["GET", "POST"])
def paper_answers(token: str):
    """Paper answers a broker entered for a group that answered online: the group decides."""
    respondent = find_respondent(token)
    waiting = respondent.paper_waiting()
    if waiting is None:
        return redirect(url_for("journey.start", token=respondent.token))
    if request.method == "POST":
        if not ButtonForm().validate() or request.form.get("choice") not in ("keep", "paper"):
            abort(400)
        accept = request.form["choice"] == "paper"
        settle_paper(respondent, accept)
        flash(messages.PAPER_ACCEPTED if accept else messages.PAPER_KEPT)
        return redirect(url_for("journey.check_answers", token=respondent.token))
    answers = answers_of(waiting)
    pages = [
        (section, [(q, answer_text(q, value)) for q, value in rows])
        for section, rows in shown_answers(respondent, answers)
    ]
    return render_template(
        "views/journey/paper_answers.html",
        r=respondent,
        waiting=waiting,
        pages=pages,
        form=ButtonForm(formdata=None),
    )
