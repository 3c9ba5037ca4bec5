"""Staff accounts: sign in, sign out, the staff home, users, the audit log, group privacy."""

from flask import Flask

from . import audit_log, groups, users  # noqa: F401 - their routes join the blueprint
from .views import bp


def init_app(app: Flask) -> None:
    """Register the accounts pages."""
    app.register_blueprint(bp)
