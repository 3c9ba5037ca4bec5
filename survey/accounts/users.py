"""Administrators' pages for staff accounts: list, add, change role, areas and access."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from .. import audit
from ..extensions import db
from ..models import User
from .forms import AddUserForm, ChangeUserForm
from .views import bp


def _describe(user: User) -> dict:
    """Role, areas, broker and access, as the audit log records a change."""
    return {
        "role": user.role,
        "areas": sorted(a.code for a in user.areas),
        "broker": user.broker.id if user.broker else None,
        "active": user.active,
    }


def _apply_role(user: User, form) -> None:
    """Areas only for area leads, a broker only for brokers."""
    user.role = form.role.data
    user.areas = form.found_areas if user.role == "area-lead" else []
    user.broker = form.found_broker if user.role == "broker" else None


@bp.get("/staff/users")
def users():
    """Every staff account, with its role and whether it may sign in."""
    people = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.email)).all()
    return render_template("views/accounts/users.html", users=people)


@bp.route("/staff/users/new", methods=["GET", "POST"])
def add_user():
    """Add a member of staff with a role (and areas or a broker where the role needs one)."""
    form = AddUserForm()
    if form.validate_on_submit():
        user = User(email=form.email.data.strip().lower(), password_hash="")
        user.set_password(form.password.data)
        _apply_role(user, form)
        db.session.add(user)
        db.session.flush()
        audit.record(current_user, audit.USER_ADDED, user, _describe(user))
        db.session.commit()
        flash(f"{user.email} can now sign in as {user.role}.")
        return redirect(url_for("accounts.users"))
    status = 400 if form.errors else 200
    return render_template("views/accounts/user_form.html", form=form, user=None), status


@bp.route("/staff/users/<int:user_id>", methods=["GET", "POST"])
def change_user(user_id: int):
    """Change a member of staff's role, areas or broker, or stop them signing in."""
    user = db.session.get(User, user_id) or abort(404)
    form = ChangeUserForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.areas.data = ", ".join(sorted(a.code for a in user.areas))
        form.broker.data = str(user.broker_id or "")
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            form.role.errors.append("You cannot take away your own administrator access")
        else:
            before = _describe(user)
            _apply_role(user, form)
            user.active = bool(form.active.data)
            after = _describe(user)
            detail = {"from": before, "to": after}
            if form.new_password.data:
                user.set_password(form.new_password.data)  # ends the person's sessions
                detail["password"] = "changed"
            if after != before:
                user.end_sessions()  # the new role applies from their next sign-in
            if after != before or form.new_password.data:
                audit.record(current_user, audit.USER_CHANGED, user, detail)
            db.session.commit()
            if user.id == current_user.id:
                login_user(user)  # their own new password: this session carries on
            flash(f"Saved the changes to {user.email}.")
            return redirect(url_for("accounts.users"))
    status = 400 if form.errors else 200
    return render_template("views/accounts/user_form.html", form=form, user=user), status
