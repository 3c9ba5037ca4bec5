"""The roadmap's Groups sheet rows (survey.reports.roadmap_data.groups_in_area): which
groups an area's workbook lists, in what order, with which area, broker and levels."""

from __future__ import annotations

import datetime as dt

from exports.support_plans import MODERATED, SELF_ASSESSED
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import OVERALL, DomainScore, OrganisationArea, Response
from survey.reports import roadmap_data
from survey.reports.roadmap_data import groups_in_area

from .. import factories


def test_an_areas_groups_are_its_own_by_name_with_their_area_broker_and_this_rounds_levels(
    app, monkeypatch
):
    """Place P holds neighbourhoods N1 and N2; Q is another place.
    - Zeta Walkers (made first, so the lower id), in N1 with Northvale CVS: level 1 last
      year; this year 3, submitted on 2 June, after an earlier submission (level 5) it
      replaced;
    - Alpha Choir, placed in N2 but a member of P only, with Southvale CVS: level 4,
      moderated to 5;
    - Draft Band in N1: only a draft, whose stored score must not count;
    - No Area Club, a member of P with no area of its own;
    - Outside Club, in Q's neighbourhood only, at level 2.
    P's rows: Alpha, Draft, No Area, Zeta (by name), each with its own neighbourhood and
    broker and this round's current levels; Outside Club is not there. Q's row: Outside."""
    place = factories.area("R-P", type="place", name="Riverside Place")
    n1 = factories.area("R-N1", parent=place, name="Mill Ward")
    n2 = factories.area("R-N2", parent=place, name="Dale Ward")
    other = factories.area("R-Q", type="place", name="Hill Place")
    m = factories.area("R-M", parent=other, name="Hill Ward")
    north, south = factories.broker("Northvale CVS"), factories.broker("Southvale CVS")
    zeta = factories.organisation(name="Zeta Walkers", area=n1, broker=north)
    alpha = factories.organisation(name="Alpha Choir", area=n2, broker=south)
    draft = factories.organisation(name="Draft Band", area=n1)
    no_area = factories.organisation(name="No Area Club")
    outside = factories.organisation(name="Outside Club", area=m, broker=north)
    earlier = factories.round_of_year("confidence", 2025, "conf-g-2025")
    now = factories.round_of_year("confidence", 2026, "conf-g-2026")
    factories.submitted_response(earlier, zeta, {"welcoming": 1})
    factories.submitted_response(
        now, zeta, {"welcoming": 3}, areas=[n1, place],
        submitted_at=dt.datetime(2026, 6, 2, 10, 30),
    )  # fmt: skip
    # read after the current one, whatever the order rows come in must not matter
    replaced = Response(
        round=now, invitation=factories.invitation(now, zeta), organisation=zeta,
        area_id=n1.id, status="submitted", is_current=False,
    )  # fmt: skip
    replaced.scores.append(DomainScore(domain_id="welcoming", score=5.0, level=5))
    db.session.add(replaced)
    chosen = factories.submitted_response(now, alpha, {"welcoming": 4}, areas=[place])
    chosen.scores[0].moderated_level = 5
    factories.submitted_response(now, outside, {"welcoming": 2}, areas=[m, other])
    db.session.add(OrganisationArea(organisation_id=draft.id, area_id=place.id))
    db.session.add(OrganisationArea(organisation_id=no_area.id, area_id=place.id))
    in_progress = Response(
        round=now, invitation=factories.invitation(now, draft), organisation=draft,
        area_id=n1.id, status="in_progress",
    )  # fmt: skip
    in_progress.scores.append(DomainScore(domain_id="welcoming", score=5.0, level=5))
    db.session.add(in_progress)
    db.session.commit()
    assert zeta.id < alpha.id
    domains = [d.id for d in registry().latest("confidence").domains] + [OVERALL]

    def seen(area, moderated=False):
        return [
            (
                r.org_id,
                r.name,
                r.area_code,
                r.area_name,
                r.broker,
                r.submitted_on,
                dict(zip(domains, r.levels, strict=True))["welcoming"],
                r.shown_as,
            )  # fmt: skip
            for r in groups_in_area(now, area, moderated=moderated, viewer=None)
        ]

    own, by_moderator = SELF_ASSESSED, MODERATED
    june = dt.date(2026, 6, 2)
    assert seen(place) == [
        (alpha.id, "Alpha Choir", "R-N2", "Dale Ward", "Southvale CVS", None, 4, own),
        (draft.id, "Draft Band", "R-N1", "Mill Ward", None, None, None, own),
        (no_area.id, "No Area Club", "", "", None, None, None, own),
        (zeta.id, "Zeta Walkers", "R-N1", "Mill Ward", "Northvale CVS", june, 3, own),
    ]
    assert [(name, level, shown) for _, name, *_, level, shown in seen(place, True)] == [
        ("Alpha Choir", 5, by_moderator),
        ("Draft Band", None, own),
        ("No Area Club", None, own),
        ("Zeta Walkers", 3, own),
    ]
    assert seen(other) == [
        (outside.id, "Outside Club", "R-M", "Hill Ward", "Northvale CVS", None, 2, own)
    ]
    # read a row at a time (an ICS's 200,000 score rows come in batches): a group whose
    # rows fall in two batches, or whose score and group rows do, is listed the same
    whole = seen(place), seen(place, True)
    monkeypatch.setattr(roadmap_data, "BATCH", 1)
    assert (seen(place), seen(place, True)) == whole


