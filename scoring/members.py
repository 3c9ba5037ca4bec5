"""Member sets held as sorted arrays of numbers, and the table that numbers members.

A round's area figures are made from member sets (see scoring.disclosure): at 40,000
groups, 293,062 sets (an area, a domain) of 6.7 million members in all. As frozensets
of text keys they took 332 MB, a hash-table slot of 16 bytes or more for each member
and a table sized with room to spare. A ``MemberSet`` holds the same set as a sorted
array of 4-byte codes.

``MemberSet`` has the part of a frozenset's interface that scoring.disclosure uses
(size, iteration, membership, equality and hashing, ``^``, ``-``, ``union``), so its
rules read the same for either, and the tests run them on both. The two kinds are not
mixed: a rule given MemberSets is given nothing else.

``MemberTable`` numbers the text keys of a round's current members in their sorted
order, so a set's codes in order are its keys in sorted order: the set's digest
(``digest``) is the text keys' ``members_digest``, which the ledger stores. Keys met
later (a ledger's earlier or erased members) are numbered after them, as they come.

``AreaBits`` is a set of area ids as one bit each: which areas have members, the part of
a round's member sets that each process keeps between requests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain

import numpy as np

CODE = np.int32  # a round's members (and its ledger's) number far fewer than 2**31


def members_digest(members: Iterable[str]) -> str:
    """A set of members' text keys as 64 hex digits: equal digests, equal sets."""
    return hashlib.sha256(",".join(sorted(members)).encode()).hexdigest()


def _distinct(ordered: np.ndarray) -> np.ndarray:
    """A sorted array without its repeats (numpy's unique hashes, several times slower)."""
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered if keep.all() else ordered[keep]


class MemberSet:
    """A set of member codes: a sorted array of distinct numbers."""

    __slots__ = ("codes", "_hash")

    def __init__(self, codes: np.ndarray) -> None:
        """``codes``: sorted and distinct, of dtype CODE (``of`` makes them so)."""
        self.codes = codes
        self._hash: int | None = None

    @classmethod
    def of(cls, codes: Iterable[int] | np.ndarray) -> MemberSet:
        """The set of these codes (in any order, repeats dropped)."""
        if not isinstance(codes, np.ndarray):
            codes = np.fromiter(codes, dtype=CODE)
        return cls(_distinct(np.sort(codes.astype(CODE, copy=False))))

    def __len__(self) -> int:
        return int(self.codes.size)

    def __iter__(self):
        return iter(self.codes.tolist())

    def __contains__(self, code) -> bool:
        at = int(np.searchsorted(self.codes, code))
        return at < self.codes.size and self.codes[at] == code

    def __eq__(self, other) -> bool:
        if not isinstance(other, MemberSet):
            return NotImplemented
        return self.codes.size == other.codes.size and bool(np.array_equal(self.codes, other.codes))

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self.codes.tobytes())
        return self._hash

    def __xor__(self, other: MemberSet) -> MemberSet:
        return MemberSet(np.setxor1d(self.codes, other.codes, assume_unique=True))

    def __sub__(self, other: MemberSet) -> MemberSet:
        return MemberSet(np.setdiff1d(self.codes, other.codes, assume_unique=True))

    def union(self, *others: MemberSet) -> MemberSet:
        if not others:
            return self
        return MemberSet.of(np.concatenate([self.codes, *(o.codes for o in others)]))

    def __repr__(self) -> str:
        return f"MemberSet({self.codes.tolist()!r})"


class AreaBits:
    """A set of area ids (0 or more) held as one bit each: a summary's areas with members.

    A round's summary, which each process keeps between requests for each view, says in
    which areas each figure has groups behind it: at 40,000 groups over 8,908 areas,
    316,000 ids a view. As frozensets of ints the two views held 62 MB of every worker;
    as bits, 1 KB for each figure. Iterates in ascending order.
    """

    __slots__ = ("bits",)

    def __init__(self, bits: bytes) -> None:
        """``bits``: id i is bit i % 8 of byte i // 8, with no zero bytes at the end
        (``of`` makes them so)."""
        self.bits = bits

    @classmethod
    def of(cls, ids: Iterable[int]) -> AreaBits:
        """The set of these ids (in any order, repeats dropped)."""
        found = np.fromiter(ids, dtype=np.int64)
        if not found.size:
            return cls(b"")
        if found.min() < 0:
            raise ValueError("area ids are 0 or more")
        flags = np.zeros(int(found.max()) + 1, dtype=bool)
        flags[found] = True
        return cls(np.packbits(flags, bitorder="little").tobytes())

    def __contains__(self, area_id: int) -> bool:
        byte = area_id >> 3
        return 0 <= byte < len(self.bits) and bool(self.bits[byte] >> (area_id & 7) & 1)

    def __iter__(self):
        flags = np.unpackbits(np.frombuffer(self.bits, dtype=np.uint8), bitorder="little")
        return iter(np.flatnonzero(flags).tolist())

    def __len__(self) -> int:
        return int.from_bytes(self.bits, "little").bit_count()

    def __eq__(self, other) -> bool:
        if not isinstance(other, AreaBits):
            return NotImplemented
        return self.bits == other.bits

    __hash__ = None  # like a set's: compared, not a key

    def __repr__(self) -> str:
        return f"AreaBits.of({list(self)!r})"


