"""`survey export ...`: files for other people and other systems."""

from __future__ import annotations

import click

from .board import board_pack
from .oruk import oruk
from .workbooks import map_file, paper_template, roadmap, support_plans, trends


@click.group("export")
def export_group() -> None:
    """Workbooks, feeds and files made from the survey data."""


export_group.add_command(oruk)
for _command in (roadmap, support_plans, trends, paper_template, map_file):
    export_group.add_command(_command)
export_group.add_command(board_pack)
