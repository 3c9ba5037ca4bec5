"""gunicorn reads this file from the directory it starts in: the settings `survey run` uses.

Workers from the CPU count (or WEB_CONCURRENCY), a graceful shutdown on SIGTERM, and an
access log on stdout that never holds a group's link (survey/serving.py). Options given
on gunicorn's command line win over these.
"""

from survey.serving import gunicorn_settings

globals().update(gunicorn_settings())
