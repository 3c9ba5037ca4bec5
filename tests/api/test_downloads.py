"""Score downloads: per response for admins (stable columns), suppressed aggregates for others."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from exports.tables import AGGREGATE_COLUMNS, LONG_COLUMNS, wide_columns
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import Area, AuditEvent

from .. import factories
from .conftest import FORMULA

CSV_URL = "/rounds/confidence-test/scores.csv"
JSON_URL = "/rounds/confidence-test/scores.json"
FIGURES = ("n", "mean", "median", "ci_low", "ci_high", "level", "level_bands", "responded")


def _rows(response) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return list(reader.fieldnames or []), list(reader)


def _postcodes(rows) -> list:
    return [r["answer.group_postcode"] for r in rows if r["answer.group_postcode"]]


def test_admin_gets_one_row_per_response_with_stable_columns(client, login, scored):
    login("admin")
    response = client.get(CSV_URL)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "confidence-test-responses.csv" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    header, rows = _rows(response)
    versions = [i for i in registry().all() if i.id == "confidence"]
    assert header == wide_columns(versions)
    assert len(rows) == 15 and all(r["organisation_id"] for r in rows)
    assert {r["instrument_version"] for r in rows} == {versions[-1].version}
    assert sorted(r["level.welcoming"] for r in rows).count("1") == 5
    assert _postcodes(rows) == ["'" + FORMULA]  # written as text, never as a formula
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "scores-downloaded"))
    assert audit.detail == {"kind": "responses", "format": "csv", "rows": 15}


def test_admin_json_and_long_csv_keep_columns_and_text_as_data(client, login, scored):
    login("admin")
    body = client.get(JSON_URL).get_json()
    header, _ = _rows(client.get(CSV_URL))
    assert body["kind"] == "responses" and body["columns"] == header
    assert _postcodes(body["rows"]) == [FORMULA]
    header, rows = _rows(client.get(CSV_URL + "?layout=long"))
    assert header == list(LONG_COLUMNS)
    assert len([r for r in rows if r["kind"] == "domain"]) == 30  # 15 responses x 2 scores
    assert client.get(CSV_URL + "?layout=sideways").status_code == 400


def test_area_lead_gets_only_suppressed_aggregates_for_their_areas(client, login, scored):
    _, _, hoods = scored
    login("area-lead", areas=[hoods[0], hoods[2]])
    header, rows = _rows(client.get(CSV_URL))
    assert header == list(AGGREGATE_COLUMNS) and "organisation_id" not in header
    assert {r["area_code"] for r in rows} == {"T-NA", "T-NC"}
    a = next(r for r in rows if r["area_code"] == "T-NA" and r["domain_id"] == "welcoming")
    c = next(r for r in rows if r["area_code"] == "T-NC" and r["domain_id"] == "welcoming")
    assert a["suppressed"] == "true" and all(a[f] == "" for f in FIGURES)
    assert c["suppressed"] == "false" and c["n"] == "7" and c["responded"] == "7"
    elsewhere = Area(code="T-ELSE", name="Elsewhere", type="pcn")
    db.session.add(elsewhere)
    db.session.commit()
    login("area-lead", areas=[elsewhere])
    header, rows = _rows(client.get(CSV_URL))
    assert header == list(AGGREGATE_COLUMNS) and rows == []


def test_board_json_aggregates_never_show_small_numbers(client, login, scored):
    login("board")
    body = client.get(JSON_URL).get_json()
    assert body["kind"] == "aggregates" and body["columns"] == list(AGGREGATE_COLUMNS)
    assert {r["area_code"] for r in body["rows"]} == {"T-PCN", "T-NA", "T-NB", "T-NC"}
    hidden = [r for r in body["rows"] if r["suppressed"]]
    assert {r["area_code"] for r in hidden} >= {"T-NA", "T-NB"}
    assert all(r[f] is None for r in hidden for f in FIGURES)
    for row in body["rows"]:
        assert row["n"] is None or row["n"] == 0 or row["n"] >= 5


def test_the_downloads_page_lists_rounds_for_every_analyst(client, login, scored):
    assert client.get(CSV_URL).status_code == 302  # signed out: to the sign-in page
    for role in ("admin", "broker", "area-lead", "board"):
        login(role)
        page = client.get("/downloads/scores").get_data(as_text=True)
        assert CSV_URL in page and JSON_URL in page, role
        assert ("layout=long" in page) == (role == "admin"), role
        home = client.get("/staff").get_data(as_text=True)
        assert "/downloads/scores" in home, role
        assert ("/admin/api-tokens" in home) == (role == "admin"), role
    assert client.get("/rounds/nope/scores.csv").status_code == 404
    assert client.get("/rounds/nope/scores.json").status_code == 404


NEW_QUESTION = """      - id: meets_online
        type: yesno
        text: Does your group also meet online?
        source: "001 part D, impact on the community groups"
        required: false
