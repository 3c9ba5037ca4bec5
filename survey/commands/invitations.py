"""`survey invitations ROUND -o FILE.csv`: every invited group's own link for a round."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from .files import check_folder, write_file
from .lookups import round_named


@click.command("invitations")
@click.argument("round_slug", metavar="ROUND")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The CSV file to write (org id, name, area code, link, status, submitted on, "
    "last reminded, broker).",
)
@click.option(
    "--not-answered",
    is_flag=True,
    help="Only groups with no answers sent yet (not started, or a draft).",
)
@click.option(
    "--base-url",
    default=None,
    help="Where the service is reached, for the links (default: SURVEY_BASE_URL, else "
    "http://127.0.0.1:5000).",
)
def invitations_command(
    round_slug: str, output: Path, base_url: str | None, not_answered: bool
) -> None:
    """One row per invited group: org id, name, area code, link (missing links are made),
    status (not started, draft, submitted), date submitted, last reminded and broker."""
    from .context import with_app

    @with_app
    def run(app):
        nonlocal base_url
        from ..journey.invitations import ensure_invitations, invitation_rows, invitations_csv

        base_url = base_url or app.config["SERVER_URL"]
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"--base-url: '{base_url}' must start with http:// or https://")
        check_folder(output)
        round_ = round_named(round_slug, "ROUND")
        try:
            made = ensure_invitations(round_)
        except KeyError:
            raise InputError(
                f"ROUND: '{round_slug}' uses {round_.instrument_id}@{round_.instrument_version}, "
                "which is not among the instrument files"
            ) from None
        with app.test_request_context(base_url=base_url.rstrip("/")):
            rows = invitation_rows(round_, not_answered=not_answered)
            text = invitations_csv(rows, base_url=base_url)
        write_file(output, text)
        click.echo(f"Wrote {len(rows)} invitation links to {output} ({made} new).")

    run()
