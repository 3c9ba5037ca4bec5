"""`survey invitations ROUND -o FILE.csv`: every invited group's own link for a round."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from ..errors import InputError


@click.command("invitations")
@click.argument("round_slug", metavar="ROUND")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The CSV file to write (org id, name, area code, link).",
)
@click.option(
    "--base-url",
    default=None,
    help="Where the service is reached, for the links (default: SURVEY_BASE_URL, else "
    "http://127.0.0.1:5000).",
)
def invitations_command(round_slug: str, output: Path, base_url: str | None) -> None:
    """One row per invited group: org id, name, area code, link (missing links are made)."""
    from .context import with_app

    @with_app
    def run(app):
        nonlocal base_url
        from ..extensions import db
        from ..journey.invitations import ensure_invitations, invitation_rows, invitations_csv
        from ..models import Round

        base_url = base_url or app.config["SERVER_URL"]
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"--base-url: '{base_url}' must start with http:// or https://")
        if output.parent and not output.parent.exists():
            raise InputError(f"-o: the folder '{output.parent}' does not exist")
        round_ = db.session.scalar(sa.select(Round).where(Round.slug == round_slug))
        if round_ is None:
            raise InputError(f"ROUND: no round named '{round_slug}' (see `survey rounds list`)")
        try:
            made = ensure_invitations(round_)
        except KeyError:
            raise InputError(
                f"ROUND: '{round_slug}' uses {round_.instrument_id}@{round_.instrument_version}, "
                "which is not among the instrument files"
            ) from None
        with app.test_request_context(base_url=base_url.rstrip("/")):
            rows = invitation_rows(round_)
            text = invitations_csv(rows)
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(rows)} invitation links to {output} ({made} new).")

    run()
