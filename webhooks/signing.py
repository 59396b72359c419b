"""Standard Webhooks signatures (https://www.standardwebhooks.com) and the sealed secret.

- The secret is ``whsec_`` + base64 of 24 random bytes; the HMAC key is the decoded bytes.
- A message is signed as ``base64(HMAC-SHA256(key, f"{webhook_id}.{webhook_timestamp}.{body}"))``
  and sent as ``webhook-signature: v1,<signature>`` beside ``webhook-id`` and
  ``webhook-timestamp`` (seconds since the epoch).
- Stored secrets are sealed (``core.sealing``: Fernet) with a key derived from SECRET_KEY: the
  delivery job must read them back to sign, so a one-way hash cannot be used.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from core import sealing

PREFIX = "whsec_"
#: How far a receiver accepts a timestamp from its own clock (seconds); used by ``verify``.
TOLERANCE = 5 * 60


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body)}


def verify(secret: str, msg_id: str, timestamp: str, signature_header: str, body: bytes, now: int) -> bool:
    """The receiver's check (tests and ``examples/webhook_receiver.py`` do the same): one of the
    space-separated ``v1,`` signatures matches and the timestamp is recent."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - ts) > TOLERANCE:
        return False
    expected = sign(secret, msg_id, ts, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in (signature_header or "").split())


#: The purpose of the key that seals stored secrets (``core.sealing``).
SEALING = "webhooks.secret"


def seal(secret: str) -> str:
    return sealing.seal(SEALING, secret)


def unseal(sealed: str) -> str | None:
    """The secret, or None when it was sealed under another SECRET_KEY."""
    return sealing.unseal(SEALING, sealed)
