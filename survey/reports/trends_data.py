"""Board trends from the database: an instrument's rounds, year by year, for one area."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from exports.trends import TrendPoint, write_trends

from .. import audit
from ..aggregates import trend_aggregates
from ..extensions import db
from ..instruments_store import registry
from ..models import Area, Round
from .method import method_lines


def _rounds(instrument_id: str) -> list[Round]:
    """The instrument's rounds that have opened, oldest first: the years a trend shows."""
    today = dt.date.today()
    return [
        r
        for r in db.session.scalars(
            sa.select(Round).where(Round.instrument_id == instrument_id).order_by(Round.opens_on)
        )
        if r.opens_on <= today
    ]


def targets_in_words(rounds: list[Round]) -> str:
    """Each year's target level ("2024: none set; 2025: level 3"), or one for all years."""
    words = ["none set" if r.target_level is None else f"level {r.target_level}" for r in rounds]
    if len(set(words)) <= 1:
        return words[0] if words else "none set"
    return "; ".join(f"{r.opens_on.year}: {w}" for r, w in zip(rounds, words, strict=True))


def trend_points(area: Area, instrument_id: str) -> list[TrendPoint]:
    """One point per (round, domain) for the area, oldest round first."""
    points = []
    for round_, aggregates in trend_aggregates(instrument_id, area, _rounds(instrument_id)):
        for agg in aggregates:
            s = agg.summary
            points.append(
                TrendPoint(
                    year=str(round_.opens_on.year),
                    round_title=round_.title,
                    version=round_.instrument_version,
                    domain_id=agg.domain_id,
                    domain_name=agg.domain_name,
                    n=s.n,
                    mean=s.mean,
                    ci_low=s.ci_low,
                    ci_high=s.ci_high,
                    level=agg.level,
                    suppressed=agg.suppressed,
                )
            )
    return points


def trends_method(area: Area, instrument_id: str, points: list[TrendPoint], actor: str) -> list:
    """The method sheet's lines, with a warning when versions differ between years."""
    instrument = registry().latest(instrument_id)
    versions = sorted({p.version for p in points})
    compare = (
        "The same instrument version every year: the years compare directly."
        if len(versions) <= 1
        else f"Versions {', '.join(versions)} differ between years: compare with care."
    )
    return method_lines(
        instrument,
        actor=actor,
        shown="self-assessed levels (groups' own answers)",
        target=targets_in_words(_rounds(instrument_id)),
        extra=[
            ("Area", f"{area.name} ({area.code})"),
            ("Comparability", compare),
            ("Intervals", "95% t-intervals of the mean, clipped to the 1 to 5 scale."),
        ],
    )


def trends_workbook(area: Area, instrument_id: str, *, actor: str) -> bytes:
    """The trends workbook's bytes; the export is recorded in the audit log."""
    points = trend_points(area, instrument_id)
    out = io.BytesIO()
    write_trends(
        out,
        area_name=area.name,
        points=points,
        method=trends_method(area, instrument_id, points, actor),
    )
    audit.record(actor, "export-trends", area.code)
    db.session.commit()
    return out.getvalue()
