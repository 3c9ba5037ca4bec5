"""Staff pages for rounds: open a round, list its invitation links, download them, reissue one."""

from __future__ import annotations

import datetime as dt
import re
import smtplib

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovSelect,
    GovTextInput,
)
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from .. import audit
from ..access import ADMIN, BROKER, signed_in_user
from ..extensions import db
from ..instruments_store import registry
from ..lookups import round_or_404, round_with_slug
from ..mail import send_mail
from ..models import Area, Invitation, Organisation, Round
from .fields import field_choices
from .forms import ButtonForm
from .invitations import (
    InvitationRow,
    ensure_invitations,
    invitation_rows,
    invitations_csv,
    link_for,
    reissue,
    withheld_links,
)

bp = Blueprint("rounds", __name__, url_prefix="/rounds")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _round(slug: str) -> Round:
    return round_or_404(slug)


def _portfolio() -> set[int] | None:
    """Groups whose links this user may see: None means every group (admins)."""
    if current_user.role == ADMIN:
        return None
    if current_user.role == BROKER and current_user.broker_id is not None:
        return set(
            db.session.scalars(
                sa.select(Organisation.id).where(Organisation.broker_id == current_user.broker_id)
            )
        )
    return set()


class DayMonthYearField(DateField):
    """A date typed as day, month and year boxes; missing boxes never break the page."""

    def process_formdata(self, valuelist) -> None:
        """Three boxes to a date, or a clear error."""
        values = [str(v).strip() for v in (list(valuelist) + ["", "", ""])[:3]]
        self.raw_data = values
        if not any(values):
            self.data = None
            return
        try:
            day, month, year = (int(v) for v in values)
            self.data = dt.date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError("Enter a real date, like 31 7 2027") from None


@bp.get("/")
def list_rounds():
    """Every round, with its questionnaire, dates and a link to its invitations."""
    rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc(), Round.slug)).all()
    return render_template("views/journey/rounds.html", rounds=rounds)


class OpenRoundForm(FlaskForm):
    """A new round: questionnaire version, title, slug, period and areas."""

    instrument = SelectField(
        "Questionnaire",
        validators=[InputRequired("Choose a questionnaire")],
        widget=GovSelect(),
    )
    title = StringField(
        "Title",
        validators=[InputRequired("Enter a title"), Length(max=200)],
        widget=GovTextInput(),
        description="Shown to groups, for example ‘Confidence survey 2027’.",
    )
    slug = StringField(
        "Short name",
        validators=[InputRequired("Enter a short name"), Length(max=80)],
        widget=GovTextInput(),
        description="Lower-case letters, numbers and hyphens, for example confidence-2027.",
    )
    opens_on = DayMonthYearField(
        "Opens on",
        format="%d %m %Y",
        validators=[InputRequired("Enter the date the round opens")],
        widget=GovDateInput(),
        description="For example, 1 5 2027",
    )
    closes_on = DayMonthYearField(
        "Closes on",
        format="%d %m %Y",
        validators=[InputRequired("Enter the date the round closes")],
        widget=GovDateInput(),
        description="For example, 31 7 2027",
    )
    areas = SelectMultipleField(
        "Areas",
        validators=[InputRequired("Choose at least one area")],
        widget=GovCheckboxesInput(),
        description="Groups in these areas are invited.",
    )

    def validate_slug(self, field) -> None:
        """Unique and shaped like a-short-name."""
        if not SLUG.match(field.data or ""):
            raise ValidationError("Use only lower-case letters, numbers and hyphens")
        if round_with_slug(field.data) is not None:
            raise ValidationError("There is already a round with this short name")

    def validate_closes_on(self, field) -> None:
        """Not before it opens."""
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("The closing date must be on or after the opening date")


