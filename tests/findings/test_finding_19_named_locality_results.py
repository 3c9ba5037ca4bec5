"""Finding 19 (issue 10, item 1): a locality's own assessment is shown by name; groups stay hidden.

On the demo ICS: every PCN that sent the locality Digital Maturity Index has its
own levels (not a mean, nothing suppressed) on the PCN map, its area page, the
compare page and its place's roadmap workbook. A small place added to the demo,
whose only three groups answered the readiness survey, still shows no figure
for them, and no figure of its parent or its sibling places gives theirs away
by subtraction. The expected levels come from the raw DomainScore rows.
"""

from __future__ import annotations

import io
import re
import shutil

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from survey import create_app
from survey.aggregates import area_aggregates
from survey.demo import load_demo
from survey.extensions import db
from survey.instruments_store import instrument_for
from survey.models import OVERALL, Area, DomainScore, Response, Round, User

from .. import factories
from .disclosure_checks import few_apart, group_sets, shown_figures

LOCALITY_ROUND = "dmi-locality-2026"
READINESS_ROUND = "vcse-readiness-2026"


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory):
    """The demo ICS (200 groups) on SQLite, loaded once for the module."""
    path = tmp_path_factory.mktemp("demo19") / "demo.db"
    shutil.copy(sqlite_template, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        load_demo(seed=2025, groups=200)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def admin(demo):
    """A test client signed in as the demo's admin."""
    client = demo.test_client()
    user = db.session.scalar(sa.select(User).where(User.role == "admin"))
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def _own_levels(round_: Round) -> dict[str, dict[str, int | None]]:
    """Area code -> domain -> level, straight from each area's own current submission."""
    rows = db.session.execute(
        sa.select(Area.code, DomainScore.domain_id, DomainScore.level)
        .join(Response, Response.area_id == Area.id)
        .join(DomainScore, DomainScore.response_id == Response.id)
        .where(
            Response.round_id == round_.id,
            Response.status == "submitted",
            Response.is_current.is_(True),
            Response.organisation_id.is_(None),
        )
    ).all()
    out: dict[str, dict[str, int | None]] = {}
    for code, domain_id, level in rows:
        out.setdefault(code, {})[domain_id] = level
    return out


def _round(slug: str) -> Round:
    return db.session.scalar(sa.select(Round).where(Round.slug == slug))


def _cells(html: str, attribute: str) -> dict[str, str]:
    """data-domain -> the data-<attribute> value in that row of the area page's table."""
    table = html.split('id="area-figures"', 1)[1].split("</table>", 1)[0]
    found = {}
    for row in table.split("<tr")[1:]:
        domain = re.search(r'data-domain="([^"]+)"', row)
        value = re.search(rf'data-{attribute}="([^"]*)"', row)
        if domain and value:
            found[domain.group(1)] = value.group(1)
    return found


def test_every_pcn_that_answered_has_its_own_levels_everywhere(demo, admin):
    round_ = _round(LOCALITY_ROUND)
    instrument = instrument_for(round_)
    assert instrument.named_results
    own = _own_levels(round_)
    pcns = db.session.scalars(sa.select(Area).where(Area.type == "pcn").order_by(Area.code)).all()
    answered = [p for p in pcns if p.code in own]
    assert 2 <= len(answered) < len(pcns), "the demo has PCNs that answered and some that did not"
    domains = [d.id for d in instrument.domains] + [OVERALL]

    # the PCN map (its table says the same as the map), overall and one domain
    for domain in (OVERALL, instrument.domains[0].id):
        page = admin.get(
            f"/areas/map?round={LOCALITY_ROUND}&type=pcn&measure=level&domain={domain}"
        ).get_data(as_text=True)
        for pcn in answered:
            level = own[pcn.code][domain]
            row = page.split(f">{pcn.name}</a>", 1)[1].split("</tr>", 1)[0]
            assert f"level {level} (its own assessment)" in row, (pcn.code, domain)
            assert "fewer than" not in row
        assert "Not shown" not in page

    # its area page: each domain's level, with what that level means in that domain
    for pcn in answered:
        page = admin.get(f"/areas/{pcn.code}?round={LOCALITY_ROUND}").get_data(as_text=True)
        levels = _cells(page, "level")
        assert levels == {d: str(own[pcn.code][d] or "") for d in domains}, pcn.code
        for domain in instrument.domains:
            level = own[pcn.code][domain.id]
            if level:
                descriptor = domain.level(level).descriptor.replace("'", "&#39;")
                assert descriptor in page, (pcn.code, domain.id)
        assert "fewer than" not in page.split('id="area-figures"', 1)[1].split("</table>")[0]

    # the compare page, all answered PCNs at once (at most six)
    chosen = answered[:6]
    query = "&".join(f"area={p.code}" for p in chosen)
    page = admin.get(f"/areas/compare?round={LOCALITY_ROUND}&type=pcn&{query}").get_data(
        as_text=True
    )
    for pcn in chosen:
        shown = re.findall(rf'data-area="{pcn.code}" data-level="(\d*)"', page)
        assert shown == [str(own[pcn.code][d] or "") for d in [OVERALL] + domains[:-1]], pcn.code

    # the roadmap workbook of each PCN's place: its Summary sheet has the PCN's levels
    places = {pcn.parent for pcn in answered}
    for place in places:
        data = admin.get(f"/areas/{place.code}/rounds/{LOCALITY_ROUND}/roadmap.xlsx").data
        sheet = load_workbook(io.BytesIO(data))["Summary"]
        rows = list(sheet.iter_rows(values_only=True))
        header = rows[0]
        by_code = {r[0]: r for r in rows[1:]}
        for pcn in (p for p in answered if p.parent is place):
            row = by_code[pcn.code]
            for domain in instrument.domains:
                value = row[header.index(f"{domain.name}: level")]
                assert value == own[pcn.code][domain.id], (place.code, pcn.code, domain.id)
                assert row[header.index(f"{domain.name}: n")] == 1


@pytest.fixture(scope="module")
def small_place(demo):
    """A fourth place under the demo ICS whose only three groups answered the readiness survey."""
    ics = db.session.scalar(sa.select(Area).where(Area.type == "ics"))
    place = factories.area(code="DEMO-P4", type="place", parent=ics, name="Tiny Place")
    round_ = _round(READINESS_ROUND)
    instrument = instrument_for(round_)
    domains = [d.id for d in instrument.domains] + [OVERALL]
    for k in range(3):
        org = factories.organisation(area=place)
        factories.submitted_response(
            round_, org, {d: 1 + (k + i) % 5 for i, d in enumerate(domains)}, areas=[place, ics]
        )
    db.session.commit()
    return place


def test_a_place_with_three_groups_shows_nothing_and_gives_nothing_away(demo, small_place, admin):
    round_ = _round(READINESS_ROUND)
    assert not instrument_for(round_).named_results
    ics = small_place.parent
    places = db.session.scalars(sa.select(Area).where(Area.parent_id == ics.id)).all()
    assert small_place in places and len(places) == 4

    # the place itself: no figure on its page, in any domain
    page = admin.get(f"/areas/{small_place.code}?round={READINESS_ROUND}").get_data(as_text=True)
    table = page.split('id="area-figures"', 1)[1].split("</table>", 1)[0]
    assert (
        table.count("Not shown: fewer than 5 responses") == len(instrument_for(round_).domains) + 1
    )
    aggregates = area_aggregates(round_, [ics, *places])
    mine = [a for a in aggregates if a.area.id == small_place.id]
    assert mine and all(a.suppressed and a.summary.n is None for a in mine)

    # its parent and siblings: every figure shown is checked against the raw sets
    sets = group_sets(round_)
    shown = shown_figures(round_, aggregates, sets)
    three = {
        r
        for (r,) in db.session.execute(
            sa.select(Response.id)
            .join(Area, Area.id == Response.area_id)
            .where(Response.round_id == round_.id, Area.code == small_place.code)
        )
    }
    assert len(three) == 3
    for domain_id, figures in shown.items():
        assert few_apart(figures) == [], domain_id
        by_code = {code: members for (_, code), members in figures}
        parent = by_code.get(ics.code)
        if parent is None:
            continue
        siblings = [by_code[p.code] for p in places if p.code in by_code]
        rest = set(parent) - set().union(*siblings) if siblings else set(parent)
        # the parent minus its shown places never leaves the three (or any 1 to 4) groups
        assert not 0 < len(rest) < 5, (domain_id, len(rest))
    assert any(shown.values()), "the rule hides the few, not everything"
