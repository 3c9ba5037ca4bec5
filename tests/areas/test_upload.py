"""The administrators' import page: upload, all or nothing, errors on the page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import Area, Organisation

GEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "geo"


@pytest.fixture(autouse=True)
def no_csrf(app, monkeypatch):
    """Forms post without their CSRF token here (the browser tests keep it on)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def upload(client, kind: str, content: bytes, filename: str, **fields):
    data = {"kind": kind, "file": (io.BytesIO(content), filename), **fields}
    return client.post(f"/areas/import?kind={kind}", data=data, content_type="multipart/form-data")


def area_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Area))


def test_an_admin_imports_boundaries_by_upload(client, login):
    login("admin")
    assert client.get("/areas/import").status_code == 200
    data = (GEO / "lewisham_wards_2022.geojson").read_bytes()
    fields = {"type": "ward", "code_field": "WD22CD", "name_field": "WD22NM"}
    response = upload(client, "boundaries", data, "wards.geojson", **fields)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 19 ward areas (19 new, 0 updated" in page
    assert area_count() == 19


def test_a_bad_upload_shows_the_problem_and_changes_nothing(client, login):
    login("admin")
    fields = {"type": "ward", "code_field": "WD22CD", "name_field": "WD13NM"}
    data = (GEO / "lewisham_wards_2022.geojson").read_bytes()
    response = upload(client, "boundaries", data, "wards.geojson", **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "feature 1 (E05013714) has no property &#39;WD13NM&#39;" in page
    missing = client.post("/areas/import?kind=boundaries", data={"kind": "boundaries"})
    text = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "Choose a file to import" in text
    assert "Enter the name of the property that holds each area&#39;s code" in text
    assert area_count() == 0


def test_organisation_row_errors_are_listed(client, login):
    login("admin")
    csv = b"name,postcode,area_code\nA Group,SE6 3AA,NOPE\n<b>B</b>,SE6 3AA,\n"
    response = upload(client, "organisations", csv, "groups.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported: 2 problems in the file" in page
    assert "groups.csv: row 2: &#39;area_code&#39; &#39;NOPE&#39; is not an imported area" in page
    assert "<b>B</b>" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_only_admins_may_import(client, login):
    login("area-lead")
    assert client.get("/areas/import").status_code == 403
