"""`survey import ...`: boundaries, GP practices, organisations, paper responses."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from .context import with_app


@click.group("import")
def import_group() -> None:
    """Bring data in: every row is checked and nothing is written unless all pass."""


MAX_MB = click.option(
    "--max-mb", default=100.0, show_default=True, help="Refuse files bigger than this (MB)."
)


@import_group.command("boundaries")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--type",
    "area_type",
    required=True,
    help="ics, place, pcn, neighbourhood, lad, ward, msoa or lsoa.",
)
@click.option("--code-field", required=True, help="Property holding the area code (e.g. WD13CD).")
@click.option("--name-field", required=True, help="Property holding the area name (e.g. WD13NM).")
@click.option("--parent-field", help="Property holding the parent's code (e.g. LAD22CD).")
@click.option(
    "--parent-type",
    help="Without --parent-field: link to the imported areas of this type that contain each area (default: ward->lad, lsoa->msoa, ...).",
)
@MAX_MB
@with_app
def import_boundaries_command(app, file: Path, area_type, code_field, name_field, parent_field, parent_type, max_mb) -> None:  # fmt: skip
    """Areas from a GeoJSON or TopoJSON boundary file (WGS84 or British National Grid); re-import updates."""
    from ..areas.imports import import_boundaries

    click.echo(
        import_boundaries(
            file, area_type, code_field, name_field, parent_field, parent_type, max_mb=max_mb
        )
    )


@import_group.command("practices")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--icb", help="Only the practices of this ICB (ICB_CODE, e.g. QE1).")
@MAX_MB
@with_app
def import_practices_command(app, file: Path, icb: str | None, max_mb: float) -> None:
    """GP practice -> PCN lookup (NHS England's file, or code, name, postcode, pcn code, pcn name)."""
    from ..areas.practices import import_practices

    click.echo(import_practices(file, max_mb=max_mb, icb=icb))


@import_group.command("organisations")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@MAX_MB
@with_app
def import_organisations_command(app, file: Path, max_mb: float) -> None:
    """Community groups (name, postcode; optional area_code, charity_number, email, broker, practice_code)."""
    from ..areas.groups_import import import_organisations

    summary, errors = import_organisations(file, max_mb=max_mb)
    for line in errors:
        click.echo(line, err=True)
    if errors:
        raise InputError(f"{file.name}: {len(errors)} problems; nothing was imported")
    click.echo(summary)
