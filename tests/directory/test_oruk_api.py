"""The Open Referral UK API (and the listing page): valid UK profile 3.0 replies, consistent paging, listed groups only."""

from __future__ import annotations

import json

import sqlalchemy as sa

from exports.oruk import oruk_id, taxonomy_id
from survey.demo import load_demo
from survey.extensions import db
from survey.models import Area, AuditEvent, DirectoryEntry, Organisation, Postcode

from .. import factories
from ..journey.conftest import hidden_fields
from ..oruk_schema import (
    FORMULA,
    SCRIPT,
    feed_errors,
    paging_errors,
    service_errors,
    taxonomy_errors,
)

PER_PAGE = 5


def _pages(client, query: str = "", per_page: int = PER_PAGE) -> list[dict]:
    """Every page of /oruk/services, read in order until one says it is the last."""
    pages = []
    for number in range(1, 100):
        reply = client.get(f"/oruk/services?page={number}&per_page={per_page}{query}")
        assert reply.status_code == 200, reply.get_data(as_text=True)
        pages.append(reply.get_json())
        if pages[-1]["last_page"]:
            return pages
    raise AssertionError("no last page")


def _consenting() -> int:
    """Listed groups counted independently of the app's own query."""
    return db.session.execute(
        sa.text("SELECT count(*) FROM organisation WHERE consent_directory = :yes"), {"yes": True}
    ).scalar_one()


def _ids(pages: list[dict]) -> list[str]:
    return [s["id"] for page in pages for s in page["contents"]]


def test_every_page_and_service_of_the_demo_is_valid_and_consistent(app, client, cli, tmp_path):
    load_demo(seed=3, groups=24)
    db.session.commit()
    pages = _pages(client)
    # The demo lists every group but each fourth (i % 4 != 0): 18 of 24, so 4 pages of 5.
    assert _consenting() == 18
    assert [p["total_items"] for p in pages] == [18] * 4
    assert [p["size"] for p in pages] == [5, 5, 5, 3]
    assert [(p["first_page"], p["last_page"]) for p in pages] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
    ]
    assert paging_errors(pages, PER_PAGE) == []
    for page in pages:
        assert feed_errors(page) == []
    past = client.get(f"/oruk/services?page=5&per_page={PER_PAGE}").get_json()
    assert (past["size"], past["empty"], past["last_page"], past["total_items"]) == (
        0,
        True,
        True,
        18,
    )
    listed = {s["id"]: s for page in pages for s in page["contents"]}
    for service_id, in_list in listed.items():
        reply = client.get(f"/oruk/services/{service_id}")
        assert reply.status_code == 200
        assert service_errors(reply.get_json()) == []
        assert reply.get_json() == in_list
    # The API and the export publish the same records.
    out = tmp_path / "feed.json"
    assert cli("export", "oruk", "-o", str(out)).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))["contents"]
    assert {s["id"]: s for s in exported} == listed
    # Nothing else is reachable: a group that is not listed has no service.
    private = db.session.scalars(
        sa.select(Organisation.id).where(Organisation.consent_directory.is_(False))
    ).all()
    assert len(private) == 6
    for org_id in private:
        assert client.get(f"/oruk/services/{oruk_id('service', str(org_id))}").status_code == 404
        assert oruk_id("service", str(org_id)) not in listed


# Fields whose values are codes from the ORUK schema's enumerations, not words a group
# wrote or a reader would search for ("physical", "active", "service", "GB").
_CODES = {"location_type", "address_type", "status", "link_type", "link_entity", "country"}


def _record_text(record) -> str:
    """Every string a group wrote in an ORUK record (no ids, no codes), joined."""
    if isinstance(record, dict):
        return " ".join(
            _record_text(v)
            for k, v in record.items()
            if k != "id" and not k.endswith("_id") and k not in _CODES
        )
    if isinstance(record, list):
        return " ".join(_record_text(v) for v in record)
    return record if isinstance(record, str) else ""


