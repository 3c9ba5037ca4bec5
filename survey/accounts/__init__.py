"""Staff accounts: sign in, sign out, the staff dashboard."""

from flask import Flask

from .views import bp


def init_app(app: Flask) -> None:
    """Register the accounts pages."""
    app.register_blueprint(bp)
