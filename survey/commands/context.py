"""The app context every command runs in: its own module, so command modules never import
the command line's entry point back."""

from __future__ import annotations

import functools

import click

from instruments import InstrumentError

from ..errors import InputError


def upgraded_app():
    """The app, its database upgraded (every command's first step); no app context left open."""
    from flask_migrate import upgrade

    from .. import create_app
    from ..extensions import db

    try:
        app = create_app()
    except InstrumentError as error:
        for line in error.errors:
            click.echo(line, err=True)
        raise InputError("an instrument file is invalid; the app will not start") from None
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def with_app(fn):
    """Run the command inside an app context with the database upgraded."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        app = upgraded_app()
        with app.app_context():
            return fn(app, *args, **kwargs)

    return wrapper
