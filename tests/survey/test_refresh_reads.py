"""A refresh reads back only what it needs, and publishes exactly what reading everything did.

A refresh (survey.publication._refresh) used to read every figure the round had ever
published, members and all. It now takes a slot's last published set from the sets of
now when the stored digest says they are equal, and reads from the ledger only the sets
near in size to a changed one (two sets whose sizes are the threshold apart differ by at
least the threshold). The oracle below is the old reading, kept here only to compare: on
random rounds changed step by step (submissions, changed and moderated levels,
superseded answers, erasures, both views), each refresh must publish the same figures and
hide the same slots as a plan made from the whole ledger.
"""

from __future__ import annotations

import random
from collections import defaultdict

import pytest
import sqlalchemy as sa

from scoring.disclosure import plan_publication
from scoring.members import members_digest
from survey import publication
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    OVERALL,
    OrganisationArea,
    Publication,
    PublishedFigure,
)
from survey.publication import children_by_parent, current_state

from .. import factories
from .test_current_state import _random_rounds, as_keys, scored

THRESHOLD = 5


def _oracle(round_id: int, moderated: bool, state) -> tuple[dict, set]:
    """What the refresh should publish and hide, planned from the whole ledger."""
    ledger: dict[str, list[frozenset]] = defaultdict(list)
    latest: dict[str, dict[int, tuple[int, frozenset]]] = defaultdict(dict)
    rows = db.session.execute(
        sa.select(
            PublishedFigure.domain_id,
            PublishedFigure.area_id,
            PublishedFigure.moderated,
            PublishedFigure.publication_id,
            PublishedFigure.members,
        ).where(PublishedFigure.round_id == round_id)
    )
    for domain_id, area_id, view, publication_id, members in rows:
        members = frozenset(members)
        ledger[domain_id].append(members)
        if view == moderated:
            before = latest[domain_id].get(area_id)
            if before is None or before[0] < publication_id:
                latest[domain_id][area_id] = (publication_id, members)
    children = children_by_parent()
    published, hidden = {}, set()
    now = as_keys(state)  # the plan made over the members' text keys, as frozensets
    for domain_id in sorted(set(now) | set(latest)):
        plan = plan_publication(
            now.get(domain_id, {}),
            {a: m for a, (_, m) in latest[domain_id].items()},
            ledger[domain_id],
            children,
            THRESHOLD,
        )
        published |= {(a, domain_id): m for a, m in plan.publish.items()}
        hidden |= {(a, domain_id) for a in plan.hidden}
    return published, hidden


def _written(publication_row: Publication) -> tuple[dict, set]:
    rows = db.session.execute(
        sa.select(
            PublishedFigure.area_id, PublishedFigure.domain_id, PublishedFigure.members
        ).where(PublishedFigure.publication_id == publication_row.id)
    )
    return (
        {(a, d): frozenset(m) for a, d, m in rows},
        {(a, d) for a, d in publication_row.hidden or []},
    )


def _change(rng: random.Random, round_, areas) -> str:
    """One random change to the round; its name, for the failure message."""
    scores = db.session.scalars(scored(round_)).all()
    kind = rng.choice(["submit", "submit", "rescore", "moderate", "supersede", "erase"])
    if kind == "submit" or not scores:  # a burst: one group, or enough to move a figure
        domains = [d.id for d in registry().latest("confidence").domains] + [OVERALL]
        hoods = [a for a in areas if a.type == "neighbourhood"]
        for _ in range(rng.choice([1, 2, 4, 5, 7])):
            hood = rng.choice(hoods)
            org = factories.organisation(area=hood)
            for area in {hood, hood.parent, areas[0]}:
                db.session.add(OrganisationArea(organisation_id=org.id, area_id=area.id))
            levels = {d: rng.randint(1, 5) for d in domains if rng.random() < 0.9}
            factories.submitted_response(round_, org, levels)
        return "submit"
    picked = rng.sample(scores, min(len(scores), rng.choice([1, 5, 12])))
    if kind == "rescore":
        for score in picked:
            score.level = 1 + score.level % 5
            score.score = float(score.level)
    elif kind == "moderate":
        for score in picked:
            score.moderated_level = rng.randint(1, 5)
    elif kind == "supersede":
        picked[0].response.is_current = False
    else:
        response_id = picked[0].response_id
        publication.forget_responses([response_id])
        db.session.delete(picked[0].response)
    return kind


