"""Stored scores: `survey score --round` and many responses at once through the batch path."""

from __future__ import annotations

import sqlalchemy as sa

from survey.extensions import db
from survey.instruments_store import registry
from survey.models import OVERALL, DomainScore, Response
from survey.scores import rescore_round, score_many, score_rows

from .. import factories

DOMAINS = ("welcoming", "safe", "well_governed", "growing", "wellbeing")


def _likert(instrument, value: str) -> dict[str, str]:
    return {item.question: value for domain in instrument.domains for item in domain.items}


def _stored(response: Response) -> dict[str, tuple]:
    rows = db.session.execute(
        sa.select(
            DomainScore.domain_id,
            DomainScore.score,
            DomainScore.level,
            DomainScore.answered,
            DomainScore.applicable,
            DomainScore.moderated_level,
            DomainScore.moderation_note,
        ).where(DomainScore.response_id == response.id)
    )
    return {domain_id: tuple(rest) for domain_id, *rest in rows}


def test_score_many_gives_what_one_at_a_time_gives(app):
    instrument = registry().latest("confidence")
    agree = _likert(instrument, "agree")
    # welcoming: one of four answered (under half: not scored); the rest "neither" (3).
    sparse = {**_likert(instrument, "neither"), "welcoming_new_people": "agree"}
    for q in ("welcoming_easy_to_find", "welcoming_access_needs", "welcoming_everyone"):
        del sparse[q]
    many = score_many(instrument, [agree, sparse, {}])
    # Worked by hand: agree = 4 everywhere, level 4 (3.4 <= 4 < 4.2).
    assert [(r["domain_id"], r["score"], r["level"], r["answered"]) for r in many[0]] == [
        *[(d, 4.0, 4, 4) for d in DOMAINS],
        (OVERALL, 4.0, 4, 5),
    ]
    assert [(r["domain_id"], r["score"], r["level"]) for r in many[1]] == [
        ("welcoming", None, None),
        *[(d, 3.0, 3) for d in DOMAINS[1:]],
        (OVERALL, 3.0, 3),
    ]
    assert many[1][-1]["answered"] == 4 and many[1][-1]["applicable"] == 5
    assert all(r["score"] is None and r["level"] is None for r in many[2])
    assert many == [score_rows(instrument, a) for a in (agree, sparse, {})]
    assert all(type(r["level"]) is int for r in many[0])  # plain ints for the database


def test_rescore_round_replaces_scores_keeps_moderation_and_leaves_drafts(app):
    round_ = factories.survey_round("confidence")
    instrument = registry().latest("confidence")
    groups = [factories.organisation() for _ in range(4)]
    agree = factories.submitted_response(
        round_, groups[0], {"safe": 1}, answers=_likert(instrument, "agree")
    )
    neither = factories.submitted_response(
        round_, groups[1], {}, answers=_likert(instrument, "neither")
    )
    moderated = db.session.scalar(
        sa.select(DomainScore).where(
            DomainScore.response_id == agree.id, DomainScore.domain_id == "safe"
        )
    )
    moderated.moderated_level, moderated.moderation_note = 2, "checked with the group"
    draft = factories.submitted_response(
        round_, groups[2], {"safe": 1}, answers=_likert(instrument, "agree")
    )
    draft.status = "in_progress"
    unanswered = factories.submitted_response(round_, groups[3], {OVERALL: 5})
    db.session.commit()

    assert rescore_round(round_) == 3

    stored = _stored(agree)
    assert set(stored) == {*DOMAINS, OVERALL}
    assert stored["safe"] == (4.0, 4, 4, 4, 2, "checked with the group")
    assert stored["welcoming"] == (4.0, 4, 4, 4, None, None)
    assert stored[OVERALL] == (4.0, 4, 5, 5, None, None)
    assert _stored(neither)[OVERALL] == (3.0, 3, 5, 5, None, None)
    assert _stored(unanswered)[OVERALL] == (None, None, 0, 5, None, None)
    assert _stored(draft) == {"safe": (1.0, 1, 0, 0, None, None)}  # a draft is not rescored


def test_every_way_of_writing_scores_gives_them_their_responses_round(app):
    """The ORM (a new response, one added by id alone) and `survey score` store the round."""
    from survey.scores import store_scores

    instrument = registry().latest("confidence")
    first, second = factories.survey_round("confidence"), factories.survey_round("confidence")
    group, other = factories.organisation(), factories.organisation()
    made = factories.submitted_response(
        second, group, {OVERALL: 3}, answers=_likert(instrument, "agree")
    )
    earlier = factories.submitted_response(first, other, {})
    db.session.add(DomainScore(response_id=earlier.id, domain_id="safe", score=2.0, level=2))
    db.session.commit()

    def rounds_of(response):
        return set(
            db.session.scalars(
                sa.select(DomainScore.round_id).where(DomainScore.response_id == response.id)
            )
        )

    assert rounds_of(made) == {second.id} and rounds_of(earlier) == {first.id}
    store_scores(made, instrument)
    db.session.commit()
    assert rounds_of(made) == {second.id}
    rescore_round(second)
    assert rounds_of(made) == {second.id} and rounds_of(earlier) == {first.id}
    assert len(_stored(made)) == len(DOMAINS) + 1
