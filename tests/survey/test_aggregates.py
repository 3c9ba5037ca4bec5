"""Aggregates from stored scores: counts, coverage, gaps and suppression in the database."""

from __future__ import annotations

import pytest

from scoring.aggregate import EMPTY, Summary
from scoring.disclosure import LevelBand
from survey.aggregates import area_aggregates
from survey.extensions import db
from survey.models import OVERALL, OrganisationArea, Response
from survey.publication import publish

from .. import factories


@pytest.fixture
def tree(app):
    """A PCN with three neighbourhoods: 6, 2 and 7 groups answering, 1 more invited in C."""
    pcn = factories.area(code="T-PCN", type="pcn")
    hoods = [factories.area(code=f"T-N{k}", type="neighbourhood", parent=pcn) for k in "ABC"]
    round_ = factories.survey_round("confidence", target_level=4)
    for hood, count in zip(hoods, (6, 2, 7), strict=True):
        for i in range(count):
            org = factories.organisation(area=hood)
            factories.submitted_response(
                round_, org, {"welcoming": 1 + i % 5, OVERALL: 3}, areas=[hood, pcn]
            )
    silent = factories.organisation(area=hoods[2])
    db.session.add(OrganisationArea(organisation_id=silent.id, area_id=hoods[2].id))
    db.session.add(OrganisationArea(organisation_id=silent.id, area_id=pcn.id))
    factories.invitation(round_, organisation=silent)
    db.session.commit()
    return round_, pcn, hoods


def _by(aggregates, code, domain="welcoming"):
    return next(a for a in aggregates if a.area.code == code and a.domain_id == domain)


def test_counts_means_and_coverage(tree):
    round_, pcn, hoods = tree
    aggs = area_aggregates(round_, [pcn, *hoods])
    whole = _by(aggs, "T-PCN")
    assert whole.summary.n == 15
    # levels 1..5 cycling: A has 1,2,3,4,5,1; B 1,2; C 1,2,3,4,5,1,2 -> sum 16 + 3 + 18 = 37
    assert whole.summary.mean == pytest.approx(37 / 15)
    assert whole.gap == pytest.approx(4 - 37 / 15)
    c = _by(aggs, "T-NC")
    assert (c.invited, c.responded) == (8, 7) and c.coverage == pytest.approx(7 / 8)
    # C's levels 1,2,3,4,5,1,2: levels 1-3 hold 5, 4-5 only 2, so one band: not shown
    assert c.summary.level_bands is None
    # the PCN's counts are 5,4,2,2,2: level 1 holds 5, levels 2-5 the other 10
    assert whole.summary.level_bands == (LevelBand(1, 1, 5), LevelBand(2, 5, 10))
    assert whole.level == 2  # mean 2.47: at least 1.8, under 2.6


def test_small_area_and_its_smallest_sibling_are_suppressed(tree):
    round_, pcn, hoods = tree
    aggs = area_aggregates(round_, [pcn, *hoods])
    b = _by(aggs, "T-NB")  # 2 responses: under 5
    a = _by(aggs, "T-NA")  # 6: would give B away as PCN - A - C, so hidden too
    c = _by(aggs, "T-NC")
    assert b.suppressed and b.summary.n is None and b.summary.mean is None
    assert b.coverage is None  # coverage of a suppressed area would give n away
    assert a.suppressed and a.summary.mean is None
    assert not c.suppressed and c.summary.n == 7


def test_threshold_is_configurable(tree, app, monkeypatch):
    round_, pcn, hoods = tree
    monkeypatch.setitem(app.config, "DISCLOSURE_THRESHOLD", 2)
    aggs = area_aggregates(round_, hoods)
    assert not _by(aggs, "T-NB").suppressed


def test_superseded_and_unsubmitted_responses_do_not_count(tree):
    round_, pcn, hoods = tree
    db.session.execute(
        Response.__table__.update()
        .where(
            Response.organisation_id.in_(
                db.session.query(OrganisationArea.organisation_id).filter(
                    OrganisationArea.area_id == hoods[2].id
                )
            )
        )
        .values(is_current=False)
    )
    db.session.commit()
    assert _by(area_aggregates(round_, [pcn]), "T-PCN").summary.n == 8  # 6 + 2


