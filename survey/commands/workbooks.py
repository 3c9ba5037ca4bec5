"""`survey export roadmap | support-plans | trends | paper-template | map`: files from the CLI.

The CLI is an administrator's tool: its workbooks show every group (no consent
filter), and their method sheets say they were exported by "cli".
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from .context import with_app
from .files import atomic_output, write_file
from .lookups import area_coded, round_named

OUTPUT = click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write.",
)


@click.command("roadmap")
@click.option("--area", "area_code", required=True, help="The area's code.")
@click.option("--round", "round_slug", required=True, help="The round's slug.")
@OUTPUT
@with_app
def roadmap(app, area_code: str, round_slug: str, output: Path) -> None:
    """An area's roadmap workbook: levels, gaps, actions by horizon, groups, method."""
    from ..reports.roadmap_data import roadmap_workbook

    data = roadmap_workbook(
        area_coded(area_code), round_named(round_slug), viewer=None, actor="cli"
    )
    write_file(output, data)
    click.echo(f"Wrote {output}")


@click.command("support-plans")
@click.option("--org", "org_id", type=int, help="One group's id.")
@click.option("--broker", "broker_id", type=int, help="A broker's id: its whole portfolio.")
@click.option("--round", "round_slug", required=True, help="The round's slug.")
@OUTPUT
@with_app
def support_plans(app, org_id: int | None, broker_id: int | None, round_slug: str, output) -> None:
    """Support plans: each group's gaps matched to support offers (and a cohort view)."""
    from ..extensions import db
    from ..models import Broker, Organisation
    from ..reports.plans_data import support_plans_workbook

    if (org_id is None) == (broker_id is None):
        raise InputError("give either --org ID or --broker ID")
    round_ = round_named(round_slug)
    orgs, broker = None, None
    if org_id is not None:
        org = db.session.get(Organisation, org_id)
        if org is None:
            raise InputError(f"--org: no group with id {org_id}")
        orgs = [org]
    else:
        broker = db.session.get(Broker, broker_id)
        if broker is None:
            raise InputError(f"--broker: no broker with id {broker_id}")
    with atomic_output(output) as out:
        support_plans_workbook(round_, orgs, out, viewer=None, actor="cli", broker=broker)
    click.echo(f"Wrote {output}")


@click.command("trends")
@click.option("--area", "area_code", required=True, help="The area's code.")
@click.option("--instrument", "instrument_id", default="confidence", show_default=True)
@OUTPUT
@with_app
def trends(app, area_code: str, instrument_id: str, output: Path) -> None:
    """Year-on-year results of the yearly survey for an area, with n, intervals and charts."""
    from ..instruments_store import registry
    from ..reports.trends_data import trends_workbook

    if not any(i.id == instrument_id for i in registry().all()):
        raise InputError(f"--instrument: no instrument '{instrument_id}'")
    data = trends_workbook(area_coded(area_code), instrument_id, actor="cli")
    write_file(output, data)
    click.echo(f"Wrote {output}")


@click.command("paper-template")
@click.option("--instrument", "instrument_id", required=True, help="The instrument's id.")
@click.option("--version", "version", help="A version (default: the newest).")
@click.option("--broker", "broker_id", type=int, help="Only this broker's groups.")
@OUTPUT
@with_app
def paper_template(app, instrument_id: str, version: str | None, broker_id, output) -> None:
    """A workbook to collect answers on paper: one row per group, drop-down answers."""
    from ..instruments_store import registry
    from ..reports.paper_import import paper_template as make_template

    try:
        instrument = (
            registry().get(instrument_id, version) if version else registry().latest(instrument_id)
        )
    except KeyError:
        raise InputError(f"--instrument: no instrument '{instrument_id}' {version or ''}") from None
    if instrument.kind != "organisation":
        raise InputError(f"--instrument: {instrument_id} is answered for an area, not by groups")
    write_file(output, make_template(instrument, broker_id))
    click.echo(f"Wrote {output}")


@click.command("map")
@click.option("--round", "round_slug", required=True, help="The round's slug.")
@click.option("--type", "area_type", required=True, help="The areas: pcn, neighbourhood, ward...")
@click.option("--measure", default="level", show_default=True, help="level, gap, coverage, change.")
@click.option("--domain", default="overall", show_default=True, help="A domain's id, or overall.")
@click.option("-o", "--output", "output", required=True, type=Path, help="The .html file to write.")
@with_app
def map_file(app, round_slug: str, area_type: str, measure: str, domain: str, output) -> None:
    """The map page as one HTML file (folium) to email or open offline: it fetches nothing."""
    from ..areas.mapfile import export_map

    write_file(output, export_map(round_named(round_slug), area_type, measure, domain))
    click.echo(f"Wrote {output}")
