"""Who is answering through a link, and their responses: draft, submitted, history.

A respondent is a group (organisation invitations) or an area (locality
invitations). Their answers live in Response rows: at most one draft
(status ``in_progress``) and one current submission; an amendment is a new
draft that supersedes the submission and takes its place when it is sent.
"""

from __future__ import annotations

import smtplib
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app
from sqlalchemy.orm.exc import StaleDataError

from instruments import Instrument, Section
from instruments.answers import answer_type, is_blank
from instruments.routing import first_unfinished, questions_shown, sections_shown

from .. import audit
from ..extensions import db
from ..instruments_store import instrument_for
from ..mail import send_mail
from ..models import Answer, Area, Invitation, Response, ResponseStatus, Round, utcnow
from ..scores import store_scores
from . import links

CONSENT = "consent"  # the consent page's id in Response.visited


class EditedElsewhere(Exception):
    """Someone else saved this response after the page was opened."""


@dataclass
class Respondent:
    """The invitation behind a link, with its round, instrument and responses."""

    invitation: Invitation
    round: Round
    instrument: Instrument
    via_private: bool = False  # opened with the group's private link, not the invitation link

    @property
    def token(self) -> str:
        """The token for the group's own pages: its private link once it has one."""
        return self.invitation.private_token or self.invitation.token

    def started(self) -> bool:
        """True once the group has any response in the round: draft, submission or paper."""
        return db.session.scalar(self._mine().with_only_columns(Response.id).limit(1)) is not None

    def paper_waiting(self) -> Response | None:
        """Paper answers a broker entered that wait for the group to accept or refuse."""
        return db.session.scalar(
            self._mine()
            .where(Response.status == ResponseStatus.PAPER_WAITING)
            .order_by(Response.id.desc())
        )

    @property
    def name(self) -> str:
        """The group's name, or the area's for a locality form."""
        if self.invitation.organisation is not None:
            return self.invitation.organisation.name
        return self.invitation.area.name if self.invitation.area else "your area"

    @property
    def is_locality(self) -> bool:
        """True when the link is an area's (locality form), not a group's."""
        return self.invitation.organisation_id is None

    def _mine(self):
        inv = self.invitation
        query = sa.select(Response).where(Response.round_id == inv.round_id)
        if inv.organisation_id is not None:
            return query.where(Response.organisation_id == inv.organisation_id)
        return query.where(Response.organisation_id.is_(None), Response.area_id == inv.area_id)

    def draft(self) -> Response | None:
        """The response being filled in, if any."""
        return db.session.scalar(
            self._mine()
            .where(Response.status == ResponseStatus.IN_PROGRESS)
            .order_by(Response.id.desc())
        )

    def submitted(self) -> Response | None:
        """The current submission, if any."""
        return db.session.scalar(
            self._mine()
            .where(Response.status == ResponseStatus.SUBMITTED, Response.is_current)
            .order_by(Response.id.desc())
        )

    def history(self) -> list[Response]:
        """Every submission, newest first."""
        return list(
            db.session.scalars(
                self._mine()
                .where(Response.status == ResponseStatus.SUBMITTED)
                .order_by(Response.id.desc())
            )
        )

    def by_submission_key(self, key: str) -> Response | None:
        """The submission a submit form with this key already made."""
        return db.session.scalar(
            self._mine().where(
                Response.status == ResponseStatus.SUBMITTED, Response.submission_key == key
            )
        )


def find_respondent(token: str) -> Respondent:
    """The live invitation for this token (invitation or private link), checked by ``links``.

    404 for a forged, revoked or unknown token; 403 for a signed-in member of staff who
    may not see the group's answers; the invitation link of a group that has answers
    only leads to its start page (see ``links.guard``).
    """
    if not token or len(token) > 64 or "\x00" in token:
        abort(404)
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            sa.or_(Invitation.token == token, Invitation.private_token == token)
        )
    )
    if invitation is None or invitation.revoked_at is not None:
        abort(404)
    try:
        instrument = instrument_for(invitation.round)
    except KeyError:
        abort(404)
    respondent = Respondent(
        invitation, invitation.round, instrument, via_private=invitation.private_token == token
    )
    links.guard(invitation, respondent.via_private, respondent.started)
    return respondent


