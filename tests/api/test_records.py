"""Reading stored answers for a download: a response's answers come from the database as
one JSON object, and decode to exactly the values stored, on either engine."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.api.records import response_records
from survey.extensions import db

from .. import factories

# SQLite keeps a stored number as a REAL (or a 64-bit INTEGER) and writes a REAL with 15
# significant digits, as it did when each answer was read as text: a person's answer
# has fewer. Infinity and NaN are not JSON.
FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: float(f"{x:.15g}") == x)
# What an answer can hold: words (quotes, backslashes, any script), numbers, ticks.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | FLOATS | st.text(),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # each example rolls back
)
@given(values=st.lists(VALUES, min_size=1, max_size=30))
def test_answers_read_back_are_the_values_stored(app, values):
    round_ = factories.survey_round("confidence")
    stored = {f"q{i:02}": value for i, value in enumerate(values)}
    factories.submitted_response(round_, factories.organisation(), {}, answers=stored)
    nothing = factories.submitted_response(round_, factories.organisation(), {"overall": 2})
    try:
        records = {r.response_id: r for r in response_records(round_)}
        assert len(records) == 2
        (mine,) = [r for r in records.values() if r.response_id != nothing.id]
        assert mine.answers == stored and mine.scores == {}
        # and of the same kinds: True is not 1, nor 1.0 1
        assert json.dumps(mine.answers, sort_keys=True) == json.dumps(stored, sort_keys=True)
        assert records[nothing.id].answers == {}
        assert records[nothing.id].scores == {"overall": (2.0, 2)}
    finally:
        db.session.rollback()