def test_filters_by_words_activity_and_area(app, client):
    load_demo(seed=3, groups=24)
    db.session.commit()
    everything = {s["id"]: s for page in _pages(client, per_page=100) for s in page["contents"]}
    # Area: every listed group whose own area, or an area above it, has the code.
    place = db.session.scalar(sa.select(Area).where(Area.type == "place").order_by(Area.id))
    inside = {
        oruk_id("service", str(org.id))
        for org in db.session.scalars(
            sa.select(Organisation).where(Organisation.consent_directory.is_(True))
        )
        if org.area is not None and (org.area == place or place in org.area.ancestors())
    }
    pages = _pages(client, f"&area_code={place.code}", per_page=2)
    assert set(_ids(pages)) == inside and 0 < len(inside) < len(everything)
    assert paging_errors(pages, 2) == []
    # An activity term: exactly the services that carry it.
    term = next(iter(everything.values()))["attributes"][0]["taxonomy_term"]
    carrying = {
        i
        for i, s in everything.items()
        if term["id"] in {a["taxonomy_term_id"] for a in s["attributes"]}
    }
    pages = _pages(client, f"&taxonomy_term_id={term['id']}", per_page=2)
    assert set(_ids(pages)) == carrying and len(carrying) > 0
    assert paging_errors(pages, 2) == []
    assert set(_ids(_pages(client, f"&taxonomy_id={taxonomy_id()}"))) == set(everything)
    other_taxonomy = "&taxonomy_id=00000000-0000-4000-8000-000000000000"
    assert _pages(client, other_taxonomy)[0]["total_items"] == 0
    # Words: every word, in any case, anywhere in the published record's text (its
    # name, description, activities, times, venue...), never in its ids.
    word = term["name"].split()[0].upper()
    found = set(_ids(_pages(client, f"&search={word}")))
    assert found == {
        i for i, s in everything.items() if word.casefold() in _record_text(s).casefold()
    }
    assert found >= carrying
    assert _pages(client, "&search=zzqx%20nothing")[0]["empty"] is True


def test_postcode_and_proximity_measure_to_the_area_never_the_group(app, client):
    # Two areas 1.0 and about 11.1 km north of a postcode's centroid (0.009 and 0.1 degrees
    # of latitude at 111.2 km a degree); the groups' own points are elsewhere entirely.
    near = factories.area(name="Near", centroid_lat=53.759, centroid_lon=-2.7)
    far = factories.area(name="Far", centroid_lat=53.85, centroid_lon=-2.7)
    db.session.add(Postcode(postcode="PR1 2AA", lat=53.75, lon=-2.7))
    factories.organisation(
        name="Near group", area=near, consent_directory=True, lat=53.85, lon=-2.7
    )
    factories.organisation(name="Far group", area=far, consent_directory=True, lat=53.75, lon=-2.7)
    factories.organisation(name="Near but private", area=near, consent_directory=False)
    db.session.commit()

    def names(query: str) -> set[str]:
        reply = client.get(f"/oruk/services?{query}")
        assert reply.status_code == 200, reply.get_json()
        return {s["name"] for s in reply.get_json()["contents"]}

    assert names("postcode=pr12aa&proximity=1500") == {"Near group"}
    assert names("postcode=PR1%202AA&proximity=900") == set()
    assert names("postcode=PR1 2AA&proximity=12000") == {"Near group", "Far group"}
    for reply in [client.get("/oruk/services"), client.get("/oruk/services/x")]:
        assert "53.85" not in reply.get_data(as_text=True)
    assert client.get("/oruk/services?postcode=PR9 9ZZ&proximity=100").status_code == 404


def test_bad_parameters_are_refused_in_json(app, client):
    for query in [
        "page=0",
        "page=x",
        "page=%C2%B2",
        "per_page=%D9%A1",
        "per_page=101",
        "per_page=-1",
        "taxonomy_term_id=not-a-uuid",
        "postcode=PR1 2AA",
        "proximity=100",
        "postcode=nonsense&proximity=100",
        "postcode=PR1 2AA&proximity=-5",
        "postcode=PR1 2AA&proximity=nan",
        "search=" + "x" * 201,
        "bogus=1",
        "page=1&page=2",
        "search=%00",
    ]:
        reply = client.get(f"/oruk/services?{query}")
        assert reply.status_code == 400, query
        assert reply.is_json and reply.get_json()["error"], query
    assert client.get("/oruk/services?area_code=NOWHERE").status_code == 404
    assert client.get("/oruk/services/" + "f" * 5000).status_code == 404
    assert client.get("/oruk/no/such/thing").get_json()["error"]


def test_root_taxonomies_and_openapi(app, client):
    hood = factories.area(name="Riverside")
    factories.organisation(
        area=hood, consent_directory=True, profile={"activity_types": ["befriending", "advice"]}
    )
    factories.organisation(area=hood, consent_directory=False, profile={"activity": "secret_club"})
    db.session.commit()
    root = client.get("/oruk/").get_json()
    assert root["version"] == "HSDS-UK-3.0"
    assert root["profile"] == "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
    assert root["openapi_url"].endswith("/oruk/openapi.json")
    page = client.get("/oruk/taxonomies").get_json()
    assert (page["total_items"], page["size"], page["last_page"]) == (1, 1, True)
    [taxonomy] = page["contents"]
    assert taxonomy_errors(taxonomy) == []
    # Terms come from listed groups only: the private group's activity is not among them.
    assert [t["name"] for t in taxonomy["taxonomy_terms"]] == ["advice", "befriending"]
    assert client.get(f"/oruk/taxonomies/{taxonomy['id']}").get_json() == taxonomy
    assert client.get("/oruk/taxonomies/" + "0" * 36).status_code == 404
    document = client.get("/oruk/openapi.json").get_json()
    assert {"/", "/services", "/services/{id}", "/taxonomies", "/taxonomies/{id}"} <= set(
        document["paths"]
    )
    described = {p["name"] for p in document["paths"]["/services"]["get"]["parameters"]}
    assert described == {
        "page",
        "per_page",
        "search",
        "taxonomy_term_id",
        "taxonomy_id",
        "area_code",
        "postcode",
        "proximity",
    }


