"""The journey's fixtures for the finding tests that walk a group through its pages."""

from tests.areas.test_readiness import readiness_places  # noqa: F401 (finding 19)
from tests.journey.conftest import invite, walker  # noqa: F401 (fixtures for this folder)
