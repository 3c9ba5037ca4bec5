"""Support plans: gaps matched to offers, the cohort, chasing, the portfolio page and moderation."""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from exports.support_plans import GroupLevel, GroupResult, plan_lines
from instruments import HORIZON_LABELS, load_registry
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    AuditEvent,
    Broker,
    DomainScore,
    Organisation,
    Reminder,
    Response,
    ResponseStatus,
    Round,
)
from survey.reports.plans_data import support_plans_workbook

from .. import factories
from .conftest import FORMULA, rows_of, validations, workbook


def test_plan_lines_put_the_biggest_gap_first_and_name_offers():
    instrument = load_registry().latest("confidence")
    offers = load_registry().offers
    welcoming, safe, governed = (d.id for d in instrument.domains[:3])
    group = GroupResult(
        org_id=7,
        name="Lunch club",
        area_code="N1",
        area_name="North",
        submitted_on=None,
        levels=(
            GroupLevel(welcoming, "Welcoming and accessible", level=3),
            GroupLevel(safe, "Safe", level=4, moderated_level=1, note="No policy seen"),
            GroupLevel(governed, "Well governed", level=4),
        ),
    )
    lines = plan_lines(instrument, offers, group, target=4)
    # safe: moderated 1 -> gap 3, priority 1; welcoming: 3 -> gap 1, priority 2; governed: no gap
    assert [(ln.domain, ln.gap, ln.priority) for ln in lines][0] == ("Safe", 3, 1)
    assert {ln.domain for ln in lines} == {"Safe", "Welcoming and accessible"}
    assert all(ln.priority == 2 for ln in lines if ln.domain == "Welcoming and accessible")
    safe_steps = instrument.domain(safe).level(1).next_steps
    expected_offers = {offers[o].name for step in safe_steps for o in step.offers}
    assert {ln.offer for ln in lines if ln.domain == "Safe"} == expected_offers
    assert {ln.shown_as for ln in lines if ln.domain == "Safe"} == {"moderated"}
    assert {ln.shown_as for ln in lines if ln.domain != "Safe"} == {"self-assessed"}
    horizons = [ln.horizon for ln in lines if ln.domain == "Safe"]
    order = list(HORIZON_LABELS.values())
    assert horizons == sorted(horizons, key=order.index)


def test_offers_needed_counts_each_group_once_for_each_offer_its_plan_names():
    """Two groups at level 1 in safe, one at target (nothing needed), one at 1 in safe and
    welcoming at 3 (target 4): each offer of safe's level 1 next steps is needed by three
    groups, each of welcoming's level 3 by one; an offer named in both counts a group once."""
    from survey.reports.plans_data import offers_needed

    instrument = load_registry().latest("confidence")
    offers = load_registry().offers
    welcoming, safe = (d.id for d in instrument.domains[:2])

    def named(domain_id, level):
        steps = instrument.domain(domain_id).level(level).next_steps
        return {offers[o].name for step in steps for o in step.offers}

    both = ((welcoming, 3), (safe, 1))
    needed = offers_needed(
        instrument, offers, [((safe, 1),), ((safe, 1),), ((safe, 4),), both], target=4
    )
    expected = {
        offer: 2 * (offer in named(safe, 1)) + (offer in named(safe, 1) | named(welcoming, 3))
        for offer in named(safe, 1) | named(welcoming, 3)
    }
    assert named(safe, 1) and named(welcoming, 3)  # both levels name offers
    assert dict(needed) == expected


REGISTRY = load_registry()
KINDS = sorted({i.id for i in REGISTRY.all() if i.kind == "organisation"})


@st.composite
def portfolios(draw):
    """An instrument, a target, and groups' levels shown as shown_levels gives them: some of
    the instrument's domains (in its order), each at a level 1-5 or none."""
    instrument = REGISTRY.latest(draw(st.sampled_from(KINDS)))
    ids = [d.id for d in instrument.domains]
    group = st.lists(st.sampled_from(ids), unique=True).map(
        lambda chosen: [d for d in ids if d in chosen]
    )
    levels = st.lists(
        group.flatmap(
            lambda ds: st.tuples(
                *(st.tuples(st.just(d), st.none() | st.integers(1, 5)) for d in ds)
            )
        ),
        max_size=30,
    )
    return instrument, draw(st.integers(1, 5)), draw(levels)


