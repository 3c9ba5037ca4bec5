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
from collections.abc import Callable, Iterable, Mapping, Sequence
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


def position(ordered: np.ndarray, value: int) -> int | None:
    """Where ``value`` is in an ascending array, or None when it is not there."""
    at = int(np.searchsorted(ordered, value))
    return at if at < ordered.size and ordered[at] == value else None


class MemberSet:
    """A set of member codes: a sorted array of distinct numbers.

    Held as a stretch of an array (a round's sets lie end to end in one), and the stretch
    made as an array when asked for: an array object a set, over a round's 293,062 sets,
    was 20 MB of small objects in the middle of a refresh's memory.
    """

    __slots__ = ("_all", "_start", "_stop", "_hash")

    def __init__(self, codes: np.ndarray, start: int = 0, stop: int | None = None) -> None:
        """``codes[start:stop]``: sorted and distinct, of dtype CODE (``of`` makes them so)."""
        self._all = codes
        self._start = start
        self._stop = codes.size if stop is None else stop
        self._hash: int | None = None

    @property
    def codes(self) -> np.ndarray:
        return self._all[self._start : self._stop]

    @classmethod
    def of(cls, codes: Iterable[int] | np.ndarray) -> MemberSet:
        """The set of these codes (in any order, repeats dropped)."""
        if not isinstance(codes, np.ndarray):
            codes = np.fromiter(codes, dtype=CODE)
        return cls(_distinct(np.sort(codes.astype(CODE, copy=False))))

    def __len__(self) -> int:
        return self._stop - self._start

    def __iter__(self):
        return iter(self.codes.tolist())

    def __contains__(self, code) -> bool:
        return position(self.codes, code) is not None

    def __eq__(self, other) -> bool:
        if not isinstance(other, MemberSet):
            return NotImplemented
        return len(self) == len(other) and bool(np.array_equal(self.codes, other.codes))

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


class _ByArea(Mapping):
    """A read-only mapping keyed by area id, the ids held in one ascending array (a value
    an area in arrays of the subclass's own): iterates in ascending order of area."""

    __slots__ = ("_areas",)

    def _at(self, area_id: int) -> int:
        at = position(self._areas, area_id)
        if at is None:
            raise KeyError(area_id)
        return at

    def __iter__(self):
        return iter(self._areas.tolist())

    def __len__(self) -> int:
        return int(self._areas.size)


class SetDigests(_ByArea):
    """Area id -> the digest of its set (64 hex digits, as ``members_digest``), held as an
    array of the areas and one of the digests' bytes: a round's 293,062 sets at 40,000 groups
    had as many text objects (32 MB) in the middle of a refresh's memory."""

    __slots__ = ("_raw",)

    def __init__(self, areas: np.ndarray, raw: bytes) -> None:
        """``areas``: distinct ids; ``raw``: each one's 32-byte digest, in the same order."""
        order = np.argsort(areas, kind="stable")
        self._areas = areas[order]
        self._raw = np.frombuffer(raw, dtype=np.uint8).reshape(areas.size, 32)[order]

    def __getitem__(self, area_id: int) -> str:
        return self._raw[self._at(area_id)].tobytes().hex()

    def items(self):
        """(area, digest) in ascending order of area, without a search for each."""
        raw = self._raw.tobytes()
        return (
            (area, raw[at * 32 : at * 32 + 32].hex())
            for at, area in enumerate(self._areas.tolist())
        )

    def __repr__(self) -> str:
        return f"SetDigests({dict(self.items())!r})"


class AreaCounts(_ByArea):
    """Area id -> a count (of invitations), held as two arrays, not an object an area: a
    round's summary keeps one, replaced at each refresh. As a dict, its 8,000 numbers at
    40,000 groups were made in the middle of a refresh's memory and kept after it."""

    __slots__ = ("_counts",)

    def __init__(self, counts: Mapping[int, int]) -> None:
        areas = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        order = np.argsort(areas)
        self._areas = areas[order]
        self._counts = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))[order]

    def __getitem__(self, area_id: int) -> int:
        return int(self._counts[self._at(area_id)])

    def __repr__(self) -> str:
        return f"AreaCounts({dict(self)!r})"


