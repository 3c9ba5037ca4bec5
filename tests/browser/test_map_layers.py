"""The PCN map with its GP practice points, in headless Chromium: offline and accessible."""

from __future__ import annotations

import json

from .conftest import axe_violations
from .test_map_page import sign_in


def test_practices_are_drawn_over_the_pcn_map(live_server, page):
    sign_in(live_server, page)
    page.goto(live_server.url + "/areas/map?round=confidence-2025&type=pcn")
    page.wait_for_selector("#app-map[data-practices-drawn]")
    points = json.loads(page.locator("#app-map-points").text_content())
    drawn = page.locator("#app-map path.app-map__practice")
    assert drawn.count() == len(points["features"]) > 0
    assert int(page.get_attribute("#app-map", "data-practices-drawn")) == drawn.count()
    drawn.first.hover()
    assert page.locator(".leaflet-tooltip").inner_text() == points["features"][0]["properties"]["tip"]  # fmt: skip
    assert page.console_errors == []
    assert page.external_requests == []
    assert axe_violations(page) == []
