"""The area pages: the map and its table, suppression, drill-down, comparison, access."""

from __future__ import annotations

import html
import json
import re

import pytest

from survey.extensions import db
from tests import factories

from .conftest import SCORES


def table_rows(page: str) -> dict[str, tuple[str, str, str, str]]:
    """code -> (name, measure text, responses, groups known) from the map page's table."""
    rows = re.findall(
        r'<tr class="govuk-table__row" data-code="([^"]+)">\s*<td[^>]*><a[^>]*>([^<]*)</a></td>'
        r"\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>",
        page,
    )
    return {
        code: (html.unescape(name), html.unescape(text), n, known)
        for code, name, text, n, known in rows
    }


def map_features(page: str) -> dict[str, dict]:
    """code -> properties, from the JSON the map is drawn from."""
    found = re.search(
        r'<script type="application/json" id="app-map-data">(.*?)</script>', page, re.S
    )
    data = json.loads(found.group(1))
    return {f["properties"]["code"]: f["properties"] for f in data["areas"]["features"]}


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return response.get_data(as_text=True)


def test_suppressed_areas_show_no_number_anywhere(client, login, locality):
    login("admin")
    page = get(client, "/areas/map?round=confidence-test&type=neighbourhood")
    rows = table_rows(page)
    assert set(rows) == {f"T-{name.upper()}" for name in SCORES}
    for code in ("T-BETA", "T-GAMMA"):
        assert rows[code][1:3] == ("fewer than 5 responses", "–")
        assert map_features(page)[code]["state"] == "suppressed"
    # Beta's mean (2.33) and Gamma's (4.40) are nowhere in the page source
    for hidden in ("2.33", "4.40", "4.4)", "2.3)"):
        assert hidden not in page
    assert rows["T-ALPHA"][1].startswith("3.25 (level ") and rows["T-ALPHA"][2] == "6"
    assert rows["T-DELTA"][1:] == ("no responses", "0", "0")
    # groups known: every group placed in the area (here, one per answer)
    assert {code: row[3] for code, row in rows.items()} == {
        f"T-{name.upper()}": str(len(scores)) for name, scores in SCORES.items()
    }


def test_the_table_holds_the_same_numbers_as_the_map(client, login, locality):
    login("admin")
    for measure in ("level", "gap", "coverage"):
        page = get(client, f"/areas/map?round=confidence-test&measure={measure}")
        rows, features = table_rows(page), map_features(page)
        assert set(rows) == set(features)
        for code, (name, text, n, known) in rows.items():
            tip = features[code]["tip"]
            expected = f"{name}: {text}" if n in ("–", "0") else f"{name}: {text} (n = {n})"
            if n == "0":
                expected = f"{name}: {text} (n = 0)"
            expected += f"; {known} group{'' if known == '1' else 's'} known here"
            assert tip == expected, (measure, code)
            assert features[code]["url"].startswith(f"/areas/{code}?round=confidence-test")
    gap_page = get(client, "/areas/map?round=confidence-test&measure=gap")
    # target level 3 minus Zeta's mean 1.25
    assert table_rows(gap_page)["T-ZETA"][1] == "1.75 below target"


def test_the_table_sorts_without_javascript(client, login, locality):
    login("admin")
    page = get(client, "/areas/map?round=confidence-test&sort=value&order=desc")
    codes = list(table_rows(page))
    # shown values, highest first (Alpha 3.25, Epsilon 3.14, Zeta 1.25), then the rest by name
    assert codes == ["T-ALPHA", "T-EPSILON", "T-ZETA", "T-BETA", "T-DELTA", "T-GAMMA"]
    assert 'aria-sort="descending"' in page
    by_n = list(table_rows(get(client, "/areas/map?round=confidence-test&sort=n&order=asc")))
    assert by_n[:4] == ["T-DELTA", "T-ALPHA", "T-EPSILON", "T-ZETA"]