def sets_by_area(
    places: Sequence[tuple[int, ...]], sizes: Sequence[int], codes: np.ndarray
) -> dict[int, MemberSet]:
    """Area -> the set of the codes of every part placed in it, in area order.

    The parts lie end to end in ``codes``: the i-th is ``sizes[i]`` codes, placed in each
    area of ``places[i]``. Worked out together, in one sort of (area, code) pairs: a set
    at a time, numpy's few microseconds a call were most of the time over 293,062 sets.
    Each set is a stretch of one array of codes.
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
    # the keys are the number objects of ``places``: a round's sets share one an area
    given = {area: area for areas_ in places for area in areas_}
    return {
        given[area_id]: MemberSet(members, start, end)
        for area_id, start, end in zip(
            areas[[0, *cuts]].tolist(), bounds[:-1], bounds[1:], strict=True
        )
    }


class MemberTable:
    """The text keys of a round's current members, numbered in their sorted order, with each
    one's value (a member without one, a response counted as responded, has the score NaN,
    which no score read from the database is).

    The keys are held as one array of bytes, not as text objects: at 40,000 groups, 1.2
    million keys, a dict from each to its code and a tuple of its value were about 2 million
    small objects, and the arenas Python's allocator grew for them stayed with the worker
    long after (a few survivors pin an arena). Keys met later (a ledger's earlier or erased
    members) are numbered after the current ones, as they come.
    """

    def __init__(self, text: np.ndarray, scores: np.ndarray, levels: np.ndarray) -> None:
        """``text``: the current members' keys as bytes (dtype S), sorted and distinct;
        ``scores`` and ``levels``: each one's value (NaN and 0 for a member without one)."""
        self._text = text
        self._widths = np.char.str_len(text).astype(np.int64)
        self.scores = scores
        self.levels = levels
        self._later: dict[str, int] = {}  # key met later -> its code
        self._later_keys: list[str] = []

    @classmethod
    def numbered(
        cls,
        ids: np.ndarray,
        levels: np.ndarray,
        scores: np.ndarray,
        key: Callable[[int, int, float], str],
    ) -> tuple[MemberTable, np.ndarray]:
        """The table of the members of some entries, and each entry's code.

        Entry i is the member (``ids[i]``, ``levels[i]``, ``scores[i]``), whose text key is
        ``key(id, level, score)`` (a member without a value has the score NaN). Entries
        that are the same member (the same id and level, the same score to the bit) get
        one code. Keys are made once a member, a slice of members at a time.
        """
        ids = np.asarray(ids, dtype=np.int64)
        levels = np.asarray(levels, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        bits = scores.view(np.int64)
        order = np.lexsort((bits, levels, ids))
        new = np.ones(order.size, dtype=bool)  # the first entry of each member, in order
        sorted_ids, sorted_levels, sorted_bits = ids[order], levels[order], bits[order]
        new[1:] = (
            (sorted_ids[1:] != sorted_ids[:-1])
            | (sorted_levels[1:] != sorted_levels[:-1])
            | (sorted_bits[1:] != sorted_bits[:-1])
        )
        del sorted_ids, sorted_levels, sorted_bits
        member = np.cumsum(new) - 1  # of each entry in sorted order
        first = order[new]  # an entry of each member
        chunks = []
        for start in range(0, first.size, KEYS_AT_ONCE):
            part = first[start : start + KEYS_AT_ONCE]
            chunks.append(
                _as_bytes(
                    list(map(key, ids[part].tolist(), levels[part].tolist(), scores[part].tolist()))
                )
            )
        text = np.concatenate(chunks) if chunks else _as_bytes([])
        rank = np.argsort(text, kind="stable")
        code_of = np.empty(rank.size, dtype=CODE)
        code_of[rank] = np.arange(rank.size, dtype=CODE)
        codes = np.empty(order.size, dtype=CODE)
        codes[order] = code_of[member]
        at = first[rank]
        valued = ~np.isnan(scores[at])
        table = cls(text[rank], scores[at], np.where(valued, levels[at], 0).astype(np.int16))
        return table, codes

    def _found(self, keys: Sequence[str]) -> np.ndarray:
        """The codes of keys among the current members', -1 for any other key."""
        text = self._text
        wanted = _as_bytes(keys)
        if not text.size:
            return np.full(wanted.size, -1, dtype=CODE)
        at = np.searchsorted(text, wanted)
        fits = np.minimum(at, text.size - 1)
        return np.where((at < text.size) & (text[fits] == wanted), at, -1).astype(CODE)

    def codes(self, keys: Sequence[str]) -> np.ndarray:
        """The codes of current members' keys, in the same order."""
        codes = self._found(keys)
        if (codes < 0).any():
            raise KeyError(keys[int(np.flatnonzero(codes < 0)[0])])
        return codes

    def member_set(self, keys: Iterable[str]) -> MemberSet:
        """The set of these keys, numbering any not met before."""
        keys = list(keys)
        codes = self._found(keys)
        for at in np.flatnonzero(codes < 0).tolist():
            key = keys[at]
            code = self._later.get(key)
            if code is None:
                code = self._later[key] = self._text.size + len(self._later_keys)
                self._later_keys.append(key)
            codes[at] = code
        return MemberSet.of(codes)

    def keys_of(self, members: MemberSet) -> list[str]:
        """The set's keys, sorted (as the ledger stores them, for current members)."""
        codes, current = members.codes, self._text.size
        mine = codes[codes < current]
        later = [self._later_keys[code - current] for code in codes[mine.size :].tolist()]
        return [key.decode() for key in self._text[mine].tolist()] + later

    def digest(self, members: MemberSet) -> str:
        """``members_digest`` of a set of current members' keys."""
        return self.digests({0: members})[0]

    def digests(self, sets: Mapping[int, MemberSet]) -> SetDigests:
        """``digest`` of each set of current members, the keys of all joined at once and each
        set's hashed from its stretch of them (a join a set took as long as the sets)."""
        order = list(sets)
        if not order:
            return SetDigests(np.zeros(0, np.int64), b"")
        arrays = [sets[a].codes for a in order]
        codes = np.concatenate(arrays)
        chosen = self._text[codes]
        width = chosen.dtype.itemsize
        grid = np.empty((codes.size, width + 1), dtype=np.uint8)
        grid[:, :width] = chosen.view(np.uint8).reshape(codes.size, width)
        grid[:, width] = ord(",")
        text = grid[grid != 0].tobytes()  # the keys without their padding, a comma after each
        del chosen, grid
        ends = np.concatenate([[0], np.cumsum(self._widths[codes] + 1)])  # after each comma
        sizes = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
        last = np.cumsum(sizes)  # each set's end, in keys
        firsts = ends[last - sizes]
        stops = np.maximum(ends[last] - 1, firsts)  # the comma after a set is not its own
        view = memoryview(text)
        raw = b"".join(
            hashlib.sha256(view[start:stop]).digest()
            for start, stop in zip(firsts.tolist(), stops.tolist(), strict=True)
        )
        return SetDigests(np.array(order, dtype=np.int64), raw)

    def values(self) -> dict[str, tuple[float, int]]:
        """Key -> (score, level) of each current member with a value (as given)."""
        return {
            key.decode(): (float(score), int(level))
            for key, score, level in zip(
                self._text.tolist(), self.scores.tolist(), self.levels.tolist(), strict=True
            )
            if not np.isnan(score)
        }


# Keys made at once when numbering a round's members: their text objects, alive together
KEYS_AT_ONCE = 65_536


def _as_bytes(keys: Sequence[str]) -> np.ndarray:
    """Text keys as one array of their UTF-8 bytes (dtype S: NUL-padded, none in a key)."""
    if not keys:
        return np.array([], dtype="S1")
    return np.array([key.encode() for key in keys], dtype=bytes)
