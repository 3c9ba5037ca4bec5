"""How `survey run` and gunicorn serve the app: one bare Server header, no link tokens in logs.

``survey run`` and a deployment's ``gunicorn "survey:create_app()"`` (which reads the
repository's gunicorn.conf.py) serve with the same settings, ``gunicorn_settings``:
worker processes from the CPU count, a graceful shutdown on SIGTERM and an access log.
``survey run --dev`` is Flask's development server with its reloader instead.

A group's link is its key (``/r/<token>``), so an access log line must never hold
it: every path, request line and referrer is written as ``/r/<redacted>``.
gunicorn uses AccessLogger (set by gunicorn_settings, or
``--logger-class survey.serving.AccessLogger``); the development server RequestHandler.
"""

from __future__ import annotations

import logging
import os
import re

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler

from .memory import settle_worker

GRACEFUL_SECONDS = 30  # on SIGTERM, requests in flight have this long to finish
# A worker busy this long on one request is killed and restarted (gunicorn's default, 30 s,
# is shorter than the largest exports: a 40,000-group portfolio's support plans take
# about 50 s, and the first map after a new national small-area layer is published about
# 75 s, bench/scale.py). The reverse proxy's read timeout must be at least as long.
WORKER_TIMEOUT_SECONDS = 180


def default_workers() -> int:
    """WEB_CONCURRENCY if set, else gunicorn's advice: two per CPU this process may use, plus one."""
    given = os.environ.get("WEB_CONCURRENCY", "").strip()
    if given:
        return int(given)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 * (cpus or 1) + 1


def gunicorn_settings() -> dict:
    """The gunicorn settings every server of this app uses (gunicorn.conf.py, `survey run`)."""
    return {
        "workers": default_workers(),
        "graceful_timeout": GRACEFUL_SECONDS,
        "timeout": WORKER_TIMEOUT_SECONDS,
        "accesslog": "-",
        "logger_class": "survey.serving.AccessLogger",
        "post_worker_init": settle_worker,
        # gunicorn's control socket (for gunicornc) has one default path per user, so two
        # servers on one machine would take each other's: off.
        "control_socket_disable": True,
    }


class Server(BaseApplication):
    """gunicorn serving an app that `survey run` has built and whose database it has upgraded.

    The workers are forked from this process, so the app and its settings (the cookie
    rule for 127.0.0.1 included) are the ones the command made; each worker opens its own
    database connections.
    """

    def __init__(self, app, settings: dict) -> None:
        self.application = app
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        """The settings given, nothing read from the command line or the environment."""
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self):
        """The app, as built."""
        return self.application


# "/r/" then the token, up to the next "/", "?", "#", space or quote; also %2F-free encodings.
_LINK = re.compile(r"(/r/)[^/?#\s\"']+")


def redact(text: str) -> str:
    """The text with every group link's token replaced by <redacted>."""
    return _LINK.sub(r"\1<redacted>", text)


class RequestHandler(WSGIRequestHandler):
    """The development server's handler: no "Server: Werkzeug/x Python/y", tokens redacted."""

    def send_response(self, code: int, message: str | None = None) -> None:
        # As http.server does, less its Server header: the app sends "Server: survey".
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log(self, type: str, message: str, *args) -> None:  # noqa: A002
        super().log(type, redact(message), *(redact(a) if isinstance(a, str) else a for a in args))


class AccessLogger(Logger):
    """gunicorn's logger with every text field of an access line redacted."""

    def atoms(self, resp, req, environ, request_time):
        """gunicorn's atoms (path, request line, query, referrer ...) without tokens."""
        found = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in found.items()}


class RedactLinks(logging.Filter):
    """A log filter: the app's own messages ("Exception on /r/... [GET]") without tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and arguments; never drops a record."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
