"""Fixtures of the notification tests: a real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


@dataclass
class RecordingHandler:
    """Keeps every accepted message; ``reject_with`` makes it refuse DATA with that reply."""

    messages: list[Received] = field(default_factory=list)
    reject_with: str | None = None
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reject_with:
            return self.reject_with
        msg = message_from_bytes(envelope.content, policy=email_policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


class SmtpServer:
    def __init__(self, handler: RecordingHandler, port: int):
        self.handler = handler
        self.port = port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on 127.0.0.1; the app sends its mail there."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["MAIL_PORT"] = port
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()
