"""How many groups the service knows in each area: the map's and the table's last column."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from survey.extensions import db
from survey.models import OrganisationArea
from tests import factories


def test_each_areas_groups_are_counted_for_a_nations_worth_of_areas_at_once(app):
    """Ward A holds three groups (one also in B), B two, C none. Asked with 40,000 more area
    ids besides (about the number of England's small areas, in one statement), every area
    gets its count and the empty ones 0."""
    from survey.areas.measures import groups_known

    a, b, c = (factories.area(code=f"GK-{x}") for x in "ABC")
    for org, areas in (("one", [a, b]), ("two", [a]), ("three", [a]), ("four", [b])):
        made = factories.organisation(name=org)
        db.session.add_all(OrganisationArea(organisation_id=made.id, area_id=x.id) for x in areas)
    db.session.commit()
    others = [SimpleNamespace(id=1_000_000 + i) for i in range(40_000)]
    known = groups_known([a, b, c, *others])
    assert (known[a.id], known[b.id], known[c.id]) == (3, 2, 0)
    assert len(known) == 40_003 and set(known.values()) == {0, 2, 3}


def test_only_whole_numbers_are_written_into_the_statement(app):
    from survey.sql import ids_in

    with pytest.raises(ValueError):
        ids_in(OrganisationArea.area_id, [1, "2); DROP TABLE area; --"])
