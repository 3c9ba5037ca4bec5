"""The board pack's method wording, from plain figures (no app)."""

from __future__ import annotations

from exports.board_pack import InstrumentPack, RoundFigures, rounds_in_words


def a_round(title: str, year: str, target: int | None) -> RoundFigures:
    """A round with no figures, only what the method sheet names."""
    return RoundFigures(
        slug=f"r-{year}",
        title=title,
        year=year,
        version="2025.1",
        invited=None,
        responded=None,
        target_level=target,
        previous_title=None,
        domains=(),
        readiness=None,
    )


def test_each_round_is_named_with_its_own_target_and_none_only_where_unset():
    pack = InstrumentPack(
        "confidence",
        "Confidence",
        (a_round("Spring", "2025", None), a_round("Spring", "2026", 4)),
    )
    assert rounds_in_words(pack) == (
        "Spring, 2025 (version 2025.1): no target set; "
        "Spring, 2026 (version 2025.1): target level 4"
    )
