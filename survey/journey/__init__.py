"""The respondent journey: invitation link, one page per section, check answers, result."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's pages."""
