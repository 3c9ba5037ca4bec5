"""The loaded instruments, keyed by (id, version), and the support offers catalogue."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .model import Instrument, SupportOffer


def version_key(version: str) -> tuple:
    """Sort key for versions like '2025.1' < '2025.10' < '2026.1'."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", version))


class Registry:
    """Read-only lookup of instruments and offers, built once at start-up."""

    def __init__(
        self,
        instruments: Mapping[tuple[str, str], Instrument],
        offers: Mapping[str, SupportOffer],
    ) -> None:
        self._instruments = MappingProxyType(dict(instruments))
        self.offers = MappingProxyType(dict(offers))

    def get(self, instrument_id: str, version: str) -> Instrument:
        """One instrument at one version (KeyError if unknown)."""
        return self._instruments[(instrument_id, version)]

    def latest(self, instrument_id: str) -> Instrument:
        """The newest version of an instrument (KeyError if unknown)."""
        versions = [i for (iid, _), i in self._instruments.items() if iid == instrument_id]
        if not versions:
            raise KeyError(instrument_id)
        return max(versions, key=lambda i: version_key(i.version))

    def all(self) -> list[Instrument]:
        """Every instrument, by id then version."""
        return sorted(self._instruments.values(), key=lambda i: (i.id, version_key(i.version)))

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._instruments
