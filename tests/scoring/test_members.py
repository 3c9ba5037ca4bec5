"""Member sets as sorted arrays of codes (scoring.members): the same answers as frozensets."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.disclosure import differ_by_few, plan_publication, residual_size, to_check
from scoring.members import (
    AreaBits,
    AreaCounts,
    MemberSet,
    MemberTable,
    SetDigests,
    members_digest,
    sets_by_area,
)

LETTERS = "abcdefghijkl"
CODE_OF = {letter: code for code, letter in enumerate(LETTERS)}

_set = st.frozensets(st.sampled_from(LETTERS), max_size=10)
_slots = st.dictionaries(st.sampled_from("PABCDE"), _set, max_size=6)


def coded(letters: frozenset) -> MemberSet:
    return MemberSet.of(CODE_OF[m] for m in letters)


def lettered(members: MemberSet) -> frozenset:
    return frozenset(LETTERS[code] for code in members)


@settings(max_examples=300, derandomize=True)
@given(_set, _set)
def test_a_member_set_answers_as_the_frozenset_of_the_same_members(a, b):
    ours, theirs = coded(a), coded(b)
    assert len(ours) == len(a) and bool(ours) == bool(a)
    assert list(ours) == sorted(CODE_OF[m] for m in a)  # iterated in order
    assert all((CODE_OF[m] in ours) == (m in a) for m in LETTERS)
    assert (ours == theirs) == (a == b) and (ours != theirs) == (a != b)
    if a == b:
        assert hash(ours) == hash(theirs) and len({ours, theirs}) == 1
    assert lettered(ours ^ theirs) == a ^ b
    assert lettered(ours - theirs) == a - b
    assert lettered(ours.union(theirs)) == a | b and lettered(ours.union()) == a
    for threshold in (2, 3, 5):
        assert differ_by_few(ours, theirs, threshold) == differ_by_few(a, b, threshold)


def test_a_member_set_is_not_equal_to_a_frozenset():
    assert coded(frozenset("ab")) != frozenset({0, 1})
    assert MemberSet.of([3, 1, 3, 2]).codes.tolist() == [1, 2, 3]  # sorted, repeats dropped
    assert MemberSet.of(np.array([5, 5], dtype=np.int64)).codes.dtype == np.int32


_ids = st.lists(st.integers(min_value=0, max_value=70), max_size=25)


@settings(max_examples=300, derandomize=True)
@given(_ids, _ids)
def test_area_bits_answer_as_the_frozenset_of_the_same_ids(a, b):
    """Ids on either side of a byte's edge (7, 8), repeated, or none."""
    ours, theirs = AreaBits.of(a), AreaBits.of(b)
    assert list(ours) == sorted(set(a))  # iterated in order, once each
    assert len(ours) == len(set(a))
    assert all((i in ours) == (i in a) for i in range(-9, 90))
    assert (ours == theirs) == (set(a) == set(b)) and (ours != theirs) == (set(a) != set(b))
    assert AreaBits.of(reversed(a)) == ours


def test_area_bits_refuse_a_negative_id_keep_one_bit_an_id_and_are_not_a_frozenset():
    with pytest.raises(ValueError, match="^area ids are 0 or more$"):
        AreaBits.of([3, -1])
    assert AreaBits.of([]).bits == b"" and 0 not in AreaBits.of([])
    assert AreaBits.of([9, 0]).bits == bytes([1, 2])  # id i: bit i % 8 of byte i // 8
    assert AreaBits.of([7]).bits == bytes([128])  # no zero byte at the end
    assert AreaBits.of([1]) != frozenset({1})
    assert repr(AreaBits.of([9, 0])) == "AreaBits.of([0, 9])"


@settings(max_examples=300, derandomize=True)
@given(_set, st.lists(_set, max_size=5))
def test_the_residual_of_member_sets_is_the_frozensets_residual(parent, children):
    """Children that split the parent, overlap, repeat or reach outside it, or none."""
    assert residual_size(coded(parent), [coded(c) for c in children]) == residual_size(
        parent, children
    )


