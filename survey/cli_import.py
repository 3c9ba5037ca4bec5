"""`survey import ...`: boundaries, GP practices, organisations, paper responses."""

from __future__ import annotations

import click


@click.group("import")
def import_group() -> None:
    """Bring data in: every row is checked and nothing is written unless all pass."""
