"""The Open Referral UK feed: valid against the UK profile 3.0 schemas, consenting groups only."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from exports.oruk import ListedGroup, Venue, directory_consent_hint, oruk_feed
from survey.extensions import db
from survey.models import AuditEvent

from .. import factories
from ..oruk_schema import FORMULA, SCRIPT, feed_errors, service_errors


def _group(key: str, name: str = "Riverside Lunch Club", **fields) -> ListedGroup:
    fields.setdefault("area", "Riverside neighbourhood")
    fields.setdefault("activities", ("food", "older people"))
    return ListedGroup(key=key, name=name, **fields)


def test_the_validator_is_not_vacuous():
    feed = oruk_feed([_group("1")])
    del feed["contents"][0]["name"]
    feed["contents"][0]["status"] = "open"
    feed["contents"][0]["organization"]["id"] = "not-a-uuid"
    errors = feed_errors(feed)
    assert any("'name' is a required property" in e for e in errors)
    assert any("'open' is not one of" in e for e in errors)
    assert any("organization.id" in e and "uuid" in e for e in errors)


def test_a_feed_of_groups_is_valid_and_nests_organisation_and_area():
    feed = oruk_feed([_group("1"), _group("2", name="Walking Group")])
    assert feed_errors(feed) == []
    assert (feed["total_items"], feed["size"], feed["empty"]) == (2, 2, False)
    first = feed["contents"][0]
    assert first["organization_id"] == first["organization"]["id"]
    assert first["service_areas"][0]["service_id"] == first["id"]
    assert first["service_areas"][0]["name"] == "Riverside neighbourhood"
    assert first["description"] == (
        "A community group in Riverside neighbourhood. Activities: food, older people."
    )
    assert first["organization"]["description"] == first["description"]


def test_the_consent_hint_promises_the_listing_shown_and_the_venue_rule():
    hint = directory_consent_hint()
    assert "exactly as set out here, never your answers" in hint
    assert "only if you name it as a public venue; otherwise only your area" in hint


def test_ids_are_stable_uuids_and_differ_between_groups():
    one, again = oruk_feed([_group("1")]), oruk_feed([_group("1")])
    other = oruk_feed([_group("2")])
    assert one == again
    assert uuid.UUID(one["contents"][0]["id"]).version == 5
    assert one["contents"][0]["id"] != other["contents"][0]["id"]


def test_ids_are_the_standard_uuid5_of_kind_and_key():
    from exports.oruk import NAMESPACE, oruk_id

    for kind, key in [("service", "1"), ("organisation", "20000"), ("taxonomy-term", "café ß")]:
        assert oruk_id(kind, key) == str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def test_the_activities_taxonomy_keeps_the_id_it_was_published_with():
    """Directories that read the feed filter by taxonomy_id: it is the uuid5 of
    "taxonomy:activities" in our namespace, and must never move."""
    from exports.oruk import NAMESPACE, taxonomy_id

    assert taxonomy_id() == str(uuid.uuid5(NAMESPACE, "taxonomy:activities"))


def test_an_empty_feed_is_valid():
    feed = oruk_feed([])
    assert feed_errors(feed) == []
    assert feed["empty"] is True and feed["contents"] == []


def test_a_group_without_area_or_activities_is_still_valid():
    feed = oruk_feed([ListedGroup(key="9", name="No Frills")])
    assert feed_errors(feed) == []
    item = feed["contents"][0]
    assert item["service_areas"] == [] and item["description"] == "A community group."


def test_user_text_survives_as_data():
    feed = oruk_feed([_group("1", name=SCRIPT, area=FORMULA)])
    text = json.dumps(feed, ensure_ascii=False)
    back = json.loads(text)
    assert back["contents"][0]["name"] == SCRIPT
    assert back["contents"][0]["organization"]["name"] == SCRIPT
    assert back["contents"][0]["service_areas"][0]["name"] == FORMULA
    assert feed_errors(back) == []


def test_export_oruk_lists_only_groups_that_consented(app, cli, tmp_path):
    hood = factories.area(name="Riverside", type="neighbourhood")
    factories.organisation(
        name=SCRIPT,
        area=hood,
        postcode="ZZ1 2AB",
        email="lunch@example.org",
        charity_number="1100001",
        profile={"activity": "food"},
        lat=53.7,
        lon=-2.7,
        consent_directory=True,
    )
    factories.organisation(name=FORMULA, area=hood, consent_directory=True)
    factories.organisation(name="Private Knit and Natter", area=hood, consent_directory=False)
    db.session.commit()
    out = tmp_path / "feed.json"
    result = cli("export", "oruk", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 2 listed groups" in result.output
    feed = json.loads(out.read_text(encoding="utf-8"))
    assert feed_errors(feed) == []
    names = sorted(s["name"] for s in feed["contents"])
    assert names == sorted([SCRIPT, FORMULA])
    assert "Private Knit and Natter" not in out.read_text(encoding="utf-8")
    listed = next(s for s in feed["contents"] if s["name"] == SCRIPT)
    assert listed["description"] == "A community group in Riverside. Activities: food."
    text = out.read_text(encoding="utf-8")
    assert not any(v in text for v in ("ZZ1 2AB", "lunch@example.org", "1100001", "53.7"))
    db.session.remove()
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export-oruk"))
    assert audit is not None and audit.detail == {"services": 2}
    result = cli("export", "oruk", "-o", str(tmp_path / "nowhere" / "f.json"))
    assert result.exit_code == 1
    assert "does not exist" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "nowhere").exists()


def test_export_oruk_of_the_demo_is_valid(app, cli, tmp_path):
    assert cli("demo", "--groups", "24", "--seed", "3").exit_code == 0
    out = tmp_path / "demo.json"
    assert cli("export", "oruk", "-o", str(out)).exit_code == 0
    feed = json.loads(out.read_text(encoding="utf-8"))
    assert feed_errors(feed) == []
    db.session.remove()
    from survey.models import Organisation

    consenting = db.session.scalar(
        sa.select(sa.func.count()).where(Organisation.consent_directory.is_(True))
    )
    assert 0 < feed["total_items"] == consenting


def test_a_full_entry_publishes_each_field_where_the_uk_profile_puts_it():
    from exports.oruk import Venue, oruk_id, service_record

    hall = Venue("St Mary's Hall", "1 Church Lane", "Lancaster", "LA1 1AA")
    group = _group(
        "7", offers="Soup and a chat.", eligibility="Anyone over 60", times="Tuesdays 12-2",
        venue=hall, cost="Free", accessibility="Step-free entrance", email="hi@club.org",
        phone="01524 000000", website="https://club.example.org", confirmed="2026-11-30",
    )  # fmt: skip
    record = service_record(group)
    assert service_errors(record) == []
    service_id = oruk_id("service", "7")
    assert record["description"] == (
        "Soup and a chat.\n\nWho it is for: Anyone over 60\n\nAccessibility: Step-free entrance"
    )
    assert (record["email"], record["url"], record["assured_date"]) == (
        "hi@club.org", "https://club.example.org", "2026-11-30",
    )  # fmt: skip
    # the public venue is one physical location at a UK address, linked both ways by id
    [at] = record["service_at_locations"]
    location = at["location"]
    assert (at["service_id"], at["location_id"]) == (service_id, oruk_id("location", "7"))
    assert at["id"] == oruk_id("service-at-location", "7")  # each record's own stable id
    assert (location["id"], location["location_type"], location["name"]) == (
        oruk_id("location", "7"), "physical", "St Mary's Hall",
    )  # fmt: skip
    [address] = location["addresses"]
    assert address == {
        "id": oruk_id("address", "7"), "location_id": location["id"],
        "address_1": "1 Church Lane", "city": "Lancaster", "state_province": "",
        "postal_code": "LA1 1AA", "country": "GB", "address_type": "physical",
    }  # fmt: skip
    [access] = location["accessibility"]
    assert (access["location_id"], access["description"]) == (location["id"], "Step-free entrance")
    assert access["id"] == oruk_id("accessibility", "7")
    assert [s["description"] for s in record["schedules"]] == ["Tuesdays 12-2"]
    assert [c["amount_description"] for c in record["cost_options"]] == ["Free"]
    assert [p["number"] for p in record["phones"]] == ["01524 000000"]
    assert {s["service_id"] for s in record["schedules"] + record["cost_options"]} == {service_id}
    # every record has its own id, the same in every export: uuid5 of its kind and the group
    # (an activity's, of the group and the activity), so a reader can match them next time
    assert [r["id"] for r in record["service_areas"]] == [oruk_id("service-area", "7")]
    assert [r["id"] for r in record["schedules"]] == [oruk_id("schedule", "7")]
    assert [r["id"] for r in record["cost_options"]] == [oruk_id("cost-option", "7")]
    assert [r["id"] for r in record["phones"]] == [oruk_id("phone", "7")]
    assert [r["id"] for r in record["attributes"]] == [
        oruk_id("attribute", "7:food"), oruk_id("attribute", "7:older people"),
    ]  # fmt: skip
    # a group that named no public venue has no location at all, and no address
    private = service_record(_group("8", accessibility="Step-free"))
    assert private["service_at_locations"] == [] and "Church Lane" not in json.dumps(private)


def test_the_listing_a_group_agrees_to_is_labelled_in_these_words_in_this_order():
    """The rows a group agrees to publish are what its consent is about: the consent
    question, the check page and the public page all show them under these labels. A
    group that gives everything gets every row; one that gives nothing optional gets its
    name, what it does and where to ask, and no empty rows."""
    from exports.oruk import listing_rows

    hall = Venue("St Mary's Hall", "1 Church Lane", "Lancaster", "LA1 1AA")
    full = _group(
        "7", offers="Soup and a chat.", venue=hall, times="Tuesdays 12-2", cost="Free",
        email="hi@club.org", phone="01524 000000", website="https://club.example.org",
        confirmed="2026-11-30",
    )  # fmt: skip
    assert [label for label, _ in listing_rows(full)] == [
        "Name", "About", "Area", "Where", "When", "Cost", "Categories", "Email", "Phone",
        "Website", "Last confirmed",
    ]  # fmt: skip
    assert dict(listing_rows(full))["Categories"] == "food, older people"
    bare = listing_rows(ListedGroup(key="8", name="Quiet Club"))
    assert [label for label, _ in bare] == ["Name", "About", "Where"]
    assert bare[2] == ("Where", "Contact the group for details")


def test_the_consent_hint_is_these_words_and_no_others():
    """The words a group agrees under are part of its consent: what the directory is
    for, that the listing shown is all it publishes, and the meeting-place rule. A
    change to them is a change to what groups were told, made on purpose here."""
    assert directory_consent_hint() == (
        "The directory helps link workers and local people find your group. It shows "
        "your listing exactly as set out here, never your answers. Your meeting place is "
        "shown only if you name it as a public venue; otherwise only your area."
    )


def test_a_confirmed_date_reads_in_words_from_a_date_or_a_timestamp():
    from exports.oruk import in_words_date

    assert in_words_date("2026-12-02") == "2 December 2026"
    assert in_words_date("2026-01-31T23:59:59") == "31 January 2026"


def test_a_venue_reads_as_one_line_of_its_parts_that_are_given():
    from exports.oruk import Venue

    assert Venue("St Mary's Hall", "1 Church St", "Lancaster", "LA1 1AA").text() == (
        "St Mary's Hall, 1 Church St, Lancaster, LA1 1AA"
    )
    assert Venue("The Hub", "", "Morecambe", "").text() == "The Hub, Morecambe"
