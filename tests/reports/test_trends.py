"""Board trends: the yearly survey year by year, on a page, in print and in a workbook."""

from __future__ import annotations

import datetime as dt
import re
import statistics

import pandas as pd
import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import Round

from .. import factories
from .conftest import place, respond, rows_of, workbook

# every group's level per year, the last one the lone group in P2: the ICS mean goes 2.0 -> 3.0;
# P2 (one group) is suppressed, and so P1 too (ICS minus P1 would give P2 away)
YEARS = {2024: (1, 2, 2, 3, 2, 2), 2025: (2, 3, 3, 4, 3, 3)}


@pytest.fixture
def yearly(app):
    """Two yearly rounds; five groups in place P1 of the ICS answered both, and one in P2."""
    ics = factories.area(code="T-ICS", type="ics", name="Test ICS")
    p1 = factories.area(code="T-P1", type="place", parent=ics, name="Place P1")
    p2 = factories.area(code="T-P2", type="place", parent=ics, name="Place P2")
    rounds = {
        year: factories.survey_round(
            "confidence",
            slug=f"confidence-{year}",
            opens_on=dt.date(year, 5, 1),
            closes_on=dt.date(year, 7, 31),
        )
        for year in YEARS
    }
    for year in YEARS:
        rounds[year].title = f"Confidence {year}"
    orgs = [factories.organisation(name=f"Group {i}", area=p1) for i in range(5)]
    lone = factories.organisation(name="Lone group", area=p2)
    for org in orgs:
        place(org, ics, p1)
    place(lone, ics, p2)
    for year, levels in YEARS.items():
        for org, level in zip([*orgs, lone], levels, strict=True):
            respond(rounds[year], org, level, on=dt.date(year, 6, 1))
    db.session.commit()
    return ics


def test_board_page_shows_n_mean_and_interval_with_a_chart_and_alt_text(client, login, yearly):
    login("board")
    page = client.get("/areas/T-ICS/trends")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    cell = re.search(r'data-domain="overall" data-year="2025">(.*?)</td>', html, re.S).group(1)
    assert "3.00" in cell and "n=6" in cell
    mean, sd = statistics.fmean(YEARS[2025]), statistics.stdev(YEARS[2025])
    low = mean - 2.571 * sd / 6**0.5  # t(0.975, 5 df) = 2.571
    assert f"({low:.2f} to {2 * mean - low:.2f})" in cell
    assert "Overall: 3.00 in 2025 (n=6), up 1.00 from 2024." in html
    image = re.search(
        r'<img class="app-board-chart" src="data:image/png;base64,[^"]+" alt="([^"]+)"', html
    )
    assert image and "Line chart of mean scores" in image.group(1)
    assert "reports/board.css" in html  # the print stylesheet: one A4 landscape page


def test_a_small_area_is_suppressed_everywhere(client, login, yearly):
    login("board")
    html = client.get("/areas/T-P2/trends").get_data(as_text=True)
    cell = re.search(r'data-domain="overall" data-year="2025">(.*?)</td>', html, re.S).group(1)
    assert cell.strip() == "suppressed"
    data = client.get("/areas/T-P2/trends.xlsx").data
    table = rows_of(workbook(data)["By year"])
    assert {r["n"] for r in table} == {"suppressed"}
    assert {r["Mean score"] for r in table} == {"suppressed"}


def test_trends_workbook_has_the_numbers_the_page_shows_and_the_picture(cli, yearly, tmp_path):
    # A target set for 2025 only: the method sheet says so year by year (it once said
    # "none set" whatever the rounds had).
    db.session.scalar(sa.select(Round).where(Round.slug == "confidence-2025")).target_level = 3
    db.session.commit()
    out = tmp_path / "trends.xlsx"
    result = cli("export", "trends", "--area", "T-ICS", "-o", out)
    assert result.exit_code == 0, result.output
    wb = workbook(out.read_bytes())
    assert wb.sheetnames == ["Chart", "By year", "By principle", "Method"]
    assert len(wb["Chart"]._images) == 1
    assert wb["Chart"]["A2"].value.startswith("Line chart of mean scores (1 to 5) for Test ICS")
    frame = pd.read_excel(out, sheet_name="By year")
    overall = frame[frame["Principle"] == "Overall"].set_index("Year")
    assert list(overall.index) == [2024, 2025]
    assert overall.loc[2024, "Mean score"] == pytest.approx(2.0)
    assert overall.loc[2025, "n"] == 6
    wide = pd.read_excel(out, sheet_name="By principle").set_index("Principle")
    assert wide.loc["Overall", "2025 mean"] == pytest.approx(3.0)
    method = {r["Item"]: r["Detail"] for r in rows_of(wb["Method"])}
    assert method["Comparability"].startswith("The same instrument version every year")
    assert method["Target level"] == "2024: none set; 2025: level 3"
    assert db.session.query(Round).count() == 2


def test_an_area_lead_sees_only_their_areas(client, login, yearly):
    p1 = db.session.scalar(db.select(type(yearly)).where(type(yearly).code == "T-P1"))
    login("area-lead", areas=[p1])
    assert client.get("/areas/T-P1/trends").status_code == 200  # figures suppressed, page fine
    assert client.get("/areas/T-ICS/trends").status_code == 403
    assert client.get("/areas/T-ICS/trends.xlsx").status_code == 403
    assert client.get("/areas/NOPE/trends").status_code == 404
    listed = client.get("/trends").get_data(as_text=True)
    assert "Place P1" in listed and "Test ICS" not in listed
