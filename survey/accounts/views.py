"""Sign-in pages for staff (groups never sign in: their invitation link is the key)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired

from ..extensions import db
from ..models import User

bp = Blueprint("accounts", __name__)


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email address", validators=[InputRequired("Enter your email address")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another site's address."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("accounts.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        failed = True
    return render_template("views/accounts/login.html", form=form, failed=failed), (
        401 if failed else 200
    )


@bp.post("/sign-out")
def logout():
    """Sign out and go back to the home page."""
    logout_user()
    flash("You have signed out.")
    return redirect(url_for("views.home"))


@bp.get("/staff")
def dashboard():
    """Where a member of staff starts: links to what their role can do."""
    return render_template("views/accounts/dashboard.html", user=current_user)
