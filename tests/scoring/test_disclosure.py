"""Disclosure control as set logic, on small set systems worked out by hand (threshold 5)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.disclosure import (
    LevelBand,
    Plan,
    SetIndex,
    bands_text,
    differ_by_few,
    level_bands,
    plan_publication,
    residual_size,
    residual_suppression,
)

T = 5


def groups(letters: str) -> frozenset:
    """A set of groups named by single letters: groups('abc') = {a, b, c}."""
    return frozenset(letters)


def test_sets_differing_by_one_to_four_groups_differ_by_few():
    ward, hood = groups("abcdefgh"), groups("abcdefg")  # ward minus neighbourhood = {h}
    assert differ_by_few(ward, hood, T)
    assert differ_by_few(groups("abcde"), groups("abcdwxy"), T)  # {e} and {w, x, y}: 4
    assert not differ_by_few(groups("abcde"), groups("abcde"), T)  # the same groups: nothing
    assert not differ_by_few(groups("abcde"), groups("abcdevwxyz"), T)  # 5 more
    assert not differ_by_few(groups("abcde"), groups("vwxyz"), T)  # disjoint: 10


def test_the_index_finds_only_sets_within_the_threshold():
    index = SetIndex([groups("abcdefgh"), groups("pqrstu")])
    assert index.conflicts(groups("abcdefg"), T)  # 1 from the first
    assert index.conflicts(groups("pqrstuvw"), T)  # 2 from the second
    assert not index.conflicts(groups("abcdefgh"), T)  # equal to the first
    assert not index.conflicts(groups("abcdefghijklm"), T)  # 5 from the first, 19 from the other
    assert not index.conflicts(groups("vwxyzA"), T)  # shares nothing


def test_overlapping_areas_publish_the_larger_of_two_that_differ_by_one():
    # ward W (8) and neighbourhood N (7) overlap in 7 groups: W - N would give group h.
    # Area Z is disjoint from both and is published as it is.
    current = {"W": groups("abcdefgh"), "N": groups("abcdefg"), "Z": groups("pqrst")}
    plan = plan_publication(current, {}, [], {}, T)
    assert plan.publish == {"W": current["W"], "Z": current["Z"]}
    assert "N" not in plan.shown and plan.hidden == set()


def test_ties_go_to_the_lower_slot():
    current = {"B": groups("abcdef"), "A": groups("abcdeg")}  # 6 each, differ by 2
    assert set(plan_publication(current, {}, [], {}, T).publish) == {"A"}


def test_areas_with_the_same_groups_are_both_published():
    current = {"place": groups("abcdef"), "ics": groups("abcdef")}  # one place in the ICS
    assert set(plan_publication(current, {}, [], {}, T).publish) == {"place", "ics"}


def test_a_figure_stays_until_five_groups_have_changed():
    first = groups("abcdefgh")
    published = {"A": first}
    ledger = [first]
    # one more group (i): A keeps its first figure
    plan = plan_publication({"A": groups("abcdefghi")}, published, ledger, {}, T)
    assert plan.publish == {} and plan.shown == {"A": first}
    # four more: still 4 from what was published
    plan = plan_publication({"A": groups("abcdefghijkl")}, published, ledger, {}, T)
    assert plan.publish == {}
    # five more: a new figure
    plan = plan_publication({"A": groups("abcdefghijklm")}, published, ledger, {}, T)
    assert plan.publish == {"A": groups("abcdefghijklm")}
    # an amendment swaps one member for another (2 changes): no new figure
    plan = plan_publication({"A": groups("abcdefgX")}, published, ledger, {}, T)
    assert plan.publish == {}


def test_a_new_figure_is_checked_against_every_area_and_moment_of_the_ledger():
    # Neighbourhood N published {a..h} earlier in the round; ward W now has {a..h, i}: one
    # group from N's figure, so W is not published although W itself never was.
    ledger = [groups("abcdefgh")]
    plan = plan_publication({"W": groups("abcdefghi")}, {"N": ledger[0]}, ledger, {}, T)
    assert plan.publish == {}
    # ... but it is once it is 5 away from everything published
    plan = plan_publication({"W": groups("abcdefghijklm")}, {"N": ledger[0]}, ledger, {}, T)
    assert set(plan.publish) == {"W"}


def test_a_parent_minus_its_shown_children_must_not_leave_a_few():
    # P = A (3) + B (6) + C (9). A is too small; P - B - C would give A, so B (the smaller
    # shown child) is hidden and not published.
    a, b, c = groups("abc"), groups("defghi"), groups("jklmnopqr")
    current = {"P": a | b | c, "A": a, "B": b, "C": c}
    plan = plan_publication(current, {}, [], {"P": ["A", "B", "C"]}, T)
    assert set(plan.publish) == {"P", "C"}
    assert plan.hidden == {"B"}


def test_a_parent_leaving_one_group_beside_its_child_hides_the_child():
    """P has six groups, its one shown child A five of them: P less A is one group, the
    fewest that can be given away, so A is hidden (1 to threshold - 1 left: 1 included)."""
    a = groups("abcde")
    assert residual_suppression({"P": a | groups("f"), "A": a}, {"P": ["A"]}, T) == {"A"}


def test_every_parent_is_checked_whatever_comes_before_it():
    """Parents are checked in turn (in one order, whatever kind their slots are: here
    names and numbers, mixed). A parent already hidden (A), one not shown (0) and one
    with no shown child (1) come before 7 and are passed over; 7 still leaves two groups
    beside its child B, so B is hidden."""
    b = groups("abcde")
    shown = {7: b | groups("fg"), "B": b, 1: groups("hijklm"), "A": groups("nopqrs"), "C": b}
    children = {"A": ["C"], 0: ["B"], 1: ["Z"], 7: ["B"]}
    assert residual_suppression(shown, children, T, hidden={"A"}) == {"A", "B"}


def test_of_two_equal_children_the_lower_slot_is_hidden_whatever_order_they_are_listed():
    """P leaves two groups beside its children B and A, five groups each: one of them is
    hidden, the lower slot (A), as ties go everywhere in the plan."""
    a, b = groups("abcde"), groups("fghij")
    shown = {"P": a | b | groups("kl"), "A": a, "B": b}
    assert residual_suppression(shown, {"P": ["B", "A"]}, T) == {"A"}


def test_a_child_hidden_for_one_parent_is_checked_again_for_the_others():
    """P (ten groups) is checked first: its children X and Y cover it, X with nine groups
    outside it too, so P less X and Y counts 9 and passes. Q, checked next, is X and two
    more: X is hidden for Q. Now P less Y alone leaves a and b, two groups, so Y must be
    hidden too: the check goes round again until nothing more is hidden."""
    x = groups("ab") | groups("pqrstuvwx")
    y = groups("cdefghij")
    shown = {"P": groups("abcdefghij"), "Q": x | groups("yz"), "X": x, "Y": y}
    assert residual_size(shown["P"], [x, y]) == 9
    assert residual_suppression(shown, {"P": ["X", "Y"], "Q": ["X"]}, T) == {"X", "Y"}


def test_residual_counts_groups_in_two_children_or_outside_the_parent():
    parent = groups("abcdefgh")
    assert residual_size(parent, [groups("abcd"), groups("efgh")]) == 0
    assert residual_size(parent, [groups("abcd"), groups("efg")]) == 1  # h left
    assert residual_size(parent, [groups("abcde"), groups("efgh")]) == 1  # e twice
    assert residual_size(parent, [groups("abcdefghX")]) == 1  # X is not in the parent
    assert residual_size(parent, [groups("abX"), groups("cd")]) == 5  # e-h left, X outside
    assert residual_size(parent, []) == 8 and residual_size(frozenset(), [groups("ab")]) == 2


_member = st.sampled_from("abcdefghijkl")
_set = st.frozensets(_member, max_size=10)


@settings(max_examples=300, derandomize=True)
@given(_set, st.lists(_set, max_size=5))
def test_residual_is_the_size_of_parent_minus_the_sum_of_its_children(parent, children):
    """By the definition: each member counts |(1 if in the parent) - (children it is in)|,
    whether the children split the parent, overlap, or reach outside it."""
    signed = {m: (m in parent) - sum(m in child for child in children) for m in "abcdefghijkl"}
    assert residual_size(parent, children) == sum(abs(v) for v in signed.values())
    assert residual_size(parent, iter(children)) == residual_size(parent, children)


def test_level_bands_merge_levels_until_each_holds_the_threshold():
    # 2 + 3 at levels 1-2 make 5; level 3 holds 6; levels 4-5 hold 4, too few, so they
    # join level 3's band
    assert level_bands([2, 3, 6, 0, 4], T) == (LevelBand(1, 2, 5), LevelBand(3, 5, 10))
    # empty levels join a band: no band says "nobody here"
    assert level_bands([0, 0, 7, 6, 0], T) == (LevelBand(1, 3, 7), LevelBand(4, 5, 6))
    assert level_bands([5, 0, 0, 0, 5], T) == (LevelBand(1, 1, 5), LevelBand(2, 5, 5))


def test_fewer_groups_than_the_threshold_make_no_band():
    assert level_bands([1, 1, 0, 0, 1], T) is None  # 3 groups: no band of 5 can be made
    assert level_bands([0, 0, 0, 0, 0], T) is None


def test_everyone_in_one_band_is_not_shown():
    assert level_bands([0, 0, 0, 6, 0], T) is None  # every group at level 4
    assert level_bands([1, 1, 1, 1, 1], T) is None  # only the whole would be a band
    assert level_bands([2, 2, 2, 2, 1], T) is None  # 1-3 holds 6, 4-5 only 3: one band


def test_bands_with_a_lower_threshold_and_in_words():
    bands = level_bands([1, 1, 1, 1, 1], 2)
    assert bands == (LevelBand(1, 2, 2), LevelBand(3, 5, 3))
    assert bands_text(bands) == "levels 1 to 2: 2; levels 3 to 5: 3"
    assert bands_text(None) == ""


def _by_the_rule(current, published, ledger, children, threshold) -> Plan:
    """plan_publication as its docstring states it, comparing every pair of sets."""
    known = [*ledger, *published.values()]
    changed = sorted(
        ((s, m) for s, m in current.items() if len(m) >= threshold and m != published.get(s)),
        key=lambda item: (-len(item[1]), repr(item[0])),
    )
    accepted: dict = {}
    for slot, members in changed:
        if not any(differ_by_few(members, k, threshold) for k in [*known, *accepted.values()]):
            accepted[slot] = members
    # checked against the ledger: every changed slot but those its own last figure refuses
    checked = [
        (s, m) for s, m in changed if not differ_by_few(m, published.get(s, frozenset()), threshold)
    ]
    refused = {s for s, m in checked if any(differ_by_few(m, k, threshold) for k in known)}
    clean = {s for s, _ in checked} - refused
    shown = {s: m for s, m in published.items() if len(m) >= threshold} | accepted
    hidden = residual_suppression(shown, children, threshold)
    publish = {s: m for s, m in accepted.items() if s not in hidden}
    return Plan(publish, hidden, shown, frozenset(refused), frozenset(clean))


_slots = st.dictionaries(st.sampled_from("PABCDE"), _set, max_size=6)


@settings(max_examples=300, derandomize=True)
@given(_slots, _slots, st.lists(_set, max_size=8), st.integers(2, 5))
def test_a_refresh_publishes_exactly_what_the_rule_allows(current, published, ledger, threshold):
    """Against every pair compared (small sets, so sizes near and far from each other):
    what is published, hidden and shown is the same, and nothing published differs from
    the ledger, a last published set or another new figure by 1 to threshold - 1."""
    children = {"P": ["A", "B", "C"], "A": ["D", "E"]}
    plan = plan_publication(current, published, ledger, children, threshold)
    assert plan == _by_the_rule(current, published, ledger, children, threshold)
    for members in plan.publish.values():
        others = [*ledger, *published.values(), *plan.publish.values()]
        assert not any(differ_by_few(members, other, threshold) for other in others)


@settings(max_examples=300, derandomize=True)
@given(
    _slots,
    _slots,
    st.lists(_set, max_size=8),
    _slots,
    st.lists(_set, max_size=3),
    st.integers(2, 5),
)
def test_what_a_plan_checked_is_not_looked_for_again(
    current, published, ledger, moved, elsewhere, threshold
):
    """A plan's refused and clean slots, given to the next plan with the sets published
    since (its own, and ``elsewhere``: the other view's), change nothing: the next plan is
    the same as one that checks every slot against the whole ledger. Slots whose sets
    moved are not given, nor is a slot with no set now."""
    children = {"P": ["A", "B", "C"], "A": ["D", "E"]}
    first = plan_publication(current, published, ledger, children, threshold)
    newer = [*first.publish.values(), *elsewhere]
    ledger = [*ledger, *published.values(), *newer]  # every set published
    published = {**published, **first.publish}
    current = {**current, **moved}

    def kept(slots):  # the slots whose sets are the same now, and one with no set
        return {s for s in slots if s in current and s not in moved} | {"Z"}

    again = plan_publication(
        current,
        published,
        ledger,
        children,
        threshold,
        refused=kept(first.refused),
        clean=kept(first.clean),
        newer=newer,
    )
    assert again == plan_publication(current, published, ledger, children, threshold)
