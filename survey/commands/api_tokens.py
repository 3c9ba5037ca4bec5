"""`survey api-tokens ...`: issue, list and revoke tokens for the JSON API."""

from __future__ import annotations

import click
import sqlalchemy as sa

from ..errors import InputError


@click.group("api-tokens")
def api_tokens_group() -> None:
    """Tokens that let BI tools read the JSON API."""


@api_tokens_group.command("add")
@click.argument("name")
def add(name: str) -> None:
    """Issue a token for NAME and print it (it is shown this once only)."""
    from ..api.tokens import issue_token
    from ..extensions import db
    from .context import with_app

    @with_app
    def run(app):
        if not name.strip():
            raise InputError("NAME: give the token a name, such as the tool that will use it")
        row, token = issue_token(name.strip(), actor="cli")
        db.session.commit()
        click.echo(f"Token {row.id} for {row.name} (shown once, keep it safe):")
        click.echo(token)

    run()


@api_tokens_group.command("list")
def list_tokens() -> None:
    """One line per token: id, name, created, revoked or 'live'."""
    from ..extensions import db
    from ..models import ApiToken
    from .context import with_app

    @with_app
    def run(app):
        for row in db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
            click.echo(f"{row.id}\t{row.name}\t{row.created_at:%Y-%m-%d}\t{state}")

    run()


@api_tokens_group.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke the token with this id (see `survey api-tokens list`)."""
    from ..api.tokens import revoke_token
    from ..extensions import db
    from ..models import ApiToken
    from .context import with_app

    @with_app
    def run(app):
        row = db.session.get(ApiToken, token_id)
        if row is None:
            raise InputError(f"TOKEN_ID: no API token with id {token_id}")
        revoke_token(row, actor="cli")
        db.session.commit()
        click.echo(f"Revoked token {row.id} ({row.name}).")

    run()
