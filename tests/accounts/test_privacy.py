"""No page gives a named group's answers to someone it has not consented to,
and no page or API answer shows a number the disclosure threshold suppresses.

Both walk the routes that exist when the test runs (tests/route_walk.py), so a
page added later is checked without this file changing.
"""

from __future__ import annotations

import pytest

from survey.access import GROUP, PERMISSIONS
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import Area, DomainScore, OrganisationArea

from .. import factories
from ..route_walk import (
    add_api_token,
    all_rules,
    argument_values,
    client_as,
    request,
    url_for_walk,
)
from .seed import open_round, staff, submitted

SECRET = "ZQX our treasurer cannot use email"  # a free-text answer nobody else writes
SUPPRESSED_SCORE = 4.872  # three responses in tree A: never to be shown
SHOWN_SCORE = 2.613  # six responses in tree B: shown, so the walk is known to reach figures
GROUP_ROUTES = [
    (rule, method)
    for rule in all_rules()
    if any(a in rule.arguments for a in ("org_id", "organisation_id", "group_id", "response_id"))
    for method in ("GET", "POST")
    if method in rule.methods
]


def _tree(letter: str) -> list[Area]:
    ics = factories.area(code=f"ICS-{letter}", type="ics")
    place = factories.area(code=f"PL-{letter}", type="place", parent=ics)
    pcn = factories.area(code=f"PCN-{letter}", type="pcn", parent=place)
    hood = factories.area(code=f"NB-{letter}", type="neighbourhood", parent=pcn)
    return [ics, place, pcn, hood]


def _groups(round_, areas, count, score, broker, secret=None):
    groups = []
    instrument = registry().get(round_.instrument_id, round_.instrument_version)
    for i in range(count):
        group = factories.organisation(
            name=f"Group {areas[0].code} number {i}",
            area=areas[-1],
            broker=broker,
            consent_broker=False,
            consent_area_lead=False,
        )
        for area in areas:
            db.session.add(OrganisationArea(organisation_id=group.id, area_id=area.id))
        response = submitted(
            round_, group, {"ss_anything_else": secret or "nothing to add"}, score=score, level=5
        )
        for domain in instrument.domains:
            db.session.add(
                DomainScore(response_id=response.id, domain_id=domain.id, score=score, level=5)
            )
        groups.append(group)
    return groups


@pytest.fixture
def seeded(no_csrf):
    """Two separate area trees: A with 3 responses (suppressed), B with 6 (shown)."""
    broker = factories.broker()
    tree_a, tree_b = _tree("A"), _tree("B")
    round_ = open_round("vcse-readiness", "readiness-test", areas=[tree_a[0], tree_b[0]])
    secret_groups = _groups(round_, tree_a, 3, SUPPRESSED_SCORE, broker, secret=SECRET)
    _groups(round_, tree_b, 6, SHOWN_SCORE, broker)
    users = {
        "admin": staff("admin", "admin@example.org"),
        "area-lead": staff("area-lead", "lead@example.org", areas=[tree_a[0], tree_b[0]]),
        "board": staff("board", "board@example.org"),
        "broker": staff("broker", "broker@example.org", broker=broker),
    }
    token = add_api_token()
    db.session.commit()
    return {
        "app": no_csrf,
        "round": round_,
        "group": secret_groups[0],
        "areas": tree_a + tree_b,
        "ids": {role: user.id for role, user in users.items()},
        "token": token,
    }


def _body(page) -> str:
    return page.get_data(as_text=True)


def _readable(body: bytes) -> str:
    """What a person could read in a response: the text, or every cell of a workbook.

    A workbook is a zip, so its numbers are not in its bytes as text: read each
    cell back, numbers written the ways a figure is shown (2 or 3 places, or all).
    """
    if not body.startswith(b"PK"):
        return body.decode("utf-8", errors="replace")
    import io

    from openpyxl import load_workbook

    cells = []
    for sheet in load_workbook(io.BytesIO(body), read_only=True).worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, float):
                    cells += [f"{value:.2f}", f"{value:.3f}", repr(value)]
                elif value is not None:
                    cells.append(str(value))
    return "\n".join(cells)


def test_the_secret_answer_is_there_to_be_found_by_an_admin(seeded):
    admin = client_as(seeded["app"], seeded["ids"]["admin"])
    page = admin.get(f"/staff/groups/{seeded['group'].id}/data.json")
    assert SECRET in _body(page), "the walk below looks for something that exists"


