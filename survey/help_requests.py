"""Groups asking their broker for help, and the broker's caseload of those requests.

Who gets a request: the group's broker when it asks (``Organisation.broker``). A group
with no broker asks its area's pool: admins, and every broker with at least one group
in the same area (``Organisation.area_id``). A request holds only what the group typed
and what it is about; a group's answers stay behind ``access.may_see_group_answers``.
Every change is audited; a status change checks the version the form was opened with
(the optimistic lock the journey uses), so two brokers cannot overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from exports.support_plans import offer_key, offer_words, step_key

from . import audit
from .access import ADMIN, BROKER
from .errors import InputError
from .extensions import db
from .journey.respondent import EditedElsewhere, conflicts_as_edited_elsewhere
from .models import (
    CONTACT_WAYS,
    HELP_OPEN,
    HelpRequest,
    HelpRequestNote,
    HelpStatus,
    Organisation,
    Round,
    User,
    utcnow,
)

NOTE_LIMIT = 2000
DETAIL_LIMIT = 254
HELP_REQUESTED = "help-requested"
HELP_CHANGED = "help-request-changed"
HELP_LOGGED = "help-request-contact-logged"
HELP_PLANNED = "help-request-planned"  # an action of a support plan, taken up offline


@dataclass(frozen=True)
class Subject:
    """Something on a group's result page it can ask for help with: a step or an offer."""

    key: str
    text: str
    domain_id: str
    kind: str  # "step" or "offer"


def subjects_of(result) -> dict[str, Subject]:
    """Key -> subject for every next step and support offer on a result (ResultView)."""
    found: dict[str, Subject] = {}
    for domain in result.domains:
        for _, steps in domain.horizons:
            for step in steps:
                key = step_key(domain.id, step.text)
                found.setdefault(key, Subject(key, step.text, domain.id, "step"))
        for offer in domain.offers:
            key = offer_key(offer.id)
            text = offer_words(offer)
            found.setdefault(key, Subject(key, text, domain.id, "offer"))
    return found


def group_requests(round_: Round, organisation: Organisation) -> list[HelpRequest]:
    """A group's requests in a round, newest first."""
    return list(
        db.session.scalars(
            sa.select(HelpRequest)
            .where(
                HelpRequest.round_id == round_.id,
                HelpRequest.organisation_id == organisation.id,
            )
            .order_by(HelpRequest.id.desc())
        )
    )


def open_request(round_: Round, organisation: Organisation, key: str) -> HelpRequest | None:
    """The group's open request about this subject, if it has one."""
    return db.session.scalar(
        sa.select(HelpRequest).where(
            HelpRequest.round_id == round_.id,
            HelpRequest.organisation_id == organisation.id,
            HelpRequest.subject_key == key,
            HelpRequest.status.in_([s.value for s in HELP_OPEN]),
        )
    )


def check_contact(contact_by: str, detail: str, note: str) -> None:
    """Raise InputError naming the field when the group's request cannot be taken."""
    if contact_by not in CONTACT_WAYS:
        raise InputError("contact_by: choose email, phone or either")
    if not detail.strip():
        raise InputError("contact_detail: enter an email address or phone number to reach you")
    if len(detail) > DETAIL_LIMIT:
        raise InputError(f"contact_detail: enter {DETAIL_LIMIT} characters or fewer")
    if len(note) > NOTE_LIMIT:
        raise InputError(f"note: enter {NOTE_LIMIT} characters or fewer")


def ask(
    round_: Round,
    organisation: Organisation,
    subject: Subject,
    *,
    note: str,
    contact_by: str,
    detail: str,
) -> tuple[HelpRequest, bool]:
    """Record the group's request (commits); (request, True) when new.

    Asking again while a request about the same subject is open (a double click, a
    second tab) returns that request unchanged: the database's unique index keeps one.
    """
    check_contact(contact_by, detail, note)
    existing = open_request(round_, organisation, subject.key)
    if existing is not None:
        return existing, False
    made = HelpRequest(
        round_id=round_.id,
        organisation_id=organisation.id,
        broker_id=organisation.broker_id,
        area_id=organisation.area_id,
        subject_key=subject.key,
        subject=subject.text[:500],
        domain_id=subject.domain_id,
        note=note.strip() or None,
        contact_by=contact_by,
        contact_detail=detail.strip(),
        status=HelpStatus.NEW.value,
    )
    db.session.add(made)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same request, sent a moment earlier, won
        return open_request(round_, organisation, subject.key), False
    audit.record(
        organisation,
        HELP_REQUESTED,
        organisation,
        {"round": round_.slug, "request": made.id, "about": subject.kind},
    )
    db.session.commit()
    return made, True


