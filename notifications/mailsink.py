"""A development mail sink: an SMTP server on loopback that prints every message it receives
and appends it to a file, so a person can read the demo's e-mails. Never for production."""
from __future__ import annotations

import threading
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Callable

from aiosmtpd.controller import Controller


class SinkHandler:
    def __init__(self, log_path: Path | None, echo: Callable[[str], None] = print) -> None:
        self.log_path = log_path
        self.echo = echo
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = message_from_bytes(envelope.content, policy=email_policy.default)
        text = msg.get_body(preferencelist=("plain",))
        lines = [
            "=" * 72,
            f"From: {msg.get('From', envelope.mail_from)}",
            f"To: {', '.join(envelope.rcpt_tos)}",
            f"Subject: {msg.get('Subject', '')}",
            f"Content-Language: {msg.get('Content-Language', '')}",
            "",
            text.get_content().rstrip() if text is not None else "(no text part)",
            "",
        ]
        with self._lock:
            self.echo("\n".join(lines))
            if self.log_path is not None:
                with open(self.log_path, "ab") as fh:
                    fh.write(b"=" * 72 + b"\n" + envelope.content.replace(b"\r\n", b"\n").rstrip() + b"\n\n")
        return "250 Message accepted for delivery"


def start(host: str, port: int, log_path: Path | None, echo: Callable[[str], None] = print) -> Controller:
    controller = Controller(SinkHandler(log_path, echo), hostname=host, port=port)
    controller.start()
    return controller
