"""The areas under some areas (an area lead's reach, a round's areas, a roadmap's
localities): one recursive query, on either engine."""

from __future__ import annotations

import sqlalchemy as sa

from survey.access import area_ids_under, areas_under
from survey.extensions import db
from survey.models import Area

from .. import factories


def test_the_areas_under_some_areas_are_them_and_everything_down_their_parent_links(app):
    """ICS > place > PCN > neighbourhood > LSOA, with a second place beside the first, a
    second ICS apart, and two areas whose parent links make a loop (which a data fix
    could leave): asked from the top, every area of the ICS and nothing of the other;
    asked from two branches, both and theirs only; asked from the loop, it ends."""
    ics = factories.area(type="ics")
    place = factories.area(type="place", parent=ics)
    pcn = factories.area(type="pcn", parent=place)
    hood = factories.area(type="neighbourhood", parent=pcn)
    lsoa = factories.area(type="lsoa", parent=hood)
    beside = factories.area(type="place", parent=ics)
    under_beside = factories.area(type="ward", parent=beside)
    other = factories.area(type="ics")
    factories.area(type="place", parent=other)
    first, second = factories.area(type="ward"), factories.area(type="ward")
    second.parent = first
    db.session.commit()
    db.session.execute(sa.update(Area).where(Area.id == first.id).values(parent_id=second.id))
    db.session.commit()

    everything = {a.id for a in (ics, place, pcn, hood, lsoa, beside, under_beside)}
    assert area_ids_under({ics.id}) == everything
    assert area_ids_under({pcn.id, beside.id}) == {
        pcn.id,
        hood.id,
        lsoa.id,
        beside.id,
        under_beside.id,
    }
    assert area_ids_under({lsoa.id}) == {lsoa.id}
    assert area_ids_under({first.id}) == {first.id, second.id}
    assert area_ids_under(set()) == set()
    # as a query for another statement to read (the ids are never sent back)
    inside = db.session.scalars(
        sa.select(Area.code).where(Area.id.in_(areas_under({place.id}))).order_by(Area.id)
    )
    assert list(inside) == [place.code, pcn.code, hood.code, lsoa.code]
