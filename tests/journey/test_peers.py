"""Peers by size and type on a group's result: the set moves only in whole steps of the
disclosure threshold, so no two comparisons differ by one group (issue 10, privacy)."""

from __future__ import annotations

import datetime as dt

from survey.extensions import db
from survey.instruments_store import registry
from survey.journey.history import BY_SIZE_AND_TYPE, peer_comparison
from survey.journey.respondent import Respondent
from survey.models import OVERALL, DomainScore, Response, ResponseStatus
from tests import factories

SMALL_SOCIAL = {"size": "small", "activity": "social_group"}
START = dt.datetime(2026, 6, 1, 9, 0)


def _submit(round_, org, level: int, at: dt.datetime, *, current: bool = True) -> Response:
    response = Response(
        round_id=round_.id,
        organisation_id=org.id,
        status=ResponseStatus.SUBMITTED,
        is_current=current,
        submitted_at=at,
    )
    response.scores = [DomainScore(domain_id=OVERALL, score=float(level), level=level)]
    db.session.add(response)
    db.session.flush()
    return response


def test_similar_groups_count_in_whole_steps_of_the_threshold_and_amending_moves_nobody(app):
    assert app.config["DISCLOSURE_THRESHOLD"] == 5
    round_ = factories.survey_round("confidence")
    home = factories.area(type="neighbourhood")
    # Seven similar groups answered first, with overall levels 1, 2, 3, 4, 5, 5, 5, then
    # one of another size; then our group.
    peers = []
    for i, level in enumerate([1, 2, 3, 4, 5, 5, 5]):
        org = factories.organisation(f"Peer {i}", home, profile=SMALL_SOCIAL)
        peers.append((org, _submit(round_, org, level, START + dt.timedelta(hours=i))))
    other = factories.organisation("Big group", home, profile={**SMALL_SOCIAL, "size": "large"})
    _submit(round_, other, 1, START + dt.timedelta(hours=7))
    ours = factories.organisation("Our group", home, profile=SMALL_SOCIAL)
    invitation = factories.invitation(round_, ours)
    own = _submit(round_, ours, 3, START + dt.timedelta(days=1))
    db.session.commit()
    respondent = Respondent(
        invitation, round_, registry().get(round_.instrument_id, round_.instrument_version)
    )

    seen = peer_comparison(respondent, own)
    # Seven similar groups, counted in steps of five: the first five by when they answered
    # (levels 1, 2, 3, 4, 5), median 3. Counting all seven would give median 4.
    assert seen.basis == BY_SIZE_AND_TYPE and seen.count == 5
    assert seen.medians[OVERALL] == 3.0

    # The first peer amends (a new current submission, later): it keeps its place.
    first_org, first_response = peers[0]
    first_response.is_current = False
    _submit(round_, first_org, 2, START + dt.timedelta(days=2))
    # Our group amends too, after three more similar groups have answered.
    for i in range(3):
        late = factories.organisation(f"Late {i}", home, profile=SMALL_SOCIAL)
        _submit(round_, late, 1, START + dt.timedelta(days=3, hours=i))
    own.is_current = False
    again = _submit(round_, ours, 4, START + dt.timedelta(days=4))
    db.session.commit()
    after = peer_comparison(respondent, again)
    # The same five groups (now 2, 2, 3, 4, 5): still five, median 3; the late groups and
    # the sixth and seventh stay out until ten similar groups came before our first answer.
    assert after.count == 5 and after.medians[OVERALL] == 3.0


def test_with_fewer_than_the_threshold_of_similar_groups_there_is_no_such_comparison(app):
    round_ = factories.survey_round("confidence")
    home = factories.area(type="neighbourhood")
    for i in range(4):
        org = factories.organisation(f"Peer {i}", home, profile=SMALL_SOCIAL)
        _submit(round_, org, 2, START + dt.timedelta(hours=i))
    ours = factories.organisation("Our group", home, profile=SMALL_SOCIAL)
    invitation = factories.invitation(round_, ours)
    own = _submit(round_, ours, 3, START + dt.timedelta(days=1))
    db.session.commit()
    respondent = Respondent(
        invitation, round_, registry().get(round_.instrument_id, round_.instrument_version)
    )
    assert peer_comparison(respondent, own).basis != BY_SIZE_AND_TYPE