@settings(max_examples=150)
@given(portfolios())
def test_offers_needed_are_the_offers_each_groups_whole_plan_names(portfolio):
    """offers_needed plans each domain and level once; here each group's whole plan is
    made (plan_lines, as the workbook makes it) and its offers counted: the same counts."""
    from survey.reports.plans_data import offers_needed

    instrument, target, levels = portfolio
    names = {d.id: d.name for d in instrument.domains}
    expected: dict[str, int] = {}
    for shown in levels:
        whole = GroupResult(
            1, "", "", "", None, tuple(GroupLevel(d, names[d], level) for d, level in shown)
        )
        for offer in {ln.offer for ln in plan_lines(instrument, REGISTRY.offers, whole, target)}:
            if offer:
                expected[offer] = expected.get(offer, 0) + 1
    assert dict(offers_needed(instrument, REGISTRY.offers, levels, target)) == expected


def test_groups_at_the_same_levels_keep_their_own_notes_moderation_and_ambitions():
    """Lines that repeat from group to group are made once (a portfolio's 115,000 lines of
    levels are a few dozen distinct ones); what differs between groups at the same levels
    still shows: a moderation note, a level moderated to the one another group assessed
    itself at, an ambition, a domain not answered."""
    from exports.support_plans import write_support_plans

    instrument = load_registry().latest("confidence")
    first, second = instrument.domains[:2]
    out_of = [d for d in instrument.domains if d.id not in (first.id, second.id)]

    def group(org_id, level, moderated, note, ambition):
        levels = (
            GroupLevel(first.id, first.name, level, moderated, note, ambition),
            GroupLevel(second.id, second.name, 2),
            *(GroupLevel(d.id, d.name, 5) for d in out_of[1:]),  # out_of[0]: not answered
        )
        return GroupResult(org_id, f"Group {org_id}", "N1", "North", None, levels)

    groups = [
        group(1, 3, None, None, None),
        group(2, 3, None, "Seen the policy", 4),
        group(3, 4, 3, "Policy out of date", 5),
        group(4, 3, None, None, 4),
        group(5, 3, None, None, None),
    ]
    out = io.BytesIO()
    write_support_plans(
        out,
        instrument=instrument,
        offers=REGISTRY.offers,
        groups=groups,
        target=4,
        method=[("Round", "test")],
    )
    wb = workbook(out.getvalue())
    levels = [r for r in rows_of(wb["Levels"]) if r["Domain"] == first.name]
    assert [
        (r["Group id"], r["Self-assessed level"], r["Moderated level"], r["Moderation note"],
         r["Level shown"]) for r in levels
    ] == [
        (1, 3, None, None, "self-assessed"),
        (2, 3, None, "Seen the policy", "self-assessed"),
        (3, 4, 3, "Policy out of date", "moderated"),
        (4, 3, None, None, "self-assessed"),
        (5, 3, None, None, "self-assessed"),
    ]  # fmt: skip
    assert len({r["What this level means here"] for r in levels}) == 1  # level 3 shown by each
    unanswered = [r for r in rows_of(wb["Levels"]) if r["Domain"] == out_of[0].name]
    assert [(r["Self-assessed level"], r["Level shown"]) for r in unanswered] == [
        (None, "self-assessed")
    ] * 5
    page = list(wb["One page per group"].iter_rows(values_only=True))
    lines = [r for r in page if r[0] == first.name]
    assert [(r[1], r[2], r[4]) for r in lines] == [
        (3, "self-assessed", "not given"),
        (3, "self-assessed", 4),
        (3, "moderated", 5),
        (3, "self-assessed", 4),
        (3, "self-assessed", "not given"),
    ]
    assert [r[1:3] for r in page if r[0] == out_of[0].name] == [(None, "self-assessed")] * 5
    # each group's actions on its page: the plans sheet's lines, offer and provider each
    plans = rows_of(wb["Support plans"])
    offered = {p["Support offer"] for p in plans if p["Support offer"]}
    assert len(offered) > 1 and len({p["Provider"] for p in plans if p["Provider"]}) > 1
    assert [r[:3] for r in page if r[5] == "not started"] == [
        (
            f"{p['Domain']}: {p['Next step']}",
            p["Horizon"],
            f"{p['Support offer']} ({p['Provider']})" if p["Support offer"] else None,
        )
        for p in plans
    ]


