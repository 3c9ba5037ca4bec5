"""PCN and neighbourhood footprints from building blocks (squares here, worked by hand)."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from maps.footprints import (
    PracticePoint,
    dissolve,
    footprint_notes,
    most_registered_pcns,
    nearest_practice_pcns,
    overlap_area,
    practices_outside,
)

# A strip of four squares 0.01 degrees wide at latitude 54: S0 S1 S2 S3.
STRIP = {f"S{i}": box(0.01 * i, 54.0, 0.01 * (i + 1), 54.01) for i in range(4)}


def test_each_block_goes_to_the_pcn_of_the_nearest_practice():
    practices = [
        PracticePoint("A", "P1", 0.005, 54.005),  # in S0
        PracticePoint("B", "P2", 0.035, 54.005),  # in S3
    ]
    # S1's middle (0.015) is 0.01 from A and 0.02 from B; S2's (0.025) the other way round.
    assert nearest_practice_pcns(STRIP, practices) == {
        "S0": "P1",
        "S1": "P1",
        "S2": "P2",
        "S3": "P2",
    }


def test_a_block_shared_by_two_pcns_goes_to_the_one_that_would_have_none():
    practices = [
        PracticePoint("A", "P1", 0.002, 54.005),  # S0 holds two P1 practices ...
        PracticePoint("C", "P1", 0.004, 54.005),
        PracticePoint("B", "P2", 0.008, 54.005),  # ... and P2's only one
        PracticePoint("D", "P1", 0.035, 54.005),  # S3
    ]
    assignment = nearest_practice_pcns(STRIP, practices)
    assert assignment["S0"] == "P2"  # P1 has S3 already; P2 has nowhere else
    assert assignment["S3"] == "P1"


def test_a_shared_block_goes_to_the_pcn_with_most_practices_there_when_both_have_others():
    practices = [
        PracticePoint("A", "P1", 0.002, 54.005),
        PracticePoint("C", "P1", 0.004, 54.005),
        PracticePoint("B", "P2", 0.008, 54.005),
        PracticePoint("D", "P1", 0.035, 54.005),
        PracticePoint("E", "P2", 0.025, 54.005),  # P2 now has S2
    ]
    assert nearest_practice_pcns(STRIP, practices)["S0"] == "P1"


def test_registrations_give_each_block_to_the_pcn_with_most_patients_there():
    practice_pcn = {"A": "P1", "B": "P2", "C": "P1"}
    rows = [
        ("A", "S0", 300),
        ("C", "S0", 200),  # P1: 500 in S0
        ("B", "S0", 450),
        ("B", "S1", 10),
        ("A", "S1", 10),  # a tie: the lower code
        ("X", "S2", 900),  # a practice in no PCN counts for none
        ("B", "S2", 1),
    ]
    assert most_registered_pcns(rows, practice_pcn) == {"S0": "P1", "S1": "P1", "S2": "P2"}


def test_dissolving_gives_one_polygon_per_group_with_no_overlap():
    pieces = dissolve(STRIP, {"S0": "P1", "S1": "P1", "S2": "P2", "S3": "P2"})
    assert set(pieces) == {"P1", "P2"}
    assert pieces["P1"].equals(box(0.0, 54.0, 0.02, 54.01))
    assert pieces["P2"].equals(box(0.02, 54.0, 0.04, 54.01))
    assert overlap_area(pieces.values()) == pytest.approx(0, abs=1e-15)
    # The shared border is one line seen from both sides.
    shared = pieces["P1"].boundary.intersection(pieces["P2"].boundary)
    assert shared.length == pytest.approx(0.01)


def test_overlapping_blocks_are_given_to_one_piece_only():
    blocks = {"A": box(0, 54, 0.012, 54.01), "B": box(0.01, 54, 0.02, 54.01)}  # 0.002 overlap
    pieces = dissolve(blocks, {"A": "N1", "B": "N2"})
    assert pieces["N1"].area == pytest.approx(0.012 * 0.01)
    assert pieces["N2"].area == pytest.approx(0.008 * 0.01)
    assert overlap_area(pieces.values()) == pytest.approx(0, abs=1e-15)


def test_blocks_left_out_of_the_lookup_are_not_in_any_piece():
    pieces = dissolve(STRIP, {"S0": "N1", "S3": "N2"})
    assert pieces["N1"].area + pieces["N2"].area == pytest.approx(2 * 0.0001)


def test_practices_outside_their_own_pcns_piece_are_told_apart_from_those_beyond_every_block():
    pieces = {"P1": box(0, 54, 0.02, 54.01), "P2": box(0.02, 54, 0.04, 54.01)}
    home = PracticePoint("A", "P1", 0.005, 54.005)
    moved = PracticePoint("B", "P1", 0.03, 54.005)
    beyond = PracticePoint("C", "P2", 1.0, 55.0)
    elsewhere, outside = practices_outside(pieces, [home, moved, beyond])
    assert elsewhere == [(moved, "P2")]
    assert outside == [beyond]


def test_the_notes_name_each_method_once_with_the_attributions_a_pcn_footprint_needs():
    pcn = "PCN footprints approximated from practice locations over LSOAs (x.geojson), 2 Dec"
    notes = footprint_notes([pcn, None, pcn])
    assert notes[0] == pcn + "."
    assert any("Royal Mail" in n for n in notes) and any("NHS England" in n for n in notes)
    assert footprint_notes(["Neighbourhoods dissolved from LSOAs", None]) == [
        "Neighbourhoods dissolved from LSOAs."
    ]