@pytest.mark.parametrize(
    ("rule", "method"), GROUP_ROUTES, ids=[f"{m} {r.rule}" for r, m in GROUP_ROUTES]
)
def test_no_group_page_gives_its_answers_without_consent(seeded, rule, method):
    group = seeded["group"]
    values = argument_values(round_=seeded["round"], organisation=group, area=seeded["areas"][3])
    path = url_for_walk(rule, values)
    assert path is not None, f"{rule.rule}: cannot build its arguments"
    for role in ("area-lead", "board", "broker"):
        page = request(client_as(seeded["app"], seeded["ids"][role]), method, path)
        assert page.status_code < 500
        if page.status_code in (401, 403, 404):
            continue
        body = _body(page)
        assert SECRET not in body, f"{method} {path} gave the answers to a {role}"
        assert group.name not in body, f"{method} {path} named the group to a {role}"


def _walk_gets(seeded, role: str):
    """(path, body) for every GET staff or API route, for areas at both ends of tree A and B.

    Invitation-link pages are left out: the link is the group's own key, and
    whoever holds it is the group.
    """
    client = client_as(seeded["app"], seeded["ids"][role] if role != "api" else None)
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    seen = set()
    ics_a, hood_a, hood_b = seeded["areas"][0], seeded["areas"][3], seeded["areas"][7]
    for area in (ics_a, hood_a, hood_b):
        values = argument_values(round_=seeded["round"], organisation=seeded["group"], area=area)
        for rule in all_rules():
            if "GET" not in rule.methods or PERMISSIONS.get(rule.endpoint) == GROUP:
                continue
            if rule.endpoint == "static":
                continue
            path = url_for_walk(rule, values)
            if path is None or path in seen:
                continue
            seen.add(path)
            page = request(client, "GET", path, headers=headers)
            assert page.status_code < 500, f"GET {path} as {role}: {page.status_code}"
            if page.status_code == 200:
                yield path, page.get_data()


def test_no_page_or_api_answer_shows_a_suppressed_figure_or_an_answer(seeded):
    for role in ("area-lead", "board", "api"):
        shown, workbooks, workbooks_with_figures = [], [], []
        for path, body in _walk_gets(seeded, role):
            text = _readable(body)
            if body.startswith(b"PK"):
                workbooks.append(path)
            assert SECRET not in text, f"GET {path} gave a group's answer to {role}"
            for figure in (f"{SUPPRESSED_SCORE:.2f}", f"{SUPPRESSED_SCORE:.3f}"):
                assert figure not in text, f"GET {path} shows {figure}, from only 3 responses"
            if f"{SHOWN_SCORE:.2f}" in text:
                shown.append(path)
                if body.startswith(b"PK"):
                    workbooks_with_figures.append(path)
        assert shown, f"no page showed the 6-response figure to {role}: the walk saw no figures"
        if role != "api":
            assert workbooks, f"the walk read no workbook as {role}"
            assert workbooks_with_figures, f"no workbook showed the 6-response figure to {role}"


def test_who_may_see_a_named_groups_answers_is_admins_and_with_consent_its_broker_or_area_lead(app):
    """The rule in words: an admin always; the group's own broker only if the group said yes
    to it; an area lead only for a group in an area under theirs that said yes to area
    leads; a board member, another broker, an area lead elsewhere or anyone signed out, never."""
    from flask_login import AnonymousUserMixin

    from survey.access import may_see_group_answers

    place = factories.area(type="place")
    ward = factories.area(parent=place)
    elsewhere = factories.area(type="place")
    cvs, other_cvs = factories.broker("Own CVS"), factories.broker("Other CVS")
    yes = factories.organisation(area=ward, broker=cvs, consent_broker=True, consent_area_lead=True)
    no = factories.organisation(
        area=ward, broker=cvs, consent_broker=False, consent_area_lead=False
    )
    people = {
        "admin": factories.user("admin"),
        "own broker": factories.user("broker", broker=cvs),
        "other broker": factories.user("broker", broker=other_cvs),
        "lead of the place": factories.user("area-lead", areas=[place]),
        "lead elsewhere": factories.user("area-lead", areas=[elsewhere]),
        "board": factories.user("board"),
        "signed out": AnonymousUserMixin(),
    }
    db.session.commit()
    seen = {
        who: (may_see_group_answers(u, yes), may_see_group_answers(u, no))
        for who, u in people.items()
    }
    assert seen == {
        "admin": (True, True),
        "own broker": (True, False),
        "other broker": (False, False),
        "lead of the place": (True, False),
        "lead elsewhere": (False, False),
        "board": (False, False),
        "signed out": (False, False),
    }
