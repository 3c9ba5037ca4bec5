"""`survey export board-pack --area CODE -o FILE.xlsx`: the board pack from the CLI."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_app import with_app
from .cli_workbooks import OUTPUT, _area, _save


@click.command("board-pack")
@click.option("--area", "area_code", required=True, help="The area's code.")
@OUTPUT
@with_app
def board_pack(app, area_code: str, output: Path) -> None:
    """Every survey run more than once, for an area: rates, levels, paired change, target."""
    from .reports.board_data import board_pack_workbook

    _save(output, board_pack_workbook(_area(area_code), actor="cli"))
    click.echo(f"Wrote {output}")
