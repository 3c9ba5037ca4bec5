"""An Open Referral UK (HSDS 3.0 UK profile) feed of the groups that agreed to be listed.

The feed is what an ORUK ``/services`` endpoint returns: one page holding
every service, each with its organisation and service area nested, so the
ORUK validator and directory tools can read the file as it is. A listing
carries only what the group saw on its listing before it agreed (listing_rows of
PUBLISHED_FIELDS): never the group's private email, postcode, coordinates or charity
number; a meeting place only as a public venue the group named. Identifiers
are UUIDs derived from our own ids, so a group keeps the same ids from one
export to the next. Text is copied as given: it is data, never markup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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

# Consent is publication: the directory question shows the group its listing built
# from a ListedGroup (listing_rows), and the feed is built from the same ListedGroup,
# which holds nothing else. Add a field here and the listing the group sees changes too.
PUBLISHED_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "your group’s name"),
    ("area", "area"),
    ("activities", "categories"),
    ("offers", "what you offer"),
    ("eligibility", "who it is for"),
    ("times", "when"),
    ("venue", "a public venue, if you name one"),
    ("cost", "cost"),
    ("accessibility", "accessibility"),
    ("email", "public email"),
    ("phone", "public phone"),
    ("website", "website"),
    ("confirmed", "when you last confirmed it"),
)

# The directory entry a group keeps (survey.models.DirectoryEntry.details): its keys.
# "venue_public" is "yes" (a public venue, published with its address) or "no"
# (contact the group for details: only the area is published).
ENTRY_FIELDS = (
    "offers",
    "eligibility",
    "times",
    "venue_public",
    "venue_name",
    "venue_address",
    "venue_town",
    "venue_postcode",
    "cost",
    "accessibility",
    "email",
    "phone",
    "website",
    "categories",
)

# The categories a group can choose: a small documented taxonomy, the answers of the
# survey's question "What kinds of activities does your group run?" (no LGA / ORUK
# service-type list is in ../shared/data/oruk). Published as the activities taxonomy's
# terms, in words ("arts_creative" -> "arts creative"), as the survey's answers are.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("arts_creative", "Arts, music and crafts"),
    ("physical_activity", "Sport, exercise and walking"),
    ("social_group", "Social groups and lunch clubs"),
    ("befriending", "Befriending"),
    ("gardening_nature", "Gardening and nature"),
    ("learning_skills", "Learning and new skills"),
    ("advice", "Advice (money, debt, benefits, housing)"),
    ("peer_support", "Peer support and self-help"),
    ("volunteering", "Volunteering opportunities"),
    ("other", "Something else"),
)
NO_VENUE = "Contact the group for details"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
MONTHS += ("September", "October", "November", "December")


def directory_consent_hint() -> str:
    """The consent question's hint (the listing itself is shown beside it)."""
    return (
        "The directory helps link workers and local people find your group. It shows "
        "your listing exactly as set out here, never your answers. Your meeting place is "
        "shown only if you name it as a public venue; otherwise only your area."
    )


@dataclass(frozen=True)
class Venue:
    """A meeting place the group named as a public venue (published with its address)."""

    name: str
    address: str
    town: str
    postcode: str

    def text(self) -> str:
        """The venue in one line, as the listing shows it."""
        return ", ".join(
            part for part in (self.name, self.address, self.town, self.postcode) if part
        )


@dataclass(frozen=True)
class ListedGroup:
    """A group that consented to be listed: only what its listing shows (listing_rows).

    ``key`` is our own id; it leaves only as a UUID derived from it. ``confirmed`` is
    the ISO date the group last said its entry is right.
    """

    key: str
    name: str
    area: str | None = None
    activities: tuple[str, ...] = ()
    offers: str = ""
    eligibility: str = ""
    times: str = ""
    venue: Venue | None = None
    cost: str = ""
    accessibility: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    confirmed: str | None = None


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
    """The listing's text: what the group offers (else a sentence from its area and
    activities), who it is for and its accessibility, one paragraph each."""
    if group.offers:
        text = group.offers
    else:
        where = f" in {group.area}" if group.area else ""
        text = f"A community group{where}."
        if group.activities:
            text += " Activities: " + ", ".join(group.activities) + "."
    if group.eligibility:
        text += "\n\nWho it is for: " + group.eligibility
    if group.accessibility:
        text += "\n\nAccessibility: " + group.accessibility
    return text


