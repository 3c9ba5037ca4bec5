"""Workbooks and boards: roadmaps, support plans, trends, paper responses, broker portfolio."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's pages."""
    from . import board, caseload, directory_entries, portfolio, views  # noqa: F401 (they add routes to the blueprint)

    app.register_blueprint(views.bp)
