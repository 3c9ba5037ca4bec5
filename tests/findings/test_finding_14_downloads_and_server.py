"""Finding 14: every personal download says no-store; `survey run` sends one bare Server header."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from survey.access import PERMISSIONS, allowed
from survey.demo import load_demo
from survey.extensions import db
from survey.models import Area, Broker

from .. import factories
from ..route_walk import add_api_token, all_rules, argument_values, client_as, url_for_walk

ROOT = Path(__file__).resolve().parents[2]


class _Visitor:
    def __init__(self, role):
        self.is_authenticated, self.role = role is not None, role


def test_finding_14_every_download_is_no_store(app):
    load_demo(seed=1, groups=12)
    place = db.session.scalar(sa.select(Area).where(Area.type == "place").order_by(Area.id))
    broker = db.session.scalar(sa.select(Broker).order_by(Broker.id))
    staff = {
        "admin": factories.user("admin"),
        "broker": factories.user("broker", broker=broker),
        "area-lead": factories.user("area-lead", areas=[place]),
        "board": factories.user("board"),
    }
    token = add_api_token()
    db.session.commit()
    ids = {role: user.id for role, user in staff.items()}
    values = argument_values(area=place)
    headers = {"Authorization": f"Bearer {token}"}
    downloads, pages = set(), 0
    for rule in all_rules():
        path = url_for_walk(rule, values)
        if path is None or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for role in (None, *ids):
            with app.test_request_context():
                if not allowed(rule.endpoint, _Visitor(role)):
                    continue
            got = client_as(app, ids.get(role)).get(path, headers=headers)
            got.get_data()  # a streamed body is read (and its context closed) as a browser would
            if got.status_code != 200:
                continue
            pages += 1
            assert got.headers.get("Cache-Control") == "no-store", (path, role)
            if got.mimetype != "text/html":
                downloads.add(rule.endpoint)
    # Links (CSV), audit CSV, a group's data, map and chart PNGs, workbooks, API and scores.
    expected = {
        "rounds.invitations_download",
        "accounts.audit_log_csv",
        "accounts.group_data",
        "areas.map_png",
    }
    assert expected <= downloads, expected - downloads
    assert len(downloads) >= 10 and pages >= 40
    assert set(PERMISSIONS) >= downloads
    static = client_as(app, None).get("/static/app/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_finding_14_survey_run_sends_one_server_header(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "SECRET_KEY": "test",
    }
    survey = Path(sys.executable).parent / "survey"
    server = subprocess.Popen(
        [str(survey), "run", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                reply = connection.getresponse()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.3)
        servers = [v for k, v in reply.getheaders() if k.lower() == "server"]
        assert reply.status == 200
        # One Server header naming no version: gunicorn's bare "gunicorn" (the app adds none).
        assert len(servers) == 1 and not any(c.isdigit() for c in servers[0]), servers
    finally:
        server.terminate()
        server.wait(timeout=60)  # a graceful stop: workers finish what they are doing
