"""What the map and the tables show for each area: one measure, suppressed as the aggregates say.

Built on survey.aggregates, so a figure is the same on every page, map and
PNG. A suppressed area gets words ("fewer than 5 responses"), never a number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa

from maps.choropleth import SCALES, MapArea, Scale

from ..aggregates import AreaAggregate, area_aggregates
from ..derived_sets import previous_round
from ..extensions import db
from ..models import OVERALL, Area, OrganisationArea, Response, ResponseStatus, Round
from ..publication import publish

MEASURES = {
    "level": "Level (mean score)",
    "gap": "Gap to target level",
    "ambition": "Gap to ambition",
    "coverage": "Response rate",
    "change": "Change since the last round",
    "receiving": "Groups receiving referrals",
    "supported": "Groups involved and supported to receive referrals",
    "capacity": "Extra places a month groups could take",
}
READINESS_MEASURES = ("receiving", "supported", "capacity")


class MapPlace(NamedTuple):
    """An area as a map reads it (Area's attribute names, so the figures take either), with
    the shape it is drawn with and how many groups the service knows there: 7,634 LSOAs
    as Area objects took 0.18 s to load, and as long again to read their attributes, on a
    page that took 0.74 s."""

    id: int
    code: str
    name: str
    type: str
    footprint_method: str | None
    display_geometry: str | None
    groups: int  # every group placed there, answered or not


def map_places(*criteria) -> list[MapPlace]:
    """The areas that meet these conditions, by name, as MapPlace rows.

    The groups known are a count of groups, not of answers: the small-numbers rule is
    for figures made from answers, and this one says nothing about what any group
    answered. Counted an area at a time down the index: for 7,634 LSOAs, 0.05 s against
    0.1 s for one count grouped by area over their ids (and 0.06 s to write the ids)."""
    groups = (
        sa.select(sa.func.count())
        .where(OrganisationArea.area_id == Area.id)
        .correlate(Area)
        .scalar_subquery()
    )
    query = (
        sa.select(*(getattr(Area, name) for name in MapPlace._fields[:-1]), groups)
        .where(*criteria)
        .order_by(Area.name, Area.code)
    )
    return list(map(MapPlace._make, db.session.connection().execute(query).all()))


@dataclass(frozen=True)
class AreaFigure:
    """One area's value of one measure, ready for a map, a table row or a PNG."""

    area: Area | MapPlace
    aggregate: AreaAggregate
    value: float | None
    label: str
    n: int | None
    suppressed: bool
    level_class: int | None  # 0..4 for the level measure, else None (the scale classifies)

    def map_area(
        self, url: str | None, geometry: dict | None, groups: int | None = None
    ) -> MapArea:
        """The plain-data form the map core takes."""
        return MapArea(
            code=self.area.code,
            name=self.area.name,
            geometry=geometry,
            value=None if self.suppressed else self.value,
            label=self.label,
            n=None if self.suppressed else self.n,
            suppressed=self.suppressed,
            url=url,
            level=self.level_class,
            groups=groups,
        )


def rounds_in_order() -> list[Round]:
    """Every round, newest first."""
    return list(db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc(), Round.slug)))


def default_round(rounds: list[Round]) -> Round | None:
    """The newest round that has opened and has answers, else the newest opened, else newest."""
    today = dt.date.today()
    opened = [r for r in rounds if r.opens_on <= today]
    answered = dict(
        db.session.execute(
            sa.select(Response.round_id, sa.func.count())
            .where(Response.status == ResponseStatus.SUBMITTED)
            .group_by(Response.round_id)
        ).all()
    )
    # newest first; of rounds that opened together, the one most groups answered
    with_answers = sorted(
        (r for r in opened if r.id in answered),
        key=lambda r: (r.opens_on, answered[r.id]),
        reverse=True,
    )
    return (with_answers or opened or rounds or [None])[0]


def suppressed_words(threshold: int) -> str:
    """What a suppressed figure says instead of a number."""
    return f"fewer than {threshold} responses"


def mean_text(value: float) -> str:
    """A mean score as shown everywhere (two decimals)."""
    return f"{value:.2f}"


