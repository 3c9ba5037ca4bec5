"""Area pages for ICP and place leads: maps, aggregates, comparison."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's pages."""
    from .views import bp

    app.register_blueprint(bp)
