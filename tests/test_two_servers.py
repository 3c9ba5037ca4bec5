"""Two app servers on one PostgreSQL, as the README's "Deploy" section describes.

Two `survey run` processes (gunicorn, as deployed) serve one database on their own
loopback ports. A group saves its first page through one and carries on through the
other; a sign-in limit reached through one holds on the other. Nothing lives in a
server's memory or files that the other would miss.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

import sqlalchemy as sa
from flask_migrate import upgrade

from survey import create_app
from survey.extensions import db
from survey.models import Invitation

from . import factories
from .journey.conftest import hidden_fields, instrument, make_round, text_of, valid_value

BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Stay(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer to look at
        return None


class Browser:
    """One browser: its cookies go to both servers (a cookie names a host, not a port)."""

    def __init__(self) -> None:
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _Stay)

    def go(self, url: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, page) for a GET, or a POST of the form."""
        data = urlencode(form, doseq=True).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=60) as answer:
                return answer.status, "", answer.read().decode()
        except HTTPError as answer:
            return answer.code, answer.headers.get("Location", ""), answer.read().decode()


def _serve(stack: ExitStack, env: dict, folder: Path) -> str:
    """Start `survey run` on a free port; its base URL once it answers."""
    port = _port()
    log = open(folder / f"server-{port}.log", "wb")  # noqa: SIM115 (closed by the stack)
    stack.callback(log.close)
    server = subprocess.Popen(
        [BIN / "survey", "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stack.callback(_stop, server, folder / f"server-{port}.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with build_opener().open(base + "/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return base
        except (URLError, OSError):
            pass
        assert server.poll() is None, (folder / f"server-{port}.log").read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.3)


def _stop(server: subprocess.Popen, log: Path) -> None:
    """SIGTERM, as a deployment stops a server: it finishes and exits cleanly."""
    server.send_signal(signal.SIGTERM)
    try:
        assert server.wait(timeout=60) == 0, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()


def test_two_servers_share_a_groups_answers_and_the_sign_in_limits(postgres_url, tmp_path):
    name = f"two_servers_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")},
        "DATABASE_URL": url,
        "SECRET_KEY": "one key for every server",
        "SURVEY_SIGN_IN_ATTEMPTS": "2",
        "SURVEY_SIGN_IN_BACKOFF_SECONDS": "600",  # no second chance while the test runs
    }
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            upgrade()
            ics = factories.area(type="ics")
            area = factories.area(type="neighbourhood", parent=ics)
            factories.area(type="pcn", parent=ics)
            confidence = instrument("confidence")
            round_ = make_round(confidence, [ics])
            group = factories.organisation(area=area, email="group@example.org")
            token = factories.invitation(round_, organisation=group).token
            factories.user(email="lead@example.org", role="board", password=PASSWORD)
            db.session.commit()
            first, second = confidence.sections[0], confidence.sections[1]
            plan = {q.id: valid_value(q, area.code, i) for i, q in enumerate(first.questions)}
            db.session.remove()
            db.engine.dispose()

        with ExitStack() as servers:
            one, other = _serve(servers, env, tmp_path), _serve(servers, env, tmp_path)

            # The group saves its first page through one server ...
            group_browser = Browser()
            page = f"{one}/r/{token}/section/{first.id}"
            status, _, form = group_browser.go(page)
            assert status == 200
            status, location, sent = group_browser.go(
                page, {**hidden_fields(form), **plan, "action": "continue"}
            )
            assert status == 302, text_of(sent)[:500]
            with app.app_context():
                private = db.session.scalar(sa.select(Invitation.private_token))
                db.session.remove()
            assert private and f"/r/{private}/" in location
            # ... and carries on through the other: its browser is taken to its own link,
            # which knows the first page is done and shows what was saved.
            status, location, _ = group_browser.go(f"{other}/r/{token}")
            assert (status, location.rsplit("/r/", 1)[1]) == (302, private)
            status, location, _ = group_browser.go(f"{other}/r/{private}/continue")
            assert status == 302 and location.endswith(f"/section/{second.id}")
            status, _, saved = group_browser.go(f"{other}/r/{private}/section/{first.id}")
            assert status == 200
            chosen = [
                tag for tag in re.findall(r"<input[^>]*>", saved) if 'name="had_referrals"' in tag
            ]
            assert [re.search(r'value="(\w+)"', t)[1] for t in chosen if "checked" in t] == [
                plan["had_referrals"]
            ]
            assert "LA1 4YW" in saved.upper()

            # Two wrong passwords through one server use up the account's attempts from
            # this address; the other server refuses even the right password.
            staff = Browser()
            for _ in range(2):
                status, _, form = staff.go(f"{one}/sign-in")
                wrong = {"email": "lead@example.org", "password": "not the password"}
                status, _, refused = staff.go(f"{one}/sign-in", {**hidden_fields(form), **wrong})
                assert status == 401, text_of(refused)[:300]
            status, _, form = staff.go(f"{other}/sign-in")
            right = {"email": "lead@example.org", "password": PASSWORD}
            status, _, refused = staff.go(f"{other}/sign-in", {**hidden_fields(form), **right})
            assert status == 429, text_of(refused)[:300]
            assert "wait" in text_of(refused).lower()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
