"""Data exchange: the read-only JSON API with its OpenAPI document and tokens, and score downloads."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API, the token admin page and the score downloads."""
    from . import admin, downloads, views

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(downloads.bp)
