"""Statistical disclosure control over sets of groups: what may be published, and when.

Pure set logic; the shell decides which groups (member keys) feed which
figure. A set is a frozenset or, for a whole round, a scoring.members.MemberSet
(the same answers, in arrays); one plan is given one kind. A figure is published
from a set of members; two published figures whose sets differ by 1 to
threshold - 1 members would give those few away by subtraction, whatever their
areas (wards overlap neighbourhoods) and whenever they were published (before
and after one group submitted). So:

- a new figure is published only from a set of at least ``threshold`` members
  that differs from every set ever published for the same round and domain
  (any area, any moment) by none or by at least ``threshold`` members;
- a parent's figure minus its shown children's must not leave 1 to
  threshold - 1 members either (``residual_suppression``);
- a level distribution is published only in bands of at least ``threshold``
  groups, and never as a single band (``level_bands``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from .members import MemberSet

Members = frozenset


def differ_by_few(a: frozenset, b: frozenset, threshold: int) -> bool:
    """True when the two sets differ by 1 to threshold - 1 members."""
    return 0 < len(a ^ b) < threshold


class SetIndex:
    """Sets indexed by member, to find those that differ from a new one by a few members.

    Only sets sharing a member can differ by few: two disjoint sets of at least
    ``threshold`` members each differ by at least twice that.
    """

    def __init__(self, sets: Iterable[frozenset] = ()) -> None:
        self._sets: list[frozenset] = []
        self._by_member: dict[Hashable, list[int]] = defaultdict(list)
        self._seen: set[frozenset] = set()
        for s in sets:
            self.add(s)

    def add(self, members: frozenset) -> None:
        """Index one more set (the same set twice is kept once)."""
        if members in self._seen:
            return
        self._seen.add(members)
        index = len(self._sets)
        self._sets.append(members)
        for member in members:
            self._by_member[member].append(index)

    def conflicts(self, members: frozenset, threshold: int) -> bool:
        """True when some indexed set differs from ``members`` by 1 to threshold - 1."""
        shared: Counter[int] = Counter()
        for member in members:
            shared.update(self._by_member.get(member, ()))
        for index, common in shared.items():
            other = self._sets[index]
            if 0 < len(members) + len(other) - 2 * common < threshold:
                return True
        return False


def residual_size(parent: frozenset, children: Iterable[frozenset]) -> int:
    """How many members the parent's figure minus the children's leaves (counted both ways).

    A member in the parent and in no child counts once; a member in a child and
    not the parent, or in two children, counts once per extra appearance: the
    size of the signed combination ``parent - sum(children)``. Member by member,
    that is each parent member's one less the children holding it (in absolute
    value), and each other member's children: in all, the parent's size and the
    children's, less twice the parent members some child holds.
    """
    children = list(children)
    every = sum(len(child) for child in children)
    return len(parent) + every - 2 * _held(parent, children)


def _held(parent: frozenset, children: list[frozenset]) -> int:
    """How many of the parent's members some child holds."""
    if not children:
        return 0
    if not isinstance(parent, MemberSet):
        return len(parent.intersection(frozenset().union(*children)))
    ours = parent.codes
    if not ours.size:
        return 0
    theirs = np.concatenate([child.codes for child in children])
    at = np.minimum(np.searchsorted(ours, theirs), ours.size - 1)  # where each would be
    held = np.zeros(ours.size, dtype=bool)
    held[at[ours[at] == theirs]] = True
    return int(np.count_nonzero(held))


def residual_suppression(
    shown: Mapping[Hashable, frozenset],
    children: Mapping[Hashable, Iterable[Hashable]],
    threshold: int,
    hidden: Iterable[Hashable] = (),
) -> set[Hashable]:
    """Slots to hide so no parent minus its shown children leaves 1 to threshold - 1 members.

    ``shown`` maps each slot with a figure to its member set; ``children`` lists
    each parent's child slots. While some shown parent minus all its shown
    children leaves a few members, its smallest shown child is hidden too (the
    parent's figure then gives at least that child's members, together).
    Returns the slots hidden (including any given in ``hidden``).
    """
    out = set(hidden)
    changed = True
    while changed:
        changed = False
        for parent in sorted(children, key=repr):
            if parent not in shown or parent in out:
                continue
            kids = [k for k in children[parent] if k in shown and k not in out and shown[k]]
            if not kids:
                continue
            left = residual_size(shown[parent], (shown[k] for k in kids))
            if 0 < left < threshold:
                out.add(min(kids, key=lambda k: (len(shown[k]), repr(k))))
                changed = True
    return out


@dataclass(frozen=True)
class Plan:
    """What one refresh publishes: new sets per slot, and slots shown as suppressed."""

    publish: dict[Hashable, frozenset]
    hidden: set[Hashable]
    shown: dict[Hashable, frozenset]  # every slot with a figure after the refresh
    # slots checked against the ledger: refused (a ledger set differs by few) or clean (none
    # does); given back to the next plan while their sets are the same
    refused: frozenset = frozenset()
    clean: frozenset = frozenset()