def _gap_text(gap: float) -> str:
    if abs(gap) < 0.005:
        return "at target"
    return f"{abs(gap):.2f} {'below' if gap > 0 else 'above'} target"


def _ambition_text(gap: float) -> str:
    if abs(gap) < 0.005:
        return "at its ambition"
    if gap < 0:
        return f"{abs(gap):.2f} beyond its ambition"
    return f"{gap:.2f} to go to its ambition"


def _named_figure(measure, agg: AreaAggregate, before: AreaAggregate | None, since):
    """An area's own named assessment (a locality round): its level, never a mean."""
    level = agg.level
    if measure == "coverage":
        if not agg.invited:
            return None, "not invited", None, False, None
        text = "answered" if agg.responded else "not answered yet"
        return float(agg.responded or 0), text, agg.responded, False, None
    if level is None:
        words = "not scored" if agg.responded else "no assessment from this area"
        return None, words, agg.responded, False, None
    if measure == "level":
        return float(level), f"level {level} (its own assessment)", 1, False, level - 1
    if measure == "gap":
        if agg.gap is None:
            return None, "no target set", 1, False, None
        return agg.gap, _gap_text(agg.gap), 1, False, None
    if measure == "ambition":
        if agg.ambition_gap is None:
            return None, "no ambition given", 1, False, None
        return agg.ambition_gap, _ambition_text(agg.ambition_gap), 1, False, None
    if before is None:
        return None, "no earlier round", 1, False, None
    if before.level is None:
        return None, f"no assessment in {since}", 1, False, None
    change = level - before.level
    return (
        float(change),
        f"{change:+d} level{'s' if abs(change) != 1 else ''} since {since}",
        1,
        False,
        None,
    )


def _figure(measure, agg: AreaAggregate, before: AreaAggregate | None, threshold, since):
    """(value, label, n, suppressed, level class) for one area."""
    if agg.named:
        return _named_figure(measure, agg, before, since)
    summary = agg.summary
    if agg.suppressed:
        return None, suppressed_words(threshold), None, True, None
    if measure == "coverage":
        if not agg.invited:
            return None, "no groups invited", None, False, None
        if agg.coverage is None:
            return None, suppressed_words(threshold), None, True, None
        text = f"{agg.coverage:.0%} ({agg.responded} of {agg.invited})"
        return agg.coverage, text, agg.responded, False, None
    if not summary.n or summary.mean is None:
        return None, "no responses", summary.n, False, None
    mean = summary.mean
    if measure == "level":
        klass = agg.level - 1 if agg.level else None
        return mean, f"{mean_text(mean)} (level {agg.level})", summary.n, False, klass
    if measure == "gap":
        if agg.gap is None:
            return None, "no target set", summary.n, False, None
        return agg.gap, _gap_text(agg.gap), summary.n, False, None
    if measure == "ambition":
        if agg.ambition_gap is None:
            return None, "no ambition given", summary.n, False, None
        return agg.ambition_gap, _ambition_text(agg.ambition_gap), summary.n, False, None
    # change since the previous round
    if before is None:
        return None, "no earlier round", summary.n, False, None
    if before.suppressed:
        return None, f"{suppressed_words(threshold)} in {since}", None, True, None
    if before.summary.mean is None:
        return None, f"no responses in {since}", summary.n, False, None
    change = mean - before.summary.mean
    return change, f"{change:+.2f} since {since}", summary.n, False, None


def figures(
    round_: Round, areas: list[Area] | list[MapPlace], measure: str, domain_id: str, threshold: int
) -> list[AreaFigure]:
    """Each area's figure for the measure in one domain (or overall) of the round."""
    published = publish(round_, moderated=False, threshold=threshold)  # once for both reads
    mine = area_aggregates(
        round_, areas, threshold=threshold, published=published, domain_ids=(domain_id,)
    )
    by_area = {a.area.id: a for a in mine}
    if measure in READINESS_MEASURES:
        from ..readiness import area_readiness

        ready = area_readiness(round_, areas, threshold=threshold, published=published)
        return readiness_figures(areas, measure, by_area, ready, threshold)
    before: dict[int, AreaAggregate] = {}
    since = ""
    if measure == "change":
        earlier = previous_round(round_)
        if earlier is not None:
            since = earlier.title
            before = {
                a.area.id: a
                for a in area_aggregates(
                    earlier, areas, threshold=threshold, domain_ids=(domain_id,)
                )
            }
    out = []
    for area in areas:
        agg = by_area.get(area.id)
        if agg is None:
            continue
        value, label, n, suppressed, klass = _figure(
            measure, agg, before.get(area.id), threshold, since
        )
        out.append(AreaFigure(area, agg, value, label, n, suppressed, klass))
    return out


