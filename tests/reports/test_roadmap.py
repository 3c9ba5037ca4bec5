"""The roadmap workbook, from the command line and the web, read back with openpyxl and pandas."""

from __future__ import annotations

import io
import statistics

import pandas as pd
import pytest
import sqlalchemy as sa

from instruments import load_registry
from survey.aggregates import area_aggregates
from survey.extensions import db
from survey.models import OVERALL, Response
from survey.reports.roadmap_data import roadmap_workbook

from .. import factories
from .conftest import (
    FORMULA,
    P1_LEVELS,
    P2_LEVELS,
    P3_LEVELS,
    chart_count,
    place,
    respond,
    rows_of,
    validations,
    workbook,
)

# the confidence survey asks about referrals: a readiness sheet too
SHEETS = ["Summary", "Gaps", "Roadmap", "Groups", "Referral readiness", "Method"]


@pytest.fixture
def exported(geography):
    """The workbook the command line writes (same function; the CLI itself is tested once)."""
    return roadmap_workbook(geography.ics, geography.round, viewer=None, actor="cli")


def test_summary_shows_levels_and_n_for_the_area_and_each_sub_area(exported, geography):
    wb = workbook(exported)
    assert wb.sheetnames == SHEETS
    summary = {row["Area code"]: row for row in rows_of(wb["Summary"])}
    assert list(summary) == ["T-ICS", "T-P1", "T-P2", "T-P3"]
    everyone = P1_LEVELS + P2_LEVELS + P3_LEVELS
    assert summary["T-ICS"]["Responded"] == len(everyone) == 13
    assert summary["T-ICS"]["Safe: level"] == 3  # mean 36/13 = 2.77, band 2.6 to 3.4
    assert summary["T-ICS"]["Safe: n"] == 13
    assert summary["T-P1"]["Safe: level"] == 3 and summary["T-P1"]["Safe: n"] == 6
    assert {row["Level shown"] for row in summary.values()} == {"self-assessed"}
    # P3 has 2 groups (< 5); P2 is hidden too, or ICS - P1 - P3 would give it away
    for code in ("T-P2", "T-P3"):
        assert summary[code]["Safe: level"] == "suppressed"
        assert summary[code]["Safe: n"] == "suppressed"
        assert summary[code]["Responded"] == "suppressed"
    level_3 = wb["Summary"]["G2"]
    assert level_3.fill.fgColor.rgb.endswith("FFDD00")  # app.css .app-level--3
    assert wb["Summary"].freeze_panes == "C2" and wb["Summary"].auto_filter.ref
    assert wb["Summary"].page_setup.orientation == "landscape"


def test_gaps_are_target_minus_mean_as_the_app_computes_them(exported, geography):
    everyone = P1_LEVELS + P2_LEVELS + P3_LEVELS
    mean = statistics.fmean(everyone)
    gaps = pd.read_excel(io.BytesIO(exported), sheet_name="Gaps")
    ics = gaps[(gaps["Area code"] == "T-ICS") & (gaps["Domain"] == "Overall")].iloc[0]
    assert ics["n"] == 13
    assert ics["Mean score"] == pytest.approx(round(mean, 2))
    assert ics["Target level"] == 4
    assert ics["Gap (target - mean)"] == pytest.approx(round(4 - mean, 2))
    # levels 1,6,2,3,1 groups: levels 1-2 hold 7, level 3-4 5, and level 5's one group
    # joins the last band; no level count of 1 to 4 groups
    assert ics["Groups by level"] == "levels 1 to 2: 7; levels 3 to 5: 6"
    [app_figure] = [
        a for a in area_aggregates(geography.round, [geography.ics]) if a.domain_id == OVERALL
    ]
    assert ics["95% CI low"] == pytest.approx(round(app_figure.summary.ci_low, 2))
    assert ics["95% CI high"] == pytest.approx(round(app_figure.summary.ci_high, 2))
    assert chart_count(exported) == 1  # mean and target; level bands differ by area: no chart


def test_roadmap_holds_system_actions_not_a_groups_next_steps(exported):
    instrument = load_registry().latest("confidence")
    wb = workbook(exported)
    rows = rows_of(wb["Roadmap"])
    assert list(rows[0]) == [
        "Horizon", "Who acts", "Domain", "Action", "Evidence", "Levels to ambition",
        "Support offers", "Lead (name)", "Target date", "Status",
    ]  # fmt: skip
    # no locality assessment, and at target level 4 only 4 of 13 groups (levels 4, 4, 4, 5):
    # too few either side to publish a count below target, so no action yet, and why
    assert len(rows) == 1 and rows[0]["Action"].startswith("No actions yet")
    group_steps = {s.text for d in instrument.domains for lv in d.levels for s in lv.next_steps}
    assert not group_steps & {r["Action"] for r in rows}
    kinds = {dv.type: dv for dv in validations(wb["Roadmap"])}
    assert kinds["list"].formula1 == '"Not started,In progress,Done"'
    assert str(kinds["list"].sqref).startswith("J2")
    assert kinds["date"].sqref and str(kinds["date"].sqref).startswith("I2")


