"""A real SMTP server on a loopback port (aiosmtpd), started for each test that asks."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

REFUSAL = "554 5.7.1 Sending limit reached, try later"


@dataclass
class Inbox:
    """Every message the server accepted, parsed, with the envelope's recipients.

    With ``accept`` set, the server takes that many messages in all and answers every
    later one with REFUSAL (as a relay does at its sending limit); ``refused`` holds
    the recipients of those. Set it back to None and the server accepts again.
    """

    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    accept: int | None = None
    refused: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.accept is not None and len(self.messages) >= self.accept:
            self.refused.append(list(envelope.rcpt_tos))
            return REFUSAL
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    """A running SMTP server; MAIL_SERVER and MAIL_PORT point the app (and commands) at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(port))
    monkeypatch.setenv("MAIL_USE_TLS", "0")  # loopback: no certificate to offer
    yield inbox
    controller.stop()
