"""The process's memory around the app's few big passes over data: the cyclic garbage
collector, and the C heap's free pages.

Python frees almost everything by reference counting; the cyclic collector is only for
reference cycles, and each of its full passes walks every container object alive. A pass
that builds millions of rows (the member sets of 40,000 groups) sets off many of those
passes over its own growing heap: they were 40% of its time (7.7 s without, 12 s with,
median of 3). Those passes make no cycles, so nothing they make waits for the collector.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # passes running now, in any thread
_was_enabled = True


@contextmanager
def paused_collection() -> Iterator[None]:
    """No cyclic collection while the block runs (reference counting goes on). Threads
    share the collector: it starts again when the last block in any thread ends, and only
    if it was running when the first began."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def settle_worker(worker=None) -> None:
    """Once a worker has loaded the app: set what it holds so far (the app, its libraries:
    about 280,000 objects) aside from the collector's full passes (``gc.freeze``).

    Those objects live as long as the process, and a full pass walks all of them: at
    40,000 groups one took 0.15 s, every other request of a big page (a map), half of
    what the page itself costs (bench/scale.py). What later requests make is collected
    as before. gunicorn calls it (post_worker_init); bench/scale.py does, as a worker."""
    gc.freeze()


def _malloc_trim():
    """glibc's malloc_trim, or None (another C library, another system)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None


_trim = _malloc_trim()


def release_memory() -> None:
    """After a big pass (a download, a refresh of a round's figures): hand the pages the
    C heap holds free back to the system, so the worker's resident size falls back.

    Python frees its objects, but glibc keeps the freed pages of its heap for later
    unless they are at its very top: a worker stayed at the size of its biggest pass
    so far. At 40,000 groups, trimming took a worker from 574 to 419 MB after a
    refresh and from 495 to 431 MB after the support-plans export, in 15 ms and 5 ms
    (bench/scale.py's timed requests include it: the bench closes each reply)."""
    if _trim is not None:
        _trim(0)