def test_roadmap_actions_from_the_locality_and_the_commonest_group_gaps(geography):
    from survey.models import DomainScore, Response

    ics, round_ = geography.ics, geography.round
    # target 3: below it levels 1, 2 (P1) and five 2s (P2) = 7 groups; at or above 6 of 13
    round_.target_level = 3
    local = factories.survey_round("dmi-locality", slug="dmi-locality-2026")
    instrument = load_registry().latest("dmi-locality")
    # the ICS's own assessment at level 2 everywhere; place P1's at 2, except 4 in the first domain
    first = instrument.domains[0]
    for area, levels in ((ics, {}), (geography.p1, {first.id: 4})):
        response = Response(round=local, area_id=area.id, status="submitted")
        for domain in instrument.domains:
            level = levels.get(domain.id, 2)
            response.scores.append(DomainScore(domain_id=domain.id, score=level, level=level))
        db.session.add(response)
    db.session.commit()
    data = roadmap_workbook(ics, round_, viewer=None, actor="cli")
    rows = rows_of(workbook(data)["Roadmap"])
    own = [r for r in rows if "own assessment" in r["Evidence"]]
    assert {r["Action"] for r in own} == {
        s.text for d in instrument.domains for s in d.level(2).next_steps
    } | {s.text for s in first.level(4).next_steps}
    both = f"Place P1 and Test ICS's own assessments ({local.title}): level 2 in"
    assert {r["Evidence"] for r in own} == {
        f"{both} {d.name.lower()}" for d in instrument.domains[1:]
    } | {
        f"Test ICS's own assessment ({local.title}): level 2 in {first.name.lower()}",
        f"Place P1's own assessment ({local.title}): level 4 in {first.name.lower()}",
    }
    assert {r["Who acts"] for r in own} <= {
        "ICP (place partnership)", "Primary care network",
        "Partners (CVS, council, voluntary sector)",
    }  # fmt: skip
    # every confidence domain has the same 7 of 13 below: the three commonest, by name;
    # the ICS mean 36 / 13 = 2.77 is level 3; 7 of 13 is half or more: next 6 months
    gaps = [r for r in rows if r not in own]
    names = sorted(d.name for d in load_registry().latest("confidence").domains)[:3]
    assert [r["Domain"] for r in gaps] == names
    assert gaps[0]["Evidence"] == (
        f"7 of 13 groups below target level 3 in {names[0].lower()}; the area's level is 3"
    )
    assert {r["Horizon"] for r in gaps} == {"Next 6 months"}
    assert {r["Who acts"] for r in gaps} == {"Partners (CVS, council, voluntary sector)"}
    assert {r["Horizon"] for r in rows} <= {"Next 6 months", "1 to 2 years", "3 to 5 years"}


def test_readiness_sheet_says_not_shown_when_no_group_answered_the_referral_questions(exported):
    rows = rows_of(workbook(exported)["Referral readiness"])
    by_figure = {r["Figure"]: r for r in rows}
    assert set(by_figure) == {
        "Groups receiving referrals", "Groups involved and supported to receive referrals",
    }  # fmt: skip
    for row in rows:  # the fixture's groups have scores but no answers: nothing published
        assert row["Groups saying yes"] == row["Groups answering"] == row["Share"] == "not shown"


def test_groups_and_method_sheets(exported, geography):
    wb = workbook(exported)
    groups = rows_of(wb["Groups"])
    assert len(groups) == 13  # the command line is an administrator: every group
    assert {g["Group"] for g in groups} == set(geography.orgs)
    assert {g["Level shown"] for g in groups} == {"self-assessed"}
    method = {r["Item"]: r["Detail"] for r in rows_of(wb["Method"])}
    assert method["Exported by"] == "cli"
    latest = load_registry().latest("confidence").version  # the fixture's round uses it
    assert f"confidence version {latest}" in method["Instrument"]
    assert "fewer than 5" in method["Small numbers"]
    assert "weighted mean" in method["Scoring rule"]
    # the Roadmap sheet is explained under its own name, as the sheet is called
    assert method["Roadmap sheet"].startswith("Actions for the system, not for single groups")