def _pool_areas(user: User):
    """Areas where the user's broker has a group (the pools it answers for)."""
    return sa.select(Organisation.area_id).where(
        Organisation.broker_id == user.broker_id, Organisation.area_id.is_not(None)
    )


def _in_caseload(user: User | None, broker_id, area_id):
    """The rule of a caseload, over a request's (or a would-be request's) broker and area.

    None is the command line: everything. A broker holds its own groups' requests and
    those with no broker in the areas where it has a group; other roles hold none.
    """
    if user is None or user.role == ADMIN:
        return sa.true()
    if user.role == BROKER and user.broker_id is not None:
        return sa.or_(
            broker_id == user.broker_id,
            sa.and_(broker_id.is_(None), area_id.in_(_pool_areas(user))),
        )
    return sa.false()


def visible_requests(user: User):
    """A query of the requests this member of staff may see (none for other roles)."""
    return sa.select(HelpRequest).where(
        _in_caseload(user, HelpRequest.broker_id, HelpRequest.area_id)
    )


def caseload_groups(user: User | None, org_ids) -> set[int]:
    """Those of these groups whose requests (present or to come) are in the user's caseload."""
    return set(
        db.session.scalars(
            sa.select(Organisation.id).where(
                Organisation.id.in_(list(org_ids)),
                _in_caseload(user, Organisation.broker_id, Organisation.area_id),
            )
        )
    )


def may_see_request(user: User, request_: HelpRequest) -> bool:
    """True when the request is in this member of staff's caseload."""
    return (
        db.session.scalar(
            visible_requests(user)
            .where(HelpRequest.id == request_.id)
            .with_only_columns(HelpRequest.id)
        )
        is not None
    )


def owner_choices(user: User, request_: HelpRequest) -> list[User]:
    """Who may own a request: the active brokers of its broker (or pool), and admins."""
    query = sa.select(User).where(User.active).order_by(User.email)
    brokers = [request_.broker_id] if request_.broker_id is not None else None
    if brokers is None:
        brokers = sa.select(Organisation.broker_id).where(
            Organisation.area_id == request_.area_id, Organisation.broker_id.is_not(None)
        )
    query = query.where(
        sa.or_(User.role == ADMIN, sa.and_(User.role == BROKER, User.broker_id.in_(brokers)))
    )
    return list(db.session.scalars(query))


def _parse_date(raw: str, field: str) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InputError(f"{field}: enter a real date, like 2027-03-14") from None


def update(
    user: User,
    request_: HelpRequest,
    *,
    status: str,
    owner_id: str,
    due_on: str,
    posted_version: str,
) -> bool:
    """Change status, owner and due date (commits); True when something changed.

    InputError for a bad value; EditedElsewhere, with nothing written, when someone
    saved the request after this form was opened.
    """
    if status not in {s.value for s in HelpStatus}:
        raise InputError("status: choose one of the statuses shown")
    owners = {str(u.id): u for u in owner_choices(user, request_)}
    if owner_id and owner_id not in owners:
        raise InputError("owner: choose one of the people shown")
    due = _parse_date(due_on, "due_on")
    with conflicts_as_edited_elsewhere():
        fresh = db.session.scalar(
            sa.select(HelpRequest)
            .where(HelpRequest.id == request_.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if fresh is None or str(fresh.version) != (posted_version or ""):
            raise EditedElsewhere()
        new_owner = int(owner_id) if owner_id else None
        before = {"status": fresh.status, "owner": fresh.owner_id, "due": _iso(fresh.due_on)}
        after = {"status": status, "owner": new_owner, "due": _iso(due)}
        if before == after:
            db.session.rollback()
            return False
        fresh.status, fresh.owner_id, fresh.due_on = status, new_owner, due
        fresh.updated_at = utcnow()
        audit.record(
            user,
            HELP_CHANGED,
            f"help-request:{fresh.id}",
            {k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
        db.session.commit()
    return True


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def log_contact(user: User, request_: HelpRequest, *, text: str, contacted_on: str) -> None:
    """Add a dated line to the contact log (commits); lines are never changed."""
    text = text.strip()
    if not text:
        raise InputError("text: say what happened, like 'phoned, booked onto a session'")
    if len(text) > NOTE_LIMIT:
        raise InputError(f"text: enter {NOTE_LIMIT} characters or fewer")
    day = _parse_date(contacted_on, "contacted_on") or dt.date.today()
    if day > dt.date.today():
        raise InputError("contacted_on: the date of contact cannot be in the future")
    note = HelpRequestNote(
        help_request_id=request_.id, contacted_on=day, text=text, author=user.email
    )
    db.session.add(note)
    db.session.flush()
    audit.record(user, HELP_LOGGED, f"help-request:{request_.id}", {"note": note.id})
    db.session.commit()
