"""`survey export oruk`: the Open Referral UK feed of groups that agreed to be listed."""

from __future__ import annotations

from pathlib import Path

import click

from .. import audit
from ..directory import write_feed
from ..extensions import db
from .files import atomic_output


@click.command("oruk")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def oruk(output: Path) -> None:
    """Open Referral UK feed (JSON) of the groups that agreed to be listed."""
    from .context import with_app

    @with_app
    def run(app):
        with atomic_output(output) as out:
            total = write_feed(out)
        audit.record("cli", "export-oruk", str(output), {"services": total})
        db.session.commit()
        click.echo(f"Wrote {total} listed groups to {output}.")

    run()
