"""The mail module: a folder or the console in development, SMTP when configured."""

from __future__ import annotations

import smtplib
import socket

from survey.journey import messages
from survey.mail import failure_reason, send_mail

from .conftest import text_of


def test_the_folder_backend_writes_one_message_per_email(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    send_mail("a@example.org", "Your link", "Hello <there>")
    send_mail("b@example.org", "Your link", "Hello again")
    messages_written = sorted(p.read_text() for p in tmp_path.glob("*.eml"))
    assert len(messages_written) == 2
    assert "To: a@example.org" in messages_written[0] and "Hello <there>" in messages_written[0]


def test_the_console_backend_prints_the_message(app, capsys, monkeypatch):
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    monkeypatch.delenv("MAIL_FOLDER", raising=False)
    for key in ("MAIL_SERVER", "MAIL_FOLDER"):
        monkeypatch.setitem(app.config, key, None)
    send_mail("c@example.org", "Subject line", "Body text")
    printed = capsys.readouterr().err
    assert "To: c@example.org" in printed and "Body text" in printed


def test_a_mail_failure_is_said_in_one_line_with_the_servers_own_words():
    # A reply may be bytes over several lines; a person reads one line, not a Python repr.
    refused = smtplib.SMTPRecipientsRefused(
        {"x@example.org": (550, b"5.1.1 No such mailbox\nSee the postmaster")}
    )
    assert failure_reason(refused) == (
        "the mail server refused the address: 550 5.1.1 No such mailbox See the postmaster"
    )
    answered = smtplib.SMTPDataError(554, b"5.7.1 Rejected")
    assert failure_reason(answered) == "the mail server answered 554 5.7.1 Rejected"
    dropped = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    assert failure_reason(dropped) == "the mail server failed: Connection unexpectedly closed"
    unreachable = ConnectionRefusedError(111, "Connection refused")
    assert failure_reason(unreachable) == (
        "could not reach the mail server (ConnectionRefusedError: [Errno 111] Connection refused)"
    )


def test_when_the_mail_server_cannot_be_reached_the_link_is_still_shown(
    app, walker, invite, monkeypatch
):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", str(port))
    invited = invite("confidence")
    page = walker(invited).post_page(f"{invited.url}/saved", {"email": "x@example.org"}, 400)
    text = text_of(page.text)
    assert messages.MAIL_FAILED in text
    assert f"/r/{invited.token}" in text
