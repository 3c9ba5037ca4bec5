"""Finding 5: the directory feed carries only what the consent question named."""

from __future__ import annotations

import json
import re
import uuid

import sqlalchemy as sa

from survey.extensions import db
from survey.models import DirectoryEntry, Organisation

from .. import factories

# Every leaf of the feed (list positions dropped) and what it carries, for groups with no
# directory entry of their own: what their consent question shows, the group's name,
# its area, a sentence of area and activities, ids we make up, or the page's own bookkeeping.
CARRIES = {
    "total_items": "page",
    "total_pages": "page",
    "page_number": "page",
    "size": "page",
    "first_page": "page",
    "last_page": "page",
    "empty": "page",
    "contents.id": "id",
    "contents.organization_id": "id",
    "contents.organization.id": "id",
    "contents.service_areas.id": "id",
    "contents.service_areas.service_id": "id",
    "contents.status": "listed",
    "contents.name": "name",
    "contents.organization.name": "name",
    "contents.description": "area and activities",
    "contents.organization.description": "area and activities",
    "contents.service_areas.name": "area",
    "contents.service_areas.service_area": "area",
    # Each activity is also a term of the activities taxonomy, linked by an attribute.
    "contents.attributes.id": "id",
    "contents.attributes.link_id": "id",
    "contents.attributes.taxonomy_term_id": "id",
    "contents.attributes.taxonomy_term.id": "id",
    "contents.attributes.taxonomy_term.taxonomy_id": "id",
    "contents.attributes.link_type": "constant",
    "contents.attributes.link_entity": "constant",
    "contents.attributes.taxonomy_term.taxonomy": "constant",
    "contents.attributes.taxonomy_term.name": "activity",
    "contents.attributes.taxonomy_term.term": "activity",
    "contents.attributes.taxonomy_term.description": "activity sentence",
}
# The fixed words of the attribute links: the same for every group, so they say nothing.
CONSTANTS = {"activity", "service", "Community group activities"}


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
    else:
        yield ".".join(path), value


def _consent_hint(client) -> str:
    """The directory question's hint as a group sees it on its consent page."""
    round_ = factories.survey_round()
    invited = factories.invitation(round_, factories.organisation())
    db.session.commit()
    page = client.get(f"/r/{invited.token}/consent")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)))
    return text[text.index("public directory") :]


def test_finding_05_directory_feed_carries_only_consented_fields(app, cli, client, tmp_path):
    assert cli("demo", "--groups", "24", "--seed", "3").exit_code == 0
    out = tmp_path / "feed.json"
    assert cli("export", "oruk", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    feed = json.loads(text)
    db.session.remove()
    hint = _consent_hint(client)
    # The question shows the listing itself (tests/directory/test_listing_consent.py walks
    # every published field back to it); its hint promises nothing else is shown.
    assert "It shows your listing exactly as set out here, never your answers" in hint
    assert "Name" in hint and "Where Contact the group for details" in hint

    orgs = {
        str(uuid.uuid5(uuid.UUID("5b0f7d3e-6c1a-4c55-9a7e-2f1b8e0c9d41"), f"service:{o.id}")): o
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.consent_directory.is_(True))
        )
    }
    assert len(feed["contents"]) == len(orgs) > 0
    # The demo gives most listed groups an entry of their own (what they publish is walked
    # back to their preview in tests/directory/test_listing_consent.py); the rest publish
    # only what the consent question names, field by field here.
    has_entry = set(db.session.scalars(sa.select(DirectoryEntry.organisation_id)))
    without = [s for s in feed["contents"] if orgs[s["id"]].id not in has_entry]
    assert 0 < len(without) < len(feed["contents"])
    for service in without:
        org = orgs[service["id"]]
        activities = org.profile.get("activity_types") or org.profile.get("activity") or []
        activities = [activities] if isinstance(activities, str) else activities
        for path, value in _leaves(service, ("contents",)):
            assert path in CARRIES, f"{path} is not something the group agreed to publish"
            kind = CARRIES[path]
            if kind == "name":
                assert value == org.name
            elif kind == "area":
                assert value == org.area.name
            elif kind == "area and activities":
                assert value.startswith(f"A community group in {org.area.name}.")
                for word in value.split("Activities: ", 1)[1:]:
                    listed = word.rstrip(".").split(", ")
                    assert len(listed) == len(activities)
            elif kind == "id":
                assert uuid.UUID(value).version == 5
            elif kind == "constant":
                assert value in CONSTANTS
            elif kind == "activity":
                assert value in [a.replace("_", " ").replace("-", " ") for a in activities]
            elif kind == "activity sentence":
                assert value.startswith("Groups whose activities include ")
                assert value.removeprefix("Groups whose activities include ")[:-1] in [
                    a.replace("_", " ").replace("-", " ") for a in activities
                ]
            else:
                assert value == "active"
    for path, _ in _leaves({k: v for k, v in feed.items() if k != "contents"}):
        assert CARRIES[path] == "page"

    consenting = list(orgs.values())
    assert any(o.email and o.postcode and o.lat is not None for o in consenting)
    for org in consenting:
        for private in (org.email, org.postcode, org.charity_number):
            assert not private or private not in text, private
        for number in (org.lat, org.lon):
            digits = str(number)
            assert digits[: digits.index(".") + 4] not in text, digits
