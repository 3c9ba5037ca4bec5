"""The Open Referral UK API (UK profile 3.0): the public directory, read-only, no token."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the /oruk endpoints and the /directory pages."""
    from . import pages, views

    app.register_blueprint(views.bp)
    app.register_blueprint(pages.bp)
