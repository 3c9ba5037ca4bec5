"""Pages every visitor can reach."""

from __future__ import annotations

import datetime as dt

from survey.extensions import db
from survey.models import Round


def test_home_lists_rounds_with_a_way_in(client):
    db.session.add(
        Round(
            slug="confidence-2030",
            title="Confidence <script>alert(1)</script>",
            instrument_id="confidence",
            instrument_version="2025.1",
            opens_on=dt.date(2030, 5, 1),
            closes_on=dt.date(2030, 7, 31),
        )
    )
    db.session.commit()
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Confidence &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "1 May 2030 to 31 July 2030" in html


def test_home_without_rounds_says_how_to_load_the_demo(client):
    html = client.get("/").get_data(as_text=True)
    assert "There are no survey rounds yet" in html


def test_unknown_page_is_a_styled_404_with_a_way_back(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Page not found" in html
    assert 'href="/"' in html


def test_health_check_reaches_the_database(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_assets_are_served_by_the_app_itself(client):
    html = client.get("/").get_data(as_text=True)
    assert "https://" not in html.split("<main")[0], "nothing fetched from the internet"
    assert client.get("/static/govuk/govuk-frontend.min.css").status_code == 200


def test_header_offers_staff_sign_in_but_not_on_a_groups_pages(client):
    from .. import factories

    home = client.get("/").get_data(as_text=True)
    assert 'href="/sign-in"' in home and "Staff sign in" in home
    invitation = factories.invitation(factories.survey_round(), factories.organisation())
    db.session.commit()
    start = client.get(f"/r/{invitation.token}")
    assert start.status_code == 200
    assert "Staff sign in" not in start.get_data(as_text=True)  # a volunteer needs no account


def test_header_links_a_signed_in_user_to_staff_home(client, login):
    login("board")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/staff"' in home and "Staff sign in" not in home