def answers_of(response: Response | None) -> dict:
    """Question id -> stored value (empty when there is no response yet)."""
    return response.answer_map() if response is not None else {}


def visited_of(response: Response | None) -> set[str]:
    """Pages the respondent has already been through."""
    return set(response.visited or []) if response is not None else set()


def next_page(respondent: Respondent, response: Response | None) -> tuple[str, str | None]:
    """(endpoint, section id) of the first page still to do: a section, consent or check."""
    answers, visited = answers_of(response), visited_of(response)
    section = first_unfinished(respondent.instrument, answers, visited)
    if section is not None:
        return "journey.section", section.id
    if not respondent.is_locality and CONSENT not in visited:
        return "journey.consent", None
    return "journey.check_answers", None


def section_position(instrument: Instrument, section: Section, answers: dict) -> tuple[int, int]:
    """(n, of) for "Section n of m" among the pages these answers route through."""
    shown = [s.id for s in sections_shown(instrument, answers)]
    if section.id not in shown:
        return 0, len(shown)
    return shown.index(section.id) + 1, len(shown)


def _check_version(response: Response | None, posted_version: str | None) -> None:
    expected = str(response.version) if response is not None else "0"
    if (posted_version or "") != expected:
        raise EditedElsewhere()


def _new_draft(respondent: Respondent) -> Response:
    inv = respondent.invitation
    links.ensure_private_token(inv)
    area_id = inv.area_id
    if inv.organisation is not None:
        area_id = inv.organisation.area_id
    response = Response(
        round_id=inv.round_id,
        invitation_id=inv.id,
        organisation_id=inv.organisation_id,
        area_id=area_id,
        status=ResponseStatus.IN_PROGRESS,
        source="web",
        visited=[],
    )
    db.session.add(response)
    return response


def _touch(response: Response, page_id: str) -> None:
    """Mark the page visited and bump the version (the optimistic lock)."""
    visited = list(response.visited or [])
    if page_id not in visited:
        visited.append(page_id)
    response.visited = visited
    response.updated_at = utcnow()


