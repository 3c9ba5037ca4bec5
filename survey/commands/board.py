"""`survey export board-pack --area CODE -o FILE.xlsx`: the board pack from the CLI."""

from __future__ import annotations

from pathlib import Path

import click

from .context import with_app
from .files import write_file
from .lookups import area_coded
from .workbooks import OUTPUT


@click.command("board-pack")
@click.option("--area", "area_code", required=True, help="The area's code.")
@OUTPUT
@with_app
def board_pack(app, area_code: str, output: Path) -> None:
    """Every survey run more than once, for an area: rates, levels, paired change, target."""
    from ..reports.board_data import board_pack_workbook

    write_file(output, board_pack_workbook(area_coded(area_code), actor="cli"))
    click.echo(f"Wrote {output}")
