"""The public directory: which groups are listed, and their listings, for every reader.

One home for the consent-to-publication rule: ``listed_select`` is the only query of
listed groups, and ``_group`` the only way a group becomes a listing (its name, area,
activities and the directory entry it keeps, nothing else read), so the consent
question's preview (``listing_of``),
``survey export oruk``, the Open Referral UK API and the public listing page publish
the same records. A group that withdraws consent drops out of all of them at once.
Groups' own coordinates are never used here: distance is to the centroid of the
area the listing names.

Which groups match a filter is worked out once per state of the directory: the
database renews a token (``DirectoryState``, triggers in migration 0010) in the same
transaction as any write a listing, its membership or an area filter is read from, so
a reply reuses a match list only while the token it reads first is unchanged, whoever
wrote (another process, raw SQL). A page's listings are still read through
``listed_select``, so consent is asked of the database on every reply as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import IO

import sqlalchemy as sa

from exports.oruk import (
    MONTHS,
    NO_VENUE,
    ListedGroup,
    Venue,
    group_description,
    listing_rows,
    oruk_id,
    oruk_page,
    oruk_page_json,
    service_record,
)
from maps.choropleth import to_embedded_json
from maps.layers import VenueMarker, venue_layer
from maps.postcodes import great_circle_metres

from .extensions import db
from .models import Area, DirectoryEntry, DirectoryState, Organisation, OrganisationArea
from .sql import ids_in


def listed_select() -> sa.Select:
    """Every group that agreed to be listed, in a stable order (by id)."""
    return (
        sa.select(Organisation)
        .where(Organisation.consent_directory.is_(True))
        .order_by(Organisation.id)
    )


def _labels(values) -> list[str]:
    """Activity values from a profile in words ("young-people" -> "young people")."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return []
    return [str(v).replace("_", " ").replace("-", " ") for v in values if str(v).strip()]


# Taxonomy term id -> its activity's words, for every activity a listing has carried.
_TERMS: dict[str, str] = {}


def _text(details: dict, key: str) -> str:
    value = details.get(key)
    return value.strip() if isinstance(value, str) else ""


def _venue(details: dict) -> Venue | None:
    """The meeting place, only when the group named it a public venue."""
    if details.get("venue_public") != "yes":
        return None
    parts = [_text(details, k) for k in ("venue_name", "venue_address", "venue_town")]
    postcode = _text(details, "venue_postcode")
    if not any(parts) and not postcode:
        return None
    return Venue(*parts, postcode)


def _group(
    org_id: int,
    name: str,
    area_name: str | None,
    profile,
    details=None,
    confirmed_at: dt.datetime | None = None,
) -> ListedGroup:
    """One listed group as the ORUK core takes it: its name, area, and its entry.

    The categories it chose are its activities; without any, the survey's answer.
    """
    profile = profile if isinstance(profile, dict) else {}
    details = details if isinstance(details, dict) else {}
    chosen = details.get("categories")
    activities = tuple(_labels(chosen or profile.get("activity_types") or profile.get("activity")))
    for label in activities:
        _TERMS.setdefault(oruk_id("taxonomy-term", label), label)
    return ListedGroup(
        key=str(org_id),
        name=name,
        area=area_name,
        activities=activities,
        offers=_text(details, "offers"),
        eligibility=_text(details, "eligibility"),
        times=_text(details, "times"),
        venue=_venue(details),
        cost=_text(details, "cost"),
        accessibility=_text(details, "accessibility"),
        email=_text(details, "email"),
        phone=_text(details, "phone"),
        website=_text(details, "website"),
        confirmed=confirmed_at.date().isoformat() if confirmed_at else None,
    )


class _Listing:
    """One listed group's listing as built from its stored columns, with what readers
    ask of it worked out once: the ORUK record as JSON, the published text for search,
    and its taxonomy term ids."""

    __slots__ = ("group", "_json", "_text", "_terms")

    def __init__(self, group: ListedGroup):
        self.group = group
        self._json: str | None = None
        self._text: str | None = None
        self._terms: frozenset[str] | None = None

    @property
    def record_json(self) -> str:
        if self._json is None:
            self._json = json.dumps(service_record(self.group), separators=(",", ":"))
        return self._json

    @property
    def text(self) -> str:
        """Every published word, case-folded: what a search reads (never private fields)."""
        if self._text is None:
            self._text = " ".join(text for _, text in listing_rows(self.group)).casefold()
        return self._text

    @property
    def terms(self) -> frozenset[str]:
        if self._terms is None:
            self._terms = frozenset(oruk_id("taxonomy-term", a) for a in self.group.activities)
        return self._terms


