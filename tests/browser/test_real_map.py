"""The map page and its file on a real borough: Lewisham's 2021 LSOAs, its GP practices and
postcodes, PCN footprints built from them and four neighbourhoods, drawn in Chromium.

The demo's squares cannot show what real boundaries do to a page (thousands of vertices,
multipolygons, holes); this draws the layers an ICP analyst would build from the README.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from survey.commands.main import main
from survey.extensions import db
from tests import factories

from .conftest import axe_violations

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LSOAS = DATA / "geo" / "lewisham_lsoa_2021.geojson"
# Lewisham's seven PCNs (the data README), the ones whose practices lie in its LSOAs
LEWISHAM_PCNS = {"U53896", "U21222", "U58020", "U23546", "U42936", "U22506", "U11059"}


def build_lewisham(live_server, monkeypatch, tmp_path) -> None:
    """The README's commands for one borough, against the live server's database."""
    monkeypatch.setenv("DATABASE_URL", live_server.app.config["SQLALCHEMY_DATABASE_URI"])
    names = {
        f["properties"]["LSOA21CD"]: f["properties"]["LSOA21NM"]
        for f in json.loads(LSOAS.read_text())["features"]
    }
    lookup = tmp_path / "neighbourhoods.csv"
    with lookup.open("w", newline="") as handle:  # by MSOA number: 1-9, 10-18, 19-27, 28-37
        writer = csv.writer(handle)
        writer.writerow(["LSOA21CD", "NBH_CODE", "NBH_NAME"])
        for code, name in names.items():
            quarter = min((int(name[-4:-1]) - 1) // 9, 3) + 1
            writer.writerow([code, f"LN{quarter}", f"Lewisham neighbourhood {quarter}"])
    groups = tmp_path / "groups.csv"  # Lewisham Town Hall's postcode (Catford)
    groups.write_text("name,postcode,email\nCatford Lunch Club,SE6 4RU,lunch@example.org\n")
    steps = [
        ("import", "boundaries", LSOAS, "--type", "lsoa", "--code-field", "LSOA21CD",
         "--name-field", "LSOA21NM"),
        ("import", "practices", DATA / "pcn" / "gp_practice_pcn_oct2025_lsc_lincs_sel.csv",
         "--icb", "QKK"),
        ("import", "postcodes", DATA / "postcodes" / "codepoint_open_2025_selondon.csv"),
        ("areas", "build-pcns", "--from", "lsoa"),
        ("import", "neighbourhoods", lookup, "--from", "lsoa"),
        ("import", "organisations", groups),
    ]  # fmt: skip
    runner = CliRunner()
    for step in steps:
        result = runner.invoke(main, [str(s) for s in step], catch_exceptions=False)
        assert result.exit_code == 0, (step, result.output)
    with live_server.app.app_context():
        from survey.models import DirectoryEntry, Organisation, Postcode

        # the club is listed and meets at a public venue: its one point on the map
        club = db.session.query(Organisation).filter_by(name="Catford Lunch Club").one()
        club.consent_directory = True
        hall = db.session.get(Postcode, "SE6 4RU")
        venue = {"venue_public": "yes", "venue_name": "Civic Suite", "categories": ["food"]}
        db.session.add(DirectoryEntry(organisation_id=club.id, details=venue,
                                      venue_postcode="SE6 4RU", venue_lat=hall.lat,
                                      venue_lon=hall.lon))  # fmt: skip
        factories.survey_round("confidence", slug="lewisham-2026")
        factories.user(role="admin", email="analyst@example.org")
        db.session.commit()


def test_lewisham_pcns_and_neighbourhoods_draw_offline_and_accessibly(
    live_server, page, monkeypatch, tmp_path
):
    from .test_map_page import PASSWORD

    build_lewisham(live_server, monkeypatch, tmp_path)
    page.goto(live_server.url + "/sign-in")
    page.fill("#email", "analyst@example.org")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for area_type, expected in (("pcn", LEWISHAM_PCNS), ("neighbourhood", {"LN1", "LN2", "LN3", "LN4"})):  # fmt: skip
        requests.clear()
        page.goto(f"{live_server.url}/areas/map?round=lewisham-2026&type={area_type}")
        page.wait_for_selector("#app-map[data-areas-drawn]")
        data = json.loads(page.locator("#app-map-data").text_content())
        codes = {f["properties"]["code"] for f in data["areas"]["features"]}
        assert expected <= codes  # (PCNs with a practice just over the border come too)
        drawn = page.locator("#app-map path.app-map__area")
        assert drawn.count() == len(codes) == int(page.get_attribute("#app-map", "data-areas-drawn"))  # fmt: skip
        # the map's notes say how the footprints were made, as the issue asks
        if area_type == "pcn":
            page.wait_for_selector("#app-map[data-practices-drawn]")
            assert int(page.get_attribute("#app-map", "data-practices-drawn")) > 30
            assert "approximated from practice locations" in page.content()
        # the listed club's public venue is drawn on both layers, with its listing's words
        page.wait_for_selector("#app-map[data-venues-drawn]")
        assert page.get_attribute("#app-map", "data-venues-drawn") == "1"
        page.locator("#app-map path.app-map__venue").hover()
        assert page.locator(".leaflet-tooltip").last.inner_text() == "Catford Lunch Club: food"
        assert all(u.startswith(live_server.url + "/") for u in requests), requests
        assert page.console_errors == [] and page.external_requests == []
        assert axe_violations(page) == []

        with page.expect_download() as download:
            page.click("#map-file")
        saved = tmp_path / f"lewisham-{area_type}.html"
        download.value.save_as(saved)
        requests.clear()
        page.route(saved.as_uri(), lambda route: route.continue_())
        page.goto(saved.as_uri())
        page.wait_for_selector("#app-map path.app-map__area")
        assert requests == [saved.as_uri()]  # the file itself, and nothing else
        assert page.locator("#app-map path.app-map__area").count() == len(codes)
        assert page.console_errors == []
