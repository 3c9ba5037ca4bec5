"""Publishing area figures: which groups feed each figure now, the ledger of what was shown.

Area figures are not worked out afresh on every read: that let a reader
subtract a figure from the same figure a moment later (one group submitted),
or a ward's from an overlapping neighbourhood's. Instead each round keeps a
ledger of the figures it has published, each with the set of responses it was
made from. On a read, if the groups behind the round's figures have changed
since the last publication, scoring.disclosure decides which areas get a new
figure (a set that differs from every set ever published for the round and
domain by none or by at least the threshold); the others keep their last
published figure. The first read of a round publishes, so figures appear as
soon as there are enough groups.

A refresh of a big round takes seconds (about 16 at 40,000 groups). With
PUBLISH_IN_BACKGROUND a page does not wait for it: it shows the view's latest
publication, as it was, while a thread of the process publishes the new one. Those
figures were published already, so showing them again discloses nothing new.

A member of a set is a response id and its value in the domain, so a changed
score or a moderated level counts as a change of group. The ledger keeps members as
text keys (member_key); a refresh holds them as numbers (scoring.members).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from scoring.aggregate import summarise
from scoring.disclosure import plan_publication, sizes_near, to_check
from scoring.members import (
    AreaBits,
    AreaCounts,
    MemberSet,
    MemberTable,
    SetDigests,
    members_digest,
    position,
    sets_by_area,
)
from scoring.paired import paired_change

from . import derived_sets
from .extensions import db
from .instruments_store import instrument_for
from .memory import paused_collection, release_memory
from .models import (
    Area,
    DomainScore,
    FiguresSummary,
    Invitation,
    OrganisationArea,
    Publication,
    PublishedFigure,
    Response,
    Round,
    current_submissions,
)
from .publication_token import change_token
from .sql import ids_in, streamed

RESPONDED = "responded"  # the pseudo-domain of response counts (coverage)
AMBITION = "~ambition"  # suffix of a domain's ambition figure: where its groups plan to be


def ambition_of(domain_id: str) -> str:
    """The pseudo-domain holding the ambition ("where we plan to be in a year") of a domain.

    Ambitions are published like scores, under the same rule and in the same
    ledger, so an area's mean ambition is never shown for fewer groups, nor
    recoverable by subtraction, any more than its mean level is.
    """
    return domain_id + AMBITION


ATTEMPTS = 5

# The ledger's member sets (up to tens of thousands of keys each) read at a time (yield_per):
# read whole, the 271 sets a refresh read back at 40,000 groups were 1.1 million keys, about
# 100 MB of small objects at once, and the arenas Python's allocator grew for them stayed
# with the worker after
SETS_AT_ONCE = 16


@dataclass
class Current:
    """The groups behind each figure of a round now, for one view (self-assessed or moderated)."""

    sets: dict[str, dict[int, MemberSet]] = field(default_factory=dict)  # domain, area
    members: MemberTable | None = None  # the sets' members' keys and values
    invited: Mapping[int, int] = field(default_factory=dict)  # area -> live invitations
    fingerprint: str = ""
    present: dict[str, AreaBits] | None = None  # a summary's: areas with members
    digests: dict[str, Mapping[int, str]] = field(default_factory=dict)  # of each set in sets

    def has_members(self, domain_id: str, area_id: int) -> bool:
        """True when some group is behind one area's figure in one domain now: asked of a
        summary, the only state publish gives (a page never holds the sets)."""
        return area_id in self.present.get(domain_id, ())

    def summary(self) -> Current:
        """What a page needs of this (which figures have groups, invitations, fingerprint),
        without the members: small enough to keep between requests."""
        present = {d: AreaBits.of(a for a, m in by.items() if m) for d, by in self.sets.items()}
        return Current(invited=self.invited, fingerprint=self.fingerprint, present=present)


def _parents() -> dict[int, int | None]:
    return dict(db.session.execute(sa.select(Area.id, Area.parent_id)).all())


def up_the_tree(rows: list[tuple]) -> list[tuple]:
    """Copy each locality row to every ancestor of its area."""
    if not rows:
        return rows
    parents = _parents()
    out = []
    for area_id, *rest in rows:
        node, seen = area_id, set()
        while node is not None and node not in seen:
            out.append((node, *rest))
            seen.add(node)
            node = parents.get(node)
    return out


def children_by_parent() -> dict[int, list[int]]:
    """Each area's child areas."""
    children: dict[int, list[int]] = defaultdict(list)
    for area_id, parent_id in _parents().items():
        if parent_id is not None:
            children[parent_id].append(area_id)
    return children


def _memberships(round_: Round) -> dict[int, list[int]]:
    """Response -> the areas it counts in, for every current submission of the round.

    A group's response counts in every area the group lies in; a locality
    response in its own area and every area above it.
    """
    by_group = (
        sa.select(Response.id, OrganisationArea.area_id)
        .join(OrganisationArea, OrganisationArea.organisation_id == Response.organisation_id)
        .where(*current_submissions(round_.id))
    )
    by_area = sa.select(Response.area_id, Response.id).where(
        *current_submissions(round_.id),
        Response.organisation_id.is_(None),
        Response.area_id.is_not(None),
    )
    areas: dict[int, list[int]] = defaultdict(list)
    for response_id, area_id in streamed(by_group):
        areas[response_id].append(area_id)
    for area_id, response_id in up_the_tree([tuple(r) for r in db.session.execute(by_area)]):
        areas[response_id].append(area_id)
    return areas


