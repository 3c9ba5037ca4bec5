"""The directory entries groups keep: drafts, saving, "still right", a broker's check,
and the six-monthly "is this still right?" email. What an entry publishes is decided
by survey.directory (the one listing builder), never here.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import render_template

from exports.listing_entry import STEP_BY_SLUG
from exports.oruk import ENTRY_FIELDS

from . import audit
from .extensions import db
from .journey.links import ensure_private_token, group_link
from .mail import failure_reason, send_mail
from .models import DirectoryEntry, Invitation, Organisation, Postcode, utcnow
from .reminders import unsubscribe_headers, unsubscribe_link

ENTRY_SAVED = "directory-entry-saved"
ENTRY_CONFIRMED = "directory-entry-confirmed"
ENTRY_CHECKED = "directory-entry-checked"
ENTRY_STALE_EMAILED = "directory-entry-stale-emailed"
STALE_AFTER = dt.timedelta(days=183)  # six months without "still right"
EMAIL_AGAIN_AFTER = dt.timedelta(days=30)  # at most one "still right?" email a month
VENUE_FIELDS = tuple(f.name for f in STEP_BY_SLUG["venue"].fields)


def entry_of(organisation: Organisation) -> DirectoryEntry | None:
    """The group's entry, if it has started one."""
    return db.session.get(DirectoryEntry, organisation.id)


def working_values(organisation: Organisation) -> dict:
    """What the group's pages show: its draft, else its saved entry."""
    entry = entry_of(organisation)
    if entry is None:
        return {}
    return dict(entry.draft if entry.draft is not None else entry.details or {})


def save_step(organisation: Organisation, values: dict) -> dict:
    """Put one page's values into the group's draft (nothing is published yet); commits."""
    entry = entry_of(organisation)
    if entry is None:
        entry = DirectoryEntry(organisation_id=organisation.id)
        db.session.add(entry)
    draft = {**working_values(organisation), **values}
    if draft.get("venue_public") == "no":
        draft.update(dict.fromkeys(VENUE_FIELDS, ""))  # a private place is not kept
    entry.draft = {k: draft[k] for k in ENTRY_FIELDS if k in draft}
    db.session.commit()
    return entry.draft


def has_changes(organisation: Organisation) -> bool:
    """True when the group has a draft that differs from what is saved."""
    entry = entry_of(organisation)
    return entry is not None and entry.draft is not None and entry.draft != (entry.details or {})


def publish(organisation: Organisation) -> DirectoryEntry:
    """Save the draft as the group's entry, confirmed now; audited; commits.

    The venue's postcode and its coordinates (from the postcode directory, when loaded)
    are kept for a map, only for a public venue.
    """
    entry = entry_of(organisation)
    now = utcnow()
    entry.details = dict(entry.draft if entry.draft is not None else entry.details or {})
    entry.draft = None
    entry.updated_at = entry.confirmed_at = now
    public = entry.details.get("venue_public") == "yes"
    entry.venue_postcode = (entry.details.get("venue_postcode") or None) if public else None
    place = db.session.get(Postcode, entry.venue_postcode) if entry.venue_postcode else None
    entry.venue_lat = place.lat if place else None
    entry.venue_lon = place.lon if place else None
    audit.record(organisation, ENTRY_SAVED, organisation, {"fields": sorted(entry.details)})
    db.session.commit()
    return entry


def confirm(organisation: Organisation) -> None:
    """The group says its saved entry is still right; audited; commits."""
    entry = entry_of(organisation)
    entry.confirmed_at = utcnow()
    audit.record(organisation, ENTRY_CONFIRMED, organisation)
    db.session.commit()


def mark_checked(organisation: Organisation, user, day: dt.date) -> None:
    """A broker checked the entry with the group on this day; audited; commits."""
    entry = entry_of(organisation)
    entry.checked_on, entry.checked_by_id = day, user.id
    audit.record(user, ENTRY_CHECKED, organisation, {"on": day.isoformat()})
    db.session.commit()


