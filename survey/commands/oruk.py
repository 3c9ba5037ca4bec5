"""`survey export oruk`: the Open Referral UK feed of groups that agreed to be listed."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa

from exports.oruk import ListedGroup, oruk_feed

from .. import audit
from ..extensions import db
from ..models import Organisation
from .files import write_file


def _labels(values) -> list[str]:
    """Activity values from a profile in words ("young-people" -> "young people")."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return []
    return [str(v).replace("_", " ").replace("-", " ") for v in values if str(v).strip()]


def listed_group(org: Organisation) -> ListedGroup:
    """One consenting group as the ORUK core takes it: name, area and activities only."""
    profile = org.profile if isinstance(org.profile, dict) else {}
    return ListedGroup(
        key=str(org.id),
        name=org.name,
        area=org.area.name if org.area is not None else None,
        activities=tuple(_labels(profile.get("activity_types") or profile.get("activity"))),
    )


def directory_feed() -> dict:
    """The ORUK feed of every group with consent_directory set, by id."""
    orgs = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.consent_directory.is_(True))
        .order_by(Organisation.id)
    )
    return oruk_feed(listed_group(org) for org in orgs)


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