def _scores(round_: Round):
    """(response, domain, score, level, moderated level, ambition) of every current submission:
    one row per response and domain, read by the round's key (the areas come separately)."""
    return streamed(
        sa.select(
            DomainScore.response_id,
            DomainScore.domain_id,
            DomainScore.score,
            DomainScore.level,
            DomainScore.moderated_level,
            DomainScore.ambition,
        )
        .join(Response, Response.id == DomainScore.response_id)
        .where(
            DomainScore.round_id == round_.id,
            DomainScore.level.is_not(None),
            *current_submissions(round_.id),
        )
    )


def invited_counts(round_: Round) -> AreaCounts:
    """Live (unrevoked) invitations per area: groups' through their areas, localities' up the tree."""
    live = (Invitation.round_id == round_.id, Invitation.revoked_at.is_(None))
    counts: dict[int, int] = dict(
        db.session.execute(
            sa.select(OrganisationArea.area_id, sa.func.count(sa.distinct(Invitation.id)))
            .join(Invitation, Invitation.organisation_id == OrganisationArea.organisation_id)
            .where(*live)
            .group_by(OrganisationArea.area_id)
        ).all()
    )
    localities = db.session.execute(
        sa.select(Invitation.area_id).where(
            *live, Invitation.organisation_id.is_(None), Invitation.area_id.is_not(None)
        )
    ).all()
    for (area_id,) in up_the_tree([tuple(r) for r in localities]):
        counts[area_id] = counts.get(area_id, 0) + 1
    return AreaCounts(counts)


def member_key(response_id: int, score: float, level: int) -> str:
    """A response in a figure: its id and its value, so a changed value is a changed member."""
    return f"{response_id}:{level}:{float(score)!r}"


