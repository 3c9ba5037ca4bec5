"""A group fills in and updates its directory entry from its own link, one thing per page;
bad input is refused with a message or stored as text; the API and the page show it."""

from __future__ import annotations

import sqlalchemy as sa

from exports.oruk import oruk_id
from survey.extensions import db
from survey.models import AuditEvent, DirectoryEntry

from .. import factories
from ..journey.conftest import hidden_fields, per_request_globals, text_of  # noqa: F401
from ..oruk_schema import FORMULA, SCRIPT, service_errors


def _group(consent=True):
    round_ = factories.survey_round()
    area = factories.area(code="T-ENTRY", name="Entry Vale")
    org = factories.organisation(
        name="Soup Club", area=area, consent_directory=consent, email="private@example.org"
    )
    invitation = factories.invitation(round_, org)
    invitation.private_token = f"private-{org.id}-token"
    db.session.commit()
    return org.id, invitation.private_token


def _post(client, url, data):
    form = hidden_fields(client.get(url).get_data(as_text=True))
    return client.post(url, data={**form, **data})


def test_a_group_fills_in_its_entry_with_bad_input_refused_then_updates_it(app, client):
    org_id, token = _group()
    base = f"/r/{token}/listing"
    assert client.get(base).headers["Location"].endswith(f"{base}/offers")  # nothing yet

    refused = {
        "offers": [("", "Enter what your group offers"), ("x" * 10_000, "1,000 characters")],
        "venue": [
            (
                {
                    "venue_name": "Hall",
                    "venue_address": "1 Lane",
                    "venue_town": "Lancaster",
                    "venue_postcode": "LA1",
                },
                "Enter a real postcode",
            )
        ],
        "contact": [
            ({"website": "javascript:alert(1)"}, "Enter a website address"),
            ({"website": "https://bad host.example"}, "Enter a website address"),
            ({"email": "soup@"}, "Enter an email address in the correct format"),
            ({"phone": "=1+2"}, "Enter a phone number"),
        ],
        "categories": [({"categories": ["social_group", "hacking"]}, "Select from the categories")],
    }
    answers = {
        "offers": {"offers": SCRIPT},
        "eligibility": {"eligibility": "Anyone over 60"},
        "times": {"times": "Tuesdays 12 to 2pm"},
        "where": {"venue_public": "yes"},
        "venue": {
            "venue_name": "St Mary’s Hall",
            "venue_address": "1 Church Lane",
            "venue_town": "Lancaster",
            "venue_postcode": "la1 4yw",
        },
        "cost": {"cost": FORMULA},
        "accessibility": {"accessibility": "Step-free"},
        "contact": {
            "email": "soup@example.org",
            "phone": "01524 000000",
            "website": "https://soup.example.org/",
        },
        "categories": {"categories": ["social_group", "befriending"]},
    }
    for slug, data in answers.items():
        for bad, message in refused.get(slug, []):
            bad = bad if isinstance(bad, dict) else {slug: bad}
            reply = _post(client, f"{base}/{slug}", bad)
            assert reply.status_code == 400, slug
            text = text_of(reply.get_data(as_text=True))
            assert "There is a problem" in text and message in text, (slug, text)
        reply = _post(client, f"{base}/{slug}", data)
        assert reply.status_code == 302, reply.get_data(as_text=True)
    assert reply.headers["Location"].endswith(base)
    # Nothing is published before the group saves its check page.
    service = oruk_id("service", str(org_id))
    assert "Tuesdays" not in client.get(f"/oruk/services/{service}").get_data(as_text=True)
    check = client.get(base).get_data(as_text=True)
    assert "<script>alert" not in check
    assert "Check your directory listing" in text_of(check)
    assert "LA1 4YW" in text_of(check)  # the postcode, stored in its usual form
    assert _post(client, base, {}).status_code == 302

    record = client.get(f"/oruk/services/{service}").get_json()
    assert service_errors(record) == []
    assert record["description"].startswith(SCRIPT)  # as typed: text, never markup
    assert record["cost_options"][0]["amount_description"] == FORMULA
    assert record["schedules"][0]["description"] == "Tuesdays 12 to 2pm"
    address = record["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["address_1"], address["postal_code"]) == ("1 Church Lane", "LA1 4YW")
    assert "private@example.org" not in str(record)
    page = client.get("/directory/T-ENTRY").get_data(as_text=True)
    assert "<script>alert" not in page and SCRIPT in text_of(page)
    assert "Tuesdays 12 to 2pm" in text_of(page)
    # Search finds words from the entry, name, area, venue and the listing's own sentence
    # (the SQL first cut never loses one), and nothing else.
    for word, found in [
        ("TUESDAYS", 1),
        ("soup", 1),
        ("vale", 1),
        ("lancaster", 1),
        ("over", 1),
        ("community", 0),
        ("knitting", 0),
        ("befriending", 1),
    ]:
        reply = client.get(f"/oruk/services?search={word}").get_json()
        assert reply["total_items"] == found, word

    # Later: new times, and the venue is no longer public (only the area is shown).
    assert (
        _post(client, f"{base}/times?change=1", {"times": "Fridays 10am"})
        .headers["Location"]
        .endswith(base)
    )
    assert _post(client, f"{base}/where?change=1", {"venue_public": "no"}).status_code == 302
    assert "Tuesdays" in text_of(client.get("/directory/T-ENTRY").get_data(as_text=True))
    assert _post(client, base, {}).status_code == 302
    page = text_of(client.get("/directory/T-ENTRY").get_data(as_text=True))
    assert "Fridays 10am" in page and "Tuesdays" not in page
    assert "Where Contact the group for details" in page and "Church Lane" not in page
    record = client.get(f"/oruk/services/{service}").get_json()
    assert record["service_at_locations"] == [] and service_errors(record) == []
    db.session.remove()
    entry = db.session.get(DirectoryEntry, org_id)
    assert entry.venue_postcode is None and entry.details["venue_name"] == ""
    saves = db.session.scalars(
        sa.select(AuditEvent.actor).where(AuditEvent.action == "directory-entry-saved")
    ).all()
    assert saves == [f"group:{org_id}"] * 2


def test_still_right_is_one_click_and_needs_the_form_key(app, client):
    org_id, token = _group(consent=False)
    base = f"/r/{token}/listing"
    _post(client, f"{base}/offers", {"offers": "Knitting"})
    check = text_of(client.get(base).get_data(as_text=True))
    assert "has not agreed to be listed" in check  # a draft of a group that is not listed
    _post(client, base, {})
    db.session.execute(sa.update(DirectoryEntry).values(confirmed_at=sa.func.date("2020-01-01")))
    db.session.commit()
    page = text_of(client.get(base).get_data(as_text=True))
    assert "more than six months ago" in page
    bare = client.post(f"{base}/still-right")
    assert bare.status_code == 400, bare.headers.get("Location")  # no CSRF key
    form = hidden_fields(client.get(base).get_data(as_text=True))
    assert client.post(f"{base}/still-right", data=form).status_code == 302
    page = text_of(client.get(base).get_data(as_text=True))
    assert "marked as still right today" in page and "more than six months" not in page
    # Not listed: nothing is published, whatever the entry says.
    assert client.get(f"/oruk/services/{oruk_id('service', str(org_id))}").status_code == 404
