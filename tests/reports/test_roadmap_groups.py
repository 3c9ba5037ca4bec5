"""The roadmap's Groups sheet rows (survey.reports.roadmap_data.groups_in_area): which
groups an area's workbook lists, in what order, with which area, broker and levels."""

from __future__ import annotations

import datetime as dt

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import OVERALL, DomainScore, OrganisationArea, Response
from survey.reports.roadmap_data import groups_in_area

from .. import factories


def test_an_areas_groups_are_its_own_by_name_with_their_area_broker_and_this_rounds_levels(app):
    """Place P holds neighbourhoods N1 and N2; Q is another place. Zeta Walkers (made
    first, so the lower id) in N1 with Northvale CVS, at level 1 last year and 3 this
    year; Alpha Choir in N2 with Southvale CVS at level 4; Draft Band in N1 with only a
    draft (whose stored score must not count); Outside Club in Q's neighbourhood.
    P's rows: Alpha, Draft, Zeta (by name), each with its own neighbourhood and broker,
    this round's levels only; Outside Club is not there."""
    place = factories.area("R-P", type="place", name="Riverside Place")
    n1 = factories.area("R-N1", parent=place, name="Mill Ward")
    n2 = factories.area("R-N2", parent=place, name="Dale Ward")
    other = factories.area("R-Q", type="place", name="Hill Place")
    m = factories.area("R-M", parent=other, name="Hill Ward")
    north, south = factories.broker("Northvale CVS"), factories.broker("Southvale CVS")
    zeta = factories.organisation(name="Zeta Walkers", area=n1, broker=north)
    alpha = factories.organisation(name="Alpha Choir", area=n2, broker=south)
    draft = factories.organisation(name="Draft Band", area=n1)
    outside = factories.organisation(name="Outside Club", area=m, broker=north)
    earlier = factories.survey_round(
        "confidence", slug="conf-g-2025", opens_on=dt.date(2025, 5, 1),
        closes_on=dt.date(2025, 7, 31),
    )  # fmt: skip
    now = factories.survey_round(
        "confidence", slug="conf-g-2026", opens_on=dt.date(2026, 5, 1),
        closes_on=dt.date(2026, 7, 31),
    )  # fmt: skip
    factories.submitted_response(earlier, zeta, {"welcoming": 1})
    factories.submitted_response(now, zeta, {"welcoming": 3}, areas=[n1, place])
    factories.submitted_response(now, alpha, {"welcoming": 4}, areas=[n2, place])
    factories.submitted_response(now, outside, {"welcoming": 2}, areas=[m, other])
    db.session.add(OrganisationArea(organisation_id=draft.id, area_id=place.id))
    in_progress = Response(
        round=now, invitation=factories.invitation(now, draft), organisation=draft,
        area_id=n1.id, status="in_progress",
    )  # fmt: skip
    in_progress.scores.append(DomainScore(domain_id="welcoming", score=5.0, level=5))
    db.session.add(in_progress)
    db.session.commit()
    assert zeta.id < alpha.id

    rows = groups_in_area(now, place, moderated=False, viewer=None)
    domains = [d.id for d in registry().latest("confidence").domains] + [OVERALL]
    seen = [
        (
            r.name,
            r.area_code,
            r.area_name,
            r.broker,
            dict(zip(domains, r.levels, strict=True))["welcoming"],
        )  # fmt: skip
        for r in rows
    ]
    assert seen == [
        ("Alpha Choir", "R-N2", "Dale Ward", "Southvale CVS", 4),
        ("Draft Band", "R-N1", "Mill Ward", None, None),
        ("Zeta Walkers", "R-N1", "Mill Ward", "Northvale CVS", 3),
    ]
