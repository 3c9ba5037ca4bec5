"""Workbooks and boards: roadmaps, support plans, trends, paper responses, broker portfolio."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's pages."""
    from . import portfolio, views  # noqa: F401 (portfolio adds its routes to the blueprint)

    app.register_blueprint(views.bp)
