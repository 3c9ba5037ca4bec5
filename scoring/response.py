"""Score one response: answers -> a score and level per domain, with the reasons.

The rule is the instrument's (``instruments/FORMAT.md``, "Scoring rule"):
item scores 1..5, reverse-coded items turned round, "not applicable" and
routed-out items left out, "don't know" left out or counted lowest, a domain
not scored below its minimum share of answered items, a weighted mean banded
into the instrument's five levels, and an overall level from the domains.
"""

from __future__ import annotations

from dataclasses import dataclass

from instruments import DONT_KNOW, LIKERT_OPTIONS, NOT_APPLICABLE, Instrument, Question
from instruments.model import Domain

LIKERT_SCORES = {value: score for value, _, score in LIKERT_OPTIONS}
YESNO_SCORES = {"yes": 5.0, "no": 1.0}
# A score that is a threshold up to float noise (2.6 as 2.5999999999) reaches it.
EPSILON = 1e-9


def option_scores(question: Question) -> dict[str, float]:
    """Answer value -> item score (1..5) for a scored question."""
    if question.type == "likert":
        return {k: float(v) for k, v in LIKERT_SCORES.items()}
    if question.type == "yesno":
        return dict(YESNO_SCORES)
    return {o.value: float(o.score) for o in question.options if o.score is not None}


def band(instrument: Instrument, score: float | None) -> int | None:
    """The level whose band holds the score (highest min_score at or below it)."""
    if score is None:
        return None
    level = 1
    for lv in instrument.levels:
        if score + EPSILON >= lv.min_score:
            level = lv.level
    return level


def routed_out(instrument: Instrument, question_id: str, answers: dict) -> bool:
    """True when routing skips the question (or its page) for these answers."""
    section = instrument.section_of(question_id)
    question = instrument.question(question_id)
    return bool(
        (section.skip_if and section.skip_if.holds(answers))
        or (question.skip_if and question.skip_if.holds(answers))
    )


@dataclass(frozen=True)
class DomainResult:
    """One domain's score for one response, and why it is what it is."""

    domain_id: str
    name: str
    score: float | None
    level: int | None
    level_name: str | None
    answered: int
    applicable: int
    min_answered: float
    ambition: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def scored(self) -> bool:
        """False when too few questions were answered to give a level."""
        return self.level is not None

    @property
    def explanation(self) -> str:
        """A sentence or two a respondent or an analyst can read."""
        questions = "question" if self.applicable == 1 else "questions"
        head = f"{self.name}: {self.answered} of {self.applicable} {questions} answered"
        if self.level is None:
            needed = f"{self.min_answered:.0%}".replace("50%", "half")
            text = f"{head}, not enough to give a level (at least {needed} are needed)."
        else:
            text = f"{head}, average {self.score:.1f}, level {self.level} {self.level_name}."
        return " ".join([text, *self.notes])


@dataclass(frozen=True)
class ResponseScore:
    """A whole response's scores: one per domain and an overall level."""

    domains: tuple[DomainResult, ...]
    overall_score: float | None
    overall_level: int | None
    overall_level_name: str | None

    def domain(self, domain_id: str) -> DomainResult:
        """The result for one domain."""
        return next(d for d in self.domains if d.domain_id == domain_id)


def _quote(question: Question) -> str:
    return f"‘{question.text.rstrip('?.').strip()}’"


def score_domain(instrument: Instrument, domain: Domain, answers: dict) -> DomainResult:
    """Score one domain of one response."""
    total = weights = 0.0
    answered = applicable = 0
    notes: list[str] = []
    for item in domain.items:
        question = instrument.question(item.question)
        value = answers.get(item.question)
        if value == NOT_APPLICABLE:
            notes.append(f"{_quote(question)} does not apply to you, so it was left out.")
            continue
        if routed_out(instrument, item.question, answers):
            continue
        applicable += 1
        if value == DONT_KNOW:
            if domain.dont_know == "lowest":
                score = 1.0
                notes.append(f"You said you don't know for {_quote(question)}: it counts as 1.")
            else:
                notes.append(f"You said you don't know for {_quote(question)}, so it was left out.")
                continue
        else:
            score = option_scores(question).get(value) if isinstance(value, str) else None
            if score is None:
                notes.append(f"The question {_quote(question)} was not answered.")
                continue
            if item.reverse:
                score = 6.0 - score
        answered += 1
        total += item.weight * score
        weights += item.weight
    scored = applicable > 0 and answered / applicable >= domain.min_answered and weights > 0
    score_value = total / weights if scored else None
    level = band(instrument, score_value)
    return DomainResult(
        domain_id=domain.id,
        name=domain.name,
        score=score_value,
        level=level,
        level_name=instrument.level(level).name if level else None,
        answered=answered,
        applicable=applicable,
        min_answered=domain.min_answered,
        ambition=ambition_level(instrument, domain, answers),
        notes=tuple(notes),
    )


def ambition_level(instrument: Instrument, domain: Domain, answers: dict) -> int | None:
    """The level a group plans to reach in a year, if the domain asks."""
    if not domain.ambition_question:
        return None
    question = instrument.question(domain.ambition_question)
    value = answers.get(domain.ambition_question)
    score = option_scores(question).get(value) if isinstance(value, str) else None
    return int(score) if score is not None else None


def overall(instrument: Instrument, results: list[DomainResult]) -> tuple[float | None, int | None]:
    """(overall score, overall level) from the domain results, by the instrument's method."""
    scored = [r for r in results if r.level is not None]
    if not results or len(scored) / len(results) < instrument.overall.min_domains or not scored:
        return None, None
    if instrument.overall.method == "minimum":
        lowest = min(scored, key=lambda r: (r.level, r.score))
        return lowest.score, lowest.level
    weights = dict(instrument.overall.weights)
    total = weight_sum = 0.0
    for r in results:  # in domain order, as the batch path adds them
        if r.level is not None:
            w = weights.get(r.domain_id, 1.0)
            total += w * r.score
            weight_sum += w
    score = total / weight_sum
    return score, band(instrument, score)


def score_response(instrument: Instrument, answers: dict) -> ResponseScore:
    """Score one response's answers (question id -> stored value)."""
    results = [score_domain(instrument, d, answers) for d in instrument.domains]
    score, level = overall(instrument, results)
    return ResponseScore(
        domains=tuple(results),
        overall_score=score,
        overall_level=level,
        overall_level_name=instrument.level(level).name if level else None,
    )