class _Entries:
    """A round's member-set entries as they are read (a set, the combination of areas its
    response counts in, a member: the response, its level and score) in flat arrays of
    numbers, not objects: at 40,000 groups, 1.5 million entries."""

    def __init__(self) -> None:
        self.set_index: dict[str, int] = {}  # set id -> its number, in the order met
        self._columns = (array("q"), array("q"), array("q"), array("q"), array("d"))

    def add(self, set_id: str, place: int, response_id: int, score: float, level: int) -> None:
        sets, places, ids, levels, scores = self._columns
        sets.append(self.set_index.setdefault(set_id, len(self.set_index)))
        places.append(place)
        ids.append(response_id)
        levels.append(level)
        scores.append(score)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Sets, combinations, responses, levels and scores, one array each."""
        return tuple(np.frombuffer(column, dtype=column.typecode) for column in self._columns)


def current_state(round_: Round, moderated: bool, threshold: int) -> Current:
    """The member sets of every area and domain of the round now, with a fingerprint of them.

    Each response's members (its value in each domain, its ambition, its target
    set, its paired change) are worked out once and added to each area it counts
    in: the rows come from the database once per response, not once per area.
    """
    # Each entry (a set, the combination of areas its response counts in, a member) goes
    # into flat arrays of numbers, not objects: at 40,000 groups, 1.5 million entries. Each
    # area's set is then made from the combinations it is in (the groups of one small area
    # share theirs): 5 million additions one member and area at a time were a quarter of
    # the pass.
    # First: kept after the pass (in the summary), so not in the memory it grows
    invited = invited_counts(round_)
    entries = _Entries()
    combinations: dict[tuple[int, ...], int] = {}
    places_of = {
        response_id: combinations.setdefault(tuple(areas), len(combinations))
        for response_id, areas in _memberships(round_).items()
    }
    target = round_.target_level
    changes = derived_sets.paired_rows(round_, moderated)
    add = entries.add
    for response_id, domain_id, score, level, moderated_level, ambition in _scores(round_):
        place = places_of.get(response_id)
        if place is None:
            continue
        if moderated and moderated_level is not None:
            score, level = moderated_level, moderated_level
        score, level = float(score), int(level)
        add(domain_id, place, response_id, score, level)
        slot = derived_sets.target_set(domain_id, level, target)
        if slot is not None:
            add(slot, place, response_id, score, level)
        change = changes.get((response_id, domain_id))
        if change is not None:
            add(domain_id + derived_sets.PAIRED, place, response_id, change, 0)
        if ambition is not None:
            ambition_id = ambition_of(domain_id)
            add(ambition_id, place, response_id, float(ambition), int(ambition))
            slot = derived_sets.target_set(ambition_id, int(ambition), target)
            if slot is not None:
                add(slot, place, response_id, float(ambition), int(ambition))
    for response_id, set_id, value in derived_sets.readiness_members(
        round_, instrument_for(round_)
    ):
        place = places_of.get(response_id)
        if place is not None:
            add(set_id, place, response_id, value, 0)
    for response_id, place in places_of.items():
        add(RESPONDED, place, response_id, math.nan, 0)  # a member without a value
    del changes, places_of

    def key(response_id: int, level: int, score: float) -> str:
        return str(response_id) if math.isnan(score) else member_key(response_id, score, level)

    set_ids = list(entries.set_index)
    set_of, place_of, ids, levels, scores = entries.arrays()
    del add, entries
    table, codes = MemberTable.numbered(ids, levels, scores, key)
    del ids, levels, scores
    # Each set's entries by combination; each area's set from the combinations it is in,
    # as a MemberSet (sorted codes): at 40,000 groups, 27 MB of codes where frozensets of
    # the keys took 332 MB
    places = list(combinations)
    order = np.lexsort((place_of, set_of))
    set_of, place_of, codes = set_of[order], place_of[order], codes[order]
    del order
    sets: dict[str, dict[int, MemberSet]] = {}
    digests: dict[str, SetDigests] = {}
    set_cuts = [0, *(np.flatnonzero(np.diff(set_of)) + 1).tolist(), set_of.size]
    for start, end in zip(set_cuts[:-1], set_cuts[1:], strict=True):
        if start == end:
            continue
        set_id = set_ids[int(set_of[start])]
        in_set = place_of[start:end]
        cuts = [0, *(np.flatnonzero(np.diff(in_set)) + 1).tolist(), in_set.size]
        sets[set_id] = sets_by_area(
            [places[p] for p in in_set[cuts[:-1]].tolist()], np.diff(cuts), codes[start:end]
        )
        digests[set_id] = table.digests(sets[set_id])
    fingerprint = hashlib.sha256(f"{int(moderated)}|{threshold}".encode())
    for domain_id in sorted(sets):
        for area_id, digest in digests[domain_id].items():  # in order of area
            fingerprint.update(f"|{domain_id}|{area_id}|{digest}".encode())
    return Current(sets, table, invited, fingerprint.hexdigest(), digests=digests)


def latest_publication(round_id: int, moderated: bool) -> Publication | None:
    return db.session.scalar(
        sa.select(Publication)
        .where(Publication.round_id == round_id, Publication.moderated.is_(moderated))
        .order_by(Publication.seq.desc())
        .limit(1)
    )


def publish(round_: Round, *, moderated: bool, threshold: int) -> tuple[Publication, Current]:
    """The round's publication for this view, refreshed first if its groups have changed
    (for a page, with PUBLISH_IN_BACKGROUND, refreshed after: _shown_while_refreshing),
    and the summary of the groups behind it (Current.summary: no member sets).

    The refresh is its own transaction (the caller's pending work is committed
    first). On PostgreSQL the round's row is locked so that two requests do
    not publish at once; on any engine, a clash on (round, seq) or a busy
    SQLite database makes the loser start again and find the winner's work.
    """
    round_id = round_.id
    read = _read_once()
    if (round_id, moderated, threshold) in read:
        return read[round_id, moderated, threshold]
    known_key = (str(db.engine.url), round_id, moderated, threshold)
    # Before the sets: a change in between is seen next time.
    token = change_token(round_, read.setdefault("token rows", {}))
    known = _KNOWN.get(known_key)
    state = known[1] if token is not None and known is not None and known[0] == token else None
    stored = None  # the summary stored for other processes, once read
    if state is None and token is not None:  # another process may have worked them out
        stored = _summary_row(round_id, moderated, threshold)
        if stored is not None and stored.token == _token_digest(token):
            state = _summary_of(stored)
            _remember(known_key, token, state)
    latest = latest_publication(round_id, moderated)
    if state is None or latest is None or latest.fingerprint != state.fingerprint:
        earlier = _shown_while_refreshing(round_id, moderated, threshold, latest, stored)
        if earlier is not None:
            read[round_id, moderated, threshold] = earlier
            return earlier
        stored = None  # its area ids (280,000 at 40,000 groups): not held while the sets are made
        with paused_collection():
            state = current_state(round_, moderated, threshold)
        summary = state.summary()
        share = None  # the statement that shares the summary with other processes, if any
        if token is not None and _may_share():
            share = _summary_upsert(round_id, moderated, threshold, token, summary)
        session = db.session()
        keep, session.expire_on_commit = session.expire_on_commit, False  # caller's areas
        try:
            if latest is None or latest.fingerprint != state.fingerprint:
                latest = _publish_once(round_id, moderated, threshold, state, share)
            elif share is not None:
                _share_alone(share)
        finally:
            session.expire_on_commit = keep
        # the page is given the summary, not the sets: they go before it draws. At 40,000
        # groups a worker's first map peaked at 389-395 MB, against 410-425 with the sets
        # alive while it drew, and its first trends page (two rounds') at 393 against 437
        state = summary
        if token is not None:
            _remember(known_key, token, summary)
    read[round_id, moderated, threshold] = latest, state
    return latest, state


# (database, round, view, threshold) -> (change token, summary of the member sets): kept by
# each process between requests, so a page reads the sets again only after they changed
_KNOWN: dict[tuple, tuple[tuple, Current]] = {}
KNOWN_ROUNDS = 64


_KNOWN_LOCK = threading.Lock()


def _remember(key: tuple, token: tuple, summary: Current) -> None:
    _keep(_KNOWN, _KNOWN_LOCK, KNOWN_ROUNDS, key, (token, summary))


def _keep(store: dict, lock: threading.Lock, limit: int, key, value) -> None:
    """Put a value in one of this process's stores, forgetting the oldest beyond limit."""
    with lock:
        store.pop(key, None)
        while len(store) >= limit:
            store.pop(next(iter(store)))
        store[key] = value


def _token_digest(token: tuple) -> str:
    return hashlib.sha256(repr(token).encode()).hexdigest()


