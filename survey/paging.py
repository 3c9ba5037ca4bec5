"""One page of a long list on a staff page (GOV.UK pagination: templates/components/pagination.html)."""

from __future__ import annotations


class Page:
    """One page of a list of ``total`` rows, ``size`` at a time: ``asked`` is the query's
    page number (anything but a whole number from 1 is page 1; past the end, the last
    page)."""

    def __init__(self, total: int, asked: str | None, size: int) -> None:
        self.pages = max(1, -(-total // size))
        number = int(asked) if asked and asked.isdigit() else 1
        self.number = min(max(number, 1), self.pages)
        self.start = (self.number - 1) * size
        self.end = self.start + size