def test_script_and_formula_names_come_out_as_inert_json_text(app, client):
    hood = factories.area(name=FORMULA)
    org = factories.organisation(name=SCRIPT, area=hood, consent_directory=True)
    db.session.commit()
    reply = client.get("/oruk/services")
    assert reply.mimetype == "application/json"
    assert reply.headers.get("X-Content-Type-Options") == "nosniff"
    [service] = reply.get_json()["contents"]
    assert service["name"] == service["organization"]["name"] == SCRIPT
    assert service["service_areas"][0]["name"] == FORMULA  # not prefixed or escaped
    assert feed_errors(reply.get_json()) == []
    one = client.get(f"/oruk/services/{oruk_id('service', str(org.id))}")
    assert one.mimetype == "application/json" and one.get_json()["name"] == SCRIPT


def test_a_group_that_withdraws_consent_disappears_everywhere(app, client, cli, tmp_path):
    load_demo(seed=3, groups=24)
    round_ = factories.survey_round()
    vale = factories.area(code="T-VALE", name="Withdraw Vale")
    org = factories.organisation(name="Withdrawing Walkers", area=vale, consent_directory=True)
    invited = factories.invitation(round_, org)
    db.session.flush()
    venue = {"venue_public": "yes", "venue_name": "Withdraw Hall", "phone": "01524 111111"}
    db.session.add(DirectoryEntry(organisation_id=org.id, details=venue))
    db.session.commit()
    org_id = org.id
    service_id = oruk_id("service", str(org_id))
    assert client.get(f"/oruk/services/{service_id}").status_code == 200
    assert service_id in _ids(_pages(client, per_page=100))
    before = _consenting()
    assert "Withdrawing Walkers" in client.get("/directory/T-VALE").get_data(as_text=True)
    assert "Withdraw Hall" in client.get(f"/oruk/services/{service_id}").get_data(as_text=True)

    url = f"/r/{invited.token}/consent"
    form = hidden_fields(client.get(url).get_data(as_text=True))
    choices = {"consent_broker": "no", "consent_area_lead": "no", "consent_directory": "no"}
    assert client.post(url, data={**form, **choices}).status_code == 302
    db.session.expire_all()

    assert _consenting() == before - 1
    assert client.get(f"/oruk/services/{service_id}").status_code == 404
    assert "Withdrawing Walkers" not in client.get("/directory/T-VALE").get_data(as_text=True)
    pages = _pages(client)
    assert service_id not in _ids(pages)
    assert pages[0]["total_items"] == before - 1
    assert paging_errors(pages, PER_PAGE) == []
    out = tmp_path / "feed.json"
    assert cli("export", "oruk", "-o", str(out)).exit_code == 0
    for gone in ("Withdrawing Walkers", "Withdraw Hall", "01524 111111"):
        assert gone not in out.read_text(encoding="utf-8")
        assert gone not in client.get("/directory/T-VALE").get_data(as_text=True)
    assert service_id not in out.read_text(encoding="utf-8")
    db.session.remove()
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "consent-changed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.target == f"organisation:{org_id}"
    assert event.detail["after"]["consent_directory"] is False