def test_one_groups_plan_from_the_command_line(geography, cli, tmp_path):
    org = geography.orgs["P1 group 0"]  # level 1 everywhere, target 4: a gap of 3 in each
    out = tmp_path / "plan.xlsx"
    result = cli(
        "export", "support-plans", "--org", org.id, "--round", "confidence-2026", "-o", out
    )
    assert result.exit_code == 0, result.output
    wb = workbook(out.read_bytes())
    assert wb.sheetnames == ["Support plans", "Levels", "One page per group", "Method"]
    plans = rows_of(wb["Support plans"])
    instrument = registry().latest("confidence")
    expected = sum(
        max(1, len(step.offers)) for d in instrument.domains for step in d.level(1).next_steps
    )
    assert len(plans) == expected
    assert {p["Gap"] for p in plans} == {3} and {p["Group"] for p in plans} == {org.name}
    assert {p["Level shown"] for p in plans} == {"self-assessed"}
    kinds = {dv.type for dv in validations(wb["Support plans"])}
    assert kinds == {"list", "date"}
    # The one-page plan as a sheet: name, level header, a row per domain, action header,
    # a row per plan line (none tracked: "not started"), a blank row, then a page break.
    page = list(wb["One page per group"].iter_rows(values_only=True))
    domains = len(instrument.domains)
    assert page[0][0] == org.name and page[1][0] == "Area of work"
    assert [r[1] for r in page[2 : 2 + domains]] == [1] * domains
    assert page[2 + domains][0] == "Agreed action"
    actions = page[3 + domains : 3 + domains + expected]
    assert {r[5] for r in actions} == {"not started"} and len(actions) == expected
    assert len(page) == 3 + domains + expected  # (the blank row at the end reads as nothing)
    assert [b.id for b in wb["One page per group"].row_breaks.brk] == [len(page) + 1]
    usage = cli("export", "support-plans", "--round", "confidence-2026", "-o", out)
    assert usage.exit_code == 1 and "give either --org ID or --broker ID" in usage.output


