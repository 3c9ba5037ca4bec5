"""Paper answers: the template from the command line and the web, and the all-or-nothing import."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from exports.paper import RESPONSES, PaperFileError
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import Answer, DomainScore, Organisation, Response
from survey.reports.paper_import import import_paper, paper_template
from survey.scores import score_rows

from .. import factories
from ..exports.cfb import encrypted_office_file
from .conftest import validations


def fill(data: bytes, answers: dict[int, dict[str, object]]) -> bytes:
    """The template with answers typed into rows (by sheet row number)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[RESPONSES]
    header = [c.value for c in ws[1]]
    for row, values in answers.items():
        for column, value in values.items():
            ws.cell(row, header.index(column) + 1, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def likert_answers(instrument, label: str = "Agree") -> dict[str, str]:
    """Every agreement question answered with the same label."""
    return {q.id: label for q in instrument.questions if q.type == "likert"}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def confidence_round(app):
    return factories.survey_round("confidence", slug="confidence-2026", target_level=3)


def test_the_template_command_lists_every_group_with_drop_downs(app, cli, tmp_path):
    factories.organisation(name="=SUM(A1:A9)")
    factories.organisation(name="Walking group")
    db.session.commit()
    out = tmp_path / "template.xlsx"
    result = cli("export", "paper-template", "--instrument", "confidence", "-o", out)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    ws = wb[RESPONSES]
    names = [ws.cell(r, 2).value for r in range(3, ws.max_row + 1)]
    assert names == ["=SUM(A1:A9)", "Walking group"]  # by name
    assert ws["B3"].data_type == "s"
    instrument = registry().latest("confidence")
    listed = [q for q in instrument.questions if q.type in ("likert", "yesno", "single")]
    assert len([dv for dv in validations(ws) if dv.type == "list"]) == len(listed)
    bad = cli("export", "paper-template", "--instrument", "dmi-locality", "-o", out)
    assert bad.exit_code == 1 and "answered for an area" in bad.output


def test_one_bad_row_among_a_thousand_imports_nothing_and_names_the_row(
    app, cli, tmp_path, confidence_round
):
    db.session.execute(sa.insert(Organisation), [{"name": f"Group {i:04d}"} for i in range(1000)])
    db.session.commit()
    instrument = registry().latest("confidence")
    good = likert_answers(instrument) | {"had_referrals": "Yes"}
    rows = {row: dict(good) for row in range(3, 1003)}
    rows[777]["safe_policy"] = "Sometimes"
    path = tmp_path / "thousand.xlsx"
    path.write_bytes(fill(paper_template(instrument), rows))
    result = cli("import", "responses", path, "--round", "confidence-2026")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{path}: row 777, column safe_policy: 'Sometimes' is not one")
    assert lines[-1] == f"Error: {path}: 1 row(s) with 1 problem(s); nothing was imported"
    assert count(Response) == 0 and count(Answer) == 0


def test_an_import_is_scored_submitted_and_never_duplicated(app, cli, tmp_path, confidence_round):
    orgs = [factories.organisation(name=f"Group {i}") for i in range(3)]
    db.session.commit()
    ids = [o.id for o in orgs]  # the command ends this session: keep the ids
    instrument = registry().latest("confidence")
    answers = likert_answers(instrument) | {"had_referrals": "Yes"}
    template = paper_template(instrument)
    path = tmp_path / "paper.xlsx"
    path.write_bytes(fill(template, {3: answers, 4: answers, 5: answers}))
    first = cli("import", "responses", path, "--round", "confidence-2026")
    assert first.exit_code == 0, first.output
    assert "3 responses imported" in first.output
    responses = db.session.scalars(sa.select(Response).order_by(Response.organisation_id)).all()
    assert [r.organisation_id for r in responses] == ids
    assert {(r.status, r.source, r.is_current) for r in responses} == {("submitted", "paper", True)}
    stored = {
        (s.domain_id, s.level)
        for s in db.session.scalars(
            sa.select(DomainScore).where(DomainScore.response_id == responses[0].id)
        )
    }
    expected_answers = {q: v.lower() for q, v in answers.items()}
    expected = {(r["domain_id"], r["level"]) for r in score_rows(instrument, expected_answers)}
    assert stored == expected and any(level for _, level in stored)
    again = cli("import", "responses", path, "--round", "confidence-2026")
    assert again.exit_code == 0 and "3 already imported" in again.output
    assert count(Response) == 3
    changed = dict(answers, safe_policy="Strongly disagree")
    path.write_bytes(fill(template, {3: answers, 4: changed, 5: answers}))
    third = cli("import", "responses", path, "--round", "confidence-2026")
    assert "1 responses imported (1 replacing earlier answers), 2 already imported" in third.output
    current = db.session.scalars(
        sa.select(Response).where(Response.organisation_id == ids[1]).order_by(Response.id)
    ).all()
    assert [r.is_current for r in current] == [False, True]
    assert current[1].supersedes_id == current[0].id
    assert current[1].answer_map()["safe_policy"] == "strongly_disagree"


def bad_file(kind: str) -> bytes:
    """A file the import must refuse as a whole."""
    if kind == "encrypted":
        return encrypted_office_file()
    if kind == "csv":
        return b"org_id,org_name\n1,Lunch club\n"
    if kind == "wrong instrument":
        return paper_template(registry().latest("dmi-organisation"))
    wb = openpyxl.load_workbook(io.BytesIO(paper_template(registry().latest("confidence"))))
    wb[RESPONSES]["E1"] = "safe_policy_typo"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("encrypted", "the workbook is password-protected (encrypted)"),
        ("csv", "not an Excel workbook (.xlsx)"),
        ("wrong instrument", "the template is for instrument dmi-organisation 2025.1, but the"),
        ("wrong columns", "sheet 'Responses' row 1: missing column(s)"),
    ],
)
def test_a_file_that_cannot_be_read_gives_one_line(cli, tmp_path, confidence_round, kind, problem):
    db.session.commit()
    path = tmp_path / "answers.xlsx"
    path.write_bytes(bad_file(kind))
    result = cli("import", "responses", path, "--round", "confidence-2026")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.strip().startswith(f"Error: {path}: {problem}")
    assert count(Response) == 0


