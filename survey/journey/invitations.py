"""Invitations for a round: who is invited, making missing links, reissuing, the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import sqlalchemy as sa

from exports.formula import csv_text

from .. import audit
from ..access import ADMIN, area_ids_under, may_see_group_answers
from ..extensions import db
from ..instruments_store import instrument_for
from ..models import (
    Area,
    Broker,
    Invitation,
    Organisation,
    OrganisationArea,
    Reminder,
    Response,
    ResponseStatus,
    Round,
    utcnow,
)
from ..sql import ids_in
from .links import group_link

CSV_HEADER = (
    "org id", "name", "area code", "link", "status", "submitted on", "last reminded", "broker"
)  # fmt: skip
NOT_STARTED, DRAFT, SUBMITTED = "not started", "draft", "submitted"
WITHHELD = "sent to the group only"


@dataclass
class InvitationRow:
    """One invited group (or area) and its live link."""

    invitation: Invitation
    org_id: int | None
    name: str
    area_code: str
    status: str  # not started | draft | submitted
    submitted_at: dt.datetime | None = None
    last_reminded: dt.datetime | None = None
    broker: str = ""


def _round_area_ids(round_: Round) -> set[int] | None:
    ids = {a.id for a in round_.areas}
    return area_ids_under(ids) if ids else None


def invitees(round_: Round) -> tuple[str, list]:
    """('organisation', [Organisation]) or ('locality', [Area]) the round should invite."""
    within = _round_area_ids(round_)
    if instrument_for(round_).kind == "locality":
        query = sa.select(Area).where(Area.type == "pcn").order_by(Area.code)
        if within is not None:
            query = query.where(Area.id.in_(within))
        areas = list(db.session.scalars(query))
        if not areas:
            areas = sorted(round_.areas, key=lambda a: a.code)
        return "locality", areas
    query = sa.select(Organisation).order_by(Organisation.id)
    if within is not None:
        member = sa.select(OrganisationArea.organisation_id).where(
            OrganisationArea.area_id.in_(within)
        )
        query = query.where(sa.or_(Organisation.id.in_(member), Organisation.area_id.in_(within)))
    return "organisation", list(db.session.scalars(query))


def live_invitations(round_: Round, organisation_ids: set[int] | None = None) -> list[Invitation]:
    """The round's invitations that have not been revoked (only these groups' when given)."""
    query = (
        sa.select(Invitation)
        .where(Invitation.round_id == round_.id, Invitation.revoked_at.is_(None))
        .order_by(Invitation.id)
    )
    if organisation_ids is not None:
        if not organisation_ids:
            return []
        query = query.where(ids_in(Invitation.organisation_id, organisation_ids))
    return list(db.session.scalars(query))


def ensure_invitations(round_: Round) -> int:
    """Create a link for every invitee that has none yet; returns how many were made."""
    kind, people = invitees(round_)
    live = live_invitations(round_)
    if kind == "locality":
        have = {i.area_id for i in live if i.organisation_id is None}
        missing = [Invitation(round=round_, area_id=a.id) for a in people if a.id not in have]
    else:
        have = {i.organisation_id for i in live}
        missing = [
            Invitation(round=round_, organisation_id=o.id, area_id=o.area_id)
            for o in people
            if o.id not in have
        ]
    db.session.add_all(missing)
    db.session.commit()
    return len(missing)


def reissue(invitation: Invitation, actor: str) -> Invitation:
    """Revoke a link and make a new one for the same group or area; commits."""
    invitation.revoked_at = utcnow()
    # The group's private link moves to the new invitation: the group keeps its way back
    # to its answers, and the new invitation link opens them no more than the old one did.
    private_token, invitation.private_token = invitation.private_token, None
    db.session.flush()
    fresh = Invitation(
        round_id=invitation.round_id,
        organisation_id=invitation.organisation_id,
        area_id=invitation.area_id,
        private_token=private_token,
    )
    db.session.add(fresh)
    audit.record(
        actor,
        "invitation.reissue",
        f"invitation:{invitation.id}",
        {"round_id": invitation.round_id, "organisation_id": invitation.organisation_id},
    )
    db.session.commit()
    return fresh


def last_reminders(round_: Round) -> dict[int, dt.datetime]:
    """Organisation id -> when it was last sent a reminder for this round."""
    return dict(
        db.session.execute(
            sa.select(Reminder.organisation_id, sa.func.max(Reminder.sent_at))
            .where(Reminder.round_id == round_.id)
            .group_by(Reminder.organisation_id)
        ).all()
    )


def _groups_named(ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Group id -> (name, its area's code or "", its broker's name or ""), as plain rows:
    a broker's thousands of links do not each load their group, area and broker."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Area.code, Broker.name)
        .outerjoin(Area, Area.id == Organisation.area_id)
        .outerjoin(Broker, Broker.id == Organisation.broker_id)
        .where(ids_in(Organisation.id, ids))
    )
    return {org_id: (name, code or "", broker or "") for org_id, name, code, broker in rows}


def invitation_rows(
    round_: Round, organisation_ids: set[int] | None = None, *, not_answered: bool = False
) -> list[InvitationRow]:
    """Live invitations with names, area codes, status, last reminder and broker.

    ``organisation_ids`` limits the rows to some groups; ``not_answered`` to those with
    no current submission (not started, or a draft).
    """
    rows = []
    answers = sa.select(
        Response.organisation_id,
        Response.area_id,
        Response.status,
        Response.is_current,
        Response.submitted_at,
    ).where(Response.round_id == round_.id)
    if organisation_ids:
        answers = answers.where(ids_in(Response.organisation_id, organisation_ids))
    statuses: dict[tuple, tuple[str, dt.datetime | None]] = {}
    for org_id, area_id, status, current, submitted_at in db.session.execute(answers):
        key = ("org", org_id) if org_id is not None else ("area", area_id)
        if status == ResponseStatus.SUBMITTED and current:
            statuses[key] = (SUBMITTED, submitted_at)
        elif status == ResponseStatus.IN_PROGRESS:
            statuses.setdefault(key, (DRAFT, None))
    if not_answered and organisation_ids is not None:  # answered groups' links: not read
        organisation_ids = {
            o for o in organisation_ids if statuses.get(("org", o), ("",))[0] != SUBMITTED
        }
    live = live_invitations(round_, organisation_ids)  # read for these groups only
    reminded = last_reminders(round_)
    groups = _groups_named({inv.organisation_id for inv in live} - {None})
    for inv in live:
        if inv.organisation_id is not None:
            key = ("org", inv.organisation_id)
            name, code, broker = groups[inv.organisation_id]
        else:
            key = ("area", inv.area_id)
            name = inv.area.name if inv.area else ""
            code = inv.area.code if inv.area else ""
            broker = ""
        status, submitted_at = statuses.get(key, (NOT_STARTED, None))
        if not_answered and status == SUBMITTED:
            continue
        rows.append(
            InvitationRow(
                inv,
                inv.organisation_id,
                name,
                code,
                status,
                submitted_at,
                reminded.get(inv.organisation_id),
                broker,
            )
        )
    return rows


def withheld_links(rows: list[InvitationRow], user) -> set[int]:
    """Invitation ids whose link this member of staff may not hold.

    A link starts a round for its group, and through it the group's consent can be
    changed; so a broker or area lead holds the link of a group that has answered
    before (in any round) only while that group lets them see its answers. The
    service emails such a group its link instead. Admins hold every link.
    """
    if user.role == ADMIN:
        return set()
    org_ids = {r.org_id for r in rows if r.org_id is not None}
    answered = set(
        db.session.scalars(
            sa.select(Response.organisation_id)
            .where(Response.organisation_id.in_(org_ids))
            .distinct()
        )
    )
    return {
        r.invitation.id
        for r in rows
        if r.org_id in answered and not may_see_group_answers(user, r.invitation.organisation)
    }


def link_for(invitation: Invitation, base_url: str | None = None) -> str:
    """The full address of a group's invitation link."""
    return group_link(invitation.token, base_url)


def _day(moment: dt.datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


def invitations_csv(
    rows: list[InvitationRow], withheld: set[int] = frozenset(), base_url: str | None = None
) -> str:
    """One row per invited group: org id, name, area code, link (withheld links not given),
    status, date submitted, date last reminded and broker."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # a \r inside a name is then quoted
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            [
                row.org_id if row.org_id is not None else "",
                csv_text(row.name),
                csv_text(row.area_code),
                WITHHELD if row.invitation.id in withheld else link_for(row.invitation, base_url),
                row.status,
                _day(row.submitted_at),
                _day(row.last_reminded),
                csv_text(row.broker),
            ]
        )
    return out.getvalue()
