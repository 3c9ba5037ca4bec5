"""Immutable instrument objects: what a questionnaire is once its file is loaded.

The YAML format is described in ``instruments/FORMAT.md``. These classes are
plain frozen dataclasses so the scoring, export and web layers can share them
without copying and without any of them changing an instrument in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

# Answer values every scored question may carry besides its options.
DONT_KNOW = "dont_know"
NOT_APPLICABLE = "not_applicable"
# The key of the overall score beside the domains' (so no domain may take it).
OVERALL = "overall"
SPECIAL_VALUES = (DONT_KNOW, NOT_APPLICABLE)

QUESTION_TYPES = (
    "single",  # one option; options may carry a score (level descriptors)
    "likert",  # five-point agreement scale, scored 1..5
    "multiple",  # any number of options
    "number",
    "text",
    "yesno",
    "postcode",
    "area",  # pick an area from the round's geography
)
SCORED_TYPES = ("single", "likert", "yesno")
YESNO_OPTIONS = (("yes", "Yes"), ("no", "No"))
HORIZONS = ("near", "medium", "longer")
HORIZON_LABELS = {
    "near": "Near term (next 6 months)",
    "medium": "Medium term (6 to 18 months)",
    "longer": "Longer term (18 months or more)",
}
LIKERT_OPTIONS = (
    ("strongly_disagree", "Strongly disagree", 1),
    ("disagree", "Disagree", 2),
    ("neither", "Neither agree nor disagree", 3),
    ("agree", "Agree", 4),
    ("strongly_agree", "Strongly agree", 5),
)


@dataclass(frozen=True)
class Option:
    """One answer a person can choose."""

    value: str
    label: str
    score: float | None = None
    hint: str | None = None


@dataclass(frozen=True)
class Condition:
    """Skip a question or section when an earlier answer is one of ``values``."""

    question: str
    values: tuple[str, ...]

    def holds(self, answers: dict) -> bool:
        """True when the earlier answer matches (for a multiple choice, any overlap)."""
        given = answers.get(self.question)
        if given is None:
            return False
        if isinstance(given, (list, tuple)):
            return any(str(v) in self.values for v in given)
        return str(given) in self.values


@dataclass(frozen=True)
class Question:
    """One question: one idea, one answer."""

    id: str
    type: str
    text: str
    source: str
    hint: str | None = None
    required: bool = True
    options: tuple[Option, ...] = ()
    allow_dont_know: bool = False
    allow_not_applicable: bool = False
    skip_if: Condition | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    suffix: str | None = None

    def option(self, value: str) -> Option | None:
        """The option with this value, the special ones included."""
        for opt in self.all_options:
            if opt.value == value:
                return opt
        return None

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(value, label) pairs a person can pick, whatever the type; the special ones last."""
        if self.type == "likert":
            base = [(value, label) for value, label, _ in LIKERT_OPTIONS]
        elif self.type == "yesno":
            base = list(YESNO_OPTIONS)
        else:
            base = [(o.value, o.label) for o in self.options]
        return base + [(o.value, o.label) for o in self.all_options if o not in self.options]

    @property
    def all_options(self) -> tuple[Option, ...]:
        """Options as shown: the question's own, then "don't know" / "not applicable"."""
        extra = []
        if self.allow_dont_know:
            extra.append(Option(DONT_KNOW, "Don't know"))
        if self.allow_not_applicable:
            extra.append(Option(NOT_APPLICABLE, "Does not apply to us"))
        return self.options + tuple(extra)


@dataclass(frozen=True)
class Section:
    """One page of the journey."""

    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str | None = None
    skip_if: Condition | None = None


@dataclass(frozen=True)
class Level:
    """A level band shared by every domain of the instrument."""

    level: int
    name: str
    description: str
    min_score: float  # lowest domain score (on the 1..5 scale) that reaches it


@dataclass(frozen=True)
class NextStep:
    """A recommended action for a domain at a level, with its horizon."""

    text: str
    horizon: str
    offers: tuple[str, ...] = ()
    owner: str | None = None  # who acts, in a locality form: "icp", "pcn" or "partner"


