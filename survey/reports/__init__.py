"""Workbooks and boards: roadmaps, support plans, trends, paper responses, broker portfolio."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's pages."""
