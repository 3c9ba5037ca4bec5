"""The groups behind each figure (survey.publication.current_state), read once per response
with the areas joined in Python, equal what the per-area query gave, on random rounds.

The oracle is the implementation this replaced (one score row per response, domain and
area membership), kept here only to compare against. Everything downstream of the member
sets (which figures are published, suppression including by subtraction, the summaries)
is a function of them and the ledger, so equal sets and fingerprints mean equal figures;
the last assertions check that on the pages' own aggregates too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import defaultdict

import sqlalchemy as sa

from scoring.members import members_digest
from survey import derived_sets
from survey.aggregates import area_aggregates
from survey.extensions import db
from survey.instruments_store import instrument_for, registry
from survey.models import (
    OVERALL,
    Answer,
    DomainScore,
    OrganisationArea,
    Response,
    ResponseStatus,
)
from survey.publication import (
    RESPONDED,
    Current,
    ambition_of,
    current_state,
    invited_counts,
    member_key,
    up_the_tree,
)

from .. import factories


# ---- the oracle: survey.publication as it was before the round key -------------------------
def _current_responses(round_):
    return (
        Response.round_id == round_.id,
        Response.status == ResponseStatus.SUBMITTED,
        Response.is_current.is_(True),
    )


def _old_score_rows(round_):
    columns = (
        Response.id,
        DomainScore.domain_id,
        DomainScore.score,
        DomainScore.level,
        DomainScore.moderated_level,
        DomainScore.ambition,
    )
    scored = (*_current_responses(round_), DomainScore.level.is_not(None))
    by_group = (
        sa.select(OrganisationArea.area_id, *columns)
        .join(Response, Response.organisation_id == OrganisationArea.organisation_id)
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(*scored)
    )
    by_area = (
        sa.select(Response.area_id, *columns)
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(*scored, Response.organisation_id.is_(None), Response.area_id.is_not(None))
    )
    rows = [tuple(r) for r in db.session.execute(by_group)] + up_the_tree(
        [tuple(r) for r in db.session.execute(by_area)]
    )
    out = []
    for area_id, response_id, domain_id, score, level, moderated_level, ambition in rows:
        out.append((area_id, response_id, domain_id, score, level, moderated_level))
        if ambition is not None:
            out.append((area_id, response_id, ambition_of(domain_id), ambition, ambition, None))
    return out


def _old_responded_rows(round_):
    by_group = (
        sa.select(OrganisationArea.area_id, Response.id)
        .join(Response, Response.organisation_id == OrganisationArea.organisation_id)
        .where(*_current_responses(round_))
    )
    by_area = sa.select(Response.area_id, Response.id).where(
        *_current_responses(round_),
        Response.organisation_id.is_(None),
        Response.area_id.is_not(None),
    )
    return [tuple(r) for r in db.session.execute(by_group)] + up_the_tree(
        [tuple(r) for r in db.session.execute(by_area)]
    )


def _old_readiness_rows(round_):
    """Each group's readiness members in every area its organisation lies in, one row per
    area (as derived_sets.readiness_rows gave them before current_state took the areas
    from the responses' memberships)."""
    areas = defaultdict(list)
    for response_id, area_id in db.session.execute(
        sa.select(Response.id, OrganisationArea.area_id)
        .join(OrganisationArea, OrganisationArea.organisation_id == Response.organisation_id)
        .where(
            Response.round_id == round_.id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.is_current.is_(True),
            Response.organisation_id.is_not(None),
        )
    ):
        areas[response_id].append(area_id)
    for response_id, set_id, value in derived_sets.readiness_members(
        round_, instrument_for(round_)
    ):
        for area_id in areas[response_id]:
            yield area_id, set_id, response_id, value


def _old_add_derived(round_, moderated, rows, sets, values):
    target = round_.target_level
    changes = derived_sets.paired_rows(round_, moderated)
    for area_id, response_id, domain_id, score, level, moderated_level in rows:
        if moderated and moderated_level is not None:
            score, level = float(moderated_level), moderated_level
        slot = derived_sets.target_set(domain_id, int(level), target)
        if slot is not None:
            sets[slot][area_id].add(member_key(response_id, score, level))
        change = changes.get((response_id, domain_id))
        if change is not None:
            key = member_key(response_id, change, 0)
            values[key] = (change, 0)
            sets[domain_id + derived_sets.PAIRED][area_id].add(key)
    for area_id, set_id, response_id, value in _old_readiness_rows(round_):
        key = member_key(response_id, value, 0)
        values[key] = (value, 0)
        sets[set_id][area_id].add(key)


def as_keys(state: Current) -> dict[str, dict[int, frozenset[str]]]:
    """A state's member sets as sets of the members' text keys."""
    return {
        d: {a: frozenset(state.members.keys_of(m)) for a, m in by.items()}
        for d, by in state.sets.items()
    }


def old_current_state(round_, moderated, threshold):
    """The member sets as sets of text keys, by one query per area; and each key's value."""
    sets = defaultdict(lambda: defaultdict(set))
    values = {}
    rows = _old_score_rows(round_)
    for area_id, response_id, domain_id, score, level, moderated_level in rows:
        if moderated and moderated_level is not None:
            score, level = float(moderated_level), moderated_level
        key = member_key(response_id, score, level)
        values[key] = (float(score), int(level))
        sets[domain_id][area_id].add(key)
    for area_id, response_id in _old_responded_rows(round_):
        sets[RESPONDED][area_id].add(str(response_id))
    _old_add_derived(round_, moderated, rows, sets, values)
    frozen = {d: {a: frozenset(m) for a, m in by_area.items()} for d, by_area in sets.items()}
    # the fingerprint: every set's digest (sha256 of its sorted members), in order
    digest = hashlib.sha256(f"{int(moderated)}|{threshold}".encode())
    for domain_id in sorted(frozen):
        for area_id in sorted(frozen[domain_id]):
            members = ",".join(sorted(frozen[domain_id][area_id])).encode()
            digest.update(f"|{domain_id}|{area_id}|{hashlib.sha256(members).hexdigest()}".encode())
    return Current(frozen, None, invited_counts(round_), digest.hexdigest()), values


# ---- random rounds --------------------------------------------------------------------------
def _random_rounds(rng: random.Random):
    """An ICS, places and neighbourhoods; groups in one to three areas; two rounds of the
    same instrument (so paired change), with drafts, superseded answers, moderated levels,
    ambitions, unscored domains and locality responses (counted up the tree)."""
    ics = factories.area(type="ics")
    places = [factories.area(type="place", parent=ics) for _ in range(rng.randint(2, 3))]
    hoods = [factories.area(parent=rng.choice(places)) for _ in range(rng.randint(3, 6))]
    domains = [d.id for d in registry().latest("confidence").domains] + [OVERALL]
    year = rng.randint(2000, 2090)
    earlier = factories.survey_round(
        opens_on=dt.date(year, 1, 1), closes_on=dt.date(year, 3, 1), target_level=None
    )
    later = factories.survey_round(
        opens_on=dt.date(year + 1, 1, 1),
        closes_on=dt.date(year + 1, 3, 1),
        target_level=rng.choice([None, 3, 4]),
    )
    for _ in range(rng.randint(15, 30)):
        hood = rng.choice(hoods)
        org = factories.organisation(area=hood)
        areas = {hood, hood.parent, ics} if rng.random() < 0.8 else {hood}
        for area in areas:
            db.session.add(OrganisationArea(organisation_id=org.id, area_id=area.id))
        for round_ in (earlier, later):
            if rng.random() < 0.25:
                continue
            levels = {d: rng.randint(1, 5) for d in domains if rng.random() < 0.9}
            response = factories.submitted_response(round_, org, levels)
            for score in response.scores:
                if rng.random() < 0.2:
                    score.score = round(rng.uniform(1, 5), 2)
                if rng.random() < 0.2:
                    score.moderated_level = rng.randint(1, 5)
                if rng.random() < 0.3:
                    score.ambition = rng.randint(1, 5)
            if rng.random() < 0.1:
                response.scores.append(DomainScore(domain_id="unscored", score=None, level=None))
            roll = rng.random()
            if roll < 0.1:
                response.status = ResponseStatus.IN_PROGRESS
            elif roll < 0.2:
                response.is_current = False
    for hood in rng.sample(hoods, 2):  # a locality's own answers count up the tree
        response = Response(round=later, area_id=hood.id, status="submitted")
        response.scores = [
            DomainScore(domain_id=d, score=float(v), level=v, ambition=rng.randint(1, 5))
            for d in domains
            for v in [rng.randint(1, 5)]
        ]
        db.session.add(response)
    db.session.commit()
    return later, [ics, *places, *hoods]


def test_member_sets_equal_the_per_area_query_on_random_rounds(app):
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        round_, areas = _random_rounds(rng)
        for moderated in (False, True):
            old, values = old_current_state(round_, moderated, 5)
            new = current_state(round_, moderated, 5)
            assert new.fingerprint == old.fingerprint, seed
            assert as_keys(new) == old.sets and new.members.values() == values, seed
            assert new.digests == {
                d: {a: members_digest(m) for a, m in by.items()} for d, by in old.sets.items()
            }, seed
            assert new.invited == old.invited, seed
            assert any(d.endswith(derived_sets.PAIRED) for d in new.sets), seed
            assert any(d.endswith("~ambition") for d in new.sets), seed
        # the pages' aggregates, published from these sets: each shown figure is the
        # oracle's set for its area, and no set under the threshold is shown
        old, _ = old_current_state(round_, False, 5)
        for shown in area_aggregates(round_, areas, threshold=5):
            members = old.sets.get(shown.domain_id, {}).get(shown.area.id, frozenset())
            if shown.suppressed:
                assert members, (seed, shown.area.id, shown.domain_id)
            elif shown.summary.n:
                assert shown.summary.n == len(members) >= 5, (seed, shown.domain_id)


def scored(round_):
    """The scores of the round's current submissions that have a level, oldest first."""
    return (
        sa.select(DomainScore)
        .join(Response)
        .where(Response.round_id == round_.id, Response.is_current.is_(True))
        .where(Response.status == ResponseStatus.SUBMITTED, DomainScore.level.is_not(None))
        .order_by(DomainScore.id)
    )


def test_the_sets_are_read_again_after_each_kind_of_change_and_only_then(app, monkeypatch):
    """Between changes a read takes the kept summary (survey.publication_token); after a
    moderation, a group moved out of an area, a revoked invitation or a superseded answer
    the sets are worked out again and equal the oracle's."""
    from survey import publication
    from survey.models import Invitation

    round_, _ = _random_rounds(random.Random(4))
    worked_out = []
    real = publication.current_state

    def counted(*args):
        worked_out.append(1)
        return real(*args)

    monkeypatch.setattr(publication, "current_state", counted)

    def read():
        before = len(worked_out)
        _, state = publication.publish(round_, moderated=True, threshold=5)
        db.session.commit()
        return len(worked_out) - before, state

    assert read()[0] == 1
    assert read()[0] == 0 and read()[0] == 0  # nothing changed: the summary is kept
    score = db.session.scalar(scored(round_).limit(1))
    response = score.response
    changes = [
        lambda: setattr(score, "moderated_level", 1 + (score.moderated_level or 1) % 5),
        lambda: db.session.delete(
            db.session.scalar(
                sa.select(OrganisationArea)
                .where(OrganisationArea.organisation_id == response.organisation_id)
                .limit(1)
            )
        ),
        lambda: setattr(
            db.session.scalar(sa.select(Invitation).where(Invitation.round_id == round_.id)),
            "revoked_at",
            dt.datetime(2030, 1, 1),
        ),
        lambda: setattr(response, "is_current", False),
    ]
    for change in changes:
        change()
        db.session.commit()
        again, state = read()
        assert again == 1
        old, _ = old_current_state(round_, True, 5)
        assert (state.fingerprint, state.invited) == (old.fingerprint, old.invited)
        assert read()[0] == 0
    # a group saving a draft changes no figure; submitting it does
    org = factories.organisation()
    db.session.add(OrganisationArea(organisation_id=org.id, area_id=response.area_id or 1))
    db.session.commit()
    assert read()[0] == 1
    draft = Response(round=round_, organisation=org, status=ResponseStatus.IN_PROGRESS)
    draft.answers.append(Answer(question_id="welcoming_new_people", value="agree"))
    db.session.add(draft)
    db.session.commit()
    assert read()[0] == 0
    draft.status = ResponseStatus.SUBMITTED
    draft.scores.append(DomainScore(domain_id=OVERALL, score=3.0, level=3))
    db.session.commit()
    assert read()[0] == 1
