"""Every route, walked by every role and by an anonymous visitor, answers as the table says.

Expectations come from the hand-written matrix in tests/access_expected.py, not from
survey/access.py PERMISSIONS: a wrong line in the table fails, and so does a route
with no line in either. Refused: 302 to the sign-in page for an anonymous visitor, 403 for staff.
Allowed: anything but a 500 or a trip to sign-in; a 403 only where the route names
a particular thing (the view may still refuse that thing: a round, a group).
Routes whose arguments cannot be built from the seeded database are only checked
for their line in the table.
"""

from __future__ import annotations

import re
import shutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.access import PERMISSIONS, allowed
from survey.demo import load_demo
from survey.extensions import db
from survey.models import Area, Broker, HelpRequest, Organisation, Round

from . import factories
from .access_expected import COLUMNS, MATRIX, expected
from .conftest import ENGINES, _empty_postgres
from .route_walk import (
    ROLES_AND_ANONYMOUS,
    add_api_token,
    all_rules,
    argument_values,
    client_as,
    request,
    url_for_walk,
    walks,
)

# What a content security policy without 'unsafe-inline' would block: inline script
# (a JSON data block is not script) and inline event handlers.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)

RULES = {(rule.endpoint, rule.rule): rule for rule in all_rules()}


@pytest.fixture(scope="module", params=ENGINES)
def walked(request, tmp_path_factory):
    """A demo database (30 groups) with one member of staff per role, for the whole module."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("walk") / "walk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    else:
        app = request.getfixturevalue("postgres_app")
        _empty_postgres(app)
    csrf_before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False  # POSTs arrive as forms without their token
    with app.app_context():
        load_demo(seed=1, groups=30)
        place = db.session.scalar(sa.select(Area).where(Area.type == "place").order_by(Area.id))
        broker = db.session.scalar(sa.select(Broker).order_by(Broker.id))
        users = {
            "admin": factories.user("admin", email="admin@walk.example"),
            "broker": factories.user("broker", email="broker@walk.example", broker=broker),
            "area-lead": factories.user("area-lead", email="lead@walk.example", areas=[place]),
            "board": factories.user("board", email="board@walk.example"),
        }
        add_api_token()
        _add_help_request(broker)
        db.session.commit()
        ids = {role: user.id for role, user in users.items()}
        values = argument_values(area=place)
        db.session.remove()
    yield SimpleNamespace(app=app, ids=ids, values=values)
    app.config["WTF_CSRF_ENABLED"] = csrf_before
    with app.app_context():
        db.session.remove()
        if request.param == "sqlite":
            db.engine.dispose()
    if request.param == "postgresql":
        _empty_postgres(app)


def _add_help_request(broker: Broker) -> None:
    """A request for help from one of the broker's groups, so its caseload pages are walked."""
    group = db.session.scalar(
        sa.select(Organisation).where(Organisation.broker_id == broker.id).order_by(Organisation.id)
    )
    round_ = db.session.scalar(sa.select(Round).order_by(Round.closes_on.desc()))
    db.session.add(
        HelpRequest(
            round_id=round_.id,
            organisation_id=group.id,
            broker_id=broker.id,
            area_id=group.area_id,
            subject_key="offer:walk",
            subject="A support offer",
            contact_by="email",
            contact_detail="group@walk.example",
        )
    )


def test_every_route_has_a_line_in_the_permission_table():
    missing = sorted({endpoint for endpoint, _ in RULES} - set(PERMISSIONS))
    assert missing == [], f"add these endpoints to survey/access.py PERMISSIONS: {missing}"


def test_every_line_in_the_permission_table_is_a_route():
    stale = sorted(set(PERMISSIONS) - {endpoint for endpoint, _ in RULES})
    assert stale == [], f"these PERMISSIONS lines name no route: {stale}"


def test_every_route_has_a_line_in_the_hand_written_matrix():
    endpoints = {endpoint for endpoint, _ in RULES}
    assert sorted(endpoints - set(MATRIX)) == [], "add them to tests/access_expected.py"
    assert sorted(set(MATRIX) - endpoints) == [], "these matrix lines name no route"


@pytest.mark.parametrize("endpoint", sorted(PERMISSIONS))
def test_the_permission_table_agrees_with_the_hand_written_matrix(endpoint):
    with create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "SECRET_KEY": "x"}
    ).test_request_context():
        table = {role: allowed(endpoint, _visitor(role)) for role in COLUMNS}
    assert table == {role: expected(endpoint, role) for role in COLUMNS}


