"""The map's layers: GP practices as points over PCNs, footprint notes, and no group's
location anywhere on the page."""

from __future__ import annotations

import json
import re

import pytest

from survey.extensions import db
from survey.models import Organisation, OrganisationArea, Practice
from tests import factories

from .conftest import square
from .test_pages import get

METHOD = "PCN footprints approximated from practice locations over LSOAs (x.geojson), 2 December 2026"  # fmt: skip


def points_layer(page: str) -> dict | None:
    found = re.search(
        r'<script type="application/json" id="app-map-points">(.*?)</script>', page, re.S
    )
    return json.loads(found.group(1)) if found else None


def test_practices_are_points_over_the_pcn_layer_and_groups_are_never_points(
    client, login, locality
):
    round_, areas = locality
    pcn = factories.area(
        "U1", type="pcn", name="Riverside PCN", parent=areas["ICS"],
        geometry=square(1.0, 52.0, 0.2), display_geometry=square(1.0, 52.0, 0.2),
        footprint_method=METHOD,
    )  # fmt: skip
    db.session.add_all(
        [
            Practice(code="P1", name="River Surgery", pcn_code="U1", lon=1.05, lat=52.05),
            Practice(code="P2", name="No Postcode Found", pcn_code="U1"),  # no location
            Practice(code="P9", name="Elsewhere", pcn_code="U9", lon=3.0, lat=50.0),
        ]
    )
    group = Organisation(
        name="Quiet Club", postcode="PR1 2AA", lon=1.012345, lat=52.012345,
        located_by="postcode", consent_directory=True,
    )  # fmt: skip
    db.session.add(group)
    db.session.flush()
    db.session.add(OrganisationArea(organisation_id=group.id, area_id=pcn.id))
    db.session.commit()
    login("admin")

    page = get(client, "/areas/map?round=confidence-test&type=pcn")
    layer = points_layer(page)
    assert [f["properties"]["tip"] for f in layer["features"]] == [
        "River Surgery (P1), Riverside PCN"
    ]
    assert layer["features"][0]["geometry"] == {"type": "Point", "coordinates": [1.05, 52.05]}
    assert METHOD + "." in page
    assert "Royal Mail" in page and "NHS England" in page
    # The group's location is for placement only: not a digit of it is on the page.
    assert "1.012345" not in page and "52.012345" not in page and "Quiet Club" not in page

    # Other layers carry no points, and no PCN notes.
    page = get(client, "/areas/map?round=confidence-test&type=neighbourhood")
    assert points_layer(page) is None
    assert METHOD not in page


def venues_layer(page: str) -> dict | None:
    found = re.search(
        r'<script type="application/json" id="app-map-venues">(.*?)</script>', page, re.S
    )
    return json.loads(found.group(1)) if found else None


def test_a_group_is_a_point_only_at_the_public_venue_its_listing_publishes(
    client, login, locality, monkeypatch
):
    from survey.models import DirectoryEntry

    round_, areas = locality
    pcn = factories.area(
        "U1", type="pcn", name="Riverside PCN", parent=areas["ICS"],
        geometry=square(1.0, 52.0, 0.2), display_geometry=square(1.0, 52.0, 0.2),
    )  # fmt: skip
    other = factories.area(
        "U2", type="pcn", name="Hill PCN", parent=areas["ICS"],
        geometry=square(2.0, 52.0, 0.2), display_geometry=square(2.0, 52.0, 0.2),
    )  # fmt: skip
    public = {"venue_public": "yes", "venue_name": "St Mary's Hall", "venue_postcode": "PR1 1AA"}
    # (name, listed, entry, venue point, area): the first and last are drawn. The second
    # named a private place (a point left behind is still not drawn), the third is not
    # listed, the fourth has no location for its venue; the last is in the other PCN.
    cases = [
        ("Soup Club", True, {**public, "categories": ["food"]}, (1.0712, 52.0734), pcn),
        ("Home Knitters", True, {**public, "venue_public": "no"}, (1.09, 52.09), pcn),
        ("Unlisted Choir", False, public, (1.11, 52.11), pcn),
        ("Nowhere Yet", True, public, None, pcn),
        ("Hill Walkers", True, public, (2.05, 52.05), other),
    ]
    for name, listed, details, point, area in cases:
        group = Organisation(
            name=name, consent_directory=listed, lon=1.012345, lat=52.012345,
            located_by="postcode",
        )  # fmt: skip
        db.session.add(group)
        db.session.flush()
        db.session.add(OrganisationArea(organisation_id=group.id, area_id=area.id))
        lon, lat = point or (None, None)
        db.session.add(
            DirectoryEntry(organisation_id=group.id, details=details, venue_lon=lon, venue_lat=lat)
        )
    db.session.commit()
    login("admin")

    page = get(client, "/areas/map?round=confidence-test&type=pcn")
    layer = venues_layer(page)
    tips = {f["properties"]["tip"]: f["geometry"]["coordinates"] for f in layer["features"]}
    assert tips == {"Soup Club: food": [1.0712, 52.0734], "Hill Walkers": [2.05, 52.05]}
    for hidden in ("Home Knitters", "Unlisted Choir", "Nowhere Yet", "1.012345", "1.09", "1.11"):
        assert hidden not in page
    # The layer is kept while the directory is unchanged: the same map again is not made
    # afresh (10,000 venues on a national map); the changes below each make a new one.
    from survey import directory

    with monkeypatch.context() as patched:
        patched.setattr(directory, "venue_layer", lambda markers: pytest.fail("made again"))
        assert venues_layer(get(client, "/areas/map?round=confidence-test&type=pcn")) == layer
    # only the areas shown: a neighbourhood map of areas without these groups has none
    page = get(client, "/areas/map?round=confidence-test&type=neighbourhood")
    assert venues_layer(page) is None and "Soup Club" not in page
    # Drawn again after changes made elsewhere (plain SQL, as another process would):
    # the venue moved, and one group withdrew its consent; each shows on the next map.
    import sqlalchemy as sa

    soup = db.session.scalar(sa.select(Organisation.id).where(Organisation.name == "Soup Club"))
    hill = db.session.scalar(sa.select(Organisation.id).where(Organisation.name == "Hill Walkers"))
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE directory_entry SET venue_lon = 1.08 WHERE organisation_id = :id"),
            {"id": soup},
        )
    page = get(client, "/areas/map?round=confidence-test&type=pcn")
    tips = {f["properties"]["tip"]: f["geometry"]["coordinates"] for f in venues_layer(page)["features"]}  # fmt: skip
    assert tips == {"Soup Club: food": [1.08, 52.0734], "Hill Walkers": [2.05, 52.05]}
    db.session.commit()  # the test's session ends its read, as each request's does
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE organisation SET consent_directory = false WHERE id = :id"),
            {"id": hill},
        )
    page = get(client, "/areas/map?round=confidence-test&type=pcn")
    assert [f["properties"]["tip"] for f in venues_layer(page)["features"]] == ["Soup Club: food"]
    assert "Hill Walkers" not in page
