"""Sign-in limits: per account at an address, per address, per account and overall.

The policy (the README's "Signing in" says the same for administrators):

* Every attempt takes its place in the counts *before* the password is checked,
  under a row lock on each count, so forty guesses sent at once cannot all slip
  under the limit: at most ``limit`` of them are checked.
* Four counts: an account at one address (``SIGN_IN_ATTEMPTS``, 5), one address
  over all accounts (``SIGN_IN_ADDRESS_ATTEMPTS``, 20: one guess each at many
  accounts), one account from all addresses (``SIGN_IN_ACCOUNT_ATTEMPTS``, 20)
  and everyone together (``SIGN_IN_OVERALL_ATTEMPTS``, 300).
* Over a limit the answer is back-off, not lock-out: one more attempt is allowed
  once ``SIGN_IN_BACKOFF_SECONDS`` x 2^(attempts over the limit) have passed since
  the count's last attempt (never more than the window); attempts in between are
  refused (429, saying how long to wait) without checking the password.
  A count starts again after a whole window with no attempt.
* Others' failures from elsewhere never keep the right person out of a browser
  or a network they have used: a browser that has signed in to the account
  before carries a signed "known browser" cookie, and an address the account
  has signed in from in the last 180 days is remembered; for either, the
  account-wide and overall counts (the ones others can fill from elsewhere) do
  not apply, only the counts of its own address. A new browser on a new network
  during an attack on the account from many addresses is slowed by the back-off
  like the attacker (there is nothing else to tell them apart by).
* A successful sign-in clears its account-at-address count and gives its place
  back in the others, so only failures add up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import SignInThrottle, utcnow

KNOWN_BROWSER_COOKIE = "known_browser"
KNOWN_BROWSER_DAYS = 180


@dataclass
class Verdict:
    """Whether the password may be checked; if not, how long to wait."""

    allowed: bool
    wait_seconds: int = 0
    keys: list[str] = field(default_factory=list)


def _key(kind: str, *parts: str) -> str:
    """A count's key: what it counts, hashed (the table holds no email addresses)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{kind}:{digest}"


def _limits(email: str, address: str, known_browser: bool) -> dict[str, int]:
    config = current_app.config
    limits = {
        _key("pair", email, address): config["SIGN_IN_ATTEMPTS"],
        _key("address", address): config["SIGN_IN_ADDRESS_ATTEMPTS"],
    }
    if not known_browser:
        limits[_key("account", email)] = config["SIGN_IN_ACCOUNT_ATTEMPTS"]
        limits[_key("overall")] = config["SIGN_IN_OVERALL_ATTEMPTS"]
    return limits


def _wait(row: SignInThrottle, limit: int, now: dt.datetime, window: dt.timedelta) -> int:
    """Seconds before this count allows another attempt (0: now)."""
    if row.attempts < limit:
        return 0
    base = current_app.config["SIGN_IN_BACKOFF_SECONDS"]
    over = min(row.attempts - limit, 30)
    delay = min(dt.timedelta(seconds=base * 2**over), window)
    return max(0, math.ceil((row.last_at + delay - now).total_seconds()))


def _dialect():
    return postgresql if db.engine.dialect.name == "postgresql" else sqlite


def _insert_missing(keys: list[str], now: dt.datetime) -> None:
    dialect = _dialect()
    rows = [{"key": k, "attempts": 0, "window_start": now, "last_at": now} for k in keys]
    db.session.execute(dialect.insert(SignInThrottle).values(rows).on_conflict_do_nothing())


def _known_address(email: str, address: str, now: dt.datetime) -> bool:
    """True when the account signed in from this address in the last 180 days."""
    since = now - dt.timedelta(days=KNOWN_BROWSER_DAYS)
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SignInThrottle)
            .where(SignInThrottle.key == _key("known", email, address))
            .where(SignInThrottle.last_at > since)
        )
    )


def reserve(email: str, address: str, known_browser: bool) -> Verdict:
    """Take a place in every count for this attempt, or refuse it; commits either way."""
    now = utcnow()
    window = dt.timedelta(minutes=current_app.config["SIGN_IN_WINDOW_MINUTES"])
    known = known_browser or _known_address(email, address, now)
    limits = _limits(email, address, known)
    keys = sorted(limits)  # always locked in the same order: no deadlock
    _insert_missing(keys, now)
    rows = db.session.scalars(
        sa.select(SignInThrottle)
        .where(SignInThrottle.key.in_(keys))
        .order_by(SignInThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        if row.last_at < now - window:  # a whole window with no attempt: start again
            row.attempts, row.window_start = 0, now
    wait = max(_wait(row, limits[row.key], now, window) for row in rows)
    if wait == 0:
        for row in rows:
            row.attempts += 1
            row.last_at = now
    db.session.commit()
    return Verdict(allowed=wait == 0, wait_seconds=wait, keys=keys)


def succeeded(verdict: Verdict, email: str, address: str) -> None:
    """The password was right: clear the account-at-address count, give back the others'
    places. Does not commit (the sign-in does)."""
    pair = _key("pair", email, address)
    db.session.execute(sa.delete(SignInThrottle).where(SignInThrottle.key == pair))
    now = utcnow()
    dialect = _dialect()
    known = {"key": _key("known", email, address), "attempts": 0, "window_start": now}
    db.session.execute(
        dialect.insert(SignInThrottle)
        .values(**known, last_at=now)
        .on_conflict_do_update(index_elements=["key"], set_={"last_at": now})
    )
    # Tidy up: counts idle for a whole window and addresses not used for 180 days.
    window = dt.timedelta(minutes=current_app.config["SIGN_IN_WINDOW_MINUTES"])
    db.session.execute(
        sa.delete(SignInThrottle).where(
            sa.or_(
                sa.and_(
                    ~SignInThrottle.key.startswith("known:"), SignInThrottle.last_at < now - window
                ),
                SignInThrottle.last_at < now - dt.timedelta(days=KNOWN_BROWSER_DAYS),
            )
        )
    )
    others = [k for k in verdict.keys if k != pair]
    db.session.execute(
        sa.update(SignInThrottle)
        .where(SignInThrottle.key.in_(others), SignInThrottle.attempts > 0)
        .values(attempts=SignInThrottle.attempts - 1)
    )


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-browser")


def _email_tag(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def is_known_browser(cookie: str | None, email: str) -> bool:
    """True when this browser's cookie says it signed in to this account before."""
    if not cookie or len(cookie) > 200:
        return False
    try:
        tag = _signer().loads(cookie, max_age=KNOWN_BROWSER_DAYS * 86400)
    except BadSignature:
        return False
    return tag == _email_tag(email)


def remember_browser(response, email: str) -> None:
    """Mark this browser as one that has signed in to this account (signed, HTTP only)."""
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        _signer().dumps(_email_tag(email)),
        max_age=KNOWN_BROWSER_DAYS * 86400,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
