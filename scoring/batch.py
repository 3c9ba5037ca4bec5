"""Score many responses at once, column by column, with the same rule as one at a time.

``score_frame`` takes one row per response and one column per question (the
stored values; a missing column means nobody answered it) and returns one row
per response with each domain's score, level, answered and applicable counts
and ambition, and the overall score and level. Items and domains are added in
the same order as ``score_response`` adds them, so every score is bit-for-bit
the same (the property test in ``tests/scoring`` holds the two together).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments import DONT_KNOW, NOT_APPLICABLE, Instrument
from instruments.model import Condition

from .response import EPSILON, option_scores


def _codes(answers: pd.DataFrame, question_id: str) -> tuple[np.ndarray, list]:
    """(code per row, distinct values): each row's answer as an index into the values.

    Looking a value up once per distinct answer, not once per row, is what
    makes the batch fast; a missing answer has code -1.
    """
    if question_id not in answers.columns:
        return np.full(len(answers), -1), []
    column = answers[question_id]
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # lists (multiple choice) are not hashable: compare them as tuples
        hashable = column.map(lambda v: tuple(v) if isinstance(v, list) else v)
        codes, uniques = pd.factorize(hashable, use_na_sentinel=True)
    return codes, list(uniques)


def _lookup(codes: np.ndarray, uniques: list, fn, missing, dtype) -> np.ndarray:
    """fn(value) for every row, computed once per distinct value; ``missing`` for no answer."""
    table = np.array([fn(u) for u in uniques] + [missing], dtype=dtype)
    return table[codes]  # code -1 picks the last entry, the missing one


def _holds(answers: pd.DataFrame, condition: Condition) -> np.ndarray:
    """Condition.holds for every row."""
    codes, uniques = _codes(answers, condition.question)
    return _lookup(codes, uniques, lambda v: condition.holds({condition.question: v}), False, bool)


def routed_out_masks(instrument: Instrument, answers: pd.DataFrame) -> dict[str, np.ndarray]:
    """Question id -> rows for which routing skips it (its own or its page's skip_if)."""
    none = np.zeros(len(answers), dtype=bool)
    masks: dict[str, np.ndarray] = {}
    for section in instrument.sections:
        page = _holds(answers, section.skip_if) if section.skip_if else none
        for question in section.questions:
            own = _holds(answers, question.skip_if) if question.skip_if else none
            masks[question.id] = page | own
    return masks


def _score_of(mapping: dict[str, float]):
    return lambda v: mapping.get(v, np.nan) if isinstance(v, str) else np.nan


def _levels(instrument: Instrument, scores: np.ndarray) -> pd.arrays.IntegerArray:
    level = np.zeros(len(scores), dtype=np.int64)
    for lv in instrument.levels:
        level += (scores + EPSILON >= lv.min_score).astype(np.int64)
    return pd.arrays.IntegerArray(level, np.isnan(scores))


def score_frame(instrument: Instrument, answers: pd.DataFrame) -> pd.DataFrame:
    """Scores for every row of answers: columns '<domain>.score', '.level', ... 'overall.level'."""
    n = len(answers)
    routed = routed_out_masks(instrument, answers)
    out: dict[str, object] = {}
    domain_scores = []
    for domain in instrument.domains:
        total = np.zeros(n)
        weights = np.zeros(n)
        answered = np.zeros(n, dtype=np.int64)
        applicable = np.zeros(n, dtype=np.int64)
        for item in domain.items:
            codes, uniques = _codes(answers, item.question)
            question = instrument.question(item.question)
            not_applicable = _lookup(codes, uniques, lambda v: v == NOT_APPLICABLE, False, bool)
            counts = ~(not_applicable | routed[item.question])
            dont_know = _lookup(codes, uniques, lambda v: v == DONT_KNOW, False, bool) & counts
            score = _lookup(codes, uniques, _score_of(option_scores(question)), np.nan, float)
            if item.reverse:
                score = 6.0 - score
            if domain.dont_know == "lowest":
                score = np.where(dont_know, 1.0, score)
            valid = counts & ~np.isnan(score)
            applicable += counts
            answered += valid
            total = total + np.where(valid, item.weight * score, 0.0)
            weights = weights + np.where(valid, item.weight, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = answered / applicable
            scored = (applicable > 0) & (share >= domain.min_answered) & (weights > 0)
            score = np.where(scored, total / weights, np.nan)
        domain_scores.append((domain.id, score))
        out[f"{domain.id}.score"] = score
        out[f"{domain.id}.level"] = _levels(instrument, score)
        out[f"{domain.id}.answered"] = answered
        out[f"{domain.id}.applicable"] = applicable
        out[f"{domain.id}.ambition"] = _ambition(instrument, domain, answers)
    overall_score = _overall(instrument, domain_scores, n)
    out["overall.score"] = overall_score
    out["overall.level"] = _levels(instrument, overall_score)
    return pd.DataFrame(out, index=answers.index)


def _ambition(instrument: Instrument, domain, answers: pd.DataFrame) -> pd.arrays.IntegerArray:
    if not domain.ambition_question:
        n = len(answers)
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    question = instrument.question(domain.ambition_question)
    codes, uniques = _codes(answers, question.id)
    scores = _lookup(codes, uniques, _score_of(option_scores(question)), np.nan, float)
    return pd.arrays.IntegerArray(np.nan_to_num(scores).astype(np.int64), np.isnan(scores))


def _overall(instrument: Instrument, domain_scores: list, n: int) -> np.ndarray:
    if not domain_scores:
        return np.full(n, np.nan)
    stacked = np.column_stack([s for _, s in domain_scores])
    scored = ~np.isnan(stacked)
    count = scored.sum(axis=1)
    enough = (count > 0) & (count / len(domain_scores) >= instrument.overall.min_domains)
    if instrument.overall.method == "minimum":
        with np.errstate(invalid="ignore"):
            lowest = np.nanmin(np.where(scored, stacked, np.inf), axis=1)
        return np.where(enough, lowest, np.nan)
    weights = dict(instrument.overall.weights)
    total = np.zeros(n)
    weight_sum = np.zeros(n)
    for (domain_id, score), ok in zip(domain_scores, scored.T, strict=True):
        w = weights.get(domain_id, 1.0)
        total = total + np.where(ok, w * np.nan_to_num(score), 0.0)
        weight_sum = weight_sum + np.where(ok, w, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(enough, total / weight_sum, np.nan)
