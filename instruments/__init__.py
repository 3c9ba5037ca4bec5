"""Questionnaires as data: the file format, its checker and the loaded objects."""

from .loader import (
    DEFINITIONS_DIR,
    InstrumentError,
    build_instrument,
    check,
    load_all,
    load_instrument,
    load_registry,
)
from .model import (
    DONT_KNOW,
    HORIZON_LABELS,
    HORIZONS,
    LIKERT_OPTIONS,
    NOT_APPLICABLE,
    SCORED_TYPES,
    Domain,
    Instrument,
    Level,
    NextStep,
    Option,
    Question,
    Section,
    SupportOffer,
)
from .registry import Registry

__all__ = [
    "DEFINITIONS_DIR",
    "DONT_KNOW",
    "HORIZONS",
    "HORIZON_LABELS",
    "LIKERT_OPTIONS",
    "NOT_APPLICABLE",
    "SCORED_TYPES",
    "Domain",
    "Instrument",
    "InstrumentError",
    "Level",
    "NextStep",
    "Option",
    "Question",
    "Registry",
    "Section",
    "SupportOffer",
    "build_instrument",
    "check",
    "load_all",
    "load_instrument",
    "load_registry",
]
