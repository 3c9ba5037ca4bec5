"""Which areas a group lies in: its chosen area, its coordinates, its practice's PCN.

Every containing area up both hierarchies is kept as an OrganisationArea row,
so "groups in this area" is one join at any level.
"""

from __future__ import annotations

import sqlalchemy as sa

from maps.placement import AreaLocator

from ..extensions import db
from ..models import Area, Organisation, OrganisationArea, Practice


class Placer:
    """Area lookups for placing many groups: parents, point-in-polygon, PCN by practice."""

    def __init__(self) -> None:
        """Read every area's parent and full geometry once."""
        rows = db.session.execute(
            sa.select(Area.id, Area.code, Area.type, Area.parent_id, Area.geometry)
        ).all()
        self.parent = {row.id: row.parent_id for row in rows}
        self.type = {row.id: row.type for row in rows}
        self.by_code = {row.code: row.id for row in rows}
        self.pcn_ids = {row.code: row.id for row in rows if row.type == "pcn"}
        self._located: dict[tuple[float, float], set[int]] = {}
        self.locator = AreaLocator((str(row.id), row.geometry) for row in rows if row.geometry)
        self.practice_pcn = dict(
            db.session.execute(
                sa.select(Practice.code, Practice.pcn_code).where(Practice.pcn_code.is_not(None))
            ).all()
        )

    def with_ancestors(self, area_ids: set[int]) -> set[int]:
        """These areas and every area above them."""
        found: set[int] = set()
        for area_id in area_ids:
            node: int | None = area_id
            while node is not None and node not in found:
                found.add(node)
                node = self.parent.get(node)
        return found

    def depth(self, area_id: int) -> int:
        """How many areas lie above this one."""
        return len(self.with_ancestors({area_id})) - 1

    def practice_area(self, practice_code: str | None) -> int | None:
        """The id of a practice's PCN area, if both are known."""
        pcn_code = self.practice_pcn.get(practice_code or "")
        return self.pcn_ids.get(pcn_code or "")

    def located(self, lon: float | None, lat: float | None) -> set[int]:
        """Areas whose boundary contains the point (looked up in advance by locate_all)."""
        if lon is None or lat is None:
            return set()
        known = self._located.get((lon, lat))
        if known is None:
            known = {int(code) for code in self.locator.containing(lon, lat)}
            self._located[(lon, lat)] = known
        return known

    def locate_all(self, organisations: list[Organisation]) -> None:
        """Look up the points of many groups in one vectorised query."""
        points = sorted(p for p in {self.point(o) for o in organisations} if None not in p)
        for point, codes in zip(points, self.locator.containing_many(points), strict=True):
            self._located[point] = {int(code) for code in codes}

    def areas_for(self, org: Organisation) -> set[int]:
        """Every area the group lies in: by its coordinates and its chosen area, and by its
        practice's PCN when neither puts it in a PCN already."""
        direct = self.located(*self.point(org))
        if org.area_id is not None:
            direct.add(org.area_id)
        found = self.with_ancestors(direct)
        pcn = self.practice_area(org.practice_code)
        if pcn is not None and not any(self.type.get(a) == "pcn" for a in found):
            found |= self.with_ancestors({pcn})
        return found

    @staticmethod
    def point(org: Organisation) -> tuple[float | None, float | None]:
        """The group's point for placement: typed-in coordinates always; its postcode's
        location unless an area was given explicitly."""
        if org.located_by == "postcode" and org.area_given:
            return None, None
        return org.lon, org.lat

    def home_area(self, org: Organisation) -> int | None:
        """The area to record as the group's own: chosen, else its PCN, else the deepest found."""
        if org.area_id is not None and (org.area_given or org.located_by != "postcode"):
            return org.area_id
        pcn = self.practice_area(org.practice_code)
        if pcn is not None:
            return pcn
        found = self.located(*self.point(org))
        return max(found, key=lambda a: (self.depth(a), -a)) if found else None


def place(organisations: list[Organisation], placer: Placer | None = None) -> int:
    """Rewrite the OrganisationArea rows of these groups; returns how many rows."""
    placer = placer or Placer()
    ids = [org.id for org in organisations]
    if not ids:
        return 0
    for start in range(0, len(ids), 10_000):  # under every engine's limit of bound values
        chunk = ids[start : start + 10_000]
        db.session.execute(
            sa.delete(OrganisationArea).where(OrganisationArea.organisation_id.in_(chunk))
        )
    placer.locate_all(organisations)
    rows = [
        {"organisation_id": org.id, "area_id": area_id}
        for org in organisations
        for area_id in sorted(placer.areas_for(org))
    ]
    if rows:
        db.session.execute(OrganisationArea.__table__.insert(), rows)
    return len(rows)


def place_everyone() -> int:
    """Re-place every group (after boundaries or practices change); returns how many rows."""
    organisations = list(db.session.scalars(sa.select(Organisation)))
    return place(organisations)
