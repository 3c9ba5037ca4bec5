"""Sign-in pages for staff (groups never sign in: their invitation link is the key)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db
from ..models import User
from . import throttle
from .forms import SignInForm

bp = Blueprint("accounts", __name__)

_unknown_user_hash: list[str] = []


# A local path: printable ASCII from RFC 3986's path and query characters, nothing else
# (no spaces, tabs, newlines or backslashes, which browsers strip or read as "/").
LOCAL_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*\Z")


def safe_next(target: str | None) -> str | None:
    """The page to go to after sign-in if it is a path on this site, else None.

    Never another site's address: no scheme, no host, no "//" (a browser reads
    "//evil.example" as another site), no control characters or backslashes.
    """
    if not target or len(target) > 2000 or not LOCAL_PATH.match(target):
        return None
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc or parts.path.startswith("//"):
        return None
    return target


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password; for an unknown email, spend the same time on a dummy hash."""
    if user is None:
        if not _unknown_user_hash:
            _unknown_user_hash.append(generate_password_hash("not a real password"))
        check_password_hash(_unknown_user_hash[0], password)
        return False
    return user.check_password(password)


@bp.route("/sign-in", methods=["GET", "POST"])
def login():
    """Sign in with email and password; too many attempts get a 429 and a time to wait."""
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = request.remote_addr or "unknown"
        detail = {"ip": request.remote_addr}
        known = throttle.is_known_browser(request.cookies.get(throttle.KNOWN_BROWSER_COOKIE), email)
        verdict = throttle.reserve(email, address, known)
        if not verdict.allowed:
            audit.record("anonymous", audit.SIGN_IN_REFUSED, email, detail)
            db.session.commit()
            page = render_template("views/accounts/too_many.html", wait=_wait_text(verdict))
            return page, 429, {"Retry-After": str(verdict.wait_seconds)}
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if _password_matches(user, form.password.data) and user.active:
            session.clear()  # a fresh session: nothing carried over from before sign-in
            login_user(user)
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            throttle.succeeded(verdict, email, address)
            audit.record(user, audit.SIGN_IN, None, detail)
            db.session.commit()
            response = redirect(
                safe_next(request.args.get("next")) or url_for("accounts.dashboard")
            )
            throttle.remember_browser(response, email)
            return response
        audit.record("anonymous", audit.SIGN_IN_FAILED, email, detail)
        db.session.commit()
        failed = True
    status = 401 if failed else 400 if form.errors else 200
    return render_template("views/accounts/login.html", form=form, failed=failed), status


def _wait_text(verdict: throttle.Verdict) -> str:
    """'30 seconds', '1 minute', '15 minutes': how long to wait, rounded up."""
    seconds = verdict.wait_seconds
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@bp.post("/sign-out")
def logout():
    """Sign out and go back to the home page."""
    audit.record(current_user, audit.SIGN_OUT)
    current_user.end_sessions()  # a copy of the cookie stops working too
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("views.home"))


@bp.get("/staff")
def dashboard():
    """Where a member of staff starts: links to what their role can do."""
    return render_template("views/accounts/dashboard.html", user=current_user)
