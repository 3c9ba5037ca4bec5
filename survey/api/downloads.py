"""Score downloads for analysts (CSV and JSON): one row per response for admins,
aggregates per area with small numbers suppressed for everyone else."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user

from exports.tables import (
    AGGREGATE_COLUMNS,
    LONG_COLUMNS,
    Led,
    flat_aggregate,
    iter_csv,
    iter_long_led,
    iter_wide_values,
    wide_columns,
)

from .. import audit
from ..access import ADMIN, areas_under, visible_area_ids
from ..extensions import db
from ..instruments_store import registry
from ..lookups import round_or_404
from ..models import Area, Round
from ..sql import ids_in
from .records import count_long_rows, count_responses, response_records, round_aggregates

bp = Blueprint("downloads", __name__)
LAYOUTS = ("wide", "long")
JSON_ROWS_A_PIECE = 500  # rows a streamed JSON download sends at a time


def _round(slug: str) -> Round:
    return round_or_404(slug, with_areas=True)


def _areas_for(round_: Round) -> list[Area]:
    """The round's areas and every area under them that this person may see."""
    query = sa.select(Area).where(Area.id.in_(areas_under({a.id for a in round_.areas})))
    visible = visible_area_ids(current_user)
    if visible is not None:
        query = query.where(ids_in(Area.id, visible))
    return list(db.session.scalars(query.order_by(Area.type, Area.code)))


def score_table(round_: Round) -> tuple[str, list[str], Iterable[dict | list | Led], int]:
    """(kind, columns, rows, how many responses or areas) this person may download for the
    round; an admin's rows, one per response, come as they are read (an iterator). A row
    is a dict by column, (the wide layout) a list in the columns' order, or (the long
    layout) a ``Led`` row: its response's columns, then the rest."""
    if current_user.role == ADMIN:
        layout = request.args.get("layout", "wide")
        if layout not in LAYOUTS:
            abort(400, "layout must be wide or long")
        records = response_records(round_)
        if layout == "long":
            rows = iter_long_led(records)  # Led rows: a response's columns, then the rest
            return "responses-long", list(LONG_COLUMNS), rows, count_long_rows(round_)
        versions = [i for i in registry().all() if i.id == round_.instrument_id]
        rows = iter_wide_values(records, versions)  # lists in the columns' order
        return "responses", wide_columns(versions), rows, count_responses(round_)
    rows = [flat_aggregate(r) for r in round_aggregates(round_, _areas_for(round_))]
    return "aggregates", list(AGGREGATE_COLUMNS), rows, len(rows)


def _audit(round_: Round, kind: str, fmt: str, count: int) -> None:
    audit.record(
        None,
        "scores-downloaded",
        f"round:{round_.slug}",
        {"kind": kind, "format": fmt, "rows": count},
    )
    db.session.commit()


@bp.get("/downloads/scores")
def score_downloads():
    """The rounds whose scores this person can download, as CSV or JSON."""
    rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc(), Round.slug)).all()
    return render_template(
        "views/api/downloads.html", rounds=rounds, per_response=current_user.role == ADMIN
    )


@bp.get("/rounds/<slug>/scores.csv")
def round_scores_csv(slug: str):
    """A round's scores as CSV."""
    round_ = _round(slug)
    kind, columns, rows, count = score_table(round_)
    _audit(round_, kind, "csv", count)
    reply = Response(
        stream_with_context(iter_csv(rows, columns)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{round_.slug}-{kind}.csv"',
            "Cache-Control": "no-store",
        },
    )
    return reply


@bp.get("/rounds/<slug>/scores.json")
def round_scores_json(slug: str):
    """A round's scores as JSON: the same columns and rows as the CSV, streamed."""
    round_ = _round(slug)
    kind, columns, rows, count = score_table(round_)
    _audit(round_, kind, "json", count)
    head = {
        "round": round_.slug,
        "instrument_id": round_.instrument_id,
        "instrument_version": round_.instrument_version,
        "kind": kind,
        "columns": columns,
    }
    reply = Response(
        stream_with_context(iter_json(head, columns, rows)),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{round_.slug}-{kind}.json"',
            "Cache-Control": "no-store",
        },
    )
    return reply


def iter_json(
    head: Mapping, columns: list[str], rows: Iterable[Mapping | list | Led], key: str = "rows"
) -> Iterator[str]:
    """The document ``jsonify(**head, rows=[...])`` sends (each row an object by column;
    the list under ``key``), written JSON_ROWS_A_PIECE rows at a time as they are read:
    29,000 responses held as dicts for jsonify took 255 MB. A piece's rows are encoded in
    one call, as a list whose brackets are dropped: the same text as encoding each row,
    where a call a row took 0.4 s of 5 s for 28,949 responses."""
    dumps = functools.partial(current_app.json.dumps, separators=(",", ":"))
    # the head's text either side of the empty list, where jsonify's sorted keys put it
    # (the key's own name, quoted and followed by a colon, is found nowhere else in it)
    named = dumps(key) + ":"
    opening, closing = dumps({**head, key: []}).split(named + "[]", 1)
    yield opening + named + "["
    batch: list[Mapping] = []
    comma = ""
    for row in rows:
        if type(row) is Led:
            row = [*row.lead, *row.rest]
        batch.append(row if isinstance(row, Mapping) else dict(zip(columns, row, strict=True)))
        if len(batch) == JSON_ROWS_A_PIECE:
            yield comma + dumps(batch)[1:-1]
            batch, comma = [], ","
    yield (comma + dumps(batch)[1:-1] if batch else "") + "]" + closing + "\n"
