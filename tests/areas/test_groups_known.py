"""How many groups the service knows in each area: the map's and the table's last column."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import Area, OrganisationArea
from tests import factories


def test_each_area_on_a_map_carries_how_many_groups_are_placed_there(app):
    """Wards made in the order B, A, C, D (so that by name is not the order made): Ward B
    holds three groups (one also in Ward A), Ward A two (one also in Ward D), Ward C none,
    and Ward D is not asked for. Each area asked for gets its own count, an empty one 0,
    and the rows come by name with the shape they are drawn with."""
    from survey.areas.measures import map_places

    a, b, c, d = (factories.area(code=f"GK-{x}", name=f"Ward {x}") for x in "BACD")
    a.display_geometry = '{"type": "Point", "coordinates": [0, 0]}'
    for org, areas in (("one", [a, b]), ("two", [a]), ("three", [a]), ("four", [b, d])):
        made = factories.organisation(name=org)
        db.session.add_all(OrganisationArea(organisation_id=made.id, area_id=x.id) for x in areas)
    db.session.commit()
    places = map_places(Area.code.in_(["GK-B", "GK-A", "GK-C"]))
    assert [(p.code, p.name, p.groups) for p in places] == [
        ("GK-A", "Ward A", 2),
        ("GK-B", "Ward B", 3),
        ("GK-C", "Ward C", 0),
    ]
    assert [p.display_geometry for p in places] == [None, a.display_geometry, None]
    assert [p.id for p in places] == [b.id, a.id, c.id]


def test_only_whole_numbers_are_written_into_the_statement(app):
    from survey.sql import ids_in

    with pytest.raises(ValueError):
        ids_in(OrganisationArea.area_id, [1, "2); DROP TABLE area; --"])


def test_ids_in_takes_a_nations_worth_of_ids(app):
    """ids_in with 40,000 ids besides two real ones (about England's small areas: past
    SQLite's limit of 32,766 bound parameters, were each its own) finds the two, and no
    ids find nothing."""
    from survey.sql import ids_in

    a, b, c = (factories.area(code=f"ID-{x}") for x in "ABC")
    db.session.commit()
    wanted = [a.id, c.id, *range(1_000_000, 1_040_000)]
    query = sa.select(Area.code).where(ids_in(Area.id, wanted)).order_by(Area.code)
    assert db.session.scalars(query).all() == ["ID-A", "ID-C"]
    assert db.session.scalars(sa.select(Area.code).where(ids_in(Area.id, []))).all() == []
