"""Which pages and questions apply, given the answers so far (pure functions)."""

from __future__ import annotations

from .model import Instrument, Question, Section


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == ()


def section_applies(section: Section, answers: dict) -> bool:
    """False when the section's routing skips it."""
    return not (section.skip_if and section.skip_if.holds(answers))


def questions_shown(section: Section, answers: dict) -> list[Question]:
    """The section's questions that are not routed out."""
    return [q for q in section.questions if not (q.skip_if and q.skip_if.holds(answers))]


def sections_shown(instrument: Instrument, answers: dict) -> list[Section]:
    """Pages a respondent goes through, in order, for these answers."""
    return [s for s in instrument.sections if section_applies(s, answers)]


def missing_required(section: Section, answers: dict) -> list[Question]:
    """Required questions on the page that have no answer yet."""
    return [
        q for q in questions_shown(section, answers) if q.required and _empty(answers.get(q.id))
    ]


def section_complete(section: Section, answers: dict, visited: bool) -> bool:
    """A page is done once visited and nothing required is missing."""
    return visited and not missing_required(section, answers)


def first_unfinished(instrument: Instrument, answers: dict, visited: set[str]) -> Section | None:
    """The first page still to do, or None when all are done."""
    for section in sections_shown(instrument, answers):
        if not section_complete(section, answers, section.id in visited):
            return section
    return None


def neighbours(
    instrument: Instrument, section_id: str, answers: dict
) -> tuple[Section | None, Section | None]:
    """(previous, next) pages around this one, for these answers."""
    shown = sections_shown(instrument, answers)
    ids = [s.id for s in shown]
    if section_id not in ids:
        return None, shown[0] if shown else None
    i = ids.index(section_id)
    return (shown[i - 1] if i > 0 else None, shown[i + 1] if i + 1 < len(shown) else None)
