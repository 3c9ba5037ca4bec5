"""Administrators' privacy pages for a group: see what is held, download it, erase it."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import audit
from ..extensions import db
from ..journey.links import group_link
from ..models import Invitation, Organisation
from .forms import EraseGroupForm
from .group_records import counts_held, erase_group, held_about
from .views import bp

PAGE_SIZE = 50
PRIVATE_LINKS_SHOWN = "private-links-shown"


@bp.get("/staff/groups")
def groups():
    """Find a group by name to see, download or erase what is held about it."""
    search = request.args.get("q", "")[:200].strip()
    query = sa.select(Organisation).order_by(Organisation.name, Organisation.id)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Organisation.name.ilike(f"%{escaped}%", escape="\\"))
    found = db.session.scalars(query.limit(PAGE_SIZE + 1)).all()
    return render_template(
        "views/accounts/groups.html",
        groups=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        search=search,
    )


def _group(org_id: int) -> Organisation:
    return db.session.get(Organisation, org_id) or abort(404)


@bp.get("/staff/groups/<int:org_id>")
def group_privacy(org_id: int):
    """What is held about one group, with its consent choices."""
    organisation = _group(org_id)
    return render_template(
        "views/accounts/group_privacy.html",
        group=organisation,
        counts=counts_held(organisation),
        form=EraseGroupForm(),
    )


@bp.post("/staff/groups/<int:org_id>/links")
def group_links(org_id: int):
    """Show the group's own (private) links, to help a group that lost its way back (audited)."""
    organisation = _group(org_id)
    if not FlaskForm().validate():
        abort(400)
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.organisation_id == organisation.id, Invitation.revoked_at.is_(None))
        .order_by(Invitation.id)
    ).all()
    links = [
        (
            inv.round.title,
            group_link(inv.private_token) if inv.private_token else None,
        )
        for inv in invitations
    ]
    audit.record(
        current_user,
        PRIVATE_LINKS_SHOWN,
        organisation,
        {"rounds": [inv.round.slug for inv in invitations if inv.private_token]},
    )
    db.session.commit()
    return render_template(
        "views/accounts/group_privacy.html",
        group=organisation,
        counts=counts_held(organisation),
        form=EraseGroupForm(formdata=None),
        links=links,
    )


@bp.get("/staff/groups/<int:org_id>/data.json")
def group_data(org_id: int):
    """Download everything held about the group as JSON (audited)."""
    organisation = _group(org_id)
    held = held_about(organisation)
    audit.record(current_user, audit.GROUP_EXPORTED, organisation)
    db.session.commit()
    return Response(
        json.dumps(held, indent=2, ensure_ascii=False, default=str),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="group-{org_id}-data.json"'},
    )


@bp.post("/staff/groups/<int:org_id>/erase")
def erase(org_id: int):
    """Erase the group's answers, scores, invitations, responses and its own row (audited)."""
    organisation = _group(org_id)
    form = EraseGroupForm()
    if not form.validate_on_submit():
        page = render_template(
            "views/accounts/group_privacy.html",
            group=organisation,
            counts=counts_held(organisation),
            form=form,
        )
        return page, 400
    counts = erase_group(organisation)
    audit.record(current_user, audit.GROUP_ERASED, f"organisation:{org_id}", {"rows": counts})
    db.session.commit()
    flash(f"Erased everything held about group {org_id}.")
    return redirect(url_for("accounts.groups"))