def test_a_brokers_portfolio_has_a_cohort_and_a_chase_list(app, geography, monkeypatch):
    broker = db.session.scalar(sa.select(Broker).where(Broker.name == "Test CVS"))
    late = factories.organisation(name=FORMULA, area=geography.p1, broker=broker)
    invitation = factories.invitation(geography.round, organisation=late)
    # A group that has saved a draft (not sent) and was reminded on 2 March.
    drafting = factories.organisation(
        name="Drafting group", area=geography.p2, broker=broker, email="drafting@example.org"
    )
    drafting_link = factories.invitation(geography.round, organisation=drafting)
    db.session.add_all(
        [
            Response(
                round_id=geography.round.id,
                invitation_id=drafting_link.id,
                organisation_id=drafting.id,
                status=ResponseStatus.IN_PROGRESS,
            ),
            Reminder(
                round_id=geography.round.id,
                organisation_id=drafting.id,
                sent_at=dt.datetime(2026, 3, 2, 9, 30),
                sent_by="cli",
                template="reminder-1",
                status="not started",
            ),
        ]
    )
    db.session.commit()
    monkeypatch.setitem(app.config, "SERVER_URL", "https://survey.example.org")
    out = io.BytesIO()
    support_plans_workbook(geography.round, None, out, viewer=None, actor="cli", broker=broker)
    data = out.getvalue()
    wb = workbook(data)
    assert wb.sheetnames == [
        "Support plans",
        "Levels",
        "One page per group",
        "Cohort",
        "Not yet responded",
        "Method",
    ]
    chase = sorted(rows_of(wb["Not yet responded"]), key=lambda r: r["Group id"])
    # Status in the invitations list's words; a group never reminded has no date.
    assert chase == [
        {
            "Group id": late.id,
            "Group": FORMULA,
            "Area": "Place P1",
            "Status": "not started",
            "Last reminded": None,
            "Broker": "Test CVS",
            "Email": None,
            "Invitation link": f"https://survey.example.org/r/{invitation.token}",
        },
        {
            "Group id": drafting.id,
            "Group": "Drafting group",
            "Area": "Place P2",
            "Status": "draft",
            "Last reminded": dt.datetime(2026, 3, 2),  # the day, read back as a date cell
            "Broker": "Test CVS",
            "Email": "drafting@example.org",
            "Invitation link": f"https://survey.example.org/r/{drafting_link.token}",
        },
    ]
    names = [c for c in wb["Not yet responded"]["B"] if c.value == FORMULA]
    assert [c.data_type for c in names] == ["s"]  # kept as text, never a formula
    plans = pd.read_excel(io.BytesIO(data), sheet_name="Support plans")
    cohort = pd.read_excel(io.BytesIO(data), sheet_name="Cohort").set_index("Area")
    # areas down (the groups' areas that need an offer), offers across, all areas last
    assert list(cohort.index) == ["Place P1", "Place P2", "All areas"]
    assert set(cohort.columns) == {"Area code"} | set(plans["Support offer"].dropna())
    for offer in cohort.columns.drop("Area code"):
        needing = plans[plans["Support offer"] == offer]
        assert cohort.loc["All areas", offer] == needing["Group id"].nunique() > 0
        for area in ("Place P1", "Place P2"):
            in_area = needing[needing["Area"] == area]["Group id"].nunique()
            assert cohort.loc[area, offer] == in_area
    assert wb["Cohort"].auto_filter.ref == f"A1:{get_column_letter(len(cohort.columns) + 1)}3"
    # target 4: everyone below 4 has a plan; P3 groups are at 4 and P1 group 5 at 5
    at_or_above_target = {"P1 group 4", "P1 group 5", "P3 group 0", "P3 group 1"}
    assert set(plans["Group"]) == set(geography.orgs) - at_or_above_target


