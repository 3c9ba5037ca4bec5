"""Believable fictional groups and answers for the demo, from a seed number.

Pure generation, no database: `survey.demo` writes what this makes.
Answers come from a latent "maturity" per group that depends on its
neighbourhood (some weaker, some improving year on year), the domain and noise,
so maps and trends show a pattern worth looking at.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from instruments import DONT_KNOW, LIKERT_OPTIONS, NOT_APPLICABLE, Instrument, Question

ACTIVITIES = [
    ("Lunch Club", "food"),
    ("Walking Group", "physical"),
    ("Befriending Service", "befriending"),
    ("Men's Shed", "practical"),
    ("Community Garden", "gardening"),
    ("Debt Advice Centre", "advice"),
    ("Knit and Natter", "creative"),
    ("Carers Support Group", "carers"),
    ("Singing for the Brain", "creative"),
    ("Parkrun Volunteers", "physical"),
    ("Food Bank", "food"),
    ("Youth Club", "young-people"),
    ("Art Group", "creative"),
    ("Tai Chi Class", "physical"),
    ("Bereavement Café", "befriending"),
    ("Community Pantry", "food"),
    ("Dementia Café", "befriending"),
    ("Allotment Society", "gardening"),
    ("Chair Yoga", "physical"),
    ("Digital Drop-in", "advice"),
]
PREFIXES = ["", "", "", "Friends of ", "St Mary's ", "Riverside ", "Old Mill ", "Green Lane "]
SIZES = ["micro", "small", "medium", "large"]
INCOME_BANDS = ["Under £10,000", "£10,000 to £100,000", "£100,000 to £1 million", "Over £1 million"]


@dataclass(frozen=True)
class DemoGroup:
    """A fictional community group before it is placed in the database."""

    name: str
    neighbourhood: str
    lon: float
    lat: float
    postcode: str
    profile: dict
    maturity: float  # latent, 1..5 scale, before area and year effects
    email: str
    charity_number: str | None


def fictional_postcode(rng: random.Random) -> str:
    """A postcode-shaped string in the ZZ area, which does not exist in the UK."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"ZZ{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def group_name(rng: random.Random, place_name: str) -> tuple[str, str]:
    """A plausible group name and its activity type."""
    activity, kind = rng.choice(ACTIVITIES)
    return f"{rng.choice(PREFIXES)}{place_name} {activity}", kind


def group_profile(rng: random.Random, kind: str) -> dict:
    """Size, income, people and capacity for a group."""
    size = rng.choices(SIZES, weights=[45, 35, 15, 5])[0]
    scale = SIZES.index(size)
    return {
        "size": size,
        "income_band": INCOME_BANDS[min(3, max(0, scale + rng.choice([-1, 0, 0, 1])))],
        "volunteers": rng.randint(2, 12) * (scale + 1),
        "staff": 0 if scale == 0 else rng.randint(0, 3 * scale),
        "activity": kind,
        "referrals_per_month": rng.choice([0, 2, 5, 10, 20][: scale + 2]),
    }


def area_effects(rng: random.Random, codes: list[str]) -> dict[str, tuple[float, float]]:
    """(level offset, yearly trend) per neighbourhood: some weaker, some improving."""
    effects = {}
    for code in codes:
        offset = rng.gauss(0, 0.35)
        if rng.random() < 0.2:
            offset -= 0.8  # a weaker neighbourhood
        trend = rng.choice([0.0, 0.0, 0.1, 0.25, 0.35, -0.15])
        effects[code] = (offset, trend)
    return effects


def _choose_scored(question: Question, target: float, rng: random.Random) -> str:
    """The option whose score is nearest to a noisy target score."""
    value = min(5.0, max(1.0, target + rng.gauss(0, 0.7)))
    if question.type == "likert":
        return LIKERT_OPTIONS[round(value) - 1][0]
    if question.type == "yesno":
        return "yes" if value >= 3 else "no"
    scored = [o for o in question.options if o.score is not None]
    if not scored:
        return rng.choice(question.options).value
    return min(scored, key=lambda o: (abs(o.score - value), rng.random())).value


def _choose_unscored(question: Question, group: DemoGroup, area_code: str, rng: random.Random):
    """A sensible answer to a profile or free question."""
    if question.type == "multiple":
        count = rng.randint(1, min(3, len(question.options)))
        return sorted(o.value for o in rng.sample(list(question.options), count))
    if question.type == "number":
        low = question.min_value if question.min_value is not None else 0
        high = question.max_value if question.max_value is not None else low + 40
        return int(min(high, max(low, group.profile["referrals_per_month"] + rng.randint(0, 5))))
    if question.type == "postcode":
        return group.postcode
    if question.type == "area":
        return area_code
    if question.type == "text":
        return rng.choice(["", "", "We would welcome a visit.", "Mostly older people."])
    return _choose_scored(question, group.maturity, rng)


def demo_answers(
    instrument: Instrument,
    group: DemoGroup,
    latent: float,
    area_code: str,
    rng: random.Random,
    complete: bool = True,
) -> dict[str, object]:
    """Answers to every page of an instrument (or the first pages, if not complete)."""
    scored_items = {
        item.question: (item.reverse, d.id) for d in instrument.domains for item in d.items
    }
    domain_offsets = {d.id: rng.gauss(0, 0.4) for d in instrument.domains}
    answers: dict[str, object] = {}
    sections = instrument.sections
    if not complete:
        sections = sections[: rng.randint(1, max(1, len(sections) - 1))]
    for section in sections:
        if section.skip_if and section.skip_if.holds(answers):
            continue
        for question in section.questions:
            if question.skip_if and question.skip_if.holds(answers):
                continue
            if not question.required and rng.random() < 0.15:
                continue
            if question.allow_not_applicable and rng.random() < 0.03:
                answers[question.id] = NOT_APPLICABLE
                continue
            if question.allow_dont_know and rng.random() < 0.05:
                answers[question.id] = DONT_KNOW
                continue
            if question.id in scored_items:
                reverse, domain_id = scored_items[question.id]
                target = latent + domain_offsets[domain_id]
                answers[question.id] = _choose_scored(
                    question, 6 - target if reverse else target, rng
                )
            elif question.options and question.type == "single":
                answers[question.id] = _ambition_or_any(question, latent, rng)
            else:
                answers[question.id] = _choose_unscored(question, group, area_code, rng)
    return answers


def _ambition_or_any(question: Question, latent: float, rng: random.Random) -> str:
    """For a "where do you plan to be" question, a level a little above today."""
    if all(o.score is not None for o in question.options):
        return _choose_scored(question, latent + rng.choice([0, 0.5, 1, 1.5]), rng)
    return rng.choice(question.options).value


# The directory categories a demo group of each kind chooses, in exports.oruk.CATEGORIES order.
KIND_CATEGORIES = {
    "food": ["social_group"],
    "physical": ["physical_activity"],
    "befriending": ["befriending", "peer_support"],
    "practical": ["social_group", "learning_skills"],
    "gardening": ["gardening_nature"],
    "advice": ["advice"],
    "creative": ["arts_creative"],
    "carers": ["peer_support"],
    "young-people": ["social_group", "learning_skills"],
}
DAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"]
TIMES = ["10am to 12 noon", "1pm to 3pm", "2pm to 4pm", "6pm to 8pm"]
VENUES = ["Community Centre", "Methodist Church Hall", "Library", "Village Hall", "Scout Hut"]


def directory_details(rng: random.Random, name: str, town: str, venue_postcode: str) -> dict:
    """A directory entry such as a group keeps (exports.oruk.ENTRY_FIELDS), fictional:
    what it offers, for whom, when, where (a public venue for about half), cost, contact."""
    kind = next((kind for activity, kind in ACTIVITIES if name.endswith(activity)), "")
    details = {
        "offers": f"{name}: a friendly, volunteer-run group. Everyone is welcome to come along.",
        "eligibility": rng.choice(["Adults of all ages", "Anyone aged 50 or over", "Everyone"]),
        "times": f"{rng.choice(DAYS)}, {rng.choice(TIMES)}",
        "cost": rng.choice(["Free", "£2 a session", "£1 donation, if you can"]),
        "accessibility": rng.choice(
            ["Step-free access and an accessible toilet", "Ground floor, hearing loop", ""]
        ),
        "categories": KIND_CATEGORIES.get(kind, ["other"]),
        "venue_public": "no",
    }
    if rng.random() < 0.5:
        street = rng.choice(["High Street", "Church Road", "Mill Lane", "Station Road"])
        details |= {
            "venue_public": "yes",
            "venue_name": f"{town} {rng.choice(VENUES)}",
            "venue_address": f"{rng.randint(1, 120)} {street}",
            "venue_town": town,
            "venue_postcode": venue_postcode,
        }
    if rng.random() < 0.6:
        details["phone"] = f"01632 960 {rng.randint(0, 999):03d}"  # Ofcom's drama numbers
    if rng.random() < 0.4:
        words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
        details["website"] = "https://example.org/" + "-".join(words)
    return details