def test_groups_of_the_same_name_are_listed_oldest_first_whatever_order_they_were_placed(app):
    """Two "Friends of the Park" groups: the first made (lower id) is placed in the ward last,
    so a plain scan of the ward's members meets the newer first. The workbook lists same-named
    groups by id, so the same list comes out every time and on every engine."""
    ward = factories.area("S-W", name="Park Ward")
    older = factories.organisation(name="Friends of the Park")
    newer = factories.organisation(name="Friends of the Park")
    between = factories.organisation(name="Allotment Society")
    for org in (newer, between, older):
        db.session.add(OrganisationArea(organisation_id=org.id, area_id=ward.id))
    db.session.commit()
    assert older.id < newer.id
    round_ = factories.survey_round("confidence", slug="conf-s-2026")
    listed = groups_in_area(round_, ward, moderated=False, viewer=None)
    assert [r.org_id for r in listed] == [between.id, older.id, newer.id]


def _agg(area, domain_id: str, invited: int, coverage: float | None):
    from scoring.aggregate import EMPTY
    from survey.aggregates import AreaAggregate

    return AreaAggregate(
        area=area, domain_id=domain_id, domain_name=domain_id, summary=EMPTY, invited=invited,
        responded=None, coverage=coverage, target_level=None, gap=None, suppressed=True,
        level=None,
    )  # fmt: skip


def test_an_areas_summary_row_takes_its_coverage_from_overall_else_its_last_domain():
    """Rows keep the areas' order; each area's name and type are its own; invited and
    coverage are the overall figure's, or (an instrument with no overall) the last
    domain's; an area with a single figure is a row too."""
    from types import SimpleNamespace

    from survey.reports.roadmap_data import area_figures

    p = SimpleNamespace(id=1, code="F-P", name="Riverside Place", type="place")
    n = SimpleNamespace(id=2, code="F-N", name="Mill Ward", type="neighbourhood")
    w = SimpleNamespace(id=3, code="F-W", name="Dale Ward", type="ward")
    rows = area_figures(
        [
            _agg(p, "welcoming", 11, 0.1), _agg(p, OVERALL, 12, 0.5), _agg(p, "online", 13, 0.3),
            _agg(n, "welcoming", 21, 0.2), _agg(n, "online", 22, 0.4),
            _agg(w, OVERALL, 31, 0.9),
        ]
    )  # fmt: skip
    assert [(r.code, r.name, r.type, r.invited, r.coverage, len(r.figures)) for r in rows] == [
        ("F-P", "Riverside Place", "place", 12, 0.5, 3),
        ("F-N", "Mill Ward", "neighbourhood", 22, 0.4, 2),
        ("F-W", "Dale Ward", "ward", 31, 0.9, 1),
    ]


def test_locality_results_are_each_areas_own_current_submission_in_the_right_round(app):
    """Place P (PCNs A and B) and place Q (PCN C); locality rounds 2025 then 2026.
    2025: A at level 2, C at 3. 2026: A at 4 (and an earlier submission of A at 1, since
    replaced), B only a draft (level 5), and a group's response in A's area (level 5).
    - from a group round: P shows the newest locality round it answered (2026: A at 4),
      Q the newest it answered (2025: C at 3);
    - from the 2025 locality round itself: P shows 2025 (A at 2)."""
    from survey.reports.roadmap_data import locality_results

    place_p = factories.area("L-P", type="place", name="P Place")
    a = factories.area("L-A", type="pcn", parent=place_p, name="A PCN")
    b = factories.area("L-B", type="pcn", parent=place_p, name="B PCN")
    place_q = factories.area("L-Q", type="place", name="Q Place")
    c = factories.area("L-C", type="pcn", parent=place_q, name="C PCN")
    old = factories.round_of_year("dmi-locality", 2025, "loc-2025")
    new = factories.round_of_year("dmi-locality", 2026, "loc-2026")
    groups = factories.survey_round("confidence", slug="conf-l-2026")
    domain = registry().latest("dmi-locality").domains[0].id

    unanswered = registry().latest("dmi-locality").domains[1].id

    def own(round_, area, level, status="submitted", current=True, organisation=None, aim=None):
        response = Response(
            round=round_, invitation=factories.invitation(round_, organisation, area=area),
            organisation=organisation, area_id=area.id, status=status, is_current=current,
        )  # fmt: skip
        response.scores.extend([
            DomainScore(domain_id=domain, score=float(level), level=level, ambition=aim),
            # a domain the body did not answer, and the overall level: neither is a domain's
            DomainScore(domain_id=unanswered, score=None, level=None),
            DomainScore(domain_id=OVERALL, score=float(level), level=level),
        ])  # fmt: skip
        db.session.add(response)
        db.session.flush()

    own(old, a, 2)
    own(old, c, 3)
    own(new, a, 1, current=False)
    own(new, a, 4, aim=5)
    own(new, b, 5, status="in_progress")
    own(new, a, 5, organisation=factories.organisation(name="A group", area=a))
    db.session.commit()

    def seen(round_, area):
        return [
            (r.area_name, r.round_title, r.levels[domain]) for r in locality_results(round_, area)
        ]

    assert seen(groups, place_p) == [("A PCN", new.title, 4)]
    [newest] = locality_results(groups, place_p)
    assert newest.levels == {domain: 4}  # its answered domains only
    assert newest.ambitions == {domain: 5}  # where A plans to be
    assert seen(groups, place_q) == [("C PCN", old.title, 3)]
    assert seen(old, place_p) == [("A PCN", old.title, 2)]


