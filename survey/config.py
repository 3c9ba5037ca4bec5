"""Configuration read from the environment, with defaults for one machine."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(instance_path: Path) -> str:
    """DATABASE_URL, with the postgres:// spelling mended, else SQLite under instance/."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'survey.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _flag(name: str, default: bool) -> bool:
    """A yes/no setting: 0, false, no and off mean no."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def load_config(instance_path: Path) -> dict:
    """The app's settings: environment first, then the defaults."""
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DISCLOSURE_THRESHOLD": int(os.environ.get("SURVEY_DISCLOSURE_THRESHOLD", "5")),
        # Where the service is reached: the start of every link a group is sent.
        "SERVER_URL": os.environ.get("SURVEY_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "INSTRUMENTS_DIR": os.environ.get("SURVEY_INSTRUMENTS_DIR"),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies unless SURVEY_SECURE_COOKIES=0; `survey run` on 127.0.0.1 turns it off.
        "SESSION_COOKIE_SECURE": _flag("SURVEY_SECURE_COOKIES", default=True),
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(
            hours=float(os.environ.get("SURVEY_SESSION_HOURS", "8"))
        ),
        "SIGN_IN_ATTEMPTS": int(os.environ.get("SURVEY_SIGN_IN_ATTEMPTS", "5")),
        "SIGN_IN_WINDOW_MINUTES": int(os.environ.get("SURVEY_SIGN_IN_WINDOW_MINUTES", "15")),
        # The other sign-in counts and the back-off (survey/accounts/throttle.py, README).
        "SIGN_IN_ADDRESS_ATTEMPTS": int(os.environ.get("SURVEY_SIGN_IN_ADDRESS_ATTEMPTS", "20")),
        "SIGN_IN_ACCOUNT_ATTEMPTS": int(os.environ.get("SURVEY_SIGN_IN_ACCOUNT_ATTEMPTS", "20")),
        "SIGN_IN_OVERALL_ATTEMPTS": int(os.environ.get("SURVEY_SIGN_IN_OVERALL_ATTEMPTS", "300")),
        "SIGN_IN_BACKOFF_SECONDS": int(os.environ.get("SURVEY_SIGN_IN_BACKOFF_SECONDS", "15")),
        "WTF_CSRF_TIME_LIMIT": None,
        # Proxies in front that add X-Forwarded-For/-Proto (0: none; trust no such header).
        "PROXY_HOPS": int(os.environ.get("SURVEY_PROXY_HOPS", "0")),
        # A page shows the last published figures while newer ones are published by a
        # thread, rather than waiting for them (survey/publication.py); 0 to wait.
        "PUBLISH_IN_BACKGROUND": _flag("SURVEY_PUBLISH_IN_BACKGROUND", default=True),
    }
