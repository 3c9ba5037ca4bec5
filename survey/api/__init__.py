"""The read-only JSON API for BI tools, with its OpenAPI document."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's pages."""
