"""Pages every visitor sees: the home page, health check and error pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, render_template
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException

from .extensions import db
from .instruments_store import registry
from .models import Response, ResponseStatus, Round

bp = Blueprint("views", __name__)


@bp.get("/")
def home():
    """What the service is, and the rounds it holds."""
    counts = dict(
        db.session.execute(
            sa.select(Response.round_id, sa.func.count())
            .where(Response.status == ResponseStatus.SUBMITTED, Response.is_current)
            .group_by(Response.round_id)
        ).all()
    )
    rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc())).all()
    return render_template(
        "views/home.html", rounds=rounds, counts=counts, instruments=registry().all()
    )


@bp.get("/healthz")
def healthz():
    """Liveness and database check for a load balancer."""
    db.session.execute(sa.select(1))
    return {"status": "ok"}


def error_page(error: HTTPException):
    """Every HTTP error in the service's own style, with a way back."""
    if error.code is None and error.response is not None:
        return error.response  # abort(redirect(...)): a way on, not an error
    return render_template("views/error.html", error=error), error.code


def init_app(app: Flask) -> None:
    """Register the pages, the design-system templates and the error handlers."""
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, error_page)
