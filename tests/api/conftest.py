"""Fixtures for the data exchange tests: a scored round in a small geography, and tokens."""

from __future__ import annotations

import pytest

from survey.api.tokens import issue_token
from survey.extensions import db
from survey.models import OVERALL

from .. import factories

FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
def scored(app):
    """A PCN (the round's area) with neighbourhoods A, B, C: 6, 2 and 7 groups answered.

    B is under the threshold of 5 and A is then hidden too (PCN - A - C would give B).
    """
    pcn = factories.area(code="T-PCN", type="pcn", name="Test PCN")
    hoods = [
        factories.area(code=f"T-N{k}", type="neighbourhood", parent=pcn, name=f"Hood {k}")
        for k in "ABC"
    ]
    round_ = factories.survey_round("confidence", slug="confidence-test", target_level=4)
    round_.areas = [pcn]
    first = None
    for hood, count in zip(hoods, (6, 2, 7), strict=True):
        for i in range(count):
            org = factories.organisation(area=hood)
            answers = {"group_postcode": FORMULA} if first is None else {}
            made = factories.submitted_response(
                round_,
                org,
                {"welcoming": 1 + i % 5, OVERALL: 3},
                areas=[hood, pcn],
                answers=answers,
            )
            first = first or made
    db.session.commit()
    return round_, pcn, hoods


@pytest.fixture
def token(app):
    """A live API token (the raw value, as a BI tool holds it)."""
    _, raw = issue_token("Test BI tool", actor="test")
    db.session.commit()
    return raw


@pytest.fixture
def bearer(token):
    """Headers that carry the live token."""
    return {"Authorization": f"Bearer {token}"}
