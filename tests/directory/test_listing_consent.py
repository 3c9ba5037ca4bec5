"""Consent shows the listing: everything the feed and API publish was on the listing the
group saw on its consent question, and a meeting place only as a public venue it named."""

from __future__ import annotations

import html
import json
import re

import sqlalchemy as sa

from exports.oruk import oruk_id
from survey.demo import load_demo
from survey.extensions import db
from survey.journey.links import ensure_private_token
from survey.models import DirectoryEntry, Invitation, Organisation

from ..oruk_schema import feed_errors, service_errors

# Values the profile fixes (the same for every group), not text about a group.
VOCABULARY = {
    "status": {"active"},
    "location_type": {"physical"},
    "address_type": {"physical"},
    "country": {"GB"},
    "link_type": {"activity"},
    "link_entity": {"service"},
    "state_province": {""},
    "taxonomy": {"Community group activities"},
}
FULL = {
    "offers": "Soup and a chat every week",
    "eligibility": "Anyone over 60",
    "times": "Tuesdays 12 to 2pm",
    "venue_public": "yes",
    "venue_name": "St Mary’s Hall",
    "venue_address": "1 Church Lane",
    "venue_town": "Lancaster",
    "venue_postcode": "LA1 4YW",
    "cost": "£2 a bowl",
    "accessibility": "Step-free, hearing loop",
    "email": "soup@example.org",
    "phone": "01524 000000",
    "website": "https://soup.example.org/times",
    "categories": ["social_group", "befriending"],
}
# A group that gave its meeting place but did not call it a public venue.
PRIVATE_PLACE = {
    "offers": "Quiet knitting",
    "venue_public": "no",
    "venue_name": "Flat 3 Rose Court",
}


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _leaves(value, key=None, parent=None):
    """(key, parent key, string) for every string in a record, ids left out."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, k, key)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, key, parent)
    elif isinstance(value, str) and key != "id" and not key.endswith("_id"):
        yield key, parent, value


def _unseen(record: dict, seen: str) -> list[str]:
    """Published strings of one record that were not on the listing the group saw."""
    missing = []
    for key, parent, text in _leaves(record):
        if text in VOCABULARY.get(key, ()):
            continue
        if parent == "taxonomy_term" and key == "description":
            text = text.removeprefix("Groups whose activities include ").removesuffix(".")
        if key == "assured_date":  # shown in words: "2 December 2026"
            year, month, day = text.split("-")
            if not re.search(rf"Last confirmed {int(day)} \w+ {year}", seen):
                missing.append(f"{key}: {text!r}")
            continue
        if " ".join(text.split()) not in seen:
            missing.append(f"{key}: {text!r}")
    return missing


def test_every_published_field_was_on_the_listing_the_group_saw(app, client, cli, tmp_path):
    load_demo(seed=3, groups=24)
    listed = list(
        db.session.scalars(sa.select(Organisation).where(Organisation.consent_directory.is_(True)))
    )
    # Two listed groups the demo gave no entry of their own, so these entries are theirs.
    has_entry = set(db.session.scalars(sa.select(DirectoryEntry.organisation_id)))
    full, private = [o for o in listed if o.id not in has_entry][:2]
    private_values = {
        oruk_id("service", str(o.id)): (o.email, o.postcode, o.charity_number) for o in listed
    }
    tokens = {}
    db.session.add(DirectoryEntry(organisation_id=full.id, details=FULL))
    db.session.add(DirectoryEntry(organisation_id=private.id, details=PRIVATE_PLACE))
    db.session.execute(
        sa.update(DirectoryEntry)
        .where(DirectoryEntry.organisation_id == full.id)
        .values(confirmed_at=sa.func.current_timestamp())
    )
    seen = {}
    for org in listed:
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.organisation_id == org.id).limit(1)
        )
        tokens[org.id] = ensure_private_token(invitation)
    full_id, private_id = full.id, private.id
    db.session.commit()
    for org_id, token in tokens.items():
        page = client.get(f"/r/{token}/consent")
        assert page.status_code == 200
        preview = re.search(
            r'<dl class="govuk-summary-list" id="listing-preview">.*?</dl>',
            page.get_data(as_text=True),
            re.S,
        )
        seen[oruk_id("service", str(org_id))] = _text(preview.group(0))

    out = tmp_path / "feed.json"
    assert cli("export", "oruk", "-o", str(out)).exit_code == 0
    exported_page = json.loads(out.read_text(encoding="utf-8"))
    exported = exported_page["contents"]
    listing = client.get("/oruk/services?per_page=100").get_json()["contents"]
    singles = [client.get(f"/oruk/services/{s['id']}").get_json() for s in listing]
    assert len(exported) == len(listing) == len(singles) == len(listed) == 18
    for record in exported + listing + singles:
        assert _unseen(record, seen[record["id"]]) == [], record["name"]

    # The full entry is published field by field; the walk above is not vacuous.
    mine = next(s for s in singles if s["id"] == oruk_id("service", str(full_id)))
    place = mine["service_at_locations"][0]["location"]
    assert (place["name"], place["addresses"][0]["postal_code"]) == ("St Mary’s Hall", "LA1 4YW")
    assert (mine["email"], mine["url"], mine["phones"][0]["number"]) == (
        "soup@example.org",
        "https://soup.example.org/times",
        "01524 000000",
    )
    assert [a["taxonomy_term"]["name"] for a in mine["attributes"]] == [
        "social group",
        "befriending",
    ]
    assert "Who it is for: Anyone over 60" in mine["description"]
    assert service_errors(mine) == [] and feed_errors(exported_page) == []
    assert _unseen(mine, "nothing") != []  # the check can fail
    # A meeting place not named a public venue: only the area, in the preview and out.
    knit = oruk_id("service", str(private_id))
    assert "Flat 3 Rose Court" not in seen[knit]
    assert "Where Contact the group for details" in seen[knit]
    assert "Flat 3 Rose Court" not in json.dumps(exported + listing + singles)
    # Nothing private from the group's own record: its email, postcode, coordinates.
    for record in exported:
        for private_value in private_values[record["id"]]:
            assert not private_value or private_value not in json.dumps(record)
