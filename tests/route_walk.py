"""Walk every route in the app: build real arguments for it and make a request as someone.

Shared by the route-by-role, privacy and form-fuzzing tests, so that a page added
by anyone is walked by all of them without a test being edited.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from werkzeug.routing import Rule

from exports.oruk import oruk_id, taxonomy_id
from survey import create_app
from survey.directory import listed_select
from survey.extensions import db
from survey.instruments_store import registry
from survey.models import (
    ApiToken,
    Area,
    HelpRequest,
    Invitation,
    Organisation,
    Response,
    Round,
    User,
)
from survey.reminders import unsubscribe_token

ROLES_AND_ANONYMOUS = ["anonymous", "admin", "broker", "area-lead", "board"]
METHODS = ("GET", "POST")


def all_rules() -> list[Rule]:
    """Every route, read from an app built without touching a database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "SECRET_KEY": "x"})
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))


def walks() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route and method it answers."""
    return [
        (rule.endpoint, rule.rule, method)
        for rule in all_rules()
        for method in METHODS
        if method in (rule.methods or ())
    ]


def argument_values(
    round_: Round | None = None, organisation: Organisation | None = None, area: Area | None = None
) -> dict[str, object]:
    """A real value for each argument name the routes use, from what is in the database."""
    round_ = round_ or db.session.scalar(sa.select(Round).order_by(Round.closes_on.desc()))
    values: dict[str, object] = {"anything": "no/such/thing", "filename": "app/app.css"}
    if round_ is not None:
        values.update(slug=round_.slug, round_slug=round_.slug, round=round_.slug)
        values["round_id"] = round_.id
        sections = registry().get(round_.instrument_id, round_.instrument_version).sections
        values["section_id"] = sections[0].id
        invitations = db.session.scalars(
            sa.select(Invitation).where(Invitation.round_id == round_.id).order_by(Invitation.id)
        ).all()
        if invitations:
            values["token"] = invitations[0].token
            values["invitation_id"] = invitations[-1].id  # another, so a re-issue keeps token
    organisation = organisation or db.session.scalar(
        sa.select(Organisation).order_by(Organisation.id)
    )
    if organisation is not None:
        for name in ("org_id", "organisation_id", "group_id"):
            values[name] = organisation.id
        values["stop_token"] = unsubscribe_token(organisation.id)
        response = db.session.scalar(
            sa.select(Response).where(Response.organisation_id == organisation.id)
        )
        if response is not None:
            values["response_id"] = response.id
    listed = db.session.scalar(listed_select())
    if listed is not None:
        values["service_id"] = oruk_id("service", str(listed.id))
    values["taxonomy_id"] = taxonomy_id()
    area = area or db.session.scalar(sa.select(Area).where(Area.type == "place").order_by(Area.id))
    if area is not None:
        values.update(code=area.code, area_code=area.code, area_id=area.id)
    user = db.session.scalar(sa.select(User).where(User.role == "board"))
    if user is not None:
        values["user_id"] = user.id
    help_request = db.session.scalar(sa.select(HelpRequest).order_by(HelpRequest.id))
    if help_request is not None:
        values["request_id"] = help_request.id
    token = db.session.scalar(sa.select(ApiToken))
    if token is not None:
        values["token_id"] = token.id
    return values


def url_for_walk(rule: Rule, values: dict[str, object]) -> str | None:
    """The rule's path with real arguments, or None when an argument cannot be built."""
    if any(name not in values for name in rule.arguments):
        return None
    _, path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    return path


def add_api_token(name: str = "route walk") -> str:
    """An API token for a BI reader; returns the bearer value."""
    token = "svy_" + secrets.token_urlsafe(16)
    db.session.add(ApiToken(name=name, token_hash=hashlib.sha256(token.encode()).hexdigest()))
    return token


def client_as(app, user_id: int | None):
    """A test client signed in as this user (None: nobody)."""
    client = app.test_client()
    if user_id is not None:
        with app.app_context():  # the user's session generation now (a walked sign-out ends it)
            session_id = db.session.get(User, user_id).get_id()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
    return client


def request(client, method: str, path: str, headers: dict | None = None):
    """A GET, or a POST with an empty form (CSRF is off in the walking app)."""
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, data={}, headers=headers)