def _visitor(role: str):
    if role == "anonymous":
        return SimpleNamespace(is_authenticated=False, role=None)
    return SimpleNamespace(is_authenticated=True, role=role)


@pytest.mark.parametrize("role", ROLES_AND_ANONYMOUS)
@pytest.mark.parametrize(
    ("endpoint", "path_rule", "method"),
    walks(),
    ids=lambda v: v if "/" in v or v in ("GET", "POST") else v,
)
def test_the_route_answers_as_the_table_says(walked, role, endpoint, path_rule, method):
    assert endpoint in PERMISSIONS, f"{endpoint} ({path_rule}) needs a line in PERMISSIONS"
    rule = RULES[(endpoint, path_rule)]
    path = url_for_walk(rule, walked.values)
    if path is None:
        return  # its arguments cannot be built here: its line in the table is what holds
    client = client_as(walked.app, walked.ids.get(role))
    page = request(client, method, path)
    status, location = page.status_code, page.headers.get("Location", "")
    to_sign_in = status in (301, 302, 303) and location.split("?")[0].endswith("/sign-in")
    assert status < 500, f"{method} {path} as {role}: {status}"
    may = expected(endpoint, role)
    if not may and role == "anonymous":
        assert to_sign_in, f"{method} {path}: {status} {location}, expected a trip to sign in"
    elif not may:
        assert status == 403, f"{method} {path} as {role}: {status}, expected 403"
    else:
        assert not to_sign_in, f"{method} {path} as {role} was sent to sign in"
        if not rule.arguments:
            assert status != 403, f"{method} {path} as {role}: 403 but the table allows it"
    downloaded = page.headers.get("Content-Disposition", "").startswith("attachment")
    if status == 200 and page.mimetype == "text/html" and not downloaded:  # the map file is
        html = page.get_data(as_text=True)  # a download, sandboxed: its scripts are inline
        assert not INLINE_SCRIPT.search(html), f"{path}: inline script, which the CSP blocks"
        assert not INLINE_HANDLER.search(html), f"{path}: inline event handler (CSP blocks it)"


HUGE = str(2**64)  # past any table's integer id, on SQLite (2^63) and PostgreSQL (2^31)


def _with_huge_ids(rule, values) -> str | None:
    """The rule's path with 2^64 for every integer argument and real values for the rest."""
    path = rule.rule
    for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
        placeholder = re.search(rf"<[^>]*\b{name}>", path).group(0)
        if converter == "int":
            path = path.replace(placeholder, HUGE)
        elif name in values:
            path = path.replace(placeholder, str(values[name]))
        else:
            return None
    return path


@pytest.mark.parametrize("role", ROLES_AND_ANONYMOUS)
def test_ids_of_two_to_the_sixty_four_never_give_a_500(walked, role):
    client = client_as(walked.app, walked.ids.get(role))
    tried = 0
    for endpoint, path_rule, method in walks():
        rule = RULES[(endpoint, path_rule)]
        if "int:" not in rule.rule:
            continue
        path = _with_huge_ids(rule, walked.values)
        if path is None:
            continue
        page = request(client, method, path)
        tried += 1
        assert page.status_code < 500, f"{method} {path} as {role}: {page.status_code}"
        if expected(endpoint, role) and role != "anonymous":
            assert page.status_code in (400, 403, 404), f"{method} {path}: {page.status_code}"
    assert tried >= 5, "routes with integer ids were walked"


HOSTILE_FORMS = [
    {"csrf_token": "x", "version": "-1", "accept": "<script>", "email": "' OR 1=1 --"},
    {"version": HUGE, "choice": "=HYPERLINK(1)", "note": "😀" * 300, "password": "x" * 3000},
    {"version": ["1", "2"], "consent_broker": ["yes", "no"], "round": "\x00"},
]


@pytest.mark.parametrize("role", ROLES_AND_ANONYMOUS)
def test_every_form_takes_hostile_values_without_a_500(walked, role):
    client = client_as(walked.app, walked.ids.get(role))
    posted = 0
    for endpoint, path_rule, method in walks():
        if method != "POST" or endpoint in ("accounts.logout", "accounts.erase"):
            continue  # signing out ends the walk's session; erasing is fuzzed on its own
        path = url_for_walk(RULES[(endpoint, path_rule)], walked.values)
        if path is None:
            continue
        for form in HOSTILE_FORMS:
            page = client.post(path, data=form)
            posted += 1
            assert page.status_code < 500, f"POST {path} {form!r} as {role}: {page.status_code}"
    assert posted >= 30