def test_a_group_name_that_is_a_formula_is_written_as_text(app, geography):
    org = factories.organisation(name=FORMULA, area=geography.p1)
    place(org, geography.ics, geography.p1)
    respond(geography.round, org, 2)
    db.session.commit()
    data = roadmap_workbook(geography.ics, geography.round, viewer=None, actor="cli")
    ws = workbook(data)["Groups"]
    [cell] = [c for c in ws["B"] if c.value == FORMULA]
    assert cell.data_type == "s" and cell.quotePrefix
    frame = pd.read_excel(io.BytesIO(data), sheet_name="Groups")
    assert FORMULA in set(frame["Group"])


def test_the_command_writes_the_file_or_says_what_is_wrong(geography, cli, tmp_path):
    out = tmp_path / "roadmap.xlsx"
    result = cli("export", "roadmap", "--area", "T-ICS", "--round", "confidence-2026", "-o", out)
    assert result.exit_code == 0, result.output
    wb = workbook(out.read_bytes())
    assert wb.sheetnames == SHEETS and len(rows_of(wb["Groups"])) == 13
    bad = cli(
        "export",
        "roadmap",
        "--area",
        "NOPE",
        "--round",
        "confidence-2026",
        "-o",
        tmp_path / "x.xlsx",
    )
    assert bad.exit_code == 1
    assert bad.output.strip() == "Error: --area: no area with code 'NOPE'"
    assert not (tmp_path / "x.xlsx").exists()


def test_area_lead_download_has_only_consenting_groups_of_their_area(client, login, geography):
    login("area-lead", areas=[geography.p1])
    assert client.get("/areas/T-ICS/rounds/confidence-2026/roadmap.xlsx").status_code == 403
    page = client.get("/areas/T-P1/rounds/confidence-2026/roadmap.xlsx")
    assert page.status_code == 200
    assert page.headers["Content-Disposition"].endswith('roadmap-T-P1-confidence-2026.xlsx"')
    groups = rows_of(workbook(page.data)["Groups"])
    consenting = {
        o.name
        for o in geography.orgs.values()
        if o.area_id == geography.p1.id and o.consent_area_lead
    }
    assert {g["Group"] for g in groups} == consenting and len(consenting) == 3


def test_board_download_names_no_groups(client, login, geography):
    login("board")
    page = client.get("/areas/T-ICS/rounds/confidence-2026/roadmap.xlsx")
    assert page.status_code == 200
    wb = workbook(page.data)
    groups = list(wb["Groups"].iter_rows(values_only=True))
    assert len(groups) == 2 and "not named groups" in groups[1][1]
    assert not any(name in str(groups) for name in geography.orgs)


def test_moderated_download_says_so(client, login, geography):
    org = geography.orgs["P1 group 0"]
    response = org_response(geography, org)
    score = next(s for s in response.scores if s.domain_id == "safe")
    score.moderated_level, score.moderation_note = 5, "Saw their policy"
    db.session.commit()
    login("admin")
    page = client.get("/areas/T-P1/rounds/confidence-2026/roadmap.xlsx?moderated=1")
    wb = workbook(page.data)
    shown = {g["Group"]: g["Level shown"] for g in rows_of(wb["Groups"])}
    assert shown["P1 group 0"] == "moderated" and shown["P1 group 1"] == "self-assessed"
    safe = {g["Group"]: g["Safe"] for g in rows_of(wb["Groups"])}
    assert safe["P1 group 0"] == 5
    method = {r["Item"]: r["Detail"] for r in rows_of(wb["Method"])}
    assert method["Level shown"].startswith("moderated")
    assert {r["Level shown"] for r in rows_of(wb["Summary"])} == {"moderated"}
    assert {r["Level shown"] for r in rows_of(wb["Gaps"])} == {"moderated"}


def test_a_moderated_roadmaps_area_figures_count_the_moderated_level(geography):
    """P1's groups self-assessed Safe at 1, 2, 3, 3, 4, 5 (mean 3.0); a broker moderates the
    level-1 group to 5, so P1's moderated Safe mean is (5+2+3+3+4+5)/6 = 3.67 and the ICS's
    (36 - 1 + 5)/13 = 3.08. Once those are published, the self-assessed Safe figures of the
    same groups are withheld: each set differs from the moderated one by one group's value,
    under the threshold, and the two means together would give away that group's levels."""
    org = geography.orgs["P1 group 0"]
    score = next(s for s in org_response(geography, org).scores if s.domain_id == "safe")
    score.moderated_level, score.moderation_note = 5, "Saw their policy"
    db.session.commit()
    safe = load_registry().latest("confidence").domain("safe").name

    def means(moderated):
        data = roadmap_workbook(
            geography.ics, geography.round, viewer=None, actor="cli", moderated=moderated
        )
        return {
            r["Area code"]: r["Mean score"]
            for r in rows_of(workbook(data)["Gaps"])
            if r["Domain"] == safe and r["Area code"] in ("T-ICS", "T-P1")
        }

    assert means(True) == {"T-ICS": pytest.approx(3.08), "T-P1": pytest.approx(3.67)}
    assert means(False) == {"T-ICS": "suppressed", "T-P1": "suppressed"}


