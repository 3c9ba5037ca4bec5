"""Which rule an area figure follows (named locality assessments, suppressed groups) and ambitions.

Runs on SQLite and PostgreSQL. Expected values are worked out by hand in the
comments; levels are the instrument's bands (level 2 from 1.8, 3 from 2.6,
4 from 3.4, 5 from 4.2).
"""

from __future__ import annotations

import re

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import OVERALL, DomainScore, Invitation, OrganisationArea, Response, utcnow

from .. import factories


def _locality_response(round_, area, levels: dict[str, int], ambitions: dict[str, int]):
    """An area's own submitted assessment with stored levels (score = level) and ambitions."""
    response = Response(
        round=round_,
        invitation=Invitation(round=round_, area=area),
        area_id=area.id,
        status="submitted",
        submitted_at=utcnow(),
    )
    response.scores = [
        DomainScore(domain_id=d, score=float(level), level=level, ambition=ambitions.get(d))
        for d, level in levels.items()
    ]
    db.session.add(response)
    return response


def _group(round_, areas, level: int, ambition: int | None, domains: list[str]):
    org = factories.organisation(area=areas[0])
    for area in areas:
        db.session.add(OrganisationArea(organisation_id=org.id, area_id=area.id))
    response = Response(
        round=round_,
        invitation=factories.invitation(round_, org),
        organisation=org,
        area_id=areas[0].id,
        status="submitted",
        submitted_at=utcnow(),
    )
    response.scores = [
        DomainScore(
            domain_id=d,
            score=float(level),
            level=level,
            ambition=ambition if d != OVERALL else None,
        )
        for d in domains
    ]
    db.session.add(response)


def test_a_pcns_own_assessment_is_named_while_three_groups_stay_hidden(client, login):
    ics = factories.area(code="N-ICS", type="ics", name="Named ICS")
    pcn = factories.area(code="N-PCN1", type="pcn", parent=ics, name="Riverside PCN")
    hood = factories.area(code="N-N1", type="neighbourhood", parent=pcn, name="Riverside")
    locality = factories.survey_round("dmi-locality", slug="loc")
    dmi = registry().latest("dmi-locality")
    levels = {d.id: 1 + i % 5 for i, d in enumerate(dmi.domains)}
    levels[OVERALL] = 3
    _locality_response(locality, pcn, levels, {dmi.domains[0].id: 4})
    readiness = factories.survey_round("vcse-readiness", slug="ready")
    ready = registry().latest("vcse-readiness")
    for level in (2, 3, 4):  # three groups: under the threshold of 5
        _group(readiness, [hood, pcn, ics], level, None, [d.id for d in ready.domains] + [OVERALL])
    db.session.commit()
    login("admin")

    page = client.get("/areas/N-PCN1?round=loc").get_data(as_text=True)
    table = page.split('id="area-figures"', 1)[1].split("</table>", 1)[0]
    shown = dict(re.findall(r'data-domain="([^"]+)">.*?data-level="(\d*)"', table, re.S))
    assert shown == {d: str(v) for d, v in levels.items()}
    first = dmi.domains[0]
    # its own level 1 in the first domain, that domain's words for level 1, ambition 4: 3 to go
    assert first.level(1).descriptor.replace("'", "&#39;") in table
    assert "Level 4 (3 to go)" in table
    assert "fewer than" not in table
    assert "shown by name" in page
    # the ICS did not answer for itself: no mean of its PCN's answer is made up for it
    ics_page = client.get("/areas/N-ICS?round=loc").get_data(as_text=True)
    assert "Named ICS has not sent its own assessment for this round" in ics_page
    assert "level 3 (its own assessment)" in ics_page  # the PCN's row among its sub-areas

    # the group round in the same places: nothing shown for three groups, at any level
    for code in ("N-N1", "N-PCN1", "N-ICS"):
        page = client.get(f"/areas/{code}?round=ready").get_data(as_text=True)
        table = page.split('id="area-figures"', 1)[1].split("</table>", 1)[0]
        assert table.count("Not shown: fewer than 5 responses") == len(ready.domains) + 1, code


