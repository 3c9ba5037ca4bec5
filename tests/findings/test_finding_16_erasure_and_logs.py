"""Finding 16: erasure leaves audit events without the group's identity; access logs hold no
link token (`survey run` and gunicorn)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey import audit
from survey.extensions import db
from survey.models import AuditEvent

from .. import factories

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_finding_16_erasure_leaves_events_without_the_group(app, client, login, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    admin = login("admin")
    round_ = factories.survey_round()
    gone = factories.organisation(name="Riverside Walking Group")
    link = factories.invitation(round_, gone)
    factories.submitted_response(round_, gone, {"d1": 3})
    gone_id, admin_email = gone.id, admin.email
    choices = {"consent_broker": True, "consent_area_lead": False, "consent_directory": True}
    audit.record(gone, audit.CONSENT_CHANGED, gone, {"before": {}, "after": choices})
    audit.record(admin, "moderate", f"{round_.slug}:org {gone_id}", {"d1": 2})
    audit.record(admin, "invitation.reissue", f"invitation:{link.id}", {"organisation_id": gone_id})
    audit.record(admin, "sign-in", None, {"ip": "127.0.0.1"})  # not about the group
    db.session.commit()
    assert client.get(f"/staff/groups/{gone_id}").status_code == 200  # a read, audited
    before = [(e.action, e.at) for e in db.session.scalars(sa.select(AuditEvent))]
    assert len(before) == 5

    assert client.post(f"/staff/groups/{gone_id}/erase", data={"confirm": "y"}).status_code == 302
    db.session.remove()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.at) for e in events][:5] == before  # the events and dates stay
    about = [e for e in events if e.action not in ("sign-in", "group-erased")]
    assert [(e.actor, e.target, e.detail) for e in about] == [
        ("erased group", "erased group", None),  # its consent history
        (admin_email, "erased group", None),  # its moderated levels
        (admin_email, "erased group", None),  # its link re-issued
        (admin_email, "erased group", None),  # its privacy page read
    ]
    text = json.dumps([[e.actor, e.target, e.detail] for e in events[:5]])
    for trace in ("Riverside", f"group:{gone_id}", f"organisation:{gone_id}", f"org {gone_id}"):
        assert trace not in text
    assert events[3].detail == {"ip": "127.0.0.1"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_log(command: list[str], port: int, env: dict, cwd: Path) -> str:
    """Start a server, ask for a group link, stop it; everything it wrote."""
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/r/SECRETtoken123abc/consent?x=1",
                                   headers={"Referer": "http://h/r/SECRETtoken123abc"})  # fmt: skip
                assert connection.getresponse().status == 404
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.3)
        time.sleep(0.5)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    return output.decode()


@pytest.mark.parametrize("server", ["survey run", "gunicorn"])
def test_finding_16_access_logs_never_hold_a_link_token(tmp_path, server):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}", "SECRET_KEY": "t"}
    subprocess.run([str(BIN / "survey"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    port = _port()
    if server == "survey run":
        command = [str(BIN / "survey"), "run", "--port", str(port)]
    else:  # from the repository, as deployed: its gunicorn.conf.py sets the logger
        command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--access-logfile",
                   "-", "--access-logformat", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s',
                   "survey:create_app()"]  # fmt: skip
    log = _serve_and_log(command, port, env, ROOT)
    assert "/r/<redacted>/consent" in log, log
    assert "SECRETtoken123abc" not in log
