"""Invitations for a round: who is invited, making missing links, reissuing, the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from exports.formula import csv_text

from .. import audit
from ..access import ADMIN, areas_under, group_answers_rule
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


class Link(NamedTuple):
    """What a list of links needs of an invitation, read as a plain row with Invitation's
    attribute names (so link_for, the lists and the templates take either): a
    portfolio's 5,521 links not answered took 0.2 s to load as Invitation objects."""

    id: int
    organisation_id: int | None
    area_id: int | None
    token: str
    private_token: str | None


@dataclass
class InvitationRow:
    """One invited group (or area) and its live link."""

    invitation: Invitation | Link
    org_id: int | None
    name: str
    area_code: str
    status: str  # not started | draft | submitted
    submitted_at: dt.datetime | None = None
    last_reminded: dt.datetime | None = None
    broker: str = ""
    email: str | None = None  # the group's address (a reminder's), None for an area's link
    reminders_stopped_at: dt.datetime | None = None  # when the group asked for no more


def _round_areas(round_: Round) -> sa.Select | None:
    """The round's areas and those under them, as a query (None: a round for everywhere)."""
    ids = {a.id for a in round_.areas}
    return areas_under(ids) if ids else None


def invitees(round_: Round) -> tuple[str, list]:
    """('organisation', [Organisation]) or ('locality', [Area]) the round should invite."""
    within = _round_areas(round_)
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


def _live(round_: Round, organisation_ids: set[int] | None, *columns) -> sa.Select:
    """The round's invitations that have not been revoked (only these groups' when given)."""
    query = (
        sa.select(*columns)
        .where(Invitation.round_id == round_.id, Invitation.revoked_at.is_(None))
        .order_by(Invitation.id)
    )
    if organisation_ids is not None:
        query = query.where(ids_in(Invitation.organisation_id, organisation_ids))
    return query


def live_invitations(round_: Round) -> list[Invitation]:
    """The round's invitations that have not been revoked."""
    return list(db.session.scalars(_live(round_, None, Invitation)))


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


def invitation_rows(
    round_: Round, organisation_ids: set[int] | None = None, *, not_answered: bool = False
) -> list[InvitationRow]:
    """Live invitations with names, area codes, status, last reminder and broker, and a
    group's email and stop date (what a reminder reads), all as plain rows.

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
    if organisation_ids is not None and not organisation_ids:
        return []
    reminded = last_reminders(round_)
    own_area, group_area = aliased(Area), aliased(Area)
    live = db.session.execute(  # read for these groups only, with their names, in one query
        _live(round_, organisation_ids, *(getattr(Invitation, name) for name in Link._fields))
        .add_columns(
            Organisation.name,
            group_area.code,
            Broker.name,
            own_area.name,
            own_area.code,
            Organisation.email,
            Organisation.reminders_stopped_at,
        )
        .outerjoin(Organisation, Organisation.id == Invitation.organisation_id)
        .outerjoin(group_area, group_area.id == Organisation.area_id)
        .outerjoin(Broker, Broker.id == Organisation.broker_id)
        .outerjoin(  # a locality's link: its own area's name and code
            own_area,
            sa.and_(own_area.id == Invitation.area_id, Invitation.organisation_id.is_(None)),
        )
    )
    for *fields, name, code, broker, area_name, area_code, email, stopped in live:
        link = Link(*fields)
        if link.organisation_id is not None:
            key = ("org", link.organisation_id)
        else:
            key = ("area", link.area_id)
            name, code, broker = area_name, area_code, ""
        status, submitted_at = statuses.get(key, (NOT_STARTED, None))
        if not_answered and status == SUBMITTED:
            continue
        rows.append(
            InvitationRow(
                link,
                link.organisation_id,
                name or "",
                code or "",
                status,
                submitted_at,
                reminded.get(link.organisation_id),
                broker or "",
                email,
                stopped,
            )
        )
    return rows


class Sharing(NamedTuple):
    """What access.may_see_group_answers reads of a group, as a plain row."""

    id: int
    broker_id: int | None
    consent_broker: bool
    area_id: int | None
    consent_area_lead: bool


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
    if not org_ids:
        return set()
    answered = sa.select(Response.organisation_id).where(ids_in(Response.organisation_id, org_ids))
    sharing = db.session.execute(  # what may_see_group_answers reads, of the groups answered
        sa.select(*(getattr(Organisation, name) for name in Sharing._fields)).where(
            Organisation.id.in_(answered)
        )
    )
    sees = group_answers_rule(user)  # for an area lead, its areas worked out once
    kept = {row.id for row in map(Sharing._make, sharing) if not sees(row)}
    return {r.invitation.id for r in rows if r.org_id in kept}


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