def sets_by_area(
    places: Sequence[tuple[int, ...]], sizes: Sequence[int], codes: np.ndarray
) -> dict[int, MemberSet]:
    """Area -> the set of the codes of every part placed in it, in area order.

    The parts lie end to end in ``codes``: the i-th is ``sizes[i]`` codes, placed in each
    area of ``places[i]``. Worked out together, in one sort of (area, code) pairs: a set
    at a time, numpy's few microseconds a call were most of the time over 293,062 sets.
    Each set is a view of one array of codes.
    """
    if not len(codes):
        return {}
    sizes_ = np.asarray(sizes, dtype=np.int64)
    starts = np.cumsum(sizes_) - sizes_
    part = np.repeat(np.arange(len(places)), [len(areas) for areas in places])
    area = np.fromiter(chain.from_iterable(places), dtype=np.int64, count=len(part))
    taken = sizes_[part]  # each (part, area) pair takes its part's codes
    first = np.cumsum(taken) - taken
    at = np.repeat(starts[part] - first, taken) + np.arange(int(taken.sum()))
    pairs = _distinct(np.sort((np.repeat(area, taken) << 32) | codes[at].astype(np.int64)))
    areas = pairs >> 32
    members = (pairs & 0xFFFFFFFF).astype(CODE)
    cuts = (np.flatnonzero(np.diff(areas)) + 1).tolist()
    bounds = [0, *cuts, len(pairs)]
    return {
        area_id: MemberSet(members[start:end])
        for area_id, start, end in zip(
            areas[[0, *cuts]].tolist(), bounds[:-1], bounds[1:], strict=True
        )
    }


class MemberTable:
    """Text member keys and their codes, with each current member's value (a member without
    one, a response counted as responded, has the score NaN, which no score read from the
    database is)."""

    def __init__(self, values: Mapping[str, tuple[float, int]], plain: Iterable[str] = ()) -> None:
        """``values``: key -> (score, level) of each current member that has a value;
        ``plain``: current members that have none (a response counted as responded)."""
        keys = sorted({*values, *plain})
        self._keys: list[str] = keys
        self._index: dict[str, int] = {key: code for code, key in enumerate(keys)}
        self._text = np.array(keys, dtype=object)  # the current members', for digests
        self._widths = np.array([len(k.encode()) for k in keys], dtype=np.int64)
        self.scores = np.array([values[k][0] if k in values else np.nan for k in keys])
        self.levels = np.array([values[k][1] if k in values else 0 for k in keys], np.int16)

    def codes(self, keys: Sequence[str]) -> np.ndarray:
        """The codes of current members' keys, in the same order."""
        return np.array(list(map(self._index.__getitem__, keys)), dtype=CODE)

    def member_set(self, keys: Iterable[str]) -> MemberSet:
        """The set of these keys, numbering any not met before."""
        index, known = self._index, self._keys
        keys = list(keys)
        codes = list(map(index.get, keys))
        if None in codes:
            for at, key in enumerate(keys):
                if codes[at] is None:
                    codes[at] = index.setdefault(key, len(known))
                    if codes[at] == len(known):
                        known.append(key)
        return MemberSet.of(np.array(codes, dtype=CODE))

    def keys_of(self, members: MemberSet) -> list[str]:
        """The set's keys, sorted (as the ledger stores them, for current members)."""
        known = self._keys
        return [known[code] for code in members.codes.tolist()]

    def digest(self, members: MemberSet) -> str:
        """``members_digest`` of a set of current members' keys."""
        return self.digests({0: members})[0]

    def digests(self, sets: Mapping[int, MemberSet]) -> dict[int, str]:
        """``digest`` of each set of current members, the keys of all joined at once and each
        set's hashed from its stretch of them (a join a set took as long as the sets)."""
        if not sets:
            return {}
        order = list(sets)
        arrays = [sets[a].codes for a in order]
        codes = np.concatenate(arrays)
        text = ",".join(self._text[codes].tolist()).encode()
        ends = np.concatenate([[0], np.cumsum(self._widths[codes] + 1)])  # after each comma
        sizes = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
        last = np.cumsum(sizes)  # each set's end, in keys
        firsts = ends[last - sizes]
        stops = np.maximum(ends[last] - 1, firsts)  # the comma after a set is not its own
        view = memoryview(text)
        return {
            area: hashlib.sha256(view[start:stop]).hexdigest()
            for area, start, stop in zip(order, firsts.tolist(), stops.tolist(), strict=True)
        }

    def values(self) -> dict[str, tuple[float, int]]:
        """Key -> (score, level) of each current member with a value (as given)."""
        return {
            key: (float(score), int(level))
            for key, score, level in zip(
                self._text.tolist(), self.scores.tolist(), self.levels.tolist(), strict=True
            )
            if not np.isnan(score)
        }
