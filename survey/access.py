"""Who may open which page, and whose data they may see: the one permission table.

Every endpoint must have an entry in ``PERMISSIONS``; a request to an endpoint
without one is refused (403), and a test walks every route with every role
so that a new page cannot be added without deciding who sees it.
Pages for groups are ``GROUP``: open to anyone, because the token in the address
is the key; the view returns 404 for a bad token, and ``journey.links.guard``
applies ``may_see_group_answers`` to signed-in staff on every page with answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import Flask, abort, g, redirect, request, url_for
from flask_login import LoginManager, current_user

from .extensions import db
from .models import ROLES, Area, Organisation, User
from .sql import ids_in

ADMIN, BROKER, AREA_LEAD, BOARD = ROLES
PUBLIC = frozenset({"public"})
GROUP = frozenset({"invitation"})  # the invitation token is the key; the view checks it
STAFF = frozenset(ROLES)
ANALYSTS = frozenset({ADMIN, AREA_LEAD, BOARD, BROKER})  # aggregates, suppressed
ADMINS = frozenset({ADMIN})

# endpoint -> who may open it. Keep it sorted by blueprint; every route needs a line.
PERMISSIONS: dict[str, frozenset[str]] = {
    "static": PUBLIC,
    "views.home": PUBLIC,
    "views.healthz": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": STAFF,
    "accounts.dashboard": STAFF,
    "accounts.users": ADMINS,
    "accounts.add_user": ADMINS,
    "accounts.change_user": ADMINS,
    "accounts.audit_log": ADMINS,
    "accounts.audit_log_csv": ADMINS,
    "accounts.groups": ADMINS,
    "accounts.group_privacy": ADMINS,
    "accounts.group_data": ADMINS,
    "accounts.group_links": ADMINS,
    "accounts.erase": ADMINS,
    "journey.start": GROUP,
    "journey.resume": GROUP,
    "journey.section": GROUP,
    "journey.consent": GROUP,
    "journey.check_answers": GROUP,
    "journey.amend": GROUP,
    "journey.saved": GROUP,
    "journey.result": GROUP,
    "journey.result_download": GROUP,
    "journey.email_link": GROUP,
    "journey.paper_answers": GROUP,
    "journey.stop_reminders_page": GROUP,  # the signed token in the address is the key
    "journey.ask_for_help": GROUP,
    "journey.listing": GROUP,  # the group's directory entry: its check page
    "journey.listing_step": GROUP,
    "journey.listing_still_right": GROUP,
    "rounds.list_rounds": frozenset({ADMIN, BROKER}),
    "rounds.open_round": ADMINS,
    "rounds.invitations": frozenset({ADMIN, BROKER}),
    "rounds.create_invitations": ADMINS,
    "rounds.invitations_download": frozenset({ADMIN, BROKER}),
    "rounds.reissue_link": frozenset({ADMIN, BROKER}),
    "rounds.email_invitation": frozenset({ADMIN, BROKER}),
    "areas.index": ANALYSTS,
    "areas.area_page": ANALYSTS,
    "areas.map_page": ANALYSTS,
    "areas.map_png": ANALYSTS,
    "areas.map_file": ANALYSTS,
    "areas.compare": ANALYSTS,
    "areas.compare_png_view": ANALYSTS,
    "areas.import_data": ADMINS,
    # The JSON API uses bearer tokens, not the session: its blueprint checks them (401).
    "api.openapi": PUBLIC,
    "api.rounds": PUBLIC,
    "api.round_detail": PUBLIC,
    "api.areas": PUBLIC,
    "api.aggregates": PUBLIC,
    "api.not_found": PUBLIC,
    # The Open Referral UK API: listed groups' public fields only (survey.directory), no token.
    "oruk.root": PUBLIC,
    "oruk.openapi": PUBLIC,
    "oruk.services": PUBLIC,
    "oruk.service": PUBLIC,
    "oruk.taxonomies": PUBLIC,
    "oruk.taxonomy_detail": PUBLIC,
    "oruk.not_found": PUBLIC,
    "directory.area_listing": PUBLIC,  # the same listings, as a page
    "api_tokens.api_tokens": ADMINS,
    "api_tokens.revoke_api_token": ADMINS,
    "downloads.score_downloads": ANALYSTS,
    "downloads.round_scores_csv": ANALYSTS,
    "downloads.round_scores_json": ANALYSTS,
    # Workbooks and boards (survey/reports): aggregates for analysts, named groups for brokers.
    "reports.roadmaps": ANALYSTS,
    "reports.roadmap_download": ANALYSTS,
    "reports.trends_home": ANALYSTS,
    "reports.trends": ANALYSTS,
    "reports.trends_download": ANALYSTS,
    "reports.board_pack": ANALYSTS,
    "reports.board_pack_print": ANALYSTS,
    "reports.board_pack_download": ANALYSTS,
    "reports.portfolio_home": frozenset({ADMIN, BROKER}),
    "reports.portfolio_page": frozenset({ADMIN, BROKER}),
    "reports.portfolio_reminders": frozenset({ADMIN, BROKER}),
    "reports.portfolio_plans": frozenset({ADMIN, BROKER}),
    "reports.moderate": frozenset({ADMIN, BROKER}),
    "reports.group_plan": frozenset({ADMIN, BROKER}),
    "reports.paper": frozenset({ADMIN, BROKER}),
    "reports.paper_template_download": frozenset({ADMIN, BROKER}),
    # Groups' requests for help: the view shows a broker only its own (and its areas' pool).
    "reports.caseload": frozenset({ADMIN, BROKER}),
    "reports.help_request": frozenset({ADMIN, BROKER}),
    "reports.help_request_log": frozenset({ADMIN, BROKER}),
    "reports.support_plans_upload": frozenset({ADMIN, BROKER}),
    # Groups' directory entries: a broker's own groups (the view picks them), freshness.
    "reports.directory_entries_page": frozenset({ADMIN, BROKER}),
    "reports.directory_entry_checked": frozenset({ADMIN, BROKER}),
    "reports.directory_entries_email": frozenset({ADMIN, BROKER}),
}

# (endpoint, link text) for the staff home page; shown to the roles the table allows.
STAFF_LINKS: list[tuple[str, str]] = [
    ("accounts.users", "Staff accounts and roles"),
    ("accounts.audit_log", "Audit log"),
    ("accounts.groups", "A group's data: download or erase"),
    ("rounds.list_rounds", "Survey rounds and invitation links"),
    ("areas.map_page", "Map of areas"),
    ("areas.index", "Areas: figures and drill-down"),
    ("areas.compare", "Compare areas"),
    ("areas.import_data", "Import boundaries, GP practices and groups"),
    ("downloads.score_downloads", "Download scores (CSV, JSON)"),
    ("api_tokens.api_tokens", "API tokens for BI tools"),
    ("reports.portfolio_home", "Your portfolio: who responded, support plans, moderation"),
    ("reports.caseload", "Requests for help from groups"),
    ("reports.directory_entries_page", "Your groups’ directory listings: check and keep fresh"),
    ("reports.paper", "Paper answers: template and upload"),
    ("reports.roadmaps", "Area roadmap workbooks"),
    ("reports.trends_home", "Board trends: the yearly confidence survey"),
]

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user a session names ("id:generation"), if it is still theirs to use.

    Sign-out, a role change and a password change raise the user's
    ``session_epoch``; a session issued before that names the old value and no
    longer signs anyone in, wherever its cookie was copied to.
    """
    ident, _, epoch = user_id.partition(":")
    if not (ident.isdigit() and len(ident) <= 18 and (epoch.isdigit() or not epoch)):
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or int(epoch or 0) != (user.session_epoch or 0):
        return None
    return user


