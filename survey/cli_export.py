"""`survey export ...`: files for other people and other systems."""

from __future__ import annotations

import click

from .cli_board import board_pack
from .cli_oruk import oruk
from .cli_workbooks import paper_template, roadmap, support_plans, trends


@click.group("export")
def export_group() -> None:
    """Workbooks, feeds and files made from the survey data."""


export_group.add_command(oruk)
for _command in (roadmap, support_plans, trends, paper_template):
    export_group.add_command(_command)
export_group.add_command(board_pack)
