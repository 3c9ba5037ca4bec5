"""Reading stored answers for a download: the quick path for plain words gives exactly
what decoding the stored JSON gives, for any value a group could have stored."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.api.records import _answer_value

# What an answer can hold: words (quotes, backslashes, any script), numbers, ticks.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


@settings(max_examples=400, derandomize=True)
@given(value=VALUES, ascii_only=st.booleans())
def test_an_answer_read_back_is_the_value_stored(value, ascii_only):
    stored = json.dumps(value, ensure_ascii=ascii_only)
    assert _answer_value(stored) == value


def test_words_with_quotes_escapes_and_other_scripts_are_decoded_not_sliced():
    # Each is JSON text whose slice between the outer quotes is not the value.
    assert _answer_value('"say \\"hi\\""') == 'say "hi"'
    assert _answer_value('"tab\\there"') == "tab\there"
    assert _answer_value('"caf\\u00e9"') == "café"
    assert _answer_value('["often", "never"]') == ["often", "never"]
    assert _answer_value("null") is None and _answer_value(None) is None
    assert _answer_value('"often"') == "often" and _answer_value('""') == ""


def test_merging_passes_over_groups_of_responses_that_are_not_among_the_rows():
    """Responses 1, 3 and 4 are listed. Answers come for 0, 1, 2 and 4 and scores for
    2 and 3 (responses submitted or taken back between the three reads): each listed
    response gets exactly its own, none gets another's, and 3 has no answers."""
    from survey.api.records import _by_response, _merged

    rows = [(1, "a"), (3, "c"), (4, "d")]
    answers = [(0, "q", '"x"'), (1, "q", '"one"'), (1, "r", "2"), (2, "q", '"two"'), (4, "q", "[]")]
    scores = [(2, "overall", 2.0, 2), (3, "overall", 3.0, 3)]
    merged = list(_merged(iter(rows), _by_response(answers), _by_response(scores)))
    assert merged == [
        ((1, "a"), {"q": "one", "r": 2}, {}),
        ((3, "c"), {}, {"overall": (3.0, 3)}),
        ((4, "d"), {"q": []}, {}),
    ]