def test_a_refresh_publishes_what_a_plan_from_the_whole_ledger_publishes(app, monkeypatch):
    read_back, near = [], []
    real_published, real_near = publication._published_sets, publication._ledger_near

    def published_sets(round_id, moderated, state):
        out = real_published(round_id, moderated, state)
        stale = sum(
            m is not state.sets.get(d, {}).get(a) for d, by in out.items() for a, m in by.items()
        )
        read_back.append((stale, sum(len(by) for by in out.values())))
        last_published[:] = [out]
        return out

    def ledger_near(round_id, *args):
        out, newer = real_near(round_id, *args)
        assert all(s in out[d] for d, sets in newer.items() for s in sets)
        of_domains = db.session.scalar(  # every set ever published in the domains read
            sa.select(sa.func.count())
            .select_from(PublishedFigure)
            .where(PublishedFigure.round_id == round_id, PublishedFigure.domain_id.in_(out))
        )
        near.append((sum(len(sets) for sets in out.values()), of_domains))
        last_read[:] = [(out, newer)]
        return out, newer

    given_refused, plans_now, last_published, last_read = [], [], [], []
    real_plan = publication.plan_publication

    def plan(current, *args, **known):
        # what the last refresh checked comes back as slots of the sets now
        assert set(known["refused"]) | set(known["clean"]) <= set(current)
        given_refused.append((len(known["refused"]), len(known["clean"])))
        made = real_plan(current, *args, **known)
        plans_now.append((current, known["clean"], made, known["refused"]))
        return made

    monkeypatch.setattr(publication, "plan_publication", plan)
    monkeypatch.setattr(publication, "_published_sets", published_sets)
    monkeypatch.setattr(publication, "_ledger_near", ledger_near)
    published_any = hidden_any = 0
    for seed in (11, 12):
        rng = random.Random(seed)
        round_, areas = _random_rounds(rng)
        for step in range(14):
            kind = _change(rng, round_, areas) if step else "first"
            db.session.commit()
            moderated = rng.random() < 0.4
            state = current_state(round_, moderated, THRESHOLD)
            expected = _oracle(round_.id, moderated, state)
            ledger_size = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(PublishedFigure)
                .where(PublishedFigure.round_id == round_.id)
            )
            before = db.session.scalar(sa.select(sa.func.max(Publication.id)))
            plans_now.clear(), last_read.clear(), last_published.clear()
            made, _ = publication.publish(round_, moderated=moderated, threshold=THRESHOLD)
            db.session.commit()
            if before is not None and made.id <= before:
                # this view's sets did not change (a moderation seen from the self-assessed
                # view): no refresh, and a plan would publish nothing either
                assert expected[0] == {}, (seed, step, kind, moderated)
                continue
            assert _written(made) == expected, (seed, step, kind, moderated)
            # only the view's latest publication keeps the sets it checked
            keeping = db.session.scalars(
                sa.select(Publication.id).where(
                    Publication.round_id == round_.id,
                    Publication.moderated.is_(moderated),
                    Publication.checked.is_not(None),
                )
            ).all()
            assert keeping in ([], [made.id]), (seed, step)
            # and keeps every slot each domain's plan checked, refused or clean
            stored = made.checked or []
            assert sum(refused for *_, refused in stored) == sum(
                len(p.refused) for _, _, p, _ in plans_now
            ), (seed, step)
            assert sum(not refused for *_, refused in stored) == sum(
                len(p.clean) for _, _, p, _ in plans_now
            ), (seed, step)
            published_any += len(expected[0])
            hidden_any += len(expected[1])
            _read_only_what_the_plans_check(state, last_published, last_read, plans_now)
            # what this refresh read: at most the ledger of the domains it read
            assert near[-1][0] <= near[-1][1] <= ledger_size, (seed, step)
        # erasure renamed members: every stored digest is still its members' digest
        for members, digest in db.session.execute(
            sa.select(PublishedFigure.members, PublishedFigure.digest).where(
                PublishedFigure.round_id == round_.id
            )
        ):
            assert digest == members_digest(members)
    # the steps did publish and hide figures, and the refreshes read less than everything
    assert published_any > 50 and hidden_any > 0
    assert any(0 < stale < total for stale, total in read_back)
    assert any(read < of_domains for read, of_domains in near)
    # sets refused before were refused again without looking, and those found clean were
    # checked against the newer sets only
    assert max(r for r, _ in given_refused) > 0 and max(c for _, c in given_refused) > 0


