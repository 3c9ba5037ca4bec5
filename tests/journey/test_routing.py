"""Routing from the instrument file: questions and whole pages an earlier answer skips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from instruments import load_registry
from survey import create_app
from survey.extensions import db
from survey.models import Invitation, Round
from tests import factories

from .conftest import Invited, Walker, text_of

VALID = Path(__file__).parent.parent / "instruments" / "valid"


@pytest.fixture
def mini(app):
    """The test instrument 'mini' (a question and a page routed on has_website), one link."""
    mini_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TESTING": True,
            "INSTRUMENTS_DIR": str(VALID),
        }
    )
    ics = factories.area(type="ics")
    home = factories.area(type="neighbourhood", parent=ics)
    group = factories.organisation(area=home)
    today = dt.date.today()
    round_ = Round(
        slug="mini-1",
        title="Mini round",
        instrument_id="mini",
        instrument_version="1",
        opens_on=today,
        closes_on=today + dt.timedelta(days=3),
        areas=[ics],
    )
    invitation = Invitation(round=round_, organisation=group)
    db.session.add_all([round_, invitation])
    db.session.commit()
    instrument = load_registry(VALID).get("mini", "1")
    invited = Invited(invitation.token, round_, group, home, instrument)
    with mini_app.app_context():
        yield Walker(mini_app.test_client(), invited)
        db.session.remove()
        db.engine.dispose()


def test_no_website_skips_the_website_question_and_the_referrals_page(mini):
    invited = mini.invited
    first = mini.get(mini.next_location())
    assert "Section 1 of 3" in text_of(first.text)
    mini.post_page(
        invited.section_url("about"), {"area": invited.area.code, "has_website": "no"}, 302
    )
    online = mini.get(mini.next_location())
    assert online.request.path.endswith("/section/online")
    assert "Section 2 of 2" in text_of(online.text), "the referrals page is routed out"
    assert 'name="web_updates"' not in online.text
    mini.post_page(
        invited.section_url("online"), {"directory": "email", "online_worry": "agree"}, 302
    )
    assert mini.next_location().endswith("/consent")
    # The skipped page cannot be opened by its address either.
    assert mini.get(invited.section_url("referrals"), status=302).location.endswith("/continue")


def test_a_website_brings_the_question_and_the_page_back(mini):
    invited = mini.invited
    mini.post_page(
        invited.section_url("about"), {"area": invited.area.code, "has_website": "yes"}, 302
    )
    online = mini.get(mini.next_location())
    assert "Section 2 of 3" in text_of(online.text)
    assert 'name="web_updates"' in online.text
    missing = mini.post_page(
        invited.section_url("online"), {"directory": "email", "online_worry": "agree"}, 400
    )
    assert "We keep our website up to date" in text_of(missing.text)
    mini.post_page(
        invited.section_url("online"),
        {"directory": "email", "online_worry": "agree", "web_updates": "agree"},
        302,
    )
    assert mini.next_location().endswith("/section/referrals")
