"""The board pack: every survey run twice, read back from the workbook with openpyxl.

One ICS, two surveys each run twice (target level 3):
- confidence: 2025 has 7 groups (10 invited), 2026 has 11 (15 invited); six groups
  answered both. Their overall scores 2025 -> 2026:
      2.0 -> 2.5, 2.5 -> 3.0, 3.0 -> 3.0, 3.0 -> 3.5, 3.5 -> 4.5, 4.0 -> 4.5
  differences 0.5, 0.5, 0, 0.5, 1.0, 0.5: mean 3.0 / 6 = 0.5;
  deviations 0, 0, -0.5, 0, 0.5, 0: sum of squares 0.5, variance 0.5 / 5 = 0.1,
  sd 0.316228, standard error 0.316228 / sqrt(6) = 0.129099; t(5, 97.5%) = 2.571,
  half-width 2.571 * 0.129099 = 0.331914: interval 0.1681 to 0.8319, above zero: real change.
  2026 levels (bands 1.8 / 2.6 / 3.4 / 4.2): 2.5 L2, 3.0 L3, 3.0 L3, 3.5 L4, 4.5 L5,
  4.5 L5 and five new groups at 1.5 (L1): at or above level 3: 5 of 11 (45%).
  2026 referrals: paired groups 0..4 and one new group yes, the rest no: 6 yes, 5 no
  (both at least 5, so shown: 6 of 11).
- readiness: ten groups both years, 2.0 -> 2.2 (five) and 4.0 -> 4.4 (five): differences
  0.2 x5 and 0.4 x5, mean 0.3, deviations +-0.1, sum of squares 0.1, variance 0.1 / 9,
  sd 0.105409, se 0.033333, t(9) = 2.262, half-width 0.0754: 0.2246 to 0.3754, real change.
  At or above level 3 in 2026: the five at 4.4 (L5) of 10 (50%).
  Invited 10 and answered 10 in each year: response rate 100%.
  Its second domain (willingness to show the offer online) moves both ways: every group
  3.0 in 2025, then 3.4 (five) and 2.8 (five). Differences +0.4 x5 and -0.2 x5: mean
  1.0 / 10 = 0.1; deviations +-0.3, sum of squares 10 x 0.09 = 0.9, variance 0.9 / 9 = 0.1,
  sd 0.316228, se 0.316228 / sqrt(10) = 0.1; t(9) = 2.262157, half-width 0.226216:
  -0.1262 to 0.3262, which includes zero: no real change.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from scoring import band
from survey.extensions import db
from survey.instruments_store import instrument_for
from survey.models import OVERALL, Answer, DomainScore, Response

from .. import factories

PAIRED_2025 = [2.0, 2.5, 3.0, 3.0, 3.5, 4.0]
PAIRED_2026 = [2.5, 3.0, 3.0, 3.5, 4.5, 4.5]


def respond(
    round_, org, score: float, answers: dict | None = None, *, second: float | None = None
) -> None:
    """A submitted response scoring `score` overall and in the first domain (`second` in the next)."""
    instrument = instrument_for(round_)
    response = Response(
        round=round_,
        invitation=factories.invitation(round_, organisation=org),
        organisation=org,
        area_id=org.area_id,
        status="submitted",
    )
    scores = {instrument.domains[0].id: score, OVERALL: score}
    if second is not None:
        scores[instrument.domains[1].id] = second
    for domain_id, value in scores.items():
        response.scores.append(
            DomainScore(domain_id=domain_id, score=value, level=band(instrument, value))
        )
    for question_id, value in (answers or {}).items():
        response.answers.append(Answer(question_id=question_id, value=value))
    db.session.add(response)


@pytest.fixture
def pack(app):
    from survey.models import OrganisationArea

    ics = factories.area("B-ICS", type="ics", name="Board ICS")
    year = dt.date.today().year
    conf = [
        factories.survey_round(
            "confidence",
            slug=f"confidence-{y}",
            opens_on=dt.date(y, 1, 10),
            closes_on=dt.date(y, 3, 1),
            target_level=3,
        )  # fmt: skip
        for y in (year - 1, year)
    ]
    ready = [
        factories.survey_round(
            "vcse-readiness",
            slug=f"readiness-{y}",
            opens_on=dt.date(y, 1, 12),
            closes_on=dt.date(y, 3, 1),
            target_level=3,
        )  # fmt: skip
        for y in (year - 1, year)
    ]

    def group():
        org = factories.organisation(area=ics)
        db.session.add(OrganisationArea(organisation_id=org.id, area_id=ics.id))
        return org

    paired = [group() for _ in PAIRED_2025]
    for i, (org, before, after) in enumerate(zip(paired, PAIRED_2025, PAIRED_2026, strict=True)):
        respond(conf[0], org, before)
        respond(conf[1], org, after, {"had_referrals": "yes" if i < 5 else "no"})
    respond(conf[0], group(), 1.0)  # answered 2025 only
    for i in range(5):  # new in 2026, all at level 1; one has had referrals
        respond(conf[1], group(), 1.5, {"had_referrals": "yes" if i < 1 else "no"})
    for _ in range(3):
        factories.invitation(conf[0], organisation=group())
    for _ in range(4):
        factories.invitation(conf[1], organisation=group())
    for i in range(10):
        org = group()
        respond(ready[0], org, 2.0 if i < 5 else 4.0, second=3.0)
        respond(
            ready[1], org, 2.2 if i < 5 else 4.4, {"referral_capacity": i},
            second=3.4 if i < 5 else 2.8,
        )  # fmt: skip
    db.session.commit()
    return ics


def rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]


def test_board_pack_workbook_reads_back_with_rate_change_and_target_for_each_survey(
    client, login, pack
):
    login("board")
    got = client.get("/areas/B-ICS/board-pack.xlsx")
    assert got.status_code == 200
    got.close()
    wb = openpyxl.load_workbook(io.BytesIO(got.data))
    conf_title = "Confidence survey of community groups"
    ready_title = "Community group readiness for digital and social prescribing"

    rates = rows(wb["Response rate"])
    by_survey = {(r[0], r[2]): r for r in rates}
    year = str(dt.date.today().year)
    last = str(dt.date.today().year - 1)
    # confidence: 7 of 10 then 11 of 15
    assert by_survey[(conf_title, last)][3:6] == [10, 7, pytest.approx(0.7)]
    assert by_survey[(conf_title, year)][3:6] == [15, 11, pytest.approx(11 / 15, abs=1e-4)]
    assert by_survey[(ready_title, last)][3:6] == [10, 10, 1]
    assert by_survey[(ready_title, year)][3:6] == [10, 10, 1]

    change = {(r[0], r[3]): r for r in rows(wb["Change"])}
    overall = change[(conf_title, "Overall")]
    assert overall[4] == 6
    assert overall[5] == pytest.approx(0.5, abs=1e-4)
    assert overall[6] == pytest.approx(0.1681, abs=1e-4)
    assert overall[7] == pytest.approx(0.8319, abs=1e-4)
    assert overall[8] == "real change"
    ready_overall = change[(ready_title, "Overall")]
    assert ready_overall[4] == 10
    assert ready_overall[5] == pytest.approx(0.3, abs=1e-4)
    assert ready_overall[6] == pytest.approx(0.2246, abs=1e-4)
    assert ready_overall[7] == pytest.approx(0.3754, abs=1e-4)
    assert ready_overall[8] == "real change"
    both_ways = change[(ready_title, "Willingness to show your offer online")]
    assert both_ways[4] == 10
    assert both_ways[5] == pytest.approx(0.1, abs=1e-4)
    assert both_ways[6] == pytest.approx(-0.1262, abs=1e-4)
    assert both_ways[7] == pytest.approx(0.3262, abs=1e-4)
    assert both_ways[8] == "no real change"

    target = rows(wb["At target"])  # rounds oldest first
    conf_target = [r[3:7] for r in target if r[0] == conf_title and r[2] == "Overall"]
    # 2025: levels 2, 2, 3, 3, 4, 4 and 1: 4 at or above, 3 below: too few either side
    assert conf_target[0] == [3, "not shown", "not shown", "not shown"]
    assert conf_target[1] == [3, 5, 11, pytest.approx(5 / 11, abs=1e-4)]
    ready_target = [r[3:7] for r in target if r[0] == ready_title and r[2] == "Overall"]
    assert ready_target == [[3, 5, 10, 0.5], [3, 5, 10, 0.5]]  # 4.0 and 4.4 are levels 4 and 5

    readiness = rows(wb["Referral readiness"])
    receiving = [
        r for r in readiness if r[0] == conf_title and r[2] == "Groups receiving referrals"
    ]
    # 2026: the paired groups 0..4 and one new group said yes: 6 of 11; 2025 was not asked
    assert [6, 11, pytest.approx(6 / 11, abs=1e-4)] in [r[3:6] for r in receiving]
    capacity = [r for r in readiness if r[0] == ready_title and r[2].startswith("Extra people")]
    assert [10, 45] in [[r[4], r[6]] for r in capacity]  # 0 + 1 + ... + 9

    # the method names every survey in the pack, each round and its target level (3 for all);
    # the factory makes rounds on each instrument's latest version
    method = rows(wb["Method"])
    assert [detail for item, detail in method if item == "Instrument"] == [
        f"{conf_title} (confidence version 2026.1)",
        f"{ready_title} (vcse-readiness version 2025.1)",
    ]
    targets = [detail for item, detail in method if item == "Rounds and target levels"]
    assert targets == [
        f"{conf_title} (test), {last} (version 2026.1): target level 3; "
        f"{conf_title} (test), {year} (version 2026.1): target level 3",
        f"{ready_title} (test), {last} (version 2025.1): target level 3; "
        f"{ready_title} (test), {year} (version 2025.1): target level 3",
    ]
    assert not any("none set" in str(detail) for _, detail in method)


def test_board_pack_page_and_print_view_say_the_same(client, login, pack):
    login("area-lead", areas=[pack])
    page = client.get("/areas/B-ICS/board-pack").get_data(as_text=True)
    printed = client.get("/areas/B-ICS/board-pack/print").get_data(as_text=True)
    line = "+0.50 (+0.17 to +0.83), real change, 6 groups"
    assert line in page and line in printed
    assert "45% (5 of 11)" in page
    assert "11 of 15 invited groups answered (73%)" in printed
    assert "A4 portrait" in client.get("/static/reports/board-pack.css").get_data(as_text=True)


def test_the_command_writes_the_board_pack_or_names_the_bad_area(pack, cli, tmp_path):
    out = tmp_path / "board.xlsx"
    result = cli("export", "board-pack", "--area", "B-ICS", "-o", out)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Summary", "Response rate", "Levels", "Change", "At target", "Referral readiness",
        "Method",
    ]  # fmt: skip
    method = dict(rows(wb["Method"]))
    assert method["Exported by"] == "cli"
    bad = cli("export", "board-pack", "--area", "NOPE", "-o", tmp_path / "x.xlsx")
    assert bad.exit_code != 0 and "--area: no area with code 'NOPE'" in bad.output
    assert not (tmp_path / "x.xlsx").exists()