def test_one_domains_figures_are_what_they_are_among_every_domain(tree):
    """A map asks for one domain: each figure, shown or suppressed (here B by its size and
    A by subtraction), is the same as in the full set, and no other domain comes."""
    round_, pcn, hoods = tree
    areas = [pcn, *hoods]
    every = area_aggregates(round_, areas)
    for domain in ("welcoming", OVERALL):
        one = area_aggregates(round_, areas, domain_ids=(domain,))
        assert one == [a for a in every if a.domain_id == domain]
        assert [a.area.code for a in one] == ["T-PCN", "T-NA", "T-NB", "T-NC"]
    suppressed = {a.area.code for a in area_aggregates(round_, areas, domain_ids=("welcoming",))
                  if a.suppressed}  # fmt: skip
    assert suppressed == {"T-NA", "T-NB"}
    assert area_aggregates(round_, areas, domain_ids=()) == []


def test_a_localitys_own_figure_is_its_current_submission_in_this_round_alone(app):
    """A locality round names each area's own assessment (n = 1, no small-numbers rule):
    only the area's current submitted answer in this round counts, never a replaced or
    draft one, another round's, or a group's in the same area; an area is invited while
    its link stands (or once it has answered), and its coverage is answered of invited."""
    from survey.aggregates import named_aggregates
    from survey.instruments_store import registry
    from survey.models import DomainScore, Invitation, utcnow

    ics = factories.area(code="N-ICS", type="ics")
    answered, waiting, revoked, drafted, elsewhere = (
        factories.area(code=f"N-P{k}", type="pcn", parent=ics) for k in range(1, 6)
    )
    this = factories.survey_round("dmi-locality", slug="loc-this", target_level=4)
    other = factories.survey_round("dmi-locality", slug="loc-other")
    first = registry().latest("dmi-locality").domains[0].id

    def own(round_, area, level, *, status="submitted", current=True, moderated=None):
        response = Response(
            round=round_, invitation=Invitation(round=round_, area=area), area_id=area.id,
            status=status, is_current=current, submitted_at=utcnow(),
        )  # fmt: skip
        response.scores = [
            DomainScore(domain_id=d, score=float(level), level=level, moderated_level=moderated)
            for d in (first, OVERALL)
        ]
        db.session.add(response)

    own(this, answered, 5, current=False)  # replaced by the one below
    own(this, answered, 2, moderated=3)
    group = factories.organisation(area=answered)
    factories.submitted_response(this, group, {first: 4, OVERALL: 4}, areas=[answered])
    factories.invitation(this, area=waiting)
    db.session.add(Invitation(round=this, area=revoked, revoked_at=utcnow()))
    own(this, drafted, 1, status="in_progress")  # a draft
    own(other, elsewhere, 5)
    # a group's link carries its group's area (journey.invitations): not the area's own
    neighbour = factories.organisation(area=elsewhere)
    db.session.add(Invitation(round=this, organisation_id=neighbour.id, area_id=elsewhere.id))
    db.session.commit()

    areas = [answered, waiting, revoked, drafted, elsewhere]
    figures = {(a.area.code, a.domain_id): a for a in named_aggregates(this, areas)}
    assert len(figures) == 5 * (len(registry().latest("dmi-locality").domains) + 1)
    mine = figures["N-P1", first]
    # one answer: its own mean and median, no interval, no bands, nothing suppressed
    assert mine.summary == Summary(1, 2.0, 2.0, None, None, None, False) and mine.level == 2
    assert (mine.invited, mine.responded, mine.coverage) == (1, 1, 1.0)
    assert (mine.target_level, mine.gap) == (4, 2)
    assert mine.named is True and mine.suppressed is False
    assert figures["N-P1", OVERALL].domain_name == "Overall"
    # the broker-moderated level only in the moderated view
    moderated = {
        (a.area.code, a.domain_id): a for a in named_aggregates(this, areas, moderated=True)
    }
    assert (moderated["N-P1", first].summary.mean, moderated["N-P1", first].level) == (3.0, 3)
    # invited and not answered: 0 of 1; a revoked link, or another round's: not invited
    expected = {
        "N-P2": (1, 0, 0.0),
        "N-P3": (0, 0, None),
        "N-P4": (1, 0, 0.0),
        "N-P5": (0, 0, None),
    }
    for code, (invited, responded, coverage) in expected.items():
        figure = figures[code, first]
        assert (figure.invited, figure.responded, figure.coverage) == (invited, responded, coverage)
        assert figure.summary == EMPTY and figure.level is None and figure.gap is None


