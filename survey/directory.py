"""The public directory: which groups are listed, and their listings, for every reader.

One home for the consent-to-publication rule: ``listed_select`` is the only query of
listed groups, and ``listed_group`` the only way a group becomes a listing, so
``survey export oruk``, the Open Referral UK API and the public listing page publish
the same records. A group that withdraws consent drops out of all of them at once.
Groups' own coordinates are never used here: distance is to the centroid of the
area the listing names.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from exports.oruk import ListedGroup, oruk_feed, oruk_id, oruk_page, service_record
from maps.postcodes import great_circle_metres

from .extensions import db
from .models import Area, Organisation, OrganisationArea


def listed_select() -> sa.Select:
    """Every group that agreed to be listed, in a stable order (by id)."""
    return (
        sa.select(Organisation)
        .where(Organisation.consent_directory.is_(True))
        .order_by(Organisation.id)
    )


def _labels(values) -> list[str]:
    """Activity values from a profile in words ("young-people" -> "young people")."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return []
    return [str(v).replace("_", " ").replace("-", " ") for v in values if str(v).strip()]


def listed_group(org: Organisation) -> ListedGroup:
    """One consenting group as the ORUK core takes it: name, area and activities only."""
    profile = org.profile if isinstance(org.profile, dict) else {}
    return ListedGroup(
        key=str(org.id),
        name=org.name,
        area=org.area.name if org.area is not None else None,
        activities=tuple(_labels(profile.get("activity_types") or profile.get("activity"))),
    )


def directory_feed() -> dict:
    """The ORUK feed of every listed group, by id (what ``survey export oruk`` writes)."""
    orgs = db.session.scalars(listed_select().options(selectinload(Organisation.area)))
    return oruk_feed(listed_group(org) for org in orgs)


@dataclass(frozen=True)
class Filters:
    """What a reader asked for: words, an activity term, an area, a circle round a point.

    ``near`` is (lat, lon, metres): listings whose area's centroid lies within.
    """

    search: str | None = None
    taxonomy_term_id: str | None = None
    area_ids: frozenset[int] | None = None
    near: tuple[float, float, float] | None = None

    @property
    def needs_listings(self) -> bool:
        """True when the filter reads the published text, not just the database."""
        return bool(self.search or self.taxonomy_term_id)


def areas_within(lat: float, lon: float, metres: float) -> frozenset[int]:
    """Areas whose centroid lies within the distance of the point."""
    rows = db.session.execute(
        sa.select(Area.id, Area.centroid_lat, Area.centroid_lon).where(
            Area.centroid_lat.is_not(None), Area.centroid_lon.is_not(None)
        )
    )
    return frozenset(
        area_id
        for area_id, alat, alon in rows
        if great_circle_metres(lat, lon, alat, alon) <= metres
    )


def _filtered(filters: Filters) -> sa.Select:
    query = listed_select()
    if filters.area_ids is not None:
        inside = sa.select(OrganisationArea.organisation_id).where(
            OrganisationArea.area_id.in_(filters.area_ids)
        )
        query = query.where(
            sa.or_(Organisation.id.in_(inside), Organisation.area_id.in_(filters.area_ids))
        )
    if filters.near is not None:
        query = query.where(Organisation.area_id.in_(areas_within(*filters.near)))
    return query


def _matches(group: ListedGroup, service: dict, filters: Filters) -> bool:
    """Search and taxonomy filters, on the published record only (never private fields)."""
    if filters.taxonomy_term_id and filters.taxonomy_term_id not in {
        a["taxonomy_term_id"] for a in service["attributes"]
    }:
        return False
    if filters.search:
        words = filters.search.casefold().split()
        text = " ".join(
            [service["name"], service["description"], *(group.activities or ())]
        ).casefold()
        return all(word in text for word in words)
    return True


def services_page(filters: Filters, page: int, per_page: int) -> dict:
    """One ORUK page of listed services, filtered; the records ``survey export oruk`` writes."""
    query = _filtered(filters)
    start = (page - 1) * per_page
    if not filters.needs_listings:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        orgs = db.session.scalars(
            query.options(selectinload(Organisation.area)).offset(start).limit(per_page)
        )
        contents = [service_record(listed_group(org)) for org in orgs]
        return oruk_page(contents, total_items=total, page_number=page, per_page=per_page)
    matched = []
    for org in db.session.scalars(query.options(selectinload(Organisation.area))):
        group = listed_group(org)
        service = service_record(group)
        if _matches(group, service, filters):
            matched.append(service)
    return oruk_page(
        matched[start : start + per_page],
        total_items=len(matched),
        page_number=page,
        per_page=per_page,
    )


def listed_service(service_id: str) -> dict | None:
    """The fully nested service with this id, if its group is listed now; else None."""
    ids = db.session.scalars(
        sa.select(Organisation.id).where(Organisation.consent_directory.is_(True))
    )
    for org_id in ids:
        if oruk_id("service", str(org_id)) == service_id:
            org = db.session.scalar(listed_select().where(Organisation.id == org_id))
            return service_record(listed_group(org)) if org is not None else None
    return None


def listed_activities() -> list[str]:
    """Every activity some listed group carries: the taxonomy's terms, sorted."""
    labels: set[str] = set()
    for org in db.session.scalars(listed_select().options(selectinload(Organisation.area))):
        labels.update(listed_group(org).activities)
    return sorted(labels)


def page_of(items: list, page: int, per_page: int) -> dict:
    """A short list in memory (the taxonomies) as one ORUK page."""
    start = (page - 1) * per_page
    return oruk_page(
        items[start : start + per_page], total_items=len(items), page_number=page, per_page=per_page
    )
