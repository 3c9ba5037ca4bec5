"""The read-only JSON API: tokens, rounds, areas and aggregates with suppression."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from survey import create_app
from survey.api.tokens import revoke_token
from survey.extensions import db
from survey.models import OVERALL, ApiToken

DATA_URLS = [
    "/api/rounds",
    "/api/rounds/confidence-test",
    "/api/areas",
    "/api/areas?type=neighbourhood",
    "/api/rounds/confidence-test/aggregates",
    "/api/rounds/confidence-test/aggregates?area_type=neighbourhood",
    "/api/rounds/confidence-test/aggregates?area=T-NB",
    "/api/no-such-thing",
]
FIGURES = ("n", "mean", "median", "ci_low", "ci_high", "level", "level_bands", "gap", "ambition",
           "ambition_gap")  # fmt: skip


@pytest.fixture(scope="module")
def bare_app():
    """The app with no database: enough to serve the document, which reads none."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


def test_openapi_document_is_valid_needs_no_token_and_covers_every_route(bare_app):
    response = bare_app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)  # raises on any error against the OpenAPI 3.1 schema
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = {p.replace("{slug}", "<slug>") for p in document["paths"]}
    routes = {r.rule for r in bare_app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert routes - documented == {"/api/<path:anything>"}


def test_no_token_or_a_wrong_one_is_401_in_json(client, scored):
    for url in DATA_URLS:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.is_json and "token" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ["Bearer svy_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "svy_x", ""]:
        response = client.get("/api/rounds", headers={"Authorization": header})
        assert response.status_code == 401 and response.is_json, header


def test_a_revoked_token_is_401(client, scored, token, bearer):
    for url in DATA_URLS:
        assert client.get(url, headers=bearer).status_code in (200, 404), url
    row = db.session.scalar(sa.select(ApiToken))
    revoke_token(row, actor="test")
    db.session.commit()
    for url in DATA_URLS:
        response = client.get(url, headers=bearer)
        assert response.status_code == 401 and response.is_json, url


def test_tokens_are_stored_only_as_a_hash_and_record_their_use(client, scored, token, bearer):
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, row.name) and row.last_used_at is None
    client.get("/api/rounds", headers=bearer)
    db.session.expire_all()
    assert db.session.scalar(sa.select(ApiToken)).last_used_at is not None


def test_rounds_lists_the_round_with_its_instrument_version(client, scored, bearer):
    response = client.get("/api/rounds", headers=bearer)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    (entry,) = body["rounds"]
    assert entry["slug"] == "confidence-test"
    assert entry["instrument_id"] == "confidence" and entry["instrument_version"]
    assert entry["area_codes"] == ["T-PCN"] and entry["target_level"] == 4
    assert "welcoming" in [d["id"] for d in entry["domains"]]
    assert client.get("/api/rounds/confidence-test", headers=bearer).get_json() == entry


def test_areas_by_type_and_a_bad_type(client, scored, bearer):
    hoods = client.get("/api/areas?type=neighbourhood", headers=bearer).get_json()["areas"]
    assert [(a["code"], a["parent_code"]) for a in hoods] == [
        ("T-NA", "T-PCN"),
        ("T-NB", "T-PCN"),
        ("T-NC", "T-PCN"),
    ]
    assert len(client.get("/api/areas", headers=bearer).get_json()["areas"]) == 4
    bad = client.get("/api/areas?type=county", headers=bearer)
    assert bad.status_code == 400 and "must be one of" in bad.get_json()["error"]


def _by(records, code, domain="welcoming"):
    return next(r for r in records if r["area_code"] == code and r["domain_id"] == domain)


def test_suppressed_cells_carry_no_numbers(client, scored, bearer):
    url = "/api/rounds/confidence-test/aggregates?area_type=neighbourhood"
    records = client.get(url, headers=bearer).get_json()["aggregates"]
    a, b, c = (_by(records, code) for code in ("T-NA", "T-NB", "T-NC"))
    assert b["suppressed"] and a["suppressed"]  # B is 2; A would give B away by subtraction
    for hidden in (a, b):
        assert all(hidden[f] is None for f in FIGURES), hidden
        assert hidden["responded"] is None and hidden["coverage"] is None
    assert not c["suppressed"] and c["n"] == 7
    # C's levels are 1,2,3,4,5,1,2: levels 1-3 hold 5 but 4-5 only 2, so they would make one
    # band of all 7 (every group in it): no level counts at all
    assert c["level_bands"] is None
    for record in records:
        if record["suppressed"]:
            assert all(record[f] is None for f in (*FIGURES, "responded", "coverage"))


def test_aggregates_for_the_round_one_area_and_a_configured_threshold(
    app, client, scored, bearer, monkeypatch
):
    body = client.get("/api/rounds/confidence-test/aggregates", headers=bearer).get_json()
    assert body["threshold"] == 5
    assert {r["area_code"] for r in body["aggregates"]} == {"T-PCN"}
    pcn = _by(body["aggregates"], "T-PCN")
    # levels cycle 1..5: A 1,2,3,4,5,1; B 1,2; C 1,2,3,4,5,1,2 -> 37 / 15
    assert pcn["n"] == 15 and pcn["mean"] == pytest.approx(37 / 15, abs=0.001)
    # counts by level 5,4,2,2,2: level 1 holds 5; levels 2-5 hold the other 10 together
    assert pcn["level_bands"] == [
        {"lowest": 1, "highest": 1, "count": 5},
        {"lowest": 2, "highest": 5, "count": 10},
    ]
    assert pcn["responded"] == 15
    assert pcn["gap"] == pytest.approx(4 - 37 / 15, abs=0.001)
    assert not pcn["suppressed"]
    url = "/api/rounds/confidence-test/aggregates?area=T-NB"
    (hidden,) = [
        r
        for r in client.get(url, headers=bearer).get_json()["aggregates"]
        if r["domain_id"] == "welcoming"
    ]
    assert hidden["suppressed"] and hidden["n"] is None
    monkeypatch.setitem(app.config, "DISCLOSURE_THRESHOLD", 2)
    body = client.get(url, headers=bearer).get_json()
    shown = _by(body["aggregates"], "T-NB")
    assert body["threshold"] == 2 and shown["n"] == 2 and shown["mean"] == 1.5


def test_the_aggregates_reply_is_the_document_jsonify_would_send(
    app, client, scored, bearer, monkeypatch
):
    """Written a few records at a time, the list first (its key sorts first): byte for byte
    what jsonify makes of the same content, in pieces of any size, and for a question with
    no area an empty list."""
    from survey import publication
    from survey.api import downloads

    for url in (
        "/api/rounds/confidence-test/aggregates",
        "/api/rounds/confidence-test/aggregates?area_type=neighbourhood",
        "/api/rounds/confidence-test/aggregates?area_type=ics",  # no such area: none
    ):
        body = client.get(url, headers=bearer).get_data(as_text=True)
        document = json.loads(body)
        assert list(document) == ["aggregates", "round", "threshold"]
        assert app.json.response(**document).get_data(as_text=True) == body
        monkeypatch.setattr(downloads, "JSON_ROWS_A_PIECE", 2)
        publication._REPLIES.clear()  # made again, in pieces of two records
        assert client.get(url, headers=bearer).get_data(as_text=True) == body
        monkeypatch.undo()
    assert document["aggregates"] == [] and body.startswith('{"aggregates":[],"round":')
    hoods = json.loads(client.get(url.replace("ics", "neighbourhood"), headers=bearer).data)
    assert len(hoods["aggregates"]) > 2  # pieces of two records were more than one piece


def test_aggregates_carry_the_ambition_under_the_same_rule(client, scored, bearer):
    from survey.models import DomainScore

    # every group plans to be at level 5 in welcoming a year from now, except C's first,
    # which said nothing: the PCN's 14 ambitions average 5.0, its mean is 37 / 15
    scores = db.session.scalars(
        sa.select(DomainScore).where(DomainScore.domain_id == "welcoming").order_by(DomainScore.id)
    ).all()
    for score in scores:
        score.ambition = 5
    scores[8].ambition = None
    db.session.commit()
    url = "/api/rounds/confidence-test/aggregates?area_type=neighbourhood"
    hoods = client.get(url, headers=bearer).get_json()["aggregates"]
    assert _by(hoods, "T-NC")["ambition"] == 5.0  # 6 of C's 7 gave one: still 5 or more
    assert _by(hoods, "T-NC")["ambition_gap"] == pytest.approx(5 - 18 / 7, abs=0.001)
    assert _by(hoods, "T-NA")["ambition"] is None  # hidden by subtraction, ambition too
    body = client.get("/api/rounds/confidence-test/aggregates", headers=bearer).get_json()
    pcn = _by(body["aggregates"], "T-PCN")
    assert pcn["ambition"] == 5.0
    assert pcn["ambition_gap"] == pytest.approx(5 - 37 / 15, abs=0.001)
    assert _by(body["aggregates"], "T-PCN", OVERALL)["ambition"] is None  # not asked overall


BAD_REQUESTS = [
    ("/api/rounds/nope", 404, "No round"),
    ("/api/rounds/nope/aggregates", 404, "No round"),
    ("/api/rounds/confidence-test/aggregates?area=NOPE", 404, "No area"),
    ("/api/rounds/confidence-test/aggregates?area=T-NA&area_type=pcn", 400, "not both"),
    ("/api/rounds/confidence-test/aggregates?area_type=x", 400, "must be one of"),
    ("/api/rounds/confidence-test/aggregates?area=%00", 400, ""),  # refused app-wide or here
    ("/api/no-such-thing", 404, "openapi.json"),
]


def test_bad_requests_are_json_4xx(client, scored, bearer):
    for url, status, words in BAD_REQUESTS:
        response = client.get(url, headers=bearer)
        assert response.status_code == status and response.is_json, url
        assert words in response.get_json()["error"], url
