"""Stores what the scoring core computes, so aggregation is a query, not a re-score."""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from instruments import Instrument
from scoring import score_frame, score_response

from .extensions import db
from .instruments_store import instrument_for
from .models import OVERALL, DomainScore, Response, ResponseStatus, Round


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


def _stored_answer_frame(response_ids: list[int], cells: list[tuple]) -> pd.DataFrame:
    """_answer_frame from stored (response id, question id, JSON text) cells, in the order of
    response_ids. Each distinct text is decoded once, not once per answer: that, and placing
    the cells with numpy, is what keeps a 100,000-response round to seconds."""
    if not cells:
        return pd.DataFrame(index=pd.RangeIndex(len(response_ids)))
    table = np.array(cells, dtype=object)  # columns: response id, question id, text
    rows = pd.Index(response_ids).get_indexer(table[:, 0].astype(np.int64))
    question_codes, question_ids = pd.factorize(table[:, 1])
    text_codes, distinct = pd.factorize(table[:, 2])
    values = np.full(len(distinct) + 1, None, dtype=object)  # the last: SQL NULL, no answer
    for i, text in enumerate(distinct):
        values[i] = json.loads(text)
    grid = np.full((len(question_ids), len(response_ids)), None, dtype=object)
    grid[question_codes, rows] = values[text_codes]
    return pd.DataFrame(
        {question_id: grid[i] for i, question_id in enumerate(question_ids)},
        index=pd.RangeIndex(len(response_ids)),
    )


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
SCORE_COLUMNS = ("domain_id", "score", "level", "answered", "applicable", "ambition")


def rescore_round(round_: Round) -> int:
    """Recompute the scores of every submitted response in a round; returns the count.

    Scores go through the batch path, a chunk of responses at a time; moderated levels
    and their notes are kept. One transaction: all the round's scores change or none.
    Answers are read and scores written through the driver's own cursor (plain tuples,
    no ORM objects or rows), in the session's transaction: a round of 100,000 responses
    is a few million cells.
    """
    instrument = instrument_for(round_)
    ids = list(
        db.session.scalars(
            sa.select(Response.id)
            .where(Response.round_id == round_.id, Response.status == ResponseStatus.SUBMITTED)
            .order_by(Response.id)
        )
    )
    connection = db.session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    columns = ("response_id", "round_id", *SCORE_COLUMNS, "moderated_level", "moderation_note")
    insert = f"INSERT INTO domain_score ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(ids), RESCORE_CHUNK):
            chunk = ids[start : start + RESCORE_CHUNK]
            within = f"response_id IN ({', '.join([mark] * len(chunk))})"
            cursor.execute(
                f"SELECT response_id, question_id, CAST(value AS TEXT) FROM answer WHERE {within}",
                chunk,
            )
            frame = _stored_answer_frame(chunk, cursor.fetchall())
            rows = _rows_of_frame(instrument, score_frame(instrument, frame))
            cursor.execute(
                "SELECT response_id, domain_id, moderated_level, moderation_note FROM domain_score "
                f"WHERE moderated_level IS NOT NULL AND {within}",
                chunk,
            )
            moderated = {(r, d): (level, note) for r, d, level, note in cursor.fetchall()}
            cursor.execute(f"DELETE FROM domain_score WHERE {within}", chunk)
            cursor.executemany(
                insert,
                [
                    (
                        response_id,
                        round_.id,
                        *(row[c] for c in SCORE_COLUMNS),
                        *moderated.get((response_id, row["domain_id"]), (None, None)),
                    )
                    for response_id, response_rows in zip(chunk, rows, strict=True)
                    for row in response_rows
                ],
            )
    finally:
        cursor.close()
    db.session.commit()
    return len(ids)
