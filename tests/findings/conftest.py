"""The journey's fixtures for the finding tests that walk a group through its pages."""

from tests.journey.conftest import invite, walker  # noqa: F401 (fixtures for this folder)