def _summary_row(round_id: int, moderated: bool, threshold: int):
    """The summary of the view's sets that a process (this one, or another) stored last,
    under the change token it was made for."""
    return db.session.execute(
        sa.select(
            FiguresSummary.token,
            FiguresSummary.fingerprint,
            FiguresSummary.present,
            FiguresSummary.invited,
        ).where(
            FiguresSummary.round_id == round_id,
            FiguresSummary.moderated.is_(moderated),
            FiguresSummary.threshold == threshold,
        )
    ).first()


def _summary_of(row) -> Current:
    present = {set_id: AreaBits.of(ids) for set_id, ids in row.present.items()}
    invited = AreaCounts({int(area_id): n for area_id, n in row.invited.items()})
    return Current(invited=invited, fingerprint=row.fingerprint, present=present)


def _shown_while_refreshing(
    round_id: int,
    moderated: bool,
    threshold: int,
    latest: Publication | None,
    stored=None,
) -> tuple[Publication, Current] | None:
    """For a page (GET or HEAD) when the app publishes in the background: the view's latest
    publication and the summary of the groups it was made from, as they were, while a
    thread publishes the new figures. None when there is no such pair (nothing published
    yet, or its summary not kept): the caller publishes and waits. ``stored``: the stored
    summary's row, if the caller has read it.

    The page is told that newer answers are on their way (figures_refreshing)."""
    if (
        latest is None
        or not current_app.config.get("PUBLISH_IN_BACKGROUND")
        or not has_request_context()
        or request.method not in ("GET", "HEAD")
    ):
        return None
    row = stored if stored is not None else _summary_row(round_id, moderated, threshold)
    if row is None or row.fingerprint != latest.fingerprint:
        return None
    refresh_in_background(current_app._get_current_object(), round_id, moderated, threshold)
    request.environ[REFRESHING] = True
    return latest, _summary_of(row)


REFRESHING = "survey.figures_refreshing"


def figures_refreshing() -> bool:
    """True when this page shows figures that a background refresh is replacing."""
    return has_request_context() and bool(request.environ.get(REFRESHING))


# (database, round, view, threshold) -> the thread refreshing it: one at a time each
_REFRESHING: dict[tuple, threading.Thread] = {}
_REFRESHING_LOCK = threading.Lock()


def refresh_in_background(app, round_id: int, moderated: bool, threshold: int) -> None:
    """Publish the round's view in a thread of this process, unless one is at it already
    (another process may be too: see _refresh_alone)."""
    key = (str(db.engine.url), round_id, moderated, threshold)
    with _REFRESHING_LOCK:
        running = _REFRESHING.get(key)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(
            target=_refresh_alone,
            args=(app, round_id, moderated, threshold),
            name=f"publish round {round_id}",
            daemon=True,
        )
        _REFRESHING[key] = thread
        thread.start()


def _refresh_alone(app, round_id: int, moderated: bool, threshold: int) -> None:
    """The refresh a page left to a thread: its own app context, session and transaction.
    A failure is logged; the next page to find the figures out of date starts another.

    On PostgreSQL, one process at a time: a refresh of a big round holds about a
    gigabyte while it works, and every worker's pages find the figures out of date at
    once. The others skip theirs; their next pages find the new figures published."""
    with app.app_context():
        try:
            with _one_process_at_a_time(round_id, moderated) as mine:
                round_ = db.session.get(Round, round_id)
                if mine and round_ is not None:  # outside a request: publish waits for it
                    publish(round_, moderated=moderated, threshold=threshold)
        except Exception:
            db.session.rollback()
            app.logger.exception("publishing round %s in the background failed", round_id)
        finally:
            release_memory()  # the member sets' pages, back to the system


REFRESH_LOCKS = 0x5055_424C  # the namespace of the background refreshes' advisory locks


