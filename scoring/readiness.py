"""Referral readiness: what groups say about receiving referrals, as figures for an area.

Pure. Which questions feed each figure is written here once, by question id,
for the instruments that ask them (the confidence survey's "had referrals" and
"supported to welcome them"; the readiness survey's referrals, monthly
capacity, care-navigation levels and help wanted). The shell turns each
group's answers into yes/no flags and numbers (``response_flags``), publishes
every flag as two group sets (the groups saying yes, the groups saying no)
through the same disclosure control as the domain figures, and gives the
published counts back to ``readiness_view``. A share or count is shown only
when both its "yes" and its "no" sets are published, so no figure can say
"every group" or "all but one or two".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from instruments.model import Instrument

PREFIX = "ready:"
NO = "~no"  # suffix of the set of groups answering "no" to a flag
AGREE = ("agree", "strongly_agree")

# figure -> the questions that ask it, in order of preference (first one the instrument has)
RECEIVING = ("had_referrals", "sw_had_referrals")
SUPPORTED = (("had_referrals", "supported_for_referrals"),)
CAPACITY = ("referral_capacity",)
NAVIGATION = ("support_levels",)
HELP = ("sd_help_wanted", "ss_help_wanted")
NONE_OPTION = "none"

RECEIVING_ID = f"{PREFIX}receiving"
SUPPORTED_ID = f"{PREFIX}supported"
CAPACITY_ID = f"{PREFIX}capacity"
TOP_HELP = 5


@dataclass(frozen=True)
class Flag:
    """A yes/no figure: its publication id, what it counts, and where it comes from."""

    id: str
    label: str
    kind: str  # "receiving", "supported", "navigation" or "help"


def _first(instrument: Instrument, candidates: Sequence[str]) -> str | None:
    ids = {q.id for q in instrument.questions}
    return next((c for c in candidates if c in ids), None)


def flags(instrument: Instrument) -> list[Flag]:
    """The yes/no figures this instrument's answers give, in display order."""
    ids = {q.id for q in instrument.questions}
    out = []
    if _first(instrument, RECEIVING):
        out.append(Flag(RECEIVING_ID, "Groups receiving referrals", "receiving"))
    if any(a in ids and b in ids for a, b in SUPPORTED):
        out.append(
            Flag(SUPPORTED_ID, "Groups involved and supported to receive referrals", "supported")
        )
    nav = _first(instrument, NAVIGATION)
    if nav:
        for opt in instrument.question(nav).options:
            out.append(Flag(f"{PREFIX}nav:{opt.value}", opt.label, "navigation"))
    for qid in HELP:
        if qid in ids:
            for opt in instrument.question(qid).options:
                if opt.value != NONE_OPTION:
                    out.append(Flag(f"{PREFIX}help:{qid}:{opt.value}", opt.label, "help"))
    return out


def has_capacity(instrument: Instrument) -> bool:
    """True when the instrument asks how many more people a group could take a month."""
    return _first(instrument, CAPACITY) is not None


def asks_readiness(instrument: Instrument) -> bool:
    """True when the instrument gives any referral readiness figure."""
    return bool(flags(instrument)) or has_capacity(instrument)


def question_ids(instrument: Instrument) -> set[str]:
    """The questions whose answers the readiness figures read."""
    wanted = set(RECEIVING) | set(CAPACITY) | set(NAVIGATION) | set(HELP)
    for pair in SUPPORTED:
        wanted |= set(pair)
    return wanted & {q.id for q in instrument.questions}


def _chosen(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def response_flags(
    instrument: Instrument, answers: Mapping[str, object]
) -> tuple[dict[str, bool], float | None]:
    """One group's flags (figure id -> yes/no; unanswered ones left out) and its capacity."""
    out: dict[str, bool] = {}
    receiving = _first(instrument, RECEIVING)
    if receiving and answers.get(receiving) in ("yes", "no"):
        out[RECEIVING_ID] = answers[receiving] == "yes"
    for had, supported in SUPPORTED:
        if had in answers and answers.get(had) in ("yes", "no"):
            # a group that has had no referrals is not yet involved
            out[SUPPORTED_ID] = answers[had] == "yes" and answers.get(supported) in AGREE
    nav = _chosen(answers.get(_first(instrument, NAVIGATION) or ""))
    help_ids = [f for f in flags(instrument) if f.kind in ("navigation", "help")]
    for flag in help_ids:
        if flag.kind == "navigation":
            chosen = nav
            option = flag.id.split(":", 2)[2]
        else:
            _, qid, option = flag.id[len(PREFIX) :].split(":", 2)
            chosen = _chosen(answers.get(qid))
        if chosen is not None:
            out[flag.id] = option in chosen
    capacity = None
    qid = _first(instrument, CAPACITY)
    if qid is not None:
        raw = answers.get(qid)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            capacity = float(raw)
        elif isinstance(raw, str):
            try:
                capacity = float(raw)
            except ValueError:
                capacity = None
    return out, capacity


@dataclass(frozen=True)
class Share:
    """A published yes/no figure: how many said yes of how many answered (None: not shown)."""

    id: str
    label: str
    kind: str
    yes: int | None
    answered: int | None

    @property
    def shown(self) -> bool:
        """True when both counts may be shown."""
        return self.yes is not None and self.answered is not None

    @property
    def share(self) -> float | None:
        """Yes as a share of those answering."""
        return self.yes / self.answered if self.shown and self.answered else None


@dataclass(frozen=True)
class Readiness:
    """An area's referral readiness figures in one round, as they may be shown."""

    receiving: Share | None  # None: the instrument does not ask it
    supported: Share | None
    capacity_total: float | None
    capacity_groups: int | None
    asks_capacity: bool
    navigation: tuple[Share, ...]
    top_help: tuple[Share, ...]  # the most requested kinds of help that may be shown

    @property
    def anything(self) -> bool:
        """True when at least one figure may be shown."""
        return bool(
            (self.receiving and self.receiving.shown)
            or (self.supported and self.supported.shown)
            or self.capacity_total is not None
            or any(s.shown for s in self.navigation)
            or self.top_help
        )


def readiness_view(
    instrument: Instrument,
    counts: Mapping[str, int],
    capacity: tuple[int, float] | None,
) -> Readiness:
    """The figures from published counts: ``counts`` maps each published set id to its size.

    A flag's share is shown only when both its yes set (``id``) and its no set
    (``id + NO``) are published; ``capacity`` is the published (n, mean).
    """

    def share(flag: Flag) -> Share:
        yes, no = counts.get(flag.id), counts.get(flag.id + NO)
        if yes is None or no is None:
            return Share(flag.id, flag.label, flag.kind, None, None)
        return Share(flag.id, flag.label, flag.kind, yes, yes + no)

    all_flags = flags(instrument)
    by_kind = {k: [share(f) for f in all_flags if f.kind == k] for k in
               ("receiving", "supported", "navigation", "help")}  # fmt: skip
    helps = sorted(
        (s for s in by_kind["help"] if s.shown and s.yes),
        key=lambda s: (-(s.yes or 0), s.label),
    )
    total = n = None
    if capacity is not None:
        n, mean = capacity
        total = round(mean * n, 6)
    return Readiness(
        receiving=(by_kind["receiving"] or [None])[0],
        supported=(by_kind["supported"] or [None])[0],
        capacity_total=total,
        capacity_groups=n,
        asks_capacity=has_capacity(instrument),
        navigation=tuple(by_kind["navigation"]),
        top_help=tuple(helps[:TOP_HELP]),
    )