def test_every_roadmap_export_is_recorded_in_the_audit_log_with_who_and_what(geography):
    from survey.models import AuditEvent

    roadmap_workbook(geography.ics, geography.round, viewer=None, actor="cli")
    roadmap_workbook(geography.p1, geography.round, viewer=None, actor="someone@example.org")
    events = db.session.execute(
        sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target)
        .where(AuditEvent.action.like("export-%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        ("cli", "export-roadmap", "T-ICS:confidence-2026"),
        ("someone@example.org", "export-roadmap", "T-P1:confidence-2026"),
    ]


def org_response(geography, org):
    from survey.models import Response

    return db.session.scalars(db.select(Response).where(Response.organisation_id == org.id)).one()


def test_broker_roadmap_names_only_its_own_groups_that_consented_to_it(client, login, geography):
    # The fixture's 13 groups all have the broker "Test CVS"; those with an even index
    # said yes to it: 3 in P1, 3 in P2 and 1 in P3, so 7 of the 13.
    other = factories.broker("Another CVS")
    stranger = factories.organisation(
        name="Other broker's group", area=geography.p1, broker=other, consent_broker=True
    )
    place(stranger, geography.ics, geography.p1)
    respond(geography.round, stranger, 3)
    db.session.commit()
    cvs = next(iter(geography.orgs.values())).broker
    login("broker", broker=cvs)
    page = client.get("/areas/T-ICS/rounds/confidence-2026/roadmap.xlsx")
    assert page.status_code == 200
    named = {g["Group"] for g in rows_of(workbook(page.data)["Groups"])}
    expected = {f"P1 group {i}" for i in (0, 2, 4)} | {f"P2 group {i}" for i in (0, 2, 4)}
    assert named == expected | {"P3 group 0"}


def test_gaps_sheet_shows_the_domains_own_level_meaning_and_the_ambition(geography):
    from survey.models import DomainScore

    instrument = load_registry().latest("confidence")
    first = instrument.domains[0]
    # P1's six groups (levels 1, 2, 3, 3, 4, 5: mean 3.0, level 3) plan to be at
    # 3, 3, 4, 4, 5, 5 in a year: mean ambition 4.0, one level to go
    p1_groups = [geography.orgs[f"P1 group {i}"] for i in range(6)]
    for org, ambition in zip(p1_groups, (3, 3, 4, 4, 5, 5), strict=True):
        score = db.session.scalars(
            sa.select(DomainScore)
            .join(DomainScore.response)
            .where(DomainScore.domain_id == first.id, Response.organisation_id == org.id)
        ).one()
        score.ambition = ambition
    db.session.commit()
    data = roadmap_workbook(geography.ics, geography.round, viewer=None, actor="cli")
    rows = rows_of(workbook(data)["Gaps"])
    [p1] = [r for r in rows if r["Area code"] == "T-P1" and r["Domain"] == first.name]
    assert p1["Level"] == 3
    assert p1["Ambition (mean)"] == pytest.approx(4.0)
    assert p1["Gap to ambition"] == pytest.approx(1.0)
    assert p1["What the level means"].endswith(first.level(3).descriptor)
    [p1_overall] = [r for r in rows if r["Area code"] == "T-P1" and r["Domain"] == "Overall"]
    assert p1_overall["What the level means"].endswith(instrument.level(3).description)
    # P2 is hidden (by subtraction): no level, so no meaning and no ambition either
    [p2] = [r for r in rows if r["Area code"] == "T-P2" and r["Domain"] == first.name]
    assert p2["Ambition (mean)"] == "suppressed" and not p2["What the level means"]


def test_a_level_shown_is_the_moderated_one_only_when_asked_and_where_set():
    from survey.reports.roadmap_data import _shown

    assert _shown((3, 4), moderated=False) == 3  # the group's own, though a moderator set 4
    assert _shown((3, 4), moderated=True) == 4
    assert _shown((3, None), moderated=True) == 3  # not moderated: the group's own
    assert _shown(None, moderated=True) is None  # not answered
