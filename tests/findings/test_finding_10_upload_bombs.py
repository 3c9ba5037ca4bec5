"""Finding 10: one hostile upload cannot take the service down (SQLite).

Two workbooks built here with zipfile, small on disk: the paper template with 1.5
million blank rows appended to its Responses sheet, and one whose shared strings
unpack to 300 MB. Each upload is refused with a clear message within seconds and
in bounded memory, while groups keep saving their answers at the same time.
"""

from __future__ import annotations

import io
import re
import resource
import shutil
import threading
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from exports.paper import RESPONSES
from survey import create_app
from survey.extensions import db
from survey.instruments_store import registry
from survey.reports.paper_import import paper_template
from tests import factories
from tests.journey.conftest import Invited, hidden_fields, instrument, make_round

BLANK_ROWS = 1_500_000
BOMB_MB = 300
SAVERS = 3
SECONDS = 15  # generous: the machine is shared; the refusal itself takes well under one
PEAK_MB = 150  # generous too: the bomb alone would need 300 MB, its strings several times that


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    """The app on its own SQLite file: the write lock is what this finding is about."""
    path = tmp_path / "uploads.db"
    shutil.copy(sqlite_template, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _rewrite(template: bytes, replace: dict) -> bytes:
    """The template's zip with some parts replaced by what the given writers stream."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        names = source.namelist()
        for name in names:
            if name in replace:
                with target.open(name, "w") as part:
                    replace[name](source.read(name), part)
            else:
                target.writestr(name, source.read(name))
        for name in set(replace) - set(names):
            with target.open(name, "w") as part:
                replace[name](b"", part)
    return out.getvalue()


def blank_rows_workbook(template: bytes) -> bytes:
    """The template with 1.5 million empty rows below its groups."""
    sheet = openpyxl.load_workbook(io.BytesIO(template), read_only=True).sheetnames.index(RESPONSES)

    def rows(original: bytes, part) -> None:
        head, tail = original.split(b"</sheetData>")
        head = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', head)
        part.write(head)
        for start in range(1000, 1000 + BLANK_ROWS, 100_000):
            part.write("".join(f'<row r="{i}"/>' for i in range(start, start + 100_000)).encode())
        part.write(b"</sheetData>" + tail)

    return _rewrite(template, {f"xl/worksheets/sheet{sheet + 1}.xml": rows})


def shared_strings_bomb(template: bytes) -> bytes:
    """The template whose shared strings unpack to 300 MB."""

    def strings(_original: bytes, part) -> None:
        part.write(b'<?xml version="1.0" encoding="UTF-8"?>')
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        chunk = b"<si><t>" + b"A" * 1_000_000 + b"</t></si>"
        for _ in range(BOMB_MB):
            part.write(chunk)
        part.write(b"</sst>")

    return _rewrite(template, {"xl/sharedStrings.xml": strings})


def _first_page(invited: Invited) -> tuple[str, dict]:
    """The address of a group's first page and answers for it."""
    section = invited.instrument.sections[0]
    plan = invited.plan()
    return invited.section_url(section.id), {q.id: plan[q.id] for q in section.questions}


def _saver(app, page: tuple, stop: threading.Event, results: list, started) -> None:
    """A group saving its first page again and again, as fast as it can."""
    client = app.test_client()
    url, data = page
    done = 0
    while not stop.is_set() or done < 3:
        try:
            page = client.get(url)
            form = {**hidden_fields(page.get_data(as_text=True)), **data}
            sent = client.post(url, data=form)
            status = sent.status_code
            moved = sent.location.split("/r/", 1)[-1].split("/", 1)[0]
            if status == 302 and moved != url.split("/r/", 1)[1].split("/", 1)[0]:
                # The first save moves the group to its own private link: carry on there.
                url = "/r/" + moved + "/section/" + url.split("/section/", 1)[1]
        except BaseException as error:  # noqa: BLE001 - "database is locked" is a 500
            status = repr(error)[:200]
        results.append((status, time.monotonic()))
        done += 1
        started.release()


def _upload(app, client, data: bytes, name: str):
    page = client.get("/paper")
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    began = time.monotonic()
    sent = client.post(
        "/paper",
        data={"csrf_token": token, "round": "confidence-bombs", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    seconds = time.monotonic() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # kilobytes
    return sent, seconds, peak / 2**20, grown / 1024


def test_finding_10_hostile_workbooks_are_refused_quickly_while_groups_save(sqlite_app):
    app = sqlite_app
    with app.app_context():
        admin = factories.user(role="admin", email="admin@example.org")
        ics = factories.area(type="ics")
        chosen = instrument("confidence")
        make_round(chosen, [ics], slug="confidence-bombs")
        invited = []
        for _ in range(SAVERS):
            group = factories.organisation(area=ics)
            round_ = make_round(chosen, [ics])
            link = factories.invitation(round_, organisation=group)
            invited.append(_first_page(Invited(link.token, round_, group, ics, chosen)))
        db.session.commit()
        template = paper_template(registry().latest("confidence"))
        admin_id = admin.get_id()
    hostile = {
        "blank-rows.xlsx": blank_rows_workbook(template),
        "strings-bomb.xlsx": shared_strings_bomb(template),
    }
    for data in hostile.values():
        assert len(data) < 5 * 2**20, "small on disk"
    with zipfile.ZipFile(io.BytesIO(hostile["strings-bomb.xlsx"])) as bomb:
        assert bomb.getinfo("xl/sharedStrings.xml").file_size > BOMB_MB * 10**6

    staff = app.test_client()
    with staff.session_transaction() as session:
        session["_user_id"] = admin_id
    stop, results, started = threading.Event(), [], threading.Semaphore(0)
    savers = [
        threading.Thread(target=_saver, args=(app, one, stop, results, started)) for one in invited
    ]
    for saver in savers:
        saver.start()
    for _ in savers:
        assert started.acquire(timeout=60), "every group saved once before the uploads"
    # A save must finish while an upload is being read. The refusals take well under a
    # second, so on a quick machine a window can pass with no save in it: the uploads go
    # again (at most 10 times) until one has. A lock held through an upload would keep
    # every save out of every window, however many.
    windows: list[tuple[float, float]] = []

    def saved_during_an_upload() -> bool:
        return any(b < at < e for _, at in list(results) for b, e in windows)

    try:
        for _ in range(10):
            outcomes = {}
            for name, data in hostile.items():
                began = time.monotonic()
                outcomes[name] = _upload(app, staff, data, name)
                windows.append((began, time.monotonic()))
                assert outcomes[name][0].status_code == 400, name
            if saved_during_an_upload():
                break
    finally:
        stop.set()
        for saver in savers:
            saver.join(timeout=120)

    rows_page, rows_seconds, rows_peak, rows_rss = outcomes["blank-rows.xlsx"]
    assert rows_page.status_code == 400
    assert "has more than 20,000 rows" in rows_page.get_data(as_text=True), re.sub(
        r"<[^>]+>", " ", rows_page.get_data(as_text=True)
    )[-1500:]
    bomb_page, bomb_seconds, bomb_peak, bomb_rss = outcomes["strings-bomb.xlsx"]
    assert bomb_page.status_code == 400
    assert "the workbook is too big to read" in bomb_page.get_data(as_text=True)
    for seconds, peak, rss in (
        (rows_seconds, rows_peak, rows_rss),
        (bomb_seconds, bomb_peak, bomb_rss),
    ):
        assert seconds < SECONDS, outcomes
        assert peak < PEAK_MB, outcomes
        assert rss < PEAK_MB, outcomes
    assert saved_during_an_upload(), "groups saved while the uploads ran"
    statuses = [status for status, _ in results]
    assert set(statuses) == {302}, [r for r in statuses if r != 302][:3]
    print(  # the figures for the report (pytest -s)
        {
            n: (round(s, 2), f"{p:.1f} MB traced", f"{r:.1f} MB rss")
            for n, (_, s, p, r) in outcomes.items()
        }
    )


def test_finding_10_each_limit_refuses_on_its_own_with_a_clear_message():
    from exports.paper import PaperFileError, ReadLimits, read_paper_workbook, write_template

    chosen = instrument("confidence")
    out = io.BytesIO()
    write_template(chosen, [(n, f"Group {n}") for n in range(1, 31)], out)
    template = out.getvalue()
    read = dict(name="t.xlsx", instrument=chosen, group_ids=set(range(1, 31)))
    assert read_paper_workbook(template, **read).errors == []  # within the default limits
    cases = {
        ReadLimits(rows=10): "has more than 10 rows",
        ReadLimits(cells=50): "or 50 cells",
        ReadLimits(unpacked_bytes=10_000): "it unpacks to 0 MB, more than 0 MB",
        ReadLimits(whole_part_bytes=100): "unpacks to 0 MB",
        ReadLimits(members=3): "at most 3",
    }
    for limits, message in cases.items():
        with pytest.raises(PaperFileError) as refused:
            read_paper_workbook(template, limits=limits, **read)
        assert message in str(refused.value), (limits, str(refused.value))
        assert "t.xlsx" in str(refused.value)
