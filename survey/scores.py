"""Stores what the scoring core computes, so aggregation is a query, not a re-score."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from instruments import Instrument
from scoring import score_frame, score_response

from .extensions import db
from .instruments_store import instrument_for
from .models import OVERALL, Answer, DomainScore, Response, Round


def score_rows(instrument: Instrument, answers: dict) -> list[dict]:
    """DomainScore column values for one response's answers, the overall row last."""
    result = score_response(instrument, answers)
    domains = [
        {
            "domain_id": d.domain_id,
            "score": d.score,
            "level": d.level,
            "answered": d.answered,
            "applicable": d.applicable,
            "ambition": d.ambition,
        }
        for d in result.domains
    ]
    return _with_overall(domains, result.overall_score, result.overall_level)


def score_many(instrument: Instrument, answers: list[dict]) -> list[list[dict]]:
    """score_rows for many responses at once, through the batch path (scoring/batch.py)."""
    cells = ((i, q, v) for i, one in enumerate(answers) for q, v in one.items())
    return _rows_of_frame(instrument, score_frame(instrument, _answer_frame(len(answers), cells)))


def _with_overall(domains: list[dict], score: float | None, level: int | None) -> list[dict]:
    """The domains' rows and the overall row: answered counts the domains given a level."""
    overall = {
        "domain_id": OVERALL,
        "score": score,
        "level": level,
        "answered": sum(d["level"] is not None for d in domains),
        "applicable": len(domains),
        "ambition": None,
    }
    return [*domains, overall]


def _answer_frame(n: int, cells: Iterable[tuple[int, str, object]]) -> pd.DataFrame:
    """One row per response, one column per question: (row, question id, value) cells."""
    columns: dict[str, np.ndarray] = {}
    for row, question_id, value in cells:
        column = columns.get(question_id)
        if column is None:
            column = columns[question_id] = np.full(n, None, dtype=object)
        column[row] = value
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def _values(column: pd.Series) -> list:
    """A batch column as plain Python ints or floats, None where the batch has NaN or NA."""
    missing = column.isna().to_numpy()
    if pd.api.types.is_integer_dtype(column.dtype):
        plain = column.fillna(0).to_numpy(dtype=np.int64).tolist()
    else:
        plain = column.to_numpy(dtype=np.float64).tolist()
    return [None if gap else value for value, gap in zip(plain, missing, strict=True)]


def _rows_of_frame(instrument: Instrument, scores: pd.DataFrame) -> list[list[dict]]:
    """The batch's columns turned into each response's rows, as score_rows gives them."""
    fields = ("score", "level", "answered", "applicable", "ambition")
    per_domain = [
        (domain.id, [_values(scores[f"{domain.id}.{name}"]) for name in fields])
        for domain in instrument.domains
    ]
    overall_score = _values(scores["overall.score"])
    overall_level = _values(scores["overall.level"])
    return [
        _with_overall(
            [
                {"domain_id": domain_id, **{f: v[i] for f, v in zip(fields, values, strict=True)}}
                for domain_id, values in per_domain
            ],
            overall_score[i],
            overall_level[i],
        )
        for i in range(len(scores))
    ]


def store_scores(response: Response, instrument: Instrument) -> None:
    """Replace a response's stored scores with fresh ones, keeping moderation."""
    moderated = {
        s.domain_id: (s.moderated_level, s.moderation_note)
        for s in response.scores
        if s.moderated_level is not None
    }
    response.scores.clear()
    db.session.flush()
    for row in score_rows(instrument, response.answer_map()):
        level, note = moderated.get(row["domain_id"], (None, None))
        response.scores.append(DomainScore(**row, moderated_level=level, moderation_note=note))


RESCORE_CHUNK = 10_000  # responses read, scored and written at a time


def rescore_round(round_: Round) -> int:
    """Recompute the scores of every submitted response in a round; returns the count.

    Scores go through the batch path, a chunk of responses at a time; moderated levels
    and their notes are kept. One transaction: all the round's scores change or none.
    """
    instrument = instrument_for(round_)
    ids = list(
        db.session.scalars(
            sa.select(Response.id)
            .where(Response.round_id == round_.id, Response.status == "submitted")
            .order_by(Response.id)
        )
    )
    table = DomainScore.__table__
    for start in range(0, len(ids), RESCORE_CHUNK):
        chunk = ids[start : start + RESCORE_CHUNK]
        position = {response_id: i for i, response_id in enumerate(chunk)}
        cells = db.session.execute(
            sa.select(Answer.response_id, Answer.question_id, Answer.value).where(
                Answer.response_id.in_(chunk)
            )
        )
        frame = _answer_frame(len(chunk), ((position[r], q, v) for r, q, v in cells))
        rows = _rows_of_frame(instrument, score_frame(instrument, frame))
        moderated = {
            (r, d): (level, note)
            for r, d, level, note in db.session.execute(
                sa.select(
                    table.c.response_id,
                    table.c.domain_id,
                    table.c.moderated_level,
                    table.c.moderation_note,
                ).where(table.c.response_id.in_(chunk), table.c.moderated_level.is_not(None))
            )
        }
        db.session.execute(table.delete().where(table.c.response_id.in_(chunk)))
        fresh = []
        for response_id, response_rows in zip(chunk, rows, strict=True):
            for row in response_rows:
                level, note = moderated.get((response_id, row["domain_id"]), (None, None))
                fresh.append(
                    {
                        **row,
                        "response_id": response_id,
                        "moderated_level": level,
                        "moderation_note": note,
                    }
                )
        db.session.execute(table.insert(), fresh)
    db.session.commit()
    return len(ids)
