"""`survey import responses | support-plans`: workbooks filled offline, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from .context import with_app
from .lookups import round_named

MAX_LINES = 200  # error lines printed; the count in the last line is always complete


@click.command("responses")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--round", "round_slug", required=True, help="The round the answers belong to.")
@with_app
def import_responses(app, file: Path, round_slug: str) -> None:
    """Paper responses from a filled template: every row checked, all imported or none."""
    from exports.paper import PaperFileError

    from ..reports.paper_import import import_paper

    round_ = round_named(round_slug)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})") from None
    try:
        outcome = import_paper(data, str(file), round_, actor="cli")
    except PaperFileError as error:
        raise InputError(str(error)) from None
    for line in outcome.errors[:MAX_LINES]:
        click.echo(f"{file}: {line}", err=True)
    if len(outcome.errors) > MAX_LINES:
        click.echo(f"{file}: ... and {len(outcome.errors) - MAX_LINES} more", err=True)
    if outcome.errors:
        rows = len({line.split(",")[0] for line in outcome.errors})
        raise InputError(
            f"{file}: {rows} row(s) with {len(outcome.errors)} problem(s); nothing was imported"
        )
    click.echo(outcome.summary())


@click.command("support-plans")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_app
def import_support_plans_command(app, file: Path) -> None:
    """An edited support-plans workbook: owners, due dates and statuses, all rows or none."""
    from ..reports.plans_import import import_support_plans

    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})") from None
    outcome = import_support_plans(data, str(file), user=None, actor="cli")
    for line in outcome.errors[:MAX_LINES]:
        click.echo(f"{file}: {line}", err=True)
    if len(outcome.errors) > MAX_LINES:
        click.echo(f"{file}: ... and {len(outcome.errors) - MAX_LINES} more", err=True)
    if outcome.errors:
        raise InputError(f"{file}: {len(outcome.errors)} problem(s); nothing was imported")
    click.echo(outcome.summary())
