"""Workbooks and boards: roadmaps, support plans, trends, paper responses, broker portfolio."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's pages."""
    from . import board, portfolio, views  # noqa: F401 (board, portfolio add routes to the blueprint)

    app.register_blueprint(views.bp)
