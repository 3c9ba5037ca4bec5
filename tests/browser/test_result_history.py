"""A group that answered the confidence survey last year and this year sees both on its result.

Its result page shows each domain's level now beside its level last year
("up from 2 to 4"), what the level means in that domain (the domain's own
descriptor, never the whole-survey meaning), where it plans to be in a year
and how far that is, and which groups it is compared with: groups of its own
size and kind, since five of them have answered. axe finds no violations.

The expected values are worked out by hand: every scored item is a likert
question, so answering "agree" (4) everywhere gives each domain a score of 4.0,
level 4 (level 4 starts at 3.4, level 5 at 4.2); last year's stored levels are 2.
"""

from __future__ import annotations

import datetime as dt

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    OVERALL,
    Answer,
    Area,
    DomainScore,
    Invitation,
    Organisation,
    OrganisationArea,
    Response,
    Round,
    new_token,
)

from .conftest import axe_violations

PROFILE = {"size": "small", "activity": "social_group"}


def _round(slug: str, version: str, opens: dt.date, closes: dt.date, ics: Area) -> Round:
    instrument = registry().get("confidence", version)
    made = Round(
        slug=slug,
        title=f"Confidence survey {opens.year}",
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        opens_on=opens,
        closes_on=closes,
        areas=[ics],
    )
    db.session.add(made)
    return made


def _other(
    round_: Round, home: Area, profile: dict, level: int, domains: list[str], day: dt.date
) -> None:
    """Another group of the round with stored levels (score = level), sent on that day."""
    org = Organisation(name=f"Other group {level}", area=home, profile=profile)
    db.session.add(org)
    db.session.flush()
    db.session.add(OrganisationArea(organisation_id=org.id, area_id=home.id))
    response = Response(
        round=round_,
        organisation=org,
        area_id=home.id,
        status="submitted",
        submitted_at=dt.datetime.combine(day, dt.time(9)),
    )
    response.scores = [
        DomainScore(domain_id=d, score=float(level), level=level) for d in [*domains, OVERALL]
    ]
    db.session.add(response)


def _two_rounds(app) -> tuple[str, list[str]]:
    """The group's private link to this year's result, and the domain ids."""
    today = dt.date.today()
    with app.app_context():
        now = registry().get("confidence", "2026.1")
        domains = [d.id for d in now.domains]
        ics = Area(code="H-ICS", name="History ICS", type="ics")
        home = Area(code="H-N1", name="Brookside Neighbourhood", type="neighbourhood", parent=ics)
        group = Organisation(name="Brookside lunch club", area=home, profile=PROFILE)
        db.session.add_all([ics, home, group])
        db.session.flush()
        db.session.add(OrganisationArea(organisation_id=group.id, area_id=home.id))
        last_year = _round(
            "confidence-last", "2025.1", today - dt.timedelta(days=400),
            today - dt.timedelta(days=300), ics,
        )  # fmt: skip
        this_year = _round(
            "confidence-this", "2026.1", today - dt.timedelta(days=20),
            today + dt.timedelta(days=30), ics,
        )  # fmt: skip
        before = Response(
            round=last_year,
            invitation=Invitation(round=last_year, organisation=group),
            organisation=group,
            area_id=home.id,
            status="submitted",
            submitted_at=dt.datetime.combine(last_year.opens_on, dt.time(10)),
        )
        before.scores = [DomainScore(domain_id=d, score=2.0, level=2) for d in [*domains, OVERALL]]
        invitation = Invitation(round=this_year, organisation=group, private_token=new_token())
        answers = {q.id: "agree" for q in now.questions if q.type == "likert"}
        answers.update({q.id: "yes" for q in now.questions if q.type == "yesno"})
        answers.update({f"plan_{d}": "level_5" for d in domains})
        answers["activity_types"] = ["social_group"]
        answers["group_area"] = home.code
        current = Response(
            round=this_year,
            invitation=invitation,
            organisation=group,
            area_id=home.id,
            status="submitted",
            submitted_at=dt.datetime.combine(today, dt.time(9)),
        )
        current.answers = [Answer(question_id=q, value=v) for q, v in answers.items()]
        current.scores = [DomainScore(domain_id=d, score=4.0, level=4) for d in domains]
        current.scores.append(DomainScore(domain_id=OVERALL, score=4.0, level=4))
        db.session.add_all([before, invitation, current])
        # before the group sent its answers: five groups of its size and kind (median
        # level 2) and five larger ones at 5; after it: one more like it, at level 5,
        # which does not count (the median of 1, 2, 2, 3, 3, 5 would be 2.5)
        earlier, later = today - dt.timedelta(days=5), today + dt.timedelta(days=1)
        for level in (1, 2, 2, 3, 3):
            _other(this_year, home, PROFILE, level, domains, earlier)
        for _ in range(5):
            large = {"size": "large", "activity": "social_group"}
            _other(this_year, home, large, 5, domains, earlier)
        _other(this_year, home, PROFILE, 5, domains, later)
        db.session.commit()
        return invitation.private_token, domains


def test_a_group_sees_this_year_beside_last_year_with_descriptors_and_ambition(live_server, page):
    app = live_server.app
    token, domains = _two_rounds(app)
    with app.app_context():
        instrument = registry().get("confidence", "2026.1")
    page.goto(f"{live_server.url}/r/{token}/result")
    assert "since Confidence survey " in page.locator("#levels thead").inner_text()

    for domain in instrument.domains:
        row = page.locator(f'#levels tr[data-domain="{domain.id}"]')
        assert row.locator("[data-level]").get_attribute("data-level") == "4"
        assert row.locator("[data-before]").inner_text() == "Up from 2 to 4"
        assert row.locator("[data-ambition]").inner_text() == "Ambition: level 5 (1 level to go)"
        section = page.locator(f"#domain-{domain.id}")
        # the domain's own words for level 4, and not the whole survey's
        assert section.locator("[data-descriptor]").inner_text() == domain.level(4).descriptor
        assert instrument.level(4).description not in section.inner_text()
        assert "up from 2 to 4" in section.inner_text()
        assert "You plan to be at level 5 in a year: 1 level to go" in section.inner_text()
    assert instrument.level(4).description in page.locator("#overall").inner_text()
    assert "overall you are up from 2 to 4" in page.locator("#since").inner_text()

    comparison = page.locator("#comparison")
    assert comparison.get_attribute("data-basis") == "size and type"
    assert (
        "small groups whose main activity is social group that had answered before you"
        in comparison.inner_text()
    )
    assert "5 groups that have answered this round" in comparison.inner_text()
    assert "Their median overall level is level 2" in comparison.inner_text()

    found = axe_violations(page)
    assert found == [], found
    assert page.console_errors == [] and page.external_requests == []
