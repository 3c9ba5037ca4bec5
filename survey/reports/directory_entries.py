"""A broker's groups' directory entries: what each lists, when it was last confirmed,
"checked on DATE", and the "is this still right?" email to entries six months old."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from exports.oruk import listing_rows

from .. import directory, directory_entries
from ..access import ADMIN
from ..extensions import db
from ..mail import stopped_part_way
from ..models import Broker, Organisation, utcnow
from .plans_data import portfolio
from .portfolio import broker_for_viewer
from .views import bp


def _back(broker):
    args = {"broker": broker.id} if current_user.role == ADMIN else {}
    return redirect(url_for("reports.directory_entries_page", **args))


def _shared(organisation: Organisation) -> bool:
    """A broker sees an entry its group publishes, or shares its answers with it."""
    return organisation.consent_directory or organisation.consent_broker


@bp.get("/directory-entries")
def directory_entries_page():
    """The broker's groups with their entries, the stale ones (six months) first.

    An admin first picks a broker."""
    if current_user.role == ADMIN and not request.args.get("broker"):
        brokers = db.session.scalars(sa.select(Broker).order_by(Broker.name)).all()
        return render_template("views/reports/directory_entries_brokers.html", brokers=brokers)
    broker = broker_for_viewer()
    now = utcnow()
    rows = directory_entries.entries_for(portfolio(broker), now)
    listings = {
        row.organisation.id: listing_rows(directory.listing_of(row.organisation))
        for row in rows
        if row.entry is not None and row.entry.details and _shared(row.organisation)
    }
    return render_template(
        "views/reports/directory_entries.html",
        broker=broker,
        rows=rows,
        listings=listings,
        stale=sum(row.stale for row in rows),
        today=dt.date.today(),
        is_admin=current_user.role == ADMIN,
        form=FlaskForm(),
    )


@bp.post("/directory-entries/<int:org_id>/checked")
def directory_entry_checked(org_id: int):
    """The broker checked this group's entry with it today."""
    broker = broker_for_viewer()
    if not FlaskForm().validate():
        abort(400)
    organisation = db.session.get(Organisation, org_id)
    if organisation is None or organisation.broker_id != broker.id:
        abort(404)
    entry = directory_entries.entry_of(organisation)
    if entry is None or entry.details is None:
        abort(404)
    directory_entries.mark_checked(organisation, current_user, dt.date.today())
    flash(f"{organisation.name}: marked as checked today.")
    return _back(broker)


@bp.post("/directory-entries/email-stale")
def directory_entries_email():
    """Email each stale entry's group its link, asking whether it is still right."""
    broker = broker_for_viewer()
    if not FlaskForm().validate():
        abort(400)
    rows = directory_entries.entries_for(portfolio(broker), utcnow())
    outcome = directory_entries.email_stale(rows, current_user, utcnow())
    if outcome.failure:
        stopped = stopped_part_way(outcome.failure, outcome.sent, outcome.not_sent, "email")
        flash(f"Emails could not all be sent: {stopped}; try again later to send the rest.")
    else:
        flash(f"Emails sent to {outcome.sent} {'group' if outcome.sent == 1 else 'groups'}.")
    return _back(broker)
