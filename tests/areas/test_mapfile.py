"""The shareable map file (folium): the map page's figures, nothing fetched, bad input refused.

Expected values are worked out from the fixture's scores (tests/areas/conftest.py): the
confidence instrument's levels start at 1.0, 1.8, 2.6, 3.4 and 4.2, and the level scale
colours level k with the k-th of YlGnBu's five colours.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from survey.extensions import db

from .test_pages import get, map_features, table_rows

LEAFLET = Path(__file__).resolve().parents[2] / "survey/static/leaflet"
LEAFLET_JS = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
URL = re.compile(r"https?://[^\s\"'<>)]+")
# The only absolute URLs the file may hold: the SVG namespace, and those inside the
# vendored Leaflet itself (bug links in leaflet.css comments, the "Leaflet" attribution
# prefix in leaflet.js, unused: the map has no attribution control). None is loaded:
# the parse finds no src, href or url() to them.
ALLOWED_URLS = {"http://www.w3.org/2000/svg"} | set(
    URL.findall(LEAFLET_JS + (LEAFLET / "leaflet.css").read_text(encoding="utf-8"))
)


class Page(HTMLParser):
    """What a browser would load from a page: attributes naming files, CSS url()s, scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.anchors: list[str] = []
        self.table: dict[str, list[str]] = {}
        self._tag = None
        self._row = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._tag = tag
        if tag == "a" and attrs.get("href"):
            self.anchors.append(attrs["href"])
        else:
            for name in ("src", "href", "srcset", "poster", "data", "action", "background"):
                if attrs.get(name):
                    self.loads.append(attrs[name])
        if attrs.get("style"):
            self.styles.append(attrs["style"])
        if tag == "tr" and attrs.get("data-code"):
            self._row = self.table.setdefault(attrs["data-code"], [])

    def handle_endtag(self, tag):
        self._tag = None
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._tag == "script":
            self.scripts.append(data)
        elif self._tag == "style":
            self.styles.append(data)
        elif self._tag == "td" and self._row is not None:
            self._row.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def embedded_geojson(text: str) -> dict:
    """The FeatureCollection folium passes to the layer (geo_json_..._add({...}))."""
    start = re.search(r"geo_json_\w+_add\(", text).end()
    collection, _ = json.JSONDecoder().raw_decode(text, start)
    return collection


def assert_fetches_nothing(text: str) -> None:
    """No file, script, style sheet, font, image or tile is loaded from anywhere."""
    page = parse(text)
    assert page.loads == [] and page.anchors == []
    for style in page.styles:
        for target in re.findall(r"url\(\s*['\"]?([^)'\"]*)", style):
            assert target.startswith("#"), target  # only the page's own #app-hatch, #default
        assert "@import" not in style and "@font-face" not in style
    assert LEAFLET_JS in page.scripts  # Leaflet is embedded, byte for byte, with its licence
    assert "Copyright (c) 2010-2023, Volodymyr Agafonkin" in text
    ours = "".join(s for s in page.scripts if s != LEAFLET_JS)
    for call in ("tileLayer", "fetch(", "XMLHttpRequest", "$.ajax", "import(", "importScripts"):
        assert call not in ours
    assert "L.map(" in ours and "L.geoJson(" in ours
    urls = set(URL.findall(text))
    assert urls <= ALLOWED_URLS, urls - ALLOWED_URLS
    assert URL.findall(ours) == []  # folium's own script names no address at all


