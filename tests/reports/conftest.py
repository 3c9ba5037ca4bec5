"""Fixtures for the workbook and board tests: the CLI, scored groups in a small geography."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass

import openpyxl
import pytest

from survey.extensions import db
from survey.instruments_store import instrument_for
from survey.models import OVERALL, OrganisationArea

from .. import factories

FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
def no_csrf(app, monkeypatch):
    """Forms post without a CSRF token (restored after the test)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def respond(round_, org, level: int, *, moderated: dict | None = None, on: dt.date | None = None):
    """A submitted response whose every domain (and overall) scores `level`."""
    instrument = instrument_for(round_)  # the app's registry: loading the files again is slow
    response = factories.submitted_response(
        round_,
        org,
        {domain_id: level for domain_id in [d.id for d in instrument.domains] + [OVERALL]},
        submitted_at=dt.datetime.combine(on or dt.date(2026, 6, 1), dt.time(12)),
    )
    for score in response.scores:
        mod = (moderated or {}).get(score.domain_id)
        if mod:
            score.moderated_level, score.moderation_note = mod
    db.session.flush()
    return response


def place(org, *areas) -> None:
    """Record every area the group lies in."""
    for area in areas:
        db.session.add(OrganisationArea(organisation_id=org.id, area_id=area.id))


@dataclass
class Geography:
    """An ICS with places P1 (6 groups), P2 (5) and P3 (2), and a confidence round."""

    ics: object
    p1: object
    p2: object
    p3: object
    round: object
    orgs: dict


P1_LEVELS = (1, 2, 3, 3, 4, 5)  # mean 3.0: level 3
P2_LEVELS = (2, 2, 2, 2, 2)  # hidden: P3 is under 5, and ICS - P1 - P3 would give P2
P3_LEVELS = (4, 4)  # under the threshold of 5


@pytest.fixture
def geography(app):
    """Thirteen groups that answered the confidence round, in three places of one ICS."""
    ics = factories.area(code="T-ICS", type="ics", name="Test ICS")
    places = {
        name: factories.area(code=f"T-{name}", type="place", parent=ics, name=f"Place {name}")
        for name in ("P1", "P2", "P3")
    }
    broker = factories.broker("Test CVS")
    round_ = factories.survey_round("confidence", slug="confidence-2026", target_level=4)
    orgs = {}
    for name, levels in (("P1", P1_LEVELS), ("P2", P2_LEVELS), ("P3", P3_LEVELS)):
        for i, level in enumerate(levels):
            org = factories.organisation(
                name=f"{name} group {i}",
                area=places[name],
                broker=broker,
                consent_broker=i % 2 == 0,
                consent_area_lead=i % 2 == 0,
                email=f"{name.lower()}{i}@example.org",
            )
            place(org, ics, places[name])
            respond(round_, org, level)
            orgs[org.name] = org
    db.session.commit()
    for thing in [ics, *places.values(), round_, *orgs.values()]:
        db.session.refresh(thing)  # loaded now, so still readable after the CLI ends the session
    return Geography(ics, places["P1"], places["P2"], places["P3"], round_, orgs)


def workbook(data: bytes) -> openpyxl.Workbook:
    """A workbook read back from bytes."""
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(ws) -> list[dict]:
    """A sheet's rows as dicts keyed by its header row."""
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row, strict=False)) for row in values[1:]]


def chart_count(data: bytes) -> int:
    """How many native charts the workbook holds (openpyxl drops them on load)."""
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    return len([n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)])


def validations(ws) -> list:
    """The sheet's data validations."""
    return list(ws.data_validations.dataValidation)
