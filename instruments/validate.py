"""Meaning checks on an instrument that already has the right shape.

The JSON Schema says which keys exist and what type each value has; these
checks say whether the pieces fit together: ids unique, routing looks back,
scoring rules name real scored questions, every level has its guidance.
Each check yields ``(path, message)`` pairs so that the caller can prefix
the file name; nothing here raises.
"""

from __future__ import annotations

from collections.abc import Iterator

from .model import OVERALL, SCORED_TYPES

Problem = tuple[str, str]


def _duplicates(values: list[str]) -> set[str]:
    seen: set[str] = set()
    return {v for v in values if v in seen or seen.add(v)}


def check_ids(doc: dict) -> Iterator[Problem]:
    """Section, question and domain ids are unique; option values unique per question."""
    sections = doc["sections"]
    for dup in sorted(_duplicates([s["id"] for s in sections])):
        yield "sections", f"section id '{dup}' is used more than once"
    question_ids = [q["id"] for s in sections for q in s["questions"]]
    for dup in sorted(_duplicates(question_ids)):
        yield "sections", f"question id '{dup}' is used more than once"
    for dup in sorted(_duplicates([d["id"] for d in doc["domains"]])):
        yield "domains", f"domain id '{dup}' is used more than once"
    for di, domain in enumerate(doc["domains"]):
        if domain["id"] == OVERALL:
            yield f"domains[{di}].id", f"'{OVERALL}' is reserved for the overall score"
    for si, section in enumerate(sections):
        for qi, question in enumerate(section["questions"]):
            values = [o["value"] for o in question.get("options", [])]
            path = f"sections[{si}].questions[{qi}].options"
            for dup in sorted(_duplicates(values)):
                yield path, f"option value '{dup}' is used more than once"
            for special in ("dont_know", "not_applicable"):
                if special in values:
                    yield path, f"option value '{special}' is reserved: use allow_{special}"


def check_levels(doc: dict) -> Iterator[Problem]:
    """Exactly levels 1..5, level 1 from score 1.0, thresholds rising."""
    levels = doc["levels"]
    numbers = [lv["level"] for lv in levels]
    yield from _levels_one_to_five("levels", numbers)
    if numbers and numbers[0] == 1 and levels[0]["min_score"] != 1:
        yield "levels[0].min_score", "level 1 must start at 1.0 so every score has a level"
    for i in range(1, len(levels)):
        if levels[i]["min_score"] <= levels[i - 1]["min_score"]:
            yield (
                f"levels[{i}].min_score",
                f"must be higher than the level before's ({levels[i - 1]['min_score']})",
            )


def _levels_one_to_five(path: str, numbers: list[int]) -> Iterator[Problem]:
    for missing in sorted(set(range(1, 6)) - set(numbers)):
        yield path, f"level {missing} is missing"
    for extra in sorted(set(numbers) - set(range(1, 6))):
        yield path, f"level {extra} is not one of 1 to 5"
    for dup in sorted(_duplicates([str(n) for n in numbers])):
        yield path, f"level {dup} is given more than once"
    if sorted(numbers) == [1, 2, 3, 4, 5] and numbers != [1, 2, 3, 4, 5]:
        yield path, "levels must be listed in order, 1 to 5"


def _domain_levels(base: str, domain_id: str, levels: list[dict]) -> Iterator[Problem]:
    """Each domain describes every level 1..5 in its own words (a descriptor per level)."""
    numbers = [lv["level"] for lv in levels]
    for missing in sorted(set(range(1, 6)) - set(numbers)):
        yield (
            f"{base}.levels",
            f"domain '{domain_id}' has no level {missing}: "
            "every level needs its descriptor and next steps",
        )
    for path, message in _levels_one_to_five(f"{base}.levels", numbers):
        if "is missing" not in message:
            yield path, f"domain '{domain_id}': {message}"
    for li, level in enumerate(levels):
        if not str(level.get("descriptor") or "").strip():
            yield (
                f"{base}.levels[{li}]",
                f"domain '{domain_id}' level {level['level']} has no descriptor "
                "(what this level means in this domain)",
            )


def _questions(doc: dict) -> dict[str, tuple[int, int, dict]]:
    """Question id -> (section index, question index, question) for the first of each id."""
    found: dict[str, tuple[int, int, dict]] = {}
    for si, section in enumerate(doc["sections"]):
        for qi, question in enumerate(section["questions"]):
            found.setdefault(question["id"], (si, qi, question))
    return found


def _condition(
    path: str, condition: dict, before: dict[str, dict], questions: dict, own_id: str | None
) -> Iterator[Problem]:
    target = condition["question"]
    if target not in questions:
        yield f"{path}.question", f"routing refers to '{target}', which is not a question here"
        return
    if target == own_id:
        yield f"{path}.question", f"'{target}' cannot be skipped on its own answer (a loop)"
        return
    if target not in before:
        yield (
            f"{path}.question",
            f"routing refers to '{target}', which comes later: routing may only look back, "
            "or it could loop",
        )
        return
    question = before[target]
    allowed = _answer_values(question)
    if allowed is not None:
        for value in condition["values"]:
            if value not in allowed:
                yield f"{path}.values", f"'{value}' is not an answer to '{target}'"


