"""Finding 4: small numbers recovered by subtracting the figures before and after a submission.

Groups submit one at a time through the journey's own submit function; after
each, every area's figures are read. A figure that changes is made from the
groups there at that moment (worked out from the raw rows); no two figures
ever published (any areas, any moments) may come from sets that differ by 1
to 4 groups, and n1 * m1 - n0 * m0 never gives one group's score.
"""

from __future__ import annotations

import random

import pytest

from survey.aggregates import area_aggregates
from survey.demo_data import DemoGroup, demo_answers, group_profile
from survey.extensions import db
from survey.instruments_store import instrument_for
from survey.journey.respondent import find_respondent, submit
from survey.models import OVERALL, Answer, OrganisationArea, Response

from .. import factories
from .disclosure_checks import few_apart, group_sets, responded_sets


def _answers(round_, area, rng):
    instrument = instrument_for(round_)
    group = DemoGroup(
        name="x",
        neighbourhood=area.code,
        lon=0.0,
        lat=0.0,
        postcode="ZZ1 1ZZ",
        profile=group_profile(rng, "advice"),
        maturity=rng.uniform(1.5, 4.5),
        email="",
        charity_number=None,
    )
    return demo_answers(instrument, group, group.maturity, area.code, rng, complete=True)


def _submit_one(round_, org, area, rng, key):
    """A group's draft with full answers, sent with the journey's submit()."""
    invitation = factories.invitation(round_, organisation=org)
    draft = Response(
        round=round_,
        invitation=invitation,
        organisation=org,
        area_id=org.area_id,
        status="in_progress",
        visited=[],
    )
    for question_id, value in _answers(round_, area, rng).items():
        draft.answers.append(Answer(question_id=question_id, value=value))
    db.session.add(draft)
    db.session.commit()
    respondent = find_respondent(invitation.token)
    return submit(respondent, key, str(draft.version))


@pytest.fixture
def places(app):
    """A PCN with neighbourhood N (6 groups answered) and a ward W over N and 3 more groups."""
    rng = random.Random(4)
    pcn = factories.area(code="S-PCN", type="pcn")
    hood = factories.area(code="S-N", type="neighbourhood", parent=pcn)
    ward = factories.area(code="S-W", type="ward")
    round_ = factories.survey_round("confidence", slug="confidence-seq")
    db.session.commit()
    for k in range(9):
        org = factories.organisation(area=hood)
        _place(org, [ward] if k >= 6 else [hood, pcn, ward])
        _submit_one(round_, org, hood, rng, f"seed-{k}")
    return round_, [pcn, hood, ward], rng


def _place(org, areas) -> None:
    for area in areas:
        db.session.add(OrganisationArea(organisation_id=org.id, area_id=area.id))
    db.session.commit()


def test_finding_04_single_submissions_never_move_a_figure_by_a_few_groups(places):
    round_, areas, rng = places
    pcn, hood, ward = areas
    published: dict[str, list] = {}  # domain -> [(label, set, n, mean)]
    counts: list = []  # (label, set of responses) of every response count shown
    last: dict[tuple[int, str], tuple] = {}
    last_count: dict[int, int | None] = {}
    for step in range(16):
        if step:
            org = factories.organisation(area=hood)
            _place(org, areas)
            _submit_one(round_, org, hood, rng, f"step-{step}")
        sets = group_sets(round_)
        responded = responded_sets(round_)
        for agg in area_aggregates(round_, areas):
            s = agg.summary
            key = (agg.area.id, agg.domain_id)
            shown = None if agg.suppressed or not s.n else (s.n, s.mean)
            if shown is not None and shown != last.get(key):
                # a new figure: it must be the groups there now
                members = sets[(agg.domain_id, agg.area.id)]
                assert s.n == len(members), (step, agg.area.code, agg.domain_id)
                assert s.mean == pytest.approx(sum(members.values()) / len(members))
                published.setdefault(agg.domain_id, []).append(
                    ((step, agg.area.code), frozenset(members), s.n, s.mean)
                )
            last[key] = shown
            if (
                agg.domain_id == OVERALL
                and agg.responded
                and (agg.responded != last_count.get(agg.area.id))
            ):
                members = responded[agg.area.id]
                assert agg.responded == len(members)
                counts.append(((step, agg.area.code), frozenset(members)))
                last_count[agg.area.id] = agg.responded
    for domain_id, figures in published.items():
        assert few_apart([(label, members) for label, members, _, _ in figures]) == [], domain_id
        for (_, _, n0, m0), (_, _, n1, m1) in zip(figures, figures[1:], strict=False):
            if n1 - n0 == 1:  # the sum of the new figure minus the old would be one group's
                pytest.fail(f"{domain_id}: n {n0} -> {n1} gives one score {n1 * m1 - n0 * m0}")
    assert few_apart(counts) == []
    # The figures did move, in steps of 5 groups. At first the ward (9 groups) is published;
    # N's 6 are 3 from it, so N waits until 2 more groups make it 5 away (8). After that
    # each moves once 5 more groups have answered in it.
    steps = {
        code: [n for (_, c), _, n, _ in published[OVERALL] if c == code] for code in ("S-N", "S-W")
    }
    assert steps == {"S-N": [8, 13, 18], "S-W": [9, 14, 19, 24]}
