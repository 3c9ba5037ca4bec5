"""Paper answers in and out: the template for a round's groups and the all-or-nothing import."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import sqlalchemy as sa

from exports.paper import PaperFileError, read_paper_workbook, write_template
from instruments import Instrument

from .. import audit
from ..extensions import db
from ..instruments_store import instrument_for
from ..models import (
    Answer,
    Area,
    DomainScore,
    Invitation,
    Organisation,
    Response,
    ResponseStatus,
    Round,
    utcnow,
)
from ..scores import score_many


@dataclass
class PaperImport:
    """What an import did, or why it did nothing."""

    file_name: str
    errors: list[str] = field(default_factory=list)
    imported: int = 0
    replaced: int = 0
    waiting: int = 0  # groups that answered online: their paper answers wait for them
    unchanged: int = 0
    blank: int = 0

    @property
    def ok(self) -> bool:
        """True when every row passed and the import was written."""
        return not self.errors

    def summary(self) -> str:
        """One line for the console or the page."""
        return (
            f"{self.file_name}: {self.imported} responses imported "
            f"({self.replaced} replacing earlier answers), {self.unchanged} already imported, "
            f"{self.blank} blank rows left out"
        ) + (
            f"; {self.waiting} of them wait for groups that answered online to accept them"
            if self.waiting
            else ""
        )


def paper_template(instrument: Instrument, broker_id: int | None = None) -> bytes:
    """The template workbook listing the groups (a broker's portfolio, or every group)."""
    query = sa.select(Organisation.id, Organisation.name).order_by(
        Organisation.name, Organisation.id
    )
    if broker_id is not None:
        query = query.where(Organisation.broker_id == broker_id)
    out = io.BytesIO()
    write_template(instrument, db.session.execute(query).all(), out)
    return out.getvalue()


def import_paper(
    data: bytes,
    file_name: str,
    round_: Round,
    *,
    actor: str,
    group_ids: set[int] | None = None,
    closed_allowed: bool = True,
) -> PaperImport:
    """Check every row; write all of them in one transaction or none. File errors raise.

    A group that has answered online in the round keeps its answers: its paper answers
    wait for the group to accept or refuse them on its own pages. ``closed_allowed``
    False (brokers) refuses a round that is not open.
    """
    instrument = instrument_for(round_)
    if not closed_allowed and not round_.is_open():
        return PaperImport(
            file_name=file_name,
            errors=[
                f"{file_name}: round {round_.slug} is not open (it runs from "
                f"{round_.opens_on:%-d %B %Y} to {round_.closes_on:%-d %B %Y}), so paper "
                "answers cannot be added to it; nothing was imported. Ask an administrator "
                "if answers for this round must still be added"
            ],
        )
    if instrument.kind != "organisation":
        raise PaperFileError(
            f"{file_name}: round {round_.slug} is answered for an area, not by groups; "
            "paper answers are for group questionnaires"
        )
    if group_ids is None:
        group_ids = set(db.session.scalars(sa.select(Organisation.id)))
    codes = set(db.session.scalars(sa.select(Area.code)))
    # Read the workbook with no transaction open: on SQLite a web request's transaction
    # holds the write lock, and every group's save would wait for a slow file.
    db.session.commit()
    result = read_paper_workbook(data, file_name, instrument, group_ids=group_ids, area_codes=codes)
    outcome = PaperImport(file_name=file_name, errors=result.errors, blank=result.skipped_blank)
    if outcome.errors:
        return outcome
    keys = {row.content_hash(round_.slug): row for row in result.rows}
    done = set(
        db.session.scalars(sa.select(Response.import_key).where(Response.import_key.in_(keys)))
    )
    try:
        current: list[tuple[Response, dict]] = []  # the rows that count now: scored together
        for key, row in keys.items():
            if key in done:
                outcome.unchanged += 1
                continue
            kind, response = _save_row(round_, instrument, row.org_id, row.answers, key)
            outcome.imported += 1
            outcome.replaced += kind == REPLACED
            outcome.waiting += kind == WAITING
            if kind != WAITING:
                current.append((response, row.answers))
        scores = score_many(instrument, [answers for _, answers in current])
        for (response, _), rows in zip(current, scores, strict=True):
            response.scores = [DomainScore(**row) for row in rows]
        audit.record(
            actor,
            "import-paper-responses",
            round_.slug,
            {
                "file": file_name,
                "imported": outcome.imported,
                "waiting": outcome.waiting,
                "round_open": round_.is_open(),
            },
        )
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same rows were imported by someone else a moment ago
        raise PaperFileError(
            f"{file_name}: another import of these answers finished first; "
            "nothing was imported from this one, import it again to add what is left"
        ) from None
    except Exception:
        db.session.rollback()
        raise
    return outcome


NEW, REPLACED, WAITING = "new", "replaced", "waiting"


def _answered_online(round_: Round, org_id: int) -> bool:
    """True when the group has answered this round itself (a draft or sent; not on paper)."""
    return (
        db.session.scalar(
            sa.select(Response.id)
            .where(
                Response.round_id == round_.id,
                Response.organisation_id == org_id,
                Response.source != "paper",
            )
            .limit(1)
        )
        is not None
    )


def _save_row(
    round_: Round, instrument: Instrument, org_id: int, answers: dict, key: str
) -> tuple[str, Response]:
    """One paper response, not yet scored: the current submission, or waiting for a group
    that answered online."""
    org = db.session.get(Organisation, org_id)
    invitation = db.session.scalar(
        sa.select(Invitation)
        .where(
            Invitation.round_id == round_.id,
            Invitation.organisation_id == org_id,
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.id)
        .limit(1)
    )
    response = Response(
        round=round_,
        organisation_id=org_id,
        area_id=org.area_id,
        invitation=invitation,
        status=ResponseStatus.SUBMITTED,
        source="paper",
        is_current=True,
        import_key=key,
        submitted_at=utcnow(),
        visited=[s.id for s in instrument.sections],
    )
    response.answers = [Answer(question_id=q, value=v) for q, v in answers.items()]
    if _answered_online(round_, org_id):
        response.status, response.is_current = ResponseStatus.PAPER_WAITING, False
        db.session.add(response)
        return WAITING, response
    previous = db.session.scalar(
        sa.select(Response).where(
            Response.round_id == round_.id,
            Response.organisation_id == org_id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.is_current,
        )
    )
    if previous is not None:
        previous.is_current = False
        response.supersedes_id = previous.id
    db.session.add(response)
    return (REPLACED if previous is not None else NEW), response