def test_portfolio_page_shows_own_groups_and_hides_answers_without_consent(
    client, login, geography
):
    broker = db.session.scalar(sa.select(Broker).where(Broker.name == "Test CVS"))
    login("broker", broker=broker)
    page = client.get("/portfolio/confidence-2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "13 of 13 groups have responded" in html
    consenting, other = geography.orgs["P1 group 0"], geography.orgs["P1 group 1"]
    row = re.search(rf'data-org="{other.id}">(.*?)</tr>', html, re.S).group(1)
    assert "not shared" in row and "Answers and moderation" not in row
    assert f"/portfolio/confidence-2026/groups/{consenting.id}" in html
    plans = client.get("/portfolio/confidence-2026/support-plans.xlsx")
    assert plans.status_code == 200
    book = workbook(plans.data)
    groups = {r["Group"] for r in rows_of(book["Support plans"])}
    assert other.name not in groups and consenting.name in groups
    # the page's offers table says what the workbook's cohort sheet says
    table = re.search(r'id="portfolio-offers">(.*?)</table>', html, re.S).group(1)
    on_page = {
        offer: int(n)
        for offer, n in re.findall(
            r'<td class="govuk-table__cell">([^<]+)</td><td class="govuk-table__cell '
            r'govuk-table__cell--numeric">(\d+)</td>',
            table,
        )
    }
    *_, everywhere = rows_of(book["Cohort"])
    assert everywhere.pop("Area") == "All areas" and everywhere.pop("Area code") is None
    assert on_page == everywhere and on_page


def test_another_broker_cannot_see_the_portfolio_groups(client, login, geography):
    login("broker", broker=factories.broker("Other CVS"))
    org = geography.orgs["P1 group 0"]
    assert client.get(f"/portfolio/confidence-2026/groups/{org.id}").status_code == 403
    page = client.get("/portfolio/confidence-2026")
    assert org.name not in page.get_data(as_text=True)
    login("board")
    assert client.get("/portfolio/confidence-2026").status_code == 403


def test_moderation_keeps_both_levels_and_exports_say_which(client, login, geography, no_csrf):
    broker = db.session.scalar(sa.select(Broker).where(Broker.name == "Test CVS"))
    user = login("broker", broker=broker)
    org = geography.orgs["P1 group 2"]  # level 3, consents
    url = f"/portfolio/confidence-2026/groups/{org.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Save moderated levels" in page.get_data(as_text=True)
    missing_note = client.post(url, data={"level-safe": "1"})
    assert missing_note.status_code == 400
    assert "Safe: say why the level is moderated" in missing_note.get_data(as_text=True)
    note = "<b>No safeguarding policy</b> seen on the visit"
    saved = client.post(url, data={"level-safe": "1", "note-safe": note})
    assert saved.status_code == 302
    db.session.expire_all()
    score = db.session.scalar(
        sa.select(DomainScore)
        .join(Response)
        .where(Response.organisation_id == org.id, DomainScore.domain_id == "safe")
    )
    assert (score.level, score.moderated_level, score.moderation_note) == (3, 1, note)
    shown = client.get(url).get_data(as_text=True)
    assert (
        "&lt;b&gt;No safeguarding policy&lt;/b&gt;" in shown and "<b>No safeguarding" not in shown
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "moderate"))
    assert event.actor == user.email
    plans = workbook(client.get("/portfolio/confidence-2026/support-plans.xlsx").data)
    safe = [
        r
        for r in rows_of(plans["Support plans"])
        if r["Group"] == org.name and r["Domain"] == "Safe"
    ]
    assert safe and {(r["Level"], r["Level shown"], r["Gap"]) for r in safe} == {
        (1, "moderated", 3)
    }
    levels = [
        r for r in rows_of(plans["Levels"]) if r["Group"] == org.name and r["Domain"] == "Safe"
    ]
    assert levels[0]["Self-assessed level"] == 3 and levels[0]["Moderated level"] == 1
    # the Safe domain's own words for the level the plan works from (the moderated 1)
    safe_domain = registry().latest("confidence").domain("safe")
    assert levels[0]["What this level means here"] == (
        f"Getting started: {safe_domain.level(1).descriptor}"
    )