@bp.route("/new", methods=["GET", "POST"])
def open_round():
    """Open a round: choose the questionnaire, the period and the areas."""
    form = OpenRoundForm()
    form.instrument.choices = field_choices(
        (f"{i.id}@{i.version}", f"{i.title} (version {i.version})") for i in registry().all()
    )
    areas = db.session.scalars(
        sa.select(Area).where(Area.type.in_(("ics", "place", "lad"))).order_by(Area.type, Area.name)
    ).all()
    form.areas.choices = field_choices((a.code, f"{a.name} ({a.type.upper()})") for a in areas)
    if form.validate_on_submit():
        instrument_id, version = form.instrument.data.split("@", 1)
        if (instrument_id, version) not in registry():
            form.instrument.errors.append("Choose a questionnaire from the list")
        else:
            chosen = set(form.areas.data)
            round_ = Round(
                slug=form.slug.data,
                title=form.title.data.strip(),
                instrument_id=instrument_id,
                instrument_version=version,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                areas=[a for a in areas if a.code in chosen],
            )
            if len(round_.areas) != len(chosen):
                form.areas.errors.append("Choose areas from the list")
            else:
                db.session.add(round_)
                db.session.commit()
                made = ensure_invitations(round_)
                flash(f"Round opened. {made} groups were given their own link.")
                return redirect(url_for("rounds.invitations", slug=round_.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("views/journey/open_round.html", form=form), status


@bp.get("/<slug>/invitations")
def invitations(slug: str):
    """A round's invitation links, with each group's progress."""
    round_ = _round(slug)
    rows = invitation_rows(round_, _portfolio())
    return render_template(
        "views/journey/invitations.html",
        round=round_,
        rows=rows,
        link_for=link_for,
        withheld=withheld_links(rows, signed_in_user()),
        form=ButtonForm(formdata=None),
        is_admin=current_user.role == ADMIN,
    )


@bp.post("/<slug>/invitations")
def create_invitations(slug: str):
    """Make links for groups in the round's areas that have none yet (admins)."""
    round_ = _round(slug)
    if current_user.role != ADMIN:
        abort(403)
    if not ButtonForm().validate():
        abort(400)
    made = ensure_invitations(round_)
    flash(f"{made} new links made.")
    return redirect(url_for("rounds.invitations", slug=slug))


@bp.get("/<slug>/invitations.csv")
def invitations_download(slug: str):
    """The links as CSV: org id, name, area code, link."""
    round_ = _round(slug)
    rows = invitation_rows(round_, _portfolio())
    text = invitations_csv(rows, withheld_links(rows, signed_in_user()))
    audit.record(current_user, "invitations.download", f"round:{round_.slug}", {"rows": len(rows)})
    db.session.commit()
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{round_.slug}-invitations.csv"'},
    )


def _live_invitation(slug: str, invitation_id: int):
    """(round, invitation) for a button on the invitations page: 404 for an
    invitation that is not live in this round or not in the viewer's portfolio, 400 for a
    form without its token."""
    round_ = _round(slug)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.round_id != round_.id or invitation.revoked_at:
        abort(404)
    portfolio = _portfolio()
    if portfolio is not None and invitation.organisation_id not in portfolio:
        abort(404)
    if not ButtonForm().validate():
        abort(400)
    return round_, invitation


@bp.post("/<slug>/invitations/<int:invitation_id>/reissue")
def reissue_link(slug: str, invitation_id: int):
    """Replace a group's link: the old one stops working, answers so far are kept."""
    round_, invitation = _live_invitation(slug, invitation_id)
    fresh = reissue(invitation, current_user.email)
    row = InvitationRow(fresh, fresh.organisation_id, "", "", "")
    if withheld_links([row], current_user):
        flash("New link made. The old one no longer works. Email the new one to the group.")
    else:
        flash(f"New link made. The old one no longer works. New link: {link_for(fresh)}")
    return redirect(url_for("rounds.invitations", slug=slug))


INVITATION_EMAILED = "invitation-emailed"
EMAILS_PER_HOUR = 3  # a group's inbox is not flooded by a double-clicked or scripted button


@bp.post("/<slug>/invitations/<int:invitation_id>/email")
def email_invitation(slug: str, invitation_id: int):
    """Send a group its link at the address on file (the link itself stays with the group)."""
    round_, invitation = _live_invitation(slug, invitation_id)
    organisation = invitation.organisation
    if organisation is None:
        abort(404)
    email = (organisation.email or "").strip()
    if not email:
        flash(f"{organisation.name} has no email address on file: ask an admin to add one.")
        return redirect(url_for("rounds.invitations", slug=slug))
    if audit.recent(INVITATION_EMAILED, organisation, hours=1) >= EMAILS_PER_HOUR:
        flash(
            f"{organisation.name} has been sent its link {EMAILS_PER_HOUR} times in the last "
            "hour. Wait an hour before sending it again, or phone the group."
        )
        return redirect(url_for("rounds.invitations", slug=slug))
    instrument = registry().get(round_.instrument_id, round_.instrument_version)
    body = render_template(
        "views/journey/invitation_email.txt",
        name=organisation.name,
        title=instrument.title,
        link=link_for(invitation),
        closes_on=round_.closes_on,
    )
    try:
        send_mail(email, f"Your group's link to the {instrument.title}", body)
    except (OSError, smtplib.SMTPException):
        flash("The email could not be sent. Try again later.")
        return redirect(url_for("rounds.invitations", slug=slug))
    audit.record(current_user, INVITATION_EMAILED, organisation, {"round": round_.slug})
    db.session.commit()
    flash(f"Link emailed to {organisation.name}.")
    return redirect(url_for("rounds.invitations", slug=slug))
