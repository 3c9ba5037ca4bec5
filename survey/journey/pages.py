"""How a section page is put together: its fields, their design-system options, answers shown."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request

from instruments import Question, Section
from instruments.answers import answer_type, parse, show
from instruments.routing import section_applies

from ..access import areas_under
from ..extensions import db
from ..models import Area
from . import messages
from .fields import HANDLERS, to_form
from .respondent import Respondent

# Which areas a respondent picks from: the finest NHS level the round covers.
AREA_TYPES_BY_KIND = {
    "organisation": ("neighbourhood", "pcn", "place", "ics"),
    "locality": ("pcn", "place", "neighbourhood", "ics"),
}


def page_questions(section: Section, answers: dict) -> list[Question]:
    """The page's questions, leaving out those routed out by answers on earlier pages.

    A question that depends on an answer on the same page stays on the page
    (without JavaScript the page cannot change as it is filled in); it is left
    out of checking when the posted answers route it out.
    """
    here = {q.id for q in section.questions}
    return [
        q
        for q in section.questions
        if not (q.skip_if and q.skip_if.question not in here and q.skip_if.holds(answers))
    ]


def posted_answers(section: Section, answers: dict) -> dict:
    """Saved answers with this page's posted values laid over them (for routing)."""
    probe = dict(answers)
    for q in section.questions:
        values = request.form.getlist(q.id)
        probe[q.id] = values if answer_type(q).many else (values[0] if values else None)
    return probe


def routed_out_here(section: Section, questions: list[Question], probe: dict) -> set[str]:
    """Questions on this page that the page's own posted answers route out."""
    return {q.id for q in questions if q.skip_if and q.skip_if.holds(probe)}


def area_choices(respondent: Respondent) -> list[tuple[str, str]]:
    """(code, name) of the areas a respondent may pick, within the round's areas."""
    round_ids = {a.id for a in respondent.round.areas}
    if not round_ids:
        rows = db.session.execute(sa.select(Area.code, Area.name, Area.type)).all()
    else:
        rows = db.session.execute(  # the areas under the round's, read by the database
            sa.select(Area.code, Area.name, Area.type).where(Area.id.in_(areas_under(round_ids)))
        ).all()
    for kind in AREA_TYPES_BY_KIND.get(respondent.instrument.kind, ()):
        found = sorted((name, code) for code, name, t in rows if t == kind)
        if found:
            return [(code, name) for name, code in found]
    return sorted(((code, name) for code, name, _ in rows), key=lambda row: row[1])


def field_params(section: Section, question: Question) -> dict:
    """Design-system options for a question's field: heading size, hint, suffix, limits."""
    hint = question.hint or ""
    condition = question.skip_if
    if condition and condition.question in {q.id for q in section.questions}:
        earlier = next(q for q in section.questions if q.id == condition.question)
        hint = (hint + " " if hint else "") + messages.conditional(earlier, condition.values)
    hint_param = {"text": hint} if hint else None
    return HANDLERS[question.type].params(question, hint_param)


def answer_text(question: Question, value: object) -> str:
    """An answer as a person reads it on the check-answers page (area codes by name)."""
    return show(question, value, _area_name)


def _area_name(code: str) -> str | None:
    return db.session.scalar(sa.select(Area.name).where(Area.code == code))


def form_values(section: Section, questions: list[Question], answers: dict) -> dict:
    """Saved answers as the page's fields take them."""
    return {q.id: to_form(answers[q.id]) for q in questions if answers.get(q.id) is not None}


def stored_values(form, questions: list[Question], area_choices=()) -> dict:
    """What a checked page stores: each field's answer as the registry reads it (None: blank)."""
    codes = {code for code, _ in area_choices}
    return {q.id: parse(q, form[q.id].data, codes)[0] for q in questions}


def section_or_none(respondent: Respondent, section_id: str) -> Section | None:
    """The section with this id, if the instrument has one."""
    return next((s for s in respondent.instrument.sections if s.id == section_id), None)


def applies(section: Section, answers: dict) -> bool:
    """False when earlier answers route the whole page out."""
    return section_applies(section, answers)