@contextmanager
def _one_process_at_a_time(round_id: int, moderated: bool):
    """True inside when this process may refresh the round's view now: on PostgreSQL, when
    it holds the view's advisory lock (on a connection of its own, released after);
    elsewhere always (refreshes of one round still queue on its row in _publish_once)."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = round_id * 2 + int(moderated)
    with db.engine.connect() as guard:
        mine = guard.scalar(sa.select(sa.func.pg_try_advisory_lock(REFRESH_LOCKS, key)))
        try:
            yield bool(mine)
        finally:
            if mine:
                guard.scalar(sa.select(sa.func.pg_advisory_unlock(REFRESH_LOCKS, key)))
            guard.commit()


def wait_for_refreshes(timeout: float | None = None) -> None:
    """Until the background refreshes this process has started have finished."""
    with _REFRESHING_LOCK:
        threads = list(_REFRESHING.values())
    for thread in threads:
        thread.join(timeout)


def _may_share() -> bool:
    """Sharing commits: only outside a request that may write (a GET or HEAD, or none)."""
    return not has_request_context() or request.method in ("GET", "HEAD")


def _summary_upsert(
    round_id: int, moderated: bool, threshold: int, token: tuple, summary: Current
) -> tuple[sa.Executable, dict]:
    """The statement that stores the summary for other processes (figures_summary), and
    its values: given apart, as execute's parameters. Given in the statement, they were
    kept by SQLAlchemy's cache of compiled statements with the first statement of its
    shape, for the life of the process (280,000 area ids at 40,000 groups, 11 MB)."""
    values = {
        "round_id": round_id,
        "moderated": moderated,
        "threshold": threshold,
        "token": _token_digest(token),
        "fingerprint": summary.fingerprint,
        "present": {set_id: list(ids) for set_id, ids in (summary.present or {}).items()},
        "invited": {str(area_id): n for area_id, n in summary.invited.items()},
    }
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(FiguresSummary)
    statement = upsert.on_conflict_do_update(
        index_elements=["round_id", "moderated", "threshold"],
        set_={k: upsert.excluded[k] for k in ("token", "fingerprint", "present", "invited")},
    )
    return statement, values


def _share_alone(share) -> None:
    """Store the summary in a transaction of its own (when nothing is published with it).
    Best effort: a clash or a busy database leaves the row as it was, and a process that
    finds no row under its token works the sets out itself."""
    try:
        db.session.commit()
        db.session.execute(*share)
        db.session.commit()
    except (IntegrityError, OperationalError):
        db.session.rollback()


def _read_once() -> dict:
    """Publications already read by this page request (a page reads a round's once, however
    many of its parts show figures), and under "token rows" the change tokens' rows
    (change_token's memo); nothing is kept outside a GET or HEAD request, whose figures
    cannot change under it, nor between requests."""
    if has_request_context() and request.method in ("GET", "HEAD"):
        return request.environ.setdefault("survey.publications", {})
    return {}


def _publish_once(
    round_id: int, moderated: bool, threshold: int, state: Current, share=None
) -> Publication:
    """Refresh in a transaction of its own, starting again if another refresh got there first;
    ``share`` (the summary's upsert) goes in the same transaction, so it costs no commit."""
    db.session.commit()
    for attempt in range(ATTEMPTS):
        try:
            # FOR NO KEY UPDATE: refreshes of the round queue; submissions (which only
            # take a key share on the round's row) do not wait for them
            db.session.execute(
                sa.select(Round.id).where(Round.id == round_id).with_for_update(key_share=True)
            ).all()
            latest = latest_publication(round_id, moderated)
            if latest is None or latest.fingerprint != state.fingerprint:
                latest = _refresh(round_id, moderated, threshold, state)
            if share is not None:
                db.session.execute(*share)
            db.session.commit()
            return latest
        except (IntegrityError, OperationalError):
            db.session.rollback()
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _refresh(round_id: int, moderated: bool, threshold: int, state: Current) -> Publication:
    """Write one publication: new figures where scoring.disclosure allows, hidden slots."""
    before = _checked_before(round_id, moderated, threshold, state)
    seq = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Publication.seq), 0)).where(
            Publication.round_id == round_id
        )
    )
    made = Publication(
        round_id=round_id,
        seq=seq + 1,
        moderated=moderated,
        threshold=threshold,
        fingerprint=state.fingerprint,
        hidden=[],
    )
    db.session.add(made)
    db.session.flush()  # a second refresh of the round at once fails here
    published = _published_sets(round_id, moderated, state)
    ledger, newer = _ledger_near(round_id, threshold, state, published, before)
    children = children_by_parent()
    hidden, checked, figures = [], [], []
    for domain_id in sorted(set(state.sets) | set(published)):
        plan = plan_publication(
            state.sets.get(domain_id, {}),
            published.get(domain_id, {}),
            ledger.get(domain_id, ()),
            children,
            threshold,
            refused=before.refused.get(domain_id, ()),
            clean=before.clean.get(domain_id, ()),
            newer=newer.get(domain_id, ()),
        )
        digests = state.digests.get(domain_id, {})
        checked += [[a, domain_id, digests[a], True] for a in sorted(plan.refused)]
        checked += [[a, domain_id, digests[a], False] for a in sorted(plan.clean)]
        figures += [
            _figure(made.id, round_id, moderated, area_id, domain_id, members, state, threshold)
            for area_id, members in sorted(plan.publish.items())
        ]
        hidden += [[area_id, domain_id] for area_id in sorted(plan.hidden)]
    made.hidden, made.checked = hidden, checked or None
    db.session.flush()
    if figures:  # rows, not ORM objects: 50,000 took 17 s as objects, 4 s as rows
        db.session.execute(sa.insert(PublishedFigure), figures)
    return made


class Checked(NamedTuple):
    """What the view's last refresh found of the sets that are the same now."""

    refused: dict[str, set[int]]  # domain -> areas whose set a ledger set differs from by few
    clean: dict[str, set[int]]  # domain -> areas whose set no ledger set did
    since: int  # the last publication: sets published from it on are newer than the checks


def _checked_before(round_id: int, moderated: bool, threshold: int, state: Current) -> Checked:
    """What the view's last refresh checked against the ledger (scoring.disclosure.Plan's
    refused and clean) of the sets that have the same digest now, under the same threshold.
    The last publication stops keeping it, as the one being written keeps its own."""
    out = Checked(defaultdict(set), defaultdict(set), 0)
    last = latest_publication(round_id, moderated)
    if last is None or not last.checked:
        return out
    if last.threshold == threshold:
        for area_id, domain_id, digest, refused in last.checked:
            if state.digests.get(domain_id, {}).get(area_id) == digest:
                (out.refused if refused else out.clean)[domain_id].add(area_id)
    last.checked = None
    return out._replace(since=last.id)