@dataclass(frozen=True)
class DomainLevel:
    """What a level means for one domain and what to do next from there."""

    level: int
    descriptor: str
    next_steps: tuple[NextStep, ...]
    name: str | None = None  # the domain's own name for the level, when the shared one misreads


@dataclass(frozen=True)
class Item:
    """A question's part in a domain score."""

    question: str
    weight: float = 1.0
    reverse: bool = False


@dataclass(frozen=True)
class Domain:
    """A scored theme: its items, its rules and its per-level guidance."""

    id: str
    name: str
    description: str
    items: tuple[Item, ...]
    levels: tuple[DomainLevel, ...]
    dont_know: str = "exclude"  # "exclude" or "lowest" (counts as score 1)
    not_applicable: str = "exclude"  # always excluded from the denominator
    min_answered: float = 0.5  # share of items needed, else "not scored"
    ambition_question: str | None = None

    def level(self, number: int) -> DomainLevel:
        """The guidance for one level."""
        return next(lv for lv in self.levels if lv.level == number)

    def level_name(self, number: int, shared: str) -> str:
        """The level's name in this domain: its own if it has one, else the shared name."""
        return self.level(number).name or shared


@dataclass(frozen=True)
class Overall:
    """How the domain scores combine into one overall level."""

    method: str = "mean"  # "mean" of domain scores, or "minimum" level
    min_domains: float = 0.5  # share of domains that must be scored
    weights: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class SupportOffer:
    """Something a group can be helped with: a course, a grant, a visit."""

    id: str
    name: str
    provider: str
    description: str
    url: str | None = None
    cost: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A questionnaire at one version."""

    id: str
    version: str
    title: str
    respondents: str  # "groups" (voluntary groups) or "localities" (an area's own assessment)
    summary: str
    minutes: int
    sections: tuple[Section, ...]
    levels: tuple[Level, ...]
    domains: tuple[Domain, ...]
    overall: Overall = field(default_factory=Overall)
    source_file: str = ""

    @property
    def kind(self) -> str:
        """ "organisation" (answered by a group) or "locality" (answered for an area)."""
        return "locality" if self.respondents == "localities" else "organisation"

    @property
    def named_results(self) -> bool:
        """True when results are shown by name: a locality's answers are a public body's
        statement about its own system, so the small-numbers rule that protects groups
        does not apply to them (see survey.aggregates)."""
        return self.respondents == "localities"

    @property
    def key(self) -> tuple[str, str]:
        """(id, version): how instruments are looked up."""
        return (self.id, self.version)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """Every question in page order."""
        return tuple(q for s in self.sections for q in s.questions)

    @cached_property
    def _sections_by_question(self) -> dict[str, Section]:
        return {q.id: s for s in self.sections for q in s.questions}

    def question(self, question_id: str) -> Question:
        """One question by id (KeyError if unknown)."""
        section = self._sections_by_question[question_id]
        return next(q for q in section.questions if q.id == question_id)

    def section_of(self, question_id: str) -> Section:
        """The page a question is on (KeyError if unknown)."""
        return self._sections_by_question[question_id]

    def domain(self, domain_id: str) -> Domain:
        """One domain by id (KeyError if unknown)."""
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)

    def level(self, number: int) -> Level:
        """The level band with this number."""
        return next(lv for lv in self.levels if lv.level == number)

    def level_words(self, domain_id: str, number: int | None) -> tuple[str, str] | None:
        """(name, meaning) of a level in one domain, or overall for "overall".

        Under a domain it is always the domain's own descriptor, never the
        whole-survey meaning; None for no level or a domain this version lacks.
        """
        if number is None:
            return None
        shared = self.level(number)
        if domain_id == OVERALL:
            return shared.name, shared.description
        try:
            domain = self.domain(domain_id)
        except KeyError:
            return None
        return domain.level_name(number, shared.name), domain.level(number).descriptor
