"""`survey import postcodes | neighbourhoods` and `survey areas build-pcns`: real places.

The work is in survey/areas/places.py; these commands only read their options.
"""

from __future__ import annotations

from pathlib import Path

import click

from .context import with_app

BLOCKS = click.Choice(["lsoa", "msoa", "ward"])
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("postcodes")
@click.argument("file", type=FILE)
@with_app
def import_postcodes_command(app, file: Path) -> None:
    """Postcode directory (Code-Point Open or ONSPD/NSPL layout); replaces the earlier one."""
    from ..areas.places import import_postcodes

    click.echo(import_postcodes(file))


@click.command("neighbourhoods")
@click.argument("file", type=FILE)
@click.option("--from", "block_type", type=BLOCKS, required=True, help="The building blocks.")
@with_app
def import_neighbourhoods_command(app, file: Path, block_type: str) -> None:
    """Neighbourhoods from a lookup: building-block code, neighbourhood code, name[, parent]."""
    from ..areas.places import import_neighbourhoods

    click.echo(import_neighbourhoods(file, block_type))


@click.command("build-pcns")
@click.option("--from", "block_type", type=BLOCKS, required=True, help="The building blocks.")
@click.option(
    "--registrations",
    type=FILE,
    help="NHS England's patients registered at a GP practice by LSOA (gp-reg-pat-prac-lsoa).",
)
@with_app
def build_pcns_command(app, block_type: str, registrations: Path | None) -> None:
    """PCN footprints: each building block to the nearest practice's PCN (or most patients')."""
    from ..areas.places import build_pcns

    for line in build_pcns(block_type, registrations):
        click.echo(line)


def register(import_group: click.Group, areas_group: click.Group) -> None:
    """Add these commands to `survey import` and `survey areas`."""
    import_group.add_command(import_postcodes_command)
    import_group.add_command(import_neighbourhoods_command)
    areas_group.add_command(build_pcns_command)
