"""A group's two links, and who may follow them to its answers.

- The invitation link (``Invitation.token``) is what staff hand out: the CSV,
  letters, emails. It starts a group that has nothing in the round yet. Once the
  group has any response there (a draft, a submission, paper answers), it only
  opens the start page, which offers to email the group's own link to the
  organisation's address on file.
- The private link (``Invitation.private_token``) is made when the group first
  saves anything and is only ever shown to the group: its pages, the saved page,
  emails to the group. The same browser remembers it, so a group that reopens
  its invitation link carries on without noticing.

Whatever the link, a signed-in member of staff who may not see the group's
answers (``access.may_see_group_answers``, the one rule) gets 403 on every page
that shows or changes them; staff who may are let through and audited.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, current_app, has_request_context, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..access import may_see_group_answers
from ..extensions import db
from ..models import Invitation, new_token

# Pages that show no answers: open through the invitation link of a group that has started.
NO_ANSWERS = frozenset({"journey.start", "journey.email_link"})
REMEMBERED = "own_links"  # session key: invitation id -> private token (the group's browser)
REMEMBER_AT_MOST = 5


def group_link(token: str, base_url: str | None = None) -> str:
    """The full address of a group's link (either kind): the one place links are built.

    It starts with SURVEY_BASE_URL (``SERVER_URL``), never the address a request came in
    on, so a forged Host header cannot put someone else's site into a group's email.
    ``base_url`` overrides it (``survey invitations --base-url``).
    """
    base = (base_url or current_app.config["SERVER_URL"]).rstrip("/")
    return f"{base}/r/{token}"


GROUP_ANSWERS_OPENED = "group-answers-opened"
PRIVATE_LINK_EMAILED = "private-link-emailed"


def ensure_private_token(invitation: Invitation) -> str:
    """The invitation's private token, made now if it has none (joins the caller's commit).

    Two first saves at once both ask: the UPDATE only fills an empty column, so
    both end up with the one token that was stored first.
    """
    if invitation.private_token:
        return invitation.private_token
    db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.private_token.is_(None))
        .values(private_token=new_token())
        .execution_options(synchronize_session=False)
    )
    token = db.session.scalar(
        sa.select(Invitation.private_token).where(Invitation.id == invitation.id)
    )
    set_committed_value(invitation, "private_token", token)
    if (
        has_request_context()
        and request.blueprint == "journey"
        and request.endpoint not in NO_ANSWERS
        and not current_user.is_authenticated
    ):
        _remember(invitation)  # the browser that saved keeps its way back
    return token


def mask_email(address: str | None) -> str:
    """Enough of an address for the group to recognise it: g****@example.org."""
    if not address or "@" not in address:
        return ""
    name, domain = address.rsplit("@", 1)
    return f"{name[:1]}{'*' * max(len(name) - 1, 3)}@{domain}"


def _remembered(invitation: Invitation) -> str | None:
    token = (session.get(REMEMBERED) or {}).get(str(invitation.id))
    if token and token == invitation.private_token:
        return token
    return None


def _remember(invitation: Invitation) -> None:
    """Keep this group's link among the REMEMBER_AT_MOST this browser used most recently."""
    links = dict(session.get(REMEMBERED) or {})
    key = str(invitation.id)
    if list(links.items())[-1:] == [(key, invitation.private_token)]:
        return  # already the newest: the session is not rewritten on every page
    links.pop(key, None)
    links[key] = invitation.private_token
    session[REMEMBERED] = dict(list(links.items())[-REMEMBER_AT_MOST:])


def guard(invitation: Invitation, via_private: bool, started: Callable[[], bool]) -> None:
    """Stop the request unless this link may open this page for whoever is asking.

    via_private: the address holds the private link, not the invitation link.
    started: whether the group has any response in the round (asked only when needed).
    """
    if not has_request_context():
        return
    endpoint = request.endpoint
    # Through the private link every page is the group's own (its start page says when
    # it sent its answers); through the invitation link only NO_ANSWERS pages are open.
    shows_answers = via_private or endpoint not in NO_ANSWERS
    organisation = invitation.organisation
    staff = current_user.is_authenticated
    if (
        staff
        and shows_answers
        and organisation is not None
        and not may_see_group_answers(current_user, organisation)
    ):
        abort(403)
    if not via_private and started():
        remembered = _remembered(invitation)
        if remembered and request.method == "GET":
            args = {**request.args.to_dict(), **(request.view_args or {}), "token": remembered}
            abort(redirect(url_for(endpoint, **args)))
        if shows_answers:
            abort(redirect(url_for("journey.start", token=invitation.token), code=303))
    elif via_private and not staff:
        _remember(invitation)
    audited = "survey.answers_audited"
    if staff and shows_answers and organisation is not None and audited not in request.environ:
        request.environ[audited] = True
        audit.record(
            current_user,
            GROUP_ANSWERS_OPENED,
            organisation,
            {"round": invitation.round.slug, "page": endpoint, "method": request.method},
        )
        db.session.commit()