def test_a_long_table_comes_a_page_at_a_time_in_its_sort_order(
    client, login, locality, monkeypatch
):
    """Two rows a page (a national small-area map has 7,634): the six neighbourhoods by
    value, highest first, over three pages; the map itself still draws every area; each
    page links to the next and previous in the same order; sorting again starts at page 1,
    and a page past the end is the last."""
    from survey.areas import views

    monkeypatch.setattr(views, "MAP_TABLE_PAGE", 2)
    login("admin")
    url = "/areas/map?round=confidence-test&type=neighbourhood&sort=value&order=desc"
    first = get(client, url)
    assert list(table_rows(first)) == ["T-ALPHA", "T-EPSILON"]
    assert len(map_features(first)) == 6
    assert "Areas 1 to 2 of 6" in first and "Page 1 of 3" in first
    assert 'rel="prev"' not in first
    [following] = re.findall(r'href="([^"]+)" rel="next"', first)
    second = get(client, html.unescape(following))
    assert list(table_rows(second)) == ["T-ZETA", "T-BETA"]  # then no value, by name
    assert "Areas 3 to 4 of 6" in second and 'rel="prev"' in second
    last = get(client, url + "&page=9")
    assert list(table_rows(last)) == ["T-DELTA", "T-GAMMA"] and 'rel="next"' not in last
    assert "Page 3 of 3" in last
    # the sort links, and the downloads, do not carry the page
    sort_links = re.findall(r'class="govuk-link app-sort-link" href="([^"]+)"', last)
    assert len(sort_links) == 3 and all("page=" not in link for link in sort_links)
    assert "page=" not in re.search(r'id="map-png" href="([^"]+)"', last).group(1)
    # a short table has no pagination at all
    assert "govuk-pagination" not in get(client, "/areas/map?round=confidence-test&type=ics")


def test_area_page_lists_children_with_values_and_a_way_back(client, login, locality):
    login("board")
    page = get(client, "/areas/T-ICS?round=confidence-test")
    assert 'href="/areas/"' in page  # breadcrumbs back to the list of areas
    children = re.findall(r'href="/areas/(T-[A-Z]+)\?round=confidence-test">', page)
    assert children == ["T-ALPHA", "T-BETA", "T-DELTA", "T-EPSILON", "T-GAMMA", "T-ZETA"]
    assert "2.33" not in page and "4.40" not in page
    assert "/areas/map?round=confidence-test&amp;type=neighbourhood&amp;within=T-ICS" in page
    alpha = get(client, "/areas/T-ALPHA?round=confidence-test")
    assert 'href="/areas/T-ICS"' in alpha  # up to its parent
    # mean and median 3.25; sd 0.935, so 3.25 ± 2.571 × 0.935 / √6 = 2.27 to 4.23
    assert "3.25" in alpha and "2.27 to 4.23" in alpha
    assert "0.25 above" in alpha  # target level 3, mean 3.25
    beta = get(client, "/areas/T-BETA?round=confidence-test")
    assert "Not shown: fewer than 5 responses" in beta and "2.33" not in beta


def test_area_leads_see_only_their_areas(client, login, locality):
    _, areas = locality
    login("area-lead", areas=[areas["Alpha"]])
    assert list(table_rows(get(client, "/areas/map?round=confidence-test"))) == ["T-ALPHA"]
    get(client, "/areas/T-ALPHA")
    get(client, "/areas/T-BETA", status=404)
    get(client, "/areas/map?round=confidence-test&within=T-BETA", status=404)
    get(client, "/areas/compare?round=confidence-test&area=T-ALPHA&area=T-BETA", status=404)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/areas/", "/areas/map", "/areas/map.png", "/areas/T-ALPHA", "/areas/compare"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("?next=" + url)


def test_bad_choices_are_a_clear_4xx(client, login, locality):
    login("admin")
    assert "not a valid choice for measure" in get(client, "/areas/map?measure=height", 400)
    get(client, "/areas/map?round=no-such-round", 404)
    get(client, "/areas/NO-SUCH-AREA", 404)


def test_the_map_downloads_as_a_png(client, login, locality):
    login("broker")
    response = client.get("/areas/map.png?round=confidence-test&measure=coverage")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    page = get(client, "/areas/map?round=confidence-test&measure=coverage")
    assert "/areas/map.png?" in page and "measure=coverage" in page


def test_compare_states_which_differences_exceed_their_uncertainty(client, login, locality):
    login("admin")
    url = "/areas/compare?round=confidence-test&type=neighbourhood"
    page = get(client, url + "&area=T-EPSILON&area=T-ZETA&area=T-BETA")
    assert "Not shown: fewer than 5 responses" in page and "2.33" not in page
    # Epsilon 3.14 (2.92 to 3.37) and Zeta 1.25 (1.03 to 1.47) do not overlap
    notes = re.search(
        r'<ul class="govuk-list govuk-list--bullet" id="compare-differences">(.*?)</ul>', page, re.S
    )
    assert notes and "Overall: Epsilon Neighbourhood (3.14" in notes.group(1)
    assert "is higher than Zeta Neighbourhood (1.25" in notes.group(1)
    assert 'alt="Charts, one per domain' in page
    chart = client.get(
        re.search(r'src="(/areas/compare.png[^"]+)"', page).group(1).replace("&amp;", "&")
    )
    assert chart.status_code == 200 and chart.mimetype == "image/png"
    # Alpha (2.27 to 4.23) overlaps Epsilon: no claim is made
    overlap = get(client, url + "&area=T-ALPHA&area=T-EPSILON")
    assert "None: for every domain, the 95% intervals of these areas overlap" in overlap