def test_an_areas_groups_ambition_is_shown_beside_their_level_under_the_same_rule(client, login):
    ics = factories.area(code="A-ICS", type="ics")
    hood = factories.area(code="A-N1", type="neighbourhood", parent=ics, name="Hillside")
    round_ = factories.survey_round("confidence", slug="conf", target_level=3)
    domains = [d.id for d in registry().latest("confidence").domains] + [OVERALL]
    # levels 2, 2, 3, 3, 4: mean 2.80; ambitions 3, 4, 4, 5, 5: mean 4.20; 1.40 to go
    for level, ambition in zip((2, 2, 3, 3, 4), (3, 4, 4, 5, 5), strict=True):
        _group(round_, [hood, ics], level, ambition, domains)
    db.session.commit()
    login("admin")

    page = client.get("/areas/A-N1?round=conf").get_data(as_text=True)
    table = page.split('id="area-figures"', 1)[1].split("</table>", 1)[0]
    assert "2.80" in table and 'data-ambition="4.20"' in table
    assert "4.20 (1.40 to go)" in table
    themap = client.get("/areas/map?round=conf&type=neighbourhood&measure=ambition&domain=safe")
    assert "1.40 to go to its ambition" in themap.get_data(as_text=True)

    # a sixth group without an ambition: the level has 6 groups, the ambition still 5
    _group(round_, [hood, ics], 5, None, domains)
    db.session.commit()
    # (the published level figure waits until 5 groups have changed; the ambition too)
    page = client.get("/areas/A-N1?round=conf").get_data(as_text=True)
    assert "4.20 (1.40 to go)" in page


def test_an_ambition_of_fewer_than_five_groups_is_not_shown(client, login):
    ics = factories.area(code="F-ICS", type="ics")
    hood = factories.area(code="F-N1", type="neighbourhood", parent=ics)
    round_ = factories.survey_round("confidence", slug="few")
    domains = [d.id for d in registry().latest("confidence").domains] + [OVERALL]
    # six groups: the level is shown; only four said where they plan to be
    for level, ambition in zip((2, 2, 3, 3, 4, 4), (5, 5, 5, 5, None, None), strict=True):
        _group(round_, [hood, ics], level, ambition, domains)
    db.session.commit()
    login("admin")
    page = client.get("/areas/F-N1?round=few").get_data(as_text=True)
    table = page.split('id="area-figures"', 1)[1].split("</table>", 1)[0]
    assert "3.00" in table  # (2+2+3+3+4+4) / 6
    assert 'data-ambition=""' in table and "to go" not in table


def compare_cells(page: str) -> dict[tuple[str, str], str]:
    """The compare table's cells as text, keyed by (domain name, area code)."""
    table = page.split('id="compare-table"', 1)[1].split("</table>", 1)[0]
    cells = {}
    for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table, re.S):
        domain = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S)
        if domain is None:
            continue  # the header row
        for code, text in re.findall(r'data-area="([^"]+)"[^>]*>(.*?)</td>', row, re.S):
            cells[(domain.group(1), code)] = re.sub(r"<[^>]+>", "", text)
    return cells


def test_compare_shows_each_areas_ambition_and_the_distance_to_it_unless_suppressed(client, login):
    ics = factories.area(code="C-ICS", type="ics")
    hoods = {
        name: factories.area(code=code, type="neighbourhood", parent=ics, name=name)
        for code, name in (("C-N1", "Hillside"), ("C-N2", "Summit"), ("C-N3", "Valley"))
    }
    round_ = factories.survey_round("confidence", slug="cmp", target_level=3)
    confidence = registry().latest("confidence")
    domains = [d.id for d in confidence.domains] + [OVERALL]
    # the groups lie in their neighbourhood only, so no figure for the ICS is made from them
    # Hillside: levels 2, 2, 3, 3, 4, mean 14 / 5 = 2.80; ambitions 3, 4, 4, 5, 5,
    #   mean 21 / 5 = 4.20; 4.20 - 2.80 = 1.40 to go
    for level, ambition in zip((2, 2, 3, 3, 4), (3, 4, 4, 5, 5), strict=True):
        _group(round_, [hoods["Hillside"]], level, ambition, domains)
    # Summit: levels 4, 4, 4, 5, 5, mean 22 / 5 = 4.40; ambition 4 each, mean 4.00;
    #   4.00 - 4.40 = -0.40: 0.40 beyond
    for level in (4, 4, 4, 5, 5):
        _group(round_, [hoods["Summit"]], level, 4, domains)
    # Valley: three groups, under the threshold of 5: no mean, no ambition, no distance
    for level in (1, 2, 3):
        _group(round_, [hoods["Valley"]], level, 5, domains)
    db.session.commit()
    login("admin")

    page = client.get(
        "/areas/compare?round=cmp&type=neighbourhood&area=C-N1&area=C-N2&area=C-N3"
    ).get_data(as_text=True)
    cells = compare_cells(page)
    first = confidence.domains[0].name
    assert cells[(first, "C-N1")].startswith("2.80")
    assert cells[(first, "C-N1")].endswith("; ambition 4.20 (1.40 to go)")
    assert cells[(first, "C-N2")].startswith("4.40")
    assert cells[(first, "C-N2")].endswith("; ambition 4.00 (0.40 beyond)")
    valley = cells[(first, "C-N3")]
    assert valley == "Not shown: fewer than 5 responses"
    assert "ambition" not in valley and "to go" not in valley
    # the same words as on the area page
    area_page = client.get("/areas/C-N1?round=cmp").get_data(as_text=True)
    assert "4.20 (1.40 to go)" in area_page


