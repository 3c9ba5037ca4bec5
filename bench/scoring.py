"""Benchmark: score 100,000 synthetic confidence-survey responses, batch against a loop.

Prints the batch time, the time of a straightforward per-response loop over the
same answers (``score_response`` row by row) and the ratio between them, and
checks that both give the same levels. Then, unless ``--no-command``, it stores the
same answers as a round's submitted responses in a throwaway SQLite database and
times ``survey score --round`` on them (reading the answers, scoring through the
batch path, writing every score), against the same loop. A benchmark, not a test:
run it with ``.venv/bin/python bench/scoring.py [--responses N] [--loop N] [--no-command]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the package it measures: keep bench/ off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from instruments import DONT_KNOW, LIKERT_OPTIONS, NOT_APPLICABLE, load_registry  # noqa: E402
from scoring import score_frame, score_response  # noqa: E402


def synthetic_answers(instrument, n: int, seed: int = 1) -> pd.DataFrame:
    """n responses: every scored question answered at random, some don't know / N/A / blank."""
    rng = np.random.default_rng(seed)
    columns = {}
    for question in instrument.questions:
        if question.type == "likert":
            values = [v for v, _, _ in LIKERT_OPTIONS]
        elif question.type == "yesno":
            values = ["yes", "no"]
        elif question.type == "single":
            values = [o.value for o in question.options]
        else:
            continue
        extra = [DONT_KNOW] if question.allow_dont_know else []
        extra += [NOT_APPLICABLE] if question.allow_not_applicable else []
        pool = np.array([*values, *extra, None], dtype=object)
        weights = np.array([0.9 / len(values)] * len(values) + [0.04] * len(extra) + [0.02])
        columns[question.id] = rng.choice(pool, size=n, p=weights / weights.sum())
    return pd.DataFrame(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--loop", type=int, default=None, help="loop over only the first N")
    parser.add_argument("--no-command", action="store_true", help="skip `survey score --round`")
    args = parser.parse_args()

    instrument = load_registry().latest("confidence")
    frame = synthetic_answers(instrument, args.responses)
    print(
        f"{instrument.title} {instrument.version}: {len(instrument.questions)} questions, "
        f"{len(instrument.domains)} domains, {len(frame):,} responses"
    )

    start = time.perf_counter()
    scores = score_frame(instrument, frame)
    batch = time.perf_counter() - start

    loop_rows = frame.head(args.loop) if args.loop else frame
    records = [
        {k: v for k, v in row.items() if v is not None}
        for row in loop_rows.to_dict(orient="records")
    ]
    start = time.perf_counter()
    levels = [score_response(instrument, answers).overall_level for answers in records]
    loop = (time.perf_counter() - start) * len(frame) / len(records)

    same = all(
        (a is None and pd.isna(b)) or a == b
        for a, b in zip(levels, scores["overall.level"].head(len(records)), strict=True)
    )
    print(f"batch (score_frame):        {batch:8.3f} s  ({len(frame) / batch:,.0f} responses/s)")
    print(
        f"loop  (score_response):     {loop:8.3f} s"
        + ("" if len(records) == len(frame) else f"  (from {len(records):,}, scaled)")
    )
    print(f"ratio loop / batch:         {loop / batch:8.1f}x")
    print(f"same overall levels:        {'yes' if same else 'NO'}")
    print("targets: batch under 2 s, at least 30x the loop")
    if not args.no_command:
        command, same_stored, one_by_one = time_score_command(instrument, frame, scores)
        print(
            f"survey score --round:       {command:8.3f} s  ({len(frame) / command:,.0f} "
            f"responses/s, read + score + write, process start included)"
        )
        print(
            f"one at a time (store_scores): {one_by_one:6.1f} s  (from {ONE_BY_ONE:,}, scaled; "
            f"the command's path before); ratio {one_by_one / command:.1f}x"
        )
        print(f"same stored overall levels: {'yes' if same_stored else 'NO'}")


ONE_BY_ONE = 2_000  # responses stored one at a time for the old path's figure


def time_score_command(instrument, frame: pd.DataFrame, scores: pd.DataFrame):
    """Seconds `survey score --round` takes on the frame stored as a round's responses,
    and whether the stored overall levels are the batch's."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db
    from survey.models import OVERALL, Answer, DomainScore, Response, Round

    folder = Path(tempfile.mkdtemp(prefix="bench-score-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        today = dt.date.today()
        round_ = Round(
            slug="bench-round",
            title="Bench",
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            opens_on=today - dt.timedelta(days=10),
            closes_on=today + dt.timedelta(days=30),
        )
        db.session.add(round_)
        db.session.flush()
        responses = Response.__table__
        db.session.execute(
            responses.insert(),
            [
                {"id": i + 1, "round_id": round_.id, "status": "submitted", "source": "paper",
                 "is_current": True, "version": 1, "started_at": dt.datetime.now(dt.UTC)}
                for i in range(len(frame))
            ],
        )  # fmt: skip
        answers = [
            {"response_id": i + 1, "question_id": question_id, "value": value}
            for question_id, column in frame.items()
            for i, value in enumerate(column.tolist())
            if value is not None
        ]
        db.session.execute(Answer.__table__.insert(), answers)
        db.session.commit()
        print(f"stored {len(frame):,} responses with {len(answers):,} answers for the command")
    env = {**os.environ, "DATABASE_URL": url}
    survey = Path(sys.executable).with_name("survey")
    start = time.perf_counter()
    subprocess.run([survey, "score", "--round", "bench-round"], check=True, env=env)
    elapsed = time.perf_counter() - start
    with app.app_context():
        # The command's path before the batch: each response's scores stored one at a time
        # (score_response, then the ORM), timed on the first few and scaled.
        from survey.instruments_store import instrument_for
        from survey.scores import store_scores

        sample = db.session.scalars(sa.select(Response).order_by(Response.id).limit(ONE_BY_ONE))
        start = time.perf_counter()
        count = 0
        for response in sample:
            store_scores(response, instrument_for(response.round))
            count += 1
        db.session.commit()
        one_by_one = (time.perf_counter() - start) * len(frame) / count
        stored = dict(
            db.session.execute(
                sa.select(DomainScore.response_id, DomainScore.level).where(
                    DomainScore.domain_id == OVERALL
                )
            ).all()
        )
        db.engine.dispose()
    expected = scores["overall.level"]
    same = len(stored) == len(frame) and all(
        (pd.isna(level) and stored[i + 1] is None) or stored[i + 1] == level
        for i, level in enumerate(expected)
    )
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return elapsed, same, one_by_one


if __name__ == "__main__":
    main()
