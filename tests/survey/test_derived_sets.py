"""Derived sets: a group's change since the previous round, as the board pack's paired
figures read it, on its own or on moderated levels."""

from __future__ import annotations

import sqlalchemy as sa

from survey.derived_sets import paired_rows
from survey.extensions import db
from survey.models import OVERALL, DomainScore

from .. import factories


def test_a_groups_change_uses_moderated_levels_only_when_asked_and_where_set(app):
    """Welcoming: level 2 last year, 3 this year, moderated to 4 this year: a change of
    1 as the group said, 2 moderated. Overall: 2 then 3, not moderated: 1 either way; then
    last year's moderated to 1."""
    hood = factories.area(code="D-N1", type="neighbourhood")
    org = factories.organisation(area=hood)
    earlier = factories.round_of_year("confidence", 2025, "conf-d-2025")
    now = factories.round_of_year("confidence", 2026, "conf-d-2026")
    factories.submitted_response(earlier, org, {"welcoming": 2, OVERALL: 2}, areas=[hood])
    response = factories.submitted_response(now, org, {"welcoming": 3, OVERALL: 3})
    db.session.execute(
        sa.update(DomainScore)
        .where(DomainScore.response_id == response.id, DomainScore.domain_id == "welcoming")
        .values(moderated_level=4)
    )
    db.session.commit()
    assert paired_rows(now, moderated=False) == {
        (response.id, "welcoming"): 1.0,
        (response.id, OVERALL): 1.0,
    }
    assert paired_rows(now, moderated=True) == {
        (response.id, "welcoming"): 2.0,
        (response.id, OVERALL): 1.0,
    }
    # last year's overall moderated to 1: the moderated view compares moderated with
    # moderated, 3 - 1 = 2; the group's own view still 3 - 2 = 1
    db.session.execute(
        sa.update(DomainScore)
        .where(DomainScore.round_id == earlier.id, DomainScore.domain_id == OVERALL)
        .values(moderated_level=1)
    )
    db.session.commit()
    assert paired_rows(now, moderated=True)[response.id, OVERALL] == 2.0
    assert paired_rows(now, moderated=False)[response.id, OVERALL] == 1.0


def test_one_groups_readiness_is_read_from_its_current_submission_alone(app):
    """One group submitted (had referrals: yes; supported: agree): its response is in the
    receiving and supported sets (in every area the group lies in, which current_state
    adds). A draft in the same round and a submission in another round are not read."""
    from survey.derived_sets import readiness_members
    from survey.instruments_store import instrument_for
    from survey.models import Response

    place = factories.area(type="place")
    hood = factories.area(type="neighbourhood", parent=place)
    round_ = factories.survey_round("confidence")
    other = factories.survey_round("confidence")
    said = {"had_referrals": "yes", "supported_for_referrals": "agree"}
    org = factories.organisation(area=hood)
    sent = factories.submitted_response(
        round_, org, {OVERALL: 3}, areas=[hood, place], answers=said
    )
    drafting = factories.organisation(area=hood)
    draft = factories.submitted_response(
        round_, drafting, {OVERALL: 2}, areas=[hood], answers={"had_referrals": "no"}
    )
    draft.status = "in_progress"
    factories.submitted_response(other, org, {OVERALL: 3}, answers={"had_referrals": "no"})
    db.session.commit()
    rows = sorted(readiness_members(round_, instrument_for(round_)))
    assert rows == [(sent.id, "ready:receiving", 1.0), (sent.id, "ready:supported", 1.0)]
    assert db.session.get(Response, draft.id).status == "in_progress"
