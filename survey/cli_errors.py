"""The error every command raises for bad input: one line, exit status 1."""

import click


class CommandError(click.ClickException):
    """A one-line error and exit status 1; nothing has been written."""