def test_compare_shows_a_localitys_own_ambition_and_the_distance_in_whole_levels(client, login):
    ics = factories.area(code="L-ICS", type="ics")
    pcn1 = factories.area(code="L-PCN1", type="pcn", parent=ics, name="North PCN")
    pcn2 = factories.area(code="L-PCN2", type="pcn", parent=ics, name="South PCN")
    locality = factories.survey_round("dmi-locality", slug="loc-cmp")
    first = registry().latest("dmi-locality").domains[0]
    # North at level 1 aiming for 4: 4 - 1 = 3 to go; South at 3 aiming for 3: reached
    _locality_response(locality, pcn1, {first.id: 1, OVERALL: 1}, {first.id: 4})
    _locality_response(locality, pcn2, {first.id: 3, OVERALL: 3}, {first.id: 3})
    db.session.commit()
    login("admin")

    page = client.get("/areas/compare?round=loc-cmp&type=pcn&area=L-PCN1&area=L-PCN2")
    cells = compare_cells(page.get_data(as_text=True))
    assert cells[(first.name, "L-PCN1")].endswith("; ambition level 4 (3 to go)")
    assert cells[(first.name, "L-PCN2")].endswith("; ambition level 3 (reached)")
    area_page = client.get("/areas/L-PCN1?round=loc-cmp").get_data(as_text=True)
    assert "Level 4 (3 to go)" in area_page


def test_a_localitys_own_gap_to_the_target_is_the_target_less_its_own_level(app):
    """Target level 4: a PCN at levels 1, 2 and 5 is 3, 2 and -1 from it; a domain it
    left unscored has no level and so no gap (not a gap of the whole target)."""
    from survey.aggregates import named_aggregates

    ics = factories.area(code="G-ICS", type="ics")
    pcn = factories.area(code="G-PCN", type="pcn", parent=ics)
    locality = factories.survey_round("dmi-locality", slug="loc-gap", target_level=4)
    dmi = registry().latest("dmi-locality")
    first, second, third, unscored = (d.id for d in dmi.domains[:4])
    _locality_response(locality, pcn, {first: 1, second: 2, third: 5}, {})
    db.session.commit()
    gaps = {a.domain_id: (a.level, a.gap) for a in named_aggregates(locality, [pcn])}
    assert gaps[first] == (1, 3) and gaps[second] == (2, 2) and gaps[third] == (5, -1)
    assert gaps[unscored] == (None, None)


def test_a_localitys_own_levels_in_each_view_and_for_the_domains_asked(app):
    """A PCN assessed itself at 2 in one domain and a reviewer moderated it to 4: the
    self-assessed view shows 2, the moderated view 4. A map asks for one domain: it gets
    that domain's figure alone."""
    from survey.aggregates import area_aggregates

    pcn = factories.area(code="M-PCN", type="pcn")
    locality = factories.survey_round("dmi-locality", slug="loc-views")
    first, second = (d.id for d in registry().latest("dmi-locality").domains[:2])
    response = _locality_response(locality, pcn, {first: 2, second: 3}, {})
    response.scores[0].moderated_level = 4
    db.session.commit()

    def level(moderated: bool) -> int:
        shown = area_aggregates(locality, [pcn], moderated=moderated)
        return next(a.level for a in shown if a.domain_id == first)

    assert (level(False), level(True)) == (2, 4)
    asked = area_aggregates(locality, [pcn], domain_ids={second})
    assert [(a.domain_id, a.level) for a in asked] == [(second, 3)]


def test_trends_follow_one_instrument_oldest_first(app):
    """Rounds of another instrument in the same area are not part of its trend."""
    from survey.aggregates import trend_aggregates

    hood = factories.area(code="T-TREND", type="neighbourhood")
    for year in (2026, 2024, 2025):
        factories.round_of_year("confidence", year, f"conf-{year}")
    factories.round_of_year("vcse-readiness", 2025, "ready-2025")
    db.session.commit()
    trend = trend_aggregates("confidence", hood)
    assert [r.slug for r, _ in trend] == ["conf-2024", "conf-2025", "conf-2026"]
