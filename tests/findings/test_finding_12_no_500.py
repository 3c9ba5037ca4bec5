"""Finding 12: no 500 on huge ids, null bytes in addresses, malformed boundary files or
over-long values in uploads, on SQLite and PostgreSQL; over-long codes are refused, not kept."""

from __future__ import annotations

import html
import io
import json

import pytest
import sqlalchemy as sa

from survey.access import PERMISSIONS
from survey.extensions import db
from survey.models import Area, Organisation, Practice

from .. import factories
from ..route_walk import all_rules, argument_values, client_as, request, url_for_walk

HUGE = [2**31, 2**63, 2**64]  # past PostgreSQL's integer, SQLite's integer, any 64-bit one
INT_RULES = [r for r in all_rules() if any(n.endswith("_id") for n in r.arguments)]

SQUARE = [[0, 51], [0.01, 51], [0.01, 51.01], [0, 51.01], [0, 51]]
PROPS = {"c": "E05000001", "n": "Ward"}


def _collection(geometry: dict, properties=PROPS) -> dict:
    feature = {"type": "Feature", "properties": properties, "geometry": geometry}
    return {"type": "FeatureCollection", "features": [feature]}


def _topology(**changes) -> dict:
    polygon = {"type": "Polygon", "arcs": [[0]], "properties": PROPS}
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.01, 0.01], "translate": [0, 51]},
        "arcs": [[[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]],
        "objects": {"wards": {"type": "GeometryCollection", "geometries": [polygon]}},
    }
    topology.update(changes)
    return topology


# Eight kinds of malformed file, each a 500 before, and the words the refusal must use.
MALFORMED = {
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "a number of 5,000 digits": (
        json.dumps(_collection({"type": "Polygon", "coordinates": [[[0, 0]]]})).replace(
            "[[[0, 0]]]", "[[[" + "9" * 5000 + ", 0]]]"
        ),
        "number too long",
    ),
    "transform without translate": (
        _topology(transform={"scale": [0.01, 0.01]}),
        "'transform' must have",
    ),
    "transform with one scale": (
        _topology(transform={"scale": [1], "translate": [0, 0]}),
        "'transform' must have",
    ),
    "arcs of bare numbers": (_topology(arcs=[[1, 2]]), "arc 1 is not a list"),
    "an object that is not a geometry": (
        _topology(objects={"wards": 5}),
        "not a geometry or a list of geometries",
    ),
    "zero-area ring": (
        _collection({"type": "Polygon", "coordinates": [[[0, 51], [1, 52], [0, 51], [0, 51]]]}),
        "has no area",
    ),
    "a ring of three points on a line": (
        _collection({"type": "Polygon", "coordinates": [[[0, 51], [1, 52], [2, 53], [0, 51]]]}),
        "has no area",
    ),
}


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def _staff() -> dict[str, int]:
    """One member of staff per role; their ids."""
    hood = factories.area(type="neighbourhood")
    broker = factories.broker()
    users = {
        "admin": factories.user("admin"),
        "broker": factories.user("broker", broker=broker),
        "area-lead": factories.user("area-lead", areas=[hood]),
        "board": factories.user("board"),
    }
    round_ = factories.survey_round()
    factories.invitation(round_, factories.organisation(area=hood, broker=broker))
    db.session.commit()
    return {role: user.id for role, user in users.items()}


def test_finding_12_ids_too_big_for_any_table_are_404(app, no_csrf):
    staff = _staff()
    values = argument_values()
    assert INT_RULES, "no route takes an id"
    tried = 0
    for rule in INT_RULES:
        roles = PERMISSIONS[rule.endpoint]
        role = next((r for r in ("admin", "broker", "area-lead", "board") if r in roles), None)
        client = client_as(app, staff.get(role))  # None: a page open to everyone
        for big in HUGE:
            ids = {n: big for n in rule.arguments if n.endswith("_id")}
            path = url_for_walk(rule, {**values, **ids})
            for method in ("GET", "POST"):
                if method in rule.methods:
                    got = request(client, method, path)
                    assert got.status_code == 404, (method, path, got.status_code)
                    tried += 1
    assert tried >= 3 * 6  # users, groups (page, data, erase), portfolio group, tokens ...
    db.session.remove()
    page = client_as(app, staff["admin"]).get(f"/staff/users/{2**64}")
    assert page.status_code == 404 and "Page not found" in page.get_data(as_text=True)


def test_finding_12_null_bytes_in_any_address_are_refused(app, no_csrf):
    staff = _staff()
    values = argument_values()
    client = client_as(app, staff["admin"])
    assert client.get("/r/x%00").status_code == 400
    walked = 0
    for rule in all_rules():
        words = [n for n in rule.arguments if not n.endswith("_id") and n != "filename"]
        for name in words:
            path = url_for_walk(rule, {**values, name: "x\x00y"})
            if path is None:
                continue
            for method in ("GET", "POST"):
                if method in rule.methods:
                    got = request(client, method, path)
                    assert got.status_code == 400, (method, path, got.status_code)
                    walked += 1
    assert walked >= 10


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_finding_12_malformed_boundary_files_are_refused(
    app, cli, client, login, no_csrf, tmp_path, kind
):
    content, words = MALFORMED[kind]
    data = content if isinstance(content, str) else json.dumps(content)
    path = tmp_path / "wards.json"
    path.write_text(data)
    result = cli("import", "boundaries", path, "--type", "ward", "--code-field", "c",
                 "--name-field", "n")  # fmt: skip
    assert result.exit_code == 1 and words in result.output, result.output
    assert "Traceback" not in result.output
    login("admin")
    fields = {"type": "ward", "code_field": "c", "name_field": "n", "kind": "boundaries"}
    page = client.post(
        "/areas/import?kind=boundaries",
        data={**fields, "file": (io.BytesIO(data.encode()), "wards.json")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400 and words in html.unescape(page.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 0


def test_finding_12_over_long_values_are_refused_naming_row_and_field(app, cli, tmp_path):
    long_code = "E" * 10_000
    boundary = tmp_path / "wards.geojson"
    boundary.write_text(json.dumps(_collection({"type": "Polygon", "coordinates": [SQUARE]},
                                               {"c": long_code, "n": "Ward"})))  # fmt: skip
    result = cli("import", "boundaries", boundary, "--type", "ward", "--code-field", "c",
                 "--name-field", "n")  # fmt: skip
    assert result.exit_code == 1
    assert "feature 1: 'c' is 10,000 characters long; the most allowed is 32" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 0

    practices = tmp_path / "practices.csv"
    practices.write_text(f"code,name,pcn_code,pcn_name\nA1,Surgery,{'P' * 40},PCN\n")
    result = cli("import", "practices", practices)
    assert result.exit_code == 1
    assert "row 2: 'pcn_code' is 40 characters long; the most allowed is 32" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Practice)) == 0

    hood = factories.area(code="E05000001", type="neighbourhood")
    db.session.commit()
    assert hood.id
    groups = tmp_path / "groups.csv"
    email = "a" * 300 + "@example.org"
    groups.write_text(f"name,postcode,area_code,email\nLunch club,ZZ1 2AB,E05000001,{email}\n")
    result = cli("import", "organisations", groups)
    assert result.exit_code == 1
    assert "row 2: 'email' is 312 characters long; the most allowed is 254" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0

    nul = tmp_path / "nul.csv"
    nul.write_text("code,name,pcn_code,pcn_name\nA1,Sur\x00gery,P1,PCN\n")
    result = cli("import", "practices", nul)
    assert result.exit_code == 1 and "line 2 contains a null character" in result.output