# Group id -> (digest of the stored columns its listing is built from, the listing). A
# listing is a pure function of those columns, so an entry whose digest matches the row
# just read is that row's listing; any edit, in this process or another, changes the
# digest. Which groups are listed is asked of the database with every page it reads.
_LISTINGS: dict[int, tuple[bytes, _Listing]] = {}
MAX_CACHED_LISTINGS = 25_000
_LISTINGS_LOCK = threading.Lock()


def _loaded(text: str | None):
    """A JSON column read as text (NULL or the JSON null both give None)."""
    return json.loads(text) if text else None


def _listings(query: sa.Select, keep: bool = True) -> list[_Listing]:
    """The listings of a query's groups, reading only the published columns (as stored,
    so an unchanged group's listing is not built again). ``keep=False``: listings not
    already kept are built for this call only (a whole-directory export)."""
    columns = (
        query.with_only_columns(
            Organisation.id,
            Organisation.name,
            Area.name,
            sa.cast(Organisation.profile, sa.Text),
            sa.cast(DirectoryEntry.details, sa.Text),
            DirectoryEntry.confirmed_at,
        )
        .outerjoin(Area, Area.id == Organisation.area_id)
        .outerjoin(DirectoryEntry, DirectoryEntry.organisation_id == Organisation.id)
    )
    out = []
    for org_id, name, area, profile, details, confirmed in db.session.execute(columns):
        digest = hashlib.blake2b(
            repr((name, area, profile, details, confirmed)).encode(), digest_size=16
        ).digest()
        known = _LISTINGS.get(org_id)
        if known is None or known[0] != digest:
            group = _group(org_id, name, area, _loaded(profile), _loaded(details), confirmed)
            known = (digest, _Listing(group))
            if keep:
                with _LISTINGS_LOCK:  # a threaded server's requests share the dict
                    if len(_LISTINGS) >= MAX_CACHED_LISTINGS:
                        _LISTINGS.pop(next(iter(_LISTINGS)))  # the oldest goes first
                    _LISTINGS[org_id] = known
        out.append(known[1])
    return out


def listing_of(organisation: Organisation, details: dict | None = None) -> ListedGroup:
    """The listing this group has, or would have if listed: what its consent question
    and check page show. ``details`` (a draft) stands in for the saved entry if given."""
    entry = db.session.get(DirectoryEntry, organisation.id)
    if details is None:
        details = entry.details if entry is not None else None
    area = organisation.area.name if organisation.area is not None else None
    confirmed = entry.confirmed_at if entry is not None else None
    return _group(
        organisation.id, organisation.name, area, organisation.profile, details, confirmed
    )


def venue_layer_json(area_ids: list[int]) -> str | None:
    """``public_venues`` in these areas as the map's point layer (embedded JSON), or None
    when there are none: worked out once per state of the directory, since a map draws
    them on every request (a national one, 10,000 of them)."""
    key = tuple(sorted(set(area_ids)))
    return _VENUE_LAYERS.get(state_token(), key, lambda: _venue_layer_json(list(key)))


def _venue_layer_json(area_ids: list[int]) -> str | None:
    venues = public_venues(area_ids) if area_ids else []
    if not venues:
        return None
    markers = [VenueMarker(g.key, g.name, g.activities, lon, lat) for g, lat, lon in venues]
    return to_embedded_json(venue_layer(markers))


