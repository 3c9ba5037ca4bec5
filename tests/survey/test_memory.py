"""A worker hands the heap's free pages back after a request that left it grown
(survey.memory), on this machine's real C library and its real resident size."""

from __future__ import annotations

import pytest
from flask import Flask

from survey import memory

MB = 2**20
PIECE = 100 * 1024
_KEPT: list[bytes] = []  # what a request leaves alive above the heap it freed


def _app() -> Flask:
    """A bare app with the memory hook, and a page that frees ``mb`` MB of the C heap but
    keeps the last piece it made: glibc cannot give the freed pages below that piece back
    by itself (they are not at the heap's top), so they stay in the worker's resident
    size. The pieces (100 KB) are too big for Python's own allocator and for the small
    holes an earlier test may have left in the heap, and too small for mmap."""
    app = Flask(__name__)
    memory.init_app(app)

    @app.get("/grow/<int:mb>")
    def grow(mb: int):
        chunks = [bytes(PIECE) for _ in range(mb * 2**20 // PIECE)]
        _KEPT.append(chunks[-1])
        del chunks
        return "grown"

    @app.get("/small")
    def small():
        return "small"

    return app


@pytest.fixture
def trims(monkeypatch) -> list[int]:
    """Each trim the hook asks for (the real malloc_trim still runs), from a worker
    settled where it is now."""
    assert memory._trim is not None  # this machine's C library has malloc_trim
    real, asked = memory._trim, []

    def counted(pad: int) -> int:
        asked.append(pad)
        return real(pad)

    real(0)
    monkeypatch.setattr(memory, "_trim", counted)
    monkeypatch.setattr(memory, "_settled", memory.resident_bytes())
    yield asked
    _KEPT.clear()


def _held(began: int) -> float:
    return (memory.resident_bytes() - began) / MB


def test_a_reply_that_leaves_the_worker_grown_trims_the_heap_once_it_is_sent(trims):
    client = _app().test_client()
    began = memory.resident_bytes()
    reply = client.get("/grow/96")
    assert reply.get_data() == b"grown"
    assert _held(began) > 48  # the freed pages are still held: the premise
    assert trims == []  # not before the reply is sent
    reply.close()
    assert trims == [0]
    assert _held(began) < 16  # handed back
    assert memory._settled == memory.resident_bytes()  # settled where the trim left it


def test_replies_that_leave_little_do_not_trim(trims, monkeypatch):
    client = _app().test_client()
    for _ in range(3):
        reply = client.get("/small")
        assert reply.get_data() == b"small"
        reply.close()
    assert trims == []
    # the big page, with room for what it leaves: no trim, and the pages stay held
    monkeypatch.setattr(memory, "TRIM_AFTER", 256 * MB)
    began = memory.resident_bytes()
    client.get("/grow/96").close()
    assert trims == []
    assert _held(began) > 48


def test_what_replies_leave_adds_up_to_a_trim(monkeypatch):
    """The measure is from where the worker settled, not from where each reply began: two
    replies that each leave 5 MB more trim on the second (10 MB above), though neither
    grew the worker by TRIM_AFTER (8 MB) itself. A trim settles the worker where it left
    it, and a reply that finds it lower settles it lower. (The sizes are given here; the
    tests above measure real ones.)"""
    client = _app().test_client()  # (making the app settles the worker: before the sizes)
    sizes = iter([105, 110, 101, 99, 106, 108, 100])  # MB: after each reply, and each trim
    trims: list[int] = []
    monkeypatch.setattr(memory, "resident_bytes", lambda: next(sizes) * MB)
    monkeypatch.setattr(memory, "_trim", trims.append)
    monkeypatch.setattr(memory, "_settled", 100 * MB)
    client.get("/small").close()  # 105: 5 above, no trim
    assert trims == [] and memory._settled == 100 * MB
    client.get("/small").close()  # 110: 10 above, trimmed down to 101
    assert trims == [0] and memory._settled == 101 * MB
    client.get("/small").close()  # 99: lower, settled there
    assert trims == [0] and memory._settled == 99 * MB
    client.get("/small").close()  # 106: 7 above 99, no trim
    client.get("/small").close()  # 108: 9 above 99, trimmed down to 100
    assert trims == [0, 0] and memory._settled == 100 * MB