@settings(max_examples=300, derandomize=True)
@given(_slots, _slots, st.lists(_set, max_size=8), st.integers(2, 5))
def test_a_plan_over_member_sets_is_the_plan_over_frozensets(current, published, ledger, threshold):
    """Published, hidden, shown, refused and clean: slot for slot, member for member."""
    children = {"P": ["A", "B", "C"], "A": ["D", "E"]}
    expected = plan_publication(current, published, ledger, children, threshold)
    plan = plan_publication(
        {s: coded(m) for s, m in current.items()},
        {s: coded(m) for s, m in published.items()},
        [coded(m) for m in ledger],
        children,
        threshold,
    )
    assert {s: lettered(m) for s, m in plan.publish.items()} == expected.publish
    assert {s: lettered(m) for s, m in plan.shown.items()} == expected.shown
    assert (plan.hidden, plan.refused, plan.clean) == (
        expected.hidden,
        expected.refused,
        expected.clean,
    )
    checking = to_check({s: coded(m) for s, m in current.items()}, {}, threshold)
    assert [(s, lettered(m)) for s, m in checking] == to_check(current, {}, threshold)


@settings(max_examples=200, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(1, 6), min_size=1, max_size=3, unique=True),
            st.lists(st.integers(0, 40), min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_each_area_gets_the_union_of_the_parts_placed_in_it(parts):
    """Parts of any sizes, codes repeated within and across parts, areas shared."""
    places = [tuple(areas) for areas, _ in parts]
    codes = np.array([c for _, part in parts for c in part], dtype=np.int32)
    made = sets_by_area(places, [len(part) for _, part in parts], codes)
    expected: dict[int, set] = {}
    for areas, part in parts:
        for area in areas:
            expected.setdefault(area, set()).update(part)
    assert list(made) == sorted(expected)  # in area order
    assert {a: m.codes.tolist() for a, m in made.items()} == {
        a: sorted(m) for a, m in expected.items()
    }
    assert sets_by_area([], [], np.empty(0, np.int32)) == {}


def _key(response_id, level, score):
    """survey.publication's member keys: "id:level:score", or the id alone for no value."""
    return str(response_id) if math.isnan(score) else f"{response_id}:{level}:{score!r}"


def _table(members) -> MemberTable:
    """The table of these (id, level, score) members."""
    ids, levels, scores = zip(*members, strict=True)
    table, _ = MemberTable.numbered(np.array(ids), np.array(levels), np.array(scores), _key)
    return table


def test_a_tables_codes_follow_the_keys_order_and_digests_are_the_keys_digests():
    values = {"10:4:4.0": (4.0, 4), "2:3:3.0": (3.0, 3), "2:1:1.5": (1.5, 1)}
    table = _table([(10, 4, 4.0), (2, 3, 3.0), (2, 1, 1.5), (2, 0, math.nan), (10, 0, math.nan)])
    # "10" < "10:4:4.0" < "2" < "2:1:1.5" < "2:3:3.0": text order, not number order
    assert table.codes(["2:3:3.0", "10", "2"]).tolist() == [4, 0, 2]
    sets = {
        7: MemberSet.of(table.codes(["2:3:3.0", "10:4:4.0", "2:1:1.5"])),
        8: MemberSet.of([]),
        9: MemberSet.of(table.codes(["2"])),
    }
    assert table.keys_of(sets[7]) == ["10:4:4.0", "2:1:1.5", "2:3:3.0"]

    def by_definition(keys):  # members_digest, spelled out
        return hashlib.sha256(",".join(sorted(keys)).encode()).hexdigest()

    assert members_digest(["b", "a,"]) == by_definition(["a,", "b"])
    assert table.digests(sets) == {
        7: by_definition(["2:3:3.0", "10:4:4.0", "2:1:1.5"]),
        8: by_definition([]),
        9: by_definition(["2"]),
    }
    assert table.digest(sets[9]) == by_definition(["2"])
    assert table.values() == values
    assert table.scores[table.codes(["2:1:1.5"])].tolist() == [1.5]
    assert table.levels[table.codes(["10:4:4.0"])].tolist() == [4]
    assert table.levels[table.codes(["2", "10"])].tolist() == [0, 0]  # no value: level 0
    assert table.levels.dtype == np.int16 and table.digests({}) == {}
    # keys met later (the ledger's earlier or erased members) are numbered after
    earlier = table.member_set(["gone-1f", "2:3:3.0", "gone-1f", "9:1:1.0"])
    assert earlier.codes.tolist() == [4, 5, 6]
    assert table.keys_of(earlier) == ["2:3:3.0", "gone-1f", "9:1:1.0"]
    assert table.member_set(["9:1:1.0"]).codes.tolist() == [6]


def test_each_areas_key_is_the_number_object_of_the_places_given():
    """A round's sets share one number object an area (the sets of 88 domains at 40,000
    groups took 282,000 objects for 9,000 areas)."""
    big = [10**6 + i for i in range(3)]  # not among the numbers Python keeps one of
    places = [(big[0], big[2]), (big[1],)]
    made = sets_by_area(places, [1, 1], np.array([5, 6], dtype=np.int32))
    assert [a for a in made] == big and all(a is b for a, b in zip(made, big, strict=True))


def test_a_table_numbered_from_entries_is_the_table_of_their_keys():
    """Entries of the same member (id, level, score to the bit) get one code and one key
    made; 0.0 and -0.0 are two members, as their keys are; NaN is a member with no value."""
    ids = [10, 2, 2, 10, 2, 2, 2, 10]
    levels = [4, 1, 1, 0, 0, 0, 0, 0]
    scores = [4.0, 1.5, 1.5, math.nan, 0.0, -0.0, math.nan, math.nan]
    made = []

    def key(response_id, level, score):
        made.append(response_id)
        return _key(response_id, level, score)

    table, codes = MemberTable.numbered(
        np.array(ids), np.array(levels), np.array(scores, dtype=np.float64), key
    )
    # "10" < "10:4:4.0" < "2" < "2:0:-0.0" < "2:0:0.0" < "2:1:1.5"
    assert codes.tolist() == [1, 5, 5, 0, 4, 3, 2, 0]
    assert len(made) == 6  # a key a member, not an entry
    assert table.values() == {
        "10:4:4.0": (4.0, 4),
        "2:0:-0.0": (-0.0, 0),
        "2:0:0.0": (0.0, 0),
        "2:1:1.5": (1.5, 1),
    }
    assert math.copysign(1, table.scores[3]) == -1 and table.levels.tolist() == [0, 4, 0, 0, 0, 1]
    assert (codes.dtype, table.levels.dtype) == (np.int32, np.int16)  # 4 bytes a code, 2 a level
    assert np.isnan(table.scores[[0, 2]]).all()
    # the same id and score at two levels: two members; one entry or two of one member
    two, codes = MemberTable.numbered(np.array([2, 2]), np.array([0, 1]), np.array([1.5, 1.5]), key)
    assert codes.tolist() == [0, 1] and list(two.values()) == ["2:0:1.5", "2:1:1.5"]
    one, codes = MemberTable.numbered(np.array([2, 2]), np.array([1, 1]), np.array([1.5, 1.5]), key)
    assert codes.tolist() == [0, 0] and list(one.values()) == ["2:1:1.5"]
    _, codes = MemberTable.numbered(np.array([2]), np.array([1]), np.array([1.5]), key)
    assert codes.tolist() == [0]
    empty, none = MemberTable.numbered(np.array([]), np.array([]), np.array([]), key)
    assert none.size == 0 and empty.values() == {}
    assert empty.member_set(["1:1:1.0"]).codes.tolist() == [0]  # met later: after no member


def test_a_tables_codes_refuse_a_key_that_is_not_a_current_member():
    table = _table([(2, 1, 1.5), (2, 0, math.nan)])
    with pytest.raises(KeyError, match="2:1:1.50"):
        table.codes(["2", "2:1:1.50"])  # longer than every key the table holds


def test_set_digests_answer_as_the_dict_of_the_same_digests():
    raw = {9: bytes(range(32)), 4: bytes(32), 7: bytes([255]) * 32}
    digests = SetDigests(np.array(list(raw)), b"".join(raw.values()))
    assert digests == {a: d.hex() for a, d in raw.items()}
    assert list(digests) == [4, 7, 9] and len(digests) == 3  # in order of area
    assert list(digests.items()) == [(a, raw[a].hex()) for a in (4, 7, 9)]
    assert digests[4] == "00" * 32  # zero bytes kept, at the end too
    assert digests.get(5) is None and 8 not in digests and 10 not in digests
    with pytest.raises(KeyError, match="^3$"):
        digests[3]


def test_area_counts_answer_as_the_dict_of_the_same_counts():
    counts = AreaCounts({9: 2, 4: 1, 7: 300})
    assert counts == {4: 1, 7: 300, 9: 2} and list(counts) == [4, 7, 9]
    assert counts.get(5, 0) == 0 and counts[7] == 300 and len(counts) == 3
    assert 10 not in counts and 0 not in AreaCounts({})
    with pytest.raises(KeyError, match="^3$"):
        counts[3]
    assert repr(counts) == "AreaCounts({4: 1, 7: 300, 9: 2})"