def public_venues(area_ids: list[int]) -> list[tuple[ListedGroup, float, float]]:
    """Listed groups in any of these areas that named a public venue, with its location.

    The same rule as the listing (``_venue``): a venue is published only when the group
    said it is public; its coordinates come from the venue's postcode, never the group's.
    """
    within = sa.select(OrganisationArea.organisation_id).where(  # one value, however many
        ids_in(OrganisationArea.area_id, area_ids)
    )
    query = (
        sa.select(
            Organisation.id,
            Organisation.name,
            Area.name,
            Organisation.profile,
            DirectoryEntry.details,
            DirectoryEntry.confirmed_at,
            DirectoryEntry.venue_lat,
            DirectoryEntry.venue_lon,
        )
        .join(DirectoryEntry, DirectoryEntry.organisation_id == Organisation.id)
        .outerjoin(Area, Area.id == Organisation.area_id)
        .where(
            Organisation.consent_directory.is_(True),
            Organisation.id.in_(within),
            DirectoryEntry.venue_lat.is_not(None),
            DirectoryEntry.venue_lon.is_not(None),
        )
        .order_by(Organisation.id)
    )
    out = []
    for *row, lat, lon in db.session.execute(query):
        group = _group(*row)
        if group.venue is not None:
            out.append((group, lat, lon))
    return out


def write_feed(out: IO[bytes], batch: int = 1000) -> int:
    """Write the ORUK feed of every listed group, by id (what ``survey export oruk``
    writes): one ``/services`` page holding every record, as compact JSON, streamed a
    batch of groups at a time so that memory stays flat however many are listed.
    Returns how many were written. Records come first and the page's counts after
    them, so the counts are of exactly the records written."""
    out.write(b'{"contents":[')
    total, after = 0, 0
    while True:
        chunk = _listings(listed_select().where(Organisation.id > after).limit(batch), keep=False)
        for listing in chunk:
            out.write((b"," if total else b"") + listing.record_json.encode())
            total += 1
        if len(chunk) < batch:
            break
        after = int(chunk[-1].group.key)
    head = oruk_page([None] * total, total_items=total, page_number=1, per_page=max(1, total))
    del head["contents"]
    out.write(b"]," + json.dumps(head, separators=(",", ":"))[1:].encode() + b"\n")
    return total


@dataclass(frozen=True)
class Filters:
    """What a reader asked for: words, an activity term, an area, a circle round a point.

    ``near`` is (lat, lon, metres): listings whose area's centroid lies within.
    """

    search: str | None = None
    taxonomy_term_id: str | None = None
    area_ids: frozenset[int] | None = None
    near: tuple[float, float, float] | None = None

    @property
    def needs_listings(self) -> bool:
        """True when the filter reads the published text, not just the database."""
        return bool(self.search or self.taxonomy_term_id)


def areas_within(lat: float, lon: float, metres: float) -> frozenset[int]:
    """Areas whose centroid lies within the distance of the point."""
    rows = db.session.execute(
        sa.select(Area.id, Area.centroid_lat, Area.centroid_lon).where(
            Area.centroid_lat.is_not(None), Area.centroid_lon.is_not(None)
        )
    )
    return frozenset(
        area_id
        for area_id, alat, alon in rows
        if great_circle_metres(lat, lon, alat, alon) <= metres
    )


# Text every listing may carry whatever the group wrote (the description's sentence, the
# "Where" of a group with no public venue, dates in words): a search word inside it can
# match any group, so it is never used to narrow the SQL below.
_FIXED_TEXT = " ".join(
    [group_description(ListedGroup("", "", " ", ("",), eligibility=" ", accessibility=" "))]
    + [NO_VENUE, *MONTHS]
).casefold()
# Letters whose case-folding turns non-ASCII text into ASCII (ß -> ss, ligatures): SQL's
# lower() would not see them, so such words are not used to narrow either.
_FOLDED = ("ss", "ff", "fi", "fl", "st")


def _word_clause(word: str):
    """A quick first cut for one search word: it appears, in any case, in the group's
    name, its area's name, its stored profile or its entry. A superset of the groups
    whose published listing has the word (_matches decides); None when it cannot be
    cut safely."""
    if (
        not word.isascii()
        or not word.isprintable()
        or set(word) & set('"\\%_')
        or word in _FIXED_TEXT
        or any(c.isdigit() for c in word)
        or any(pair in word for pair in _FOLDED)
    ):
        return None
    pattern = f"%{word}%"
    areas = sa.select(Area.id).where(sa.func.lower(Area.name).like(pattern))
    entries = sa.select(DirectoryEntry.organisation_id).where(
        sa.func.lower(sa.cast(DirectoryEntry.details, sa.Text)).like(pattern)
    )
    return sa.or_(
        sa.func.lower(Organisation.name).like(pattern),
        Organisation.area_id.in_(areas),
        sa.func.lower(sa.cast(Organisation.profile, sa.Text)).like(pattern),
        Organisation.id.in_(entries),
    )


