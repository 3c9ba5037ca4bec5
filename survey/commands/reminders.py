"""`survey reminders send`: email non-responders their own link, at most once per interval;
`survey reminders listings`: ask groups with a stale directory listing if it is still right.

Suitable for a daily cron line: a group reminded within the interval is left alone.
"""

from __future__ import annotations

import datetime as dt

import click

from ..errors import InputError
from ..mail import stopped_part_way
from .context import with_app
from .lookups import round_named

AGAIN = "run the command again later for the rest"


@click.group("reminders")
def reminders_group() -> None:
    """Reminder emails to groups that have not answered."""


@reminders_group.command("send")
@click.option("--round", "round_slug", required=True, help="The round's slug.")
@click.option("--dry-run", is_flag=True, help="List who would be reminded; send nothing.")
@click.option(
    "--interval-days",
    type=click.IntRange(min=1, max=365),
    default=7,
    show_default=True,
    help="Remind a group at most once in this many days.",
)
@with_app
def send(app, round_slug: str, dry_run: bool, interval_days: int) -> None:
    """Email every group with no answers yet (or only a draft) its own link."""
    from ..reminders import send_reminders

    round_ = round_named(round_slug)
    if not round_.is_open():
        raise InputError(f"--round: '{round_slug}' is not open, so there is nothing to remind")
    outcome = send_reminders(
        round_, actor="cli", interval=dt.timedelta(days=interval_days), dry_run=dry_run
    )
    for due in outcome.due if dry_run else ():
        click.echo(f"would remind: {due.organisation.id}\t{due.organisation.name}\t{due.status}")
    skipped = "".join(f"; {count} {reason}" for reason, count in sorted(outcome.skipped.items()))
    if dry_run:
        click.echo(f"Would send {len(outcome.due)} reminders{skipped}.")
        return
    click.echo(f"Sent {outcome.sent} reminders{skipped}.")
    if outcome.failure:
        stopped = stopped_part_way(
            outcome.failure, outcome.sent, len(outcome.due) - outcome.sent, "reminder"
        )
        raise InputError(f"mail: {stopped}; {AGAIN}")


@reminders_group.command("listings")
@click.option("--dry-run", is_flag=True, help="List who would be asked; send nothing.")
@with_app
def listings(app, dry_run: bool) -> None:
    """Ask each group whose directory listing is six months unconfirmed whether it is
    still right (at most once a month each; never a group that stopped reminders)."""
    from ..directory_entries import email_stale, every_entry, stale_due
    from ..models import utcnow

    now = utcnow()
    rows = every_entry(now)
    if dry_run:
        due = stale_due(rows, now)
        for row in due:
            click.echo(f"would ask: {row.organisation.id}\t{row.organisation.name}")
        click.echo(f"Would ask {len(due)} of {sum(r.stale for r in rows)} stale listings.")
        return
    outcome = email_stale(rows, "cli", now)
    click.echo(f"Asked {outcome.sent} groups whether their listing is still right.")
    if outcome.failure:
        stopped = stopped_part_way(outcome.failure, outcome.sent, outcome.not_sent, "email")
        raise InputError(f"mail: {stopped}; {AGAIN}")
