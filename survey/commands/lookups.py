"""What a command's arguments name, found in the database or refused in one line."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import InputError
from ..extensions import db
from ..lookups import round_with_slug
from ..models import Area, Round


def round_named(slug: str, option: str = "--round") -> Round:
    """The round with this slug; InputError naming the option if there is none."""
    found = round_with_slug(slug)
    if found is None:
        raise InputError(f"{option}: no round named '{slug}' (see `survey rounds list`)")
    return found


def area_coded(code: str, option: str = "--area") -> Area:
    """The area with this code; InputError naming the option if there is none."""
    found = db.session.scalar(sa.select(Area).where(Area.code == code))
    if found is None:
        raise InputError(f"{option}: no area with code '{code}'")
    return found