def test_a_groups_result_is_its_current_submission_in_the_instruments_domain_order(app):
    """Read as plain rows for a whole portfolio (group_results) or from one response
    (group_result), a group's result is the same: its current submission's levels in the
    instrument's domain order, whatever order the scores were stored in, without overall
    and without a domain the instrument does not have. A replaced submission, a draft and
    another round count for nothing; a submission with no scores still has a result."""
    from survey.reports.plans_data import (
        current_responses,
        group_result,
        group_results,
        shown_levels,
    )

    hood = factories.area("GR-N", name="Result Ward")
    round_ = factories.survey_round("confidence", slug="conf-results")
    other = factories.survey_round("confidence", slug="conf-results-other")
    first, second, third = (d.id for d in registry().latest("confidence").domains[:3])
    scored, bare, drafting, elsewhere = (
        factories.organisation(name=n, area=a)
        for n, a in (("Scored", hood), ("Bare", None), ("Drafting", hood), ("Elsewhere", hood))
    )
    at = dt.datetime(2026, 6, 2, 10, 0)

    def respond(round_, org, scores, status="submitted", current=True):
        response = Response(
            round=round_, invitation=factories.invitation(round_, org), organisation=org,
            area_id=org.area_id, status=status, is_current=current, submitted_at=at,
        )  # fmt: skip
        for domain_id, level, moderated, note, ambition in scores:
            response.scores.append(DomainScore(
                domain_id=domain_id, score=level, level=level, moderated_level=moderated,
                moderation_note=note, ambition=ambition,
            ))  # fmt: skip
        db.session.add(response)

    respond(round_, scored, [(first, 1, None, None, None)], current=False)  # replaced
    respond(round_, scored, [
        ("overall", 3, None, None, None), (third, 4, None, None, 5),
        ("retired_domain", 2, None, None, None), (first, 2, 3, "Saw the rota", 3),
        (second, None, None, None, None),
    ])  # fmt: skip
    respond(round_, bare, [])
    respond(round_, drafting, [(first, 5, None, None, None)], status="in_progress")
    respond(other, elsewhere, [(first, 5, None, None, None)])
    db.session.commit()

    orgs = [scored, bare, drafting, elsewhere]
    results = group_results(round_, orgs)
    assert sorted(results) == sorted([scored.id, bare.id])
    mine = results[scored.id]
    assert (mine.name, mine.area_code, mine.area_name, mine.submitted_on) == (
        "Scored", "GR-N", "Result Ward", dt.date(2026, 6, 2),
    )  # fmt: skip
    assert [(lv.domain_id, lv.level, lv.moderated_level, lv.note, lv.ambition) for lv in mine.levels] == [
        (first, 2, 3, "Saw the rota", 3), (second, None, None, None, None), (third, 4, None, None, 5),
    ]  # fmt: skip
    assert results[bare.id].levels == () and results[bare.id].area_name == "no area"
    responses = current_responses(round_, [o.id for o in orgs])
    assert results == {o.id: group_result(round_, o, responses[o.id]) for o in (scored, bare)}
    # the portfolio page's reading: only the level a plan works from (the moderated 3 for
    # the first domain, nothing for the unscored second), in the same order, same groups
    assert shown_levels(round_, [o.id for o in orgs]) == {
        scored.id: ((first, 3), (second, None), (third, 4)),
        bare.id: (),
    }
    assert shown_levels(round_, [o.id for o in orgs]) == {
        org_id: tuple((lv.domain_id, lv.shown) for lv in result.levels)
        for org_id, result in results.items()
    }
    # the groups given as a query of their ids (a broker's portfolio): the same, and only
    # those the query names
    chosen = sa.select(Organisation.id).where(Organisation.name.in_(["Scored", "Drafting"]))
    assert shown_levels(round_, chosen) == {scored.id: ((first, 3), (second, None), (third, 4))}


def test_a_portfolios_levels_are_kept_until_a_submission_a_score_or_its_groups_change(app):
    """portfolio_levels is read once while nothing changes (the same object comes back),
    and read again, with the change in it, after a moderation, a new submission, a
    replaced submission and an erasure, each committed by plain SQL as another process
    would, and when a group joins the broker (which no figure's token follows)."""
    from survey.reports.plans_data import portfolio_ids, portfolio_levels

    round_ = factories.survey_round("confidence", slug="conf-kept")
    first, second = (d.id for d in registry().latest("confidence").domains[:2])
    ward = factories.area("KEPT-W")  # groups placed in it: the areas' token rows exist
    broker, elsewhere = Broker(name="Kept CVS"), Broker(name="Other CVS")
    db.session.add_all([broker, elsewhere])
    one, two, three = (factories.organisation(name=n, area=ward) for n in ("One", "Two", "Three"))
    one.broker, two.broker, three.broker = broker, broker, elsewhere

    def submit(org, level):
        response = Response(
            round=round_, invitation=factories.invitation(round_, org), organisation=org,
            status="submitted", is_current=True, submitted_at=dt.datetime(2026, 6, 2),
        )  # fmt: skip
        response.scores.append(DomainScore(domain_id=first, score=level, level=level))
        db.session.add(response)
        db.session.commit()
        return response

    def levels():
        return portfolio_levels(round_, broker, frozenset(portfolio_ids(broker)))

    first_answer = submit(one, 2)
    submit(three, 5)  # another broker's
    kept = levels()
    assert kept == {one.id: ((first, 2),)}
    assert levels() is kept  # nothing changed

    db.session.execute(
        sa.update(DomainScore)
        .where(DomainScore.response_id == first_answer.id)
        .values(moderated_level=4)
    )
    db.session.commit()
    assert levels() == {one.id: ((first, 4),)}  # a moderation

    submit(two, 1)
    assert levels() == {one.id: ((first, 4),), two.id: ((first, 1),)}

    db.session.execute(
        sa.update(Response).where(Response.id == first_answer.id).values(is_current=False)
    )
    again = submit(one, 3)  # replaced
    db.session.add(
        DomainScore(response_id=again.id, round_id=round_.id, domain_id=second, score=5, level=5)
    )
    db.session.commit()
    assert levels() == {one.id: ((first, 3), (second, 5)), two.id: ((first, 1),)}

    db.session.execute(sa.delete(DomainScore).where(DomainScore.response_id == again.id))
    db.session.execute(sa.delete(Response).where(Response.organisation_id == one.id))
    db.session.commit()
    kept = levels()
    assert kept == {two.id: ((first, 1),)}  # erased
    assert levels() is kept

    db.session.execute(
        sa.update(Organisation).where(Organisation.id == three.id).values(broker_id=broker.id)
    )
    db.session.commit()
    assert levels() == {two.id: ((first, 1),), three.id: ((first, 5),)}  # a group joined