def is_stale(entry: DirectoryEntry | None, now: dt.datetime) -> bool:
    """Saved, and not confirmed for six months."""
    return (
        entry is not None
        and entry.details is not None
        and (entry.confirmed_at is None or entry.confirmed_at < now - STALE_AFTER)
    )


@dataclass(frozen=True)
class EntryRow:
    """A broker's view of one group's entry."""

    organisation: Organisation
    entry: DirectoryEntry | None
    stale: bool


def entries_for(organisations: Iterable[Organisation], now: dt.datetime) -> list[EntryRow]:
    """Each group with its entry (or none) and whether it is stale, stale ones first."""
    orgs = list(organisations)
    entries = {
        e.organisation_id: e
        for e in db.session.scalars(
            sa.select(DirectoryEntry).where(
                DirectoryEntry.organisation_id.in_([o.id for o in orgs])
            )
        )
    }
    rows = [EntryRow(o, entries.get(o.id), is_stale(entries.get(o.id), now)) for o in orgs]
    return sorted(rows, key=lambda row: (not row.stale, row.organisation.name))


def _group_token(organisation: Organisation) -> str | None:
    invitation = db.session.scalar(
        sa.select(Invitation)
        .where(Invitation.organisation_id == organisation.id)
        .order_by(Invitation.id.desc())
        .limit(1)
    )
    return ensure_private_token(invitation) if invitation is not None else None


@dataclass(frozen=True)
class Emailed:
    """How many stale groups were emailed, and the mail server's refusal, if any."""

    sent: int
    failure: str | None = None
    not_sent: int = 0  # due but not sent, once the server refused


def stale_due(rows: Iterable[EntryRow], now: dt.datetime) -> list[EntryRow]:
    """The stale entries whose group would be asked "still right?" now: it has an email
    address and a link, has not stopped reminder emails (its unsubscribe link says "any
    more reminder emails"), and was not asked within the month."""
    due = []
    for row in rows:
        org, entry = row.organisation, row.entry
        if not row.stale or not (org.email or "").strip() or org.reminders_stopped_at:
            continue
        if entry.stale_emailed_at and entry.stale_emailed_at > now - EMAIL_AGAIN_AFTER:
            continue
        has_link = db.session.scalar(
            sa.select(sa.func.count(Invitation.id)).where(Invitation.organisation_id == org.id)
        )
        if has_link:
            due.append(row)
    return due


def email_stale(rows: Iterable[EntryRow], actor, now: dt.datetime) -> Emailed:
    """Ask each stale group that is due (stale_due) whether its entry is still right,
    with its own link and a link to stop reminders. Each send is audited and committed
    as it goes, so a failing server stops the run with the ones sent recorded."""
    sent = 0
    due = stale_due(rows, now)
    for row in due:
        org, entry = row.organisation, row.entry
        stop = unsubscribe_link(org.id)
        link = group_link(_group_token(org)) + "/listing"
        body = render_template(
            "views/directory/still_right_email.txt", org=org, link=link, stop=stop
        )
        try:
            send_mail(
                org.email.strip(),
                "Is your group’s directory listing still right?",
                body,
                headers=unsubscribe_headers(stop),
            )
        except (OSError, smtplib.SMTPException) as error:
            db.session.rollback()
            return Emailed(sent, failure_reason(error), len(due) - sent)
        entry.stale_emailed_at = now
        audit.record(actor, ENTRY_STALE_EMAILED, org)
        db.session.commit()
        sent += 1
    return Emailed(sent)


def every_entry(now: dt.datetime) -> list[EntryRow]:
    """entries_for every group that has saved an entry (the daily command's list)."""
    with_entry = sa.select(DirectoryEntry.organisation_id).where(
        DirectoryEntry.details.is_not(None)
    )
    orgs = db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(with_entry)).order_by(Organisation.id)
    )
    return entries_for(orgs, now)
