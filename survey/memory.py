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
import os
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
    as before. gunicorn calls it (post_worker_init); bench/scale.py does, as a worker.
    The worker's replies measure what they leave from here (init_app)."""
    global _settled
    gc.freeze()
    _settled = resident_bytes()


def _malloc_trim():
    """glibc's malloc_trim, or None (another C library, another system)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None


_trim = _malloc_trim()


def release_memory() -> None:
    """After a big pass (a refresh of a round's figures, a request that left the worker
    grown: init_app): hand the pages the C heap holds free back to the system, so the
    worker's resident size falls back.

    Python frees its objects, but glibc keeps the freed pages of its heap for later
    unless they are at its very top: a worker stayed at the size of its biggest pass
    so far. At 40,000 groups, trimming took a worker from 574 to 419 MB after a
    refresh and from 495 to 431 MB after the support-plans export, in 15 ms and 5 ms
    (bench/scale.py's timed requests include it: the bench closes each reply)."""
    global _settled
    if _trim is not None:
        _trim(0)
        _settled = resident_bytes()


# How far a worker's resident size may rise above where it settled (after its last trim,
# or the lowest a reply has left it since) before a reply sent trims the heap. A small
# page leaves 0 to 2 MB; a map, the trends or a download left 5 to 85 MB at 40,000
# groups. A trim costs 5 to 15 ms there: only the replies that find it grown pay it.
TRIM_AFTER = 8 * 2**20
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_settled: int | None = None  # bytes; None before the app is made, or where unknown


def resident_bytes() -> int | None:
    """This process's resident set size now (Linux: /proc/self/statm), or None elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def init_app(app) -> None:
    """Once each reply is sent (its body closed), trim the heap (release_memory) if the
    worker's resident size is more than TRIM_AFTER above where it settled.

    Python and glibc keep the pages of what a request freed, so a worker stayed near the
    size of its biggest request so far, and the next request's peak began from there: at
    40,000 groups the support-plans export peaked at 418 MB after the small-area map and
    API had left the worker at 421 MB, and at 378 to 383 MB with this trim. The
    measure is from where the worker settled, not from where each request began, so that
    requests which each leave a little (the downloads, 1 to 7 MB) add up to a trim too.

    A reply sent straight from a file (direct_passthrough) is never closed by werkzeug:
    it makes nothing to trim."""
    global _settled
    _settled = resident_bytes()  # the first page's own growth counts
    app.after_request(_trim_once_sent)


def _trim_once_sent(response):
    response.call_on_close(_trim_if_grown)
    return response


def _trim_if_grown() -> None:
    global _settled
    now = resident_bytes()
    if now is None:
        return
    if _settled is None or now < _settled:
        _settled = now
    elif now - _settled > TRIM_AFTER:
        release_memory()
