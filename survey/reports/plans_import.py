"""An edited support-plans workbook back into the caseload: every row checked, all or nothing.

Rows with a request's Id (H12) change that request's owner, due date and status, as the
caseload's form does, under the same optimistic lock: a row whose request was changed
in the app after the export is refused, never overwritten. Rows with a plan Id that
someone has taken up (an owner, a date or a status) become requests in the caseload,
agreed with the group by its broker. Every change is audited like a caseload edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from exports.paper import PaperFileError
from exports.plan_import import PlanRow, read_plan_workbook
from exports.support_plans import PLAN_ID, offer_key, offer_words, request_id, step_key

from .. import audit
from ..errors import InputError
from ..extensions import db
from ..help_requests import (
    HELP_CHANGED,
    HELP_PLANNED,
    caseload_groups,
    owner_choices,
    visible_requests,
)
from ..instruments_store import instrument_for, registry
from ..models import HELP_OPEN, HelpRequest, HelpStatus, Organisation, Round, User, utcnow

STATUSES = {s.label: s.value for s in HelpStatus}


@dataclass
class PlansImport:
    """What an import changed, or the problems that stopped it."""

    file_name: str
    errors: list[str] = field(default_factory=list)
    changed: int = 0
    created: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        """One line for the console or the page."""
        return (
            f"{self.file_name}: {self.changed} actions changed, {self.created} added to the "
            f"caseload, {self.unchanged} as they were"
        )


@dataclass
class _Change:
    row: PlanRow
    request: HelpRequest | None = None  # None: a new request from the plan
    round: Round | None = None
    organisation: Organisation | None = None
    key: str = ""
    subject: str = ""
    domain_id: str | None = None
    owner: User | None = None


def import_support_plans(data: bytes, file_name: str, *, user: User | None, actor) -> PlansImport:
    """Check every row, then write all the changes in one transaction or none.

    ``user`` None is the command line (every group); a broker may change only rows of
    groups in its caseload. File problems raise InputError.
    """
    db.session.commit()  # read the file with no transaction open (see paper_import)
    try:
        read = read_plan_workbook(data, file_name, STATUSES)
    except PaperFileError as error:
        raise InputError(str(error)) from None
    outcome = PlansImport(file_name=file_name, errors=read.errors)
    changes = _check(read.rows, user, outcome)  # rows that read well: checked all the same
    if outcome.errors:
        outcome.errors.sort(key=_row_number)
        db.session.rollback()
        return outcome
    try:
        _write(changes, user, actor, outcome)
        audit.record(
            actor,
            "import-support-plans",
            file_name[:200],
            {"changed": outcome.changed, "created": outcome.created},
        )
        db.session.commit()
    except (sa.exc.IntegrityError, sa.orm.exc.StaleDataError, _Stale):
        db.session.rollback()
        raise InputError(
            f"{file_name}: someone changed these actions in the app while the file was being "
            "imported; nothing was imported. Export the plans again and redo your changes"
        ) from None
    except Exception:
        db.session.rollback()
        raise
    return outcome


def _row_number(line: str) -> int:
    """The row a problem names ("row 12, column ..."), for listing them in order."""
    number = line.removeprefix("row ").partition(",")[0]
    return int(number) if number.isdigit() else 0


class _Stale(Exception):
    """A request changed between the checks and the write."""


def _check(rows: list[PlanRow], user: User | None, outcome: PlansImport) -> list[_Change]:
    """The changes the rows ask for; the problems go to outcome.errors."""
    errors = outcome.errors
    numbers = {int(r.id[1:]) for r in rows if _is_request_id(r.id)}
    everything = sa.select(HelpRequest) if user is None else visible_requests(user)
    requests = {  # only those in the user's caseload, by the caseload's own rule
        h.id: h for h in db.session.scalars(everything.where(HelpRequest.id.in_(numbers)))
    }
    plan_ids = {r.id: _plan_parts(r.id) for r in rows if r.id.startswith(f"{PLAN_ID}:")}
    slugs = {p[0] for p in plan_ids.values() if p}
    rounds = {r.slug: r for r in db.session.scalars(sa.select(Round).where(Round.slug.in_(slugs)))}
    org_ids = {p[1] for p in plan_ids.values() if p}
    orgs = {
        o.id: o
        for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(org_ids)))
    }
    allowed = caseload_groups(user, org_ids)
    owners: dict[tuple, dict[str, User]] = {}
    subjects: dict[int, dict[str, tuple[str, str]]] = {}
    seen: dict[str, PlanRow] = {}
    changes = []
    for row in rows:
        where = f"row {row.row}, column"
        first = seen.setdefault(row.id, row)
        if first is not row:  # one action on two lines (an offer under two steps)
            if (first.owner, first.due_on, first.status) != (row.owner, row.due_on, row.status):
                errors.append(
                    f"{where} Id: {row.id} is also on row {first.row} with a different owner, "
                    "due date or status; make the two rows the same"
                )
            continue
        if _is_request_id(row.id):
            found = requests.get(int(row.id[1:]))
            if found is None:
                errors.append(f"{where} Id: no help request {row.id} in your caseload")
                continue
            change = _Change(row, request=found)
            broker_id, area_id = found.broker_id, found.area_id
        elif row.id in plan_ids:
            parts = plan_ids[row.id]
            round_ = rounds.get(parts[0]) if parts else None
            org = orgs.get(parts[1]) if parts else None
            if round_ is None or org is None or org.id not in allowed:
                errors.append(f"{where} Id: {row.id[:60]} is not an action in your caseload")
                continue
            if row.is_blank:
                outcome.unchanged += 1
                continue
            if round_.id not in subjects:
                subjects[round_.id] = _subjects(round_)
            subject = subjects[round_.id].get(parts[2])
            if subject is None:
                errors.append(f"{where} Id: {row.id[:60]} is not an action of this round's plans")
                continue
            change = _Change(row, round=round_, organisation=org, key=parts[2])
            change.subject, change.domain_id = subject
            broker_id, area_id = org.broker_id, org.area_id
        else:
            errors.append(f"{where} Id: '{row.id[:40]}' is not an Id the export wrote")
            continue
        if row.owner:
            key = (broker_id, area_id)
            if key not in owners:
                probe = HelpRequest(broker_id=broker_id, area_id=area_id)
                owners[key] = {u.email.lower(): u for u in owner_choices(user, probe)}
            change.owner = owners[key].get(row.owner)
            if change.owner is None:
                errors.append(
                    f"{where} Owner: {row.owner[:60]} is not a broker who may own this action"
                )
                continue
        if change.request is not None:
            if not row.status:
                errors.append(f"{where} Status: blank; choose the action's status")
                continue
            if _same(change.request, change):
                outcome.unchanged += 1
                continue
            if row.status in OPEN and change.request.status not in OPEN:
                other = _open_request(
                    change.request.round_id,
                    change.request.organisation_id,
                    change.request.subject_key,
                )
                if other is not None:
                    errors.append(
                        f"{where} Status: the group has asked about this again "
                        f"({request_id(other)}, open); work on that one instead"
                    )
                    continue
            if row.version != change.request.version:
                errors.append(
                    f"{where} Version: {row.id} was changed in the app after this file was "
                    "exported; export the plans again and redo this row"
                )
                continue
        else:
            existing = _open_request(change.round.id, change.organisation.id, change.key)
            if existing is not None:
                errors.append(
                    f"{where} Id: this action became {request_id(existing)} in the app after "
                    "the file was exported; export the plans again and redo this row"
                )
                continue
        changes.append(change)
    return changes


OPEN = {s.value for s in HELP_OPEN}


def _open_request(round_id: int, org_id: int, key: str) -> int | None:
    """The id of the group's open request about this subject, if it has one."""
    return db.session.scalar(
        sa.select(HelpRequest.id).where(
            HelpRequest.round_id == round_id,
            HelpRequest.organisation_id == org_id,
            HelpRequest.subject_key == key,
            HelpRequest.status.in_(OPEN),
        )
    )


