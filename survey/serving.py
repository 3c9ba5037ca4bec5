"""How `survey run` and gunicorn serve the app: one bare Server header, no link tokens in logs.

A group's link is its key (``/r/<token>``), so an access log line must never hold
it: every path, request line and referrer is written as ``/r/<redacted>``.
``survey run`` uses RequestHandler; gunicorn uses AccessLogger (set in the
repository's gunicorn.conf.py, or ``--logger-class survey.serving.AccessLogger``).
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler

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