def _filtered(filters: Filters) -> sa.Select:
    query = listed_select()
    for word in dict.fromkeys((filters.search or "").casefold().split()):
        clause = _word_clause(word)
        if clause is not None:
            query = query.where(clause)
    if filters.area_ids is not None:
        inside = sa.select(OrganisationArea.organisation_id).where(
            ids_in(OrganisationArea.area_id, filters.area_ids)
        )
        query = query.where(
            sa.or_(Organisation.id.in_(inside), ids_in(Organisation.area_id, filters.area_ids))
        )
    if filters.near is not None:
        query = query.where(Organisation.area_id.in_(areas_within(*filters.near)))
    label = _TERMS.get(filters.taxonomy_term_id or "")
    if (
        label is not None
        and label.isascii()
        and label.isprintable()
        and not set(label) & set('"\\')
    ):
        # A quick first cut in SQL: the activity's value in the stored profile, with "_"
        # (any one character) where the words had a space, "_" or "-". The published
        # listing decides (_matches); this only spares reading groups that cannot match.
        pattern = "%" + label.replace("%", "\\%").replace(" ", "_") + "%"
        chose = sa.select(DirectoryEntry.organisation_id).where(
            sa.cast(DirectoryEntry.details, sa.Text).like(pattern, escape="\\")
        )
        query = query.where(
            sa.or_(
                sa.cast(Organisation.profile, sa.Text).like(pattern, escape="\\"),
                Organisation.id.in_(chose),
            )
        )
    return query


def _matches(listing: _Listing, filters: Filters) -> bool:
    """Search and taxonomy filters, on the published listing only (never private fields)."""
    if filters.taxonomy_term_id and filters.taxonomy_term_id not in listing.terms:
        return False
    if filters.search:
        return all(word in listing.text for word in filters.search.casefold().split())
    return True


def state_token() -> str | None:
    """The directory's state as committed: its rows' tokens in order, joined. None (and
    nothing is reused) if there are no rows (a table emptied by hand) or, on PostgreSQL,
    if this transaction has written to the directory: it renews its token once, at its
    first write, so what it reads after that may not be what it commits."""
    columns = [DirectoryState.token]
    if db.session.get_bind().dialect.name == "postgresql":
        columns.append(sa.func.current_setting("directory_state.row", True))
    rows = db.session.execute(sa.select(*columns).order_by(DirectoryState.id)).all()
    if not rows or (len(rows[0]) > 1 and rows[0][1]):  # no rows, or renewed by this transaction
        return None
    return "".join(row[0] for row in rows)


class _PerState:
    """Values worked out under one state of the directory (its token), at most ``limit``
    of them, the oldest going first; a new token empties it. A threaded server's
    requests share it. With no token (see state_token) nothing is kept."""

    def __init__(self, limit: int):
        self.limit = limit
        self.values: dict[tuple[str, object], object] = {}
        self.lock = threading.Lock()

    def get(self, token: str | None, key, make):
        """The value kept for the key under this token, else make() (kept if a token)."""
        if token is None:
            return make()
        found = self.values.get((token, key), _MISSING)
        if found is _MISSING:
            found = make()
            with self.lock:
                if any(kept != token for kept, _ in self.values):
                    self.values.clear()
                elif len(self.values) >= self.limit:
                    self.values.pop(next(iter(self.values)))
                self.values[token, key] = found
        return found

    def clear(self) -> None:
        self.values.clear()

    def __len__(self) -> int:
        return len(self.values)


