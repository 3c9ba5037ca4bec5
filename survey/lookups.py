"""Finding a round by its slug: the one lookup the pages, the API and the commands share."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Round


def round_with_slug(slug: str, *, with_areas: bool = False) -> Round | None:
    """The round with this slug, or None (its areas loaded too when asked)."""
    query = sa.select(Round).where(Round.slug == slug)
    if with_areas:
        query = query.options(selectinload(Round.areas))
    return db.session.scalar(query)


def round_or_404(slug: str, *, with_areas: bool = False) -> Round:
    """The round with this slug, for a page: 404 when there is none."""
    found = round_with_slug(slug, with_areas=with_areas)
    if found is None:
        abort(404)
    return found