def to_check(
    current: Mapping[Hashable, frozenset],
    published: Mapping[Hashable, frozenset],
    threshold: int,
    refused: Collection[Hashable] = (),
) -> list[tuple[Hashable, frozenset]]:
    """The slots whose set now may get a new figure, to check against the ledger.

    A slot with fewer than ``threshold`` members, or with the set of its last
    figure, gets none. Nor does one whose set differs from its last figure's by
    1 to threshold - 1 members: that figure is in the ledger, so the rule already
    refuses it (after one changed score, every area the group is in). Nor one
    in ``refused``: its set now was refused against the ledger before.
    """
    out = []
    for slot, members in current.items():
        last = published.get(slot)
        if len(members) < threshold or last is members or slot in refused:
            continue
        if last is not None and (members == last or differ_by_few(members, last, threshold)):
            continue
        out.append((slot, members))
    return out


def sizes_near(sizes: Iterable[int], threshold: int) -> set[int]:
    """The sizes a set can have and differ by few from a set of one of these sizes: two sets
    whose sizes are the threshold apart differ by at least the threshold."""
    return {n for size in sizes for n in range(size - threshold + 1, size + threshold)}


def plan_publication(
    current: Mapping[Hashable, frozenset],
    published: Mapping[Hashable, frozenset],
    ledger: Iterable[frozenset],
    children: Mapping[Hashable, Iterable[Hashable]],
    threshold: int,
    refused: Collection[Hashable] = (),
    clean: Collection[Hashable] = (),
    newer: Iterable[frozenset] = (),
) -> Plan:
    """Which slots get a new figure now, and which are hidden, for one round and domain.

    ``current``: each slot's members now. ``published``: each slot's last
    published set. ``ledger``: every set ever published for this round and
    domain (any slot, any view, any moment). A slot gets a new figure when its
    current set has at least ``threshold`` members, differs from its last
    published one, and differs from every ledger set, and from every other new
    figure, by none or by at least ``threshold`` members. Of two new figures that
    differ by few, the larger set wins (ties: the lower slot). Otherwise the last
    published figure stays. Then parents and children are checked together
    (``residual_suppression``); a new figure hidden there is not published.

    What an earlier plan found about the same sets is not looked for again (at
    40,000 groups 3,849 small areas were checked at every refresh with the same
    result: about a third of a refresh under the profiler):

    - ``refused``: slots whose set now an earlier plan refused against the
      ledger (its ``refused``). The ledger only grows, so it is refused again.
    - ``clean``: slots whose set now an earlier plan found clear of the ledger
      (its ``clean``); ``newer``: the sets published since. Only those can
      refuse it now.
    """
    changed = to_check(current, published, threshold, refused)
    # Only ledger sets near a changed set's size are indexed: a nation's ledger holds every
    # version of every area's set, most of them far larger or smaller than what changed.
    fresh = sizes_near((len(m) for s, m in changed if s not in clean), threshold)
    again = sizes_near((len(m) for s, m in changed if s in clean), threshold)
    index = SetIndex(m for m in chain(ledger, published.values()) if len(m) in fresh)
    since = SetIndex(m for m in newer if len(m) in again)
    candidates, refused_now = [], {slot for slot in refused if slot in current}
    for slot, members in changed:
        if (since if slot in clean else index).conflicts(members, threshold):
            refused_now.add(slot)
        else:
            candidates.append((slot, members))
    clean_now = frozenset(slot for slot, _ in candidates)
    candidates.sort(key=lambda item: (-len(item[1]), repr(item[0])))
    accepted: dict[Hashable, frozenset] = {}
    chosen = SetIndex()
    for slot, members in candidates:
        if not chosen.conflicts(members, threshold):
            accepted[slot] = members
            chosen.add(members)
    shown = {s: m for s, m in published.items() if len(m) >= threshold}
    shown.update(accepted)
    hidden = residual_suppression(shown, children, threshold)
    publish = {s: m for s, m in accepted.items() if s not in hidden}
    return Plan(publish, hidden, shown, frozenset(refused_now), clean_now)


@dataclass(frozen=True)
class LevelBand:
    """How many groups are at levels ``lowest`` to ``highest`` (one level when equal)."""

    lowest: int
    highest: int
    count: int

    @property
    def label(self) -> str:
        """'level 3' or 'levels 1 to 2'."""
        if self.lowest == self.highest:
            return f"level {self.lowest}"
        return f"levels {self.lowest} to {self.highest}"


def level_bands(counts: Sequence[int], threshold: int) -> tuple[LevelBand, ...] | None:
    """Level counts merged into adjacent bands of at least ``threshold`` groups each.

    Levels are gathered from level 1 up until a band holds ``threshold`` groups;
    what is left at the top joins the last band. Empty levels join a band, so no
    band says "nobody here". Fewer than two bands would say every group is in
    one band: then nothing is shown (None).
    """
    bands: list[LevelBand] = []
    lowest, total = 1, 0
    for level, count in enumerate(counts, start=1):
        total += count
        if total >= threshold:
            bands.append(LevelBand(lowest, level, total))
            lowest, total = level + 1, 0
    if lowest <= len(counts) and bands:
        last = bands.pop()
        bands.append(LevelBand(last.lowest, len(counts), last.count + total))
    if len(bands) < 2:
        return None
    return tuple(bands)


def bands_text(bands: Sequence[LevelBand] | None) -> str:
    """Bands as one line of text: 'levels 1 to 2: 7; levels 3 to 5: 6' ('' when none)."""
    if not bands:
        return ""
    return "; ".join(f"{b.label}: {b.count}" for b in bands)
