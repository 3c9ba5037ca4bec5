"""The response status: one enumeration, stored as its value on both engines."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from survey import models
from survey.extensions import db
from survey.models import Response, ResponseStatus


def test_the_partial_indexes_name_the_stored_values_of_the_statuses():
    # The one-draft and one-current-submission indexes are SQL text: if a status's value
    # changed, they would silently stop guarding anything.
    assert f"status = '{ResponseStatus.IN_PROGRESS.value}'" in models._GROUP_DRAFT
    assert f"status = '{ResponseStatus.IN_PROGRESS.value}'" in models._AREA_DRAFT
    assert f"status = '{ResponseStatus.SUBMITTED.value}'" in models._GROUP_CURRENT
    assert f"status = '{ResponseStatus.SUBMITTED.value}'" in models._AREA_CURRENT


def test_a_status_is_stored_as_its_plain_value_and_read_back_as_the_enumeration(app):
    round_ = models.Round(
        slug="status-2026",
        title="Status",
        instrument_id="confidence",
        instrument_version="1",
        opens_on=dt.date(2026, 1, 1),
        closes_on=dt.date(2026, 12, 31),
    )
    db.session.add(round_)
    db.session.flush()
    round_id = round_.id
    response = Response(round_id=round_id, status=ResponseStatus.PAPER_WAITING, is_current=False)
    db.session.add(response)
    db.session.commit()
    stored = db.session.execute(
        sa.text("SELECT status FROM response WHERE id = :id"), {"id": response.id}
    ).scalar_one()
    assert stored == "paper_waiting" and type(stored) is str
    db.session.expire_all()
    again = db.session.get(Response, response.id)
    assert again.status is ResponseStatus.PAPER_WAITING
    # A plain string still finds it in a query (the API's filters pass strings).
    assert db.session.scalar(sa.select(Response.id).where(Response.status == "paper_waiting"))
