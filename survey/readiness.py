"""Referral readiness figures for areas in a round, as published (scoring.readiness)."""

from __future__ import annotations

from scoring.readiness import CAPACITY_ID, PREFIX, Readiness, asks_readiness, readiness_view

from .aggregates import derived_figures
from .instruments_store import instrument_for
from .models import Area, Round


def area_readiness(
    round_: Round, areas: list[Area], *, threshold: int | None = None, published=None
) -> dict[int, Readiness]:
    """Area id -> its readiness figures (empty when the round's instrument asks none)."""
    instrument = instrument_for(round_)
    if not asks_readiness(instrument) or not areas:
        return {}
    # readiness is what groups answered: brokers moderate levels, not answers
    shown = derived_figures(
        round_, areas, moderated=False, threshold=threshold, published=published
    )
    counts: dict[int, dict[str, int]] = {a.id: {} for a in areas}
    for (area_id, set_id), figure in shown.items():
        if set_id.startswith(PREFIX):
            counts[area_id][set_id] = figure.n
    out = {}
    for area in areas:
        capacity = shown.get((area.id, CAPACITY_ID))
        out[area.id] = readiness_view(
            instrument,
            counts[area.id],
            (capacity.n, capacity.mean) if capacity is not None else None,
        )
    return out
