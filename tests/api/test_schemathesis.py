"""Schemathesis drives the API in-process from its own OpenAPI document.

Every documented operation gets generated requests, valid and invalid (a
bounded number, the same ones every run), with a live token. The built-in
checks fail the test on any 5xx, an undocumented status or content type, a
response that does not match its schema, invalid input that is accepted, or
an operation that answers without its token.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

EXAMPLES = 12


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_api_conforms_to_its_document_and_never_fails(app, scored, token, mode):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/rounds", "/api/rounds/{slug}/aggregates"}
    calls = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500
            calls.append((case.operation.path, response.status_code))

        run()
    assert {path for path, _ in calls} == {op.path for op in operations}
