"""The admin page that issues and revokes API tokens (a new token is shown once only)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..models import ApiToken
from ..validators import Printable
from .tokens import issue_token, revoke_token

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")


class TokenForm(FlaskForm):
    """Who the token is for."""

    name = StringField(
        "Who or what will use the token",
        validators=[
            DataRequired("Enter who or what will use the token"),
            Length(max=200, message="The name must be 200 characters or fewer"),
            Printable("The name must not contain control characters"),
        ],
    )


class RevokeForm(FlaskForm):
    """Just the CSRF token."""


def _tokens() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc())))


@bp.route("", methods=["GET", "POST"])
def api_tokens():
    """List tokens and issue a new one."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _, new_token = issue_token(
            form.name.data.strip(), actor=current_user.email, created_by_id=current_user.id
        )
        db.session.commit()
        form = TokenForm(formdata=None)
    status = 400 if form.errors else 200
    return render_template(
        "views/api/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=_tokens(),
        new_token=new_token,
    ), status


@bp.post("/<int:token_id>/revoke")
def revoke_api_token(token_id: int):
    """Revoke one token: it stops working at once."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    row = db.session.get(ApiToken, token_id)
    if row is None:
        abort(404)
    revoke_token(row, actor=current_user.email)
    db.session.commit()
    flash(f"Token {row.id} ({row.name}) is revoked.")
    return redirect(url_for("api_tokens.api_tokens"))