def test_a_listing_changed_behind_the_apps_back_is_what_the_next_reply_carries(app, client):
    """Each record's JSON is made once per version of its group: a change to any stored
    column a listing is built from, even by plain SQL from another process, is in the
    very next reply of every endpoint."""
    hood = factories.area(code="T-MILL", name="Mill Ward")
    org = factories.organisation(
        name="Old name", area=hood, consent_directory=True, profile={"activity": "advice"}
    )
    db.session.flush()
    db.session.add(DirectoryEntry(organisation_id=org.id, details={"times": "Mondays"}))
    db.session.commit()
    one = f"/oruk/services/{oruk_id('service', str(org.id))}"

    def reads() -> list[dict]:
        [listed] = client.get("/oruk/services").get_json()["contents"]
        [searched] = client.get("/oruk/services?search=mill").get_json()["contents"]
        return [client.get(one).get_json(), listed, searched]

    assert [r["name"] for r in reads()] == ["Old name"] * 3
    changes = [
        ("UPDATE organisation SET name = 'New name' WHERE id = :id", "name", "New name"),
        ("UPDATE area SET name = 'Mill Vale' WHERE id = :area", "area", "Mill Vale"),
        (
            "UPDATE directory_entry SET details = :details WHERE organisation_id = :id",
            "times",
            "Fridays",
        ),
        (
            "UPDATE organisation SET profile = :profile WHERE id = :id",
            "activity",
            "gardening nature",
        ),
    ]
    values = {
        "id": org.id,
        "area": hood.id,
        "details": json.dumps({"times": "Fridays"}),
        "profile": json.dumps({"activity": "gardening_nature"}),
    }
    for sql, what, expected in changes:
        db.session.execute(sa.text(sql), values)
        db.session.commit()
        for reply in reads():
            seen = {
                "name": reply["name"],
                "area": reply["service_areas"][0]["name"],
                "times": [s["description"] for s in reply["schedules"]],
                "activity": [a["taxonomy_term"]["name"] for a in reply["attributes"]],
            }[what]
            assert seen in (expected, [expected]), (what, seen)
    term = oruk_id("taxonomy-term", "gardening nature")
    assert client.get(f"/oruk/services?taxonomy_term_id={term}").get_json()["total_items"] == 1
    old_term = oruk_id("taxonomy-term", "advice")
    assert client.get(f"/oruk/services?taxonomy_term_id={old_term}").get_json()["empty"]


def test_the_listing_cache_keeps_at_most_its_limit_and_replies_stay_whole(app, client, monkeypatch):
    """Past the cache's limit the oldest listing makes way; every reply still carries
    every listed group, each record whole (the dropped ones are built again)."""
    from survey import directory

    monkeypatch.setattr(directory, "_LISTINGS", {})
    monkeypatch.setattr(directory, "MAX_CACHED_LISTINGS", 2)
    hood = factories.area(code="T-CAP", name="Cap Ward")
    names = [f"Group {n}" for n in range(5)]
    for name in names:
        factories.organisation(name=name, area=hood, consent_directory=True)
    db.session.commit()
    for _ in range(2):
        reply = client.get("/oruk/services?per_page=10").get_json()
        assert sorted(s["name"] for s in reply["contents"]) == names
        assert len(directory._LISTINGS) == 2


def test_the_streamed_export_is_the_one_page_feed_of_every_listed_group(app):
    """write_feed streams in batches (here of 7, so the demo's 18 listed groups take
    three); what it writes is the core's one-page feed of the same listings."""
    import io

    from exports.oruk import oruk_feed
    from survey import directory

    load_demo(seed=3, groups=24)
    db.session.commit()
    out = io.BytesIO()
    assert directory.write_feed(out, batch=7) == 18
    groups = [listing.group for listing in directory._listings(directory.listed_select())]
    assert json.loads(out.getvalue()) == oruk_feed(groups)
    assert len(groups) == 18 and feed_errors(oruk_feed(groups)) == []


def test_the_paging_check_is_not_vacuous():
    def page(number, ids, **fields):
        contents = [{"id": i} for i in ids]
        return {
            "total_items": 3,
            "total_pages": 2,
            "page_number": number,
            "size": len(contents),
            "first_page": number == 1,
            "last_page": number == 2,
            "empty": not contents,
            "contents": contents,
            **fields,
        }

    assert paging_errors([page(1, "ab"), page(2, "c")], 2) == []
    assert paging_errors([page(1, "ab"), page(2, "b")], 2) == ["a service appears on two pages"]
    assert paging_errors([page(1, "ab", last_page=True), page(2, "c")], 2) == [
        "page 1: last_page is True, not False"
    ]
    assert "page 2: size is 5, not 1" in paging_errors([page(1, "ab"), page(2, "c", size=5)], 2)
    assert "page 1: not full (1 of 2)" in paging_errors([page(1, "a"), page(2, "c")], 2)


def test_an_activity_term_finds_every_spelling_of_its_value(app, client):
    hood = factories.area(name="Hood")
    for value in ("young-people", "young_people", ["young people", "advice"], "young%people"):
        factories.organisation(area=hood, consent_directory=True, profile={"activity": value})
    factories.organisation(area=hood, consent_directory=False, profile={"activity": "young_people"})
    factories.organisation(area=hood, consent_directory=True, profile={"activity": "younger"})
    db.session.commit()
    term = oruk_id("taxonomy-term", "young people")
    # Twice: the first reply reads every listing, the second may cut first in SQL.
    for _ in range(2):
        page = client.get(f"/oruk/services?taxonomy_term_id={term}").get_json()
        assert page["total_items"] == 3
    odd = oruk_id("taxonomy-term", "young%people")
    for _ in range(2):
        assert client.get(f"/oruk/services?taxonomy_term_id={odd}").get_json()["total_items"] == 1
