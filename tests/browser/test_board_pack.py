"""The board pack in headless Chromium, on the demo: accessible, and its summary prints on one A4 page."""

from __future__ import annotations

import datetime as dt
import re

from .conftest import axe_violations
from .test_map_page import sign_in


def test_board_pack_is_accessible_and_its_summary_fits_one_a4_page(live_server, page):
    sign_in(live_server, page, role="board")
    with (
        live_server.app.app_context()
    ):  # the first read publishes the demo's figures: do it once here
        from survey.extensions import db
        from survey.models import Area
        from survey.reports.board_data import board_packs
        from tests import factories

        # an earlier round of two more surveys, so the summary covers three
        for instrument_id in ("vcse-readiness", "dmi-organisation"):
            factories.survey_round(
                instrument_id, slug=f"{instrument_id}-2025", opens_on=dt.date(2025, 10, 1),
                closes_on=dt.date(2025, 12, 1), target_level=3,
            )  # fmt: skip
        db.session.commit()
        board_packs(db.session.query(Area).filter_by(code="DEMO-ICS").one())
        db.session.remove()
    page.goto(live_server.url + "/areas/DEMO-ICS/board-pack", timeout=60_000)
    surveys = page.locator("section.app-board-pack")
    assert surveys.count() >= 1  # the demo runs the confidence survey three years running
    assert "confidence" in {surveys.nth(i).get_attribute("data-instrument") for i in
                            range(surveys.count())}  # fmt: skip
    changes = page.locator("td[data-change]").all_inner_texts()
    assert any(re.search(r"(real change|no real change), \d+ groups", c) for c in changes)
    assert page.console_errors == [] and page.external_requests == []
    assert axe_violations(page) == []

    page.goto(live_server.url + "/areas/DEMO-ICS/board-pack/print")
    assert page.locator("#board-summary ul").count() == 3
    assert page.locator("#board-summary li").count() >= 9
    assert axe_violations(page) == []
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pages == 1
    # A4 portrait: 595 x 842 points
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert box and abs(float(box.group(1)) - 595) < 2 and abs(float(box.group(2)) - 842) < 2
