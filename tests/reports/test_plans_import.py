"""The support-plans workbook goes out with the caseload's statuses and comes back all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, HelpRequest
from tests import factories

from ..journey.test_help_requests import staff_client
from .conftest import respond
from .test_caseload import help_request


def export(cli, tmp_path, broker_id: int, slug: str, name: str = "plans.xlsx"):
    """The broker's support-plans workbook from the command line, opened for editing."""
    out = tmp_path / name
    result = cli("export", "support-plans", "--broker", broker_id, "--round", slug, "-o", out)
    assert result.exit_code == 0, result.output
    return out, openpyxl.load_workbook(out)


def rows_by_id(ws) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Column number by header, and the sheet rows holding each Id."""
    header = {c.value: c.column for c in ws[1]}
    where: dict[str, list[int]] = {}
    for r in range(2, ws.max_row + 1):
        where.setdefault(ws.cell(r, header["Id"]).value, []).append(r)
    return header, where


def edit(ws, header, rows, **values) -> None:
    """Type values into the named columns (Owner, Due date, Status) of these rows."""
    for r in rows:
        for column, value in values.items():
            ws.cell(r, header[column.replace("_", " ")]).value = value


def test_export_edit_import_and_read_back(app, cli, tmp_path):
    broker = factories.broker("Northvale CVS")
    round_ = factories.survey_round(slug="confidence-2031", target_level=4)
    org = factories.organisation("Lunch club", area=factories.area(), broker=broker)
    respond(round_, org, 1)  # level 1 everywhere, target 4: every domain has actions
    ann = factories.user("broker", email="ann@northvale.example", broker=broker)
    bob = factories.user("broker", email="bob@northvale.example", broker=broker)
    db.session.commit()
    ids = {"broker": broker.id, "org": org.id, "ann": ann.id, "bob": bob.id}
    _, wb = export(cli, tmp_path, ids["broker"], "confidence-2031", "first.xlsx")
    header, where = rows_by_id(wb["Support plans"])
    plan_ids = [i for i in where if i.startswith("plan:confidence-2031:")]
    assert plan_ids and len(plan_ids) == len(where)  # nothing tracked yet: every row a plan Id
    asked_key = plan_ids[0].split(":", 3)[3]
    round_, org = db.session.merge(round_), db.session.merge(org)  # the command ended the session
    asked = help_request(round_, org, asked_key, "What the group asked for")
    db.session.commit()
    asked_id = asked.id

    out, wb = export(cli, tmp_path, ids["broker"], "confidence-2031")
    ws = wb["Support plans"]
    header, where = rows_by_id(ws)
    # The caseload's statuses: the tracked row carries its request's Id, status and version.
    tracked = where[f"H{asked_id}"]
    assert ws.cell(tracked[0], header["Status"]).value == "new"
    assert ws.cell(tracked[0], header["Version"]).value == 1
    statuses = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert statuses[0].formula1 == '"new,contacted,in progress,done,declined"'
    taken_up = plan_ids[1]  # an action nobody tracks yet, taken up offline
    edit(ws, header, tracked, Status="in progress", Owner="ANN@northvale.example")
    edit(ws, header, tracked, Due_date=dt.datetime(2031, 3, 14))
    edit(ws, header, where[taken_up], Status="contacted", Owner="bob@northvale.example")
    ws.cell(tracked[0], header["Next step"]).value = '=HYPERLINK("http://x")'  # not read
    wb.save(out)

    done = cli("import", "support-plans", out)
    assert done.exit_code == 0, done.output
    assert "1 actions changed, 1 added to the caseload" in done.output

    changed = db.session.get(HelpRequest, asked_id)
    assert (changed.status, changed.owner_id, changed.due_on, changed.version) == (
        "in_progress",
        ids["ann"],
        dt.date(2031, 3, 14),
        2,
    )
    made = db.session.scalar(
        sa.select(HelpRequest).where(HelpRequest.subject_key == taken_up.split(":", 3)[3])
    )
    assert (made.status, made.owner_id, made.organisation_id, made.broker_id) == (
        "contacted",
        ids["bob"],
        ids["org"],
        ids["broker"],
    )
    events = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.target, AuditEvent.detail)
        .where(AuditEvent.action.like("help-request-%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [(a, t) for a, t, _ in events] == [
        ("help-request-changed", f"help-request:{asked_id}"),
        ("help-request-planned", f"help-request:{made.id}"),
    ]
    assert events[0].detail["status"] == ["new", "in_progress"]
    assert events[0].detail["due"] == [None, "2031-03-14"]

    # Exported again, the file says what the caseload says.
    _, again = export(cli, tmp_path, ids["broker"], "confidence-2031", "again.xlsx")
    ws2 = again["Support plans"]
    header2, where2 = rows_by_id(ws2)
    row = where2[f"H{made.id}"][0]
    assert (ws2.cell(row, header2["Status"]).value, ws2.cell(row, header2["Owner"]).value) == (
        "contacted",
        "bob@northvale.example",
    )
    assert taken_up not in where2
    # The first file brought back twice adds nothing twice: its taken-up row is now stale.
    twice = cli("import", "support-plans", out)
    assert twice.exit_code == 1
    row_number = where[taken_up][0]
    assert f"row {row_number}, column Id: this action became H{made.id}" in twice.output
    assert db.session.scalar(sa.select(sa.func.count(HelpRequest.id))) == 2


def test_one_bad_row_in_500_imports_nothing_and_names_row_and_column(app, cli, tmp_path):
    broker = factories.broker()
    round_ = factories.survey_round(slug="confidence-2032")
    org = factories.organisation("Busy group", area=factories.area(), broker=broker)
    db.session.add_all(
        HelpRequest(
            round_id=round_.id,
            organisation_id=org.id,
            broker_id=broker.id,
            area_id=org.area_id,
            subject_key=f"offer:o{i}",
            subject=f"Offer {i}",
            contact_by="phone",
        )
        for i in range(500)
    )
    db.session.commit()
    broker_id = broker.id
    out, wb = export(cli, tmp_path, broker_id, "confidence-2032")
    ws = wb["Support plans"]
    header, where = rows_by_id(ws)
    assert len(where) == 500 and ws.max_row == 501  # one row per request: no plan lines
    for r in range(2, 502):
        ws.cell(r, header["Status"]).value = "done"
    ws.cell(377, header["Status"]).value = "finished"
    wb.save(out)

    refused = cli("import", "support-plans", out)
    assert refused.exit_code == 1
    assert (
        "row 377, column Status: 'finished' is not a status; use new, contacted, in progress, "
        "done or declined" in refused.output
    )
    assert "1 problem(s); nothing was imported" in refused.output
    statuses = db.session.scalars(sa.select(HelpRequest.status).distinct()).all()
    assert statuses == ["new"]

    # A formula is refused, not run or stored; a script is not an owner.
    ws.cell(377, header["Status"]).value = "done"
    ws.cell(12, header["Owner"]).value = '=HYPERLINK("http://evil.example","x")'
    ws.cell(13, header["Owner"]).value = "<script>alert(1)</script>"
    wb.save(out)
    refused = cli("import", "support-plans", out)
    assert refused.exit_code == 1
    assert "row 12, column Owner: a formula is not accepted here" in refused.output
    assert "row 13, column Owner: <script>alert(1)</script> is not a broker" in refused.output

    # A row whose request was changed in the app after the export is stale.
    ws.cell(12, header["Owner"]).value = ws.cell(13, header["Owner"]).value = None
    wb.save(out)
    first_id = int(ws.cell(2, header["Id"]).value[1:])
    db.session.get(HelpRequest, first_id).status = "contacted"
    db.session.commit()
    refused = cli("import", "support-plans", out)
    assert refused.exit_code == 1
    assert f"row 2, column Version: H{first_id} was changed in the app" in refused.output
    assert (
        db.session.scalar(
            sa.select(sa.func.count(HelpRequest.id)).where(HelpRequest.status == "done")
        )
        == 0
    )

    # Not a workbook at all, or a zip that is not one: one line, exit 1.
    for name, data in (("notes.xlsx", b"just some text"), ("zip.xlsx", _zip())):
        path = tmp_path / name
        path.write_bytes(data)
        result = cli("import", "support-plans", path)
        assert result.exit_code == 1 and "not an Excel workbook" in result.output, result.output


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def test_a_broker_uploads_and_cannot_touch_another_brokers_group(app, cli, tmp_path, no_csrf):
    ours, theirs = factories.broker(), factories.broker()
    round_ = factories.survey_round(slug="confidence-2033")
    mine = factories.organisation("Mine", area=factories.area(), broker=ours)
    other = factories.organisation("Other", area=factories.area(), broker=theirs)
    own = help_request(round_, mine, "offer:a", "A")
    foreign = help_request(round_, other, "offer:b", "B")
    ann = factories.user("broker", email="ann@ours.example", broker=ours)
    db.session.commit()
    own_id, foreign_id, ours_id = own.id, foreign.id, ours.id
    out, wb = export(cli, tmp_path, ours_id, "confidence-2033")
    ws = wb["Support plans"]
    header, where = rows_by_id(ws)
    assert list(where) == [f"H{own_id}"]  # another broker's request is not in the file
    edit(ws, header, [2], Status="done")
    edit(ws, header, [3], Id=f"H{foreign_id}", Status="declined", Version=1)
    wb.save(out)
    browser = staff_client(app, db.session.merge(ann))
    assert browser.get("/help-requests/support-plans").status_code == 200
    sent = browser.post(
        "/help-requests/support-plans",
        data={"file": (io.BytesIO(out.read_bytes()), "plans.xlsx")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 400
    assert f"row 3, column Id: no help request H{foreign_id} in your caseload" in sent.text
    assert {h.status for h in db.session.scalars(sa.select(HelpRequest))} == {"new"}
    bad = browser.post(
        "/help-requests/support-plans",
        data={"file": (io.BytesIO(b"%PDF-1.4"), "plans.xlsx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "not an Excel workbook" in bad.text
    ws.delete_rows(3)
    wb.save(out)
    good = browser.post(
        "/help-requests/support-plans",
        data={"file": (io.BytesIO(out.read_bytes()), "plans.xlsx")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 200 and "1 actions changed" in good.text
    db.session.expire_all()
    assert db.session.get(HelpRequest, own_id).status == "done"
    assert db.session.get(HelpRequest, foreign_id).status == "new"
    actor = db.session.scalar(
        sa.select(AuditEvent.actor).where(AuditEvent.action == "help-request-changed")
    )
    assert actor == "ann@ours.example"

    # Done, then the group asks again: reopening the old one from the file is refused.
    help_request(db.session.merge(round_), db.session.merge(mine), "offer:a", "A again")
    db.session.commit()
    edit(ws, header, [2], Status="new", Version=2)
    wb.save(out)
    again = browser.post(
        "/help-requests/support-plans",
        data={"file": (io.BytesIO(out.read_bytes()), "plans.xlsx")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 400
    assert "row 2, column Status: the group has asked about this again" in again.text
    db.session.expire_all()
    assert db.session.get(HelpRequest, own_id).status == "done"