_MISSING = object()
# Filters -> what they match among listed groups: the ids in order, or, for an SQL
# filter keeping more than MAX_KEPT_IDS groups, only how many (its pages then come from
# the index, by offset).
_MATCHES = _PerState(64)
MAX_KEPT_IDS = 5_000
_VENUE_LAYERS = _PerState(8)  # area ids -> the public venues in them, as a map's layer
_ACTIVITIES = _PerState(1)  # the taxonomy's terms


def _matched(filters: Filters) -> tuple[int, ...] | int:
    """What the filters match now: the ids in order, or only their number when an SQL
    filter keeps more than MAX_KEPT_IDS (the published text always gives the ids)."""
    query = _filtered(filters)
    if not filters.needs_listings:
        total = db.session.scalar(query.with_only_columns(sa.func.count()).order_by(None))
        if total > MAX_KEPT_IDS:
            return total
        return tuple(db.session.scalars(query.with_only_columns(Organisation.id)))
    return tuple(
        int(listing.group.key) for listing in _listings(query) if _matches(listing, filters)
    )


def _matched_now(filters: Filters) -> tuple[int, ...] | int:
    """_matched, reused while the directory's state token is unchanged (the token is
    read before the groups, so a write after it gives a new token)."""
    return _MATCHES.get(state_token(), filters, lambda: _matched(filters))


def _page(filters: Filters, page: int, per_page: int) -> tuple[list[_Listing], int]:
    """The listings on one page of the filtered directory, and how many match in all.

    A page's listings are read through listed_select, so consent is asked of the
    database for every page as well as for the match list.
    """
    matched = _matched_now(filters)
    start = (page - 1) * per_page
    if isinstance(matched, int):
        # The page's ids are found on the group table alone; only those rows are joined.
        ids = _filtered(filters).with_only_columns(Organisation.id).offset(start).limit(per_page)
        chosen = ids.scalar_subquery()
        total = matched
    else:
        chosen, total = matched[start : start + per_page], len(matched)
        if not chosen:
            return [], total
    return _listings(listed_select().where(Organisation.id.in_(chosen))), total


def services_page(filters: Filters, page: int, per_page: int, shape=service_record) -> dict:
    """One ORUK page of listed services, filtered; the records ``survey export oruk`` writes.

    ``shape`` makes each listing's item: the ORUK record, or (for the public page) its
    name and listing_rows.
    """
    listings, total = _page(filters, page, per_page)
    return oruk_page(
        [shape(listing.group) for listing in listings],
        total_items=total,
        page_number=page,
        per_page=per_page,
    )


def services_page_json(filters: Filters, page: int, per_page: int) -> str:
    """services_page of ORUK records as JSON text, each record's JSON made once per
    version of its group (what the API sends)."""
    listings, total = _page(filters, page, per_page)
    return oruk_page_json(
        [listing.record_json for listing in listings],
        total_items=total,
        page_number=page,
        per_page=per_page,
    )


# Service id -> group id. A service id is a UUID made from the group's id alone, the same
# in every database, so the map only ever grows; whether the group is listed is asked anew.
_SERVICE_IDS: dict[str, int] = {}


def listed_service(service_id: str) -> str | None:
    """The fully nested service with this id as JSON, if its group is listed now; else None."""
    if service_id not in _SERVICE_IDS:
        ids = db.session.scalars(
            sa.select(Organisation.id).where(Organisation.consent_directory.is_(True))
        )
        _SERVICE_IDS.update((oruk_id("service", str(i)), i) for i in ids)
    org_id = _SERVICE_IDS.get(service_id)
    if org_id is None:
        return None
    found = _listings(listed_select().where(Organisation.id == org_id))
    return found[0].record_json if found else None


def listed_activities() -> list[str]:
    """Every activity some listed group carries: the taxonomy's terms, sorted (worked
    out once per state of the directory)."""

    def make() -> list[str]:
        labels: set[str] = set()
        for listing in _listings(listed_select()):
            labels.update(listing.group.activities)
        return sorted(labels)

    return _ACTIVITIES.get(state_token(), None, make)


def page_of(items: list, page: int, per_page: int) -> dict:
    """A short list in memory (the taxonomies) as one ORUK page."""
    start = (page - 1) * per_page
    return oruk_page(
        items[start : start + per_page], total_items=len(items), page_number=page, per_page=per_page
    )
