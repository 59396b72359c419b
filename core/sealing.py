"""Sealed text: encrypted and authenticated (Fernet) with a key derived from SECRET_KEY, one key
per purpose. For what the app must read back but nobody else may read: a webhook's signing
secret in the database, a new calendar address in the readable session cookie on its way to the
one page that shows it. Changing SECRET_KEY makes sealed text unreadable (``unseal`` gives None).
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet(purpose: str) -> Fernet:
    derived = hashlib.sha256(f"expertteam.{purpose}:".encode() + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(purpose: str, text: str) -> str:
    return _fernet(purpose).encrypt(text.encode()).decode()


def unseal(purpose: str, sealed: object, *, max_age: int | None = None) -> str | None:
    """The text, or None when ``sealed`` is not text sealed for this purpose under this
    SECRET_KEY, or was sealed more than ``max_age`` seconds ago."""
    if not isinstance(sealed, str):
        return None
    try:
        return _fernet(purpose).decrypt(sealed.encode(), ttl=max_age).decode()
    except InvalidToken:
        return None