def _answer_values(question: dict) -> set[str] | None:
    """Values a choice question can take; None for free-form types."""
    kind = question["type"]
    specials = {
        v
        for v, flag in (
            ("dont_know", "allow_dont_know"),
            ("not_applicable", "allow_not_applicable"),
        )
        if question.get(flag)
    }
    if kind in ("single", "multiple"):
        return {o["value"] for o in question["options"]} | specials
    if kind == "yesno":
        return {"yes", "no"} | specials
    if kind == "likert":
        from .model import LIKERT_OPTIONS

        return {value for value, _, _ in LIKERT_OPTIONS} | specials
    return None


def check_routing(doc: dict) -> Iterator[Problem]:
    """Every skip_if names a question answered earlier, with values it can take."""
    questions = _questions(doc)
    before: dict[str, dict] = {}
    for si, section in enumerate(doc["sections"]):
        if "skip_if" in section:
            yield from _condition(
                f"sections[{si}].skip_if", section["skip_if"], before, questions, None
            )
        for qi, question in enumerate(section["questions"]):
            if "skip_if" in question:
                own = question["id"]
                in_section = {q["id"]: q for q in section["questions"][:qi]}
                if question["skip_if"]["question"] in {q["id"] for q in section["questions"]}:
                    # Same page: only an earlier question on it can route this one.
                    visible = {**before, **in_section}
                else:
                    visible = before
                yield from _condition(
                    f"sections[{si}].questions[{qi}].skip_if",
                    question["skip_if"],
                    visible,
                    questions,
                    own,
                )
        for question in section["questions"]:
            before.setdefault(question["id"], question)


def _scored_option_problem(question: dict, ambition: bool) -> str | None:
    options = question.get("options", [])
    scores = [o.get("score") for o in options]
    if any(s is None for s in scores):
        return "every option needs a score from 1 to 5"
    if ambition and any(s != int(s) for s in scores):
        return "option scores must be whole levels, 1 to 5"
    return None


def check_domains(doc: dict, offer_ids: set[str] | None) -> Iterator[Problem]:
    """Items and ambition questions exist and score; each level has guidance and real offers."""
    questions = _questions(doc)
    used_as_item: dict[str, str] = {}
    for di, domain in enumerate(doc["domains"]):
        base = f"domains[{di}]"
        for ii, item in enumerate(domain["items"]):
            path = f"{base}.items[{ii}].question"
            qid = item["question"]
            if qid not in questions:
                yield path, f"scoring refers to '{qid}', which is not a question here"
                continue
            question = questions[qid][2]
            if question["type"] not in SCORED_TYPES:
                yield path, f"'{qid}' is a {question['type']} question and cannot be scored"
            elif question["type"] == "single":
                problem = _scored_option_problem(question, ambition=False)
                if problem:
                    yield path, f"'{qid}' is scored, so {problem}"
            if qid in used_as_item:
                yield path, f"'{qid}' already counts in domain '{used_as_item[qid]}'"
            used_as_item.setdefault(qid, domain["id"])
        ambition = domain.get("ambition_question")
        if ambition:
            path = f"{base}.ambition_question"
            if ambition not in questions:
                yield path, f"'{ambition}' is not a question here"
            else:
                question = questions[ambition][2]
                if question["type"] != "single":
                    yield path, f"'{ambition}' must be a single-choice question"
                else:
                    problem = _scored_option_problem(question, ambition=True)
                    if problem:
                        yield path, f"'{ambition}' gives a level, so {problem}"
                if ambition in {i["question"] for i in domain["items"]}:
                    yield path, f"'{ambition}' is a plan, not a score: it cannot also be an item"
        levels = domain.get("levels", [])
        yield from _domain_levels(base, domain["id"], levels)
        if offer_ids is None:
            continue
        for li, level in enumerate(levels):
            for si, step in enumerate(level["next_steps"]):
                for oi, offer in enumerate(step.get("offers", [])):
                    if offer not in offer_ids:
                        yield (
                            f"{base}.levels[{li}].next_steps[{si}].offers[{oi}]",
                            f"'{offer}' is not in the support offers catalogue",
                        )
    weights = doc.get("overall", {}).get("weights", {})
    domain_ids = {d["id"] for d in doc["domains"]}
    for name in sorted(set(weights) - domain_ids):
        yield f"overall.weights.{name}", f"'{name}' is not a domain here"


def check_instrument(doc: dict, offer_ids: set[str] | None) -> list[Problem]:
    """Every meaning problem in a well-shaped instrument document."""
    return [
        *check_ids(doc),
        *check_levels(doc),
        *check_routing(doc),
        *check_domains(doc, offer_ids),
    ]
