"""Models of sign-in: one-time recovery codes of the second factor and failed sign-in attempts."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import db


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator once (ten per enrolment)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    """SHA-256 of the normalised code (the code itself has 80 random bits and is never stored)."""
    used_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginAttempt(db.Model):
    """A failed sign-in step, counted per key ('account:<email>', 'address:<ip>', 'totp:<id>')
    in the database so that every web worker sees the same count. Old rows are purged."""

    __tablename__ = "login_attempts"
    __table_args__ = (sa.Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)
