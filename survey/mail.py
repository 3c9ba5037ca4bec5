"""Sending email: SMTP when MAIL_SERVER is set, else a folder (MAIL_FOLDER) or the console."""

from __future__ import annotations

import os
import smtplib
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


def _setting(name: str, default: str | None = None) -> str | None:
    return current_app.config.get(name) or os.environ.get(name) or default


def build_message(
    to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> EmailMessage:
    """A plain-text message from the service's sender address (plus any extra headers)."""
    message = EmailMessage()
    message["From"] = _setting("MAIL_FROM", "survey@localhost")
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="survey.local")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def failure_reason(error: OSError) -> str:
    """Why a message did not go, in one line a person can act on (no Python reprs)."""

    def said(text: bytes | str) -> str:
        text = text.decode(errors="replace") if isinstance(text, bytes) else text
        return " ".join(text.split())  # a multi-line reply on one line

    # SMTPException is an OSError too, so the server's own answers are looked at first.
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        return f"the mail server refused the address: {code} {said(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the mail server answered {error.smtp_code} {said(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPException):
        return f"the mail server failed: {said(str(error)) or type(error).__name__}"
    return f"could not reach the mail server ({type(error).__name__}: {said(str(error))})"


def stopped_part_way(failure: str, sent: int, not_sent: int, noun: str) -> str:
    """A run of emails the mail server stopped, in one line: why, how many went (each
    recorded) and how many did not ("...: 1 reminder sent and recorded, 2 not sent")."""
    return f"{failure}: {sent} {noun if sent == 1 else noun + 's'} sent and recorded, {not_sent} not sent"


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send one message through whichever backend is configured."""
    message = build_message(to, subject, body, headers)
    server = _setting("MAIL_SERVER")
    if server:
        port = int(_setting("MAIL_PORT", "587"))
        with smtplib.SMTP(server, port, timeout=10) as smtp:
            if _setting("MAIL_USE_TLS", "1") not in ("0", "false", "False"):
                smtp.starttls()
            user = _setting("MAIL_USERNAME")
            if user:
                smtp.login(user, _setting("MAIL_PASSWORD", ""))
            smtp.send_message(message)
        return
    folder = _setting("MAIL_FOLDER")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_")
        (path / f"{name}.eml").write_bytes(bytes(message))
        return
    print(message.as_string(), file=sys.stderr)
