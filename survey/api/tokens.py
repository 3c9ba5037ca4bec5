"""API tokens: issued once, stored only as a SHA-256 hash, revoked by an admin."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from .. import audit
from ..extensions import db
from ..models import ApiToken, utcnow

PREFIX = "svy_"


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(name: str, actor: str, created_by_id: int | None = None) -> tuple[ApiToken, str]:
    """A new token for a named reader; returns the row and the token (shown once only)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=token_hash(token), created_by_id=created_by_id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "api-token-issued", f"api-token:{row.id}:{name}")
    return row, token


def revoke_token(row: ApiToken, actor: str) -> None:
    """Stop a token working from now on (kept, for the audit trail)."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(actor, "api-token-revoked", f"api-token:{row.id}:{row.name}")


def token_from_header(header: str | None) -> ApiToken | None:
    """The live token named by an ``Authorization: Bearer ...`` header, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
