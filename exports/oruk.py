"""An Open Referral UK (HSDS 3.0 UK profile) feed of the groups that agreed to be listed.

The feed is what an ORUK ``/services`` endpoint returns: one page holding
every service, each with its organisation and service area nested, so the
ORUK validator and directory tools can read the file as it is. A listing
carries only what the group agreed to publish (PUBLISHED_FIELDS): no email,
postcode, coordinates or charity number. Identifiers
are UUIDs derived from our own ids, so a group keeps the same ids from one
export to the next. Text is copied as given: it is data, never markup.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache

# A fixed namespace so that ids are stable across exports and machines.
NAMESPACE = uuid.UUID("5b0f7d3e-6c1a-4c55-9a7e-2f1b8e0c9d41")
ORUK_VERSION = "3.0"
ORUK_PROFILE = "https://openreferraluk.org/"
# The API root's "version" and "profile", as in the ORUK validator's passing example.
API_VERSION = "HSDS-UK-3.0"
API_PROFILE = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
# Activities are published as taxonomy terms of one small taxonomy of our own: the
# activity question's answers, in words. Its terms are only those listed groups carry.
TAXONOMY_NAME = "Community group activities"
TAXONOMY_DESCRIPTION = (
    "What a listed group says it runs, from the survey's question "
    "'What kinds of activities does your group run?'."
)

# Consent is publication: the directory question names exactly these, in these words,
# and the feed is built from a ListedGroup that holds nothing else. Add a field here
# and the question the group answers changes with it.
PUBLISHED_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "your group’s name"),
    ("area", "area"),
    ("activities", "activities"),
)


def _in_words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def directory_consent_hint() -> str:
    """The consent question's hint: what the public listing shows, from PUBLISHED_FIELDS."""
    shown = _in_words([words for _, words in PUBLISHED_FIELDS])
    return (
        "The directory helps link workers and local people find your group. "
        f"It shows {shown}, not your answers."
    )


@dataclass(frozen=True)
class ListedGroup:
    """A group that consented to be listed: only what the consent question named.

    ``key`` is our own id; it leaves only as a UUID derived from it.
    """

    key: str
    name: str
    area: str | None = None
    activities: tuple[str, ...] = ()


if [f.name for f in fields(ListedGroup)][1:] != [name for name, _ in PUBLISHED_FIELDS]:
    raise RuntimeError("ListedGroup must hold exactly the PUBLISHED_FIELDS")  # pragma: no cover


@lru_cache(maxsize=200_000)
def oruk_id(kind: str, key: str) -> str:
    """A stable UUID for one of our things (kind: organisation, service, ...).

    Exactly ``str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))``, worked out without building
    UUID objects (a page of services needs hundreds of them).
    """
    digest = bytearray(hashlib.sha1(NAMESPACE.bytes + f"{kind}:{key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def group_description(group: ListedGroup) -> str:
    """The listing's text, from the area and activities only."""
    where = f" in {group.area}" if group.area else ""
    text = f"A community group{where}."
    if group.activities:
        text += " Activities: " + ", ".join(group.activities) + "."
    return text


def organisation_record(group: ListedGroup) -> dict:
    """The organization object: its name and the listing's text."""
    return {
        "id": oruk_id("organisation", group.key),
        "name": group.name,
        "description": group_description(group),
    }


def taxonomy_id() -> str:
    """The id of the activities taxonomy."""
    return oruk_id("taxonomy", "activities")


def taxonomy_term_record(label: str) -> dict:
    """One activity as a taxonomy term (its id comes from the words, so it is stable)."""
    return {
        "id": oruk_id("taxonomy-term", label),
        "name": label,
        "description": f"Groups whose activities include {label}.",
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": taxonomy_id(),
        "term": label,
    }


def taxonomy_record(labels: Iterable[str], *, with_terms: bool = True) -> dict:
    """The activities taxonomy, with its terms (sorted) unless asked for the bare record."""
    record = {"id": taxonomy_id(), "name": TAXONOMY_NAME, "description": TAXONOMY_DESCRIPTION}
    if with_terms:
        record["taxonomy_terms"] = [taxonomy_term_record(label) for label in sorted(set(labels))]
    return record


def service_record(group: ListedGroup) -> dict:
    """A fully nested service: its organisation, the area it serves and its activities."""
    service_id = oruk_id("service", group.key)
    areas = []
    if group.area:
        areas.append(
            {
                "id": oruk_id("service-area", group.key),
                "service_id": service_id,
                "name": group.area,
                "service_area": group.area,
            }
        )
    return {
        "id": service_id,
        "organization_id": oruk_id("organisation", group.key),
        "name": group.name,
        "description": group_description(group),
        "status": "active",
        "organization": organisation_record(group),
        "service_areas": areas,
        "attributes": [
            {
                "id": oruk_id("attribute", f"{group.key}:{label}"),
                "link_id": service_id,
                "link_type": "activity",
                "link_entity": "service",
                "taxonomy_term_id": oruk_id("taxonomy-term", label),
                "taxonomy_term": taxonomy_term_record(label),
            }
            for label in dict.fromkeys(group.activities)
        ],
    }


def oruk_page(contents: list, *, total_items: int, page_number: int, per_page: int) -> dict:
    """One page of an ORUK paged list, its bookkeeping worked out from the counts.

    There is always at least one page (an empty list is page 1 of 1); a page past the
    last is empty and says so. ``empty`` is about this page's contents.
    """
    total_pages = max(1, math.ceil(total_items / per_page))
    return {
        "total_items": total_items,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def oruk_feed(groups: Iterable[ListedGroup]) -> dict:
    """The whole directory as one ORUK ``/services`` page (one service per group, nested)."""
    services = [service_record(group) for group in groups]
    return oruk_page(
        services, total_items=len(services), page_number=1, per_page=max(1, len(services))
    )