def _published_sets(round_id: int, moderated: bool, state: Current) -> dict[str, dict]:
    """Domain -> area -> the set of the slot's last figure in this view.

    Most slots' last figures were made from the sets they have now (the same
    digest): those are taken from ``state``, and only the others' members are
    read back. At 40,000 groups, after a few changed scores, that was 297 of
    99,624 sets (the areas around the changed groups: 1.1 million members, the
    big areas' among them), not the 6.3 million members of the whole round.
    """
    # Each slot's figures as numbers, the digest only compared as it comes: the ledger's
    # digests and (slot, figure) tuples held at once were about 100 MB at 40,000 groups
    domains: dict[str, int] = {}
    slots, publications, figures, same = array("q"), array("q"), array("q"), array("b")
    rows = streamed(
        sa.select(
            PublishedFigure.domain_id,
            PublishedFigure.area_id,
            PublishedFigure.publication_id,
            PublishedFigure.id,
            PublishedFigure.digest,
        ).where(PublishedFigure.round_id == round_id, PublishedFigure.moderated.is_(moderated))
    )
    for domain_id, area_id, publication_id, figure_id, digest in rows:
        slots.append(domains.setdefault(domain_id, len(domains)) << 32 | area_id)
        publications.append(publication_id)
        figures.append(figure_id)
        same.append(digest is not None and digest == state.digests.get(domain_id, {}).get(area_id))
    slot_of = np.frombuffer(slots, dtype=np.int64)
    chosen = _latest_of_each(slot_of, np.frombuffer(publications, dtype=np.int64))
    domain_ids = list(domains)
    out: dict[str, dict] = defaultdict(dict)
    stale: dict[int, tuple[str, int]] = {}
    for slot, figure_id, unchanged in zip(
        slot_of[chosen].tolist(),
        np.frombuffer(figures, dtype=np.int64)[chosen].tolist(),
        np.frombuffer(same, dtype=np.int8)[chosen].tolist(),
        strict=True,
    ):
        domain_id, area_id = domain_ids[slot >> 32], slot & 0xFFFFFFFF
        if unchanged:
            out[domain_id][area_id] = state.sets[domain_id][area_id]
        else:
            stale[figure_id] = (domain_id, area_id)
    if stale:
        for figure_id, members in db.session.execute(
            sa.select(PublishedFigure.id, PublishedFigure.members).where(
                ids_in(PublishedFigure.id, stale)
            ),
            execution_options={"yield_per": SETS_AT_ONCE},
        ):
            domain_id, area_id = stale[figure_id]
            out[domain_id][area_id] = state.members.member_set(members)
    return out


# Above this many sizes to read (a round's first refresh), a refresh reads the whole ledger of
# the domains it checks.
NEAR_SIZES_READ = 2000


def _ledger_near(
    round_id: int, threshold: int, state: Current, published: dict[str, dict], before: Checked
) -> tuple[dict[str, list[MemberSet]], dict[str, list[MemberSet]]]:
    """Domain -> the sets ever published for it (any area, view, moment) that a set to check
    could differ from by few, and of those the ones published since the last refresh's
    checks: near in size to a set checked afresh, or to one found clean last time and
    published since (scoring.disclosure.plan_publication looks at no other). Read by the
    size index, not the whole ledger."""
    fresh: set[int] = set()
    again: set[int] = set()
    domains: set[str] = set()
    for domain_id, by_area in state.sets.items():
        last, clean = published.get(domain_id, {}), before.clean.get(domain_id, ())
        refused = before.refused.get(domain_id, ())
        for area_id, members in to_check(by_area, last, threshold, refused):
            (again if area_id in clean else fresh).add(len(members))
            domains.add(domain_id)
    if not domains:
        return {}, {}

    def sized(sizes: set[int]):
        near = sizes_near(sizes, threshold)
        return ids_in(PublishedFigure.n, near) if len(near) <= NEAR_SIZES_READ else sa.true()

    wanted = []
    if fresh:
        wanted.append(sized(fresh))
    if again:
        wanted.append(sa.and_(sized(again), PublishedFigure.publication_id >= before.since))
    rows = db.session.execute(
        sa.select(
            PublishedFigure.domain_id, PublishedFigure.publication_id, PublishedFigure.members
        )
        .where(PublishedFigure.round_id == round_id, PublishedFigure.domain_id.in_(sorted(domains)))
        .where(sa.or_(*wanted)),
        execution_options={"yield_per": SETS_AT_ONCE},
    )
    ledger: dict[str, list[MemberSet]] = defaultdict(list)
    newer: dict[str, list[MemberSet]] = defaultdict(list)
    for domain_id, publication_id, members in rows:
        members = state.members.member_set(members)
        ledger[domain_id].append(members)
        if publication_id >= before.since:
            newer[domain_id].append(members)
    return ledger, newer