def test_the_roadmap_says_which_groups_it_names_for_each_kind_of_reader(app):
    """The Groups sheet's note, in the Method sheet too: all groups for an admin or the
    command line, only consenting groups for a broker or area lead, none for a board;
    the Method sheet names the round and its target level."""
    from types import SimpleNamespace

    from survey.reports.roadmap_data import build_roadmap

    hood = factories.area("M-N", name="Mill Ward")
    round_ = factories.survey_round("confidence", slug="conf-note", target_level=4)
    db.session.commit()

    def read(role):
        viewer = None if role is None else SimpleNamespace(
            role=role, is_authenticated=True, broker_id=None, area_id=hood.id
        )  # fmt: skip
        made = build_roadmap(round_, hood, viewer=viewer, actor="test", moderated=False)
        method = dict(made.method)
        assert method["Groups sheet"] == made.groups_note
        assert method["Round"] == round_.title and method["Target level"] == 4
        return made.groups_note

    assert read(None) == read("admin") == "all groups in the area"
    own = dict(build_roadmap(round_, hood, viewer=None, actor="test", moderated=False).method)
    moderated = dict(build_roadmap(round_, hood, viewer=None, actor="test", moderated=True).method)
    assert own["Level shown"] == "self-assessed levels"
    assert moderated["Level shown"] == (
        "moderated levels (a broker's moderated level where there is one)"
    )
    assert own["Area"] == "Mill Ward (M-N, neighbourhood) and its 0 sub-areas"
    consented = "only groups that consented to share their results with you"
    assert read("broker") == consented
    assert read("board") == "Your role sees area figures only, not named groups."


def test_the_gaps_to_target_count_each_domains_published_sets(app):
    """Target level 3, sixteen groups. The second domain: ten at level 2, six at 4, and
    five of the ten at 2 moderated to 4. The first: only three groups, at 2, so its sets
    are not published and it has no row, but the rows after it still come.
    Self-assessed: 10 of 16 below; moderated: 5 of 16 (every set, and every difference
    between the two views, at least 5: published). The area's level and ambition (from
    its figures) are carried onto the row; a round with no target has no gaps."""
    from exports.roadmap import AreaFigures, DomainFigure
    from survey.reports.roadmap_data import group_gaps

    hood = factories.area("G-N", name="Gap Ward")
    round_ = factories.survey_round("confidence", slug="conf-gaps", target_level=3)
    first, second = (d.id for d in registry().latest("confidence").domains[:2])
    for n in range(16):
        levels = {second: 2 if n < 10 else 4} | ({first: 2} if n < 3 else {})
        response = factories.submitted_response(
            round_, factories.organisation(area=hood), levels, areas=[hood]
        )
        if n < 5:
            [moved] = [s for s in response.scores if s.domain_id == second]
            moved.moderated_level = 4
    db.session.commit()

    def figure(domain_id, level, ambition, ambition_gap):
        return DomainFigure(
            domain_id, domain_id.title(), 10, None, None, None, level, None, 3, None, False,
            ambition, ambition_gap,
        )  # fmt: skip

    figures = AreaFigures(
        "G-N", "Gap Ward", "neighbourhood", 10, 10, 1.0,
        # the overall figure gives no row wherever it comes
        (figure(first, 2, 2.5, 0.5), figure(OVERALL, 3, None, None), figure(second, 3, 3.6, 0.6)),
    )  # fmt: skip
    own = group_gaps(round_, hood, figures, moderated=False)
    moderated = group_gaps(round_, hood, figures, moderated=True)
    row = (second, second.title())
    assert [(g.domain_id, g.domain_name, g.below, g.scored, g.target) for g in own] == [
        (*row, 10, 16, 3)
    ]
    assert [(g.below, g.scored) for g in moderated] == [(5, 16)]
    assert [(g.level, g.ambition, g.ambition_gap) for g in own] == [(3, 3.6, 0.6)]

    no_target = factories.survey_round("confidence", slug="conf-no-target")
    assert group_gaps(no_target, hood, figures, moderated=False) == []
