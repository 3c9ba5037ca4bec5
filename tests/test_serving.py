"""The gunicorn settings every server of the app uses (survey.serving)."""

from __future__ import annotations

import gc

from gunicorn.config import Config

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