def _figure(publication_id, round_id, moderated, area_id, domain_id, members, state, threshold):
    """One published figure's row (every column, so that the rows go in as one insert)."""
    row = {
        "publication_id": publication_id,
        "round_id": round_id,
        "moderated": moderated,
        "area_id": area_id,
        "domain_id": domain_id,
        "members": state.members.keys_of(members),
        "digest": state.digests[domain_id][area_id],
        "n": len(members),
        "invited": None,
        "mean": None,
        "median": None,
        "ci_low": None,
        "ci_high": None,
        "level_bands": None,
    }
    if domain_id == RESPONDED:
        row["invited"] = state.invited.get(area_id, 0)
        return row
    if derived_sets.is_derived(domain_id):
        # a count or a total (n and mean only), or a paired change with the interval of
        # the differences (not clipped to the 1 to 5 scale); no level bands
        values = state.members.scores[members.codes].tolist()
        if domain_id.endswith(derived_sets.PAIRED):
            change = paired_change(values, threshold)
            row["mean"], row["ci_low"], row["ci_high"] = change.mean, change.ci_low, change.ci_high
        else:
            row["mean"] = math.fsum(values) / len(values)
        return row
    scores = state.members.scores[members.codes].tolist()
    levels = state.members.levels[members.codes].tolist()
    summary = summarise(scores, levels, threshold)
    row["mean"], row["median"] = summary.mean, summary.median
    row["ci_low"], row["ci_high"] = summary.ci_low, summary.ci_high
    if summary.level_bands:
        row["level_bands"] = [[b.lowest, b.highest, b.count] for b in summary.level_bands]
    return row


class ShownFigure(NamedTuple):
    """A published figure as the pages read it: the ledger's row without its members."""

    publication_id: int
    area_id: int
    domain_id: str
    n: int
    mean: float | None
    median: float | None
    ci_low: float | None
    ci_high: float | None
    level_bands: list | None
    invited: int | None


class ShownFigures(Mapping[tuple[int, str], ShownFigure]):
    """(area, domain) -> the figure a publication shows, held as columns of numbers and a
    ShownFigure made when one is asked for. A process keeps these (shown_figures): for a
    small-area layer, 61,000 figures as tuples, with their keys and values, were 13 MB of
    small objects, made in the middle of the page's own and kept after it."""

    __slots__ = ("_domains", "_index", "_keys", "_ints", "_floats", "_none", "_bands")

    def __init__(self, domains: list[str], keys, ints, floats, none, bands: dict) -> None:
        """Row i: ``keys[i]`` (the domain's place in ``domains`` << 32 | the area, in
        ascending order), ``ints[i]`` (publication, n, invited or -1), ``floats[i]`` (mean,
        median, ci_low, ci_high) with ``none[i]`` true where None, ``bands.get(i)``."""
        self._domains = domains
        self._index = {domain_id: at for at, domain_id in enumerate(domains)}
        self._keys, self._ints, self._floats, self._none = keys, ints, floats, none
        self._bands = bands

    def _row(self, at: int) -> ShownFigure:
        key = int(self._keys[at])
        publication_id, n, invited = self._ints[at].tolist()
        mean, median, ci_low, ci_high = (
            None if none else value
            for value, none in zip(self._floats[at].tolist(), self._none[at].tolist(), strict=True)
        )
        return ShownFigure(
            publication_id,
            key & 0xFFFFFFFF,
            self._domains[key >> 32],
            n,
            mean,
            median,
            ci_low,
            ci_high,
            self._bands.get(at),
            None if invited < 0 else invited,
        )

    def __getitem__(self, key: tuple[int, str]) -> ShownFigure:
        area_id, domain_id = key
        domain = self._index.get(domain_id)
        if domain is not None and 0 <= area_id <= 0xFFFFFFFF:
            at = position(self._keys, domain << 32 | area_id)
            if at is not None:
                return self._row(at)
        raise KeyError(key)

    def __iter__(self):
        return ((key & 0xFFFFFFFF, self._domains[key >> 32]) for key in self._keys.tolist())

    def __len__(self) -> int:
        return int(self._keys.size)

    def items(self):
        """(key, figure) in the order of ``iter``, without a search for each."""
        for at in range(self._keys.size):
            figure = self._row(at)
            yield (figure.area_id, figure.domain_id), figure


def shown_figures(publication: Publication, area_ids: Iterable[int]) -> ShownFigures:
    """(area, domain) -> the figure the publication shows (hidden ones left out), as a
    read-only mapping.

    Read as plain rows: a national small-area layer has tens of thousands, and ORM
    objects for them were a third of the request. And kept by the process for the last
    few (publication, areas) asked: a publication's figures, and every earlier one's,
    never change once it is visible (refreshes of a round are serialised on its row and
    write a publication with its figures in one transaction; erasure renames members,
    which are not read here), so the same question has the same answer until a new
    publication is the latest. Reading 45,000 figures for 7,634 small areas took 0.45 s.
    """
    wanted = frozenset(area_ids)
    key = (*_identity(publication), wanted)
    with _SHOWN_LOCK:
        kept = _SHOWN.get(key)
    if kept is not None:
        return kept
    out = _read_shown(publication, wanted)
    _keep(_SHOWN, _SHOWN_LOCK, SHOWN_KEPT, key, out)
    return out


def _identity(publication: Publication) -> tuple:
    """A publication as the process's stores know it, across databases and their lifetimes."""
    return (
        str(db.engine.url),
        publication.id,
        publication.round_id,
        publication.moderated,
        publication.fingerprint,
        publication.published_at,  # a new database at the same address reuses ids
    )


# (database, publication, areas) -> what shown_figures read: the last few asked, per process
_SHOWN: dict[tuple, ShownFigures] = {}
SHOWN_KEPT = 8
_SHOWN_LOCK = threading.Lock()


