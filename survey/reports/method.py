"""The method sheet every workbook carries: what it shows, how it was scored, who exported it."""

from __future__ import annotations

from flask import current_app

from instruments import Instrument

from ..models import utcnow


def server_url() -> str:
    """The address groups' links start with (SERVER_URL, from SURVEY_BASE_URL)."""
    return current_app.config["SERVER_URL"].rstrip("/")


def scoring_in_words(instrument: Instrument) -> str:
    """The instrument's scoring rule as a paragraph an analyst can check."""
    bands = ", ".join(f"level {lv.level} from {lv.min_score:g}" for lv in instrument.levels)
    overall = instrument.overall
    how = "the mean of the domain scores" if overall.method == "mean" else "the lowest domain level"
    return (
        "Each answer scores 1 to 5 (option score, agreement scale 1 to 5, yes 5 / no 1); "
        "reverse-worded questions are turned round (6 minus the score). "
        "'Does not apply' and questions routed past are left out; 'don't know' is left out "
        "unless the domain counts it as 1. A domain is not scored when fewer than its minimum "
        "share of questions are answered. Domain score = weighted mean of answered questions; "
        f"bands: {bands}. Overall = {how}, not scored when fewer than "
        f"{overall.min_domains:.0%} of domains are scored. "
        + (
            "An area's level is its own assessment's level (answered for the area by name)."
            if instrument.named_results
            else "An area's level is the band of the mean of its groups' scores."
        )
    )


NAMED_RESULTS = (
    "Named results",
    "This questionnaire is answered by areas (a PCN, place or neighbourhood) for themselves: "
    "each figure is that area's own assessment, a public body's statement shown by name. "
    "The small-numbers rule that protects voluntary groups does not apply to it, and no "
    "group's answers are in it.",
)


def disclosure_lines(threshold: int) -> list[tuple[str, str]]:
    """How small numbers are protected, for the method sheet (scoring.disclosure's rules)."""
    few = "1" if threshold == 2 else f"1 to {threshold - 1}"
    return [
        (
            "Small numbers",
            f"Figures for fewer than {threshold} responses are suppressed (shown as "
            "'suppressed'), and so is any figure that would let one be worked out by "
            "subtraction: a parent area minus its sub-areas, one area minus an overlapping "
            "one (a ward and a neighbourhood), or a figure minus an earlier one. No two "
            "figures published for a round and domain, for any areas and at any time, are "
            f"made from sets of groups that differ by {few}.",
        ),
        (
            "Updates",
            "Figures are published, not live: an area's figure changes only when at least "
            f"{threshold} groups have answered, amended or been moderated since it was last "
            "published (and the new set of groups differs from every set published before "
            f"by none or by at least {threshold}); until then the last published figure "
            "stays, even after a group's data is erased.",
        ),
        (
            "Groups by level",
            "Counts of groups by level are given in bands of adjacent levels that each hold "
            f"at least {threshold} groups. When that would put every group in one band, no "
            "counts are given, since they would tell each group's level.",
        ),
    ]


def instrument_in_words(instrument: Instrument) -> str:
    """The instrument's title, id and version, as a method sheet names it."""
    return f"{instrument.title} ({instrument.id} version {instrument.version})"


def exported_lines(actor: str) -> list[tuple[str, str]]:
    """When the workbook was exported and by whom."""
    return [
        ("Exported at (UTC)", utcnow().strftime("%Y-%m-%d %H:%M")),
        ("Exported by", actor),
    ]


def method_lines(
    instrument: Instrument,
    *,
    actor: str,
    shown: str,
    round_title: str | None = None,
    target: int | str | None = None,
    extra: list[tuple[str, object]] | None = None,
) -> list[tuple[str, object]]:
    """Label and value pairs for a workbook's method sheet."""
    threshold = current_app.config["DISCLOSURE_THRESHOLD"]
    lines: list[tuple[str, object]] = []
    if round_title:
        lines.append(("Round", round_title))
    lines += [
        ("Instrument", instrument_in_words(instrument)),
        ("Level shown", shown),
        ("Target level", target if target is not None else "none set"),
        ("Scoring rule", scoring_in_words(instrument)),
        *([NAMED_RESULTS] if instrument.named_results else disclosure_lines(threshold)),
        *exported_lines(actor),
    ]
    return lines + list(extra or [])
