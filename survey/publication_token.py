"""What the groups behind a round's figures depend on, summed up in a few SQL aggregates.

Working out the member sets of every area (survey.publication.current_state) costs
a pass over every score of the round in Python; reading a page only needs to know
whether they have changed since they were last worked out. The token is a handful
of sums, taken by the database over the round's rows (by their indexes), of
everything the sets are made from: the round's current submissions (which they are,
their group or area, and the ORM's version of each, bumped on every change; a draft
being saved changes none of it), the round's scores (levels, moderated levels,
ambitions, scores, weighted by row id so that two rows trading values still change
a sum), the previous round's (paired change), every
group's areas and every area's parent, the round's invitations and the answers
the readiness figures read. Equal tokens: nothing the sets are made from changed.
A change the sums miss is possible only when changes cancel out across rows; the
cost of one is a figure republished at the next change instead of now, never a
figure shown that the ledger did not publish.
"""

from __future__ import annotations

import sqlalchemy as sa

from scoring import readiness

from .derived_sets import previous_round
from .extensions import db
from .instruments_store import instrument_for
from .models import (
    Answer,
    Area,
    DomainScore,
    Invitation,
    OrganisationArea,
    Response,
    ResponseStatus,
    Round,
)


def _weighted(column, weight):
    # A 64-bit product: two ids multiplied pass 2**31 (PostgreSQL's integer) at tens of
    # thousands of groups. Float columns come cast to exact decimals (see _scores).
    product = sa.func.coalesce(column, -1) * sa.cast(weight, sa.BigInteger)
    return sa.func.coalesce(sa.func.sum(product), 0)


def _current(round_id: int):
    return (
        Response.round_id == round_id,
        Response.status == ResponseStatus.SUBMITTED,
        Response.is_current.is_(True),
    )


def _responses(round_id: int) -> tuple:
    """The current submissions only: a group saving a draft changes no figure."""
    return tuple(
        db.session.execute(
            sa.select(
                sa.func.count(),
                _weighted(Response.id, 1),
                _weighted(Response.version, Response.id),
                _weighted(Response.organisation_id, Response.id),
                _weighted(Response.area_id, Response.id),
            ).where(*_current(round_id))
        ).one()
    )


def _scores(round_id: int) -> tuple:
    return tuple(
        db.session.execute(
            sa.select(
                sa.func.count(),
                _weighted(DomainScore.id, 1),
                _weighted(DomainScore.response_id, DomainScore.id),
                _weighted(DomainScore.level, DomainScore.id),
                _weighted(DomainScore.moderated_level, DomainScore.id),
                _weighted(DomainScore.ambition, DomainScore.id),
                # Exact decimals: a float sum depends on the order it adds in, and a
                # parallel aggregate's order changes from one run to the next.
                _weighted(sa.cast(DomainScore.score, sa.Numeric), DomainScore.id),
                _weighted(sa.func.length(DomainScore.domain_id), DomainScore.id),
            ).where(DomainScore.round_id == round_id)
        ).one()
    )


def _places() -> tuple:
    return tuple(
        db.session.execute(
            sa.select(
                sa.func.count(),
                _weighted(OrganisationArea.organisation_id, OrganisationArea.area_id),
                _weighted(OrganisationArea.organisation_id, 1),
                _weighted(OrganisationArea.area_id, 1),
            )
        ).one()
    )


def _tree() -> tuple:
    return tuple(
        db.session.execute(sa.select(sa.func.count(), _weighted(Area.parent_id, Area.id))).one()
    )


def change_token(round_: Round, memo: dict | None = None) -> tuple:
    """The sums (see the module's docstring); equal tokens, equal member sets.

    ``memo`` keeps the sums that are not the round's own (every group's areas, the area
    tree) and each round's responses and scores, for the next token taken while nothing
    can change: a trends page reads each round's as one round and as the next one's
    previous round, and the areas once.
    """
    memo = {} if memo is None else memo

    def once(key, read):
        if key not in memo:
            memo[key] = read()
        return memo[key]

    earlier = previous_round(round_)
    responses = once(("responses", round_.id), lambda: _responses(round_.id))
    scores = once(("scores", round_.id), lambda: _scores(round_.id))
    if earlier is not None:
        earlier_sums = (
            earlier.id,
            once(("responses", earlier.id), lambda: _responses(earlier.id)),
            once(("scores", earlier.id), lambda: _scores(earlier.id)),
        )
    places = once("places", _places)
    tree = once("tree", _tree)
    live = sa.case((Invitation.revoked_at.is_(None), Invitation.id), else_=0)
    invited = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(live), 0),
            _weighted(Invitation.organisation_id, Invitation.id),
            _weighted(Invitation.area_id, Invitation.id),
        ).where(Invitation.round_id == round_.id)
    ).one()
    wanted = sorted(readiness.question_ids(instrument_for(round_)))
    answers = ()
    if wanted:
        answers = tuple(
            db.session.execute(
                sa.select(
                    sa.func.count(),
                    _weighted(Answer.id, 1),
                    _weighted(sa.func.length(sa.cast(Answer.value, sa.Text)), Answer.id),
                )
                .join(Response, Response.id == Answer.response_id)
                .where(*_current(round_.id), Answer.question_id.in_(wanted))
            ).one()
        )
    return (
        round_.target_level,
        round_.instrument_version,
        responses,
        scores,
        None if earlier is None else earlier_sums,
        places,
        tree,
        tuple(invited),
        answers,
    )
