"""The Flask shell around the functional core: web pages, database and commands."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .extensions import csrf, db, migrate

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config_overrides: dict | None = None) -> Flask:
    """Build the app; refuses to start when any instrument file is invalid."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(config_overrides or {})

    if app.config["PROXY_HOPS"]:
        # The client's address and scheme as the trusted proxies saw them: sign-in limits
        # count by address, and every address would otherwise be the proxy's.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)

    from . import (
        access,
        accounts,
        api,
        areas,
        audit,
        instruments_store,
        journey,
        memory,
        oruk,
        publication,
        reports,
        security,
        views,
    )

    security.init_app(app)  # first: it sets the converter every route's <int:...> uses
    memory.init_app(app)
    instruments_store.init_app(app)
    views.init_app(app)
    access.init_app(app)
    audit.init_app(app)
    for part in (accounts, journey, areas, reports, api, oruk):
        part.init_app(app)
    # Pages say when their figures leave out answers being published (base.html).
    app.add_template_global(publication.figures_refreshing, "figures_refreshing")
    return app