def test_compare_needs_two_to_six_areas(client, login, locality):
    login("admin")
    one = get(client, "/areas/compare?round=confidence-test&area=T-ALPHA")
    assert "Choose between 2 and 6 areas to compare" in one
    assert 'id="compare-table"' not in one
    get(client, "/areas/compare.png?round=confidence-test&area=T-ALPHA", 400)
    blank = get(client, "/areas/compare")
    assert 'name="area"' in blank and "There is a problem" not in blank


def test_area_names_are_escaped(client, login, app):
    login("admin")
    round_ = factories.survey_round("confidence", slug="confidence-esc")
    factories.area(
        "T-X",
        name="<b>Bold & Co</b>",
        display_geometry='{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}',
    )
    db.session.commit()
    for url in (
        "/areas/map?round=confidence-esc",
        "/areas/T-X",
        "/areas/compare?type=neighbourhood",
    ):
        page = get(client, url)
        assert "<b>Bold" not in page and "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in page
    assert round_.slug in get(client, "/areas/map?round=confidence-esc")


def test_names_with_dollar_signs_draw_as_text_in_the_pngs(client, login, locality):
    _, areas = locality
    # read as mathematics these would not draw at all (matplotlib raises ValueError)
    areas["Alpha"].name = "Cash $x^$ Fund"
    areas["ICS"].name = r"Money $\nosuchcommand$ ICS"
    db.session.commit()
    login("admin")
    for url in (
        "/areas/compare.png?round=confidence-test&area=T-ALPHA&area=T-EPSILON",
        "/areas/map.png?round=confidence-test&within=T-ICS",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/png", url


def test_change_since_the_last_round_of_the_same_questionnaire(client, login, locality):
    import datetime as dt

    from .conftest import add_responses

    round_, areas = locality
    earlier = factories.survey_round(
        "confidence",
        slug="confidence-before",
        opens_on=round_.opens_on - dt.timedelta(days=365),
        closes_on=round_.opens_on - dt.timedelta(days=300),
    )
    add_responses(earlier, areas["Alpha"], [1.5, 2.0, 2.5, 3.0, 3.5, 4.0])  # mean 2.75
    add_responses(earlier, areas["Beta"], [5.0, 5.0])  # too few: Beta shows no change
    # and then Epsilon, the smallest other, is hidden too (else Beta = ICS - Alpha - Epsilon)
    add_responses(earlier, areas["Epsilon"], [3.0] * 5)
    db.session.commit()
    login("admin")
    rows = table_rows(get(client, "/areas/map?round=confidence-test&measure=change"))
    # 3.25 now against 2.75 before
    assert rows["T-ALPHA"][1] == f"+0.50 since {earlier.title}"
    assert rows["T-EPSILON"][1] == f"fewer than 5 responses in {earlier.title}"
    assert rows["T-EPSILON"][2] == "–"
    assert rows["T-ZETA"][1] == f"no responses in {earlier.title}"
    assert rows["T-BETA"][1] == "fewer than 5 responses"
    first = table_rows(get(client, "/areas/map?round=confidence-before&measure=change"))
    assert first["T-ALPHA"][1] == "no earlier round"


HOSTILE = ["<script>x</script>", "a\x00b", "x" * 3000]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_never_a_500(client, login, locality, value, monkeypatch):
    login("admin")
    names = {
        "/areas/map": ("round", "type", "measure", "domain", "within", "sort", "order"),
        "/areas/map.png": ("round", "type", "measure", "within"),
        "/areas/compare": ("round", "type", "area"),
        "/areas/compare.png": ("area",),
        "/areas/T-ALPHA": ("round",),
    }
    for url, args in names.items():
        for name in args:
            response = client.get(url, query_string={name: value})
            assert response.status_code < 500, (url, name)
    refused = 400 if "\x00" in value else 404  # a null byte in an address is never meant
    assert client.get("/areas/" + value.replace("/", "")).status_code in (200, refused)
    monkeypatch.setitem(client.application.config, "WTF_CSRF_ENABLED", False)
    for kind in ("boundaries", "practices", "organisations", value):
        response = client.post(
            "/areas/import",
            data={"kind": kind, "type": value, "code_field": value, "name_field": value},
        )
        assert response.status_code == 400


def test_area_page_links_to_its_roadmap_workbook_and_trends(client, login, locality):
    login("board")
    page = get(client, "/areas/T-ALPHA?round=confidence-test")
    roadmap = "/areas/T-ALPHA/rounds/confidence-test/roadmap.xlsx"
    assert f'href="{roadmap}"' in page and 'href="/areas/T-ALPHA/trends"' in page
    download = client.get(roadmap)
    assert download.status_code == 200
    assert download.data[:2] == b"PK"  # an xlsx is a zip
