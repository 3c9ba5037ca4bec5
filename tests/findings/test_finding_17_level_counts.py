"""Finding 17: published level counts with 1 to 4 groups in a level, or every group at one level.

Area L-ONE has 6 groups all at level 4 in every domain ([0, 0, 0, 6, 0] would
tell every reader each group's level); area L-MIX has 10 groups spread over the
levels (1,1,2,2,2,3,4,4,5,5). Nowhere (area page, API, score download, roadmap
workbook) may a level count of 1 to 4 groups appear, nor a distribution with
every group in one cell.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from survey.api.tokens import issue_token
from survey.extensions import db
from survey.models import OVERALL
from survey.reports.roadmap_data import roadmap_workbook

from .. import factories

MIX = (1, 1, 2, 2, 2, 3, 4, 4, 5, 5)
FIVE_CELLS = re.compile(r"\b(\d+) / (\d+) / (\d+) / (\d+) / (\d+)\b")
BAND = re.compile(r"[Ll]evels? (\d)(?:\s*(?:to|-)\s*(\d))?: (\d+)")


@pytest.fixture
def levels(app):
    """An ICS (the round's area) with L-ONE (6 groups at level 4) and L-MIX (10 groups)."""
    ics = factories.area(code="L-ICS", type="ics", name="Level ICS")
    one = factories.area(code="L-ONE", type="place", parent=ics, name="All at four")
    mix = factories.area(code="L-MIX", type="place", parent=ics, name="Mixed")
    round_ = factories.survey_round("confidence", slug="confidence-levels", target_level=3)
    round_.areas = [ics]
    domains = ["welcoming", "safe", OVERALL]
    for area, values in ((one, (4,) * 6), (mix, MIX)):
        for level in values:
            org = factories.organisation(area=area)
            factories.submitted_response(
                round_, org, dict.fromkeys(domains, level), areas=[area, ics]
            )
    db.session.commit()
    return round_, ics, one, mix


def _check_cells(cells: list[int], where: str) -> None:
    """A distribution by single levels: no cell of 1 to 4, not everyone in one cell."""
    assert not any(0 < c < 5 for c in cells), (where, cells)
    assert sum(1 for c in cells if c) >= 2, (where, cells)


def _check_bands(text: str, where: str) -> int:
    """Bands written as 'levels 1 to 2: 7; level 3: 6': each of 5 or more, at least two."""
    counts = [int(m.group(3)) for m in BAND.finditer(text)]
    if counts:
        assert all(c >= 5 for c in counts) and len(counts) >= 2, (where, text)
    return len(counts)


def _check_text(text: str, where: str) -> int:
    for match in FIVE_CELLS.finditer(text):
        _check_cells([int(g) for g in match.groups()], where)
    return _check_bands(text, where)


def test_finding_17_no_small_or_single_level_counts_anywhere(client, login, levels):
    round_, ics, one, mix = levels
    login("board")
    shown_bands = 0
    # area pages
    for area in (ics, one, mix):
        page = client.get(f"/areas/{area.code}?round={round_.slug}").get_data(as_text=True)
        table = page.split('id="area-figures"', 1)[1].split("</table>", 1)[0]
        text = re.sub(r"<br>", "; ", table)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
        shown_bands += _check_text(text, area.code)
        if area is one:  # every group at level 4: no counts, in words
            assert text.count("Not shown") == 3, text
    # the API
    _, raw = issue_token("Test BI tool", actor="test")
    db.session.commit()
    body = client.get(
        f"/api/rounds/{round_.slug}/aggregates", headers={"Authorization": f"Bearer {raw}"}
    ).get_json()
    for record in body["aggregates"]:
        where = f"api {record['area_code']} {record['domain_id']}"
        if record.get("level_counts") is not None:
            _check_cells(record["level_counts"], where)
        bands = record.get("level_bands")
        if bands is not None:
            assert len(bands) >= 2 and all(b["count"] >= 5 for b in bands), where
            shown_bands += len(bands)
        if record["area_code"] == "L-ONE":
            assert record.get("level_counts") is None and record.get("level_bands") is None
    # the score download (CSV)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/rounds/{round_.slug}/scores.csv").text)))
    assert rows
    for row in rows:
        cells = [row.get(f"level_{k}") for k in range(1, 6)]
        if all(c not in (None, "") for c in cells):
            _check_cells([int(c) for c in cells], f"csv {row['area_code']}")
        _check_text(row.get("level_bands") or "", f"csv {row['area_code']}")
    # the roadmap workbook
    data = roadmap_workbook(ics, round_, viewer=None, actor="test")
    gaps = openpyxl.load_workbook(io.BytesIO(data))["Gaps"]
    header = [c.value for c in gaps[1]]
    for values in gaps.iter_rows(min_row=2, values_only=True):
        row = dict(zip(header, values, strict=False))
        where = f"roadmap {row['Area code']} {row['Domain']}"
        single = [row.get(f"At level {k}") for k in range(1, 6)]
        if all(isinstance(c, int) for c in single):
            _check_cells(single, where)
        text = str(row.get("Groups by level") or "")
        shown_bands += _check_bands(text, where)
        if row["Area code"] == "L-ONE" and row["n"]:
            assert text == "not shown", where
    # the mixed area's and the ICS's counts are shown, in bands
    assert shown_bands > 0
