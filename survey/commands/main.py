"""The `survey` command: set up, seed, serve, check, list."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from instruments import check

from ..errors import InputError
from .api_tokens import api_tokens_group
from .context import upgraded_app, with_app
from .export import export_group
from .imports import import_group
from .invitations import invitations_command
from .lookups import round_named
from .paper import import_responses, import_support_plans_command
from .places import register as register_places
from .reminders import reminders_group
from .users import users_group


class SurveyGroup(click.Group):
    """The command group: bad input (InputError) ends as one line and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as error:
            raise click.ClickException(error.message) from None


@click.group(cls=SurveyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Digital maturity and VCSE readiness surveys for social prescribing."""


@main.command()
@click.option("--seed", default=2025, show_default=True, help="Random seed: same seed, same data.")
@click.option("--groups", default=400, show_default=True, help="How many community groups.")
@click.option("--reset", is_flag=True, help="Delete everything in the database first.")
@with_app
def demo(app, seed: int, groups: int, reset: bool) -> None:
    """Seed a fictional demo ICS: areas, groups, three yearly rounds and more."""
    from ..demo import DemoExists, load_demo

    try:
        summary = load_demo(seed=seed, groups=groups, reset=reset)
    except DemoExists as exists:
        click.echo(f"{exists} Leaving it as it is (use --reset to rebuild).")
        return
    click.echo(summary)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="gunicorn worker processes (default: WEB_CONCURRENCY, else 2 per CPU + 1).",
)
@click.option("--dev", is_flag=True, help="Flask's development server, reloading on changes.")
def run(host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve the app with gunicorn (the database is upgraded first)."""
    from ..extensions import db as database
    from ..serving import RequestHandler, Server, gunicorn_settings

    # Served outside any app context: a request reuses a context already open, and every
    # request in a worker would then share one `g` (its CSRF token, its signed-in user).
    app = upgraded_app()
    if host in ("127.0.0.1", "localhost") and not os.environ.get("SURVEY_SECURE_COOKIES"):
        # Plain http on this machine only: a Secure cookie would never come back.
        app.config["SESSION_COOKIE_SECURE"] = False
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
    if dev:
        app.config["TEMPLATES_AUTO_RELOAD"] = True
        app.run(
            host=host,
            port=port,
            debug=False,
            use_reloader=True,
            threaded=True,
            load_dotenv=False,
            request_handler=RequestHandler,
        )
        return
    # The workers are forked from here: none may share this process's connections.
    with app.app_context():
        database.engine.dispose()
    settings = {
        **gunicorn_settings(),
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
    }
    if workers:
        settings["workers"] = workers
    Server(app, settings).run()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_app
def db_upgrade(app) -> None:
    """Apply every migration not yet applied (also done by every other command)."""
    click.echo("Database is up to date.")


@main.group("instruments")
def instruments_group() -> None:
    """Questionnaire definition files."""


@instruments_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def instruments_check(paths: tuple[Path, ...]) -> None:
    """Validate instrument files (default: the shipped ones); non-zero on any error."""
    from instruments import DEFINITIONS_DIR

    errors = check(list(paths) or [DEFINITIONS_DIR])
    for line in errors:
        click.echo(line, err=True)
    if errors:
        sys.exit(1)
    click.echo("All instrument files are valid.")


@main.group("rounds")
def rounds_group() -> None:
    """Survey rounds."""


@rounds_group.command("list")
@with_app
def rounds_list(app) -> None:
    """One line per round: slug, instrument id@version, opens, closes."""
    from ..extensions import db as database
    from ..models import Round

    for r in database.session.scalars(sa.select(Round).order_by(Round.opens_on, Round.slug)):
        click.echo(
            f"{r.slug}\t{r.instrument_id}@{r.instrument_version}\t{r.opens_on}\t{r.closes_on}"
        )


@main.group("areas")
def areas_group() -> None:
    """Geography."""


@areas_group.command("list")
@click.option("--type", "area_type", help="Only areas of this type (ics, place, pcn, ...).")
@with_app
def areas_list(app, area_type: str | None) -> None:
    """One line per area: code, type, name, parent code."""
    from sqlalchemy.orm import aliased

    from ..extensions import db as database
    from ..models import AREA_TYPES, Area

    if area_type and area_type not in AREA_TYPES:
        raise InputError(f"--type: '{area_type}' is not one of {', '.join(AREA_TYPES)}")
    parent = aliased(Area)
    query = (
        sa.select(Area.code, Area.type, Area.name, parent.code)
        .outerjoin(parent, Area.parent_id == parent.id)
        .order_by(Area.type, Area.code)
    )
    if area_type:
        query = query.where(Area.type == area_type)
    for code, kind, name, parent_code in database.session.execute(query):
        click.echo(f"{code}\t{kind}\t{name}\t{parent_code or ''}")


@main.command()
@click.option("--round", "round_slug", required=True, help="The round's slug.")
@with_app
def score(app, round_slug: str) -> None:
    """Recompute every submitted response's scores in a round from its answers."""
    from ..scores import rescore_round

    count = rescore_round(round_named(round_slug))
    click.echo(f"Rescored {count} responses in {round_slug}.")


@main.command("publish")
@click.option("--round", "round_slug", help="Only this round (its slug); else every round.")
@with_app
def publish_command(app, round_slug: str | None) -> None:
    """Publish the rounds' area figures now (both views), as the first page would.

    After a bulk import the first page of a big round would wait for its figures (a
    minute or more at 40,000 groups); run this first and no page waits."""
    import time

    from ..extensions import db as database
    from ..instruments_store import instrument_for
    from ..models import Round
    from ..publication import latest_publication, publish

    threshold = app.config["DISCLOSURE_THRESHOLD"]
    rounds = (
        [round_named(round_slug)]
        if round_slug
        else list(database.session.scalars(sa.select(Round).order_by(Round.opens_on, Round.slug)))
    )
    for round_ in rounds:
        if instrument_for(round_).named_results:
            click.echo(f"{round_.slug}: results shown by name, nothing to publish")
            continue
        for moderated, view in ((False, "self-assessed"), (True, "moderated")):
            start = time.perf_counter()
            before = latest_publication(round_.id, moderated)
            before_id = before.id if before is not None else None
            made, _ = publish(round_, moderated=moderated, threshold=threshold)
            database.session.commit()
            what = "up to date" if made.id == before_id else f"publication {made.seq}"
            seconds = time.perf_counter() - start
            click.echo(f"{round_.slug} ({view}): {what} in {seconds:.1f} s")


import_group.add_command(import_responses)
import_group.add_command(import_support_plans_command)
for _group in (
    import_group,
    export_group,
    api_tokens_group,
    invitations_command,
    users_group,
    reminders_group,
):
    main.add_command(_group)
register_places(import_group, areas_group)