def test_a_long_portfolio_comes_a_page_at_a_time(client, login, geography, monkeypatch):
    """Five rows a page: the broker's 13 groups and 3 silent ones (16) on pages of 5, 5, 5
    and 1 (a page past the end is the last, a page that is not a number the first). At two
    rows a page the 3 still to chase are on pages of 2 and 1, and the chase list's links
    keep the groups' page. The counts and the offers needed are the whole portfolio's on
    every page."""
    from survey.reports import portfolio

    broker = db.session.scalar(sa.select(Broker).where(Broker.name == "Test CVS"))
    for i in range(3):
        org = factories.organisation(name=f"Silent group {i}", broker=broker)
        factories.invitation(db.session.get(Round, geography.round.id), organisation=org)
    db.session.commit()
    login("broker", broker=broker)
    monkeypatch.setattr(portfolio, "PORTFOLIO_PAGE", 5)

    def page(query: str = "") -> tuple[str, list[str], list[str]]:
        html = client.get(f"/portfolio/confidence-2026{query}").get_data(as_text=True)
        groups = re.search(r'id="portfolio-groups">(.*?)</table>', html, re.S).group(1)
        chase = re.search(r'id="portfolio-chase">(.*?)</table>', html, re.S).group(1)
        return html, re.findall(r'data-org="(\d+)"', groups), re.findall(r'data-org="(\d+)"', chase)

    first, groups_1, chase_1 = page()
    assert "13 of 16 groups have responded; 3 still to chase" in first
    assert len(groups_1) == 5 and len(chase_1) == 3
    assert (
        "Page 1 of 4" in first
        and 'href="/portfolio/confidence-2026?page=2#portfolio-groups"' in first
    )
    _, groups_2, _ = page("?page=2")
    last, groups_4, _ = page("?page=4")
    assert len(groups_2) == 5 and len(groups_4) == 1
    assert not set(groups_1) & set(groups_2) and "Page 4 of 4" in last and 'rel="next"' not in last
    assert page("?page=99")[1] == groups_4 and page("?page=abc")[1] == groups_1
    every = {*groups_1, *groups_2, *page("?page=3")[1], *groups_4}
    assert len(every) == 16
    offers = re.search(r'id="portfolio-offers">(.*?)</table>', first, re.S).group(1)
    assert offers in last  # the whole portfolio's, whichever page
    monkeypatch.setattr(portfolio, "PORTFOLIO_PAGE", 2)
    html, _, chase_a = page("?page=3")
    assert len(chase_a) == 2 and "Pages of groups not yet responded" in html
    assert 'href="/portfolio/confidence-2026?page=3&amp;chase_page=2#portfolio-chase"' in html
    _, _, chase_b = page("?page=3&chase_page=2")
    assert len(chase_b) == 1 and not set(chase_a) & set(chase_b)


