"""Benchmark: score 100,000 synthetic confidence-survey responses, batch against a loop.

Prints the batch time, the time of a straightforward per-response loop over the
same answers (``score_response`` row by row) and the ratio between them, and
checks that both give the same levels. A benchmark, not a test: run it with
``.venv/bin/python bench/scoring.py [--responses N] [--loop N]``.
"""

from __future__ import annotations

import argparse
import sys
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


if __name__ == "__main__":
    main()