def _read_only_what_the_plans_check(state, last_published, last_read, plans) -> None:
    """A refresh reads from the ledger only sets a checked set could differ from by few, in
    one query for every domain it checks: each set read is within the threshold in size
    of a set some plan checked afresh, or, published since the last refresh, of one found
    clean then and checked again now against the newer sets only; and nothing of a domain
    whose plan checks nothing."""
    ledger, newer = last_read[0]
    domains = sorted(set(state.sets) | set(last_published[0]))
    fresh, again, checking = set(), set(), set()
    for domain_id, (current, clean_before, plan, refused) in zip(domains, plans, strict=True):
        assert current == state.sets.get(domain_id, {}), domain_id
        checked = (plan.refused - set(refused)) | plan.clean  # refused before: not checked
        again |= {len(current[a]) for a in checked if a in clean_before}
        fresh |= {len(current[a]) for a in checked if a not in clean_before}
        if checked:
            checking.add(domain_id)
    for domain_id, sets in ledger.items():
        assert domain_id in checking
        for read in sets:
            near_fresh = any(abs(len(read) - n) < THRESHOLD for n in fresh)
            near_again = any(abs(len(read) - n) < THRESHOLD for n in again)
            assert near_fresh or (near_again and read in newer[domain_id]), domain_id


def _group_in(round_, *areas):
    org = factories.organisation(area=areas[0])
    return factories.submitted_response(round_, org, {OVERALL: 3}, areas=areas)


@pytest.mark.parametrize("whole", [False, True], ids=["sizes-read", "whole-ledger-read"])
def test_a_set_the_threshold_minus_one_larger_than_an_earlier_figure_is_held_back(
    app, monkeypatch, whole
):
    """A ward's figure of 10 groups is published, then one of 15 (five more joined). A
    neighbourhood then has the first 10 and 4 others: 14 against the ward's earlier 10 is a
    difference of 4 (threshold 5), which would give those 4 away by subtraction, so it is
    not published, though nothing shown now is that close (14 against 15 differ by 9). With
    a fifth other group (15 against 10) it is. The earlier set is only in the ledger, at
    exactly the edge of the sizes a refresh reads. The same when a refresh has too many
    sizes to list and reads the domain's whole ledger instead."""
    if whole:
        monkeypatch.setattr(publication, "NEAR_SIZES_READ", 0)
    round_ = factories.survey_round("confidence")
    ward = factories.area(type="ward")
    hood = factories.area(type="neighbourhood")
    first = [_group_in(round_, ward).organisation_id for _ in range(10)]
    db.session.commit()

    def figures(area):
        publication.publish(round_, moderated=False, threshold=THRESHOLD)
        db.session.commit()
        return db.session.scalars(
            sa.select(PublishedFigure.n)
            .where(PublishedFigure.area_id == area.id, PublishedFigure.domain_id == OVERALL)
            .order_by(PublishedFigure.id)
        ).all()

    assert figures(ward) == [10]
    for _ in range(5):
        _group_in(round_, ward)
    db.session.commit()
    assert figures(ward) == [10, 15]
    for org_id in first:
        db.session.add(OrganisationArea(organisation_id=org_id, area_id=hood.id))
    for _ in range(4):
        _group_in(round_, hood)
    db.session.commit()
    assert figures(hood) == []
    _group_in(round_, hood)
    db.session.commit()
    assert figures(hood) == [15]


