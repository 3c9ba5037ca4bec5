"""Response headers and cookie settings that every page gets.

The content security policy allows no inline script: base.html loads only
external scripts from this site. Inline ``style=""`` attributes stay allowed
(charts and bars use them); style sheets must come from this site.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

from .serving import RedactLinks

# The largest id any table can hold on either engine (PostgreSQL's integer).
LARGEST_ID = 2**31 - 1

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def _add_headers(response):
    """Security headers; a bare Server header that names no software or version."""
    policy = current_app.config.get("CONTENT_SECURITY_POLICY") or CONTENT_SECURITY_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        # gunicorn writes its own "Server: gunicorn" (no version); do not add a second.
        response.headers.pop("Server", None)
    else:
        # `survey run` (survey/serving.py) sends no Server header of its own: this is the one.
        response.headers["Server"] = "survey"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # Pages and downloads may hold a group's answers, links or staff details: keep
        # every one out of shared caches and history. Only the site's own files are cached.
        response.headers["Cache-Control"] = "no-store"
    return response


class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route: a number no table can hold is a 404, not a database error."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def _refuse_null_bytes():
    """A null byte in an address or a form is never meant: 400 (PostgreSQL cannot store it)."""
    fields = [("", request.path), *request.args.items(multi=True)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += request.form.items(multi=True)
    if any("\x00" in name or "\x00" in value for name, value in fields):
        abort(400, "The form contained characters that cannot be used. Check what you typed.")


def init_app(app: Flask) -> None:
    """Bounded ids in routes; headers on every response; refuse null bytes in any request."""
    app.url_map.converters["int"] = DatabaseId
    if not any(isinstance(f, RedactLinks) for f in app.logger.filters):
        app.logger.addFilter(RedactLinks())  # "Exception on /r/<redacted> [GET]"
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_null_bytes)
    app.after_request(_add_headers)
