"""An Open Referral UK (HSDS 3.0 UK profile) feed of the groups that agreed to be listed.

The feed is what an ORUK ``/services`` endpoint returns: one page holding
every service, each with its organisation and its locations nested, so the
ORUK validator and directory tools can read the file as it is. Identifiers
are UUIDs derived from our own ids, so a group keeps the same ids from one
export to the next. Text is copied as given: it is data, never markup.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

# A fixed namespace so that ids are stable across exports and machines.
NAMESPACE = uuid.UUID("5b0f7d3e-6c1a-4c55-9a7e-2f1b8e0c9d41")
ORUK_VERSION = "3.0"
ORUK_PROFILE = "https://openreferraluk.org/"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHARITY_SCHEME = "GB-CHC"


@dataclass(frozen=True)
class ListedLocation:
    """Where a group meets: a postcode area and a point, no street address."""

    key: str
    name: str
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class ListedService:
    """What a group offers people: its activities, who they are for, where."""

    key: str
    name: str
    description: str
    email: str | None = None
    service_area: str | None = None
    last_modified: dt.datetime | None = None


@dataclass(frozen=True)
class ListedOrganisation:
    """A group that consented to be listed, with its services and locations."""

    key: str
    name: str
    description: str
    email: str | None = None
    charity_number: str | None = None
    services: tuple[ListedService, ...] = ()
    locations: tuple[ListedLocation, ...] = ()


def oruk_id(kind: str, key: str) -> str:
    """A stable UUID for one of our things (kind: organisation, service, ...)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _email(value: str | None) -> str | None:
    """An address that looks like one, else nothing (a bad one would fail validation)."""
    value = (value or "").strip()
    return value if _EMAIL.match(value) else None


def _timestamp(value: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the profile asks."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _without_none(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None}


def organisation_record(org: ListedOrganisation) -> dict:
    """The organization object (with its charity number as an identifier)."""
    org_id = oruk_id("organisation", org.key)
    identifiers = []
    if org.charity_number and org.charity_number.strip():
        identifiers.append(
            {
                "id": oruk_id("charity-number", org.key),
                "organization_id": org_id,
                "identifier_scheme": CHARITY_SCHEME,
                "identifier_type": "Charity number",
                "identifier": org.charity_number.strip(),
            }
        )
    return _without_none(
        {
            "id": org_id,
            "name": org.name,
            "description": org.description,
            "email": _email(org.email),
            "organization_identifiers": identifiers,
        }
    )


def location_record(location: ListedLocation) -> dict:
    """A physical location: its name, postcode and point when known."""
    description = f"Postcode {location.postcode}" if location.postcode else None
    return _without_none(
        {
            "id": oruk_id("location", location.key),
            "location_type": "physical",
            "name": location.name,
            "description": description,
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
    )


def service_record(org: ListedOrganisation, service: ListedService) -> dict:
    """A fully nested service: organisation, service area and service at each location."""
    service_id = oruk_id("service", service.key)
    areas = []
    if service.service_area:
        areas.append(
            {
                "id": oruk_id("service-area", service.key),
                "service_id": service_id,
                "name": service.service_area,
                "service_area": service.service_area,
            }
        )
    at_locations = [
        {
            "id": oruk_id("service-at-location", f"{service.key}@{location.key}"),
            "service_id": service_id,
            "location_id": oruk_id("location", location.key),
            "location": location_record(location),
        }
        for location in org.locations
    ]
    return _without_none(
        {
            "id": service_id,
            "organization_id": oruk_id("organisation", org.key),
            "name": service.name,
            "description": service.description,
            "email": _email(service.email) or _email(org.email),
            "status": "active",
            "last_modified": _timestamp(service.last_modified) if service.last_modified else None,
            "organization": organisation_record(org),
            "service_areas": areas,
            "service_at_locations": at_locations,
        }
    )


def oruk_feed(organisations: Iterable[ListedOrganisation]) -> dict:
    """The whole directory as one ORUK ``/services`` page (every service, nested)."""
    services = [service_record(org, s) for org in organisations for s in org.services]
    return {
        "total_items": len(services),
        "total_pages": 1,
        "page_number": 1,
        "size": len(services),
        "first_page": True,
        "last_page": True,
        "empty": not services,
        "contents": services,
    }
