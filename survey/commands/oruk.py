"""`survey export oruk`: the Open Referral UK feed of groups that agreed to be listed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import audit
from ..directory import directory_feed
from ..extensions import db
from .files import write_file


@click.command("oruk")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def oruk(output: Path) -> None:
    """Open Referral UK feed (JSON) of the groups that agreed to be listed."""
    from .context import with_app

    @with_app
    def run(app):
        feed = directory_feed()
        write_file(output, json.dumps(feed, ensure_ascii=False, indent=2) + "\n")
        audit.record("cli", "export-oruk", str(output), {"services": feed["total_items"]})
        db.session.commit()
        click.echo(f"Wrote {feed['total_items']} listed groups to {output}.")

    run()