def _is_request_id(text: str) -> bool:
    return len(text) > 1 and text[0] == "H" and text[1:].isdigit() and len(text) < 12


def _plan_parts(text: str) -> tuple[str, int, str] | None:
    """plan:<round slug>:<group id>:<subject key> -> (slug, group id, key)."""
    parts = text.split(":", 3)
    if len(parts) != 4 or not parts[2].isdigit() or len(parts[2]) > 12:
        return None
    return parts[1], int(parts[2]), parts[3]


def _subjects(round_: Round) -> dict[str, tuple[str, str]]:
    """Subject key -> (words, domain id) for every next step and offer of the round's plans."""
    instrument = instrument_for(round_)
    offers = registry().offers
    found: dict[str, tuple[str, str]] = {}
    for domain in instrument.domains:
        for level in domain.levels:
            for step in level.next_steps:
                found.setdefault(step_key(domain.id, step.text), (step.text, domain.id))
                for offer_id in step.offers:
                    if offer_id in offers:
                        words = offer_words(offers[offer_id])
                        found.setdefault(offer_key(offer_id), (words, domain.id))
    return found


def _same(found: HelpRequest, change: _Change) -> bool:
    owner_id = change.owner.id if change.owner else None
    return (found.status, found.owner_id, found.due_on) == (
        change.row.status,
        owner_id,
        change.row.due_on,
    )


def _write(changes: list[_Change], user: User | None, actor, outcome: PlansImport) -> None:
    """Apply the checked changes, locked and each audited (the caller commits)."""
    who = user if user is not None else actor
    numbers = [c.request.id for c in changes if c.request is not None]
    locked = {  # one locking read for all of them, fresh from the database
        h.id: h
        for h in db.session.scalars(
            sa.select(HelpRequest)
            .where(HelpRequest.id.in_(numbers))
            .order_by(HelpRequest.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    for change in changes:
        row = change.row
        owner_id = change.owner.id if change.owner else None
        due = row.due_on
        if change.request is None:
            made = HelpRequest(
                round_id=change.round.id,
                organisation_id=change.organisation.id,
                broker_id=change.organisation.broker_id,
                area_id=change.organisation.area_id,
                subject_key=change.key,
                subject=change.subject[:500],
                domain_id=change.domain_id,
                contact_by="either",
                status=row.status or HelpStatus.NEW.value,
                owner_id=owner_id,
                due_on=due,
            )
            db.session.add(made)
            db.session.flush()
            audit.record(
                who,
                HELP_PLANNED,
                f"help-request:{made.id}",
                {"status": made.status, "owner": owner_id, "due": _iso(due), "row": row.row},
            )
            outcome.created += 1
            continue
        fresh = locked.get(change.request.id)
        if fresh is None or fresh.version != row.version:
            raise _Stale()
        before = {"status": fresh.status, "owner": fresh.owner_id, "due": _iso(fresh.due_on)}
        after = {"status": row.status, "owner": owner_id, "due": _iso(due)}
        fresh.status, fresh.owner_id, fresh.due_on = row.status, owner_id, due
        fresh.updated_at = utcnow()
        detail = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        audit.record(who, HELP_CHANGED, f"help-request:{fresh.id}", {**detail, "row": row.row})
        outcome.changed += 1


def _iso(day) -> str | None:
    return day.isoformat() if day else None