def _ward_in_hood_and_a_far_town(round_, ward, hood, town) -> list:
    """Ten groups in the ward and the neighbourhood, two more in the neighbourhood alone,
    thirty in the town; returns the town's responses."""
    for _ in range(10):
        _group_in(round_, ward, hood)
    for _ in range(2):
        _group_in(round_, hood)
    far = [_group_in(round_, town) for _ in range(30)]
    db.session.commit()
    return far


def test_a_set_that_lost_to_a_larger_one_is_held_back_once_that_one_is_published(app):
    """A ward of 10 groups and a neighbourhood of those 10 and 2 more: 12 against 10, a
    difference of 2, so only the larger is published, and the ward's set was clear of the
    ledger when it was checked. Then a score changes in a third area of 30 groups (its set
    now differs from its figure by 2, so nothing is published there). The ward's set is the
    same, and it is still held back: the neighbourhood's figure, published by the last
    refresh itself, is newer than that check."""
    round_ = factories.survey_round("confidence")
    ward = factories.area(type="ward")
    hood = factories.area(type="neighbourhood")
    town = factories.area(type="place")
    far = _ward_in_hood_and_a_far_town(round_, ward, hood, town)

    def figures():
        publication.publish(round_, moderated=False, threshold=THRESHOLD)
        db.session.commit()
        rows = db.session.execute(
            sa.select(PublishedFigure.area_id, PublishedFigure.n).where(
                PublishedFigure.domain_id == OVERALL
            )
        )
        return sorted((area_id, n) for area_id, n in rows)

    assert figures() == sorted([(hood.id, 12), (town.id, 30)])
    [score] = [s for s in far[0].scores if s.domain_id == OVERALL]
    score.score, score.level = 4.0, 4
    db.session.commit()
    assert figures() == sorted([(hood.id, 12), (town.id, 30)])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 2


def test_a_set_found_clean_is_checked_again_against_the_sets_published_since_only(app, monkeypatch):
    """An old area's figure of 11 groups of its own is published first. Then a ward of 10
    groups and a neighbourhood of those 10 and 2 more: the ward's 10 is checked against the
    ledger (the old 11 is near in size, but shares no group: clean) and loses to the
    neighbourhood's 12. A score then changes far away and the ward, the same 10, is checked
    again: only against what was published since its check (the neighbourhood's 12). The
    old 11 cannot have come closer, so it is not read again."""
    round_ = factories.survey_round("confidence")
    old, ward = factories.area(type="place"), factories.area(type="ward")
    hood, town = factories.area(type="neighbourhood"), factories.area(type="place")
    for _ in range(11):
        _group_in(round_, old)
    db.session.commit()
    read = []
    real_near = publication._ledger_near

    def ledger_near(*args):
        out, newer = real_near(*args)
        read.append(sorted(len(s) for s in out.get(OVERALL, ())))
        return out, newer

    monkeypatch.setattr(publication, "_ledger_near", ledger_near)

    def refresh():
        read.clear()
        publication.publish(round_, moderated=False, threshold=THRESHOLD)
        db.session.commit()
        return read[0] if read else None

    assert refresh() == []  # the first figure: nothing published before it to read
    far = _ward_in_hood_and_a_far_town(round_, ward, hood, town)
    assert refresh() == [11]  # 10, 12 and 30 checked afresh: the old 11 is near the first two
    [score] = [s for s in far[0].scores if s.domain_id == OVERALL]
    score.score, score.level = 4.0, 4
    db.session.commit()
    assert refresh() == [12]  # the ward's 10 again: only the neighbourhood's 12, newer
    shown = db.session.execute(
        sa.select(PublishedFigure.area_id, PublishedFigure.n).where(
            PublishedFigure.domain_id == OVERALL
        )
    )
    assert sorted(shown) == sorted([(old.id, 11), (hood.id, 12), (town.id, 30)])