def in_words_date(iso: str) -> str:
    """ "2026-12-02" -> "2 December 2026"."""
    day = dt.date.fromisoformat(iso[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def listing_rows(group: ListedGroup) -> list[tuple[str, str]]:
    """The listing as every reader sees it, field by field: (label, text).

    The consent question, the group's check page and the public directory page all
    show these rows; the ORUK record (service_record) carries nothing that is not here.
    """
    rows = [("Name", group.name), ("About", group_description(group))]
    if group.area:
        rows.append(("Area", group.area))
    rows.append(("Where", group.venue.text() if group.venue else NO_VENUE))
    optional = (
        ("When", group.times),
        ("Cost", group.cost),
        ("Categories", ", ".join(group.activities)),
        ("Email", group.email),
        ("Phone", group.phone),
        ("Website", group.website),
        ("Last confirmed", in_words_date(group.confirmed) if group.confirmed else ""),
    )
    rows.extend((label, text) for label, text in optional if text)
    return rows


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


def _location(group: ListedGroup, service_id: str) -> list[dict]:
    """The public venue as a service-at-location (none when the group named none)."""
    venue = group.venue
    if venue is None:
        return []
    location_id = oruk_id("location", group.key)
    location = {
        "id": location_id,
        "location_type": "physical",
        "name": venue.name,
        "addresses": [
            {
                "id": oruk_id("address", group.key),
                "location_id": location_id,
                "address_1": venue.address,
                "city": venue.town,
                "state_province": "",
                "postal_code": venue.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        ],
    }
    if group.accessibility:
        location["accessibility"] = [
            {
                "id": oruk_id("accessibility", group.key),
                "location_id": location_id,
                "description": group.accessibility,
            }
        ]
    return [
        {
            "id": oruk_id("service-at-location", group.key),
            "service_id": service_id,
            "location_id": location_id,
            "location": location,
        }
    ]


def service_record(group: ListedGroup) -> dict:
    """A fully nested service: its organisation, area, venue, times, cost, contact, activities."""
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
    record = {
        "id": service_id,
        "organization_id": oruk_id("organisation", group.key),
        "name": group.name,
        "description": group_description(group),
        "status": "active",
    }
    if group.email:
        record["email"] = group.email
    if group.website:
        record["url"] = group.website
    if group.confirmed:
        record["assured_date"] = group.confirmed
    record |= {
        "organization": organisation_record(group),
        "service_areas": areas,
        "service_at_locations": _location(group, service_id),
        "schedules": [
            {"id": oruk_id("schedule", group.key), "service_id": service_id, "description": t}
            for t in [group.times]
            if t
        ],
        "cost_options": [
            {
                "id": oruk_id("cost-option", group.key),
                "service_id": service_id,
                "amount_description": c,
            }
            for c in [group.cost]
            if c
        ],
        # Not in the UK profile's service; as HSDS 3.0 has it (the profile allows more).
        "phones": [
            {"id": oruk_id("phone", group.key), "service_id": service_id, "number": p}
            for p in [group.phone]
            if p
        ],
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
    return record


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


def oruk_page_json(
    contents: list[str], *, total_items: int, page_number: int, per_page: int
) -> str:
    """oruk_page as compact JSON text, its contents given as each item's JSON text."""
    page = oruk_page(contents, total_items=total_items, page_number=page_number, per_page=per_page)
    del page["contents"]  # last, as in oruk_page: spliced in as it is
    head = json.dumps(page, separators=(",", ":"))
    return head[:-1] + ',"contents":[' + ",".join(contents) + "]}"


def oruk_feed(groups: Iterable[ListedGroup]) -> dict:
    """The whole directory as one ORUK ``/services`` page (one service per group, nested).

    ``survey export oruk`` streams exactly this a batch of groups at a time
    (survey.directory.write_feed); a test holds the two equal.
    """
    services = [service_record(group) for group in groups]
    return oruk_page(
        services, total_items=len(services), page_number=1, per_page=max(1, len(services))
    )
