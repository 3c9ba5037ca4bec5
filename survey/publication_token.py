"""Whether anything a round's figures are made from has changed: tokens the database renews.

Working out the member sets of every area (survey.publication.current_state) costs
a pass over every score of the round in Python; reading a page only needs to know
whether they have changed since they were last worked out. Triggers (migration 0011)
put a new random token in ``figures_state`` in the same transaction as any write the
sets are read from: the round's row(s) for its current submissions, scores,
invitations and the answers of its current submissions; round 0's for the groups'
areas and the area tree. A round's token is its rows', the previous round's (paired
change), round 0's, and the round's own target and instrument version. Equal tokens:
nothing the sets are made from changed, whoever wrote (another process, plain SQL).
"""

from __future__ import annotations

import sqlalchemy as sa

from .derived_sets import previous_round
from .extensions import db
from .models import FiguresState, Round

EVERY_ROUND = 0  # round_id of the rows for what every round reads (areas, memberships)


def _rows() -> dict[int, tuple[str, ...]] | None:
    """Each round's tokens in slot order, as this transaction sees them. None if, on
    PostgreSQL, this transaction has renewed a token: it renews each round's once, at its
    first write, so the sets it reads after that may not be what it commits."""
    columns = [FiguresState.round_id, FiguresState.token]
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        columns.append(sa.func.current_setting("figures_state.rounds", True))
    rows = db.session.execute(
        sa.select(*columns).order_by(FiguresState.round_id, FiguresState.slot)
    ).all()
    if postgres and rows and rows[0][2]:
        return None
    tokens: dict[int, list[str]] = {}
    for row in rows:
        tokens.setdefault(row[0], []).append(row[1])
    return {round_id: tuple(kept) for round_id, kept in tokens.items()}


def change_token(round_: Round, memo: dict | None = None) -> tuple | None:
    """The round's token (see the module's docstring); equal tokens, equal member sets.
    None when nothing may be reused: this transaction has renewed a token, or the rows of
    the round, its previous round or every round are missing (a table emptied by hand).

    ``memo`` keeps the rows read, for the next token taken while nothing can change:
    a trends page takes one per round.
    """
    memo = {} if memo is None else memo
    if "rows" not in memo:
        memo["rows"] = _rows()
    rows = memo["rows"]
    if rows is None:
        return None
    earlier = previous_round(round_)
    rounds = [EVERY_ROUND, round_.id] + ([] if earlier is None else [earlier.id])
    if any(r not in rows for r in rounds):
        return None
    return (
        round_.target_level,
        round_.instrument_version,
        tuple((r, rows[r]) for r in rounds),
    )