def allowed(endpoint: str | None, user) -> bool:
    """True when this user (or an anonymous visitor) may open the endpoint."""
    roles = PERMISSIONS.get(endpoint or "")
    if roles is None:
        return False
    if roles & (PUBLIC | GROUP):
        return True
    return bool(user.is_authenticated and user.role in roles)


def _check_request():
    # The signed-in user is read from this request's session, never left over in ``g``
    # from an earlier request that shared the app context (as tests do).
    g.pop("_login_user", None)
    if request.endpoint is None:
        return None  # no such route: the 404 handler answers
    if allowed(request.endpoint, current_user):
        return None
    if request.endpoint in PERMISSIONS and not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    abort(403)


def areas_under(area_ids: Iterable[int]) -> sa.Select:
    """These areas and every area below them, down the parent links, as a query of their
    ids (one recursive query: a walk a level at a time sent an ICS's 8,908 areas back as
    bound parameters, 0.1 s, and the roadmap sent them again to read its localities). A
    loop in the parent links ends: UNION drops an area already found."""
    tree = sa.select(Area.id).where(ids_in(Area.id, area_ids)).cte(recursive=True)
    tree = tree.union(sa.select(Area.id).join(tree, Area.parent_id == tree.c.id))
    return sa.select(tree.c.id)


def area_ids_under(area_ids: set[int]) -> set[int]:
    """These areas and every area below them, down the parent links."""
    return set(db.session.scalars(areas_under(area_ids))) if area_ids else set()


def visible_area_ids(user) -> set[int] | None:
    """Areas whose aggregates the user may see: None means all of them."""
    if user.role == AREA_LEAD:
        return area_ids_under({a.id for a in user.areas})
    return None


def signed_in_user():
    """The signed-in user itself, not Flask-Login's proxy to it: a list checks the user
    once for each of thousands of groups, and each read through the proxy costs a
    lookup (a fifth of a 40,000-group roadmap)."""
    return current_user._get_current_object()


def may_see_group_answers(
    user, organisation: Organisation, *, areas: set[int] | None = None
) -> bool:
    """A named group's own answers: admins; its broker or area lead only with its consent.

    areas: the user's visible_area_ids when the caller already has them (a list of groups).
    """
    return group_answers_rule(user, areas=areas)(organisation)


def group_answers_rule(user, *, areas: set[int] | None = None) -> Callable[[Organisation], bool]:
    """may_see_group_answers for one user, as a check to make of many groups: the user's
    role, broker and areas are read once (a portfolio checks 20,000 groups, and reading
    the user's attributes for each took 0.07 s)."""
    if not user.is_authenticated:
        return _no_group
    role = user.role
    if role == ADMIN:
        return _any_group
    if role == BROKER:
        broker_id = user.broker_id
        return lambda organisation: (
            organisation.broker_id == broker_id and (organisation.consent_broker)
        )
    if role == AREA_LEAD:
        mine = areas if areas is not None else visible_area_ids(user) or set()
        return lambda organisation: (
            organisation.area_id in mine and (organisation.consent_area_lead)
        )
    return _no_group


def _any_group(organisation) -> bool:
    return True


def _no_group(organisation) -> bool:
    return False


def staff_links(user) -> list[dict]:
    """The staff home page's links this user may follow."""
    return [
        {"href": url_for(endpoint), "text": text}
        for endpoint, text in STAFF_LINKS
        if allowed(endpoint, user)
    ]


def init_app(app: Flask) -> None:
    """Sign-in and the permission check before every request."""
    login_manager.init_app(app)
    app.before_request(_check_request)
    app.jinja_env.globals["staff_links"] = staff_links
