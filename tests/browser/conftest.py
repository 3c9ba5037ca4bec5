"""Browser tests: the app served on loopback, driven by Debian's headless Chromium.

``live_server`` serves a fresh SQLite copy of the app in a thread (CSRF on, as
in production); ``page`` is a Playwright page that records console errors and
any request that tries to leave the machine (and blocks it); ``axe_violations``
runs axe-core's WCAG 2.0 / 2.1 / 2.2 A and AA rules on the page.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from survey import create_app
from survey.extensions import db

CHROMIUM = "/usr/bin/chromium"
AXE = sorted(Path(__file__).resolve().parents[2].glob(".venv/axe-core-*/axe.min.js"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def pytest_collection_modifyitems(items):
    """Every test in this folder drives a real browser."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    """A running app: its base URL and the app object (for setting up data)."""

    url: str
    app: object


@pytest.fixture
def live_server(sqlite_template, tmp_path):
    """The app on a fresh migrated SQLite database, served on a free loopback port."""
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "TESTING": False,
            "WTF_CSRF_ENABLED": True,
            "SESSION_COOKIE_SECURE": False,
            "MAIL_FOLDER": str(tmp_path / "mail"),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SERVER_URL"] = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.port}", app=app)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (Debian's, never a downloaded build)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; ``console_errors`` and ``external_requests`` collect what went wrong."""
    context = browser.new_context(bypass_csp=True)  # so axe can be injected
    page = context.new_page()
    page.console_errors = []
    page.external_requests = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))

    def guard(route):
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob", "about") or url.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            page.external_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page, tags: list[str] | None = None) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.0-2.2 A and AA by default)."""
    if not AXE:
        raise RuntimeError("axe-core is not installed: run scripts/setup --test")
    page.wait_for_load_state("load")  # the whole page, not one caught half-built after a click
    page.add_script_tag(path=str(AXE[-1]))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", tags or AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
    ]


def assert_no_violations(page, where: str) -> None:
    """axe finds nothing on the page; ``where`` names it in the failure."""
    found = axe_violations(page)
    assert found == [], (where, found)


@pytest.fixture
def axe():
    """The axe_violations function, for tests that prefer a fixture to an import."""
    return axe_violations