def test_derived_figures_are_the_derived_sets_shown_and_nothing_else(tree):
    """Target 4. In the PCN, welcoming levels 1, 2, 3, 4, 5, 1 / 1, 2 / 1, 2, 3, 4, 5, 1, 2:
    4 groups at or above the target (too few to show), 11 below; overall is 3 for all 15,
    so 15 below. The derived figures are those two sets alone: not the domains' own
    figures (welcoming, overall), not the hidden four."""
    from survey.aggregates import derived_figures

    round_, pcn, _ = tree
    shown = derived_figures(round_, [pcn], moderated=False)
    assert {key: figure.n for key, figure in shown.items()} == {
        (pcn.id, "welcoming~below"): 11,
        (pcn.id, OVERALL + "~below"): 15,
    }


def test_invited_and_responded_counts_follow_the_threshold_and_the_live_links(app):
    """Four neighbourhoods, threshold 5. A: exactly 5 groups answered of 7 invited: the
    count may be shown (at least 5), with the 7 live links of its publication; only 3 of
    them scored welcoming, so that figure is suppressed, and with it the count beside it
    (5 less the welcoming figure's groups would give those away). B: 3 links, no answer:
    0 answered of 3. C: no link and no answer: 0 of 0. D: 2 answered of 4: the count is
    hidden (None), and the invited count is D's live links, 4."""
    round_ = factories.survey_round("confidence")
    a, b, c, d = (factories.area(code=f"I-{x}", type="neighbourhood") for x in "ABCD")

    def answered(area, count, welcoming=0):
        for i in range(count):
            org = factories.organisation(area=area)
            levels = {OVERALL: 3} | ({"welcoming": 2} if i < welcoming else {})
            factories.submitted_response(round_, org, levels, areas=[area])

    def invited_only(area, count):
        for _ in range(count):
            org = factories.organisation(area=area)
            db.session.add(OrganisationArea(organisation_id=org.id, area_id=area.id))
            factories.invitation(round_, organisation=org)

    answered(a, 5, welcoming=3)
    invited_only(a, 2)
    invited_only(b, 3)
    answered(d, 2)
    invited_only(d, 2)
    db.session.commit()
    counts = {
        x.area.code: (x.invited, x.responded)
        for x in area_aggregates(round_, [a, b, c, d])
        if x.domain_id == OVERALL
    }
    assert counts == {"I-A": (7, 5), "I-B": (3, 0), "I-C": (0, 0), "I-D": (4, None)}
    [welcoming] = [x for x in area_aggregates(round_, [a]) if x.domain_id == "welcoming"]
    assert welcoming.suppressed and (welcoming.invited, welcoming.responded) == (7, None)
    # D's two groups scored no welcoming: that figure is empty, not suppressed, and the
    # count beside it is still the hidden count (None), not "0 answered"
    [empty] = [x for x in area_aggregates(round_, [d]) if x.domain_id == "welcoming"]
    assert empty.summary == EMPTY and not empty.suppressed
    assert (empty.invited, empty.responded, empty.coverage) == (4, None, None)


def test_a_slot_its_publication_hid_reads_as_suppressed_even_with_no_group_behind_it_now(tree):
    """A publication hides slots among the figures it shows, and those include each slot's
    last published figure: a neighbourhood whose groups have all gone since keeps its old
    figure, and may be the one hidden. Such a slot must read as "too few to show", not as
    "no groups" (which would say what the hidden figure was hiding: that it is empty)."""
    round_, pcn, hoods = tree
    gone = factories.area(code="T-ND", type="neighbourhood", parent=pcn)  # no group now
    db.session.commit()
    made, state = publish(round_, moderated=False, threshold=5)
    assert not state.has_members("welcoming", gone.id)
    [before] = area_aggregates(round_, [gone], published=(made, state), domain_ids=["welcoming"])
    assert before.summary == EMPTY and not before.suppressed  # not hidden: no groups
    made.hidden = [*made.hidden, [gone.id, "welcoming"]]  # as the publication would hide it
    [hidden] = area_aggregates(round_, [gone], published=(made, state), domain_ids=["welcoming"])
    db.session.rollback()
    assert hidden.suppressed and hidden.summary.n is None and hidden.responded is None
