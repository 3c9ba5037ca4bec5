"""Finding 20: referral readiness counts must not give a small place or one group away.

The readiness places of tests/areas/test_readiness.py: an ICS with Ash (12 groups),
Birch (8) and Cedar (3). Read every area page, then one more group answers in Ash
(saying yes to referrals, 9 places a month, and offering every care-navigation level)
and every page is read again. No count may give away Cedar (the ICS minus Ash and
Birch), nor the new group (a figure that moved by one group between the two reads).
"""

from __future__ import annotations

from survey.extensions import db
from survey.models import OVERALL
from tests import factories
from tests.areas.test_readiness import shown


def _read(client, round_, areas) -> dict:
    return {
        code: shown(client.get(f"/areas/{code}?round={round_.slug}").get_data(as_text=True))
        for code in areas
    }


def test_finding_20_no_readiness_count_gives_a_place_or_a_group_away(
    client, login, readiness_places
):
    round_, areas, frame = readiness_places
    login("admin")
    before = _read(client, round_, areas)
    assert before["R-ICS"], "the ICS shows figures: the check below is not empty"
    org = factories.organisation(area=areas["R-ASH"])
    factories.submitted_response(
        round_,
        org,
        {OVERALL: 3},
        areas=[areas["R-ASH"], areas["R-ICS"]],
        answers={
            "sw_had_referrals": "yes",
            "referral_capacity": 9,
            "support_levels": ["level_1_information", "level_2_guidance", "level_3_practical"],
            "sd_help_wanted": ["website"],
            "ss_help_wanted": ["funding"],
        },
    )
    db.session.commit()
    after = _read(client, round_, areas)
    for code in areas:
        for key, figure in after[code].items():
            if key in before[code]:
                # one group more: a figure either stays as it was or is not shown
                assert figure == before[code][key], (code, key, before[code][key], figure)
    assert after["R-CEDAR"] == {}
    # the ICS still shows its referrals share, as published before the new group: 12 of 23
    assert after["R-ICS"]["ready:receiving"] == before["R-ICS"]["ready:receiving"] == (12, 23)
    for page in (before, after):
        for key in page["R-ICS"]:
            # all three shown would give Cedar's count as the ICS minus Ash and Birch
            assert not (key in page["R-ASH"] and key in page["R-BIRCH"]), key
