"""The map page in headless Chromium: drawn offline, same figures as the table, accessible."""

from __future__ import annotations

import json
import re

from survey.extensions import db
from tests import factories

from .conftest import axe_violations

PASSWORD = "correct horse battery"


def sign_in(live_server, page, role: str = "area-lead", area_codes=("DEMO-ICS",)) -> None:
    with live_server.app.app_context():
        from survey.demo import load_demo
        from survey.models import Area

        load_demo(seed=5, groups=200)  # enough groups that neighbourhoods pass suppression
        areas = [db.session.query(Area).filter_by(code=c).one() for c in area_codes]
        factories.user(role=role, email="lead@example.org", areas=areas)
        db.session.commit()
    page.goto(live_server.url + "/sign-in")
    page.fill("#email", "lead@example.org")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)  # signed in: on to the staff home


def said(name: str, text: str, n: str, known: str) -> str:
    """The tooltip a table row stands for: figure, responses when shown, groups known."""
    figure = f"{name}: {text}" if n == "–" else f"{name}: {text} (n = {n})"
    return f"{figure}; {known} group{'' if known == '1' else 's'} known here"


def test_the_map_draws_offline_with_the_tables_figures(live_server, page):
    sign_in(live_server, page)
    page.goto(live_server.url + "/areas/map?round=confidence-2025&type=neighbourhood")
    page.wait_for_selector("#app-map[data-areas-drawn]")
    data = json.loads(page.locator("#app-map-data").text_content())
    features = data["areas"]["features"]
    drawn = page.locator("#app-map path.app-map__area")
    assert drawn.count() == len(features) == int(page.get_attribute("#app-map", "data-areas-drawn"))
    assert len(features) > 20
    # each table row says what the map's tooltip says
    rows = page.locator("#map-table tbody tr")
    assert rows.count() == len(features)
    tips = {f["properties"]["code"]: f["properties"]["tip"] for f in features}
    for i in range(rows.count()):
        row = rows.nth(i)
        code = row.get_attribute("data-code")
        name, text, n, known = (c.inner_text().strip() for c in row.locator("td").all())
        assert tips[code] == said(name, text, n, known)
    # suppressed areas are hatched, and their tooltips carry no number
    states = {f["properties"]["state"] for f in features}
    assert {"value", "suppressed"} <= states
    hatched = page.locator("#app-map path.app-map__area--suppressed")
    assert hatched.count() == sum(f["properties"]["state"] == "suppressed" for f in features)
    fill = hatched.first.evaluate("p => getComputedStyle(p).fill")
    assert "app-hatch" in fill
    for f in features:
        if f["properties"]["state"] == "suppressed":
            assert not re.search(r"\d\.\d", f["properties"]["tip"])
    assert page.console_errors == []
    assert page.external_requests == []
    assert axe_violations(page) == []


def test_tooltip_click_through_and_comparison(live_server, page):
    sign_in(live_server, page)
    page.goto(live_server.url + "/areas/map?round=confidence-2025&type=pcn")
    page.wait_for_selector("#app-map[data-areas-drawn]")
    data = json.loads(page.locator("#app-map-data").text_content())
    first = data["areas"]["features"][0]["properties"]
    area = page.locator("#app-map path.app-map__area").first
    area.hover()
    assert page.locator(".leaflet-tooltip").inner_text() == first["tip"]
    area.click()
    page.wait_for_url(re.compile(r"/areas/" + first["code"]))
    assert page.locator("h1").inner_text()
    assert axe_violations(page) == []
    # and on to comparing the PCNs the area page links to
    page.goto(live_server.url + "/areas/DEMO-P1?round=confidence-2025")
    page.get_by_role("link", name=re.compile("^Compare")).click()
    page.wait_for_url(re.compile(r"/areas/compare\?"))
    assert page.locator("#compare-table tbody tr").count() >= 2
    # the chart is served by the app and decodes as an image
    page.wait_for_function(
        "() => { const i = document.querySelector('img.app-compare-chart');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert axe_violations(page) == []
    assert page.console_errors == [] and page.external_requests == []


def test_the_page_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.console_errors, page.external_requests = [], []
    sign_in(live_server, page)
    page.goto(
        live_server.url
        + "/areas/map?round=confidence-2025&type=neighbourhood&sort=value&order=desc"
    )
    assert "The map needs JavaScript" in page.locator("#app-map").inner_text()
    assert page.locator("#map-table tbody tr").count() > 5
    page.locator("#map-table thead a").first.click()
    assert "sort=name" in page.url
    context.close()


def test_the_page_and_its_map_file_load_nothing_from_elsewhere(live_server, page, tmp_path):
    """PCNs and neighbourhoods: the page asks only its own server, the file only itself."""
    sign_in(live_server, page)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for area_type in ("pcn", "neighbourhood"):
        requests.clear()
        page.goto(f"{live_server.url}/areas/map?round=confidence-2025&type={area_type}")
        page.wait_for_selector("#app-map[data-areas-drawn]")
        drawn = int(page.get_attribute("#app-map", "data-areas-drawn"))
        assert drawn == page.locator("#app-map path.app-map__area").count() > 10
        assert requests and all(u.startswith(live_server.url + "/") for u in requests), requests
        if area_type == "pcn":  # the neighbourhood page's axe check is the first test's
            assert axe_violations(page) == []
        with page.expect_download() as download:
            page.click("#map-file")
        saved = tmp_path / f"{area_type}.html"
        download.value.save_as(saved)

        requests.clear()
        # the page fixture lets only loopback through: this one file too (a later route wins)
        page.route(saved.as_uri(), lambda route: route.continue_())
        page.goto(saved.as_uri())
        page.wait_for_selector("#app-map path.app-map__area")
        assert requests == [saved.as_uri()]  # the file itself, and nothing else
        # every area the page drew, hatched where the page hatched it, the same tooltips
        assert page.locator("#app-map path.app-map__area").count() == drawn
        hatched = page.locator("#app-map path.app-map__area--suppressed")
        if hatched.count():
            assert "app-hatch" in hatched.first.evaluate("p => getComputedStyle(p).fill")
        page.locator("#app-map path.app-map__area").first.hover()
        tip = page.locator(".leaflet-tooltip").inner_text()
        rows = {}
        for row in page.locator("#map-table tbody tr").all():
            name, text, n, known = (c.inner_text().strip() for c in row.locator("td").all())
            rows[name] = said(name, text, n, known)
        assert tip == rows[tip.split(":")[0]]  # the tooltip says what the table says
        assert axe_violations(page) == []
    assert page.console_errors == []
    assert page.external_requests == []
