"""A worker hands the heap's free pages back after a request that left it grown
(survey.memory), on this machine's real C library and its real resident size."""

from __future__ import annotations

import pytest
from flask import Flask

from survey import memory

MB = 2**20
_KEPT: list[bytes] = []  # what a request leaves alive above the heap it freed


def _app() -> Flask:
    """A bare app with the memory hook, and a page that frees ``mb`` MB of the C heap but
    keeps a small object made after it: glibc cannot give the freed pages back by itself
    (they are not at the heap's top), so they stay in the worker's resident size."""
    app = Flask(__name__)
    memory.init_app(app)

    @app.get("/grow/<int:mb>")
    def grow(mb: int):
        chunks = [bytes(1000) for _ in range(mb * 1024)]  # each above Python's small sizes
        _KEPT.append(bytes(1000))
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
    reply = client.get("/grow/64")
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
    client.get("/grow/64").close()
    assert trims == []
    assert _held(began) > 48


def test_what_replies_leave_adds_up_to_a_trim(trims):
    """Each of two replies leaves about 5 MB more (the second reuses the first's freed
    pages, then grows past them): neither is over TRIM_AFTER (8 MB) from where it began,
    but the second is from where the worker settled."""
    client = _app().test_client()
    began = memory.resident_bytes()
    client.get("/grow/5").close()
    assert 3 < _held(began) < 8 and trims == []
    client.get("/grow/10").close()
    assert trims == [0]
    assert _held(began) < 4
