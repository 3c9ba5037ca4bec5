"""Fixtures for the area pages: a small ICS with scored responses."""

from __future__ import annotations

import pytest

from survey.extensions import db


def add_responses(round_, area, scores: list[float]) -> None:
    """Groups in the area (and every area above it), each with a submitted response scoring
    the same in every domain and overall."""
    from scoring import band
    from survey.instruments_store import instrument_for
    from survey.models import OVERALL, DomainScore, OrganisationArea, Response, utcnow
    from tests import factories

    instrument = instrument_for(round_)
    domains = [d.id for d in instrument.domains] + [OVERALL]
    for score in scores:
        org = factories.organisation(area=area)
        for above in [area, *area.ancestors()]:
            db.session.add(OrganisationArea(organisation_id=org.id, area_id=above.id))
        invitation = factories.invitation(round_, org)
        response = Response(
            round=round_,
            invitation=invitation,
            organisation=org,
            area=area,
            status="submitted",
            submitted_at=utcnow(),
        )
        db.session.add(response)
        db.session.flush()
        for domain in domains:
            db.session.add(
                DomainScore(
                    response_id=response.id,
                    domain_id=domain,
                    score=score,
                    level=band(instrument, score),
                    answered=1,
                    applicable=1,
                )
            )
    db.session.flush()


def square(x: float, y: float, size: float = 0.1) -> str:
    """A square's GeoJSON geometry as text."""
    import json

    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


# name -> scores. Beta (n=3) is suppressed; then, so that Beta cannot be worked out
# from the ICS total, the smallest other neighbourhood with responses (Gamma, n=5) too.
SCORES = {
    "Alpha": [2.0, 2.5, 3.0, 3.5, 4.0, 4.5],  # mean 3.25
    "Beta": [1.0, 2.0, 4.0],  # mean 2.33: never shown
    "Gamma": [4.0, 4.2, 4.4, 4.6, 4.8],  # mean 4.40: never shown
    "Epsilon": [3.0, 3.0, 3.0, 3.0, 3.0, 3.5, 3.5],  # mean 3.14
    "Zeta": [1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 1.5],  # mean 1.25
    "Delta": [],
}


@pytest.fixture
def locality(app):
    """An ICS of six neighbourhoods with scored responses in a confidence round."""
    from tests import factories

    round_ = factories.survey_round("confidence", slug="confidence-test", target_level=3)
    ics = factories.area("T-ICS", type="ics", name="Test ICS", geometry=square(1.0, 52.0, 0.6))
    areas = {"ICS": ics}
    for i, (name, scores) in enumerate(SCORES.items()):
        area = factories.area(
            f"T-{name.upper()}",
            type="neighbourhood",
            parent=ics,
            name=f"{name} Neighbourhood",
            display_geometry=square(1.0 + 0.1 * i, 52.0),
            geometry=square(1.0 + 0.1 * i, 52.0),
        )
        add_responses(round_, area, scores)
        areas[name] = area
    db.session.commit()
    return round_, areas
