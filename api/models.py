"""API clients of the organisations, their short-lived bearer tokens and the rate-limit windows.

Each client acts through its own account (``ApiClient.user``): an inactive-for-sign-in user
with the organisation-contact role in every team the organisation is committed to, so the same
services and permission rules as the contact's pages apply, and audit rows, "confirmed by" and
notifications name the client.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db
from core.models import Organisation, User

#: The scopes a client can be given.
SCOPES = ("actions:read", "actions:write", "signals:read", "signals:write")


class ApiClient(db.Model):
    """OAuth 2 client (client credentials) of one organisation. Secrets are long random strings,
    stored as SHA-256 hashes (a slow password hash adds nothing for 256 random bits); after a
    rotation the previous hash stays valid until ``previous_valid_until``."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(48), unique=True)
    """The public identifier (``etc_…``)."""
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    """The client's own account: the actor of its calls."""
    name: Mapped[str] = mapped_column(sa.String(120))
    scopes: Mapped[str] = mapped_column(sa.String(200))
    """Space-separated scopes (``SCOPES``)."""
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    previous_secret_hash: Mapped[Optional[str]] = mapped_column(sa.String(64))
    previous_valid_until: Mapped[Optional[datetime]]
    expires_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now) and self.user.active


class ApiToken(db.Model):
    """A bearer token (its SHA-256 hash), short-lived."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_clients.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(200))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    client: Mapped[ApiClient] = relationship()


class ApiRateWindow(db.Model):
    """Calls of a client in one fixed window (``window`` = seconds since the epoch // length),
    shared by every web worker through the database (Redis instead when REDIS_URL is set)."""

    __tablename__ = "api_rate_windows"

    client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_clients.id", ondelete="CASCADE"), primary_key=True)
    window: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(default=0)