def _draft_for_update(respondent: Respondent) -> Response | None:
    """The draft, re-read and row-locked (PostgreSQL) until this transaction ends.

    A second browser saving or sending at the same moment waits here, then reads
    the first one's version and gets EditedElsewhere instead of overwriting it.
    SQLite needs no row lock: a writing request holds the database's write lock.
    """
    return db.session.scalar(
        respondent._mine()
        .where(Response.status == ResponseStatus.IN_PROGRESS)
        .order_by(Response.id.desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    )


@contextmanager
def _conflicts_as_edited_elsewhere():
    """A write that lost a race (stale version, a second draft) rolls back: EditedElsewhere."""
    try:
        yield
    except (StaleDataError, sa.exc.IntegrityError):
        db.session.rollback()
        raise EditedElsewhere() from None
    except EditedElsewhere:
        db.session.rollback()  # let go of the draft's row lock at once
        raise


# Public name for other writers with a version column (survey/help_requests.py).
conflicts_as_edited_elsewhere = _conflicts_as_edited_elsewhere


def _commit() -> None:
    """Commit; a write that lost a race rolls back and raises EditedElsewhere."""
    with _conflicts_as_edited_elsewhere():
        db.session.commit()


def save_section(
    respondent: Respondent, section: Section, values: dict, posted_version: str | None
) -> Response:
    """Store one page's answers (blank ones removed) in the draft; commits."""
    with _conflicts_as_edited_elsewhere():
        draft = _draft_for_update(respondent)
        _check_version(draft, posted_version)
        if draft is None:
            draft = _new_draft(respondent)
            db.session.flush()
        existing = {a.question_id: a for a in draft.answers}
        for question_id, value in values.items():
            row = existing.get(question_id)
            if is_blank(value):
                if row is not None:
                    draft.answers.remove(row)
            elif row is None:
                draft.answers.append(Answer(question_id=question_id, value=value))
            elif row.value != value:
                row.value = value
        _touch(draft, section.id)
        db.session.commit()
    return draft


def save_consent(respondent: Respondent, choices: dict, posted_version: str | None) -> Response:
    """Store the group's consent choices and mark the consent page done; commits."""
    with _conflicts_as_edited_elsewhere():
        draft = _draft_for_update(respondent)
        _check_version(draft, posted_version)
        if draft is None:
            draft = _new_draft(respondent)
        before = _consent_of(respondent)
        _set_consent(respondent, choices)
        _touch(draft, CONSENT)
        db.session.commit()
    tell_group_of_new_sharing(respondent, before)
    return draft


WHO_SEES = {"consent_broker": "your broker", "consent_area_lead": "your area's lead"}


def _consent_of(respondent: Respondent) -> dict:
    organisation = respondent.invitation.organisation
    return {k: bool(getattr(organisation, k)) for k in WHO_SEES} if organisation else {}


def tell_group_of_new_sharing(respondent: Respondent, before: dict) -> None:
    """Email the group when it starts sharing its named answers, so a change it did not
    make (by whoever held a link) does not go unnoticed. A failed email is logged only:
    the choice is saved either way."""
    organisation = respondent.invitation.organisation
    email = (organisation.email or "").strip() if organisation is not None else ""
    granted = [
        who
        for key, who in WHO_SEES.items()
        if getattr(organisation, key, False) and not before.get(key)
    ]
    if not email or not granted:
        return
    body = (
        f"Hello,\n\n{organisation.name} now lets {' and '.join(granted)} see its named answers"
        f" to the {respondent.instrument.title}.\n\nIf your group did not choose this, open the"
        " link your group was sent for the survey and press 'Email our link', then change who"
        " can see your answers. You can change it at any time.\n"
    )
    try:
        send_mail(email, "Who can see your group's answers has changed", body)
    except (OSError, smtplib.SMTPException):
        current_app.logger.warning("consent notice to organisation %s not sent", organisation.id)


def _set_consent(respondent: Respondent, choices: dict) -> bool:
    organisation = respondent.invitation.organisation
    before = {k: getattr(organisation, k) for k in choices}
    for key, value in choices.items():
        setattr(organisation, key, value)
    if before == choices:
        return False
    audit.record(
        organisation,
        audit.CONSENT_CHANGED,
        organisation,
        {"before": before, "after": choices, "round": respondent.round.slug},
    )
    return True


def change_consent(respondent: Respondent, choices: dict) -> bool:
    """Change who may see the group's answers at any time, answers untouched; commits.

    True when something changed. Staff checks read consent on every request, so a
    withdrawal takes effect at once.
    """
    before = _consent_of(respondent)
    changed = _set_consent(respondent, choices)
    _commit()
    tell_group_of_new_sharing(respondent, before)
    return changed


def settle_paper(respondent: Respondent, accept: bool) -> Response | None:
    """The group's choice about paper answers waiting for it; commits.

    Accepting makes the newest waiting paper answers the current submission (the
    earlier one stays in the history); refusing keeps what the group sent online.
    """
    waiting = list(
        db.session.scalars(
            respondent._mine()
            .where(Response.status == ResponseStatus.PAPER_WAITING)
            .order_by(Response.id.desc())
        )
    )
    if not waiting:
        return None
    chosen = waiting[0]
    refused = waiting[1:]
    if accept:
        previous = respondent.submitted()
        chosen.status = ResponseStatus.SUBMITTED
        chosen.is_current = True
        if previous is not None:
            previous.is_current = False
            chosen.supersedes_id = previous.id
        store_scores(chosen, respondent.instrument)
    else:
        refused = waiting
    for response in refused:
        response.status = ResponseStatus.PAPER_REFUSED
        response.is_current = False
    organisation = respondent.invitation.organisation
    audit.record(
        organisation,
        "paper-answers-accepted" if accept else "paper-answers-refused",
        organisation,
        {"round": respondent.round.slug, "response": chosen.id},
    )
    _commit()
    return chosen


def unanswered(respondent: Respondent, response: Response | None) -> list[Section]:
    """Pages with required questions still to answer (or not yet seen)."""
    answers, visited = answers_of(response), visited_of(response)
    section = first_unfinished(respondent.instrument, answers, visited)
    return [section] if section is not None else []


def submit(respondent: Respondent, key: str, posted_version: str | None) -> Response:
    """Send the draft: score it, make it the current submission; idempotent per key.

    The draft is row-locked first, so of two browsers sending at once one sends
    and the other gets EditedElsewhere (a 409 page), never a half-done write.
    """
    done = respondent.by_submission_key(key) if key else None
    if done is not None:
        return done
    try:
        with _conflicts_as_edited_elsewhere():
            draft = _draft_for_update(respondent)
            if draft is None:
                raise EditedElsewhere()
            _check_version(draft, posted_version)
            previous = respondent.submitted()
            if previous is not None and previous.id != draft.id:
                previous.is_current = False
                draft.supersedes_id = previous.id
                db.session.flush()  # one current submission: the earlier one steps down first
            draft.status = ResponseStatus.SUBMITTED
            draft.submitted_at = utcnow()
            draft.submission_key = key
            draft.is_current = True
            store_scores(draft, respondent.instrument)
            _place_by_chosen_area(respondent, draft)
            db.session.commit()
    except EditedElsewhere:
        db.session.rollback()
        done = respondent.by_submission_key(key) if key else None
        if done is not None:  # the other request was this same submission
            return done
        raise
    return draft


def _place_by_chosen_area(respondent: Respondent, draft: Response) -> None:
    """A group that picks its area in the questionnaire is placed there (and above it)."""
    from ..areas.placing import place

    organisation = respondent.invitation.organisation
    if organisation is None:
        return
    answers = draft.answer_map()
    codes = [
        answers[q.id]
        for q in respondent.instrument.questions
        if answer_type(q).picks_area and isinstance(answers.get(q.id), str)
    ]
    area = db.session.scalar(sa.select(Area).where(Area.code == codes[0])) if codes else None
    if area is None or area.id == organisation.area_id:
        return
    organisation.area_id = draft.area_id = area.id
    place([organisation])


def start_amendment(respondent: Respondent) -> Response:
    """A new draft holding a copy of the current submission's answers; commits.

    Two amend clicks at once make one draft: the database refuses a second, and
    the request that lost the race opens the draft the other one made.
    """
    draft = respondent.draft()
    if draft is not None:
        return draft
    previous = respondent.submitted()
    if previous is None:
        abort(404)
    try:
        with _conflicts_as_edited_elsewhere():
            draft = _new_draft(respondent)
            draft.is_current = False  # the submission stays current until this one is sent
            draft.supersedes_id = previous.id
            draft.visited = list(previous.visited or [])
            for answer in previous.answers:
                draft.answers.append(Answer(question_id=answer.question_id, value=answer.value))
            db.session.commit()
    except EditedElsewhere:
        draft = respondent.draft()
        if draft is None:
            raise
    return draft


def shown_answers(respondent: Respondent, answers: dict) -> list[tuple[Section, list]]:
    """(section, [(question, value)]) for every page and question these answers route through."""
    return [
        (section, [(q, answers.get(q.id)) for q in questions_shown(section, answers)])
        for section in sections_shown(respondent.instrument, answers)
    ]