"""


def test_rounds_on_two_instrument_versions_download_with_the_same_columns(
    app, client, login, scored, tmp_path, monkeypatch
):
    from instruments import DEFINITIONS_DIR, load_registry

    from .. import factories

    for source in DEFINITIONS_DIR.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    text = (DEFINITIONS_DIR / "confidence-2025.1.yaml").read_text()
    anchor = "      - id: activity_types\n"
    text = text.replace('version: "2025.1"', 'version: "2099.1"').replace(
        anchor, NEW_QUESTION + anchor, 1
    )
    (tmp_path / "confidence-2099.1.yaml").write_text(text)
    monkeypatch.setitem(app.extensions, "instruments", load_registry(tmp_path))
    old_round, pcn, hoods = scored
    new_round = factories.survey_round("confidence", slug="confidence-next")
    new_round.instrument_version = "2099.1"
    org = factories.organisation(area=hoods[0])
    factories.submitted_response(
        new_round, org, {"welcoming": 4}, areas=[hoods[0], pcn], answers={"meets_online": "yes"}
    )
    db.session.commit()
    login("admin")
    old_header, old_rows = _rows(client.get(CSV_URL))
    new_header, new_rows = _rows(client.get("/rounds/confidence-next/scores.csv"))
    assert old_header == new_header and "answer.meets_online" in new_header
    assert new_header.index("answer.meets_online") > new_header.index("answer.group_postcode")
    assert {r["instrument_version"] for r in old_rows} == {old_round.instrument_version}
    assert old_round.instrument_version != "2099.1"
    assert [(r["instrument_version"], r["answer.meets_online"]) for r in new_rows] == [
        ("2099.1", "yes")
    ]
    assert all(r["answer.meets_online"] == "" for r in old_rows)


def test_the_streamed_csv_is_the_same_read_in_chunks_of_any_size(
    client, login, scored, monkeypatch
):
    """Responses are read a chunk at a time and written a few rows at a time: with chunks
    of 4 responses and pieces of 3 rows (15 responses) the file is the one read whole."""
    import exports.tables
    from survey.api import records

    login("admin")
    whole = client.get(CSV_URL).get_data(as_text=True)
    long_whole = client.get(CSV_URL + "?layout=long").get_data(as_text=True)
    monkeypatch.setattr(records, "RECORDS_CHUNK", 4)
    monkeypatch.setattr(exports.tables, "CSV_ROWS_A_PIECE", 3)
    assert client.get(CSV_URL).get_data(as_text=True) == whole
    assert client.get(CSV_URL + "?layout=long").get_data(as_text=True) == long_whole
    assert whole.count("\r\n") == 16  # the header and 15 responses


def test_each_kind_of_answer_and_score_comes_back_as_it_was_stored(client, login, scored):
    """A response's answers are read as one JSON object and its scores as a column pair a
    domain: each value must come back as stored. Text with quotes, a backslash and
    non-ASCII letters; a list; a decimal; a whole number; JSON null; true. A score of
    10/3 keeps every digit; a domain with a score row but no score is there with nulls;
    a domain with no row is not there at all. (An answer's number is read as SQLite
    stores it: a REAL, written with 15 significant digits, as it was before answers were
    read as one object; a person's answer has fewer.)"""
    from survey.models import DomainScore

    round_, _, hoods = scored
    answers = {
        "group_postcode": 'Say "hi" \\ to Zoë ✓',
        "activity_types": ["sport", "arts & crafts"],
        "governed_insurance": 2.75,
        "governed_clear_roles": 12,
        "governed_money_records": None,
        "had_referrals": True,
    }
    made = factories.submitted_response(
        round_, factories.organisation(area=hoods[0]), {"welcoming": 3}, answers=answers
    )
    made.scores[0].score = 10 / 3
    made.scores.append(DomainScore(domain_id="safe", score=None, level=None))
    db.session.commit()
    login("admin")
    long = client.get(JSON_URL + "?layout=long").get_json()["rows"]
    mine = [r for r in long if r["response_id"] == made.id]
    assert {r["key"]: r["value"] for r in mine if r["kind"] == "answer"} == answers
    assert [(r["key"], r["score"], r["level"]) for r in mine if r["kind"] == "domain"] == [
        ("welcoming", 10 / 3, 3),
        ("safe", None, None),
    ]
    _, rows = _rows(client.get(CSV_URL))
    (row,) = [r for r in rows if r["response_id"] == str(made.id)]
    assert row["answer.governed_insurance"] == "2.75"
    assert row["answer.activity_types"] == "sport; arts & crafts"
    assert row["answer.had_referrals"] == "true"
    assert (row["score.welcoming"], row["score.safe"], row["level.safe"]) == (repr(10 / 3), "", "")
    assert row["score.growing"] == row["answer.governed_money_records"] == ""
    # the 15 responses with no answers at all: every answer column empty, scores there
    others = [r for r in rows if r["response_id"] != str(made.id)]
    assert len(others) == 15 and all(r["score.overall"] == "3.0" for r in others)


def test_the_streamed_json_is_the_document_jsonify_would_send(
    app, client, login, scored, monkeypatch
):
    """The JSON download is written a few rows at a time: byte for byte the document
    jsonify makes of the same content (compact, keys sorted, a newline at the end), the
    same in pieces of any size, and an empty round's rows an empty list."""
    from survey.api import downloads

    login("admin")
    for layout in ("wide", "long"):
        body = client.get(f"{JSON_URL}?layout={layout}").get_data(as_text=True)
        document = json.loads(body)
        assert len(document["rows"]) == (15 if layout == "wide" else 31)  # 15 + 1 answer
        assert app.json.response(**document).get_data(as_text=True) == body
        monkeypatch.setattr(downloads, "JSON_ROWS_A_PIECE", 2)
        assert client.get(f"{JSON_URL}?layout={layout}").get_data(as_text=True) == body
        monkeypatch.undo()
    empty = factories.survey_round("confidence", slug="confidence-empty")
    db.session.commit()
    body = client.get(f"/rounds/{empty.slug}/scores.json").get_data(as_text=True)
    assert json.loads(body)["rows"] == [] and body.endswith('"rows":[]}\n')


def test_a_download_hands_the_heaps_free_pages_back_once_it_is_sent(
    client, login, scored, monkeypatch
):
    """A streamed CSV or JSON download is measured to its end: the trim that follows a
    request which left the worker grown (survey.memory) comes once it has been sent, not
    when the view returns. Here every reply counts as grown (TRIM_AFTER below zero)."""
    from survey import memory

    assert memory._trim is not None  # this machine's C library has malloc_trim
    trims: list[int] = []
    monkeypatch.setattr(memory, "_trim", trims.append)
    monkeypatch.setattr(memory, "TRIM_AFTER", -(2**40))
    monkeypatch.setattr(memory, "_settled", memory.resident_bytes())
    login("admin")
    for url in (CSV_URL, JSON_URL, CSV_URL + "?layout=long"):
        before = len(trims)
        reply = client.get(url)
        assert reply.status_code == 200 and len(reply.get_data()) > 100
        assert len(trims) == before  # the whole body read, the reply not yet closed
        reply.close()
        assert len(trims) == before + 1 and trims[-1] == 0, url