def test_the_file_shows_the_map_pages_figures_and_no_suppressed_one(client, login, locality):
    from survey.api.tokens import issue_token
    from survey.models import OrganisationArea
    from tests import factories

    # one group known in Delta that has not answered: counted, though it gave no figure
    quiet = factories.organisation(area=locality[1]["Delta"])
    for area in (locality[1]["Delta"], locality[1]["ICS"]):
        db.session.add(OrganisationArea(organisation_id=quiet.id, area_id=area.id))
    db.session.commit()
    login("admin")
    url = "round=confidence-test&type=neighbourhood&measure=level"
    page = get(client, f"/areas/map?{url}")
    link = (
        'id="map-file" href="/areas/map.html?' + url.replace("&", "&amp;") + '&amp;domain=overall"'
    )
    assert link in page
    response = client.get(f"/areas/map.html?{url}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="map-confidence-test-neighbourhood-level.html"'
    )
    assert "sandbox" in response.headers["Content-Security-Policy"]  # never run as a page here
    text = response.get_data(as_text=True)
    assert_fetches_nothing(text)
    tips = {
        f["properties"]["code"]: (f["properties"]["tip"], f["properties"]["fill"])
        for f in embedded_geojson(text)["features"]
    }
    # worked out by hand: Alpha's mean 3.25 is level 3 (2.6 <= 3.25 < 3.4), Epsilon's
    # 22/7 = 3.14 level 3, Zeta's 1.25 level 1; Beta (3 answers) and Gamma (5, suppressed
    # so that Beta cannot be had from the total) show only words; Delta has no answers.
    # Groups known are every group placed in the area, one per answer here, and Delta's one
    # that has not answered: a count of groups, not of answers.
    assert tips == {
        "T-ALPHA": ("Alpha Neighbourhood: 3.25 (level 3) (n = 6); 6 groups known here", "#41b6c4"),
        "T-EPSILON": ("Epsilon Neighbourhood: 3.14 (level 3) (n = 7); 7 groups known here", "#41b6c4"),
        "T-ZETA": ("Zeta Neighbourhood: 1.25 (level 1) (n = 8); 8 groups known here", "#ffffcc"),
        "T-BETA": ("Beta Neighbourhood: fewer than 5 responses; 3 groups known here", "#b1b4b6"),
        "T-GAMMA": ("Gamma Neighbourhood: fewer than 5 responses; 5 groups known here", "#b1b4b6"),
        "T-DELTA": ("Delta Neighbourhood: no responses (n = 0); 1 group known here", "#ffffff"),
    }  # fmt: skip
    # the same as the in-app map draws and its table says
    shown = map_features(page)
    assert {code: (p["tip"], p["fill"]) for code, p in shown.items()} == tips
    rows = parse(text).table
    assert {code: (r[1], r[2]) for code, r in rows.items()} == {
        code: (measure, n) for code, (_, measure, n, _) in table_rows(page).items()
    }
    # and as the API gives to BI tools: Alpha's n and mean, Beta with no figure
    _, token = issue_token("map test", actor="test")
    db.session.commit()
    records = client.get(
        "/api/rounds/confidence-test/aggregates?area_type=neighbourhood",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()["aggregates"]
    overall = {r["area_code"]: r for r in records if r["domain_id"] == "overall"}
    assert overall["T-ALPHA"]["n"] == 6 and f"{overall['T-ALPHA']['mean']:.2f}" == "3.25"
    assert overall["T-BETA"]["n"] is None and overall["T-BETA"]["suppressed"]
    # the hidden figures are nowhere: not in the GeoJSON, the table or anywhere else
    # (Leaflet's own code aside, which knows nothing of the data)
    ours = text.replace(LEAFLET_JS, "")
    for hidden in ("2.33", "2.3)", "4.40", "4.4)", "(n = 3)", "(n = 5)"):
        assert hidden not in ours
    assert rows["T-BETA"][1:] == ["fewer than 5 responses", "–", "3"]
    for feature in embedded_geojson(text)["features"]:
        if feature["properties"]["state"] == "suppressed":
            assert set(feature["properties"]) == {"code", "tip", "fill", "state"}
    # the legend and the attribution, as on the page
    assert "Fewer than 5 responses" in text and "Level 5" in text
    assert "Boundaries: Office for National Statistics" in page
    assert "Boundaries: Office for National Statistics" in text


def test_the_command_writes_the_file_or_says_what_is_wrong(cli, locality, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "map.html"
    result = cli(
        "export", "map", "--round", "confidence-test", "--type", "neighbourhood",
        "--measure", "gap", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Wrote {out}"
    text = out.read_text(encoding="utf-8")
    assert_fetches_nothing(text)
    tips = {
        f["properties"]["code"]: f["properties"]["tip"] for f in embedded_geojson(text)["features"]
    }
    # the round's target level is 3: Zeta's mean 1.25 is 1.75 below it, Alpha's 3.25 above
    assert tips["T-ZETA"] == "Zeta Neighbourhood: 1.75 below target (n = 8); 8 groups known here"
    assert tips["T-ALPHA"] == "Alpha Neighbourhood: 0.25 above target (n = 6); 6 groups known here"
    assert tips["T-BETA"] == "Beta Neighbourhood: fewer than 5 responses; 3 groups known here"
    assert "Gap to target" in text

    args = ["--round", "confidence-test", "--type", "neighbourhood", "--measure", "level"]
    bad = [
        (["--round", "nope"], "Error: --round: no round named 'nope'"),
        (["--type", "county"], "Error: --type: 'county' is not one of ics, place, pcn,"),
        (["--type", "msoa"], "Error: --type: no msoa areas have been imported"),
        (["--measure", "mean"], "Error: --measure: 'mean' is not one of level, gap,"),
        (["--domain", "nope"], "Error: --domain: 'nope' is not one of overall,"),
    ]
    target = folder / "bad.html"
    for change, words in bad:
        given = list(args)
        for i in range(0, len(change), 2):
            if change[i] in given:
                given[given.index(change[i]) + 1] = change[i + 1]
            else:
                given += change[i : i + 2]
        result = cli("export", "map", *given, "-o", target)
        assert result.exit_code == 1, (change, result.output)
        assert result.output.startswith(words), result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not target.exists()
    for where, start in (
        (folder / "no-folder" / "map.html", f"Error: -o: the folder '{folder / 'no-folder'}'"),
        (out / "map.html", f"Error: -o: the folder '{out}'"),  # out is a file
        (folder, f"Error: {folder}: cannot be written"),  # a folder
        (Path("/proc/map.html"), "Error: /proc/map.html: cannot be written"),
    ):
        result = cli("export", "map", *args, "-o", where)
        assert result.exit_code == 1, result.output
        assert result.output.startswith(start), result.output
        assert len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["map.html"]  # no .part left over


def test_the_demo_pcn_and_neighbourhood_files_fetch_nothing(app, cli, client, login, tmp_path):
    from survey.demo import load_demo

    load_demo(seed=5, groups=200)
    db.session.commit()
    login("admin")
    threshold = app.config["DISCLOSURE_THRESHOLD"]
    states = set()
    for area_type, measure, least in (
        ("pcn", "level", 11),  # the demo's 11 PCNs
        ("neighbourhood", "level", 30),  # its neighbourhoods that have groups
        ("neighbourhood", "change", 30),
    ):
        out = tmp_path / f"{area_type}-{measure}.html"
        result = cli(
            "export", "map", "--round", "confidence-2025", "--type", area_type,
            "--measure", measure, "-o", out,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert_fetches_nothing(text)
        features = {
            f["properties"]["code"]: f["properties"] for f in embedded_geojson(text)["features"]
        }
        assert len(features) >= least
        # what the in-app map draws, area by area
        page = get(client, f"/areas/map?round=confidence-2025&type={area_type}&measure={measure}")
        in_app = map_features(page)
        assert {c: (p["tip"], p["fill"], p["state"]) for c, p in in_app.items()} == {
            c: (p["tip"], p["fill"], p["state"]) for c, p in features.items()
        }
        rows = parse(text).table
        assert set(rows) == set(features)
        for code, p in features.items():
            states.add(p["state"])
            words = p["tip"].split(": ", 1)[1]
            if p["state"] == "suppressed":
                # "fewer than 5 responses" (for change: "... in <the earlier round>")
                assert words.startswith(f"fewer than {threshold} responses")
                assert rows[code][1:3] == [words.split("; ")[0], "–"]
            elif measure == "level" and p["state"] == "value":
                assert re.fullmatch(rf"\d\.\d\d \(level [1-5]\) \(n = \d+\){KNOWN}", words)
            elif p["state"] == "value":
                assert re.fullmatch(rf"[+-]\d\.\d\d since .+ \(n = \d+\){KNOWN}", words)
    assert {"value", "suppressed"} <= states  # the demo has both, so both were checked


KNOWN = r"; \d+ groups? known here"


def test_an_area_lead_downloads_only_their_areas(client, login, locality):
    login("area-lead", areas=[locality[1]["Alpha"]])
    text = get(client, "/areas/map.html?round=confidence-test&type=neighbourhood")
    assert [f["properties"]["code"] for f in embedded_geojson(text)["features"]] == ["T-ALPHA"]
    assert list(parse(text).table) == ["T-ALPHA"] and "Beta" not in text
    get(client, "/areas/map.html?round=confidence-test&within=T-BETA", status=404)
    get(client, "/areas/map.html?round=nope", status=404)
    get(client, "/areas/map.html?round=confidence-test&measure=mean", status=400)


def test_hostile_names_stay_text(client, login, locality):
    name = '</script><script>alert("x")</script> & <b>'
    area = locality[1]["Alpha"]
    area.name = name
    db.session.commit()
    login("admin")
    text = get(client, "/areas/map.html?round=confidence-test&type=neighbourhood")
    assert name not in text  # escaped in the table, \u003c-escaped in the GeoJSON
    features = embedded_geojson(text)["features"]
    assert any(f["properties"]["tip"].startswith(name + ":") for f in features)
    assert parse(text).table["T-ALPHA"][0] == name