def _readiness_figure(measure: str, ready, threshold: int):
    """(value, label, n, suppressed) of one readiness measure (scoring.readiness)."""
    if ready is None:
        return None, "not asked in this survey", None, False
    if measure == "capacity":
        if not ready.asks_capacity:
            return None, "not asked in this survey", None, False
        if ready.capacity_total is None:
            return None, f"fewer than {threshold} groups", None, True
        total = ready.capacity_total
        return (
            total,
            f"{total:,.0f} a month ({ready.capacity_groups} groups)",
            ready.capacity_groups,
            False,
        )
    share = ready.receiving if measure == "receiving" else ready.supported
    if share is None:
        return None, "not asked in this survey", None, False
    if not share.shown:
        return None, f"not shown: fewer than {threshold} groups either way", None, True
    return (
        share.share,
        f"{share.share:.0%} ({share.yes} of {share.answered})",
        share.answered,
        False,
    )


def readiness_figures(areas, measure, by_area, ready, threshold) -> list[AreaFigure]:
    """Each area's referral readiness measure, from its published figures (survey.readiness)."""
    out = []
    for area in areas:
        agg = by_area.get(area.id)
        if agg is None:
            continue
        value, label, n, suppressed = _readiness_figure(measure, ready.get(area.id), threshold)
        out.append(AreaFigure(area, agg, value, label, n, suppressed, None))
    return out


def scale_for(measure: str) -> Scale:
    """The five-class scale a measure is coloured by."""
    return SCALES[measure]


def domain_choices(round_: Round) -> list[tuple[str, str]]:
    """(domain id, name) of the round's instrument, overall first."""
    from ..instruments_store import instrument_for

    instrument = instrument_for(round_)
    return [(OVERALL, "Overall")] + [(d.id, d.name) for d in instrument.domains]


SORT_KEYS = ("name", "value", "n")


def sort_figures(rows: list[AreaFigure], key: str, descending: bool) -> list[AreaFigure]:
    """Rows sorted by name, value or n; rows without a number always last."""
    if key == "name":
        return sorted(rows, key=lambda r: r.area.name.lower(), reverse=descending)
    attr = "value" if key == "value" else "n"
    known = [r for r in rows if getattr(r, attr) is not None and not r.suppressed]
    seen = {id(r) for r in known}
    unknown = [r for r in rows if id(r) not in seen]
    known.sort(key=lambda r: (getattr(r, attr), r.area.name.lower()), reverse=descending)
    return known + sorted(unknown, key=lambda r: r.area.name.lower())


TYPE_NAMES = {
    "ics": "Integrated care systems",
    "place": "Places",
    "pcn": "Primary care networks",
    "neighbourhood": "Neighbourhoods",
    "lad": "Local authorities",
    "ward": "Wards",
    "msoa": "MSOAs",
    "lsoa": "LSOAs",
}
ATTRIBUTION = (
    "Boundaries: Office for National Statistics, Open Government Licence v3.0; "
    "contains OS data © Crown copyright and database right. Demo areas are fictional."
)


def map_title(choice: dict) -> str:
    """What the map shows: measure, domain, areas, where and when (page, PNG and file)."""
    domain = dict(choice["domains"])[choice["domain"]]
    where = f" in {choice['within'].name}" if choice["within"] else ""
    return (
        f"{MEASURES[choice['measure']]}, {domain.lower()}: "
        f"{TYPE_NAMES[choice['area_type']].lower()}{where}, {choice['round'].title}"
    )
