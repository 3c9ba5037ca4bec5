"""A memo for work done on values that repeat (most cells of a big export), bounded."""

from __future__ import annotations

from collections.abc import Callable, Hashable


class Kept(dict):
    """``kept[key]`` is ``work(key)``, worked out the first time a key is met and kept for
    the first ``limit`` keys (later ones are worked out each time they come: an Id
    column's texts are each met once and would only grow it). A key met again is a plain
    dict lookup. Keys must not be equal across types that work differently (1, 1.0 and
    True are equal keys): keep one type of key in one Kept."""

    __slots__ = ("work", "limit")

    def __init__(self, work: Callable[[Hashable], object], limit: int) -> None:
        super().__init__()
        self.work = work
        self.limit = limit

    def __missing__(self, key: Hashable) -> object:
        value = self.work(key)
        if len(self) < self.limit:
            self[key] = value
        return value