def test_a_portfolios_plain_rows_say_what_its_groups_say(app, geography):
    """portfolio_rows (the portfolio page's plain reading) against the groups themselves:
    the same groups in the same order, each field as the group has it, area or none."""
    from survey.reports.plans_data import portfolio, portfolio_ids, portfolio_rows

    broker = db.session.scalar(sa.select(Broker).where(Broker.name == "Test CVS"))
    homeless = factories.organisation(name="No area yet", broker_id=broker.id, email="n@x.org")
    db.session.commit()
    groups, rows = portfolio(broker), portfolio_rows(broker)
    assert [r.id for r in rows] == [g.id for g in groups] and homeless.id in portfolio_ids(broker)
    assert set(portfolio_ids(broker)) == {g.id for g in groups}
    fields = ("name", "email", "area_id", "broker_id", "consent_broker", "consent_area_lead",
              "reminders_stopped_at")  # fmt: skip
    for group, row in zip(groups, rows, strict=True):
        assert [getattr(row, f) for f in fields] == [getattr(group, f) for f in fields]
        area = (group.area.code, group.area.name) if group.area else None
        assert (tuple(row.area) if row.area else None) == area
        assert row.broker.name == "Test CVS"
    assert rows[[r.id for r in rows].index(homeless.id)].area is None


def test_a_portfolio_whose_groups_have_all_responded_has_no_one_to_chase(client, login, geography):
    """Two groups, both answered: both counted, none to chase, no chase rows; a third,
    silent, makes one to chase (the same page read the other way round)."""
    round_ = db.session.get(Round, geography.round.id)
    broker = factories.broker("All Answered CVS")
    for name in ("Answered one", "Answered two"):
        org = factories.organisation(name=name, broker=broker, consent_broker=True)
        factories.submitted_response(round_, org, {"welcoming": 2})
    db.session.commit()
    login("broker", broker=broker)

    def counts_and_chased() -> tuple[str, list[str]]:
        html = client.get("/portfolio/confidence-2026").get_data(as_text=True)
        counts = re.search(r'id="portfolio-counts">(.*?)\.', html).group(1)
        chase = re.search(r'id="portfolio-chase">(.*?)</table>', html, re.S)
        return counts, re.findall(r'data-org="(\d+)"', chase.group(1)) if chase else []

    assert counts_and_chased() == ("2 of 2 groups have responded; 0 still to chase", [])
    silent = factories.organisation(name="Silent one", broker=broker)
    factories.invitation(round_, organisation=silent)
    db.session.commit()
    assert counts_and_chased() == (
        "2 of 3 groups have responded; 1 still to chase",
        [str(silent.id)],
    )


def test_the_support_plans_download_is_sent_from_a_file_in_pieces_then_closed(
    client, login, geography, monkeypatch
):
    """The workbook is written to a temporary file, not held in memory: its reply gives the
    file's length and reads it a piece at a time; the file is closed once the reply is."""
    from survey import memory
    from survey.reports import portfolio, views

    files = []

    def temporary():
        files.append(io.BytesIO())
        return files[-1]

    monkeypatch.setattr(portfolio.tempfile, "TemporaryFile", temporary)
    monkeypatch.setattr(views, "SEND_PIECE", 1000)
    trims: list[int] = []
    monkeypatch.setattr(memory, "_trim", trims.append)
    monkeypatch.setattr(memory, "TRIM_AFTER", -(2**40))  # every reply counts as grown
    monkeypatch.setattr(memory, "_settled", memory.resident_bytes())
    broker = db.session.scalar(sa.select(Broker).where(Broker.name == "Test CVS"))
    login("broker", broker=broker)
    reply = client.get("/portfolio/confidence-2026/support-plans.xlsx")
    (sent,) = files
    pieces = list(reply.iter_encoded())
    size = len(sent.getvalue())
    assert reply.status_code == 200 and size > 3000 and not sent.closed
    assert int(reply.headers["Content-Length"]) == size
    assert [len(p) for p in pieces] == [1000] * (size // 1000) + [size % 1000] * (size % 1000 > 0)
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Content-Disposition"] == (
        'attachment; filename="support-plans-confidence-2026.xlsx"'
    )
    assert rows_of(workbook(b"".join(pieces))["Support plans"])  # the whole workbook
    assert trims == []  # the heap is trimmed once the reply is sent, not before
    reply.close()
    assert sent.closed and trims == [0]
