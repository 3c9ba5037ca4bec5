"""Loads the instrument registry once at start-up and hands it to the views."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app

from instruments import DEFINITIONS_DIR, Instrument, Registry, load_registry


@lru_cache(maxsize=8)
def _load(folder: Path, fingerprint: tuple) -> Registry:
    """The registry for a folder whose files are as fingerprinted (name, size, mtime)."""
    return load_registry(folder)


def _fingerprint(folder: Path) -> tuple:
    return tuple(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.yaml"))
    )


def init_app(app: Flask) -> None:
    """Load and validate every instrument; an invalid file stops the app starting.

    The registry is immutable, so apps made in one process (tests, CLI) share
    it until a file changes.
    """
    folder = Path(app.config.get("INSTRUMENTS_DIR") or DEFINITIONS_DIR).resolve()
    app.extensions["instruments"] = _load(folder, _fingerprint(folder))


def registry() -> Registry:
    """The registry of the running app."""
    return current_app.extensions["instruments"]


def instrument_for(round_) -> Instrument:
    """The instrument version a round uses."""
    return registry().get(round_.instrument_id, round_.instrument_version)
