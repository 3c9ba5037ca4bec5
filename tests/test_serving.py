"""The gunicorn settings every server of the app uses (survey.serving), and the garbage
collector around big passes (survey.memory)."""

from __future__ import annotations

import gc
import threading

from gunicorn.config import Config

from survey.memory import paused_collection
from survey.serving import gunicorn_settings


def test_a_worker_sets_what_it_loaded_aside_from_full_garbage_collections():
    """gunicorn takes the settings as given (its own checks run on each) and, once a
    worker has loaded the app, calls the hook that freezes what the worker holds; what is
    made after that is still collected."""
    config = Config()
    for key, value in gunicorn_settings().items():
        config.set(key, value)
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        config.post_worker_init(None)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the interpreter, the app's modules and libraries

        class Cycle:
            pass

        made = Cycle()
        made.me = made  # garbage only a collection can free
        del made
        assert gc.collect() >= 1
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_a_worker_is_given_longer_than_the_largest_export_takes():
    """gunicorn kills a worker silent for its timeout (30 s unless set); a 40,000-group
    portfolio's support plans took 49 s (bench/scale.py), so the settings give three
    minutes, and gunicorn reads them as given."""
    config = Config()
    for key, value in gunicorn_settings().items():
        config.set(key, value)
    assert config.timeout == 180 > 49


def test_the_collector_starts_again_when_the_last_paused_pass_in_any_thread_ends():
    assert gc.isenabled()
    inner_started, outer_may_end = threading.Event(), threading.Event()
    seen = []

    def other_thread():
        with paused_collection():
            inner_started.set()
            outer_may_end.wait(5)
            seen.append(gc.isenabled())

    with paused_collection():
        assert not gc.isenabled()
        worker = threading.Thread(target=other_thread)
        worker.start()
        inner_started.wait(5)
    assert not gc.isenabled()  # the other thread's pass is still running
    outer_may_end.set()
    worker.join(5)
    assert seen == [False] and gc.isenabled()


def test_a_collector_stopped_before_the_pass_stays_stopped_after_it():
    gc.disable()
    try:
        with paused_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
