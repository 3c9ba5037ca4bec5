"""Loads the instrument registry once at start-up and hands it to the views."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from instruments import DEFINITIONS_DIR, Instrument, Registry, load_registry


def init_app(app: Flask) -> None:
    """Load and validate every instrument; an invalid file stops the app starting."""
    folder = Path(app.config.get("INSTRUMENTS_DIR") or DEFINITIONS_DIR)
    app.extensions["instruments"] = load_registry(folder)


def registry() -> Registry:
    """The registry of the running app."""
    return current_app.extensions["instruments"]


def instrument_for(round_) -> Instrument:
    """The instrument version a round uses."""
    return registry().get(round_.instrument_id, round_.instrument_version)