def kept_reply(
    published: tuple[Publication, Current], threshold: int, key: tuple, make: Callable[[], bytes]
) -> bytes:
    """``make()``, or the bytes it made before for the same figures and the same question,
    kept by the process for the last few asked (REPLIES_KEPT, REPLIES_BYTES in all).

    ``published``: what publish returned for ``threshold``; it decides every figure and
    flag. A publication's figures never change (see shown_figures), and the state it is
    shown with (invitations, which figures have groups) is, between changes, the one
    summary publish remembers for the round's change token: a reply is kept and found
    only for that object, so a change, or a state shown during a refresh, is never
    answered from a kept reply. ``key``: everything else the reply depends on (the
    areas' codes and names, the round's own fields). The API's 45,804 small-area
    figures took 0.9 s to work out and write as 21 MB of JSON.
    """
    publication, state = published
    known = _KNOWN.get((str(db.engine.url), publication.round_id, publication.moderated, threshold))
    if known is None or known[1] is not state:
        return make()
    full = (*_identity(publication), threshold, key)
    with _REPLIES_LOCK:
        kept = _REPLIES.get(full)
    if kept is not None and kept[0] is state:
        return kept[1]
    made = make()
    if len(made) <= REPLIES_BYTES:
        with _REPLIES_LOCK:  # the newest kept, the oldest let go beyond the count or bytes
            _REPLIES.pop(full, None)
            while _REPLIES and (
                len(_REPLIES) >= REPLIES_KEPT
                or sum(len(r) for _, r in _REPLIES.values()) + len(made) > REPLIES_BYTES
            ):
                _REPLIES.pop(next(iter(_REPLIES)))
            _REPLIES[full] = (state, made)
    return made


# (database, publication, state, question) -> (state, reply): the last few asked, per process
_REPLIES: dict[tuple, tuple[Current, bytes]] = {}
REPLIES_KEPT = 8
REPLIES_BYTES = 48 * 2**20  # in all: two small-area replies, or many small ones
_REPLIES_LOCK = threading.Lock()


def _read_shown(publication: Publication, wanted: frozenset[int]) -> ShownFigures:
    hidden = {(a, d) for a, d in publication.hidden or []}
    rows = streamed(  # one row at a time: what is kept is not spread through a burst of rows
        sa.select(*(getattr(PublishedFigure, name) for name in ShownFigure._fields)).where(
            PublishedFigure.round_id == publication.round_id,
            PublishedFigure.moderated.is_(publication.moderated),
            PublishedFigure.publication_id <= publication.id,
            ids_in(PublishedFigure.area_id, wanted or {-1}),
        )
    )
    domains: dict[str, int] = {}
    keys, ints, floats = array("q"), array("q"), array("d")
    none, bands = array("b"), {}
    for publication_id, area_id, domain_id, n, *values, level_bands, invited in rows:
        if (area_id, domain_id) in hidden:
            continue
        if level_bands is not None:
            bands[len(keys)] = level_bands
        keys.append(domains.setdefault(domain_id, len(domains)) << 32 | area_id)
        ints.extend((publication_id, n, -1 if invited is None else invited))
        floats.extend(math.nan if value is None else value for value in values)
        none.extend(value is None for value in values)
    key_of = np.frombuffer(keys, dtype=np.int64)
    chosen = _latest_of_each(key_of, np.frombuffer(ints, dtype=np.int64).reshape(-1, 3)[:, 0])
    moved = np.full(key_of.size, -1, dtype=np.int64)  # each row read: its place kept, or -1
    moved[chosen] = np.arange(chosen.size)
    return ShownFigures(
        list(domains),
        key_of[chosen],
        np.frombuffer(ints, dtype=np.int64).reshape(-1, 3)[chosen],
        np.frombuffer(floats, dtype=np.float64).reshape(-1, 4)[chosen],
        np.frombuffer(none, dtype=np.int8).reshape(-1, 4)[chosen].astype(bool),
        {int(moved[at]): b for at, b in bands.items() if moved[at] >= 0},
    )


def _latest_of_each(slots: np.ndarray, publications: np.ndarray) -> np.ndarray:
    """The ledger rows to take, one a slot (``slots``: the domain's number << 32 | the area):
    the slot's figure from its latest publication (of two in one, the first read), in
    ascending order of slot."""
    order = np.lexsort((-np.arange(slots.size), publications, slots))
    ordered = slots[order]
    last = np.ones(order.size, dtype=bool)
    last[:-1] = ordered[1:] != ordered[:-1]
    return order[last]


def forget_responses(response_ids: Iterable[int]) -> None:
    """Erasure: replace these responses' keys in the ledger by keys that name no one.

    Each old key becomes the same new key everywhere in its round, so the sets
    keep their sizes and differences (the control still works) and the
    published numbers stay; nothing in the ledger points at the erased group.
    """
    ids = set(response_ids)
    if not ids:
        return
    round_ids = set(db.session.scalars(sa.select(Response.round_id).where(Response.id.in_(ids))))
    prefixes = {str(i) for i in ids}
    for round_id in round_ids:
        renamed: dict[str, str] = {}
        figures = db.session.scalars(
            sa.select(PublishedFigure).where(PublishedFigure.round_id == round_id)
        )
        for figure in figures:
            members = list(figure.members)
            if not any(m.split(":", 1)[0] in prefixes for m in members):
                continue
            figure.members = sorted(
                renamed.setdefault(m, f"gone-{secrets.token_hex(8)}")
                if m.split(":", 1)[0] in prefixes
                else m
                for m in members
            )
            figure.digest = members_digest(figure.members)