def test_the_wrong_instrument_or_columns_are_refused_before_any_row(app, confidence_round):
    org = factories.organisation(name="Lunch club")
    dmi = registry().latest("dmi-organisation")
    with pytest.raises(PaperFileError, match=r"^dmi\.xlsx: the template is for instrument dmi-"):
        import_paper(paper_template(dmi), "dmi.xlsx", confidence_round, actor="t")
    instrument = registry().latest("confidence")
    wb = openpyxl.load_workbook(io.BytesIO(paper_template(instrument)))
    wb[RESPONSES].delete_cols(5)
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(PaperFileError, match=r"^cols\.xlsx: sheet 'Responses' row 1: missing"):
        import_paper(out.getvalue(), "cols.xlsx", confidence_round, actor="t")
    assert org.id and count(Response) == 0


def test_a_broker_uploads_only_for_their_groups_and_errors_are_escaped(
    client, login, confidence_round, no_csrf
):
    broker = factories.broker("Upload CVS")
    mine = factories.organisation(name="Mine", broker=broker)
    theirs = factories.organisation(name="Theirs")
    db.session.commit()
    login("broker", broker=broker)
    template = client.get("/paper/confidence-2026/template.xlsx")
    assert template.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(template.data))[RESPONSES]
    assert [ws.cell(3, 1).value, ws.max_row] == [mine.id, 3]  # only the broker's own group
    data = fill(
        template.data,
        {
            3: {"had_referrals": "<script>alert(1)</script>"},
            4: {"org_id": theirs.id, "had_referrals": "Yes"},
        },
    )
    page = client.post(
        "/paper",
        data={"round": "confidence-2026", "file": (io.BytesIO(data), "filled.xlsx")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "row 3, column had_referrals: &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in html
    assert f"row 4, column org_id: no group with id {theirs.id}" in html
    assert "<script>alert(1)" not in html and count(Response) == 0
    good = fill(template.data, {3: {"had_referrals": "Yes"}})
    done = client.post(
        "/paper",
        data={"round": "confidence-2026", "file": (io.BytesIO(good), "good.xlsx")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 200 and "1 responses imported" in done.get_data(as_text=True)
    assert count(Response) == 1
    login("board")
    assert client.get("/paper").status_code == 403
